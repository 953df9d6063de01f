// Stan 2.21 syntax of stdlib_new.vim
data {
  int N;
  vector[N] a;
  vector[N] p;
}
transformed data {
  int d[2] = dims(a);
  matrix[2, 2] S0 = [[2, 0.3], [0.3, 1]];
}
parameters {
  real mu;
  real<lower=0> kappa;
  real<lower=0, upper=1> m;
  real<lower=0> phi;
  vector[2] lt;
  cov_matrix[2] W;
}
model {
  matrix[2, 2] Q = quad_form_diag(S0, exp(lt));
  vector[2] ev = eigenvalues_sym(Q);
  matrix[2, 2] V = eigenvectors_sym(W);
  a ~ von_mises(mu, kappa);
  p ~ beta_proportion(m, phi);
  target += -0.5 * dot_self(log(ev));
  target += square(V[1, 1]) + square(V[2, 1]) * ev[1];
  W ~ wishart(4, Q);
  lt ~ normal(0, 1);
  kappa ~ gamma(2, 0.5);
  phi ~ gamma(2, 0.2);
  mu ~ normal(0, 2);
  target += multi_normal_prec_lpdf(lt | rep_vector(0, 2), inverse_spd(W));
  target += 0.1 * sum(singular_values(Q)) + d[1] * 0.01 + d[2] * 0.02;
}
