// Poisson log-normal: an observation-level random effect on 200 counts (203 parameters).
data {
  int<lower=0> N;
  vector[N] x;
  int<lower=0> y[N];
}
parameters {
  real alpha;
  real beta;
  real<lower=0> s;
  vector[N] e;
}
model {
  alpha ~ normal(0, 5);
  beta ~ normal(0, 5);
  s ~ normal(0, 1);
  e ~ normal(0, s);
  y ~ poisson_log(alpha + beta * x + e);
}
