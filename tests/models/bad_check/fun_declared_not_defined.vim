// expect: 3:8: function 'later' is declared but never defined
functions {
  real later(real x);
}
parameters { real mu; }
model { mu ~ normal(later(1), 1); }
