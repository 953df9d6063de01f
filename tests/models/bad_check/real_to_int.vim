// expect: 4:5: cannot assign a value of type real to 'k' of type int
transformed data {
  int k;
  k = 2.5;
}
