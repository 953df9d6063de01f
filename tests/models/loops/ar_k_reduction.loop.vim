// loop-style (tests/test_lower.c compares it with ar_k_reduction.vec.vim): sums accumulated in loops, read backwards (arK)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real alpha; vector[K] beta; real<lower=0> sigma; }
model { alpha ~ normal(0, 2); beta ~ normal(0, 1); sigma ~ normal(0, 1);
  for (t in (K + 1):T) { real mu = alpha; for (k in 1:K) mu += beta[k] * ts[t - k]; ts[t] ~ normal(mu, sigma); }
  { real s = 0; for (n in 1:N) s = s + square(x[n] - alpha); target += -0.001 * s; } }
