// loop-style (tests/test_lower.c compares it with array_of_vectors.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { vector[K] mu; real<lower=0> s; array[J] vector[K] z; }
model { mu ~ normal(0, 3); s ~ normal(0, 1);
  for (j in 1:J) { z[j] ~ normal(mu, s); for (k in 1:K) yv[j, k] ~ normal(z[j, k], 1); } }
