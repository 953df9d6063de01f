// Eight-schools-like, centred, 100 schools with informative data (102 parameters).
data {
  int<lower=1> J;
  vector[J] y;
  vector[J] s;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] theta;
}
model {
  mu ~ normal(0, 10);
  tau ~ normal(0, 5);
  theta ~ normal(mu, tau);
  y ~ normal(theta, s);
}
