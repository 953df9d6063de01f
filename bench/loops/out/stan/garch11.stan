// loop-style (tests/test_lower.c compares it with garch11.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real mu; real<lower=0> a0; real<lower=0, upper=1> a1; real<lower=0, upper=(1 - a1)> b1; real<lower=0> s1; }
model { vector[T] sigma; sigma[1] = s1;
  for (t in 2:T) sigma[t] = sqrt(a0 + a1 * square(ts[t - 1] - mu) + b1 * square(sigma[t - 1]));
  for (t in 1:T) ts[t] ~ normal(mu, sigma[t]);
  mu ~ normal(0, 2); a0 ~ normal(0, 1); s1 ~ normal(0, 1); }
