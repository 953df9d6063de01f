data {
  int<lower=0> N;
  int<lower=1> J;
  int<lower=1, upper=J> g[N];
  vector[N] y;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] a;
  real<lower=0> sigma;
}
model {
  mu ~ normal(0, 5);
  tau ~ normal(0, 1);
  sigma ~ normal(0, 1);
  a ~ normal(mu, tau);
  y ~ normal(a[g], sigma);
}
