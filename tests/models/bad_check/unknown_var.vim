// expect: 5:18: unknown variable 'sigm' (did you mean 'sigma'?)
data { int N; vector[N] y; }
parameters { real mu; real<lower=0> sigma; }
model {
  y ~ normal(mu, sigm);
}
