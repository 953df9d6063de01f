// expect: 6:21: 'draw_rng' draws random numbers and is allowed only in transformed data and generated quantities (and in _rng functions)
functions {
  real draw_rng(real m) { return normal_rng(m, 1); }
}
parameters { real mu; }
model { mu ~ normal(draw_rng(0), 1); }
