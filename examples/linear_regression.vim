// Linear regression with K predictors read from columns x.1 .. x.K.
// Run: vi-run linear_regression.vim linear_regression.csv
data {
  int<lower=0> N;            // rows of the CSV (inferred)
  int<lower=1> K;            // predictors (inferred from the x.* columns)
  matrix[N, K] x;
  vector[N] y;
}
parameters {
  real alpha;
  vector[K] beta;
  real<lower=0> sigma;
}
model {
  alpha ~ normal(0, 10);
  beta ~ normal(0, 5);
  sigma ~ exponential(1);
  y ~ normal(alpha + x * beta, sigma);
}
