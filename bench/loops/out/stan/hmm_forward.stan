// loop-style (tests/test_lower.c compares it with hmm_forward.vec.vim)
data { int N; int J; int K; int<lower=1, upper=J> g[N]; vector[N] x; matrix[N, K] X; vector[N] y; int yb[N]; vector[N] expo; int cnt[N]; real xpos[N]; real ypos[N]; int T; vector[T] ts; int S; int yirt[J, K]; int hmm[T]; vector[K] yv[J]; real sigma_j[J]; real yj[J]; }
parameters { simplex[S] theta[S]; ordered[S] mu; }
model { real acc[S]; real gamma[T, S];
  mu ~ normal(0, 3);
  for (k in 1:S) gamma[1, k] = normal_lpdf(ts[1] | mu[k], 1);
  for (t in 2:T) {
    for (k in 1:S) {
      for (j in 1:S) acc[j] = gamma[t - 1, j] + log(theta[j, k]) + normal_lpdf(ts[t] | mu[k], 1);
      gamma[t, k] = log_sum_exp(acc);
    }
  }
  target += log_sum_exp(gamma[T]); }
