// expect: integer overflow
transformed data {
  int n = 65536;
  vector[n * n] x;
}
