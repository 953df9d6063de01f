// expect: 4:3: 'jacobian +=' is not supported by vi
parameters { real mu; }
model {
  jacobian += mu;
}
