// 10 coefficients, sigma known (2): the posterior is exactly Gaussian (exact.c)
data {
  int N;
  int K;
  matrix[N, K] x;
  vector[N] y;
}
parameters {
  vector[K] beta;
}
model {
  y ~ normal(x * beta, 2);
}
