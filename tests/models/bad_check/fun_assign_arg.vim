// expect: 4:5: cannot assign to the function argument 'x'
functions {
  real bump(real x) {
    x = x + 1;
    return x;
  }
}
parameters { real mu; }
model { mu ~ normal(bump(0), 1); }
