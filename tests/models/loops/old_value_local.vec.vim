// vectorised rewrite of old_value_local.loop.vim
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real m; real<lower=0> s; }
model { vector[N] mu = rep_vector(m, N);
  y ~ normal(mu + x * s, s); mu = x * s;
  s ~ normal(0, 1); target += -0.01 * dot_self(mu); }
