// expect: 4:8: 'mu' is already declared (at line 3)
parameters {
  real mu;
  real mu;
}
