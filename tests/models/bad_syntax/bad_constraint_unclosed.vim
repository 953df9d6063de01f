// expect: 3:16: expected ',' or '>' in the constraint, found 'sigma'
parameters {
  real<lower=0 sigma;
}
