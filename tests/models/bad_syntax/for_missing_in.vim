// expect: 3:10: expected 'in' after the loop variable, found '='
model {
  for (i = 1:N) y ~ normal(0, 1);
}
