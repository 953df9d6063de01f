// expect: 4:3: cannot assign to 'x': it belongs to the data block
data { real x; }
transformed data {
  x = 2;
}
