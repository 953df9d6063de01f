// Measurement error in a predictor: 100 latent true values (105 parameters).
data {
  int<lower=0> N;
  vector[N] xobs;
  vector[N] se;
  vector[N] y;
}
parameters {
  vector[N] xt;
  real mu_x;
  real<lower=0> sigma_x;
  real alpha;
  real beta;
  real<lower=0> sigma;
}
model {
  mu_x ~ normal(0, 5);
  sigma_x ~ normal(0, 5);
  alpha ~ normal(0, 5);
  beta ~ normal(0, 5);
  sigma ~ normal(0, 2);
  xt ~ normal(mu_x, sigma_x);
  xobs ~ normal(xt, se);
  y ~ normal(alpha + beta * xt, sigma);
}
