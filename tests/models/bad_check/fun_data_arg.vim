// expect: 6:27: argument 1 of 'scale' ('s') is declared data, but this value can depend on parameters
functions {
  real scale(data real s, real x) { return s * x; }
}
parameters { real mu; real<lower=0> sigma; }
model { mu ~ normal(scale(sigma, 2), 1); }
