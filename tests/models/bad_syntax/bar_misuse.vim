// expect: 3:31: '|' can only follow the first argument of a call
model {
  target += normal_lpdf(y, mu | sigma);
}
