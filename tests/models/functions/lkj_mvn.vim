// Correlated three-dimensional outcomes: an LKJ prior on a Cholesky factor,
// a user function that builds the scaled factor, half-normal scales through
// truncation, and an LKJ prior on a 2 x 2 correlation matrix.
functions {
  matrix scale_chol(vector tau, matrix L) {
    return diag_pre_multiply(tau, L);
  }
}
data {
  int N;
  vector[N] y1;
  vector[N] y2;
  vector[N] y3;
  vector[N] z1;
  vector[N] z2;
}
transformed data {
  array[N] vector[3] Y;
  array[N] vector[2] Z;
  for (n in 1:N) {
    Y[n] = [y1[n], y2[n], y3[n]]';
    Z[n] = [z1[n], z2[n]]';
  }
}
parameters {
  vector[3] mu;
  cholesky_factor_corr[3] L;
  vector<lower=0>[3] tau;
  corr_matrix[2] Omega;
}
model {
  mu ~ normal(0, 5);
  for (k in 1:3)
    tau[k] ~ normal(0, 2.5) T[0, ];
  L ~ lkj_corr_cholesky(2);
  Y ~ multi_normal_cholesky(mu, scale_chol(tau, L));
  Omega ~ lkj_corr(3);
  Z ~ multi_normal(rep_vector(0, 2), Omega);
}
