// rstan's fixed cost per grad_log_prob call (R, S4, Rcpp module): one parameter, one term
parameters { real x; }
model { x ~ normal(0, 1); }
