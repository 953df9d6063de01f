// expect: 3:12: malformed number '1e'
model {
  real x = 1e;
}
