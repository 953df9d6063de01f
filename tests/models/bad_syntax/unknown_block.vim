// expect: 2:1: unknown block 'paramters' (did you mean 'parameters'?)
paramters {
  real mu;
}
