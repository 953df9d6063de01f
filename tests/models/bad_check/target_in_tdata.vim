// expect: 3:3: 'target +=' is allowed only in the model block
transformed data {
  target += 1;
}
