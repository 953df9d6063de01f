// expect: 3:8: unknown constraint 'lowr' (did you mean 'lower'?)
parameters {
  real<lowr=0> sigma;
}
