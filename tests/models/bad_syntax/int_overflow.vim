// expect: 3:11: integer literal '2147483648' is too large
model {
  int n = 2147483648;
}
