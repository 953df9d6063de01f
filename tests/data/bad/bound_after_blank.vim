// binder: a bound error names the cell, counting blank lines
data {
  int<lower=0> N;
  vector<lower=0>[N] x;
  vector[N] y;
}
parameters { real a; }
model { y ~ normal(a * x, 1); }
