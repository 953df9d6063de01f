// expect: 3:12: a string literal can only be an argument
model {
  real x = "abc";
}
