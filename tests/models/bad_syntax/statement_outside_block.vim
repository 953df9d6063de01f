// expect: 2:1: expected a block such as 'data', 'parameters' or 'model', found 'y'
y ~ normal(0, 1);
