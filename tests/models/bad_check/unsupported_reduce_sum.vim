// expect: 4:13: the Stan function 'reduce_sum' is not supported by vi
parameters { real mu; }
model {
  target += reduce_sum(mu);
}
