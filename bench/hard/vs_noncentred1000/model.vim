// Varying intercepts and slopes, non-centred: 1000 groups of 10 (2004 parameters).
data {
  int<lower=0> N;
  int<lower=1> J;
  array[N] int<lower=1, upper=J> g;
  vector[N] x;
  vector[N] y;
}
parameters {
  real mu_a;
  real mu_b;
  real<lower=0> tau_a;
  real<lower=0> tau_b;
  vector[J] za;
  vector[J] zb;
  real<lower=0> sigma;
}
transformed parameters {
  vector[J] a = mu_a + tau_a * za;
  vector[J] b = mu_b + tau_b * zb;
}
model {
  mu_a ~ normal(0, 5);
  mu_b ~ normal(0, 5);
  tau_a ~ normal(0, 1);
  tau_b ~ normal(0, 1);
  sigma ~ normal(0, 1);
  za ~ std_normal();
  zb ~ std_normal();
  y ~ normal(a[g] + b[g] .* x, sigma);
}
