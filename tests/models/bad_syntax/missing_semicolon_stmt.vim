// expect: 4:3: expected ';' after the statement, found 'mu'
model {
  y ~ normal(mu, 1)
  mu ~ normal(0, 1);
}
