// expect: 4:9: old array syntax; write 'array[N] real y'
data {
  int N;
  real y[N];
}
