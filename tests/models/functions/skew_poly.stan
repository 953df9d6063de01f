functions {
  real horner(vector c, real x, int k);
  real horner(vector c, real x, int k) {
    if (k == rows(c))
      return c[k];
    return c[k] + x * horner(c, x, k + 1);
  }
  real skew_lpdf(real y, real mu, real s, real alpha) {
    return log(2) + normal_lpdf(y | mu, s) + normal_lcdf(alpha * (y - mu) / s | 0, 1);
  }
  void check_scale(real s) {
    if (s <= 0)
      reject("scale must be positive, got ", s);
  }
}
data {
  int N;
  vector[N] x;
  vector[N] y;
}
parameters {
  vector[3] c;
  real<lower=0> s;
  real alpha;
}
model {
  check_scale(s);
  c ~ normal(0, 2);
  s ~ lognormal(0, 1);
  alpha ~ cauchy(0, 3) T[-10, 10];
  for (n in 1:N - 1)
    y[n] ~ skew(horner(c, x[n], 1), s, alpha);
  target += skew_lpdf(y[N] | horner(c, x[N], 1), s, alpha);
}
