// expect: size 2000000000 exceeds the limit 1000000000
// args: N=2000000000
data {
  int N;
}
transformed data {
  vector[N] x;
}
