// expect: 4:15: the branches of '?:' have different types (vector and real)
parameters { vector[3] mu; }
model {
  target += 1 ? mu : 1.0;
}
