// binder: a renamed column is reported before the size that it would give
data {
  int<lower=0> N;
  int<lower=1> K;
  array[N] int<lower=1, upper=K> region;
  vector[N] y;
}
parameters { vector[K] a; }
model { y ~ normal(a[region], 1); }
