/* dist_cont.c: continuous univariate distributions: _lpdf (fused, vectorised
 * nodes, stdlib/dist_util.h), _lcdf/_lccdf and _rng. Parameterisations follow
 * the Stan Functions Reference. In each element function v[] holds the
 * arguments in call order, g[] receives d lp / d v[k]; terms are kept when
 * `inc` has a bit of an argument they depend on (VI_DINC_CONST: constants). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist_util.h"
#include "special.h"
#include "vi/rng.h"

#define B0 VI_DB(0)
#define B1 VI_DB(1)
#define B2 VI_DB(2)
#define B3 VI_DB(3)
#define CONST VI_DINC_CONST
#define VI_PI 3.14159265358979323846

#define A_Y {"random variable", "variate", VI_DCHK_NOT_NAN}
#define A_YF {"random variable", "variate", VI_DCHK_FINITE}
#define A_YNN {"random variable", "variate", VI_DCHK_NONNEG}
#define A_LOC {"location parameter", "location", VI_DCHK_FINITE}
#define A_SCALE {"scale parameter", "scale", VI_DCHK_POS_FINITE}
#define A_SHAPE {"shape parameter", "shape", VI_DCHK_POS_FINITE}
#define A_INVSCALE {"inverse scale parameter", "inverse scale", VI_DCHK_POS_FINITE}
#define A_DOF {"degrees of freedom parameter", "degrees of freedom", VI_DCHK_POS_FINITE}

/* ---- normal ---- */

/* lp = -0.5 z^2 - log sigma - 0.5 log(2 pi), z = (y - mu) / sigma;
 * dy = -z / sigma, dmu = z / sigma, dsigma = (z^2 - 1) / sigma */
static double normal_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double is = 1 / v[2], z = (v[0] - v[1]) * is;
  double lp = -0.5 * z * z;
  if (inc & B2) lp -= log(v[2]);
  if (inc & CONST) lp -= VI_LOG_SQRT_2PI;
  g[0] = -z * is;
  g[1] = z * is;
  g[2] = (z * z - 1) * is;
  return lp;
}

/* Fast path for a scalar sigma: log(sigma) once, one loop per stride pattern
 * computing sum z^2 and w_i = z_i / sigma (the partial of mu_i; -w_i of y_i). */
int vi_k_normal_fwd(struct vi_node *n) {
  const struct vi_arg *a = n->a;
  if (a[2].n != 1 || vi_udist_len(n) <= 1) return vi_udist_fwd(n);
  const double sigma = a[2].x[0];
  if (!(sigma > 0) || !isfinite(sigma) || (a[0].n == 1 && isnan(a[0].x[0])) ||
      (a[1].n == 1 && !isfinite(a[1].x[0])))
    return vi_udist_fwd(n); /* reports the failed check */
  unsigned inc = vi_udist_inc(n);
  size_t len = vi_udist_len(n);
  n->y[0] = 0;
  if (!inc) return vi_udist_checks(n);
  double *py = NULL, *pmu = NULL, *ps = NULL, *q = n->aux;
  if (a[0].dx) py = q, q += a[0].n;
  if (a[1].dx) pmu = q, q += a[1].n;
  if (a[2].dx) ps = q;
  const double is = 1 / sigma;
  const double *y = a[0].x, *mu = a[1].x;
  double ss = 0, sw = 0; /* sum z^2, sum w */
  if (a[0].n == len && a[1].n == len) {
    if (pmu && !py) {
      for (size_t i = 0; i < len; i++) {
        double z = (y[i] - mu[i]) * is;
        ss += z * z;
        pmu[i] = z * is;
      }
    } else if (py && !pmu) {
      for (size_t i = 0; i < len; i++) {
        double z = (y[i] - mu[i]) * is;
        ss += z * z;
        py[i] = -z * is;
      }
    } else {
      for (size_t i = 0; i < len; i++) {
        double z = (y[i] - mu[i]) * is;
        ss += z * z;
        if (pmu) pmu[i] = z * is;
        if (py) py[i] = -z * is;
      }
    }
  } else if (a[0].n == len) { /* scalar mu */
    const double m = mu[0];
    for (size_t i = 0; i < len; i++) {
      double z = (y[i] - m) * is;
      ss += z * z;
      sw += z;
      if (py) py[i] = -z * is;
    }
    if (pmu) pmu[0] = sw * is;
  } else { /* scalar y */
    const double y0 = y[0];
    for (size_t i = 0; i < len; i++) {
      double z = (y0 - mu[i]) * is;
      ss += z * z;
      sw += z;
      if (pmu) pmu[i] = z * is;
    }
    if (py) py[0] = -sw * is;
  }
  if (!isfinite(ss) && vi_udist_checks(n)) return 1; /* NaN y or infinite mu: name it */
  double lp = -0.5 * ss;
  if (inc & B2) lp -= (double)len * log(sigma);
  if (inc & CONST) lp -= (double)len * VI_LOG_SQRT_2PI;
  if (ps) ps[0] = (ss - (double)len) * is;
  n->y[0] = lp;
  return 0;
}

static const struct vi_udist d_normal = {
    VI_OPCODE_NORMAL_LPDF, 3, {A_Y, A_LOC, {"scale parameter", "scale", VI_DCHK_POS}},
    normal_elem, NULL};
VI_UDIST_IMPL(normal_lpdf, d_normal)

/* lp = -0.5 y^2 - 0.5 log(2 pi); dy = -y */
static double std_normal_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  g[0] = -v[0];
  return -0.5 * v[0] * v[0] - ((inc & CONST) ? VI_LOG_SQRT_2PI : 0);
}
static const struct vi_udist d_std_normal = {
    VI_OPCODE_STD_NORMAL_LPDF, 1, {A_Y}, std_normal_elem, NULL};
VI_UDIST_IMPL(std_normal_lpdf, d_std_normal)

/* ---- student_t(y | nu, mu, sigma) ----
 * lp = lgamma((nu+1)/2) - lgamma(nu/2) - 0.5 log nu - 0.5 log pi - log sigma
 *      - (nu+1)/2 log1p(z^2 / nu) */
static double student_t_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double nu = v[1], s = v[3], z = (v[0] - v[2]) / s, r = z * z / nu;
  double l1p = log1p(r);
  double lp = -0.5 * (nu + 1) * l1p;
  if (inc & B1) lp += vi_lgamma(0.5 * (nu + 1)) - vi_lgamma(0.5 * nu) - 0.5 * log(nu);
  if (inc & B3) lp -= log(s);
  if (inc & CONST) lp -= 0.5 * VI_LOG_PI;
  double dz = -(nu + 1) * z / (nu * (1 + r)); /* d lp / d z */
  g[0] = dz / s;
  g[2] = -dz / s;
  g[3] = -dz * z / s - 1 / s;
  if (var & B1)
    g[1] = -0.5 * l1p + 0.5 * (nu + 1) * r / (nu * (1 + r)) + 0.5 * vi_digamma(0.5 * (nu + 1)) -
           0.5 * vi_digamma(0.5 * nu) - 0.5 / nu;
  return lp;
}
static const struct vi_udist d_student_t = {
    VI_OPCODE_STUDENT_T_LPDF, 4, {A_Y, A_DOF, A_LOC, A_SCALE},
    student_t_elem, NULL};
VI_UDIST_IMPL(student_t_lpdf, d_student_t)

/* cauchy: lp = -log1p(z^2) - log sigma - log pi */
static double cauchy_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double s = v[2], z = (v[0] - v[1]) / s;
  double lp = -log1p(z * z);
  if (inc & B2) lp -= log(s);
  if (inc & CONST) lp -= VI_LOG_PI;
  double dz = -2 * z / (1 + z * z);
  g[0] = dz / s;
  g[1] = -dz / s;
  g[2] = -dz * z / s - 1 / s;
  return lp;
}
static const struct vi_udist d_cauchy = {
    VI_OPCODE_CAUCHY_LPDF, 3, {A_Y, A_LOC, A_SCALE}, cauchy_elem, NULL};
VI_UDIST_IMPL(cauchy_lpdf, d_cauchy)

/* double_exponential: lp = -|y - mu| / sigma - log sigma - log 2 */
static double dexp_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double s = v[2], d = v[0] - v[1], sg = d > 0 ? 1 : d < 0 ? -1 : 0;
  double lp = -fabs(d) / s;
  if (inc & B2) lp -= log(s);
  if (inc & CONST) lp -= VI_LOG2;
  g[0] = -sg / s;
  g[1] = sg / s;
  g[2] = fabs(d) / (s * s) - 1 / s;
  return lp;
}
static const struct vi_udist d_dexp = {
    VI_OPCODE_DOUBLE_EXPONENTIAL_LPDF, 3, {A_YF, A_LOC, A_SCALE}, dexp_elem, NULL};
VI_UDIST_IMPL(double_exponential_lpdf, d_dexp)

/* logistic: lp = -z - 2 log1p_exp(-z) - log sigma; d lp/dz = 1 - 2 inv_logit(z) */
static double logistic_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double s = v[2], z = (v[0] - v[1]) / s;
  double lp = -z - 2 * vi_log1p_exp(-z);
  if (inc & B2) lp -= log(s);
  double dz = 1 - 2 * vi_inv_logit(z);
  g[0] = dz / s;
  g[1] = -dz / s;
  g[2] = -dz * z / s - 1 / s;
  return lp;
}
static const struct vi_udist d_logistic = {
    VI_OPCODE_LOGISTIC_LPDF, 3, {A_YF, A_LOC, A_SCALE}, logistic_elem, NULL};
VI_UDIST_IMPL(logistic_lpdf, d_logistic)

/* lognormal: lp = -0.5 z^2 - log sigma - log y - 0.5 log(2 pi), z = (log y - mu) / sigma;
 * -Inf at y = 0 */
static double lognormal_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double y = v[0], s = v[2];
  if (y == 0) return -INFINITY;
  double ly = log(y), z = (ly - v[1]) / s;
  double lp = -0.5 * z * z;
  if (inc & B2) lp -= log(s);
  if (inc & B0) lp -= ly;
  if (inc & CONST) lp -= VI_LOG_SQRT_2PI;
  g[0] = -(z / s + 1) / y;
  g[1] = z / s;
  g[2] = (z * z - 1) / s;
  return lp;
}
static const struct vi_udist d_lognormal = {
    VI_OPCODE_LOGNORMAL_LPDF, 3, {A_YNN, A_LOC, A_SCALE}, lognormal_elem, NULL};
VI_UDIST_IMPL(lognormal_lpdf, d_lognormal)

/* exponential(y | beta): lp = log beta - beta y */
static double exponential_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double y = v[0], b = v[1];
  double lp = -b * y;
  if (inc & B1) lp += log(b);
  g[0] = -b;
  g[1] = 1 / b - y;
  return lp;
}
static const struct vi_udist d_exponential = {
    VI_OPCODE_EXPONENTIAL_LPDF, 2, {A_YNN, A_INVSCALE}, exponential_elem, NULL};
VI_UDIST_IMPL(exponential_lpdf, d_exponential)

/* gamma(y | alpha, beta), beta a rate:
 * lp = alpha log beta - lgamma(alpha) + (alpha - 1) log y - beta y; -Inf for y < 0 */
static double gamma_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], a = v[1], b = v[2];
  if (y < 0) return -INFINITY;
  double ly = log(y), lb = log(b);
  double lp = 0;
  if (inc & B1) lp -= vi_lgamma(a);
  if (inc & (B1 | B2)) lp += a * lb;
  if (inc & (B0 | B1)) lp += (a - 1) * ly;
  lp -= b * y;
  g[0] = (a - 1) / y - b;
  if (var & B1) g[1] = -vi_digamma(a) + lb + ly;
  g[2] = a / b - y;
  return lp;
}
static const struct vi_udist d_gamma = {
    VI_OPCODE_GAMMA_LPDF, 3, {A_Y, A_SHAPE, A_INVSCALE}, gamma_elem, NULL};
VI_UDIST_IMPL(gamma_lpdf, d_gamma)

/* inv_gamma(y | alpha, beta):
 * lp = alpha log beta - lgamma(alpha) - (alpha + 1) log y - beta / y; -Inf for y <= 0 */
static double inv_gamma_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], a = v[1], b = v[2];
  if (y <= 0) return -INFINITY;
  double ly = log(y), lb = log(b);
  double lp = -b / y;
  if (inc & B1) lp -= vi_lgamma(a);
  if (inc & (B1 | B2)) lp += a * lb;
  if (inc & (B0 | B1)) lp -= (a + 1) * ly;
  g[0] = -(a + 1) / y + b / (y * y);
  if (var & B1) g[1] = -vi_digamma(a) + lb - ly;
  g[2] = a / b - 1 / y;
  return lp;
}
static const struct vi_udist d_inv_gamma = {
    VI_OPCODE_INV_GAMMA_LPDF, 3,
    {A_Y, A_SHAPE, {"scale parameter", "scale", VI_DCHK_POS_FINITE}}, inv_gamma_elem, NULL};
VI_UDIST_IMPL(inv_gamma_lpdf, d_inv_gamma)

/* beta(y | a, b): lp = (a-1) log y + (b-1) log1m(y) - lbeta(a, b) */
static double beta_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], a = v[1], b = v[2];
  double ly = log(y), l1y = log1p(-y);
  double lp = 0;
  if (inc & (B1 | B2)) lp -= vi_lbeta(a, b);
  if (inc & (B0 | B1)) lp += (a - 1) * ly;
  if (inc & (B0 | B2)) lp += (b - 1) * l1y;
  g[0] = (a - 1) / y - (b - 1) / (1 - y);
  if (var & (B1 | B2)) {
    double dab = vi_digamma(a + b);
    g[1] = dab - vi_digamma(a) + ly;
    g[2] = dab - vi_digamma(b) + l1y;
  }
  return lp;
}
static const struct vi_udist d_beta = {
    VI_OPCODE_BETA_LPDF, 3,
    {{"random variable", "variate", VI_DCHK_PROB},
     {"first shape parameter", "first shape", VI_DCHK_POS_FINITE},
     {"second shape parameter", "second shape", VI_DCHK_POS_FINITE}},
    beta_elem, NULL};
VI_UDIST_IMPL(beta_lpdf, d_beta)

/* uniform(y | alpha, beta): lp = -log(beta - alpha) on [alpha, beta], -Inf outside */
static double uniform_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double y = v[0], a = v[1], b = v[2];
  if (y < a || y > b) return -INFINITY;
  g[1] = 1 / (b - a);
  g[2] = -1 / (b - a);
  return (inc & (B1 | B2)) ? -log(b - a) : 0;
}
static int uniform_xcheck(struct vi_node *n, const double *v, size_t i) {
  (void)i;
  if (v[2] > v[1]) return 0;
  return vi_node_fail(n, "upper bound parameter is %.17g, must be greater than the lower bound %.17g",
                      v[2], v[1]);
}
#define A_LB {"lower bound parameter", "lower bound", VI_DCHK_FINITE}
#define A_UB {"upper bound parameter", "upper bound", VI_DCHK_FINITE}
static const struct vi_udist d_uniform = {
    VI_OPCODE_UNIFORM_LPDF, 3, {A_Y, A_LB, A_UB}, uniform_elem, uniform_xcheck};
VI_UDIST_IMPL(uniform_lpdf, d_uniform)

/* chi_square(y | nu): lp = -(nu/2) log 2 - lgamma(nu/2) + (nu/2 - 1) log y - y/2 */
static double chi_square_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], nu = v[1], h = 0.5 * nu, ly = log(y);
  double lp = 0;
  if (inc & B1) lp -= h * VI_LOG2 + vi_lgamma(h);
  if (inc & (B0 | B1)) lp += (h - 1) * ly;
  if (inc & B0) lp -= 0.5 * y;
  g[0] = (h - 1) / y - 0.5;
  if (var & B1) g[1] = 0.5 * (ly - VI_LOG2 - vi_digamma(h));
  return lp;
}
static const struct vi_udist d_chi_square = {
    VI_OPCODE_CHI_SQUARE_LPDF, 2, {A_YNN, A_DOF}, chi_square_elem, NULL};
VI_UDIST_IMPL(chi_square_lpdf, d_chi_square)

/* inv_chi_square(y | nu): lp = -(nu/2) log 2 - lgamma(nu/2) - (nu/2 + 1) log y - 1/(2y) */
static double inv_chi_square_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], nu = v[1], h = 0.5 * nu;
  if (y <= 0) return -INFINITY;
  double ly = log(y), lp = 0;
  if (inc & B1) lp -= h * VI_LOG2 + vi_lgamma(h);
  if (inc & (B0 | B1)) lp -= (h + 1) * ly;
  if (inc & B0) lp -= 0.5 / y;
  g[0] = -(h + 1) / y + 0.5 / (y * y);
  if (var & B1) g[1] = -0.5 * (ly + VI_LOG2 + vi_digamma(h));
  return lp;
}
static const struct vi_udist d_inv_chi_square = {
    VI_OPCODE_INV_CHI_SQUARE_LPDF, 2, {A_Y, A_DOF}, inv_chi_square_elem, NULL};
VI_UDIST_IMPL(inv_chi_square_lpdf, d_inv_chi_square)

/* scaled_inv_chi_square(y | nu, s):
 * lp = (nu/2) log(nu/2) - lgamma(nu/2) + nu log s - (nu/2 + 1) log y - nu s^2 / (2 y) */
static double sinvchi_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], nu = v[1], s = v[2], h = 0.5 * nu;
  if (y <= 0) return -INFINITY;
  double ly = log(y), ls = log(s), lp = -h * s * s / y;
  if (inc & B1) lp += h * log(h) - vi_lgamma(h);
  if (inc & (B1 | B2)) lp += nu * ls;
  if (inc & (B0 | B1)) lp -= (h + 1) * ly;
  g[0] = -(h + 1) / y + h * s * s / (y * y);
  if (var & B1) g[1] = 0.5 * log(h) + 0.5 - 0.5 * vi_digamma(h) + ls - 0.5 * ly - 0.5 * s * s / y;
  g[2] = nu / s - nu * s / y;
  return lp;
}
static const struct vi_udist d_sinvchi = {
    VI_OPCODE_SCALED_INV_CHI_SQUARE_LPDF, 3, {A_Y, A_DOF, A_SCALE}, sinvchi_elem, NULL};
VI_UDIST_IMPL(scaled_inv_chi_square_lpdf, d_sinvchi)

/* weibull(y | alpha, sigma): lp = log alpha + (alpha-1) log y - alpha log sigma - (y/sigma)^alpha */
static double weibull_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double y = v[0], a = v[1], s = v[2];
  if (y < 0) return -INFINITY;
  double ly = log(y), ls = log(s), p = pow(y / s, a);
  double lp = -p;
  if (inc & B1) lp += log(a);
  if (inc & (B0 | B1)) lp += (a - 1) * ly;
  if (inc & (B1 | B2)) lp -= a * ls;
  g[0] = (a - 1) / y - a * p / y;
  g[1] = 1 / a + (ly - ls) * (1 - p);
  g[2] = a * (p - 1) / s;
  return lp;
}
static const struct vi_udist d_weibull = {
    VI_OPCODE_WEIBULL_LPDF, 3, {A_YF, A_SHAPE, A_SCALE}, weibull_elem, NULL};
VI_UDIST_IMPL(weibull_lpdf, d_weibull)

/* pareto(y | y_min, alpha): lp = log alpha + alpha log y_min - (alpha + 1) log y; -Inf below y_min */
static double pareto_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double y = v[0], m = v[1], a = v[2];
  if (y < m) return -INFINITY;
  double ly = log(y), lm = log(m), lp = 0;
  if (inc & B2) lp += log(a);
  if (inc & (B1 | B2)) lp += a * lm;
  if (inc & (B0 | B2)) lp -= (a + 1) * ly;
  g[0] = -(a + 1) / y;
  g[1] = a / m;
  g[2] = 1 / a + lm - ly;
  return lp;
}
static const struct vi_udist d_pareto = {
    VI_OPCODE_PARETO_LPDF, 3, {A_Y, A_SCALE, A_SHAPE}, pareto_elem, NULL};
VI_UDIST_IMPL(pareto_lpdf, d_pareto)

/* gumbel(y | mu, beta): lp = -log beta - z - exp(-z), z = (y - mu) / beta */
static double gumbel_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double b = v[2], z = (v[0] - v[1]) / b, e = exp(-z);
  double lp = -z - e;
  if (inc & B2) lp -= log(b);
  double dz = e - 1;
  g[0] = dz / b;
  g[1] = -dz / b;
  g[2] = -dz * z / b - 1 / b;
  return lp;
}
static const struct vi_udist d_gumbel = {
    VI_OPCODE_GUMBEL_LPDF, 3, {A_Y, A_LOC, A_SCALE}, gumbel_elem, NULL};
VI_UDIST_IMPL(gumbel_lpdf, d_gumbel)

/* skew_normal(y | xi, omega, alpha):
 * lp = -0.5 log(2 pi) - log omega - 0.5 z^2 + log erfc(-alpha z / sqrt 2) */
static double skew_normal_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double om = v[2], al = v[3], z = (v[0] - v[1]) / om, u = -al * z / VI_SQRT2;
  double ec = erfc(u);
  double lp = -0.5 * z * z + log(ec);
  if (inc & B2) lp -= log(om);
  if (inc & CONST) lp -= VI_LOG_SQRT_2PI;
  double h = -2 * VI_INV_SQRT_2PI * VI_SQRT2 * exp(-u * u) / ec; /* d log erfc(u) / du */
  double dz = -z - h * al / VI_SQRT2;
  g[0] = dz / om;
  g[1] = -dz / om;
  g[2] = -1 / om - dz * z / om;
  g[3] = -h * z / VI_SQRT2;
  return lp;
}
static const struct vi_udist d_skew_normal = {
    VI_OPCODE_SKEW_NORMAL_LPDF, 4,
    {A_Y, A_LOC, A_SCALE, {"shape parameter", "shape", VI_DCHK_FINITE}}, skew_normal_elem, NULL};
VI_UDIST_IMPL(skew_normal_lpdf, d_skew_normal)

/* ---- cumulative distribution functions (log scale) ----
 * Each element function returns log F(y) (lcdf) or log(1 - F(y)) (lccdf)
 * and its partials; propto does not apply (inc is ignored). */

/* normal: lcdf = log Phi(z), d/dz = phi(z) / Phi(z); lccdf = log Phi(-z) */
static double normal_cdf_common(const double *v, double *g, double sign) {
  double s = v[2], z = sign * (v[0] - v[1]) / s;
  double lp = vi_log_Phi(z);
  double dz = sign * exp(-0.5 * z * z - VI_LOG_SQRT_2PI - lp);
  g[0] = dz / s;
  g[1] = -dz / s;
  g[2] = -dz * (v[0] - v[1]) / (s * s);
  return lp;
}
static double normal_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return normal_cdf_common(v, g, 1);
}
static double normal_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return normal_cdf_common(v, g, -1);
}
static const struct vi_udist d_normal_lcdf = {
    VI_OPCODE_NORMAL_LCDF, 3, {A_Y, A_LOC, A_SCALE}, normal_lcdf_elem, NULL};
static const struct vi_udist d_normal_lccdf = {
    VI_OPCODE_NORMAL_LCCDF, 3, {A_Y, A_LOC, A_SCALE}, normal_lccdf_elem, NULL};
VI_UDIST_IMPL(normal_lcdf, d_normal_lcdf)
VI_UDIST_IMPL(normal_lccdf, d_normal_lccdf)

/* lognormal: as normal with z = (log y - mu) / sigma; y = 0 gives -Inf / 0 */
static double lognormal_cdf_common(const double *v, double *g, double sign) {
  double y = v[0];
  if (y == 0) return sign > 0 ? -INFINITY : 0;
  double w[3] = {log(y), v[1], v[2]};
  double lp = normal_cdf_common(w, g, sign);
  g[0] /= y;
  return lp;
}
static double lognormal_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return lognormal_cdf_common(v, g, 1);
}
static double lognormal_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return lognormal_cdf_common(v, g, -1);
}
static const struct vi_udist d_lognormal_lcdf = {
    VI_OPCODE_LOGNORMAL_LCDF, 3, {A_YNN, A_LOC, A_SCALE}, lognormal_lcdf_elem, NULL};
static const struct vi_udist d_lognormal_lccdf = {
    VI_OPCODE_LOGNORMAL_LCCDF, 3, {A_YNN, A_LOC, A_SCALE}, lognormal_lccdf_elem, NULL};
VI_UDIST_IMPL(lognormal_lcdf, d_lognormal_lcdf)
VI_UDIST_IMPL(lognormal_lccdf, d_lognormal_lccdf)

/* exponential: lcdf = log(-expm1(-beta y)), d/dy = beta / expm1(beta y),
 * d/dbeta = y / expm1(beta y); lccdf = -beta y */
static double exponential_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  double y = v[0], b = v[1], e = expm1(b * y);
  g[0] = b / e;
  g[1] = y / e;
  return log(-expm1(-b * y));
}
static double exponential_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  g[0] = -v[1];
  g[1] = -v[0];
  return -v[0] * v[1];
}
static const struct vi_udist d_exponential_lcdf = {
    VI_OPCODE_EXPONENTIAL_LCDF, 2, {A_YNN, A_INVSCALE}, exponential_lcdf_elem, NULL};
static const struct vi_udist d_exponential_lccdf = {
    VI_OPCODE_EXPONENTIAL_LCCDF, 2, {A_YNN, A_INVSCALE}, exponential_lccdf_elem, NULL};
VI_UDIST_IMPL(exponential_lcdf, d_exponential_lcdf)
VI_UDIST_IMPL(exponential_lccdf, d_exponential_lccdf)

/* cauchy: F = 1/2 + atan(z)/pi, dF/dz = 1 / (pi (1 + z^2)) */
static double cauchy_cdf_common(const double *v, double *g, double sign) {
  double s = v[2], z = (v[0] - v[1]) / s;
  double f = 0.5 + sign * atan(z) / VI_PI;
  double dz = sign / (VI_PI * (1 + z * z) * f);
  g[0] = dz / s;
  g[1] = -dz / s;
  g[2] = -dz * z / s;
  return log(f);
}
static double cauchy_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return cauchy_cdf_common(v, g, 1);
}
static double cauchy_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return cauchy_cdf_common(v, g, -1);
}
static const struct vi_udist d_cauchy_lcdf = {
    VI_OPCODE_CAUCHY_LCDF, 3, {A_Y, A_LOC, A_SCALE}, cauchy_lcdf_elem, NULL};
static const struct vi_udist d_cauchy_lccdf = {
    VI_OPCODE_CAUCHY_LCCDF, 3, {A_Y, A_LOC, A_SCALE}, cauchy_lccdf_elem, NULL};
VI_UDIST_IMPL(cauchy_lcdf, d_cauchy_lcdf)
VI_UDIST_IMPL(cauchy_lccdf, d_cauchy_lccdf)

/* logistic: lcdf = log_inv_logit(z), d/dz = inv_logit(-z); lccdf = log1m_inv_logit(z) */
static double logistic_cdf_common(const double *v, double *g, double sign) {
  double s = v[2], z = (v[0] - v[1]) / s;
  double lp = vi_log_inv_logit(sign * z);
  double dz = sign * vi_inv_logit(-sign * z);
  g[0] = dz / s;
  g[1] = -dz / s;
  g[2] = -dz * z / s;
  return lp;
}
static double logistic_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return logistic_cdf_common(v, g, 1);
}
static double logistic_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return logistic_cdf_common(v, g, -1);
}
static const struct vi_udist d_logistic_lcdf = {
    VI_OPCODE_LOGISTIC_LCDF, 3, {A_Y, A_LOC, A_SCALE}, logistic_lcdf_elem, NULL};
static const struct vi_udist d_logistic_lccdf = {
    VI_OPCODE_LOGISTIC_LCCDF, 3, {A_Y, A_LOC, A_SCALE}, logistic_lccdf_elem, NULL};
VI_UDIST_IMPL(logistic_lcdf, d_logistic_lcdf)
VI_UDIST_IMPL(logistic_lccdf, d_logistic_lccdf)

/* gumbel: lcdf = -exp(-z), d/dz = exp(-z); lccdf = log1m_exp(-exp(-z)),
 * d/dz = -exp(-z) / expm1(exp(-z)) */
static double gumbel_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  double b = v[2], z = (v[0] - v[1]) / b, e = exp(-z);
  g[0] = e / b;
  g[1] = -e / b;
  g[2] = -e * z / b;
  return -e;
}
static double gumbel_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  double b = v[2], z = (v[0] - v[1]) / b, e = exp(-z);
  double dz = -e / expm1(e);
  g[0] = dz / b;
  g[1] = -dz / b;
  g[2] = -dz * z / b;
  return vi_log1m_exp(-e);
}
static const struct vi_udist d_gumbel_lcdf = {
    VI_OPCODE_GUMBEL_LCDF, 3, {A_Y, A_LOC, A_SCALE}, gumbel_lcdf_elem, NULL};
static const struct vi_udist d_gumbel_lccdf = {
    VI_OPCODE_GUMBEL_LCCDF, 3, {A_Y, A_LOC, A_SCALE}, gumbel_lccdf_elem, NULL};
VI_UDIST_IMPL(gumbel_lcdf, d_gumbel_lcdf)
VI_UDIST_IMPL(gumbel_lccdf, d_gumbel_lccdf)

/* weibull: p = (y/sigma)^alpha; lccdf = -p; lcdf = log(-expm1(-p)), d/dp = 1 / expm1(p);
 * dp/dy = alpha p / y, dp/dalpha = p log(y/sigma), dp/dsigma = -alpha p / sigma */
static double weibull_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], a = v[1], s = v[2];
  if (y <= 0) {
    g[0] = g[1] = g[2] = 0;
    return upper ? 0 : -INFINITY;
  }
  double p = pow(y / s, a);
  double dp = upper ? -1 : 1 / expm1(p);
  g[0] = dp * a * p / y;
  g[1] = dp * p * log(y / s);
  g[2] = -dp * a * p / s;
  return upper ? -p : log(-expm1(-p));
}
static double weibull_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return weibull_cdf_common(v, g, 0);
}
static double weibull_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return weibull_cdf_common(v, g, 1);
}
static const struct vi_udist d_weibull_lcdf = {
    VI_OPCODE_WEIBULL_LCDF, 3, {A_YNN, A_SHAPE, A_SCALE}, weibull_lcdf_elem, NULL};
static const struct vi_udist d_weibull_lccdf = {
    VI_OPCODE_WEIBULL_LCCDF, 3, {A_YNN, A_SHAPE, A_SCALE}, weibull_lccdf_elem, NULL};
VI_UDIST_IMPL(weibull_lcdf, d_weibull_lcdf)
VI_UDIST_IMPL(weibull_lccdf, d_weibull_lccdf)

/* pareto: for y >= y_min, lccdf = alpha (log y_min - log y) = t, lcdf = log1m_exp(t);
 * below y_min lcdf = -Inf, lccdf = 0 */
static double pareto_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], m = v[1], a = v[2];
  if (y < m) return upper ? 0 : -INFINITY;
  double lr = log(m) - log(y), t = a * lr;
  double dt = upper ? 1 : -1 / expm1(-t);
  g[0] = -dt * a / y;
  g[1] = dt * a / m;
  g[2] = dt * lr;
  return upper ? t : vi_log1m_exp(t);
}
static double pareto_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return pareto_cdf_common(v, g, 0);
}
static double pareto_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return pareto_cdf_common(v, g, 1);
}
static const struct vi_udist d_pareto_lcdf = {
    VI_OPCODE_PARETO_LCDF, 3, {A_YNN, A_SCALE, A_SHAPE}, pareto_lcdf_elem, NULL};
static const struct vi_udist d_pareto_lccdf = {
    VI_OPCODE_PARETO_LCCDF, 3, {A_YNN, A_SCALE, A_SHAPE}, pareto_lccdf_elem, NULL};
VI_UDIST_IMPL(pareto_lcdf, d_pareto_lcdf)
VI_UDIST_IMPL(pareto_lccdf, d_pareto_lccdf)

/* uniform: lcdf = log(y - a) - log(b - a), lccdf = log(b - y) - log(b - a), clamped outside */
static double uniform_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], a = v[1], b = v[2];
  if (y < a) return upper ? 0 : -INFINITY;
  if (y > b) return upper ? -INFINITY : 0;
  double w = b - a;
  if (!upper) {
    g[0] = 1 / (y - a);
    g[1] = -1 / (y - a) + 1 / w;
    g[2] = -1 / w;
    return log((y - a) / w);
  }
  g[0] = -1 / (b - y);
  g[1] = 1 / w;
  g[2] = 1 / (b - y) - 1 / w;
  return log((b - y) / w);
}
static double uniform_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return uniform_cdf_common(v, g, 0);
}
static double uniform_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return uniform_cdf_common(v, g, 1);
}
static const struct vi_udist d_uniform_lcdf = {
    VI_OPCODE_UNIFORM_LCDF, 3, {A_Y, A_LB, A_UB}, uniform_lcdf_elem, uniform_xcheck};
static const struct vi_udist d_uniform_lccdf = {
    VI_OPCODE_UNIFORM_LCCDF, 3, {A_Y, A_LB, A_UB}, uniform_lccdf_elem, uniform_xcheck};
VI_UDIST_IMPL(uniform_lcdf, d_uniform_lcdf)
VI_UDIST_IMPL(uniform_lccdf, d_uniform_lccdf)

/* double_exponential: z = (y - mu) / sigma; F = exp(z)/2 below mu, 1 - exp(-z)/2 above */
static double dexp_cdf_common(const double *v, double *g, int upper) {
  double s = v[2], z = (v[0] - v[1]) / s, lp, dz;
  int low = z < 0;
  if (low != upper) { /* the tail side: log(exp(-|z|) / 2) */
    lp = -fabs(z) - VI_LOG2;
    dz = low ? 1 : -1;
  } else { /* log(1 - exp(-|z|) / 2) */
    double e = 0.5 * exp(-fabs(z));
    lp = log1p(-e);
    dz = (low ? -1 : 1) * e / (1 - e);
  }
  g[0] = dz / s;
  g[1] = -dz / s;
  g[2] = -dz * z / s;
  return lp;
}
static double dexp_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return dexp_cdf_common(v, g, 0);
}
static double dexp_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  return dexp_cdf_common(v, g, 1);
}
static const struct vi_udist d_dexp_lcdf = {
    VI_OPCODE_DOUBLE_EXPONENTIAL_LCDF, 3, {A_Y, A_LOC, A_SCALE}, dexp_lcdf_elem, NULL};
static const struct vi_udist d_dexp_lccdf = {
    VI_OPCODE_DOUBLE_EXPONENTIAL_LCCDF, 3, {A_Y, A_LOC, A_SCALE}, dexp_lccdf_elem, NULL};
VI_UDIST_IMPL(double_exponential_lcdf, d_dexp_lcdf)
VI_UDIST_IMPL(double_exponential_lccdf, d_dexp_lccdf)

/* std_normal: normal with mu = 0, sigma = 1 */
static double std_normal_cdf_common(const double *v, double *g, int upper) {
  double w[3] = {v[0], 0, 1}, gw[3];
  double lp = normal_cdf_common(w, gw, upper ? -1 : 1);
  g[0] = gw[0];
  return lp;
}

/* ---- cdfs through the incomplete gamma and beta functions ----
 * The shape derivatives come from vi_gamma_pq_log / vi_inc_beta_log
 * (stdlib/special.h); x derivatives from the densities. */

/* log P(a, x) (upper = 0) or log Q(a, x) (upper = 1), with d/da and d/dx. */
static double gamma_cdf_core(double a, double x, int upper, double *dla, double *dlx) {
  if (x <= 0 || x == INFINITY) {
    *dla = *dlx = 0;
    return (x <= 0) == !upper ? -INFINITY : 0;
  }
  struct vi_inc_log r = vi_gamma_pq_log(a, x);
  double lf = upper ? r.lq : r.lp;
  double ldens = (a - 1) * log(x) - x - vi_lgamma(a); /* log dP/dx */
  *dlx = (upper ? -1 : 1) * exp(ldens - lf);
  *dla = upper ? r.dlq[0] : r.dlp[0];
  return lf;
}

/* gamma(y | alpha, beta): F = P(alpha, beta y) */
static double gamma_cdf_common(const double *v, double *g, int upper) {
  double dla, dlx, lp = gamma_cdf_core(v[1], v[2] * v[0], upper, &dla, &dlx);
  g[0] = dlx * v[2];
  g[1] = dla;
  g[2] = dlx * v[0];
  return lp;
}
/* chi_square(y | nu): F = P(nu / 2, y / 2) */
static double chi_square_cdf_common(const double *v, double *g, int upper) {
  double dla, dlx, lp = gamma_cdf_core(0.5 * v[1], 0.5 * v[0], upper, &dla, &dlx);
  g[0] = 0.5 * dlx;
  g[1] = 0.5 * dla;
  return lp;
}
/* inv_gamma(y | alpha, beta): F = Q(alpha, beta / y) */
static double inv_gamma_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], b = v[2], dla, dlx;
  if (y <= 0) return upper ? 0 : -INFINITY;
  double lp = gamma_cdf_core(v[1], b / y, !upper, &dla, &dlx);
  g[0] = -dlx * b / (y * y);
  g[1] = dla;
  g[2] = dlx / y;
  return lp;
}
/* inv_chi_square(y | nu): F = Q(nu / 2, 1 / (2 y)) */
static double inv_chi_square_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], dla, dlx;
  if (y <= 0) return upper ? 0 : -INFINITY;
  double lp = gamma_cdf_core(0.5 * v[1], 0.5 / y, !upper, &dla, &dlx);
  g[0] = -dlx * 0.5 / (y * y);
  g[1] = 0.5 * dla;
  return lp;
}
/* scaled_inv_chi_square(y | nu, s): F = Q(nu / 2, nu s^2 / (2 y)) */
static double sinvchi_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], nu = v[1], s = v[2], dla, dlx;
  if (y <= 0) return upper ? 0 : -INFINITY;
  double x = 0.5 * nu * s * s / y;
  double lp = gamma_cdf_core(0.5 * nu, x, !upper, &dla, &dlx);
  g[0] = -dlx * x / y;
  g[1] = 0.5 * dla + dlx * 0.5 * s * s / y;
  g[2] = dlx * nu * s / y;
  return lp;
}

/* beta(y | a, b): F = I_y(a, b), dF/dy = y^(a-1) (1-y)^(b-1) / B(a, b) */
static double beta_cdf_common(const double *v, double *g, int upper) {
  double y = v[0], a = v[1], b = v[2];
  if (y <= 0) return upper ? 0 : -INFINITY;
  if (y >= 1) return upper ? -INFINITY : 0;
  struct vi_inc_log r = vi_inc_beta_log(a, b, y);
  double lf = upper ? r.lq : r.lp;
  const double *d = upper ? r.dlq : r.dlp;
  double ldens = (a - 1) * log(y) + (b - 1) * log1p(-y) - vi_lbeta(a, b);
  g[0] = (upper ? -1 : 1) * exp(ldens - lf);
  g[1] = d[0];
  g[2] = d[1];
  return lf;
}

/* student_t(y | nu, mu, sigma), t = (y - mu) / sigma: the tail beyond |t| is
 * J = I_x(nu/2, 1/2) / 2 with x = nu / (nu + t^2); F = J for t < 0, 1 - J
 * otherwise. dF/dt is the t density; d log J / dnu = (d log I / da) / 2 +
 * (dI/dx / I) dx/dnu with dx/dnu = t^2 / (nu + t^2)^2. For x >= 1/2,
 * I_x(a, 1/2) = 1 - I_{1-x}(1/2, a) with 1 - x = t^2 / (nu + t^2) exactly. */
static double student_t_cdf_common(const double *v, double *g, int upper) {
  double nu = v[1], s = v[3], t = (v[0] - v[2]) / s, t2 = t * t;
  double a = 0.5 * nu, x = nu / (nu + t2), omx = t2 / (nu + t2), li, dli_da;
  if (x < 0.5) {
    struct vi_inc_log r = vi_inc_beta_log(a, 0.5, x);
    li = r.lp, dli_da = r.dlp[0];
  } else {
    struct vi_inc_log r = vi_inc_beta_log(0.5, a, omx);
    li = r.lq, dli_da = r.dlq[1];
  }
  double ltail = li - VI_LOG2, lbody = vi_log1m_exp(ltail); /* log J, log(1 - J) */
  double dltail_dnu = 0.5 * dli_da;
  if (t2 > 0 && x > 0) {
    double ldidx = (a - 1) * log(x) - 0.5 * log(omx) - vi_lbeta(a, 0.5);
    dltail_dnu += exp(ldidx - li) * t2 / ((nu + t2) * (nu + t2));
  }
  double ldens = vi_lgamma(0.5 * (nu + 1)) - vi_lgamma(a) - 0.5 * log(nu * VI_PI) -
                 0.5 * (nu + 1) * log1p(t2 / nu); /* log dF/dt */
  int below = t < 0;
  double lf, dlf_dt, dlf_dnu; /* log of the probability taken, its derivatives */
  if (below != upper) {       /* F below the centre, or 1 - F above it: the tail */
    lf = ltail;
    dlf_dt = (below ? 1 : -1) * exp(ldens - lf);
    dlf_dnu = dltail_dnu;
  } else {
    lf = lbody;
    dlf_dt = (below ? -1 : 1) * exp(ldens - lf);
    dlf_dnu = -dltail_dnu * exp(ltail - lbody);
  }
  g[0] = dlf_dt / s;
  g[1] = dlf_dnu;
  g[2] = -g[0];
  g[3] = -g[0] * t;
  return lf;
}

/* skew_normal(y | xi, omega, alpha), z = (y - xi) / omega:
 * F = Phi(z) - 2 T(z, alpha), 1 - F = Phi(-z) + 2 T(z, alpha);
 * dF/dz = 2 phi(z) Phi(alpha z); dF/dalpha = -exp(-z^2 (1 + alpha^2) / 2) / (pi (1 + alpha^2)) */
static double skew_normal_cdf_common(const double *v, double *g, int upper) {
  double om = v[2], al = v[3], z = (v[0] - v[1]) / om, t = vi_owens_t(z, al);
  /* log F and log(1 - F): the lower tail of a right-skewed (and by symmetry
   * the upper tail of a left-skewed) distribution by quadrature, where
   * Phi(z) - 2 T(z, alpha) would cancel; a side close to 1 as log1m of the
   * other side */
  double l_lo, l_up, f;
  if (z < 0 && al > 0) l_lo = vi_skew_normal_lower_log(z, al);
  else f = vi_Phi(z) - 2 * t, l_lo = log(f > 0 ? f : 0);
  if (z > 0 && al < 0) l_up = vi_skew_normal_lower_log(-z, -al);
  else f = vi_Phi(-z) + 2 * t, l_up = log(f > 0 ? f : 0);
  double lf = upper ? l_up : l_lo, lo = upper ? l_lo : l_up;
  if (lo < -2.5) lf = vi_log1m_exp(lo);
  double sg = upper ? -1 : 1, u = 1 + al * al;
  double dz = sg * exp(VI_LOG2 - 0.5 * z * z - VI_LOG_SQRT_2PI + vi_log_Phi(al * z) - lf);
  g[0] = dz / om;
  g[1] = -dz / om;
  g[2] = -dz * z / om;
  g[3] = -sg * exp(-0.5 * z * z * u - log(VI_PI * u) - lf);
  return lf;
}

#define CDF_PAIR(CODE, dist, common, nargs, ...)                                                     \
  static double dist##_lcdf_elem(const double *v, double *g, unsigned inc, unsigned var) {     \
    (void)inc, (void)var;                                                                      \
    return common(v, g, 0);                                                                    \
  }                                                                                            \
  static double dist##_lccdf_elem(const double *v, double *g, unsigned inc, unsigned var) {    \
    (void)inc, (void)var;                                                                      \
    return common(v, g, 1);                                                                    \
  }                                                                                            \
  static const struct vi_udist d_##dist##_lcdf = {                                             \
      VI_OPCODE_##CODE##_LCDF, nargs, {__VA_ARGS__}, dist##_lcdf_elem, NULL}; \
  static const struct vi_udist d_##dist##_lccdf = {                                            \
      VI_OPCODE_##CODE##_LCCDF, nargs, {__VA_ARGS__}, dist##_lccdf_elem, NULL}; \
  VI_UDIST_IMPL(dist##_lcdf, d_##dist##_lcdf)                                                  \
  VI_UDIST_IMPL(dist##_lccdf, d_##dist##_lccdf)

#define A_YPROB {"random variable", "variate", VI_DCHK_PROB}
#define A_SKEW {"shape parameter", "shape", VI_DCHK_FINITE}
CDF_PAIR(STD_NORMAL, std_normal, std_normal_cdf_common, 1, A_Y)
CDF_PAIR(GAMMA, gamma, gamma_cdf_common, 3, A_YNN, A_SHAPE, A_INVSCALE)
CDF_PAIR(CHI_SQUARE, chi_square, chi_square_cdf_common, 2, A_YNN, A_DOF)
CDF_PAIR(INV_GAMMA, inv_gamma, inv_gamma_cdf_common, 3, A_YNN, A_SHAPE, A_SCALE)
CDF_PAIR(INV_CHI_SQUARE, inv_chi_square, inv_chi_square_cdf_common, 2, A_YNN, A_DOF)
CDF_PAIR(SCALED_INV_CHI_SQUARE, scaled_inv_chi_square, sinvchi_cdf_common, 3, A_YNN, A_DOF, A_SCALE)
CDF_PAIR(BETA, beta, beta_cdf_common, 3, A_YPROB, {"first shape parameter", "first shape", VI_DCHK_POS_FINITE},
         {"second shape parameter", "second shape", VI_DCHK_POS_FINITE})
CDF_PAIR(STUDENT_T, student_t, student_t_cdf_common, 4, A_Y, A_DOF, A_LOC, A_SCALE)
CDF_PAIR(SKEW_NORMAL, skew_normal, skew_normal_cdf_common, 4, A_Y, A_LOC, A_SCALE, A_SKEW)

/* ---- _rng ---- */

#define R_LOC {"location parameter", "location", VI_DCHK_FINITE}
#define R_SCALE {"scale parameter", "scale", VI_DCHK_POS_FINITE}
#define R_SHAPE {"shape parameter", "shape", VI_DCHK_POS_FINITE}
#define R_INVSCALE {"inverse scale parameter", "inverse scale", VI_DCHK_POS_FINITE}
#define R_DOF {"degrees of freedom parameter", "degrees of freedom", VI_DCHK_POS_FINITE}

#define RNG_FN(name) static double name(struct vi_rng *r, const double *p, char *msg, size_t nmsg)
#define RNG_UNUSED (void)msg, (void)nmsg

RNG_FN(normal_draw) { RNG_UNUSED; return p[0] + p[1] * vi_rng_normal(r); }
RNG_FN(std_normal_draw) { RNG_UNUSED, (void)p; return vi_rng_normal(r); }
RNG_FN(student_t_draw) {
  RNG_UNUSED;
  return p[1] + p[2] * vi_rng_normal(r) / sqrt(2 * vi_rng_gamma(r, 0.5 * p[0]) / p[0]);
}
RNG_FN(cauchy_draw) { RNG_UNUSED; return p[0] + p[1] * tan(VI_PI * (vi_rng_uniform(r) - 0.5)); }
RNG_FN(dexp_draw) {
  RNG_UNUSED;
  double e = vi_rng_exponential(r);
  return p[0] + (vi_rng_uniform(r) < 0.5 ? -p[1] : p[1]) * e;
}
RNG_FN(logistic_draw) {
  RNG_UNUSED;
  double u = vi_rng_uniform(r);
  return p[0] + p[1] * (log(u) - log1p(-u));
}
RNG_FN(lognormal_draw) { RNG_UNUSED; return exp(p[0] + p[1] * vi_rng_normal(r)); }
RNG_FN(exponential_draw) { RNG_UNUSED; return vi_rng_exponential(r) / p[0]; }
RNG_FN(gamma_draw) { RNG_UNUSED; return vi_rng_gamma(r, p[0]) / p[1]; }
RNG_FN(inv_gamma_draw) { RNG_UNUSED; return p[1] / vi_rng_gamma(r, p[0]); }
RNG_FN(beta_draw) { RNG_UNUSED; return vi_dist_rng_beta(r, p[0], p[1]); }
RNG_FN(uniform_draw) {
  if (!(p[1] > p[0])) {
    snprintf(msg, nmsg, "upper bound parameter is %.17g, must be greater than the lower bound %.17g",
             p[1], p[0]);
    return NAN;
  }
  return p[0] + (p[1] - p[0]) * vi_rng_uniform(r);
}
RNG_FN(chi_square_draw) { RNG_UNUSED; return 2 * vi_rng_gamma(r, 0.5 * p[0]); }
RNG_FN(inv_chi_square_draw) { RNG_UNUSED; return 0.5 / vi_rng_gamma(r, 0.5 * p[0]); }
RNG_FN(sinvchi_draw) { RNG_UNUSED; return p[0] * p[1] * p[1] / (2 * vi_rng_gamma(r, 0.5 * p[0])); }
RNG_FN(weibull_draw) { RNG_UNUSED; return p[1] * pow(vi_rng_exponential(r), 1 / p[0]); }
RNG_FN(pareto_draw) { RNG_UNUSED; return p[0] * exp(vi_rng_exponential(r) / p[1]); }
RNG_FN(gumbel_draw) { RNG_UNUSED; return p[0] - p[1] * log(vi_rng_exponential(r)); }
RNG_FN(skew_normal_draw) {
  RNG_UNUSED;
  double d = p[2] / sqrt(1 + p[2] * p[2]);
  double u0 = vi_rng_normal(r), w = vi_rng_normal(r);
  double u1 = d * u0 + sqrt(1 - d * d) * w;
  return p[0] + p[1] * (u0 >= 0 ? u1 : -u1);
}

static const struct vi_drng r_normal = {"normal_rng", 2, 0, {R_LOC, R_SCALE}, normal_draw};
static const struct vi_drng r_std_normal = {"std_normal_rng", 0, 0, {{0}}, std_normal_draw};
static const struct vi_drng r_student_t = {"student_t_rng", 3, 0, {R_DOF, R_LOC, R_SCALE}, student_t_draw};
static const struct vi_drng r_cauchy = {"cauchy_rng", 2, 0, {R_LOC, R_SCALE}, cauchy_draw};
static const struct vi_drng r_dexp = {"double_exponential_rng", 2, 0, {R_LOC, R_SCALE}, dexp_draw};
static const struct vi_drng r_logistic = {"logistic_rng", 2, 0, {R_LOC, R_SCALE}, logistic_draw};
static const struct vi_drng r_lognormal = {"lognormal_rng", 2, 0, {R_LOC, R_SCALE}, lognormal_draw};
static const struct vi_drng r_exponential = {"exponential_rng", 1, 0, {R_INVSCALE}, exponential_draw};
static const struct vi_drng r_gamma = {"gamma_rng", 2, 0, {R_SHAPE, R_INVSCALE}, gamma_draw};
static const struct vi_drng r_inv_gamma = {"inv_gamma_rng", 2, 0, {R_SHAPE, R_SCALE}, inv_gamma_draw};
static const struct vi_drng r_beta = {
    "beta_rng", 2, 0,
    {{"first shape parameter", "first shape", VI_DCHK_POS_FINITE},
     {"second shape parameter", "second shape", VI_DCHK_POS_FINITE}},
    beta_draw};
static const struct vi_drng r_uniform = {
    "uniform_rng", 2, 0,
    {{"lower bound parameter", "lower bound", VI_DCHK_FINITE},
     {"upper bound parameter", "upper bound", VI_DCHK_FINITE}},
    uniform_draw};
static const struct vi_drng r_chi_square = {"chi_square_rng", 1, 0, {R_DOF}, chi_square_draw};
static const struct vi_drng r_inv_chi_square = {"inv_chi_square_rng", 1, 0, {R_DOF}, inv_chi_square_draw};
static const struct vi_drng r_sinvchi = {"scaled_inv_chi_square_rng", 2, 0, {R_DOF, R_SCALE}, sinvchi_draw};
static const struct vi_drng r_weibull = {"weibull_rng", 2, 0, {R_SHAPE, R_SCALE}, weibull_draw};
static const struct vi_drng r_pareto = {"pareto_rng", 2, 0, {R_SCALE, R_SHAPE}, pareto_draw};
static const struct vi_drng r_gumbel = {"gumbel_rng", 2, 0, {R_LOC, R_SCALE}, gumbel_draw};
static const struct vi_drng r_skew_normal = {
    "skew_normal_rng", 3, 0, {R_LOC, R_SCALE, {"shape parameter", "shape", VI_DCHK_FINITE}},
    skew_normal_draw};

VI_DRNG_IMPL(normal_rng, r_normal)
VI_DRNG_IMPL(std_normal_rng, r_std_normal)
VI_DRNG_IMPL(student_t_rng, r_student_t)
VI_DRNG_IMPL(cauchy_rng, r_cauchy)
VI_DRNG_IMPL(double_exponential_rng, r_dexp)
VI_DRNG_IMPL(logistic_rng, r_logistic)
VI_DRNG_IMPL(lognormal_rng, r_lognormal)
VI_DRNG_IMPL(exponential_rng, r_exponential)
VI_DRNG_IMPL(gamma_rng, r_gamma)
VI_DRNG_IMPL(inv_gamma_rng, r_inv_gamma)
VI_DRNG_IMPL(beta_rng, r_beta)
VI_DRNG_IMPL(uniform_rng, r_uniform)
VI_DRNG_IMPL(chi_square_rng, r_chi_square)
VI_DRNG_IMPL(inv_chi_square_rng, r_inv_chi_square)
VI_DRNG_IMPL(scaled_inv_chi_square_rng, r_sinvchi)
VI_DRNG_IMPL(weibull_rng, r_weibull)
VI_DRNG_IMPL(pareto_rng, r_pareto)
VI_DRNG_IMPL(gumbel_rng, r_gumbel)
VI_DRNG_IMPL(skew_normal_rng, r_skew_normal)

static struct vi_type rule_rng0(const struct vi_type *a, int n) {
  (void)a;
  return n == 0 ? vi_ty(VI_T_REAL, 0) : vi_ty(VI_T_ERROR, 0);
}

/* normal_id_glm(y | x, alpha, beta, sigma): normal(y | x * beta + alpha, sigma), one node */
static int normal_id_glm_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                              int flags, struct vi_srcloc loc) {
  return vi_glm_call(VI_GLM_NORMAL, c, out, args, nargs, flags, loc);
}
static struct vi_type rule_normal_id_glm(const struct vi_type *a, int n) { return vi_drule_glm(a, n, 0, 1); }

/* ---- the table ---- */

#define LPDF VI_FN_LPDF
/* von_mises(y | mu, kappa): lp = kappa cos(y - mu) - log(2 pi) - log I0(kappa);
 * dy = -kappa sin(y - mu), dmu = kappa sin(y - mu), dkappa = cos(y - mu) - I1(kappa) / I0(kappa).
 * kappa = 0 is the uniform density on the circle. */
static double von_mises_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double d = v[0] - v[1], k = v[2], sd = sin(d), cd = cos(d);
  double lp = k * cd;
  if (inc & B2) lp -= vi_log_bessel_i0(k);
  if (inc & CONST) lp -= 2 * VI_LOG_SQRT_2PI;
  g[0] = -k * sd;
  g[1] = k * sd;
  if (var & B2) g[2] = cd - vi_bessel_i1_i0(k);
  return lp;
}
static const struct vi_udist d_von_mises = {
    VI_OPCODE_VON_MISES_LPDF, 3,
    {A_YF, A_LOC, {"scale parameter", "scale", VI_DCHK_NONNEG}}, von_mises_elem, NULL};
VI_UDIST_IMPL(von_mises_lpdf, d_von_mises)

/* loglogistic(y | alpha, beta), alpha a scale, beta a shape: with
 * t = beta (log y - log alpha) and s = inv_logit(t),
 * lp = log beta - log alpha + (beta - 1)(log y - log alpha) - 2 log1p_exp(t);
 * dy = (beta - 1 - 2 s beta) / y, dalpha = beta (2 s - 1) / alpha,
 * dbeta = 1 / beta + (log y - log alpha)(1 - 2 s). y must be positive. */
static double loglogistic_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  double y = v[0], a = v[1], b = v[2], l = log(y) - log(a), t = b * l, s = vi_inv_logit(t);
  g[0] = (b - 1 - 2 * s * b) / y;
  g[1] = b * (2 * s - 1) / a;
  g[2] = 1 / b + l * (1 - 2 * s);
  return log(b) - log(a) + (b - 1) * l - 2 * vi_log1p_exp(t);
}
static const struct vi_udist d_loglogistic = {
    VI_OPCODE_LOGLOGISTIC_LPDF, 3,
    {{"random variable", "variate", VI_DCHK_POS_FINITE}, A_SCALE, A_SHAPE}, loglogistic_elem, NULL};
VI_UDIST_IMPL(loglogistic_lpdf, d_loglogistic)

/* beta_proportion(y | mu, kappa) = beta(y | mu kappa, (1 - mu) kappa), 0 < mu < 1:
 * with a = mu kappa, b = (1 - mu) kappa,
 * lp = lgamma(kappa) - lgamma(a) - lgamma(b) + (a - 1) log y + (b - 1) log1m(y);
 * dy = (a - 1) / y - (b - 1) / (1 - y),
 * dmu = kappa (digamma(b) - digamma(a) + log y - log1m(y)),
 * dkappa = digamma(kappa) - mu digamma(a) - (1 - mu) digamma(b) + mu log y + (1 - mu) log1m(y) */
static double beta_proportion_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double y = v[0], mu = v[1], k = v[2], a = mu * k, b = (1 - mu) * k;
  double ly = log(y), l1y = log1p(-y), lp = 0;
  if (inc & (B1 | B2)) lp += vi_lgamma(k) - vi_lgamma(a) - vi_lgamma(b);
  lp += (a - 1) * ly + (b - 1) * l1y;
  g[0] = (a - 1) / y - (b - 1) / (1 - y);
  if (var & (B1 | B2)) {
    double da = vi_digamma(a), db = vi_digamma(b);
    g[1] = k * (db - da + ly - l1y);
    g[2] = vi_digamma(k) - mu * da - (1 - mu) * db + mu * ly + (1 - mu) * l1y;
  }
  return lp;
}
static int beta_proportion_xcheck(struct vi_node *n, const double *v, size_t i) {
  (void)i;
  if (v[1] > 0 && v[1] < 1) return 0;
  return vi_node_fail(n, "location parameter is %.17g, must be in the interval (0, 1)", v[1]);
}
static const struct vi_udist d_beta_proportion = {
    VI_OPCODE_BETA_PROPORTION_LPDF, 3,
    {{"random variable", "variate", VI_DCHK_PROB}, {"location parameter", "location", VI_DCHK_FINITE},
     {"precision parameter", "precision", VI_DCHK_POS_FINITE}},
    beta_proportion_elem, beta_proportion_xcheck};
VI_UDIST_IMPL(beta_proportion_lpdf, d_beta_proportion)

#define CDF VI_FN_CDF
#define RNG VI_FN_RNG
#define SIG2 "(reals, reals) => real"
#define SIG3 "(reals, reals, reals) => real"
#define SIG4 "(reals, reals, reals, reals) => real"

/* Test specs: location-scale families share one pattern (vector variate with
 * scalar and vector parameters, propto, and a negative scale that must fail). */
#define T_LOCSCALE(y)                                                                  \
  "r" y ",r[-1,1],r[0.5,2];v4" y ",v4[-1,1],r[0.5,2];v3" y ",v3[-1,1],v3[0.5,2];r" y   \
  ",v3[-1,1],r[0.5,2]@1;d:v3" y ",v3[-1,1],d:r[0.5,2]@1;!r" y ",r[-1,1],r[-2,-0.5]"

/* Test specs of the incomplete-gamma/beta cdfs: both branches of the series /
 * continued fraction (small and large x), vectorised forms, a bad shape and a
 * bad variate that must fail. */
#define T_GAMMA_CDF                                                                              \
  "r[0.2,3],r[0.5,3],r[0.5,2];r[4,8],r[0.5,2],r[1,2];r[0.01,0.1],r[20,40],r[1,2];r[60,90],r[2,4],r[1,2];" \
  "v3[0.2,3],r[0.5,3],v3[0.5,2];"               \
  "v3[0.2,3],v3[0.5,3],r[0.5,2];!r[1,2],r[-2,-1],r[0.5,2];!r[1,2],r[1,2],r[-2,-1];!r[-2,-1],r[1,2],r[1,2]"
#define T_CHI_CDF \
  "r[0.2,3],r[0.5,4];r[6,10],r[0.5,3];v3[0.2,3],r[0.5,4];v3[0.2,5],v3[0.5,4];!r[1,2],r[-2,-1];!r[-2,-1],r[1,2]"
#define T_INVCHI_CDF \
  "r[0.2,3],r[0.5,4];r[0.02,0.1],r[0.5,3];v3[0.2,3],r[0.5,4];v3[0.1,3],v3[0.5,4];!r[1,2],r[-2,-1];!r[-2,-1],r[1,2]"
#define T_SINVCHI_CDF                                                                       \
  "r[0.2,3],r[0.5,4],r[0.5,2];r[0.02,0.1],r[1,3],r[0.5,1];v3[0.2,3],r[0.5,4],v3[0.5,2];"    \
  "v3[0.2,3],v3[0.5,4],r[0.5,2];!r[1,2],r[-2,-1],r[0.5,2];!r[1,2],r[1,2],r[-2,-1]"
#define T_BETA_CDF                                                                          \
  "r[0.05,0.95],r[0.5,3],r[0.5,3];r[0.01,0.1],r[2,4],r[0.5,1];r[0.9,0.99],r[0.5,1],r[2,4];" \
  "v3[0.1,0.9],r[0.5,3],v3[0.5,3];!r[1.1,2],r[1,2],r[1,2];!r[0.1,0.9],r[-2,-1],r[1,2]"
#define T_STUDENT_CDF                                                                       \
  "r[-3,3],r[1,5],r[-1,1],r[0.5,2];r[2,6],r[0.5,3],r[-1,0],r[0.5,1];r[-6,-2],r[2,8],r[0,1],r[0.5,1];" \
  "v3[-2,2],v3[1,5],v3[-1,1],v3[0.5,2];v3[-2,2],r[1,5],r[-1,1],r[0.5,2];!r[-2,2],r[-2,-1],r[-1,1],r[0.5,2];" \
  "r[-60,-30],r[20,40],r[0,1],r[0.5,1];r[30,60],r[0.5,2],r[-1,0],r[0.5,1];!r[-2,2],r[1,2],r[-1,1],r[-2,-1]"
#define T_SKEW_CDF                                                                          \
  "r[-2,2],r[-1,1],r[0.5,2],r[-2,2];r[-1,1],r[-1,1],r[0.5,2],r[2,5];v3[-2,2],v3[-1,1],r[0.5,2],v3[-2,2];" \
  "v3[-2,2],r[-1,1],v3[0.5,2],r[-0.5,0.5];r[-4,-3],r[0,0.5],r[0.5,1],r[2,4];r[3,4],r[0,0.5],r[0.5,1],r[-4,-2];" \
  "!r[-2,2],r[-1,1],r[-2,-1],r[-2,2]"

const struct vi_func vi_stdlib_dist_cont[] = {
    {"normal_lpdf", vi_drule_reals3, normal_lpdf, SIG3, LPDF,
     T_LOCSCALE("[-2,2]") ";d:v5[-2,2],v5[-1,1],r[0.5,2];d:v5[-2,2],v5[-1,1],r[0.5,2]@1;"
                          "v3[-2,2],v3[-1,1],d:r[0.5,2]@1;!r[-1,1],r[-1,1],r[0,0]"},
    {"normal_id_glm_lpdf", rule_normal_id_glm, normal_id_glm_lpdf,
     "(real or vector, matrix, real or vector, vector, real or vector) => real", LPDF,
     "v4[-2,2],m4x2[-1,1],r[-1,1],v2[-1,1],r[0.5,2];v3[-2,2],m3x2[-1,1],v3[-1,1],v2[-1,1],v3[0.5,2];"
     "d:v4[-2,2],d:m4x3[-1,1],r[-1,1],v3[-1,1],r[0.5,2]@1;d:v3[-2,2],d:m3x2[-1,1],r[-1,1],v2[-1,1],d:r[0.5,2]@1;"
     "!v3[-2,2],m3x2[-1,1],r[-1,1],v2[-1,1],r[-2,-1];"
     /* more rows than one block of the kernel (128), with a partial last block */
     "v300[-2,2],d:m300x3[-1,1],r[-1,1],v3[-1,1],r[0.5,2];d:v260[-2,2],m260x2[-1,1],v260[-1,1],v2[-1,1],v260[0.5,2]"},
    {"std_normal_lpdf", vi_drule_reals1, std_normal_lpdf, "(reals) => real", LPDF,
     "r[-2,2];v4[-2,2];v3[-2,2]@1"},
    {"student_t_lpdf", vi_drule_reals4, student_t_lpdf, SIG4, LPDF,
     "r[-2,2],r[1,5],r[-1,1],r[0.5,2];v3[-2,2],v3[1,5],v3[-1,1],v3[0.5,2];"
     "v3[-2,2],r[1,5],r[-1,1],r[0.5,2]@1;!r[-2,2],r[-2,-1],r[-1,1],r[0.5,2]"},
    {"cauchy_lpdf", vi_drule_reals3, cauchy_lpdf, SIG3, LPDF, T_LOCSCALE("[-2,2]")},
    {"double_exponential_lpdf", vi_drule_reals3, double_exponential_lpdf, SIG3, LPDF,
     "r[0.2,2],r[-1,0],r[0.5,2];v4[-2,-1.2],v4[-1,1],r[0.5,2];v3[1.2,2],r[-1,1],v3[0.5,2]@1;"
     "!r[0,1],r[0,1],r[-2,-0.5]"},
    {"logistic_lpdf", vi_drule_reals3, logistic_lpdf, SIG3, LPDF, T_LOCSCALE("[-2,2]")},
    {"lognormal_lpdf", vi_drule_reals3, lognormal_lpdf, SIG3, LPDF,
     "r[0.5,3],r[-1,1],r[0.5,2];v4[0.5,3],v4[-1,1],r[0.5,2];v3[0.5,3],r[-1,1],v3[0.5,2]@1;"
     "!r[-2,-1],r[-1,1],r[0.5,2];!r[0.5,3],r[-1,1],r[-2,-1]"},
    {"exponential_lpdf", vi_drule_reals2, exponential_lpdf, SIG2, LPDF,
     "r[0.1,3],r[0.5,2];v4[0.1,3],r[0.5,2];v3[0.1,3],v3[0.5,2]@1;!r[-2,-1],r[0.5,2];!r[1,2],r[-2,-1]"},
    {"gamma_lpdf", vi_drule_reals3, gamma_lpdf, SIG3, LPDF,
     "r[0.2,3],r[0.5,3],r[0.5,2];v4[0.2,3],r[0.5,3],v4[0.5,2];v3[0.2,3],v3[0.5,3],r[0.5,2]@1;"
     "d:v3[0.2,3],r[0.5,3],d:r[0.5,2]@1;!r[1,2],r[-2,-1],r[0.5,2];!r[1,2],r[1,2],r[-2,-1]"},
    {"inv_gamma_lpdf", vi_drule_reals3, inv_gamma_lpdf, SIG3, LPDF,
     "r[0.2,3],r[0.5,3],r[0.5,2];v4[0.2,3],r[0.5,3],v4[0.5,2];v3[0.2,3],v3[0.5,3],r[0.5,2]@1;"
     "!r[1,2],r[-2,-1],r[0.5,2]"},
    {"von_mises_lpdf", vi_drule_reals3, von_mises_lpdf, SIG3, LPDF,
     "r[-3,3],r[-1,1],r[0.5,4];v4[-3,3],r[-1,1],v4[10,60];v3[-3,3],v3[-1,1],r[25,40]@1;r[-1,1],r[-1,1],d:r[0,0];"
     "d:v3[-3,3],r[-1,1],d:r[1,2]@1;!r[1,2],r[0,1],r[-2,-1]"},
    {"loglogistic_lpdf", vi_drule_reals3, loglogistic_lpdf, SIG3, LPDF,
     "r[0.2,3],r[0.5,2],r[0.5,4];v4[0.2,3],r[0.5,2],v4[0.5,4];v3[0.2,3],v3[0.5,2],r[0.5,4]@1;"
     "!r[-2,-1],r[1,2],r[1,2];!r[1,2],r[-2,-1],r[1,2]"},
    {"beta_proportion_lpdf", vi_drule_reals3, beta_proportion_lpdf, SIG3, LPDF,
     "r[0.1,0.9],r[0.2,0.8],r[0.5,5];v4[0.1,0.9],r[0.2,0.8],v4[0.5,5];v3[0.1,0.9],v3[0.2,0.8],r[0.5,5]@1;"
     "!r[0.1,0.9],r[1,2],r[1,2];!r[0.1,0.9],r[0.2,0.8],r[-2,-1];!r[1.1,2],r[0.2,0.8],r[1,2]"},
    {"beta_lpdf", vi_drule_reals3, beta_lpdf, SIG3, LPDF,
     "r[0.1,0.9],r[0.5,3],r[0.5,3];v4[0.1,0.9],r[0.5,3],v4[0.5,3];v3[0.1,0.9],v3[0.5,3],r[0.5,3]@1;"
     "!r[1.1,2],r[1,2],r[1,2];!r[0.1,0.9],r[-2,-1],r[1,2]"},
    {"uniform_lpdf", vi_drule_reals3, uniform_lpdf, SIG3, LPDF,
     "r[-0.5,0.5],r[-2,-1],r[1,2];v4[-0.5,0.5],r[-2,-1],v4[1,2];v3[-0.5,0.5],v3[-2,-1],r[1,2]@1;"
     "!r[0,1],r[1,2],r[-2,-1]"},
    {"chi_square_lpdf", vi_drule_reals2, chi_square_lpdf, SIG2, LPDF,
     "r[0.2,3],r[0.5,4];v4[0.2,3],r[0.5,4];v3[0.2,3],v3[0.5,4]@1;!r[-2,-1],r[1,2];!r[1,2],r[-2,-1]"},
    {"inv_chi_square_lpdf", vi_drule_reals2, inv_chi_square_lpdf, SIG2, LPDF,
     "r[0.2,3],r[0.5,4];v4[0.2,3],r[0.5,4];v3[0.2,3],v3[0.5,4]@1;!r[1,2],r[-2,-1]"},
    {"scaled_inv_chi_square_lpdf", vi_drule_reals3, scaled_inv_chi_square_lpdf, SIG3, LPDF,
     "r[0.2,3],r[0.5,4],r[0.5,2];v4[0.2,3],r[0.5,4],v4[0.5,2];v3[0.2,3],v3[0.5,4],r[0.5,2]@1;"
     "!r[1,2],r[1,2],r[-2,-1]"},
    {"weibull_lpdf", vi_drule_reals3, weibull_lpdf, SIG3, LPDF,
     "r[0.2,3],r[0.5,3],r[0.5,2];v4[0.2,3],r[0.5,3],v4[0.5,2];v3[0.2,3],v3[0.5,3],r[0.5,2]@1;"
     "!r[1,2],r[-2,-1],r[0.5,2]"},
    {"pareto_lpdf", vi_drule_reals3, pareto_lpdf, SIG3, LPDF,
     "r[2,3],r[0.5,1.5],r[0.5,3];v4[2,3],r[0.5,1.5],v4[0.5,3];v3[2,3],v3[0.5,1.5],r[0.5,3]@1;"
     "!r[2,3],r[-2,-1],r[0.5,2]"},
    {"gumbel_lpdf", vi_drule_reals3, gumbel_lpdf, SIG3, LPDF, T_LOCSCALE("[-2,2]")},
    {"skew_normal_lpdf", vi_drule_reals4, skew_normal_lpdf, SIG4, LPDF,
     "r[-2,2],r[-1,1],r[0.5,2],r[-2,2];v3[-2,2],v3[-1,1],r[0.5,2],v3[-2,2];"
     "v3[-2,2],r[-1,1],v3[0.5,2],r[-2,2]@1;!r[-2,2],r[-1,1],r[-2,-1],r[-2,2]"},
    /* cumulative */
    {"normal_lcdf", vi_drule_reals3, normal_lcdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"normal_lccdf", vi_drule_reals3, normal_lccdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"lognormal_lcdf", vi_drule_reals3, lognormal_lcdf, SIG3, CDF,
     "r[0.2,3],r[-1,1],r[0.5,2];v3[0.2,3],v3[-1,1],r[0.5,2];!r[0.2,3],r[-1,1],r[-2,-1]"},
    {"lognormal_lccdf", vi_drule_reals3, lognormal_lccdf, SIG3, CDF,
     "r[0.2,3],r[-1,1],r[0.5,2];v3[0.2,3],v3[-1,1],r[0.5,2];!r[0.2,3],r[-1,1],r[-2,-1]"},
    {"exponential_lcdf", vi_drule_reals2, exponential_lcdf, SIG2, CDF,
     "r[0.1,3],r[0.5,2];v3[0.1,3],r[0.5,2];!r[1,2],r[-2,-1]"},
    {"exponential_lccdf", vi_drule_reals2, exponential_lccdf, SIG2, CDF,
     "r[0.1,3],r[0.5,2];v3[0.1,3],r[0.5,2];!r[1,2],r[-2,-1]"},
    {"cauchy_lcdf", vi_drule_reals3, cauchy_lcdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"cauchy_lccdf", vi_drule_reals3, cauchy_lccdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"logistic_lcdf", vi_drule_reals3, logistic_lcdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"logistic_lccdf", vi_drule_reals3, logistic_lccdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"gumbel_lcdf", vi_drule_reals3, gumbel_lcdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"gumbel_lccdf", vi_drule_reals3, gumbel_lccdf, SIG3, CDF, T_LOCSCALE("[-2,2]")},
    {"weibull_lcdf", vi_drule_reals3, weibull_lcdf, SIG3, CDF,
     "r[0.2,3],r[0.5,3],r[0.5,2];v3[0.2,3],r[0.5,3],v3[0.5,2];!r[1,2],r[-2,-1],r[0.5,2]"},
    {"weibull_lccdf", vi_drule_reals3, weibull_lccdf, SIG3, CDF,
     "r[0.2,3],r[0.5,3],r[0.5,2];v3[0.2,3],r[0.5,3],v3[0.5,2];!r[1,2],r[-2,-1],r[0.5,2]"},
    {"pareto_lcdf", vi_drule_reals3, pareto_lcdf, SIG3, CDF,
     "r[2,3],r[0.5,1.5],r[0.5,3];v3[2,3],r[0.5,1.5],v3[0.5,3];!r[2,3],r[-2,-1],r[0.5,2]"},
    {"pareto_lccdf", vi_drule_reals3, pareto_lccdf, SIG3, CDF,
     "r[2,3],r[0.5,1.5],r[0.5,3];v3[2,3],r[0.5,1.5],v3[0.5,3];!r[2,3],r[-2,-1],r[0.5,2]"},
    {"uniform_lcdf", vi_drule_reals3, uniform_lcdf, SIG3, CDF,
     "r[-0.5,0.5],r[-2,-1],r[1,2];v3[-0.5,0.5],r[-2,-1],v3[1,2];!r[0,1],r[1,2],r[-2,-1]"},
    {"uniform_lccdf", vi_drule_reals3, uniform_lccdf, SIG3, CDF,
     "r[-0.5,0.5],r[-2,-1],r[1,2];v3[-0.5,0.5],r[-2,-1],v3[1,2];!r[0,1],r[1,2],r[-2,-1]"},
    {"double_exponential_lcdf", vi_drule_reals3, double_exponential_lcdf, SIG3, CDF,
     "r[0.2,2],r[-1,0],r[0.5,2];r[-2,-1.2],r[-1,1],r[0.5,2];v3[1.2,2],r[-1,1],v3[0.5,2];"
     "!r[0,1],r[0,1],r[-2,-0.5]"},
    {"double_exponential_lccdf", vi_drule_reals3, double_exponential_lccdf, SIG3, CDF,
     "r[0.2,2],r[-1,0],r[0.5,2];r[-2,-1.2],r[-1,1],r[0.5,2];v3[1.2,2],r[-1,1],v3[0.5,2];"
     "!r[0,1],r[0,1],r[-2,-0.5]"},
    {"std_normal_lcdf", vi_drule_reals1, std_normal_lcdf, "(reals) => real", CDF,
     "r[-3,3];r[-30,-20];r[20,30];v4[-3,3];!r[-2,2],r[-2,2]"},
    {"std_normal_lccdf", vi_drule_reals1, std_normal_lccdf, "(reals) => real", CDF,
     "r[-3,3];r[-30,-20];r[20,30];v4[-3,3];!r[-2,2],r[-2,2]"},
    {"gamma_lcdf", vi_drule_reals3, gamma_lcdf, SIG3, CDF, T_GAMMA_CDF},
    {"gamma_lccdf", vi_drule_reals3, gamma_lccdf, SIG3, CDF, T_GAMMA_CDF},
    {"inv_gamma_lcdf", vi_drule_reals3, inv_gamma_lcdf, SIG3, CDF, T_GAMMA_CDF},
    {"inv_gamma_lccdf", vi_drule_reals3, inv_gamma_lccdf, SIG3, CDF, T_GAMMA_CDF},
    {"chi_square_lcdf", vi_drule_reals2, chi_square_lcdf, SIG2, CDF, T_CHI_CDF},
    {"chi_square_lccdf", vi_drule_reals2, chi_square_lccdf, SIG2, CDF, T_CHI_CDF},
    {"inv_chi_square_lcdf", vi_drule_reals2, inv_chi_square_lcdf, SIG2, CDF, T_INVCHI_CDF},
    {"inv_chi_square_lccdf", vi_drule_reals2, inv_chi_square_lccdf, SIG2, CDF, T_INVCHI_CDF},
    {"scaled_inv_chi_square_lcdf", vi_drule_reals3, scaled_inv_chi_square_lcdf, SIG3, CDF, T_SINVCHI_CDF},
    {"scaled_inv_chi_square_lccdf", vi_drule_reals3, scaled_inv_chi_square_lccdf, SIG3, CDF, T_SINVCHI_CDF},
    {"beta_lcdf", vi_drule_reals3, beta_lcdf, SIG3, CDF, T_BETA_CDF},
    {"beta_lccdf", vi_drule_reals3, beta_lccdf, SIG3, CDF, T_BETA_CDF},
    {"student_t_lcdf", vi_drule_reals4, student_t_lcdf, SIG4, CDF, T_STUDENT_CDF},
    {"student_t_lccdf", vi_drule_reals4, student_t_lccdf, SIG4, CDF, T_STUDENT_CDF},
    {"skew_normal_lcdf", vi_drule_reals4, skew_normal_lcdf, SIG4, CDF, T_SKEW_CDF},
    {"skew_normal_lccdf", vi_drule_reals4, skew_normal_lccdf, SIG4, CDF, T_SKEW_CDF},
    /* random numbers: no derivative, no test spec */
    {"normal_rng", vi_drule_rng_real2, normal_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"std_normal_rng", rule_rng0, std_normal_rng, "() => real", RNG, NULL},
    {"student_t_rng", vi_drule_rng_real3, student_t_rng, "(reals, reals, reals) => real or array[] real", RNG, NULL},
    {"cauchy_rng", vi_drule_rng_real2, cauchy_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"double_exponential_rng", vi_drule_rng_real2, double_exponential_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"logistic_rng", vi_drule_rng_real2, logistic_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"lognormal_rng", vi_drule_rng_real2, lognormal_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"exponential_rng", vi_drule_rng_real1, exponential_rng, "(reals) => real or array[] real", RNG, NULL},
    {"gamma_rng", vi_drule_rng_real2, gamma_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"inv_gamma_rng", vi_drule_rng_real2, inv_gamma_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"beta_rng", vi_drule_rng_real2, beta_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"uniform_rng", vi_drule_rng_real2, uniform_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"chi_square_rng", vi_drule_rng_real1, chi_square_rng, "(reals) => real or array[] real", RNG, NULL},
    {"inv_chi_square_rng", vi_drule_rng_real1, inv_chi_square_rng, "(reals) => real or array[] real", RNG, NULL},
    {"scaled_inv_chi_square_rng", vi_drule_rng_real2, scaled_inv_chi_square_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"weibull_rng", vi_drule_rng_real2, weibull_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"pareto_rng", vi_drule_rng_real2, pareto_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"gumbel_rng", vi_drule_rng_real2, gumbel_rng, "(reals, reals) => real or array[] real", RNG, NULL},
    {"skew_normal_rng", vi_drule_rng_real3, skew_normal_rng, "(reals, reals, reals) => real or array[] real", RNG, NULL},
};
const size_t vi_stdlib_dist_cont_n = VI_COUNTOF(vi_stdlib_dist_cont);
