// More of the functions added to the standard library: csr_matrix_times_vector,
// matrix_exp, singular_values,
// ordered_probit, inv_wishart, multi_gp_cholesky, quad_form_diag.
data {
  int N;
  vector[N] x;
  array[N] int k;
}
transformed data {
  vector[5] w = [0.5, -1.2, 0.7, 2.1, 0.4]';
  array[5] int v = {1, 3, 2, 3, 1};
  array[4] int u = {1, 3, 4, 6};
}
parameters {
  vector[3] b;
  real eta;
  ordered[3] c;
  matrix[2, 2] A;
  cov_matrix[2] W;
  vector<lower=0>[2] s;
}
model {
  vector[3] y = csr_matrix_times_vector(3, 3, w, v, u, b);
  matrix[2, 2] E = matrix_exp(A);
  matrix[2, 2] L = cholesky_decompose(W);
  matrix[2, 2] Y = [[b[1], b[2]], [b[3], eta]];
  for (n in 1:N)
    k[n] ~ ordered_probit(eta + x[n], c);
  b ~ normal(0, 1);
  y ~ normal(0, 2);
  target += -0.5 * sum(square(to_vector(E))) + 0.3 * singular_values(A)[2];
  W ~ inv_wishart(4, quad_form_diag(diag_matrix(rep_vector(1, 2)), s));
  target += multi_gp_cholesky_lpdf(Y | L, s);
  s ~ gamma(2, 1);
  eta ~ normal(0, 1);
  c ~ normal(0, 3);
  to_vector(A) ~ normal(0, 0.5);
}
