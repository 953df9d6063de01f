// expect: 2:13: expected 'data' or 'parameters' after 'transformed', found 'params'
transformed params {
  real y = 1;
}
