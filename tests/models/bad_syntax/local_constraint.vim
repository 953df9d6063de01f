// expect: 3:3: local variables cannot have constraints
model {
  real<lower=0> x = 1;
}
