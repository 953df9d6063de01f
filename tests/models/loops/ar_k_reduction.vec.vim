// vectorised rewrite of ar_k_reduction.loop.vim
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real alpha; vector[K] beta; real<lower=0> sigma; }
model { alpha ~ normal(0, 2); beta ~ normal(0, 1); sigma ~ normal(0, 1);
  for (t in (K + 1):T) { real mu = alpha + dot_product(beta, reverse(ts[(t - K):(t - 1)])); ts[t] ~ normal(mu, sigma); }
  target += -0.001 * dot_self(x - alpha); }
