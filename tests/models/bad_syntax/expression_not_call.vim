// expect: 3:3: this expression is not a statement
model {
  x + 1;
}
