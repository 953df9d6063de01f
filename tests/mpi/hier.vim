data {
  int N;
  int J;
  array[N] int<lower=1, upper=J> g;
  matrix[N, 2] x;
  vector[N] y;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] a;
  vector[2] beta;
  real<lower=0> sigma;
}
model {
  mu ~ normal(0, 5);
  tau ~ normal(0, 2);
  a ~ normal(mu, tau);
  beta ~ normal(0, 2);
  sigma ~ exponential(1);
  for (n in 1:N)
    y[n] ~ normal(a[g[n]] + x[n] * beta, sigma);
}
