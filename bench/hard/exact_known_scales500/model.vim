// Varying intercepts with known scales: 500 groups of 4 (501 parameters). The
// posterior is exactly Gaussian, with mu correlated with every group effect
// (reference.csv is analytic; see gen.py).
data {
  int<lower=0> N;
  int<lower=1> J;
  array[N] int<lower=1, upper=J> g;
  vector[N] y;
}
parameters {
  real mu;
  vector[J] a;
}
model {
  mu ~ normal(0, 5);
  a ~ normal(mu, 0.3);
  y ~ normal(a[g], 1);
}
