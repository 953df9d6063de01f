// expect: 3:3: the Stan type 'tuple' is not supported by vi
model {
  tuple(real, int) t;
}
