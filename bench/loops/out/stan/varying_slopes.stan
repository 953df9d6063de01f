// loop-style (tests/test_lower.c compares it with varying_slopes.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { vector[J] a; vector[J] b; real<lower=0> sigma; }
model { a ~ normal(0, 5); b ~ normal(0, 5); sigma ~ normal(0, 2);
  for (n in 1:N) y[n] ~ normal(a[g[n]] + b[g[n]] * x[n], sigma); }
