// One-compartment pharmacokinetics with first-order absorption: the
// concentration curve is a C function in libpharma.c, called through libffi.
// Build the library next to this file, then run:
//   cc -O2 -shared -fPIC -o libpharma.so libpharma.c -lm
//   vi-run pk.vim pk.csv dose=100
functions {
  vector one_cpt(vector t, real dose, real ka, real ke, real v)
      = extern("libpharma.so", "one_cpt", grad = "one_cpt_grad");
}
data {
  int<lower=1> N;
  vector<lower=0>[N] time;
  vector<lower=0>[N] conc;
  real<lower=0> dose;
}
parameters {
  real<lower=0> ke;     // elimination rate (1/h)
  real<lower=0> dk;     // ka - ke: absorption is faster than elimination
  real<lower=0> v;      // volume (L)
  real<lower=0> sigma;  // log-scale measurement error
}
transformed parameters {
  real ka = ke + dk;    // absorption rate (1/h)
}
model {
  ke ~ lognormal(-1.5, 1);
  dk ~ lognormal(0, 1);
  v ~ lognormal(3, 1);
  sigma ~ normal(0, 0.5);
  conc ~ lognormal(log(one_cpt(time, dose, ka, ke, v)), sigma);
}
