// expect: 2:32: variables of the parameters block cannot be initialised
parameters { real mu; real z = 1; }
