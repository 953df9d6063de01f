// expect: 4:16: an index must be an int or an int array, not real
parameters { vector[3] mu; }
model {
  target += mu[1.5];
}
