// Item response, two-parameter logistic: 100 persons x 20 items (143 parameters).
data {
  int<lower=1> I;
  int<lower=1> P;
  int<lower=0> N;
  array[N] int<lower=1, upper=P> pp;
  array[N] int<lower=1, upper=I> ii;
  array[N] int<lower=0, upper=1> y;
}
parameters {
  vector[P] theta;
  vector<lower=0>[I] a;
  vector[I] b;
  real mu_b;
  real<lower=0> sigma_b;
  real<lower=0> sigma_a;
}
model {
  theta ~ std_normal();
  sigma_a ~ normal(0, 1);
  a ~ lognormal(0, sigma_a);
  mu_b ~ normal(0, 5);
  sigma_b ~ normal(0, 2);
  b ~ normal(mu_b, sigma_b);
  y ~ bernoulli_logit(a[ii] .* (theta[pp] - b[ii]));
}
