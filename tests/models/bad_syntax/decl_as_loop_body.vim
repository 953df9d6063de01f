// expect: 3:18: a declaration cannot stand here
model {
  for (i in 1:N) real x;
}
