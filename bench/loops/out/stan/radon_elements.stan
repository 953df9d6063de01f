// loop-style (tests/test_lower.c compares it with radon_elements.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { vector[J] a; real b; real mu_a; real<lower=0> tau; real<lower=0> sigma; }
model { vector[N] mu; mu_a ~ normal(0, 5); tau ~ normal(0, 2); sigma ~ normal(0, 2); b ~ normal(0, 3);
  a ~ normal(mu_a, tau);
  for (n in 1:N) { mu[n] = a[g[n]] + b * x[n]; y[n] ~ normal(mu[n], sigma); } }
