// expect: recursion deeper than 1000 calls in 'f'
functions {
  real f(real x) {
    return f(x);
  }
}
transformed data {
  real y = f(1);
}
