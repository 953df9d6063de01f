// expect: 7:7: unknown distribution 'nromal' (did you mean 'normal'?)
data { int N; vector[N] y; }
parameters {
  real mu;
}
model {
  y ~ nromal(mu, 1);
}
