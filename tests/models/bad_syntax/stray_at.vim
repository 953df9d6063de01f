// expect: 3:9: stray character '@'
model {
  y ~ n @ormal(0, 1);
}
