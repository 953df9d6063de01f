// Regression on an unscaled predictor with known sigma and flat priors:
// the posterior is exactly Gaussian, N(least squares, sigma^2 (X'X)^-1),
// with a correlation of about -0.99 between alpha and beta.
data {
  int<lower=0> N;
  vector[N] x;
  vector[N] y;
  real<lower=0> sigma;
}
parameters {
  real alpha;
  real beta;
}
model {
  y ~ normal(alpha + beta * x, sigma);
}
