// expect: 4:15: too many indices (2) for a value of type vector
parameters { vector[3] mu; }
model {
  target += mu[1, 2];
}
