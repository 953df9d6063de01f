// loop-style (tests/test_lower.c compares it with target_lpdf.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real mu; real b; real<lower=0> sigma; }
model { target += normal_lpdf(mu | 0, 10) + normal_lpdf(b | 0, 10) + exponential_lpdf(sigma | 1);
  for (n in 1:N) target += normal_lpdf(y[n] | mu + X[n, 1] * b, sigma); }
