// expect: 2:1: #include is not supported
#include "other.stan"
parameters { real mu; }
model { mu ~ normal(0, 1); }
