// expect: 3:8: the name 'lp__' is reserved (names ending in '__'
parameters {
  real lp__;
}
