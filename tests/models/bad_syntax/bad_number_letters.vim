// expect: 3:12: malformed number '2x'
model {
  real x = 2x;
}
