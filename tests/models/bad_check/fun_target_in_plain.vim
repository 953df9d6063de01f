// expect: 3:24: 'target +=' is allowed only in the model block and _lp functions
functions {
  real prior(real x) { target += -x * x; return x; }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
