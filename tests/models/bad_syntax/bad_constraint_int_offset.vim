// expect: 3:7: 'offset' is not allowed on an int
data {
  int<offset=1> n;
}
