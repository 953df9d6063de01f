// ragged nested array
data {
  int<lower=0> N;
  array[N, 2] real y;
}
parameters {
  real mu;
}
model {
  for (i in 1:N) y[i] ~ normal(mu, 1);
}
