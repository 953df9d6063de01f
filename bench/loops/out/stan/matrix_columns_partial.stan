// loop-style (tests/test_lower.c compares it with matrix_columns_partial.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real b1; real b2; real<lower=0> s; }
model { b1 ~ normal(0, 2); b2 ~ normal(0, 2); s ~ normal(0, 1);
  for (n in 3:N) y[n] ~ normal(X[n, 1] * b1 + X[n, 2] * b2 - x[n] / s, s); }
