// expect: 3:32: 'twice' returns int, but this value is real
functions {
  int twice(real x) { return 2 * x; }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
