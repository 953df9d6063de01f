// expect: 6:12: truncation T[L, U] needs 'poisson_lcdf' for these arguments, which does not exist
data { int N; array[N] int y; }
parameters { real<lower=0> lambda; }
model {
  for (n in 1:N)
    y[n] ~ poisson(lambda) T[0, 10];
}
