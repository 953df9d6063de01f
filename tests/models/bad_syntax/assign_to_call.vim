// expect: 3:3: cannot assign to this expression
model {
  f(x) = 1;
}
