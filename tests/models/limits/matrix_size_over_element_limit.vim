// expect: exceeds the limit 1000000000
transformed data {
  matrix[2147483647, 2147483647] x;
}
