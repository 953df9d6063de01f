// expect: 4:13: unknown function 'exq' (did you mean 'exp'?)
parameters { real mu; }
model {
  target += exq(mu);
}
