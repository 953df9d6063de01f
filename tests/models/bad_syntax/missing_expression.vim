// expect: 3:12: expected an expression, found ';'
model {
  real x = ;
}
