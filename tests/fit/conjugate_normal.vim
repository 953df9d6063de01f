// y ~ normal(mu, 2) with known sd and a normal(1, 3) prior: the posterior
// of mu is normal with precision N/4 + 1/9 and mean (sum(y)/4 + 1/9)/precision.
data {
  int<lower=0> N;
  vector[N] y;
}
parameters {
  real mu;
}
model {
  mu ~ normal(1, 3);
  y ~ normal(mu, 2);
}
