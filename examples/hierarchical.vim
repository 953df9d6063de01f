// Varying intercepts by county (a text column: coded 1..J in order of first
// appearance; J is inferred as the number of counties).
// Run: vi-run hierarchical.vim hierarchical.csv
data {
  int<lower=0> N;
  int<lower=1> J;
  array[N] int<lower=1, upper=J> county;
  vector[N] floor;
  vector[N] log_radon;
}
parameters {
  real mu_a;
  real<lower=0> tau;
  vector[J] a_raw;           // non-centred county effects
  real b_floor;
  real<lower=0> sigma;
}
transformed parameters {
  vector[J] a = mu_a + tau * a_raw;
}
model {
  mu_a ~ normal(0, 5);
  tau ~ normal(0, 1);
  a_raw ~ std_normal();
  b_floor ~ normal(0, 2);
  sigma ~ normal(0, 1);
  log_radon ~ normal(a[county] + b_floor * floor, sigma);
}
