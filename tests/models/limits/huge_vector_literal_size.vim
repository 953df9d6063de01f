// expect: (the largest int is 2147483647)
transformed data {
  vector[1000000000000] x;
}
