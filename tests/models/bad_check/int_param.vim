// expect: 3:7: parameters must be real-valued; 'k' is declared int
parameters {
  int k;
}
