// expect: 3:8: 'exp' is a built-in function with this signature; a user function cannot redefine it
functions {
  real exp(real x) { return x; }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
