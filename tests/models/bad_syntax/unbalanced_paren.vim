// expect: 3:27: expected ')' to close the '(' at line 3, found ';'
model {
  target += -((y - mu) ^ 2;
}
