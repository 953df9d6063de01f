// expect: 4:10: '<' compares ints or reals, not vector and int
parameters { vector[3] mu; }
model {
  if (mu < 0) target += 1;
}
