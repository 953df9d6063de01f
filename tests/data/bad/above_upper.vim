// binder: upper bound
data {
  int<lower=0> N;
  vector<lower=0, upper=1>[N] p;
}
parameters {
  real<lower=0> a;
  real<lower=0> b;
}
model {
  p ~ beta(a, b);
}
