// vectorised rewrite of hmm_forward.loop.vim
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { array[S] simplex[S] theta; ordered[S] mu; }
model { array[T] vector[S] gamma; matrix[S, S] lt;
  mu ~ normal(0, 3);
  for (j in 1:S) lt[j] = log(theta[j])';
  for (k in 1:S) gamma[1, k] = normal_lpdf(ts[1] | mu[k], 1);
  for (t in 2:T)
    for (k in 1:S) gamma[t, k] = log_sum_exp(gamma[t - 1] + col(lt, k)) + normal_lpdf(ts[t] | mu[k], 1);
  target += log_sum_exp(gamma[T]); }
