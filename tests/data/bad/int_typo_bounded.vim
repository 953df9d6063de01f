// binder: a typo in a bounded index column names its own cell
data {
  int<lower=0> N;
  int<lower=1> K;
  array[N] int<lower=1, upper=K> g;
  vector[N] y;
}
parameters { vector[K] a; }
model { y ~ normal(a[g], 1); }
