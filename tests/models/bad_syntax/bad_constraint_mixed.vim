// expect: 3:17: 'lower'/'upper' cannot be combined with 'offset'/'multiplier'
parameters {
  real<lower=0, offset=1> a;
}
