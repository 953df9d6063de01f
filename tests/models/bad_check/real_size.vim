// expect: 2:15: a size must be an int, not real
data { vector[2.5] y; }
