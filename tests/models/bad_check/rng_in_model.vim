// expect: 4:12: 'normal_rng' draws random numbers and is allowed only in transformed data and generated quantities
parameters { real mu; }
model {
  real z = normal_rng(0, 1);
}
