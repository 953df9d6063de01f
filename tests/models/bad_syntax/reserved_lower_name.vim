// expect: 3:7: 'lower' is a reserved word
data {
  int lower;
}
