// binder: a typo in an integer column is an error at its cell, not text levels
data {
  int<lower=0> N;
  vector[N] x;
  array[N] int<lower=0> y;
}
parameters { real alpha; real beta; }
model { y ~ poisson_log(alpha + beta * x); }
