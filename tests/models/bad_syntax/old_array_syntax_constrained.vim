// expect: 3:17: old array syntax; write 'array[N, 2] int<lower=0> n'
data {
  int<lower=0> n[N, 2];
}
