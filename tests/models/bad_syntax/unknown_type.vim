// expect: 3:3: unknown type 'flaot' (did you mean 'real'?)
data {
  flaot x;
}
