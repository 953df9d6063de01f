// loop-style (tests/test_lower.c compares it with irt_nested.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { vector[J] theta; vector[K] b; real<lower=0> s; }
model { theta ~ normal(0, s); b ~ normal(0, 3); s ~ normal(0, 1);
  for (j in 1:J) for (k in 1:K) yirt[j, k] ~ bernoulli_logit(theta[j] - b[k]); }
