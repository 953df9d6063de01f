// Poisson regression of counts with an exposure offset.
// Run: vi-run poisson_regression.vim poisson_regression.csv
data {
  int<lower=0> N;
  array[N] int<lower=0> count;
  vector[N] x;
  vector<lower=0>[N] exposure;
}
transformed data {
  vector[N] log_exposure = log(exposure);
}
parameters {
  real alpha;
  real beta;
}
model {
  alpha ~ normal(0, 5);
  beta ~ normal(0, 2);
  count ~ poisson_log(log_exposure + alpha + beta * x);
}
