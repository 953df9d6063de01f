// expect: 3:16: function argument and return types have no sizes
functions {
  real f(vector[3] x) {
    return 1;
  }
}
