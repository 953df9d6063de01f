// loop-style (tests/test_lower.c compares it with matrix_rows_written.vec.vim): elements of a matrix and a 2-d array written at [j, k]
data { int N; int J; int K; array[N] int<lower=1, upper=J> g; vector[N] x; matrix[N, K] X; vector[N] y; array[N] int yb; vector[N] expo; array[N] int cnt; array[N] real xpos; array[N] real ypos; int T; vector[T] ts; int S; array[J, K] int yirt; array[T] int hmm; array[J] vector[K] yv; array[J] real sigma_j; array[J] real yj; }
parameters { vector[J] a; real b; real<lower=0> s; }
model { matrix[J, K] M; array[J, K] real A;
  for (j in 1:J) for (k in 1:K) { M[j, k] = a[j] + b * X[j, k]; A[j, k] = exp(-M[j, k] * s); }
  a ~ normal(0, 1); b ~ normal(0, 1); s ~ normal(0, 1);
  for (j in 1:J) { yirt[j] ~ bernoulli_logit(M[j]); target += -0.01 * sum(A[j]); } }
