// expect: (the largest int is 2147483647)
parameters {
  vector[1000000000000] x;
}
model {
}
