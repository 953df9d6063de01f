// Hierarchical scales: 50 groups of 10, each with its own mean and log sd (104 parameters).
data {
  int<lower=0> N;
  int<lower=1> J;
  int<lower=1, upper=J> g[N];
  vector[N] y;
}
parameters {
  real m;
  real<lower=0> t;
  real ls;
  real<lower=0> ts;
  vector[J] mu;
  vector[J] lsig;
}
model {
  m ~ normal(0, 5);
  t ~ normal(0, 2);
  ls ~ normal(0, 2);
  ts ~ normal(0, 1);
  mu ~ normal(m, t);
  lsig ~ normal(ls, ts);
  y ~ normal(mu[g], exp(lsig[g]));
}
