// loop-style (tests/test_lower.c compares it with poisson_local.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real alpha; real beta; }
model { alpha ~ normal(0, 2); beta ~ normal(0, 2);
  for (n in 1:N) { real eta = log(expo[n]) + alpha + beta * x[n]; cnt[n] ~ poisson_log(eta); } }
