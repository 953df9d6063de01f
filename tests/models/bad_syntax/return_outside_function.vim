// expect: 3:3: 'return' is only allowed inside a function
model {
  return 1;
}
