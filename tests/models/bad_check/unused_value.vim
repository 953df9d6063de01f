// expect: 4:3: the value of this expression is not used
parameters { real mu; }
model {
  exp(mu);
}
