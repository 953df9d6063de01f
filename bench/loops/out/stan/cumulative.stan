// loop-style (tests/test_lower.c compares it with cumulative.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { vector[T] e; real<lower=0> s; }
model { vector[T] lvl; lvl[1] = e[1];
  for (t in 2:T) lvl[t] = lvl[t - 1] + e[t];
  e ~ normal(0, s); s ~ normal(0, 1); ts ~ normal(lvl, 1); }
