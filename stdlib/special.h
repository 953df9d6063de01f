/* special.h: scalar special functions shared by the standard library
 * (math.c, the distributions). Plain doubles, no tape: callers write the
 * derivatives themselves (the derivative of each is noted below).
 *
 * All functions are pure and thread-safe (no signgam, no static state).
 * Accuracy: about 1e-15 relative unless noted. NaN in gives NaN out. */
#ifndef VI_STDLIB_SPECIAL_H
#define VI_STDLIB_SPECIAL_H

#define VI_LOG_SQRT_2PI 0.91893853320467274178032973640562 /* log(sqrt(2 pi)) */
#define VI_LOG_PI 1.14472988584940017414342735135305       /* log(pi) */
#define VI_LOG2 0.69314718055994530941723212145818         /* log(2) */
#define VI_SQRT2 1.41421356237309504880168872420970        /* sqrt(2) */
#define VI_INV_SQRT_2PI 0.39894228040143267793994605993438 /* 1 / sqrt(2 pi) */

/* log |Gamma(x)|; +Inf at 0 and the negative integers. Thread-safe.
 * d/dx = digamma(x). */
double vi_lgamma(double x);
/* digamma(x) = d/dx log Gamma(x); NaN at 0 and the negative integers.
 * d/dx = trigamma(x). */
double vi_digamma(double x);
/* trigamma(x) = d^2/dx^2 log Gamma(x); +Inf at 0 and the negative integers. */
double vi_trigamma(double x);

/* log(1 + exp(x)), without overflow for large x. d/dx = inv_logit(x). */
double vi_log1p_exp(double x);
/* log(1 - exp(x)) for x <= 0 (-Inf at 0, NaN for x > 0).
 * d/dx = -1 / expm1(-x). */
double vi_log1m_exp(double x);
/* 1 / (1 + exp(-x)), accurate in both tails. d/dx = y (1 - y). */
double vi_inv_logit(double x);
/* log(p / (1 - p)); -Inf at 0, +Inf at 1, NaN outside [0, 1].
 * d/dp = 1 / (p (1 - p)). */
double vi_logit(double p);
/* log(inv_logit(x)) = -log1p_exp(-x). d/dx = inv_logit(-x). */
double vi_log_inv_logit(double x);
/* log(1 - inv_logit(x)) = -log1p_exp(x). d/dx = -inv_logit(x). */
double vi_log1m_inv_logit(double x);

/* log Beta(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), a, b > 0.
 * Computed without cancellation when a or b is large.
 * d/da = digamma(a) - digamma(a + b). */
double vi_lbeta(double a, double b);
/* log binomial coefficient log C(n, k) for real n >= 0, 0 <= k <= n:
 * -log1p(n) - lbeta(n - k + 1, k + 1). NaN outside that domain.
 * d/dn = digamma(n + 1) - digamma(n - k + 1);
 * d/dk = digamma(n - k + 1) - digamma(k + 1). */
double vi_lchoose(double n, double k);

/* Standard normal cdf, accurate in the lower tail (relative). d/dx = phi(x). */
double vi_Phi(double x);
/* log Phi(x), accurate far into the lower tail. d/dx = phi(x) / Phi(x). */
double vi_log_Phi(double x);
/* Inverse of Phi on (0, 1); -Inf at 0, +Inf at 1, NaN outside.
 * d/dp = 1 / phi(inv_Phi(p)). */
double vi_inv_Phi(double p);

/* log(exp(a) + exp(b)); -Inf when both are -Inf. da = exp(a - y). */
double vi_log_sum_exp2(double a, double b);
/* log(exp(a) - exp(b)) for a >= b (-Inf at a == b, NaN for a < b).
 * da = 1 / (1 - exp(b - a)) = -1 / expm1(b - a);  db = -1 / expm1(a - b). */
double vi_log_diff_exp(double a, double b);

/* Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a),
 * a > 0, x >= 0 (NaN otherwise). d/dx = x^(a-1) e^-x / Gamma(a).
 * Accuracy about 1e-14 relative. */
double vi_gamma_p(double a, double x);
/* Upper regularized incomplete gamma Q(a, x) = 1 - P(a, x), accurate when
 * small. */
double vi_gamma_q(double a, double x);
/* Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1 (NaN
 * otherwise). d/dx = x^(a-1) (1-x)^(b-1) / Beta(a, b). About 1e-14 relative. */
double vi_inc_beta(double a, double b, double x);

/* A regularized incomplete function F of two shapes (the second unused for
 * the gamma) on the log scale: lp = log F, lq = log(1 - F), each accurate
 * where it is small (no underflow far in the tails), and their derivatives
 * with respect to the shapes: dlp[k] = d lp / d shape_k, dlq[k] likewise. */
struct vi_inc_log {
  double lp, lq;
  double dlp[2], dlq[2];
};
/* log P(a, x), log Q(a, x) and their derivatives in a, for a > 0, x >= 0
 * (NaNs otherwise). The derivative is the exact derivative of the series
 * (x < a + 1) or of the continued fraction (x >= a + 1), differentiated term
 * by term (forward mode). d P / dx = x^(a-1) e^-x / Gamma(a). */
struct vi_inc_log vi_gamma_pq_log(double a, double x);
/* log I_x(a, b), log(1 - I_x(a, b)) and their derivatives in a (k = 0) and
 * b (k = 1), for a, b > 0, 0 <= x <= 1 (NaNs otherwise); the continued
 * fraction differentiated term by term. dI/dx = x^(a-1) (1-x)^(b-1) / B(a, b). */
struct vi_inc_log vi_inc_beta_log(double a, double b, double x);
/* Owen's T function T(h, a) = (1 / 2 pi) int_0^a exp(-h^2 (1 + t^2) / 2) / (1 + t^2) dt,
 * by adaptive Gauss-Kronrod quadrature (|a| <= 1) and the reflection
 * T(h, a) = (p + q) / 2 - p q - T(a h, 1 / a), p = Phi(-h), q = Phi(-a h)
 * (h, a >= 0). dT/da = exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2)). */
double vi_owens_t(double h, double a);
/* log F(z) of the standard skew normal with shape alpha in its lower tail
 * (z < 0, alpha > 0; NaN otherwise), where Phi(z) - 2 T(z, alpha) cancels:
 * adaptive quadrature of int_0^inf 2 phi(z - u) Phi(alpha (z - u)) du,
 * scaled by the integrand at u = 0 so that it does not underflow. */
double vi_skew_normal_lower_log(double z, double alpha);

/* log I0(x) and I1(x) / I0(x) (modified Bessel functions of the first kind),
 * x >= 0: the power series below 30, the large-argument expansion
 * (truncated at its smallest term, error below 1e-17 relative) above.
 * log I0(0) = 0, ratio 0; NaN for x < 0 or NaN; +Inf gives +Inf and 1. */
double vi_log_bessel_i0(double x);
double vi_bessel_i1_i0(double x);

#endif
