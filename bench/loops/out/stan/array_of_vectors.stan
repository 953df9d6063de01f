// loop-style (tests/test_lower.c compares it with array_of_vectors.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { vector[K] mu; real<lower=0> s; vector[K] z[J]; }
model { mu ~ normal(0, 3); s ~ normal(0, 1);
  for (j in 1:J) { z[j] ~ normal(mu, s); for (k in 1:K) yv[j, k] ~ normal(z[j, k], 1); } }
