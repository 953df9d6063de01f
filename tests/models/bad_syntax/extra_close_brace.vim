// expect: 5:1: unbalanced '}'
model {
  y ~ normal(0, 1);
}
}
