// loop-style (tests/test_lower.c compares it with poisson_local.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real alpha; real beta; }
model { alpha ~ normal(0, 2); beta ~ normal(0, 2);
  for (n in 1:N) { real eta = log(expo[n]) + alpha + beta * x[n]; cnt[n] ~ poisson_log(eta); } }
