// expect: 3:27: 'f' is a void function and cannot return a value
functions {
  void f(real x) { return x; }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
