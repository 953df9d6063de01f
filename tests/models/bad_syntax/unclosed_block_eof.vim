// expect: 5:1: expected '}' to close the '{' at line 4, found end of file
model {
  y ~ normal(0, 1);
  {
