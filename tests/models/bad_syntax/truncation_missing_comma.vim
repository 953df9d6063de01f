// expect: 3:23: expected ',' in the truncation T[lower, upper], found ']'
model {
  y ~ normal(0, 1) T[0];
}
