// binder: lower bound
data {
  int<lower=0> N;
  vector[N] y;
  vector<lower=0>[N] sigma;
}
parameters {
  real mu;
}
model {
  y ~ normal(mu, sigma);
}
