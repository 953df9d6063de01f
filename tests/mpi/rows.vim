// per-row latents (one z per row) and a point parameter: tests/mpi/check.sh
data {
  int N;
  vector[N] y;
}
parameters {
  @point real mu;
  vector[N] z;
}
model {
  z ~ normal(mu, 1);
  y ~ normal(z, 1);
}
