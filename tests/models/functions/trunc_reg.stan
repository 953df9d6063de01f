functions {
  real line(real a, real b, real x) {
    return a + b * x;
  }
}
data {
  int N;
  vector[N] x;
  vector[N] y;
}
parameters {
  real a;
  real b;
  real<lower=0> sigma;
}
model {
  a ~ normal(2, 5);
  b ~ normal(0, 5);
  sigma ~ normal(0, 2) T[0, ];
  for (n in 1:N)
    y[n] ~ normal(line(a, b, x[n]), sigma) T[0, 10];
}
