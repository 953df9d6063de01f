// expect: 5:3: '~' statements are allowed only in the model block
parameters { real mu; }
transformed parameters {
  real z = mu;
  mu ~ normal(0, 1);
}
