// expect: 3:17: expected an expression, found '}'
model {
  target += 1 + }
