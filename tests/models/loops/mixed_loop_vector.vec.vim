// vectorised rewrite of mixed_loop_vector.loop.vim
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real alpha; real beta; vector[J] u; real<lower=0> sigma; real<lower=0> su; }
model { vector[N] eta = alpha + beta * x;
  u ~ normal(0, su); su ~ normal(0, 1); sigma ~ normal(0, 1);
  eta = eta + u[g] .* expo; y ~ normal(eta, sigma);
  alpha ~ normal(0, 3); beta ~ normal(0, 3); }
