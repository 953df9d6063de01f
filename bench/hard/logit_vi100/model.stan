// Logistic regression with varying intercepts: 100 groups of 20 binary outcomes (103 parameters).
data {
  int<lower=0> N;
  int<lower=1> J;
  int<lower=1, upper=J> g[N];
  vector[N] x;
  int<lower=0, upper=1> y[N];
}
parameters {
  real mu;
  real<lower=0> tau;
  real beta;
  vector[J] a;
}
model {
  mu ~ normal(0, 5);
  tau ~ normal(0, 1);
  beta ~ normal(0, 5);
  a ~ normal(mu, tau);
  y ~ bernoulli_logit(a[g] + beta * x);
}
