// loop-style (tests/test_lower.c compares it with matrix_columns_partial.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real b1; real b2; real<lower=0> s; }
model { b1 ~ normal(0, 2); b2 ~ normal(0, 2); s ~ normal(0, 1);
  for (n in 3:N) y[n] ~ normal(X[n, 1] * b1 + X[n, 2] * b2 - x[n] / s, s); }
