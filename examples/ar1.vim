// First-order autoregression y[t] = alpha + beta y[t-1] + noise.
// Run: vi-run ar1.vim ar1.csv
data {
  int<lower=2> T;
  vector[T] y;
}
parameters {
  real alpha;
  real<lower=-1, upper=1> beta;
  real<lower=0> sigma;
}
model {
  alpha ~ normal(0, 2);
  sigma ~ normal(0, 1);
  y[2:T] ~ normal(alpha + beta * y[1:(T - 1)], sigma);
}
generated quantities {
  real mean_level = alpha / (1 - beta);   // the stationary mean
}
