// expect: 3:11: stray byte 0xc3
model {
  real café = 1;
}
