// loop-style (tests/test_lower.c compares it with mixed_loop_vector.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real alpha; real beta; vector[J] u; real<lower=0> sigma; real<lower=0> su; }
model { vector[N] eta = alpha + beta * x;
  u ~ normal(0, su); su ~ normal(0, 1); sigma ~ normal(0, 1);
  for (n in 1:N) { eta[n] = eta[n] + u[g[n]] * expo[n]; y[n] ~ normal(eta[n], sigma); }
  alpha ~ normal(0, 3); beta ~ normal(0, 3); }
