// expect: 3:17: expected the profile name as a string, found
parameters { real mu; }
model { profile(lik) { mu ~ normal(0, 1); } }
