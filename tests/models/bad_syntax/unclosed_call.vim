// expect: 3:19: expected ',' or ')' in the arguments of 'normal', found ';'
model {
  y ~ normal(mu, 1;
}
