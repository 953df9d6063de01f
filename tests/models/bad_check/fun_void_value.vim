// expect: 6:21: 'show' returns nothing (void) and cannot be used as a value
functions {
  void show(real x) { print(x); }
}
parameters { real mu; }
model { mu ~ normal(show(mu), 1); }
