// expect: 3:30: 'normal_rng' draws random numbers and is allowed only in transformed data and generated quantities (and in _rng functions)
functions {
  real draw(real m) { return normal_rng(m, 1); }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
