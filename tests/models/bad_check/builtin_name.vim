// expect: 2:19: 'exp' is the name of a built-in function; choose another name
parameters { real exp; }
