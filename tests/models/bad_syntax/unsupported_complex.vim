// expect: 3:3: the Stan type 'complex_vector' is not supported by vi (see docs/unsupported.md)
parameters {
  complex_vector[3] z;
}
model {
}
