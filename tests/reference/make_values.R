# make_values.R: reference values for tests/test_dist_values.c
# (every_row_matches_the_r_reference_values), computed with base R and
# mvtnorm. Run from the repository root:
#   Rscript tests/reference/make_values.R > tests/reference/values.txt
# Each output line is  function|arguments|flags|values  where the arguments
# use the test's notation (r1.5 real, i3 int, v:1:2 vector, w:1:2 row
# vector, a:1:2 real array, ia:1:2 int array, m2x3:... column-major matrix,
# A3:... array of vectors of size 3) and the values are every element of the
# result (column-major), ':'-separated, printed with 17 significant digits.
suppressMessages(library(mvtnorm))
f17 <- function(x) ifelse(is.nan(x), "nan", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"),
                    sprintf("%.17g", x)))
R <- function(x) paste0("r", f17(x))
I <- function(x) sprintf("i%d", as.integer(x))
V <- function(x) paste0("v", paste0(":", f17(x), collapse = ""))
W <- function(x) paste0("w", paste0(":", f17(x), collapse = ""))
A <- function(x) paste0("a", paste0(":", f17(x), collapse = ""))
IA <- function(x) paste0("ia", paste0(":", as.integer(x), collapse = ""))
M <- function(m) paste0("m", nrow(m), "x", ncol(m), paste0(":", f17(as.vector(m)), collapse = ""))
AV <- function(l) paste0("A", length(l[[1]]), paste0(":", f17(unlist(l)), collapse = ""))
emit <- function(fn, args, value, flags = 0) {
  cat(fn, "|", paste(args, collapse = ","), "|", flags, "|", paste(f17(as.vector(value)), collapse = ":"),
      "\n", sep = "")
}

# ---- scalar math ----
# round: Stan (C's round) takes halves away from zero; R's round() to even.
un <- list(
  fabs = list(abs, -1.3), exp = list(exp, 0.7), log = list(log, 2.3), log1p = list(log1p, 0.3),
  expm1 = list(expm1, -0.4), log1m = list(function(x) log1p(-x), 0.35), sqrt = list(sqrt, 2.7),
  cbrt = list(function(x) sign(x) * abs(x)^(1/3), -3.375), square = list(function(x) x^2, -1.7),
  inv = list(function(x) 1/x, 1.6), inv_sqrt = list(function(x) 1/sqrt(x), 2.2),
  inv_square = list(function(x) 1/x^2, 0.8), inv_logit = list(plogis, 0.9), logit = list(qlogis, 0.3),
  log_inv_logit = list(function(x) plogis(x, log.p = TRUE), -2.1),
  log1m_inv_logit = list(function(x) plogis(x, lower.tail = FALSE, log.p = TRUE), 1.4),
  log1p_exp = list(function(x) log1p(exp(x)), 1.2), log1m_exp = list(function(x) log(-expm1(x)), -0.6),
  lgamma = list(lgamma, 3.7), tgamma = list(gamma, 2.4), digamma = list(digamma, 1.9),
  Phi = list(pnorm, -1.1), Phi_approx = list(function(x) plogis(0.07056 * x^3 + 1.5976 * x), 0.8),
  erf = list(function(x) 2 * pnorm(x * sqrt(2)) - 1, 0.6), erfc = list(function(x) 2 * pnorm(-x * sqrt(2)), 0.6),
  sin = list(sin, 0.9), cos = list(cos, 0.9), tan = list(tan, 0.9), asin = list(asin, 0.4),
  acos = list(acos, 0.4), atan = list(atan, 1.3), sinh = list(sinh, 0.8), cosh = list(cosh, 0.8),
  tanh = list(tanh, 0.8), floor = list(floor, -1.5), ceil = list(ceiling, -1.5), round = list(function(x) sign(x) * floor(abs(x) + 0.5), 2.5),
  trunc = list(trunc, -2.7), exp2 = list(function(x) 2^x, 1.3), step = list(function(x) as.numeric(x >= 0), -0.5),
  log2 = list(log2, 3.1), log10 = list(log10, 3.1), abs = list(abs, -2.25))
for (fn in names(un)) {
  emit(fn, R(un[[fn]][[2]]), un[[fn]][[1]](un[[fn]][[2]]))
}
emit("exp", V(c(0.1, -0.5, 1.2)), exp(c(0.1, -0.5, 1.2)))
emit("log", M(matrix(c(0.5, 1.5, 2.5, 3.5), 2)), log(c(0.5, 1.5, 2.5, 3.5)))
emit("abs", I(-4), 4)
bin <- list(
  atan2 = list(atan2, 0.3, -1.2), hypot = list(function(x, y) sqrt(x^2 + y^2), 1.5, 2.5),
  fmin = list(min, 0.4, -0.2), fmax = list(max, 0.4, -0.2), fdim = list(function(x, y) max(x - y, 0), 2.5, 1),
  lbeta = list(lbeta, 2.5, 0.7), lchoose = list(function(n, k) -log1p(n) - lbeta(n - k + 1, k + 1), 7.5, 2.5),
  log_diff_exp = list(function(a, b) a + log(-expm1(b - a)), 1.2, 0.3), pow = list(function(x, y) x^y, 1.7, 2.3),
  add = list(`+`, 1.25, -0.5), subtract = list(`-`, 1.25, -0.5), multiply = list(`*`, 1.25, -0.5),
  divide = list(`/`, 1.25, -0.5), elt_multiply = list(`*`, 1.25, -0.5), elt_divide = list(`/`, 1.25, -0.5))
for (fn in names(bin)) emit(fn, c(R(bin[[fn]][[2]]), R(bin[[fn]][[3]])), bin[[fn]][[1]](bin[[fn]][[2]], bin[[fn]][[3]]))
emit("lbeta", c(R(30), R(25)), lbeta(30, 25))
emit("add", c(V(c(1, 2, 3)), V(c(0.5, -1, 2))), c(1.5, 1, 5))
emit("pow", c(V(c(0.5, 1.5)), R(2.5)), c(0.5, 1.5)^2.5)
emit("divide", c(I(7), I(-2)), -3)
emit("modulus", c(I(-7), I(3)), -1)
emit("int_divide", c(I(7), I(2)), 3)
emit("minus", R(1.5), -1.5)
emit("multiply", c(M(matrix(c(1, 2, 3, 4, 5, 6), 2)), V(c(0.5, -1, 2))), matrix(c(1, 2, 3, 4, 5, 6), 2) %*% c(0.5, -1, 2))
emit("elt_multiply", c(V(c(1, 2)), V(c(3, -4))), c(3, -8))
emit("elt_divide", c(V(c(1, 2)), V(c(4, -4))), c(0.25, -0.5))
emit("transpose", M(matrix(c(1, 2, 3, 4, 5, 6), 2)), t(matrix(c(1, 2, 3, 4, 5, 6), 2)))
emit("fma", c(R(1.5), R(-2), R(0.25)), 1.5 * -2 + 0.25)
emit("int_step", R(0.2), 1); emit("int_step", I(0), 0)
emit("is_inf", R(Inf), 1); emit("is_nan", R(NaN), 1); emit("is_nan", R(1), 0)
emit("to_int", R(-2.7), -2); emit("to_int", A(c(3.9, -0.2)), c(3, 0))
emit("pi", c(), pi); emit("e", c(), exp(1)); emit("sqrt2", c(), sqrt(2))
emit("not_a_number", c(), NaN); emit("positive_infinity", c(), Inf); emit("negative_infinity", c(), -Inf)
emit("machine_precision", c(), .Machine$double.eps)
emit("log2", c(), log(2)); emit("log10", c(), log(10))

# ---- reductions and containers ----
x <- c(0.5, -1.2, 2.3, 0.7)
emit("sum", V(x), sum(x)); emit("sum", IA(c(1, 2, 5)), 8)
emit("prod", A(x), prod(x)); emit("mean", W(x), mean(x)); emit("variance", V(x), var(x)); emit("sd", V(x), sd(x))
emit("min", V(x), min(x)); emit("max", A(x), max(x)); emit("min", c(I(2), I(-3)), -3); emit("max", c(R(0.5), R(1.5)), 1.5)
emit("log_sum_exp", V(x), log(sum(exp(x)))); emit("log_sum_exp", c(R(-0.3), R(1.1)), log(exp(-0.3) + exp(1.1)))
th <- c(0.2, 0.5, 0.3); lp <- c(-1.5, -0.2, -2.1)
emit("log_mix", c(R(0.3), R(-1.2), R(-0.4)), log(0.3 * exp(-1.2) + 0.7 * exp(-0.4)))
emit("log_mix", c(V(th), V(lp)), log(sum(th * exp(lp))))
y <- c(1.5, 0.25, -2, 0.5)
emit("dot_product", c(V(x), V(y)), sum(x * y)); emit("dot_self", V(x), sum(x^2))
m1 <- matrix(c(1, -2, 0.5, 3, 1.5, -1), 2); m2 <- matrix(c(0.5, 1, -1, 2, 0.25, 3), 2)
emit("columns_dot_product", c(M(m1), M(m2)), colSums(m1 * m2)); emit("rows_dot_product", c(M(m1), M(m2)), rowSums(m1 * m2))
emit("columns_dot_self", M(m1), colSums(m1^2)); emit("rows_dot_self", M(m1), rowSums(m1^2))
emit("squared_distance", c(V(x), V(y)), sum((x - y)^2)); emit("distance", c(V(x), V(y)), sqrt(sum((x - y)^2)))
emit("rows", M(m1), 2); emit("cols", M(m1), 3); emit("size", A(x), 4); emit("num_elements", M(m1), 6)
emit("rep_vector", c(R(1.5), I(3)), rep(1.5, 3)); emit("rep_row_vector", c(R(-0.5), I(2)), rep(-0.5, 2))
emit("rep_matrix", c(R(2.5), I(2), I(2)), rep(2.5, 4)); emit("rep_array", c(R(0.5), I(3)), rep(0.5, 3))
emit("to_vector", M(m1), as.vector(m1)); emit("to_row_vector", A(x), x); emit("to_matrix", c(V(1:6), I(2), I(3)), 1:6)
emit("to_matrix", c(V(1:6), I(2), I(3), I(0)), as.vector(matrix(1:6, 2, byrow = TRUE)))
emit("to_array_1d", M(m1), as.vector(m1)); emit("to_array_2d", M(m1), as.vector(t(m1)))
emit("append_row", c(V(x), V(y)), c(x, y)); emit("append_col", c(W(x), W(y)), c(x, y))
emit("append_row", c(M(m1), M(m2)), rbind(m1, m2)); emit("append_col", c(M(m1), M(m2)), cbind(m1, m2))
emit("head", c(V(x), I(2)), x[1:2]); emit("tail", c(V(x), I(3)), x[2:4]); emit("segment", c(V(x), I(2), I(2)), x[2:3])
emit("reverse", V(x), rev(x)); emit("cumulative_sum", V(x), cumsum(x))
emit("softmax", V(x), exp(x) / sum(exp(x))); emit("log_softmax", V(x), x - log(sum(exp(x))))
emit("sort_asc", V(x), sort(x)); emit("sort_desc", V(x), sort(x, decreasing = TRUE)); emit("rank", c(V(x), I(3)), 3)
emit("linspaced_vector", c(I(5), R(-1), R(1)), seq(-1, 1, length.out = 5))
emit("linspaced_row_vector", c(I(3), R(0), R(1)), c(0, 0.5, 1)); emit("linspaced_array", c(I(3), R(1), R(2)), c(1, 1.5, 2))
emit("ones_vector", I(3), rep(1, 3)); emit("zeros_vector", I(2), rep(0, 2)); emit("ones_row_vector", I(2), rep(1, 2))
emit("zeros_row_vector", I(2), rep(0, 2)); emit("ones_array", I(2), rep(1, 2)); emit("zeros_array", I(2), rep(0, 2))
emit("ones_int_array", I(2), rep(1, 2)); emit("zeros_int_array", I(2), rep(0, 2))
emit("one_hot_vector", c(I(3), I(2)), c(0, 1, 0)); emit("one_hot_row_vector", c(I(3), I(3)), c(0, 0, 1))
emit("one_hot_array", c(I(2), I(1)), c(1, 0)); emit("one_hot_int_array", c(I(2), I(2)), c(0, 1))
emit("uniform_simplex", I(4), rep(0.25, 4))

# ---- linear algebra ----
S <- matrix(c(2.5, 0.4, -0.3, 0.4, 1.8, 0.6, -0.3, 0.6, 1.2), 3)
Lc <- t(chol(S)); G <- matrix(c(1.2, -0.4, 0.3, 0.7, 2.1, -1.1, 0.5, 0.2, 1.6), 3)
b <- c(0.3, -1.4, 0.8); B <- matrix(c(0.3, -1.4, 0.8, 1.1, 0.2, -0.6), 3)
emit("cholesky_decompose", M(S), Lc)
xs <- c(-1, 0.5, 2)
emit("gp_exp_quad_cov", c(A(xs), R(1.3), R(0.8)), 1.3^2 * exp(-outer(xs, xs, "-")^2 / (2 * 0.8^2)))
emit("add_diag", c(M(S), R(0.5)), S + diag(0.5, 3)); emit("add_diag", c(M(S), V(b)), S + diag(b))
emit("mdivide_left_tri_low", c(M(Lc), V(b)), forwardsolve(Lc, b))
emit("mdivide_right_tri_low", c(W(b), M(Lc)), b %*% solve(Lc))
emit("mdivide_left", c(M(G), V(b)), solve(G, b)); emit("mdivide_left", c(M(G), M(B)), solve(G, B))
emit("mdivide_right", c(W(b), M(G)), b %*% solve(G)); emit("mdivide_right", c(M(t(B)), M(G)), t(B) %*% solve(G))
emit("inverse", M(G), solve(G)); emit("log_determinant", M(G), determinant(G)$modulus); emit("determinant", M(G), det(G))
emit("crossprod", M(m1), crossprod(m1)); emit("tcrossprod", M(m1), tcrossprod(m1))
emit("multiply_lower_tri_self_transpose", M(G), { L <- G; L[upper.tri(L)] <- 0; L %*% t(L) })
emit("quad_form", c(M(G), V(b)), t(b) %*% G %*% b); emit("quad_form", c(M(G), M(B)), t(B) %*% G %*% B)
emit("quad_form_sym", c(M(S), V(b)), t(b) %*% S %*% b)
emit("trace", M(G), sum(diag(G))); emit("diag_pre_multiply", c(V(b), M(G)), diag(b) %*% G)
emit("diag_post_multiply", c(M(G), V(b)), G %*% diag(b)); emit("diag_matrix", V(b), diag(b)); emit("diagonal", M(G), diag(G))
emit("block", c(M(G), I(2), I(1), I(2), I(2)), G[2:3, 1:2]); emit("col", c(M(G), I(2)), G[, 2]); emit("row", c(M(G), I(3)), G[3, ])
emit("sub_col", c(M(G), I(2), I(3), I(2)), G[2:3, 3]); emit("sub_row", c(M(G), I(1), I(2), I(2)), G[1, 2:3])
emit("identity_matrix", I(2), diag(2))

# ---- continuous densities (scalar and vectorised) ----
yv <- c(0.3, 1.7, 0.9); mv <- c(-0.2, 0.5, 1.1); sv <- c(0.8, 1.3, 2.1)
emit("normal_lpdf", c(R(0.7), R(-0.3), R(1.9)), dnorm(0.7, -0.3, 1.9, log = TRUE))
emit("normal_lpdf", c(V(yv), V(mv), V(sv)), sum(dnorm(yv, mv, sv, log = TRUE)))
emit("std_normal_lpdf", R(-1.3), dnorm(-1.3, log = TRUE)); emit("std_normal_lpdf", V(yv), sum(dnorm(yv, log = TRUE)))
st <- function(y, nu, mu, s) dt((y - mu) / s, nu, log = TRUE) - log(s)
emit("student_t_lpdf", c(R(1.1), R(3.5), R(0.4), R(2.2)), st(1.1, 3.5, 0.4, 2.2))
emit("student_t_lpdf", c(V(yv), V(c(2, 5, 9)), R(0.4), V(sv)), sum(st(yv, c(2, 5, 9), 0.4, sv)))
emit("cauchy_lpdf", c(R(1.1), R(-0.4), R(0.7)), dcauchy(1.1, -0.4, 0.7, log = TRUE))
emit("cauchy_lpdf", c(V(yv), V(mv), R(0.7)), sum(dcauchy(yv, mv, 0.7, log = TRUE)))
de <- function(y, mu, s) -log(2 * s) - abs(y - mu) / s
emit("double_exponential_lpdf", c(R(1.1), R(-0.4), R(0.7)), de(1.1, -0.4, 0.7))
emit("double_exponential_lpdf", c(V(yv), V(mv), V(sv)), sum(de(yv, mv, sv)))
emit("logistic_lpdf", c(R(1.1), R(-0.4), R(0.7)), dlogis(1.1, -0.4, 0.7, log = TRUE))
emit("logistic_lpdf", c(V(yv), R(0.2), V(sv)), sum(dlogis(yv, 0.2, sv, log = TRUE)))
emit("lognormal_lpdf", c(R(1.1), R(-0.4), R(0.7)), dlnorm(1.1, -0.4, 0.7, log = TRUE))
emit("lognormal_lpdf", c(V(yv), V(mv), R(0.7)), sum(dlnorm(yv, mv, 0.7, log = TRUE)))
emit("exponential_lpdf", c(R(1.1), R(2.3)), dexp(1.1, 2.3, log = TRUE))
emit("exponential_lpdf", c(V(yv), V(sv)), sum(dexp(yv, sv, log = TRUE)))
emit("gamma_lpdf", c(R(1.1), R(2.3), R(0.7)), dgamma(1.1, 2.3, rate = 0.7, log = TRUE))
emit("gamma_lpdf", c(V(yv), V(sv), R(1.5)), sum(dgamma(yv, sv, rate = 1.5, log = TRUE)))
ig <- function(y, a, b) dgamma(1 / y, a, rate = b, log = TRUE) - 2 * log(y)
emit("inv_gamma_lpdf", c(R(1.1), R(2.3), R(0.7)), ig(1.1, 2.3, 0.7))
emit("inv_gamma_lpdf", c(V(yv), R(2.3), V(sv)), sum(ig(yv, 2.3, sv)))
pv <- c(0.15, 0.5, 0.85)
emit("beta_lpdf", c(R(0.35), R(2.3), R(0.7)), dbeta(0.35, 2.3, 0.7, log = TRUE))
emit("beta_lpdf", c(V(pv), V(sv), R(1.5)), sum(dbeta(pv, sv, 1.5, log = TRUE)))
emit("uniform_lpdf", c(R(0.35), R(-1), R(2.5)), dunif(0.35, -1, 2.5, log = TRUE))
emit("uniform_lpdf", c(V(yv), R(-1), V(c(2, 3, 4))), sum(dunif(yv, -1, c(2, 3, 4), log = TRUE)))
emit("chi_square_lpdf", c(R(1.1), R(2.3)), dchisq(1.1, 2.3, log = TRUE))
emit("chi_square_lpdf", c(V(yv), V(sv)), sum(dchisq(yv, sv, log = TRUE)))
ic <- function(y, nu) dchisq(1 / y, nu, log = TRUE) - 2 * log(y)
emit("inv_chi_square_lpdf", c(R(1.1), R(2.3)), ic(1.1, 2.3)); emit("inv_chi_square_lpdf", c(V(yv), R(2.3)), sum(ic(yv, 2.3)))
sic <- function(y, nu, s) (nu / 2) * log(nu / 2) - lgamma(nu / 2) + nu * log(s) - (nu / 2 + 1) * log(y) - nu * s^2 / (2 * y)
emit("scaled_inv_chi_square_lpdf", c(R(1.1), R(2.3), R(0.7)), sic(1.1, 2.3, 0.7))
emit("scaled_inv_chi_square_lpdf", c(V(yv), V(sv), R(0.7)), sum(sic(yv, sv, 0.7)))
emit("weibull_lpdf", c(R(1.1), R(2.3), R(0.7)), dweibull(1.1, 2.3, 0.7, log = TRUE))
emit("weibull_lpdf", c(V(yv), R(1.6), V(sv)), sum(dweibull(yv, 1.6, sv, log = TRUE)))
par <- function(y, m, a) log(a) + a * log(m) - (a + 1) * log(y)
emit("pareto_lpdf", c(R(2.1), R(0.7), R(1.3)), par(2.1, 0.7, 1.3)); emit("pareto_lpdf", c(V(yv + 1), R(0.3), V(sv)), sum(par(yv + 1, 0.3, sv)))
gum <- function(y, mu, b) { z <- (y - mu) / b; -log(b) - z - exp(-z) }
emit("gumbel_lpdf", c(R(1.1), R(-0.4), R(0.7)), gum(1.1, -0.4, 0.7)); emit("gumbel_lpdf", c(V(yv), V(mv), V(sv)), sum(gum(yv, mv, sv)))
sn <- function(y, xi, om, al) { z <- (y - xi) / om; log(2) - log(om) + dnorm(z, log = TRUE) + pnorm(al * z, log.p = TRUE) }
emit("skew_normal_lpdf", c(R(1.1), R(-0.4), R(0.7), R(1.5)), sn(1.1, -0.4, 0.7, 1.5))
emit("skew_normal_lpdf", c(V(yv), V(mv), R(0.7), V(c(-2, 0.5, 3))), sum(sn(yv, mv, 0.7, c(-2, 0.5, 3))))
X <- matrix(c(0.5, -1.2, 0.3, 2.1, 0.8, -0.7, 1.4, 0.2), 4); bet <- c(0.6, -0.35); yg <- c(0.4, -1.1, 2.2, 0.9)
emit("normal_id_glm_lpdf", c(V(yg), M(X), R(0.3), V(bet), R(1.4)), sum(dnorm(yg, X %*% bet + 0.3, 1.4, log = TRUE)))

# ---- cumulative (log scale) ----
# skew normal: log of the integral of the density 2 phi(t) Phi(alpha t) below
# (lo) or above z, scaled by its value at z (no cancellation, no underflow);
# a side above 1/2 is log1p(-(the other side)).
snF <- function(z, al, lo) {
  l0 <- log(2) + dnorm(z, log = TRUE) + pnorm(al * z, log.p = TRUE)
  g <- function(t) exp(log(2) + dnorm(t, log = TRUE) + pnorm(al * t, log.p = TRUE) - l0)
  vlo <- l0 + log(integrate(g, -Inf, z, rel.tol = 1e-13)$value)
  vup <- l0 + log(integrate(g, z, Inf, rel.tol = 1e-13)$value)
  if (lo) { if (vlo > log(0.5)) log1p(-exp(vup)) else vlo } else { if (vup > log(0.5)) log1p(-exp(vlo)) else vup } }
cdfs <- list(
  normal = list(c(0.7, -0.3, 1.9), function(y, m, s, lo) pnorm(y, m, s, lower.tail = lo, log.p = TRUE)),
  std_normal = list(c(-1.3), function(y, lo) pnorm(y, lower.tail = lo, log.p = TRUE)),
  student_t = list(c(1.1, 3.5, 0.4, 2.2), function(y, nu, m, s, lo) pt((y - m) / s, nu, lower.tail = lo, log.p = TRUE)),
  cauchy = list(c(1.1, -0.4, 0.7), function(y, m, s, lo) pcauchy(y, m, s, lower.tail = lo, log.p = TRUE)),
  double_exponential = list(c(1.1, -0.4, 0.7), function(y, m, s, lo) {
    p <- if (y < m) 0.5 * exp((y - m) / s) else 1 - 0.5 * exp(-(y - m) / s)
    q <- if (y < m) 1 - 0.5 * exp((y - m) / s) else 0.5 * exp(-(y - m) / s)
    log(if (lo) p else q) }),
  logistic = list(c(1.1, -0.4, 0.7), function(y, m, s, lo) plogis(y, m, s, lower.tail = lo, log.p = TRUE)),
  lognormal = list(c(1.1, -0.4, 0.7), function(y, m, s, lo) plnorm(y, m, s, lower.tail = lo, log.p = TRUE)),
  exponential = list(c(1.1, 2.3), function(y, b, lo) pexp(y, b, lower.tail = lo, log.p = TRUE)),
  gamma = list(c(1.1, 2.3, 0.7), function(y, a, b, lo) pgamma(y, a, rate = b, lower.tail = lo, log.p = TRUE)),
  inv_gamma = list(c(1.1, 2.3, 0.7), function(y, a, b, lo) pgamma(1 / y, a, rate = b, lower.tail = !lo, log.p = TRUE)),
  beta = list(c(0.35, 2.3, 0.7), function(y, a, b, lo) pbeta(y, a, b, lower.tail = lo, log.p = TRUE)),
  uniform = list(c(0.35, -1, 2.5), function(y, a, b, lo) punif(y, a, b, lower.tail = lo, log.p = TRUE)),
  chi_square = list(c(1.1, 2.3), function(y, nu, lo) pchisq(y, nu, lower.tail = lo, log.p = TRUE)),
  inv_chi_square = list(c(1.1, 2.3), function(y, nu, lo) pchisq(1 / y, nu, lower.tail = !lo, log.p = TRUE)),
  scaled_inv_chi_square = list(c(1.1, 2.3, 0.7), function(y, nu, s, lo)
    pgamma(nu * s^2 / (2 * y), nu / 2, lower.tail = !lo, log.p = TRUE)),
  weibull = list(c(1.1, 2.3, 0.7), function(y, a, s, lo) pweibull(y, a, s, lower.tail = lo, log.p = TRUE)),
  pareto = list(c(2.1, 0.7, 1.3), function(y, m, a, lo) if (lo) log1p(-(m / y)^a) else a * log(m / y)),
  gumbel = list(c(1.1, -0.4, 0.7), function(y, m, b, lo) { F <- -exp(-(y - m) / b); if (lo) F else log(-expm1(F)) }),
  skew_normal = list(c(1.1, -0.4, 0.7, 1.5), function(y, xi, om, al, lo) snF((y - xi) / om, al, lo)))
for (d in names(cdfs)) {
  a <- cdfs[[d]][[1]]; fun <- cdfs[[d]][[2]]
  emit(paste0(d, "_lcdf"), sapply(a, R), do.call(fun, c(as.list(a), TRUE)))
  emit(paste0(d, "_lccdf"), sapply(a, R), do.call(fun, c(as.list(a), FALSE)))
}
# the other branch of the series / continued fraction, and vectorised forms
emit("gamma_lcdf", c(R(7.5), R(1.5), R(1.2)), pgamma(7.5, 1.5, rate = 1.2, log.p = TRUE))
emit("gamma_lccdf", c(V(c(0.2, 3, 9)), R(2.5), V(c(0.5, 1, 1.5))), sum(pgamma(c(0.2, 3, 9), 2.5, rate = c(0.5, 1, 1.5), lower.tail = FALSE, log.p = TRUE)))
emit("beta_lcdf", c(R(0.97), R(0.6), R(3.5)), pbeta(0.97, 0.6, 3.5, log.p = TRUE))
emit("beta_lccdf", c(V(pv), R(2.5), V(c(0.5, 1, 4))), sum(pbeta(pv, 2.5, c(0.5, 1, 4), lower.tail = FALSE, log.p = TRUE)))
emit("student_t_lcdf", c(R(-4.5), R(2.5), R(0.3), R(0.9)), pt((-4.5 - 0.3) / 0.9, 2.5, log.p = TRUE))
emit("student_t_lccdf", c(V(c(-1, 0.2, 3)), V(c(1.5, 4, 30)), R(0.1), R(1.2)), sum(pt((c(-1, 0.2, 3) - 0.1) / 1.2, c(1.5, 4, 30), lower.tail = FALSE, log.p = TRUE)))
emit("chi_square_lccdf", c(R(12.5), R(3.3)), pchisq(12.5, 3.3, lower.tail = FALSE, log.p = TRUE))
emit("inv_chi_square_lcdf", c(R(0.05), R(2.3)), pchisq(1 / 0.05, 2.3, lower.tail = FALSE, log.p = TRUE))
emit("normal_lcdf", c(R(-30), R(0), R(1)), pnorm(-30, log.p = TRUE))

# ---- discrete ----
emit("bernoulli_lpmf", c(I(1), R(0.3)), log(0.3)); emit("bernoulli_lpmf", c(IA(c(1, 0, 1)), V(pv)), sum(dbinom(c(1, 0, 1), 1, pv, log = TRUE)))
emit("bernoulli_logit_lpmf", c(I(0), R(0.8)), log(plogis(-0.8)))
emit("bernoulli_logit_lpmf", c(IA(c(1, 0, 1)), V(mv)), sum(dbinom(c(1, 0, 1), 1, plogis(mv), log = TRUE)))
emit("binomial_lpmf", c(I(3), I(8), R(0.35)), dbinom(3, 8, 0.35, log = TRUE))
emit("binomial_lpmf", c(IA(c(3, 0, 5)), IA(c(8, 4, 5)), V(pv)), sum(dbinom(c(3, 0, 5), c(8, 4, 5), pv, log = TRUE)))
emit("binomial_logit_lpmf", c(I(3), I(8), R(-0.4)), dbinom(3, 8, plogis(-0.4), log = TRUE))
bb <- function(n, N, a, b) lchoose(N, n) + lbeta(n + a, N - n + b) - lbeta(a, b)
emit("beta_binomial_lpmf", c(I(3), I(8), R(1.5), R(2.5)), bb(3, 8, 1.5, 2.5))
emit("beta_binomial_lpmf", c(IA(c(3, 0, 5)), I(6), V(sv), R(0.8)), sum(bb(c(3, 0, 5), 6, sv, 0.8)))
emit("poisson_lpmf", c(I(4), R(2.7)), dpois(4, 2.7, log = TRUE)); emit("poisson_lpmf", c(IA(c(0, 3, 7)), V(sv * 2)), sum(dpois(c(0, 3, 7), sv * 2, log = TRUE)))
emit("poisson_log_lpmf", c(I(4), R(0.9)), dpois(4, exp(0.9), log = TRUE))
emit("neg_binomial_lpmf", c(I(4), R(2.5), R(0.8)), dnbinom(4, size = 2.5, prob = 0.8 / 1.8, log = TRUE))
emit("neg_binomial_2_lpmf", c(I(4), R(2.5), R(1.7)), dnbinom(4, size = 1.7, mu = 2.5, log = TRUE))
emit("neg_binomial_2_lpmf", c(IA(c(0, 3, 7)), V(sv), R(1.7)), sum(dnbinom(c(0, 3, 7), size = 1.7, mu = sv, log = TRUE)))
emit("neg_binomial_2_log_lpmf", c(I(4), R(0.6), R(1.7)), dnbinom(4, size = 1.7, mu = exp(0.6), log = TRUE))
yb <- c(1, 0, 0, 1); yp <- c(2, 0, 5, 1)
emit("bernoulli_logit_glm_lpmf", c(IA(yb), M(X), R(0.3), V(bet)), sum(dbinom(yb, 1, plogis(X %*% bet + 0.3), log = TRUE)))
emit("poisson_log_glm_lpmf", c(IA(yp), M(X), R(0.3), V(bet)), sum(dpois(yp, exp(X %*% bet + 0.3), log = TRUE)))
emit("categorical_lpmf", c(I(2), V(th)), log(0.5)); emit("categorical_lpmf", c(IA(c(1, 3, 3)), V(th)), log(0.2) + 2 * log(0.3))
emit("categorical_logit_lpmf", c(IA(c(1, 3)), V(lp)), sum((lp - log(sum(exp(lp))))[c(1, 3)]))
ol <- function(y, eta, cc) { K <- length(cc) + 1
  p <- if (y == 1) 1 - plogis(eta - cc[1]) else if (y == K) plogis(eta - cc[K - 1]) else plogis(eta - cc[y - 1]) - plogis(eta - cc[y])
  log(p) }
cuts <- c(-1.2, 0.1, 1.3)
emit("ordered_logistic_lpmf", c(I(2), R(0.4), V(cuts)), ol(2, 0.4, cuts))
emit("ordered_logistic_lpmf", c(IA(c(1, 4, 3)), V(c(0.4, -0.3, 2)), V(cuts)), ol(1, 0.4, cuts) + ol(4, -0.3, cuts) + ol(3, 2, cuts))

# ---- multivariate ----
mu3 <- c(0.1, -0.3, 0.4); y3 <- c(0.5, 0.2, -0.8); y3b <- c(-1, 0.4, 0.3)
emit("multi_normal_lpdf", c(V(y3), V(mu3), M(S)), dmvnorm(y3, mu3, S, log = TRUE))
emit("multi_normal_lpdf", c(AV(list(y3, y3b)), V(mu3), M(S)), sum(dmvnorm(rbind(y3, y3b), mu3, S, log = TRUE)))
emit("multi_normal_cholesky_lpdf", c(V(y3), V(mu3), M(Lc)), dmvnorm(y3, mu3, S, log = TRUE))
emit("multi_normal_cholesky_lpdf", c(AV(list(y3, y3b)), AV(list(mu3, -mu3)), M(Lc)),
     dmvnorm(y3, mu3, S, log = TRUE) + dmvnorm(y3b, -mu3, S, log = TRUE))
emit("multi_student_t_lpdf", c(V(y3), R(4.5), V(mu3), M(S)), dmvt(y3, delta = mu3, sigma = S, df = 4.5, log = TRUE))
al <- c(1.5, 0.7, 2.2)
emit("dirichlet_lpdf", c(V(th), V(al)), lgamma(sum(al)) - sum(lgamma(al)) + sum((al - 1) * log(th)))
lkjc <- function(K, eta) { s <- 0
  for (k in 1:(K - 1)) s <- s + (2 * eta - 2 + K - k) * (K - k) * log(2) + (K - k) * lbeta(eta + (K - k - 1) / 2, eta + (K - k - 1) / 2)
  s }
Dh <- diag(1 / sqrt(diag(S))); Cr <- Dh %*% S %*% Dh; Lr <- t(chol(Cr))
emit("lkj_corr_lpdf", c(M(Cr), R(1.7)), (1.7 - 1) * log(det(Cr)) - lkjc(3, 1.7))
emit("lkj_corr_cholesky_lpdf", c(M(Lr), R(1.7)), sum((3 - 2:3 + 2 * 1.7 - 2) * log(diag(Lr)[2:3])) - lkjc(3, 1.7))

# ---- far tails and both branches of the incomplete gamma / beta ----
for (a in c(0.05, 3, 150)) for (y in c(0.001, 2, 200)) {
  emit("gamma_lcdf", c(R(y), R(a), R(1.3)), pgamma(y, a, rate = 1.3, log.p = TRUE))
  emit("gamma_lccdf", c(R(y), R(a), R(1.3)), pgamma(y, a, rate = 1.3, lower.tail = FALSE, log.p = TRUE))
}
for (a in c(0.05, 3, 40)) for (b in c(0.1, 7, 60)) for (y in c(1e-4, 0.4, 0.999)) {
  emit("beta_lcdf", c(R(y), R(a), R(b)), pbeta(y, a, b, log.p = TRUE))
  emit("beta_lccdf", c(R(y), R(a), R(b)), pbeta(y, a, b, lower.tail = FALSE, log.p = TRUE))
}
for (nu in c(0.3, 4.5, 1e4)) for (y in c(-40, -0.5, 1e-3, 100)) {
  emit("student_t_lcdf", c(R(y), R(nu), R(0), R(1)), pt(y, nu, log.p = TRUE))
  emit("student_t_lccdf", c(R(y), R(nu), R(0), R(1)), pt(y, nu, lower.tail = FALSE, log.p = TRUE))
}
for (al in c(-3, 0.5, 4)) for (z in c(-2.5, 0.3, 2)) {
  emit("skew_normal_lcdf", c(R(z), R(0), R(1), R(al)), snF(z, al, TRUE))
  emit("skew_normal_lccdf", c(R(z), R(0), R(1), R(al)), snF(z, al, FALSE))
}
