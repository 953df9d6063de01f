// expect: 3:8: 'half' can reach the end of its body without returning a value
functions {
  real half(real x) {
    if (x > 0)
      return x / 2;
  }
}
parameters { real mu; }
model { mu ~ normal(half(1.0), 1); }
