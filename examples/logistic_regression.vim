// Logistic regression: probability of being sick by dose and (centred) age.
// Run: vi-run logistic_regression.vim logistic_regression.csv
data {
  int<lower=0> N;
  array[N] int<lower=0, upper=1> sick;
  vector[N] age;
  vector[N] dose;
}
transformed data {
  vector[N] age_c = age - mean(age);
}
parameters {
  real alpha;
  real b_dose;
  real b_age;
}
model {
  alpha ~ normal(0, 2.5);
  b_dose ~ normal(0, 2.5);
  b_age ~ normal(0, 1);
  sick ~ bernoulli_logit(alpha + b_dose * dose + b_age * age_c);
}
generated quantities {
  real odds_ratio_dose = exp(b_dose);
}
