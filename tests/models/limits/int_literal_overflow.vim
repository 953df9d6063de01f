// expect: integer overflow
transformed data {
  int n = 2147483647 + 1;
}
