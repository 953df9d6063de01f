// expect: 3:26: expected ']' to close the truncation
model {
  y ~ normal(0, 1) T[0, 1;
}
