// expect: 4:8: no signature of 'normal_lpdf' takes (vector, vector, matrix)
parameters { vector[3] mu; }
model {
  mu ~ normal(mu, diag_matrix(mu));
}
