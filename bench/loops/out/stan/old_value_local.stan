// loop-style (tests/test_lower.c compares it with old_value_local.vec.vim): a local reads the old value of an element the loop then writes
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real m; real<lower=0> s; }
model { vector[N] mu = rep_vector(m, N);
  for (n in 1:N) { real old = mu[n]; mu[n] = x[n] * s; y[n] ~ normal(old + mu[n], s); }
  s ~ normal(0, 1); target += -0.01 * dot_self(mu); }
