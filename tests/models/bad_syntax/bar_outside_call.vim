// expect: 3:15: expected ';' after the statement, found '|'
model {
  target += y | mu;
}
