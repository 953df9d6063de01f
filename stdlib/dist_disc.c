/* dist_disc.c: discrete distributions: _lpmf (fused, vectorised nodes,
 * stdlib/dist_util.h) and _rng. Count variates arrive as ints and are seen
 * by the element functions as exact doubles. Parameterisations follow the
 * Stan Functions Reference. */
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

#define A_COUNT {"count variate", "variate", VI_DCHK_NONNEG}
#define A_BOOL {"n", "variate", VI_DCHK_BOOL}
#define A_SUCC {"successes variable", "variate", VI_DCHK_NONNEG}
#define A_POP {"population size parameter", "population size", VI_DCHK_NONNEG}
#define A_PROB {"probability parameter", "probability", VI_DCHK_PROB}
#define A_LOGIT {"logit probability parameter", "logit probability", VI_DCHK_NOT_NAN}
#define A_LOGRATE {"log rate parameter", "log rate", VI_DCHK_NOT_NAN}
#define A_RATE {"rate parameter", "rate", VI_DCHK_NONNEG}
#define A_LOC {"location parameter", "location", VI_DCHK_POS_FINITE}
#define A_LOGLOC {"log location parameter", "log location", VI_DCHK_FINITE}
#define A_PREC {"precision parameter", "precision", VI_DCHK_POS_FINITE}
#define A_SHAPE {"shape parameter", "shape", VI_DCHK_POS_FINITE}
#define A_INVSCALE {"inverse scale parameter", "inverse scale", VI_DCHK_POS_FINITE}
#define A_PRIOR1 {"first prior sample size parameter", "first prior size", VI_DCHK_POS_FINITE}
#define A_PRIOR2 {"second prior sample size parameter", "second prior size", VI_DCHK_POS_FINITE}

/* n <= N for binomial-type variates */
static int successes_xcheck(struct vi_node *n, const double *v, size_t i) {
  (void)i;
  if (v[0] <= v[1]) return 0;
  return vi_node_fail(n, "successes variable is %.17g, must be in the interval [0, %.17g]", v[0], v[1]);
}

/* ---- bernoulli ---- */

/* bernoulli(n | theta): lp = n log theta + (1 - n) log1m(theta); dtheta = n/theta - (1-n)/(1-theta) */
static double bernoulli_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  double th = v[1];
  if (v[0] == 1) {
    g[1] = 1 / th;
    return log(th);
  }
  g[1] = -1 / (1 - th);
  return log1p(-th);
}
static const struct vi_udist d_bernoulli = {
    VI_OPCODE_BERNOULLI_LPMF, 2, {A_BOOL, A_PROB}, bernoulli_elem, NULL};
VI_UDIST_IMPL(bernoulli_lpmf, d_bernoulli)

/* bernoulli_logit(n | alpha): with s = 2n - 1, t = s alpha:
 * lp = log inv_logit(t) = min(t, 0) - log1p(exp(-|t|)); dalpha = s inv_logit(-t) */
static double bernoulli_logit_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)inc, (void)var;
  double s = 2 * v[0] - 1, t = s * v[1], e = exp(-fabs(t));
  g[1] = s * (t > 0 ? e : 1) / (1 + e);
  return (t < 0 ? t : 0) - log1p(e);
}

/* Tight loop for the common case (vector of outcomes, vector or scalar alpha). */
int vi_k_bernoulli_logit_fwd(struct vi_node *n) {
  const struct vi_arg *a = n->a;
  size_t len = vi_udist_len(n);
  const double *y = a[0].x, *al = a[1].x;
  if (len <= 1 || a[0].n != len) {
    if (vi_udist_fwd(n)) return 1;
  } else {
    if (vi_udist_checks(n)) return 1; /* the outcomes (once); alpha is checked through NaN below */
    n->y[0] = 0;
    if (!vi_udist_inc(n)) return 0;
    double *p = a[1].dx ? n->aux : NULL, lp = 0;
    if (a[1].n == len) {
      if (p) {
        for (size_t i = 0; i < len; i++) {
          double s = 2 * y[i] - 1, t = s * al[i], e = exp(-fabs(t));
          lp += (t < 0 ? t : 0) - log1p(e);
          p[i] = s * (t > 0 ? e : 1) / (1 + e);
        }
      } else {
        for (size_t i = 0; i < len; i++) {
          double t = (2 * y[i] - 1) * al[i];
          lp += (t < 0 ? t : 0) - log1p(exp(-fabs(t)));
        }
      }
    } else {
      const double a0 = al[0];
      double sg = 0;
      for (size_t i = 0; i < len; i++) {
        double s = 2 * y[i] - 1, t = s * a0, e = exp(-fabs(t));
        lp += (t < 0 ? t : 0) - log1p(e);
        sg += s * (t > 0 ? e : 1) / (1 + e);
      }
      if (p) p[0] = sg;
    }
    n->y[0] = lp;
  }
  if (isnan(n->y[0])) {
    for (size_t i = 0; i < a[1].n; i++)
      if (isnan(al[i])) {
        if (a[1].n > 1) return vi_node_fail(n, "logit probability parameter[%zu] is nan, must not be nan", i + 1);
        return vi_node_fail(n, "logit probability parameter is nan, must not be nan");
      }
  }
  return 0;
}
static const struct vi_udist d_bernoulli_logit = {
    VI_OPCODE_BERNOULLI_LOGIT_LPMF, 2,
    {A_BOOL, {"logit probability parameter", "logit probability", VI_DCHK_NONE}},
    bernoulli_logit_elem, NULL};
VI_UDIST_IMPL(bernoulli_logit_lpmf, d_bernoulli_logit)

/* ---- binomial family ---- */

/* binomial(n | N, theta): lp = lchoose(N, n) + n log theta + (N - n) log1m(theta) */
static double binomial_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double k = v[0], N = v[1], th = v[2], lp = 0;
  if (inc & CONST) lp += vi_lchoose(N, k);
  if (k > 0) lp += k * log(th);
  if (N - k > 0) lp += (N - k) * log1p(-th);
  g[2] = (k > 0 ? k / th : 0) - (N - k > 0 ? (N - k) / (1 - th) : 0);
  return lp;
}
static const struct vi_udist d_binomial = {
    VI_OPCODE_BINOMIAL_LPMF, 3, {A_SUCC, A_POP, A_PROB}, binomial_elem,
    successes_xcheck};
VI_UDIST_IMPL(binomial_lpmf, d_binomial)

/* binomial_logit(n | N, alpha): lp = lchoose(N, n) + n log_inv_logit(alpha)
 * + (N - n) log1m_inv_logit(alpha); dalpha = n - N inv_logit(alpha) */
static double binomial_logit_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double k = v[0], N = v[1], al = v[2], lp = 0;
  if (inc & CONST) lp += vi_lchoose(N, k);
  if (k > 0) lp += k * vi_log_inv_logit(al);
  if (N - k > 0) lp += (N - k) * vi_log1m_inv_logit(al);
  g[2] = k - N * vi_inv_logit(al);
  return lp;
}
static const struct vi_udist d_binomial_logit = {
    VI_OPCODE_BINOMIAL_LOGIT_LPMF, 3, {A_SUCC, A_POP, A_LOGIT},
    binomial_logit_elem, successes_xcheck};
VI_UDIST_IMPL(binomial_logit_lpmf, d_binomial_logit)

/* beta_binomial(n | N, a, b): lp = lchoose(N, n) + lbeta(n + a, N - n + b) - lbeta(a, b);
 * da = digamma(n+a) - digamma(N+a+b) - digamma(a) + digamma(a+b), db likewise */
static double beta_binomial_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double k = v[0], N = v[1], a = v[2], b = v[3], lp = 0;
  if (k < 0 || k > N) return -INFINITY;
  if (inc & CONST) lp += vi_lchoose(N, k);
  lp += vi_lbeta(k + a, N - k + b) - vi_lbeta(a, b);
  if (var & (B2 | B3)) {
    double c = vi_digamma(a + b) - vi_digamma(N + a + b);
    g[2] = vi_digamma(k + a) - vi_digamma(a) + c;
    g[3] = vi_digamma(N - k + b) - vi_digamma(b) + c;
  }
  return lp;
}
static const struct vi_udist d_beta_binomial = {
    VI_OPCODE_BETA_BINOMIAL_LPMF, 4, {A_SUCC, A_POP, A_PRIOR1, A_PRIOR2},
    beta_binomial_elem, NULL};
VI_UDIST_IMPL(beta_binomial_lpmf, d_beta_binomial)

/* ---- Poisson family ---- */

/* poisson(n | lambda): lp = n log lambda - lambda - lgamma(n + 1) */
static double poisson_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double k = v[0], la = v[1], lp = 0;
  if (isinf(la)) return -INFINITY;
  if (inc & CONST) lp -= vi_lgamma(k + 1);
  if (k > 0) lp += k * log(la);
  lp -= la;
  g[1] = (k > 0 ? k / la : 0) - 1;
  return lp;
}
static const struct vi_udist d_poisson = {
    VI_OPCODE_POISSON_LPMF, 2, {A_COUNT, A_RATE}, poisson_elem, NULL};
VI_UDIST_IMPL(poisson_lpmf, d_poisson)

/* poisson_log(n | alpha): lp = n alpha - exp(alpha) - lgamma(n + 1); dalpha = n - exp(alpha) */
static double poisson_log_elem(const double *v, double *g, unsigned inc, unsigned var) {
  (void)var;
  double k = v[0], al = v[1], e = exp(al), lp = 0;
  if (al == INFINITY) return -INFINITY;
  if (inc & CONST) lp -= vi_lgamma(k + 1);
  if (k > 0) lp += k * al;
  lp -= e;
  g[1] = k - e;
  return lp;
}
static const struct vi_udist d_poisson_log = {
    VI_OPCODE_POISSON_LOG_LPMF, 2, {A_COUNT, A_LOGRATE}, poisson_log_elem, NULL};
VI_UDIST_IMPL(poisson_log_lpmf, d_poisson_log)

/* neg_binomial(n | alpha, beta):
 * lp = lgamma(n + alpha) - lgamma(alpha) - lgamma(n + 1) + alpha log(beta / (1 + beta)) - n log1p(beta) */
static double neg_binomial_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double k = v[0], a = v[1], b = v[2], l1b = log1p(b), lp = 0;
  if (inc & CONST) lp -= vi_lgamma(k + 1);
  if (inc & B1) lp += vi_lgamma(k + a) - vi_lgamma(a);
  lp += a * (log(b) - l1b) - k * l1b;
  if (var & B1) g[1] = vi_digamma(k + a) - vi_digamma(a) + log(b) - l1b;
  g[2] = a / (b * (1 + b)) - k / (1 + b);
  return lp;
}
static const struct vi_udist d_neg_binomial = {
    VI_OPCODE_NEG_BINOMIAL_LPMF, 3, {A_COUNT, A_SHAPE, A_INVSCALE},
    neg_binomial_elem, NULL};
VI_UDIST_IMPL(neg_binomial_lpmf, d_neg_binomial)

/* neg_binomial_2(n | mu, phi):
 * lp = lgamma(n + phi) - lgamma(phi) - lgamma(n + 1) + n log mu + phi log phi - (n + phi) log(mu + phi)
 * dmu = n/mu - (n+phi)/(mu+phi);
 * dphi = digamma(n+phi) - digamma(phi) + log phi + 1 - log(mu+phi) - (n+phi)/(mu+phi) */
static double neg_binomial_2_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double k = v[0], mu = v[1], phi = v[2], lmp = log(mu + phi), lphi = log(phi), lp = 0;
  if (inc & CONST) lp -= vi_lgamma(k + 1);
  if (inc & B2) lp += vi_lgamma(k + phi) - vi_lgamma(phi) + phi * lphi;
  if ((inc & B1) && k > 0) lp += k * log(mu);
  lp -= (k + phi) * lmp;
  g[1] = k / mu - (k + phi) / (mu + phi);
  if (var & B2) g[2] = vi_digamma(k + phi) - vi_digamma(phi) + lphi + 1 - lmp - (k + phi) / (mu + phi);
  return lp;
}
static const struct vi_udist d_neg_binomial_2 = {
    VI_OPCODE_NEG_BINOMIAL_2_LPMF, 3, {A_COUNT, A_LOC, A_PREC},
    neg_binomial_2_elem, NULL};
VI_UDIST_IMPL(neg_binomial_2_lpmf, d_neg_binomial_2)

/* neg_binomial_2_log(n | eta, phi): neg_binomial_2 with mu = exp(eta);
 * log(mu + phi) = log_sum_exp(eta, log phi); deta = n - (n + phi) inv_logit(eta - log phi) */
static double neg_binomial_2_log_elem(const double *v, double *g, unsigned inc, unsigned var) {
  double k = v[0], eta = v[1], phi = v[2], lphi = log(phi), lmp = vi_log_sum_exp2(eta, lphi), lp = 0;
  if (inc & CONST) lp -= vi_lgamma(k + 1);
  if (inc & B2) lp += vi_lgamma(k + phi) - vi_lgamma(phi) + phi * lphi;
  if (inc & B1) lp += k * eta;
  lp -= (k + phi) * lmp;
  g[1] = k - (k + phi) * vi_inv_logit(eta - lphi);
  if (var & B2)
    g[2] = vi_digamma(k + phi) - vi_digamma(phi) + lphi + 1 - lmp - (k + phi) * exp(-lmp);
  return lp;
}
static const struct vi_udist d_neg_binomial_2_log = {
    VI_OPCODE_NEG_BINOMIAL_2_LOG_LPMF, 3, {A_COUNT, A_LOGLOC, A_PREC},
    neg_binomial_2_log_elem, NULL};
VI_UDIST_IMPL(neg_binomial_2_log_lpmf, d_neg_binomial_2_log)

/* discrete_range(y | lower, upper), all ints, vectorised with scalars
 * broadcast: lp = sum_i -log(upper_i - lower_i + 1) when every
 * lower_i <= y_i <= upper_i, else -Inf. Nothing is differentiable, so it is
 * computed directly (no node); under `~` (propto) it is 0, as in Stan. */
static int discrete_range_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                               int flags, struct vi_srcloc loc) {
  const char *f = "discrete_range_lpmf";
  static const char *const what[] = {"random variable", "lower bound parameter", "upper bound parameter"};
  if (nargs != 3) return vi_ctx_error(c, loc, "%s: takes 3 arguments, not %d", f, nargs);
  size_t len = 1;
  int ref = -1;
  for (int k = 0; k < 3; k++) {
    if (!args[k].t.ndims) continue;
    if (ref >= 0 && args[k].n != len)
      return vi_ctx_error(c, loc, "%s: size of %s (%zu) does not match size of %s (%zu)", f, what[k], args[k].n,
                          what[ref], len);
    ref = k;
    len = args[k].n;
  }
  double lp = 0;
  for (size_t i = 0; i < len; i++) {
    double v[3];
    for (int k = 0; k < 3; k++) v[k] = vi_val_get(&args[k], args[k].t.ndims ? i : 0);
    if (v[1] > v[2])
      return vi_ctx_error(c, loc, "%s: lower bound parameter is %.17g, must be less than or equal to the upper bound %.17g",
                          f, v[1], v[2]);
    if (v[0] < v[1] || v[0] > v[2]) lp = -INFINITY;
    else lp -= log(v[2] - v[1] + 1);
  }
  if (flags & VI_CALL_PROPTO) lp = 0;
  return vi_val_real_scalar(c, out, lp);
}


/* ---- _rng ---- */

#define RNG_FN(name) static double name(struct vi_rng *r, const double *p, char *msg, size_t nmsg)
#define RNG_UNUSED (void)msg, (void)nmsg

#define R_POP {"population size parameter", "population size", VI_DCHK_NONNEG}

RNG_FN(bernoulli_draw) { RNG_UNUSED; return vi_rng_uniform(r) < p[0]; }
RNG_FN(bernoulli_logit_draw) { RNG_UNUSED; return vi_rng_uniform(r) < vi_inv_logit(p[0]); }
RNG_FN(binomial_draw) { RNG_UNUSED; return vi_dist_rng_binomial(r, p[0], p[1]); }
RNG_FN(binomial_logit_draw) { RNG_UNUSED; return vi_dist_rng_binomial(r, p[0], vi_inv_logit(p[1])); }
RNG_FN(beta_binomial_draw) {
  RNG_UNUSED;
  return vi_dist_rng_binomial(r, p[0], vi_dist_rng_beta(r, p[1], p[2]));
}
static double poisson_checked(struct vi_rng *r, double la, char *msg, size_t nmsg) {
  if (!(la < 1073741824.0)) {
    snprintf(msg, nmsg, "rate parameter is %.17g, must be less than 2^30", la);
    return NAN;
  }
  return vi_dist_rng_poisson(r, la);
}
RNG_FN(poisson_draw) { return poisson_checked(r, p[0], msg, nmsg); }
RNG_FN(poisson_log_draw) { return poisson_checked(r, exp(p[0]), msg, nmsg); }
RNG_FN(neg_binomial_draw) { return poisson_checked(r, vi_rng_gamma(r, p[0]) / p[1], msg, nmsg); }
RNG_FN(neg_binomial_2_draw) {
  return poisson_checked(r, vi_rng_gamma(r, p[1]) * p[0] / p[1], msg, nmsg);
}
RNG_FN(neg_binomial_2_log_draw) {
  return poisson_checked(r, vi_rng_gamma(r, p[1]) * exp(p[0]) / p[1], msg, nmsg);
}

static const struct vi_drng r_bernoulli = {"bernoulli_rng", 1, 1, {A_PROB}, bernoulli_draw};
static const struct vi_drng r_bernoulli_logit = {"bernoulli_logit_rng", 1, 1, {A_LOGIT}, bernoulli_logit_draw};
static const struct vi_drng r_binomial = {"binomial_rng", 2, 1, {R_POP, A_PROB}, binomial_draw};
static const struct vi_drng r_binomial_logit = {"binomial_logit_rng", 2, 1, {R_POP, A_LOGIT}, binomial_logit_draw};
static const struct vi_drng r_beta_binomial = {
    "beta_binomial_rng", 3, 1, {R_POP, A_PRIOR1, A_PRIOR2}, beta_binomial_draw};
static const struct vi_drng r_poisson = {"poisson_rng", 1, 1, {A_RATE}, poisson_draw};
static const struct vi_drng r_poisson_log = {"poisson_log_rng", 1, 1, {A_LOGRATE}, poisson_log_draw};
static const struct vi_drng r_neg_binomial = {"neg_binomial_rng", 2, 1, {A_SHAPE, A_INVSCALE}, neg_binomial_draw};
static const struct vi_drng r_neg_binomial_2 = {"neg_binomial_2_rng", 2, 1, {A_LOC, A_PREC}, neg_binomial_2_draw};
static const struct vi_drng r_neg_binomial_2_log = {
    "neg_binomial_2_log_rng", 2, 1, {A_LOGLOC, A_PREC}, neg_binomial_2_log_draw};

VI_DRNG_IMPL(bernoulli_rng, r_bernoulli)
VI_DRNG_IMPL(bernoulli_logit_rng, r_bernoulli_logit)
VI_DRNG_IMPL(binomial_rng, r_binomial)
VI_DRNG_IMPL(binomial_logit_rng, r_binomial_logit)
VI_DRNG_IMPL(beta_binomial_rng, r_beta_binomial)
VI_DRNG_IMPL(poisson_rng, r_poisson)
VI_DRNG_IMPL(poisson_log_rng, r_poisson_log)
VI_DRNG_IMPL(neg_binomial_rng, r_neg_binomial)
VI_DRNG_IMPL(neg_binomial_2_rng, r_neg_binomial_2)
VI_DRNG_IMPL(neg_binomial_2_log_rng, r_neg_binomial_2_log)

/* ---- GLMs ---- */

static int bernoulli_logit_glm_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                    int nargs, int flags, struct vi_srcloc loc) {
  return vi_glm_call(VI_GLM_BERNOULLI_LOGIT, c, out, args, nargs, flags, loc);
}
static int poisson_log_glm_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                int flags, struct vi_srcloc loc) {
  return vi_glm_call(VI_GLM_POISSON_LOG, c, out, args, nargs, flags, loc);
}
static struct vi_type rule_glm_int(const struct vi_type *a, int n) { return vi_drule_glm(a, n, 1, 0); }
static int binomial_logit_glm_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                   int flags, struct vi_srcloc loc) {
  return vi_glm_call(VI_GLM_BINOMIAL_LOGIT, c, out, args, nargs, flags, loc);
}
static int neg_binomial_2_log_glm_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                       int flags, struct vi_srcloc loc) {
  return vi_glm_call(VI_GLM_NEG_BINOMIAL_2_LOG, c, out, args, nargs, flags, loc);
}
/* (ints n, ints N, x, alpha, beta): the GLM rule on (n, x, alpha, beta) */
static struct vi_type rule_binomial_glm(const struct vi_type *a, int n) {
  if (n != 5 || !vi_ty_is_ints(a[1])) return vi_ty(VI_T_ERROR, 0);
  struct vi_type b[4] = {a[0], a[2], a[3], a[4]};
  return vi_drule_glm(b, 4, 1, 0);
}
static struct vi_type rule_glm_int_phi(const struct vi_type *a, int n) { return vi_drule_glm(a, n, 1, 1); }

/* ---- categorical family: y in 1..K (int or ints) ---- */

static int check_outcomes(struct vi_node *n, size_t K) {
  const double *y = n->a[0].x;
  for (size_t i = 0; i < n->a[0].n; i++)
    if (!(y[i] >= 1 && y[i] <= (double)K)) {
      if (n->i[1])
        return vi_node_fail(n, "outcome[%zu] is %.17g, must be in the interval [1, %zu]", i + 1, y[i], K);
      return vi_node_fail(n, "outcome is %.17g, must be in the interval [1, %zu]", y[i], K);
    }
  return 0;
}

/* categorical(y | theta): lp = sum_i log theta[y_i]; dtheta_k = count_k / theta_k */
int vi_k_categorical_fwd(struct vi_node *n) {
  size_t K = n->a[1].n;
  const double *y = n->a[0].x, *th = n->a[1].x;
  if (check_outcomes(n, K)) return 1;
  double s = 0;
  for (size_t k = 0; k < K; k++) {
    if (!(th[k] >= 0)) return vi_node_fail(n, "probabilities parameter[%zu] is %.17g, must be nonnegative", k + 1, th[k]);
    s += th[k];
  }
  if (fabs(s - 1) > 1e-8)
    return vi_node_fail(n, "probabilities parameter is not a valid simplex: sum is %.17g, must be 1", s);
  double *p[2];
  vi_dist_parts(n, p);
  n->y[0] = 0;
  if (!vi_udist_inc(n)) return 0;
  double lp = 0;
  for (size_t i = 0; i < n->a[0].n; i++) {
    size_t k = (size_t)y[i] - 1;
    lp += log(th[k]);
    if (p[1]) p[1][k] += 1 / th[k];
  }
  n->y[0] = lp;
  return 0;
}

/* categorical_logit(y | beta): lp = sum_i beta[y_i] - N log_sum_exp(beta);
 * dbeta_k = count_k - N softmax(beta)_k */
int vi_k_categorical_logit_fwd(struct vi_node *n) {
  size_t K = n->a[1].n, N = n->a[0].n;
  const double *y = n->a[0].x, *be = n->a[1].x;
  if (check_outcomes(n, K)) return 1;
  for (size_t k = 0; k < K; k++)
    if (!isfinite(be[k])) return vi_node_fail(n, "log odds parameter[%zu] is %.17g, must be finite", k + 1, be[k]);
  double *p[2];
  vi_dist_parts(n, p);
  n->y[0] = 0;
  if (!vi_udist_inc(n)) return 0;
  double m = -INFINITY, s = 0;
  for (size_t k = 0; k < K; k++) m = be[k] > m ? be[k] : m;
  for (size_t k = 0; k < K; k++) s += exp(be[k] - m);
  double lse = m + log(s), lp = -(double)N * lse;
  for (size_t i = 0; i < N; i++) {
    size_t k = (size_t)y[i] - 1;
    lp += be[k];
    if (p[1]) p[1][k] += 1;
  }
  if (p[1])
    for (size_t k = 0; k < K; k++) p[1][k] -= (double)N * exp(be[k] - lse);
  n->y[0] = lp;
  return 0;
}

/* ordered_logistic(y | eta, c), K = size(c) + 1 categories:
 * y = 1: log1m_inv_logit(eta - c_1); y = K: log_inv_logit(eta - c_{K-1});
 * else log(inv_logit(eta - c_{y-1}) - inv_logit(eta - c_y)) = log_diff_exp of the log_inv_logits.
 * With a = eta - c_{y-1}, b = eta - c_y, p = inv_logit(a) - inv_logit(b), s'(t) = inv_logit(t) inv_logit(-t):
 * deta = (s'(a) - s'(b)) / p, dc_{y-1} = -s'(a) / p, dc_y = s'(b) / p */
/* ordered_probit is the same with Phi for inv_logit (log Phi for log_inv_logit,
 * phi / Phi for the derivative of log Phi). */
static int ordered_fwd(struct vi_node *n, int probit);
int vi_k_ordered_logistic_fwd(struct vi_node *n) { return ordered_fwd(n, 0); }
int vi_k_ordered_probit_fwd(struct vi_node *n) { return ordered_fwd(n, 1); }

/* log of the standard normal density */
static double log_phi(double t) { return -0.5 * t * t - VI_LOG_SQRT_2PI; }

static int ordered_fwd(struct vi_node *n, int probit) {
  size_t K = n->a[2].n + 1, N = n->i[2] ? n->a[0].n : n->a[1].n;
  size_t sy = n->a[0].n == 1 ? 0 : 1, se = n->a[1].n == 1 ? 0 : 1;
  const double *y = n->a[0].x, *eta = n->a[1].x, *c = n->a[2].x;
  if (check_outcomes(n, K)) return 1;
  for (size_t i = 0; i < n->a[1].n; i++)
    if (!isfinite(eta[i])) return vi_node_fail(n, "location parameter[%zu] is %.17g, must be finite", i + 1, eta[i]);
  for (size_t k = 0; k + 1 < K; k++) {
    if (!isfinite(c[k])) return vi_node_fail(n, "cut-points[%zu] is %.17g, must be finite", k + 1, c[k]);
    if (k > 0 && !(c[k] > c[k - 1]))
      return vi_node_fail(n, "cut-points is not a valid ordered vector: element %zu is %.17g, element %zu is %.17g",
                          k, c[k - 1], k + 1, c[k]);
  }
  double *p[3];
  vi_dist_parts(n, p);
  n->y[0] = 0;
  if (!vi_udist_inc(n)) return 0;
  double lp = 0;
  for (size_t i = 0; i < N; i++) {
    size_t k = (size_t)y[i * sy];
    double e = eta[i * se], de, dlo = 0, dhi = 0; /* dlo: d/dc_{k-1}, dhi: d/dc_k */
    if (K == 1) continue;
    if (probit && (k == 1 || k == K)) {
      /* k = 1: log Phi(c_1 - eta); k = K: log Phi(eta - c_{K-1}) */
      double t = k == 1 ? c[0] - e : e - c[K - 2], l = vi_log_Phi(t), r = exp(log_phi(t) - l);
      lp += l;
      de = k == 1 ? -r : r;
      if (k == 1) dhi = -de;
      else dlo = -de;
    } else if (probit) {
      double a = e - c[k - 2], b = e - c[k - 1];
      double lpk = vi_log_diff_exp(vi_log_Phi(a), vi_log_Phi(b));
      double ra = exp(log_phi(a) - lpk), rb = exp(log_phi(b) - lpk);
      lp += lpk;
      de = ra - rb;
      dlo = -ra;
      dhi = rb;
    } else if (k == 1) {
      lp += vi_log1m_inv_logit(e - c[0]);
      de = -vi_inv_logit(e - c[0]);
      dhi = -de;
    } else if (k == K) {
      lp += vi_log_inv_logit(e - c[K - 2]);
      de = vi_inv_logit(c[K - 2] - e);
      dlo = -de;
    } else {
      double a = e - c[k - 2], b = e - c[k - 1];
      double la = vi_log_inv_logit(a), lb = vi_log_inv_logit(b);
      double lpk = vi_log_diff_exp(la, lb);
      double ra = exp(la + vi_log_inv_logit(-a) - lpk), rb = exp(lb + vi_log_inv_logit(-b) - lpk);
      lp += lpk;
      de = ra - rb;
      dlo = -ra;
      dhi = rb;
    }
    if (p[1]) p[1][i * se] += de;
    if (p[2]) {
      if (k >= 2) p[2][k - 2] += dlo;
      if (k <= K - 1) p[2][k - 1] += dhi;
    }
  }
  n->y[0] = lp;
  return 0;
}


/* categorical_logit_glm(y | x, alpha, beta): x N x P, alpha K, beta P x K,
 * eta_n = x_n beta + alpha' (a row of K log odds);
 * lp = sum_n eta_{n,y_n} - log_sum_exp(eta_n); with G_nk = [y_n = k] - softmax(eta_n)_k:
 * dalpha_k = sum_n G_nk, dbeta = x' G, dx = G beta'. i[1] = N, i[2] = P, i[3] = K;
 * scratch: eta (N K). */
int vi_k_categorical_logit_glm_fwd(struct vi_node *n) {
  size_t N = (size_t)n->i[1], P = (size_t)n->i[2], K = (size_t)n->i[3];
  const double *y = n->a[0].x, *x = n->a[1].x, *al = n->a[2].x, *be = n->a[3].x;
  size_t sy = n->a[0].n == 1 ? 0 : 1;
  for (size_t i = 0; i < n->a[0].n; i++)
    if (!(y[i] >= 1 && y[i] <= (double)K))
      return vi_node_fail(n, "outcome[%zu] is %.17g, must be in the interval [1, %zu]", i + 1, y[i], K);
  double *p[4];
  double *eta = vi_dist_parts(n, p);
  n->y[0] = 0;
  if (!vi_udist_inc(n)) return 0;
  /* eta (N x K, column-major) = x beta + alpha */
  for (size_t k = 0; k < K; k++) {
    double *ek = eta + k * N;
    for (size_t i = 0; i < N; i++) ek[i] = al[k];
    for (size_t j = 0; j < P; j++) {
      const double *xj = x + j * N, b = be[j + k * P];
      for (size_t i = 0; i < N; i++) ek[i] += xj[i] * b;
    }
  }
  double lp = 0;
  for (size_t i = 0; i < N; i++) {
    double m = -INFINITY, t = 0;
    for (size_t k = 0; k < K; k++) m = fmax(m, eta[i + k * N]);
    if (!isfinite(m)) return vi_node_fail(n, "linear predictor[%zu] is %.17g, must be finite", i + 1, m);
    for (size_t k = 0; k < K; k++) t += exp(eta[i + k * N] - m);
    double lse = m + log(t);
    size_t yk = (size_t)y[i * sy] - 1;
    lp += eta[i + yk * N] - lse;
    for (size_t k = 0; k < K; k++) eta[i + k * N] = (k == yk) - exp(eta[i + k * N] - lse); /* now G */
  }
  const double *G = eta;
  if (p[2])
    for (size_t k = 0; k < K; k++) {
      double t = 0;
      for (size_t i = 0; i < N; i++) t += G[i + k * N];
      p[2][k] += t;
    }
  if (p[3])
    for (size_t k = 0; k < K; k++)
      for (size_t j = 0; j < P; j++) {
        const double *xj = x + j * N, *gk = G + k * N;
        double t = 0;
#pragma omp simd reduction(+ : t)
        for (size_t i = 0; i < N; i++) t += xj[i] * gk[i];
        p[3][j + k * P] += t;
      }
  if (p[1])
    for (size_t j = 0; j < P; j++)
      for (size_t k = 0; k < K; k++) {
        const double b = be[j + k * P], *gk = G + k * N;
        double *dxj = p[1] + j * N;
        for (size_t i = 0; i < N; i++) dxj[i] += gk[i] * b;
      }
  n->y[0] = lp;
  return 0;
}

static int categorical_logit_glm_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                      int flags, struct vi_srcloc loc) {
  const char *f = "categorical_logit_glm_lpmf";
  if (nargs != 4) return vi_ctx_error(c, loc, "%s: takes 4 arguments, not %d", f, nargs);
  int N = vi_val_rows(&args[1]), P = vi_val_cols(&args[1]), K = (int)args[2].n;
  if (vi_val_rows(&args[3]) != P || vi_val_cols(&args[3]) != K)
    return vi_ctx_error(c, loc, "%s: the weight matrix must be %d x %d (predictors' columns x intercepts), not %d x %d",
                        f, P, K, vi_val_rows(&args[3]), vi_val_cols(&args[3]));
  if (args[0].t.ndims && args[0].n != (size_t)N)
    return vi_ctx_error(c, loc, "%s: size of outcome (%zu) does not match the rows of the predictors (%d)", f,
                        args[0].n, N);
  struct vi_node *n = vi_dist_node_new(c, VI_OPDEF(CATEGORICAL_LOGIT_GLM_LPMF), args, nargs, flags,
                                       (size_t)N * (size_t)K, loc);
  if (!n) return VI_ERR_EVAL;
  n->fname = f;
  n->i[1] = N;
  n->i[2] = P;
  n->i[3] = K;
  return vi_dist_node_run(c, n, out);
}
static struct vi_type rule_categorical_logit_glm(const struct vi_type *a, int n) {
  struct vi_type e = vi_ty(VI_T_ERROR, 0);
  if (n != 4 || !vi_ty_is_ints(a[0])) return e;
  if (a[1].ndims || (a[1].base != VI_T_MATRIX && a[1].base != VI_T_ROW_VECTOR)) return e;
  if (a[2].ndims || a[2].base != VI_T_VECTOR || a[3].ndims || a[3].base != VI_T_MATRIX) return e;
  return vi_ty(VI_T_REAL, 0);
}

static int cat_call(const struct vi_opdef *op, struct vi_ctx *c, struct vi_val *out,
                    struct vi_val *args, int nargs, int flags, struct vi_srcloc loc) {
  int ordered = op == VI_OPDEF(ORDERED_LOGISTIC_LPMF) || op == VI_OPDEF(ORDERED_PROBIT_LPMF);
  int want = ordered ? 3 : 2;
  if (nargs != want) return vi_ctx_error(c, loc, "%s: takes %d arguments, not %d", op->name, want, nargs);
  int ycont = args[0].t.ndims > 0;
  if (ordered && args[1].t.base != VI_T_INT && args[1].t.base != VI_T_REAL) {
    if (!ycont || args[0].n != args[1].n)
      return vi_ctx_error(c, loc, "%s: size of location (%zu) does not match size of the variate (%zu)",
                          op->name, args[1].n, ycont ? args[0].n : (size_t)1);
  }
  struct vi_node *n = vi_dist_node_new(c, op, args, nargs, flags, 0, loc);
  if (!n) return VI_ERR_EVAL;
  n->i[1] = ycont;
  n->i[2] = args[1].t.base == VI_T_INT || args[1].t.base == VI_T_REAL; /* scalar eta */
  return vi_dist_node_run(c, n, out);
}
static int categorical_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                            int flags, struct vi_srcloc loc) {
  return cat_call(VI_OPDEF(CATEGORICAL_LPMF), c, out, args, nargs, flags, loc);
}
static int categorical_logit_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                  int nargs, int flags, struct vi_srcloc loc) {
  return cat_call(VI_OPDEF(CATEGORICAL_LOGIT_LPMF), c, out, args, nargs, flags, loc);
}
static int ordered_probit_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                               int flags, struct vi_srcloc loc) {
  return cat_call(VI_OPDEF(ORDERED_PROBIT_LPMF), c, out, args, nargs, flags, loc);
}
static int ordered_logistic_lpmf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                 int nargs, int flags, struct vi_srcloc loc) {
  return cat_call(VI_OPDEF(ORDERED_LOGISTIC_LPMF), c, out, args, nargs, flags, loc);
}

static int is_vec(struct vi_type t) { return t.base == VI_T_VECTOR && t.ndims == 0; }
static struct vi_type rule_categorical(const struct vi_type *a, int n) {
  if (n != 2 || !vi_ty_is_ints(a[0]) || !is_vec(a[1])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}
static struct vi_type rule_ordered_logistic(const struct vi_type *a, int n) {
  if (n != 3 || !vi_ty_is_ints(a[0]) || !(vi_ty_is_scalar(a[1]) || is_vec(a[1])) || !is_vec(a[2]))
    return vi_ty(VI_T_ERROR, 0);
  if (is_vec(a[1]) && a[0].ndims != 1) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}

/* categorical_rng(theta), categorical_logit_rng(beta): inversion */
static int cat_draw(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int logit,
                    const char *name, struct vi_srcloc loc) {
  if (!c->rng)
    return vi_ctx_error(c, loc, "%s: random numbers are only available in transformed data and generated quantities", name);
  if (nargs != 1) return vi_ctx_error(c, loc, "%s: takes 1 argument", name);
  size_t K = args[0].n;
  double m = -INFINITY, s = 0;
  for (size_t k = 0; k < K; k++) {
    double v = vi_val_get(&args[0], k);
    if (logit ? !isfinite(v) : !(v >= 0))
      return vi_ctx_error(c, loc, "%s: %s[%zu] is %.17g, must be %s", name, logit ? "log odds parameter" : "probabilities parameter",
                          k + 1, v, logit ? "finite" : "nonnegative");
    m = v > m ? v : m;
  }
  for (size_t k = 0; k < K; k++) s += logit ? exp(vi_val_get(&args[0], k) - m) : vi_val_get(&args[0], k);
  if (!logit && fabs(s - 1) > 1e-8)
    return vi_ctx_error(c, loc, "%s: probabilities parameter is not a valid simplex: sum is %.17g, must be 1", name, s);
  double u = vi_rng_uniform(c->rng) * s, acc = 0;
  size_t k = 0;
  for (; k + 1 < K; k++) {
    acc += logit ? exp(vi_val_get(&args[0], k) - m) : vi_val_get(&args[0], k);
    if (u < acc) break;
  }
  return vi_val_int_scalar(c, out, (int)k + 1);
}
static int categorical_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                           int flags, struct vi_srcloc loc) {
  (void)flags;
  return cat_draw(c, out, args, nargs, 0, "categorical_rng", loc);
}
static int categorical_logit_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                 int flags, struct vi_srcloc loc) {
  (void)flags;
  return cat_draw(c, out, args, nargs, 1, "categorical_logit_rng", loc);
}
/* ordered_logistic_rng(eta, c): latent logistic draw eta + L, category = 1 + #{c_k < eta + L} */
static int ordered_logistic_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                int flags, struct vi_srcloc loc) {
  (void)flags;
  if (!c->rng)
    return vi_ctx_error(c, loc, "ordered_logistic_rng: random numbers are only available in transformed data and generated quantities");
  if (nargs != 2) return vi_ctx_error(c, loc, "ordered_logistic_rng: takes 2 arguments");
  double eta = vi_val_get(&args[0], 0), u = vi_rng_uniform(c->rng);
  if (!isfinite(eta)) return vi_ctx_error(c, loc, "ordered_logistic_rng: location parameter is %.17g, must be finite", eta);
  double t = eta + log(u) - log1p(-u);
  int k = 1;
  for (size_t j = 0; j < args[1].n; j++) {
    double cj = vi_val_get(&args[1], j);
    if (!isfinite(cj) || (j > 0 && !(cj > vi_val_get(&args[1], j - 1))))
      return vi_ctx_error(c, loc, "ordered_logistic_rng: cut-points is not a valid ordered vector");
    k += t > cj;
  }
  return vi_val_int_scalar(c, out, k);
}
static struct vi_type rule_cat_rng(const struct vi_type *a, int n) {
  if (n != 1 || !is_vec(a[0])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_INT, 0);
}
static struct vi_type rule_ordered_logistic_rng(const struct vi_type *a, int n) {
  if (n != 2 || !vi_ty_is_scalar(a[0]) || !is_vec(a[1])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_INT, 0);
}

/* ---- the table ---- */

#define LPMF VI_FN_LPMF
#define RNG VI_FN_RNG
#define SIG2 "(ints, reals) => real"
#define SIG3 "(ints, reals, reals) => real"
#define SIGN3 "(ints, ints, reals) => real"

const struct vi_func vi_stdlib_dist_disc[] = {
    {"bernoulli_lpmf", vi_drule_ints_reals2, bernoulli_lpmf, SIG2, LPMF,
     "i[0,1],r[0.1,0.9];ia4[0,1],r[0.1,0.9];ia3[0,1],v3[0.1,0.9]@1;!i[2,2],r[0.1,0.9];!i[0,1],r[1.5,2]"},
    {"bernoulli_logit_lpmf", vi_drule_ints_reals2, bernoulli_logit_lpmf, SIG2, LPMF,
     "i[0,1],r[-3,3];ia6[0,1],r[-3,3];ia5[0,1],v5[-3,3];ia5[0,1],v5[-3,3]@1;!i[2,2],r[-1,1];"
     "!ia3[-1,-1],v3[-1,1]"},
    {"binomial_lpmf", vi_drule_ints2_reals3, binomial_lpmf, SIGN3, LPMF,
     "i[0,5],i[5,9],r[0.1,0.9];ia4[0,5],ia4[5,9],r[0.1,0.9];ia3[0,5],i[5,9],v3[0.1,0.9]@1;"
     "!i[6,9],i[1,5],r[0.1,0.9];!i[0,1],i[2,3],r[-2,-1]"},
    {"binomial_logit_lpmf", vi_drule_ints2_reals3, binomial_logit_lpmf, SIGN3, LPMF,
     "i[0,5],i[5,9],r[-2,2];ia4[0,5],ia4[5,9],r[-2,2];ia3[0,5],i[5,9],v3[-2,2]@1;"
     "!i[6,9],i[1,5],r[-1,1]"},
    {"beta_binomial_lpmf", vi_drule_ints2_reals4, beta_binomial_lpmf, "(ints, ints, reals, reals) => real", LPMF,
     "i[0,5],i[5,9],r[0.5,3],r[0.5,3];ia4[0,5],ia4[5,9],r[0.5,3],v4[0.5,3];"
     "ia3[0,5],i[5,9],v3[0.5,3],r[0.5,3]@1;!i[0,5],i[5,9],r[-2,-1],r[0.5,3]"},
    {"poisson_lpmf", vi_drule_ints_reals2, poisson_lpmf, SIG2, LPMF,
     "i[0,6],r[0.5,5];ia4[0,6],r[0.5,5];ia3[0,6],v3[0.5,5]@1;!i[-2,-1],r[1,2];!i[1,2],r[-2,-1]"},
    {"poisson_log_lpmf", vi_drule_ints_reals2, poisson_log_lpmf, SIG2, LPMF,
     "i[0,6],r[-1,2];ia4[0,6],r[-1,2];ia3[0,6],v3[-1,2]@1;!i[-2,-1],r[1,2]"},
    {"neg_binomial_lpmf", vi_drule_ints_reals3, neg_binomial_lpmf, SIG3, LPMF,
     "i[0,6],r[0.5,4],r[0.5,2];ia4[0,6],r[0.5,4],v4[0.5,2];ia3[0,6],v3[0.5,4],r[0.5,2]@1;"
     "!i[0,6],r[-2,-1],r[0.5,2]"},
    {"neg_binomial_2_lpmf", vi_drule_ints_reals3, neg_binomial_2_lpmf, SIG3, LPMF,
     "i[0,6],r[0.5,4],r[0.5,3];ia4[0,6],v4[0.5,4],r[0.5,3];ia3[0,6],r[0.5,4],v3[0.5,3]@1;"
     "d:ia3[0,6],v3[0.5,4],d:r[0.5,3]@1;!i[0,6],r[-2,-1],r[0.5,3];!i[-3,-1],r[1,2],r[0.5,3]"},
    {"neg_binomial_2_log_lpmf", vi_drule_ints_reals3, neg_binomial_2_log_lpmf, SIG3, LPMF,
     "i[0,6],r[-1,1.5],r[0.5,3];ia4[0,6],v4[-1,1.5],r[0.5,3];ia3[0,6],r[-1,1.5],v3[0.5,3]@1;"
     "!i[0,6],r[-1,1],r[-2,-1]"},
    {"bernoulli_logit_glm_lpmf", rule_glm_int, bernoulli_logit_glm_lpmf,
     "(ints, matrix, real or vector, vector) => real", LPMF,
     "ia4[0,1],m4x2[-1,1],r[-1,1],v2[-1,1];ia3[0,1],m3x2[-1,1],v3[-1,1],v2[-1,1];"
     "d:ia4[0,1],d:m4x3[-1,1],r[-1,1],v3[-1,1]@1;!ia3[2,3],m3x2[-1,1],r[-1,1],v2[-1,1];"
     "ia300[0,1],d:m300x3[-1,1],r[-1,1],v3[-1,1];ia150[0,1],m150x2[-1,1],v150[-1,1],v2[-1,1]"},
    {"poisson_log_glm_lpmf", rule_glm_int, poisson_log_glm_lpmf,
     "(ints, matrix, real or vector, vector) => real", LPMF,
     "ia4[0,5],m4x2[-1,1],r[-1,1],v2[-1,1];ia3[0,5],m3x2[-1,1],v3[-1,1],v2[-1,1];"
     "d:ia4[0,5],d:m4x3[-1,1],r[-1,1],v3[-1,1]@1;!ia3[-3,-1],m3x2[-1,1],r[-1,1],v2[-1,1];"
     "ia300[0,5],d:m300x3[-1,1],r[-1,1],v3[-1,1];ia150[0,5],m150x2[-1,1],v150[-1,1],v2[-1,1]"},
    {"binomial_logit_glm_lpmf", rule_binomial_glm, binomial_logit_glm_lpmf,
     "(ints, ints, matrix, real or vector, vector) => real", LPMF,
     "ia4[0,2],d:ia4[2,5],m4x2[-1,1],r[-1,1],v2[-1,1];ia3[0,3],d:i[3,3],m3x2[-1,1],v3[-1,1],v2[-1,1];"
     "d:ia4[0,2],d:ia4[3,5],d:m4x3[-1,1],r[-1,1],v3[-1,1]@1;ia200[0,2],d:ia200[2,4],d:m200x2[-1,1],r[-1,1],v2[-1,1];"
     "!ia3[4,5],d:ia3[1,3],m3x2[-1,1],r[-1,1],v2[-1,1]"},
    {"neg_binomial_2_log_glm_lpmf", rule_glm_int_phi, neg_binomial_2_log_glm_lpmf,
     "(ints, matrix, real or vector, vector, real or vector) => real", LPMF,
     "ia4[0,5],m4x2[-1,1],r[-1,1],v2[-1,1],r[0.5,3];ia3[0,5],m3x2[-1,1],v3[-1,1],v2[-1,1],v3[0.5,3];"
     "d:ia4[0,5],d:m4x3[-1,1],r[-1,1],v3[-1,1],r[0.5,3]@1;ia200[0,6],d:m200x2[-1,1],r[-1,1],v2[-1,1],v200[0.5,3];"
     "!ia3[0,5],m3x2[-1,1],r[-1,1],v2[-1,1],r[-2,-1];!ia3[-3,-1],m3x2[-1,1],r[-1,1],v2[-1,1],r[1,2]"},
    {"categorical_logit_glm_lpmf", rule_categorical_logit_glm, categorical_logit_glm_lpmf,
     "(ints, matrix or row_vector, vector, matrix) => real", LPMF,
     "ia4[1,3],m4x2[-1,1],v3[-1,1],m2x3[-1,1];i[1,3],rv2[-1,1],v3[-1,1],m2x3[-1,1];"
     "d:ia5[1,4],d:m5x3[-1,1],v4[-1,1],m3x4[-1,1]@1;!ia3[4,4],m3x2[-1,1],v3[-1,1],m2x3[-1,1]"},
    {"categorical_lpmf", rule_categorical, categorical_lpmf, "(ints, vector) => real", LPMF,
     "i[1,4],simplex4;ia5[1,3],simplex3;ia5[1,3],simplex3@1;!i[5,6],simplex4;!i[1,2],v3[0.1,0.2]"},
    {"categorical_logit_lpmf", rule_categorical, categorical_logit_lpmf, "(ints, vector) => real", LPMF,
     "i[1,4],v4[-2,2];ia5[1,3],v3[-2,2];ia5[1,3],v3[-2,2]@1;!i[0,0],v3[-2,2]"},
    {"ordered_logistic_lpmf", rule_ordered_logistic, ordered_logistic_lpmf,
     "(ints, real or vector, vector) => real", LPMF,
     "i[1,4],r[-1,1],ordered3[-3,-2.5];i[1,4],r[-1,1],ordered3[-2,2];ia7[1,4],r[-1,1],ordered3[-2,2];"
     "ia5[1,3],v5[-2,2],ordered2[-1,1];ia5[1,2],v5[-2,2],ordered1[-0.1,0.1]@1;ia6[1,4],v6[-2,2],ordered3[-2,2]@1;"
     "!i[1,4],r[-1,1],v3[1,1];!i[5,5],r[-1,1],ordered3[-2,2];!i[0,0],r[-1,1],ordered3[-2,2]"},
    {"ordered_probit_lpmf", rule_ordered_logistic, ordered_probit_lpmf,
     "(ints, real or vector, vector) => real", LPMF,
     "i[1,4],r[-1,1],ordered3[-3,-2.5];i[1,4],r[-1,1],ordered3[-2,2];ia7[1,4],r[-1,1],ordered3[-2,2];"
     "ia5[1,3],v5[-2,2],ordered2[-1,1];ia5[1,2],v5[-2,2],ordered1[-0.1,0.1]@1;ia6[1,4],v6[-2,2],ordered3[-2,2]@1;"
     "i[4,4],r[5,6],ordered3[-1,1];i[1,1],r[5,6],ordered3[-1,1];"
     "!i[1,4],r[-1,1],v3[1,1];!i[5,5],r[-1,1],ordered3[-2,2];!i[0,0],r[-1,1],ordered3[-2,2]"},
    {"discrete_range_lpmf", vi_drule_ints_reals3, discrete_range_lpmf, "(ints, ints, ints) => real", LPMF, NULL},
    {"bernoulli_rng", vi_drule_rng_int1, bernoulli_rng, "(reals) => int or array[] int", RNG, NULL},
    {"bernoulli_logit_rng", vi_drule_rng_int1, bernoulli_logit_rng, "(reals) => int or array[] int", RNG, NULL},
    {"binomial_rng", vi_drule_rng_int_n2, binomial_rng, "(ints, reals) => int or array[] int", RNG, NULL},
    {"binomial_logit_rng", vi_drule_rng_int_n2, binomial_logit_rng, "(ints, reals) => int or array[] int", RNG, NULL},
    {"beta_binomial_rng", vi_drule_rng_int_n3, beta_binomial_rng, "(ints, reals, reals) => int or array[] int", RNG, NULL},
    {"poisson_rng", vi_drule_rng_int1, poisson_rng, "(reals) => int or array[] int", RNG, NULL},
    {"poisson_log_rng", vi_drule_rng_int1, poisson_log_rng, "(reals) => int or array[] int", RNG, NULL},
    {"neg_binomial_rng", vi_drule_rng_int2, neg_binomial_rng, "(reals, reals) => int or array[] int", RNG, NULL},
    {"neg_binomial_2_rng", vi_drule_rng_int2, neg_binomial_2_rng, "(reals, reals) => int or array[] int", RNG, NULL},
    {"neg_binomial_2_log_rng", vi_drule_rng_int2, neg_binomial_2_log_rng, "(reals, reals) => int or array[] int", RNG, NULL},
    {"categorical_rng", rule_cat_rng, categorical_rng, "(vector) => int", RNG, NULL},
    {"categorical_logit_rng", rule_cat_rng, categorical_logit_rng, "(vector) => int", RNG, NULL},
    {"ordered_logistic_rng", rule_ordered_logistic_rng, ordered_logistic_rng, "(real, vector) => int", RNG, NULL},
};
const size_t vi_stdlib_dist_disc_n = VI_COUNTOF(vi_stdlib_dist_disc);
