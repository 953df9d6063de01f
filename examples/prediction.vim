// Posterior prediction: replicated data and a prediction at new x values.
// Run: vi-run prediction.vim prediction.csv
data {
  int<lower=0> N;
  vector[N] x;
  vector[N] y;
}
transformed data {
  array[3] real x_new = {-1.0, 0.0, 1.0};
}
parameters {
  real alpha;
  real beta;
  real<lower=0> sigma;
}
model {
  alpha ~ normal(0, 10);
  beta ~ normal(0, 10);
  sigma ~ exponential(1);
  y ~ normal(alpha + beta * x, sigma);
}
generated quantities {
  array[3] real y_new;
  vector[N] y_rep;           // replicated data: vi-run --report checks it against y
  real y_rep_mean;
  for (k in 1:3)
    y_new[k] = normal_rng(alpha + beta * x_new[k], sigma);
  for (n in 1:N)
    y_rep[n] = normal_rng(alpha + beta * x[n], sigma);
  y_rep_mean = mean(y_rep);
}
