// expect: 2:1: unknown block 'generatd' (did you mean 'generated quantities'?)
generatd quantities {
  real y = 1;
}
