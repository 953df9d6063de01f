// loop-style (tests/test_lower.c compares it with array_tparam.vec.vim)
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { real mu; real<lower=0> tau; vector[J] eta; }
transformed parameters { array[J] real theta; for (j in 1:J) theta[j] = mu + tau * eta[j]; }
model { mu ~ normal(0, 5); tau ~ normal(0, 5); eta ~ std_normal(); yj ~ normal(theta, sigma_j); }
