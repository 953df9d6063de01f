// expect: 5:1: the 'data' block must come before the 'parameters' block
parameters {
  real mu;
}
data {
  int N;
}
