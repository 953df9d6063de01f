parameters {
  real<lower=0> alpha;
  real beta;
}
model {
  alpha ~ lognormal(0, 1);
  beta ~ normal(0, 10);
  3 ~ normal(alpha * beta, 1);
}
