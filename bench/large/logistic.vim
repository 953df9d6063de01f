data {
  int N;
  int K;
  matrix[N, K] x;
  array[N] int<lower=0, upper=1> y;
}
parameters {
  vector[K] beta;
}
model {
  beta ~ normal(0, 5);
  y ~ bernoulli_logit(x * beta);
}
