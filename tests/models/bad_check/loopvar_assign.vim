// expect: 4:19: cannot assign to the loop variable 'i'
model {
  for (i in 1:3)
    { real z = 1; i = 2; }
}
