// expect: 3:3: cannot assign to this expression
transformed data {
  a + b = 1;
}
