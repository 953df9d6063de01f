// expect: 3:8: 'for' is a reserved word and cannot be used as a variable name
data {
  real for;
}
