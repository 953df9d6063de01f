// Eight-schools-like, non-centred, 100 schools with weak data (102 parameters).
data {
  int<lower=1> J;
  vector[J] y;
  vector[J] s;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] eta;
}
transformed parameters {
  vector[J] theta = mu + tau * eta;
}
model {
  mu ~ normal(0, 10);
  tau ~ normal(0, 5);
  eta ~ std_normal();
  y ~ normal(theta, s);
}
