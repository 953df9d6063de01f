// loop-style (tests/test_lower.c compares it with irt_nested.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { vector[J] theta; vector[K] b; real<lower=0> s; }
model { theta ~ normal(0, s); b ~ normal(0, 3); s ~ normal(0, 1);
  for (j in 1:J) for (k in 1:K) yirt[j, k] ~ bernoulli_logit(theta[j] - b[k]); }
