// Varying intercepts and slopes, centred: 300 groups of 10 (605 parameters).
data {
  int<lower=0> N;
  int<lower=1> J;
  int<lower=1, upper=J> g[N];
  vector[N] x;
  vector[N] y;
}
parameters {
  real mu_a;
  real mu_b;
  real<lower=0> tau_a;
  real<lower=0> tau_b;
  vector[J] a;
  vector[J] b;
  real<lower=0> sigma;
}
model {
  mu_a ~ normal(0, 5);
  mu_b ~ normal(0, 5);
  tau_a ~ normal(0, 1);
  tau_b ~ normal(0, 1);
  sigma ~ normal(0, 1);
  a ~ normal(mu_a, tau_a);
  b ~ normal(mu_b, tau_b);
  y ~ normal(a[g] + b[g] .* x, sigma);
}
