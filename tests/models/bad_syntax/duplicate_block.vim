// expect: 7:1: duplicate 'model' block (the first one is at line 2)
model {
  target += 0;
}


model {
  target += 1;
}
