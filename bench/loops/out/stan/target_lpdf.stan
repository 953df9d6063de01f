// loop-style (tests/test_lower.c compares it with target_lpdf.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real mu; real b; real<lower=0> sigma; }
model { target += normal_lpdf(mu | 0, 10) + normal_lpdf(b | 0, 10) + exponential_lpdf(sigma | 1);
  for (n in 1:N) target += normal_lpdf(y[n] | mu + X[n, 1] * b, sigma); }
