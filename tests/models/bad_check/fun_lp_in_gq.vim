// expect: 7:33: 'prior_lp' changes the target and may be called only in the model block, transformed parameters and _lp functions
functions {
  real prior_lp(real x) { target += -x * x; return x; }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
generated quantities { real y = prior_lp(mu); }
