// text after a closing quote
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
