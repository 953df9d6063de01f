// expect: 6:21: no signature of 'total' takes (real); it takes (vector) => real
functions {
  real total(vector v) { return sum(v); }
}
parameters { real mu; }
model { mu ~ normal(total(mu), 1); }
