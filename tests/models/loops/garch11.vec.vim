// vectorised rewrite of garch11.loop.vim
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real mu; real<lower=0> a0; real<lower=0, upper=1> a1; real<lower=0, upper=(1 - a1)> b1; real<lower=0> s1; }
model { vector[T] sigma; sigma[1] = s1;
  for (t in 2:T) sigma[t] = sqrt(a0 + a1 * square(ts[t - 1] - mu) + b1 * square(sigma[t - 1]));
  ts ~ normal(mu, sigma);
  mu ~ normal(0, 2); a0 ~ normal(0, 1); s1 ~ normal(0, 1); }
