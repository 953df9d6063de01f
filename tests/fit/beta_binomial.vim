// k successes in n trials with a beta(2, 3) prior: the posterior is
// beta(2 + k, 3 + n - k).
data {
  int<lower=0> n;
  int<lower=0, upper=n> k;
}
parameters {
  real<lower=0, upper=1> theta;
}
model {
  theta ~ beta(2, 3);
  k ~ binomial(n, theta);
}
