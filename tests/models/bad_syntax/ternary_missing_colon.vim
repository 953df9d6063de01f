// expect: 3:17: expected ':' in the conditional expression, found ';'
model {
  real x = a ? b;
}
