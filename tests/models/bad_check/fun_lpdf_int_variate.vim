// expect: 3:20: the first argument of a _lpdf function must be real-valued, not int
functions {
  real my_lpdf(int y, real mu) { return -(y - mu) ^ 2; }
}
parameters { real mu; }
model { mu ~ normal(0, 1); }
