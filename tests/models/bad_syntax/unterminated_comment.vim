// expect: 4:3: unterminated comment
model {
  y ~ normal(0, 1);
  /* the end
}
