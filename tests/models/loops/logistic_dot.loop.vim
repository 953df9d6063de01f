// loop-style (tests/test_lower.c compares it with logistic_dot.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real alpha; vector[K] beta; }
model { vector[N] eta; alpha ~ normal(0, 5); beta ~ normal(0, 1);
  for (n in 1:N) eta[n] = alpha + dot_product(X[n], beta);
  yb ~ bernoulli_logit(eta); }
