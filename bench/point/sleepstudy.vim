// Linear mixed model (lme4's sleepstudy): Reaction ~ Days + (Days | Subject),
// random intercepts and slopes, non-centred. The fixed effects and the
// variance components are @point(ml): vi maximises the marginal likelihood,
// as lmer(..., REML = FALSE) does, with a full-rank q over the random effects.
// Run: vi-run sleepstudy.vim sleepstudy.csv
data {
  int<lower=1> N;
  int<lower=1> J;
  vector[N] Reaction;
  vector[N] Days;
  array[N] int<lower=1, upper=J> subject;
}
parameters {
  @point(ml) real beta0;
  @point(ml) real beta1;
  @point(ml) real<lower=0> sd_int;
  @point(ml) real<lower=0> sd_slope;
  @point(ml) real<lower=-1, upper=1> rho;
  @point(ml) real<lower=0> sigma;
  matrix[J, 2] z;
}
transformed parameters {
  vector[J] b0 = sd_int * z[:, 1];
  vector[J] b1 = sd_slope * (rho * z[:, 1] + sqrt(1 - square(rho)) * z[:, 2]);
}
model {
  to_vector(z) ~ std_normal();
  Reaction ~ normal(beta0 + b0[subject] + (beta1 + b1[subject]) .* Days, sigma);
}
