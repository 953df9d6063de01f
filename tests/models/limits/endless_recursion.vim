// expect: recursion too deep in 'f'
functions {
  real f(real x) {
    return f(x);
  }
}
transformed data {
  real y = f(1);
}
