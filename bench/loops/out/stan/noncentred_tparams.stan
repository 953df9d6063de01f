// loop-style (tests/test_lower.c compares it with noncentred_tparams.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real mu; real<lower=0> tau; vector[J] eta; }
transformed parameters { vector[J] theta; for (j in 1:J) theta[j] = mu + tau * eta[j]; }
model { mu ~ normal(0, 5); tau ~ cauchy(0, 5); eta ~ std_normal();
  for (j in 1:J) yj[j] ~ normal(theta[j], sigma_j[j]); }
