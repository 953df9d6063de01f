// expect: 3:10: expected ',' or ']' in the index, found ';'
model {
  x = a[1;
}
