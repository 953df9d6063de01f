// loop-style (tests/test_lower.c compares it with radon_elements.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { vector[J] a; real b; real mu_a; real<lower=0> tau; real<lower=0> sigma; }
model { vector[N] mu; mu_a ~ normal(0, 5); tau ~ normal(0, 2); sigma ~ normal(0, 2); b ~ normal(0, 3);
  a ~ normal(mu_a, tau);
  for (n in 1:N) { mu[n] = a[g[n]] + b * x[n]; y[n] ~ normal(mu[n], sigma); } }
