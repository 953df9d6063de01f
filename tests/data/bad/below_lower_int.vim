// binder: lower bound of an int array
data {
  int<lower=0> N;
  array[N] int<lower=0> k;
}
parameters {
  real<lower=0> lambda;
}
model {
  k ~ poisson(lambda);
}
