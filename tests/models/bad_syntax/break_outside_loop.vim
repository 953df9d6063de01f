// expect: 3:3: 'break' outside of a loop
model {
  break;
}
