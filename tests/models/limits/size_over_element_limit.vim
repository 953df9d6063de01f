// expect: size 2000000000 exceeds the limit 1000000000
parameters {
  vector[2000000000] x;
}
model {
}
