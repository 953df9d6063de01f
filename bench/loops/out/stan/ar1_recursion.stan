// loop-style (tests/test_lower.c compares it with ar1_recursion.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { real alpha; real<lower=-1, upper=1> beta; real<lower=0> sigma; }
model { alpha ~ normal(0, 2); beta ~ normal(0, 1); sigma ~ normal(0, 2);
  for (t in 2:T) ts[t] ~ normal(alpha + beta * ts[t - 1], sigma); }
