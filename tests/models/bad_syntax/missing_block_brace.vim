// expect: 2:7: expected '{' after 'model', found 'y'
model y ~ normal(0, 1);
