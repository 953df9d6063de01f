// expect: 4:3: cannot assign to 'mu': it belongs to the parameters block
parameters { real mu; }
model {
  mu = 1;
}
