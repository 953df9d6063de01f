/* special.c: scalar special functions (stdlib/special.h).
 *
 * Our own implementations of textbook methods: recurrence plus asymptotic
 * series for digamma/trigamma, Stirling's series for lbeta with large
 * arguments, a rational first guess refined by Halley steps for inv_Phi,
 * series and Lentz continued fractions for the incomplete gamma and beta
 * functions; their derivatives in the shapes by forward-mode differentiation
 * of the same series and continued fractions; Owen's T and the skew-normal
 * tail by adaptive Gauss-Kronrod quadrature. Reference values in
 * tests/test_stdlib_grad.c and tests/reference/values.txt come from R. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* lgamma_r */
#endif
#include "special.h"

#include <float.h>
#include <math.h>

#define VI_PI 3.14159265358979323846264338327950

double vi_lgamma(double x) {
#if defined(__GLIBC__) || defined(__APPLE__)
  int sign;
  return lgamma_r(x, &sign);
#else
  return lgamma(x); /* C17 lgamma may write signgam; no reentrant variant here */
#endif
}

double vi_digamma(double x) {
  if (isnan(x)) return x;
  if (x <= 0 && x == floor(x)) return NAN; /* poles */
  if (x == INFINITY) return INFINITY;
  double r = 0;
  if (x < 0) {
    /* reflection: psi(x) = psi(1 - x) - pi cot(pi x); cot has period pi */
    double f = x - floor(x);
    r = -VI_PI / tan(VI_PI * f);
    x = 1 - x;
  }
  while (x < 10) { /* psi(x) = psi(x + 1) - 1/x */
    r -= 1 / x;
    x += 1;
  }
  /* psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k), error < 1e-17 at x >= 10 */
  double z = 1 / (x * x);
  double s = z * (1.0 / 12 -
                  z * (1.0 / 120 -
                       z * (1.0 / 252 -
                            z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
  return r + log(x) - 0.5 / x - s;
}

double vi_trigamma(double x) {
  if (isnan(x)) return x;
  if (x <= 0 && x == floor(x)) return INFINITY;
  if (x == INFINITY) return 0;
  if (x < 0) {
    /* reflection: psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x) */
    double s = sin(VI_PI * (x - floor(x)));
    return VI_PI * VI_PI / (s * s) - vi_trigamma(1 - x);
  }
  double r = 0;
  while (x < 10) { /* psi1(x) = psi1(x + 1) + 1/x^2 */
    r += 1 / (x * x);
    x += 1;
  }
  /* psi1(x) ~ 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1) */
  double z = 1 / (x * x);
  double s = z * (1.0 / 6 -
                  z * (1.0 / 30 -
                       z * (1.0 / 42 - z * (1.0 / 30 - z * (5.0 / 66 - z * (691.0 / 2730 - z * 7.0 / 6))))));
  return r + (1 + 0.5 / x + s) / x;
}

double vi_log1p_exp(double x) {
  if (x > 0) return x + log1p(exp(-x));
  return log1p(exp(x));
}

double vi_log1m_exp(double x) {
  if (isnan(x)) return x;
  if (x > 0) return NAN;
  if (x == 0) return -INFINITY;
  if (x > -VI_LOG2) return log(-expm1(x));
  return log1p(-exp(x));
}

double vi_inv_logit(double x) {
  if (x >= 0) return 1 / (1 + exp(-x));
  double e = exp(x);
  return e / (1 + e);
}

double vi_logit(double p) {
  if (p >= 0.25 && p <= 0.75) return log1p((2 * p - 1) / (1 - p)); /* no cancellation near 1/2 */
  return log(p) - log1p(-p);
}

double vi_log_inv_logit(double x) { return -vi_log1p_exp(-x); }

double vi_log1m_inv_logit(double x) { return -vi_log1p_exp(x); }

/* lgamma(x) - Stirling's approximation (x - 1/2) log x - x + log sqrt(2 pi),
 * for x >= 10 (error < 1e-16). */
static double stirling_corr(double x) {
  double z = 1 / (x * x);
  return (1.0 / 12 -
          z * (1.0 / 360 -
               z * (1.0 / 1260 - z * (1.0 / 1680 - z * (1.0 / 1188 - z * (691.0 / 360360 - z / 156)))))) /
         x;
}

double vi_lbeta(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  double x = a < b ? a : b, y = a < b ? b : a; /* x <= y */
  if (x < 0) return NAN;
  if (x == 0) return INFINITY;
  if (y == INFINITY) return -INFINITY;
  if (y < 10) return vi_lgamma(x) + vi_lgamma(y) - vi_lgamma(x + y);
  if (x < 10) {
    /* lgamma(y) - lgamma(x + y) by Stirling, without the cancellation */
    double d = stirling_corr(y) - stirling_corr(x + y);
    return vi_lgamma(x) + d - (y - 0.5) * log1p(x / y) - x * log(x + y) + x;
  }
  double d = stirling_corr(x) + stirling_corr(y) - stirling_corr(x + y);
  return VI_LOG_SQRT_2PI + d + (x - 0.5) * log(x / (x + y)) - y * log1p(x / y) - 0.5 * log(y);
}

double vi_lchoose(double n, double k) {
  if (isnan(n) || isnan(k)) return n + k;
  if (n <= -1 || k <= -1 || k >= n + 1) return NAN;
  return -log1p(n) - vi_lbeta(n - k + 1, k + 1);
}

double vi_Phi(double x) {
  if (isnan(x)) return x;
  return 0.5 * erfc(-x / VI_SQRT2);
}

double vi_log_Phi(double x) {
  if (isnan(x)) return x;
  if (x > 0) return log1p(-0.5 * erfc(x / VI_SQRT2));
  if (x > -30) return log(0.5 * erfc(-x / VI_SQRT2));
  if (x == -INFINITY) return -INFINITY;
  /* Phi(x) = phi(x)/(-x) (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...), x -> -Inf */
  double z = 1 / (x * x);
  double s = z * (1 - z * (3 - z * (15 - z * (105 - z * (945 - z * 10395)))));
  return -0.5 * x * x - log(-x) - VI_LOG_SQRT_2PI + log1p(-s);
}

/* inv_Phi for p <= 1/2: rational first guess (relative error ~1e-9),
 * refined by Halley steps on Phi(x) - p, which Phi computes with small
 * relative error in the lower tail. */
static double inv_Phi_lower(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    double q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  for (int it = 0; it < 2; it++) {
    double dens = VI_INV_SQRT_2PI * exp(-0.5 * x * x);
    if (!(dens > 0)) break;
    double u = (vi_Phi(x) - p) / dens;
    x -= u / (1 + 0.5 * x * u);
  }
  return x;
}

double vi_inv_Phi(double p) {
  if (isnan(p) || p < 0 || p > 1) return NAN;
  if (p == 0) return -INFINITY;
  if (p == 1) return INFINITY;
  if (p > 0.5) return -inv_Phi_lower(1 - p); /* 1 - p is exact here */
  return inv_Phi_lower(p);
}

double vi_log_sum_exp2(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  if (a == -INFINITY) return b;
  if (b == -INFINITY) return a;
  if (a == INFINITY || b == INFINITY) return INFINITY;
  double m = a > b ? a : b;
  return m + log1p(exp(-fabs(a - b)));
}

double vi_log_diff_exp(double a, double b) {
  if (isnan(a) || isnan(b)) return a + b;
  if (b > a) return NAN;
  if (b == -INFINITY) return a;
  if (a == b) return a == INFINITY ? NAN : -INFINITY;
  return a + vi_log1m_exp(b - a);
}

/* ---- incomplete gamma ---- */

enum { INC_MAXIT = 100000 };
#define INC_TINY 1e-300

/* x^a e^-x / Gamma(a), the common prefactor. */
static double gamma_prefactor(double a, double x) {
  return exp(a * log(x) - x - vi_lgamma(a));
}

/* P(a, x) by its power series, for x < a + 1. */
static double gamma_p_series(double a, double x) {
  double term = 1 / a, sum = term;
  for (int n = 1; n < INC_MAXIT; n++) {
    term *= x / (a + n);
    sum += term;
    if (fabs(term) < fabs(sum) * DBL_EPSILON * 0.5) break;
  }
  return sum * gamma_prefactor(a, x);
}

/* Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1. */
static double gamma_q_cf(double a, double x) {
  double bb = x + 1 - a, cc = 1 / INC_TINY, dd = 1 / bb, h = dd;
  for (int i = 1; i < INC_MAXIT; i++) {
    double an = -i * (i - a);
    bb += 2;
    dd = an * dd + bb;
    if (fabs(dd) < INC_TINY) dd = INC_TINY;
    cc = bb + an / cc;
    if (fabs(cc) < INC_TINY) cc = INC_TINY;
    dd = 1 / dd;
    double del = dd * cc;
    h *= del;
    if (fabs(del - 1) < DBL_EPSILON) break;
  }
  return gamma_prefactor(a, x) * h;
}

double vi_gamma_p(double a, double x) {
  if (isnan(a) || isnan(x) || a <= 0 || x < 0) return NAN;
  if (x == 0) return 0;
  if (x == INFINITY) return 1;
  if (x < a + 1) return gamma_p_series(a, x);
  return 1 - gamma_q_cf(a, x);
}

double vi_gamma_q(double a, double x) {
  if (isnan(a) || isnan(x) || a <= 0 || x < 0) return NAN;
  if (x == 0) return 1;
  if (x == INFINITY) return 0;
  if (x < a + 1) return 1 - gamma_p_series(a, x);
  return gamma_q_cf(a, x);
}

/* ---- incomplete beta ---- */

/* The continued fraction for I_x(a, b) (modified Lentz); converges fast
 * for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x) {
  double qab = a + b, qap = a + 1, qam = a - 1;
  double cc = 1, dd = 1 - qab * x / qap;
  if (fabs(dd) < INC_TINY) dd = INC_TINY;
  dd = 1 / dd;
  double h = dd;
  for (int m = 1; m < INC_MAXIT; m++) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    dd = 1 + aa * dd;
    if (fabs(dd) < INC_TINY) dd = INC_TINY;
    cc = 1 + aa / cc;
    if (fabs(cc) < INC_TINY) cc = INC_TINY;
    dd = 1 / dd;
    h *= dd * cc;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    dd = 1 + aa * dd;
    if (fabs(dd) < INC_TINY) dd = INC_TINY;
    cc = 1 + aa / cc;
    if (fabs(cc) < INC_TINY) cc = INC_TINY;
    dd = 1 / dd;
    double del = dd * cc;
    h *= del;
    if (fabs(del - 1) < DBL_EPSILON) break;
  }
  return h;
}

double vi_inc_beta(double a, double b, double x) {
  if (isnan(a) || isnan(b) || isnan(x) || a <= 0 || b <= 0 || x < 0 || x > 1) return NAN;
  if (x == 0) return 0;
  if (x == 1) return 1;
  double lbt = a * log(x) + b * log1p(-x) - vi_lbeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return exp(lbt) * beta_cf(a, b, x) / a;
  return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

/* ---- derivatives of the incomplete gamma and beta in their shapes ----
 *
 * Forward mode: every quantity of the series / continued fraction carries
 * its derivatives with respect to the two shapes (struct dual), so the
 * result is the exact derivative of the truncated expansion; iteration stops
 * when both the value and the derivatives have converged. */

struct dual {
  double v, da, db;
};

static struct dual dual_c(double v) {
  struct dual r = {v, 0, 0};
  return r;
}
static struct dual dual_add(struct dual x, struct dual y) {
  struct dual r = {x.v + y.v, x.da + y.da, x.db + y.db};
  return r;
}
static struct dual dual_mul(struct dual x, struct dual y) {
  struct dual r = {x.v * y.v, x.da * y.v + x.v * y.da, x.db * y.v + x.v * y.db};
  return r;
}
static struct dual dual_div(struct dual x, struct dual y) {
  double inv = 1 / y.v, q = x.v * inv;
  struct dual r = {q, (x.da - q * y.da) * inv, (x.db - q * y.db) * inv};
  return r;
}
/* Replaces a value too close to 0 by INC_TINY (Lentz's guard). */
static struct dual dual_guard(struct dual x) {
  if (fabs(x.v) < INC_TINY) x.v = INC_TINY;
  return x;
}
static int dual_conv(struct dual del, struct dual h) {
  double tol = 4 * DBL_EPSILON;
  return fabs(del.v - 1) < tol && fabs(del.da * h.v) <= tol * fabs(h.da) + 1e-300 &&
         fabs(del.db * h.v) <= tol * fabs(h.db) + 1e-300;
}

/* Fills the complement side of r from the side k (0: lp known, 1: lq known). */
static void inc_complement(struct vi_inc_log *r, int known_q) {
  if (known_q) {
    r->lp = vi_log1m_exp(r->lq);
    double w = -exp(r->lq - r->lp);
    r->dlp[0] = w * r->dlq[0];
    r->dlp[1] = w * r->dlq[1];
  } else {
    r->lq = vi_log1m_exp(r->lp);
    double w = -exp(r->lp - r->lq);
    r->dlq[0] = w * r->dlp[0];
    r->dlq[1] = w * r->dlp[1];
  }
}

struct vi_inc_log vi_gamma_pq_log(double a, double x) {
  struct vi_inc_log r = {NAN, NAN, {NAN, 0}, {NAN, 0}};
  if (isnan(a) || isnan(x) || a <= 0 || x < 0) return r;
  if (x == 0 || x == INFINITY) {
    r.lp = x == 0 ? -INFINITY : 0;
    r.lq = x == 0 ? 0 : -INFINITY;
    r.dlp[0] = r.dlq[0] = 0;
    return r;
  }
  double lx = log(x);
  if (x < a + 1) {
    /* P = x^a e^-x / Gamma(a + 1) * S, S = sum_n x^n / ((a+1)...(a+n)) */
    double t = 1, dt = 0, sum = 1, ds = 0;
    for (int n = 1; n < INC_MAXIT; n++) {
      double q = x / (a + n);
      dt = dt * q - t * q / (a + n);
      t *= q;
      sum += t;
      ds += dt;
      if (t < sum * DBL_EPSILON * 0.25 && fabs(dt) <= fabs(ds) * DBL_EPSILON * 0.25) break;
    }
    r.lp = a * lx - x - vi_lgamma(a + 1) + log(sum);
    r.dlp[0] = lx - vi_digamma(a + 1) + ds / sum;
    inc_complement(&r, 0);
    return r;
  }
  /* Q = x^a e^-x / Gamma(a) * h, h the continued fraction of gamma_q_cf */
  struct dual bb = {x + 1 - a, -1, 0};
  struct dual cc = dual_c(1 / INC_TINY), dd = dual_div(dual_c(1), bb), h = dd;
  for (int i = 1; i < INC_MAXIT; i++) {
    struct dual an = {-i * (i - a), i, 0};
    bb.v += 2;
    dd = dual_guard(dual_add(dual_mul(an, dd), bb));
    cc = dual_guard(dual_add(bb, dual_div(an, cc)));
    dd = dual_div(dual_c(1), dd);
    struct dual del = dual_mul(dd, cc);
    h = dual_mul(h, del);
    if (dual_conv(del, h)) break;
  }
  r.lq = a * lx - x - vi_lgamma(a) + log(h.v);
  r.dlq[0] = lx - vi_digamma(a) + h.da / h.v;
  inc_complement(&r, 1);
  return r;
}

/* The continued fraction of beta_cf with derivatives in a (da) and b (db). */
static struct dual beta_cf_dual(double a, double b, double x) {
  struct dual A = {a, 1, 0}, B = {b, 0, 1}, X = dual_c(x);
  struct dual qab = dual_add(A, B), qap = dual_add(A, dual_c(1));
  struct dual cc = dual_c(1);
  struct dual dd = dual_add(dual_c(1), dual_div(dual_mul(dual_c(-1), dual_mul(qab, X)), qap));
  dd = dual_div(dual_c(1), dual_guard(dd));
  struct dual h = dd;
  for (int m = 1; m < INC_MAXIT; m++) {
    struct dual M = dual_c(m), M2 = dual_c(2 * m);
    /* even step: m (b - m) x / ((a - 1 + 2m) (a + 2m)) */
    struct dual num = dual_mul(dual_mul(M, dual_add(B, dual_c(-m))), X);
    struct dual den = dual_mul(dual_add(A, dual_c(2 * m - 1)), dual_add(A, M2));
    struct dual aa = dual_div(num, den);
    dd = dual_guard(dual_add(dual_c(1), dual_mul(aa, dd)));
    cc = dual_guard(dual_add(dual_c(1), dual_div(aa, cc)));
    dd = dual_div(dual_c(1), dd);
    h = dual_mul(h, dual_mul(dd, cc));
    /* odd step: -(a + m) (a + b + m) x / ((a + 2m) (a + 1 + 2m)) */
    num = dual_mul(dual_mul(dual_add(A, M), dual_add(qab, M)), X);
    num.v = -num.v, num.da = -num.da, num.db = -num.db;
    den = dual_mul(dual_add(A, M2), dual_add(qap, M2));
    aa = dual_div(num, den);
    dd = dual_guard(dual_add(dual_c(1), dual_mul(aa, dd)));
    cc = dual_guard(dual_add(dual_c(1), dual_div(aa, cc)));
    dd = dual_div(dual_c(1), dd);
    struct dual del = dual_mul(dd, cc);
    h = dual_mul(h, del);
    if (dual_conv(del, h)) break;
  }
  return h;
}

/* log(x^a (1-x)^b / (a Beta(a, b)) * cf(a, b, x)) and its derivatives in a, b. */
static struct dual beta_lower_log(double a, double b, double x) {
  struct dual h = beta_cf_dual(a, b, x);
  double dab = vi_digamma(a + b);
  struct dual r = {a * log(x) + b * log1p(-x) - vi_lbeta(a, b) - log(a) + log(h.v),
                   log(x) - vi_digamma(a) + dab - 1 / a + h.da / h.v,
                   log1p(-x) - vi_digamma(b) + dab + h.db / h.v};
  return r;
}

struct vi_inc_log vi_inc_beta_log(double a, double b, double x) {
  struct vi_inc_log r = {NAN, NAN, {NAN, NAN}, {NAN, NAN}};
  if (isnan(a) || isnan(b) || isnan(x) || a <= 0 || b <= 0 || x < 0 || x > 1) return r;
  if (x == 0 || x == 1) {
    r.lp = x == 0 ? -INFINITY : 0;
    r.lq = x == 0 ? 0 : -INFINITY;
    r.dlp[0] = r.dlp[1] = r.dlq[0] = r.dlq[1] = 0;
    return r;
  }
  if (x < (a + 1) / (a + b + 2)) {
    struct dual l = beta_lower_log(a, b, x);
    r.lp = l.v;
    r.dlp[0] = l.da;
    r.dlp[1] = l.db;
    inc_complement(&r, 0);
    return r;
  }
  struct dual l = beta_lower_log(b, a, 1 - x); /* log(1 - I_x(a, b)); shapes swap */
  r.lq = l.v;
  r.dlq[0] = l.db;
  r.dlq[1] = l.da;
  inc_complement(&r, 1);
  return r;
}

/* ---- Owen's T ---- */

/* exp(-h^2 (1 + t^2) / 2) / (1 + t^2), p[0] = h^2 */
static double owens_f(const double *p, double t) {
  double u = 1 + t * t;
  return exp(-0.5 * p[0] * u) / u;
}

/* Gauss-Kronrod 7/15 nodes and weights on [-1, 1] (standard constants). */
static const double gk_x[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                               0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                               0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                               0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
static const double gk_wk[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double gk_wg[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                                0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

typedef double (*gk_fn)(const double *p, double t);

/* Adaptive Gauss-Kronrod 7/15 integral of f(p, .) over [lo, hi] to the
 * absolute tolerance tol (bisection, at most 12 levels). */
static double gk_integrate(gk_fn fn, const double *p, double lo, double hi, double tol, int depth) {
  double c = 0.5 * (lo + hi), r = 0.5 * (hi - lo);
  double fc = fn(p, c), k = gk_wk[7] * fc, g = gk_wg[3] * fc;
  for (int j = 0; j < 7; j++) {
    double f = fn(p, c - r * gk_x[j]) + fn(p, c + r * gk_x[j]);
    k += gk_wk[j] * f;
    if (j % 2 == 1) g += gk_wg[j / 2] * f;
  }
  k *= r, g *= r;
  /* |k - g| overestimates the error of k by far on smooth integrands */
  if (fabs(k - g) <= tol || fabs(k - g) <= 1e-6 * fabs(k) * 1e-8 || depth >= 12) return k;
  return gk_integrate(fn, p, lo, c, tol * 0.5, depth + 1) + gk_integrate(fn, p, c, hi, tol * 0.5, depth + 1);
}

double vi_owens_t(double h, double a) {
  if (isnan(h) || isnan(a)) return NAN;
  if (a < 0) return -vi_owens_t(h, -a);
  h = fabs(h);
  if (a == 0) return 0;
  if (a > 1) {
    if (a == INFINITY) return 0.5 * vi_Phi(-h);
    double p = vi_Phi(-h), q = vi_Phi(-a * h);
    return 0.5 * (p + q) - p * q - vi_owens_t(a * h, 1 / a);
  }
  double h2 = h * h;
  /* a crude size of the integral sets the absolute tolerance */
  double scale = a * 0.5 * (owens_f(&h2, 0) + owens_f(&h2, a));
  return gk_integrate(owens_f, &h2, 0, a, 1e-13 * scale + 1e-320, 0) / (2 * VI_PI);
}

/* 2 phi(t) Phi(alpha t) / (the same at t = z) at t = z - u; p = {z, alpha, log g(z)} */
static double skew_tail_f(const double *p, double u) {
  double t = p[0] - u;
  return exp(-0.5 * t * t + vi_log_Phi(p[1] * t) - p[2]);
}

double vi_skew_normal_lower_log(double z, double alpha) {
  if (isnan(z) || isnan(alpha) || z >= 0 || alpha <= 0) return NAN;
  if (z == -INFINITY) return -INFINITY;
  /* log of the integrand 2 phi(t) Phi(alpha t) at t = z, without the 2 / sqrt(2 pi) */
  double lg0 = -0.5 * z * z + vi_log_Phi(alpha * z);
  double p[3] = {z, alpha, lg0};
  /* the integrand decays at least like exp(-u^2 / 2): [0, 12] holds all of it */
  double width = 1 / (-z * (1 + alpha * alpha) + 1);
  double v = gk_integrate(skew_tail_f, p, 0, 12, 1e-15 * width, 0);
  return lg0 + log(v) + VI_LOG2 - VI_LOG_SQRT_2PI;
}

/* ---- modified Bessel functions I0, I1 ----
 * Series: I_nu(x) = sum_m (x/2)^(2m + nu) / (m! (m + nu)!), all terms
 * positive, so summed to full precision for x < 30 (about 50 terms).
 * Above: I_nu(x) = e^x / sqrt(2 pi x) sum_j (-1)^j a_j(nu) / x^j,
 * a_j = prod_{i<=j} (4 nu^2 - (2i - 1)^2) / (j! 8^j), whose terms shrink
 * until j ~ 2x: stopped below 1e-17 of the sum. */
static void bessel_i01(double x, double *li0, double *ratio) {
  if (x < 30) {
    double q = 0.25 * x * x, t0 = 1, t1 = 0.5 * x, s0 = 1, s1 = t1;
    for (int m = 1; m < 200; m++) {
      t0 *= q / ((double)m * m);
      t1 *= q / ((double)m * (m + 1));
      s0 += t0;
      s1 += t1;
      if (t0 < 1e-18 * s0 && t1 < 1e-18 * s1) break;
    }
    *li0 = log(s0);
    *ratio = s1 / s0;
    return;
  }
  double s0 = 1, s1 = 1, t0 = 1, t1 = 1;
  for (int j = 1; j < 60; j++) {
    double k = 2.0 * j - 1;
    t0 *= k * k / (j * 8.0 * x); /* -(4 nu^2 - k^2) / (8 j x) with nu = 0 */
    t1 *= -(4 - k * k) / (j * 8.0 * x); /* nu = 1 */
    s0 += t0;
    s1 += t1;
    if (fabs(t0) < 1e-17 * s0 && fabs(t1) < 1e-17 * s1) break;
  }
  *li0 = x - 0.5 * log(2 * 3.14159265358979323846 * x) + log(s0);
  *ratio = s1 / s0;
}

double vi_log_bessel_i0(double x) {
  if (!(x >= 0)) return NAN;
  if (isinf(x)) return INFINITY;
  double l, r;
  bessel_i01(x, &l, &r);
  return l;
}

double vi_bessel_i1_i0(double x) {
  if (!(x >= 0)) return NAN;
  if (isinf(x)) return 1;
  double l, r;
  bessel_i01(x, &l, &r);
  return r;
}
