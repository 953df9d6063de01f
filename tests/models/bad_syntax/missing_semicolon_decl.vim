// expect: 4:3: expected ';' after the declaration, found 'real'
data {
  int N
  real y;
}
