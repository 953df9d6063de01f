// expect: 7:20: 'hill' has no gradient function (grad = ...), so it cannot be used where parameters reach it
functions {
  real hill(real x, real k, real n) = extern("libpharma.so", "hill");
}
data { real c; }
parameters { real<lower=0> k; }
model { k ~ normal(hill(c, k, 2), 1); }
