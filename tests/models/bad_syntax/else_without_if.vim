// expect: 3:3: 'else' without a matching 'if'
model {
  else y ~ normal(0, 1);
}
