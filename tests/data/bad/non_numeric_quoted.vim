// binder: a decimal comma is text with the comma delimiter
data {
  int<lower=0> N;
  vector[N] x;
  vector[N] y;
}
parameters {
  real a;
  real b;
}
model {
  y ~ normal(a + b * x, 1);
}
