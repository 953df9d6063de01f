/* dist_util.c: the fused univariate density driver, distribution type rules
 * and the vectorised _rng driver (stdlib/dist_util.h). */
#include "dist_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "special.h"
#include "vi/rng.h"

/* node integer parameters */
enum {
  NI_FLAGS = 0,     /* call flags (VI_CALL_PROPTO) */
  NI_CONTAINER = 1, /* bit k: argument k is a container */
  NI_CHECKED = 2    /* the constant arguments passed their checks (they cannot change) */
};

static int is_scalar_type(struct vi_type t) {
  return t.ndims == 0 && (t.base == VI_T_INT || t.base == VI_T_REAL);
}

size_t vi_udist_len(const struct vi_node *n) {
  size_t len = 1;
  for (int k = 0; k < n->na; k++) {
    if (n->a[k].n == 0) return 0;
    if (n->a[k].n != 1) len = n->a[k].n;
  }
  return len;
}

unsigned vi_udist_inc(const struct vi_node *n) {
  if (!(n->i[NI_FLAGS] & VI_CALL_PROPTO)) return ~0u;
  unsigned var = 0;
  for (int k = 0; k < n->na; k++)
    if (n->a[k].dx) var |= VI_DB(k);
  return var;
}

static int chk_ok(int chk, double x) {
  switch (chk) {
  case VI_DCHK_NOT_NAN: return !isnan(x);
  case VI_DCHK_FINITE: return isfinite(x);
  case VI_DCHK_POS: return x > 0;
  case VI_DCHK_POS_FINITE: return x > 0 && isfinite(x);
  case VI_DCHK_NONNEG: return x >= 0;
  case VI_DCHK_PROB: return x >= 0 && x <= 1;
  case VI_DCHK_BOOL: return x == 0 || x == 1;
  default: return 1;
  }
}

static const char *chk_text(int chk) {
  switch (chk) {
  case VI_DCHK_NOT_NAN: return "must not be nan";
  case VI_DCHK_FINITE: return "must be finite";
  case VI_DCHK_POS: return "must be positive";
  case VI_DCHK_POS_FINITE: return "must be positive finite";
  case VI_DCHK_NONNEG: return "must be nonnegative";
  case VI_DCHK_PROB: return "must be in the interval [0, 1]";
  case VI_DCHK_BOOL: return "must be 0 or 1";
  default: return "is invalid";
  }
}

int vi_udist_checks(struct vi_node *n) {
  const struct vi_udist *d = (const struct vi_udist *)n->p;
  for (int k = 0; k < n->na; k++) {
    int chk = d->arg[k].chk;
    if (chk == VI_DCHK_NONE || (n->i[NI_CHECKED] && !n->a[k].dx)) continue;
    const double *x = n->a[k].x;
    size_t len = n->a[k].n;
    int bad = 0;
    for (size_t i = 0; i < len; i++) bad |= !chk_ok(chk, x[i]);
    if (!bad) continue;
    for (size_t i = 0; i < len; i++) {
      if (chk_ok(chk, x[i])) continue;
      if (n->i[NI_CONTAINER] & (int)VI_DB(k))
        return vi_node_fail(n, "%s[%zu] is %.17g, %s", d->arg[k].name, i + 1, x[i], chk_text(chk));
      return vi_node_fail(n, "%s is %.17g, %s", d->arg[k].name, x[i], chk_text(chk));
    }
  }
  if (d->xcheck && !(n->i[NI_CHECKED] && !vi_node_is_var(n))) {
    size_t len = vi_udist_len(n);
    double v[VI_DIST_MAXARGS];
    for (size_t i = 0; i < len; i++) {
      for (int k = 0; k < n->na; k++) v[k] = n->a[k].x[n->a[k].n == 1 ? 0 : i];
      if (d->xcheck(n, v, i)) return 1;
    }
  }
  n->i[NI_CHECKED] = 1;
  return 0;
}

/* Generic forward: checks, then one pass over the elements. */
int vi_udist_fwd(struct vi_node *n) {
  const struct vi_udist *d = (const struct vi_udist *)n->p;
  if (vi_udist_checks(n)) return 1;
  n->y[0] = 0;
  if (n->naux) memset(n->aux, 0, n->naux * sizeof *n->aux);
  unsigned inc = vi_udist_inc(n);
  size_t len = vi_udist_len(n);
  if (!inc || !len) return 0;
  unsigned var = 0;
  double *p[VI_DIST_MAXARGS] = {0};
  size_t st[VI_DIST_MAXARGS];
  double *q = n->aux;
  for (int k = 0; k < n->na; k++) {
    st[k] = n->a[k].n == 1 ? 0 : 1;
    if (n->a[k].dx) {
      var |= VI_DB(k);
      p[k] = q;
      q += n->a[k].n;
    }
  }
  double lp = 0, v[VI_DIST_MAXARGS], g[VI_DIST_MAXARGS];
  for (size_t i = 0; i < len; i++) {
    for (int k = 0; k < n->na; k++) {
      v[k] = n->a[k].x[i * st[k]];
      g[k] = 0;
    }
    lp += d->elem(v, g, inc, var);
    for (int k = 0; k < n->na; k++)
      if (p[k]) p[k][i * st[k]] += g[k];
  }
  n->y[0] = lp;
  return 0;
}

/* d a[k][i] += dy * aux[...] (a scalar operand got the sum of its partials) */
void vi_udist_bwd(struct vi_node *n) {
  double dy = n->dy[0];
  const double *q = n->aux;
  for (int k = 0; k < n->na; k++) {
    double *dx = n->a[k].dx;
    if (!dx) continue;
    size_t len = n->a[k].n;
    for (size_t i = 0; i < len; i++) dx[i] += dy * q[i];
    q += len;
  }
}

int vi_udist_call(const struct vi_udist *d, struct vi_ctx *c, struct vi_val *out,
                  struct vi_val *args, int nargs, int flags, struct vi_srcloc loc) {
  const char *fname = vi_ops[d->code].name;
  if (nargs != d->nargs)
    return vi_ctx_error(c, loc, "%s: takes %d arguments, not %d", fname, d->nargs, nargs);
  int ref = -1;
  for (int k = 0; k < nargs; k++) {
    if (args[k].t.base < VI_T_INT || args[k].t.base > VI_T_MATRIX)
      return vi_ctx_error(c, loc, "%s: argument %d is not numeric", fname, k + 1);
    int r = vi_val_contig(c, &args[k], loc);
    if (r) return r;
    if (is_scalar_type(args[k].t)) continue;
    if (ref < 0) {
      ref = k;
    } else if (args[k].n != args[ref].n) {
      return vi_ctx_error(c, loc, "%s: size of %s (%zu) does not match size of the %s (%zu)", fname,
                          d->arg[k].what, args[k].n, d->arg[ref].what, args[ref].n);
    }
  }
  struct vi_node *n = vi_node_new(c, &vi_ops[d->code], nargs, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  n->p = d;
  size_t naux = 0;
  int cont = 0;
  for (int k = 0; k < nargs; k++) {
    vi_node_arg(n, k, &args[k]);
    if (args[k].dx) naux += args[k].n;
    if (!is_scalar_type(args[k].t)) cont |= (int)VI_DB(k);
  }
  n->i[NI_FLAGS] = flags;
  n->i[NI_CONTAINER] = cont;
  if (naux && vi_node_aux(c, n, naux)) return VI_ERR_NOMEM;
  memset(out, 0, sizeof *out);
  out->t = vi_ty(VI_T_REAL, 0);
  out->n = 1;
  return vi_node_run(c, n, out);
}

/* ---- type rules ---- */

static struct vi_type drule(const struct vi_type *a, int n, int want, int nints) {
  if (n != want) return vi_ty(VI_T_ERROR, 0);
  for (int i = 0; i < n; i++) {
    if (i < nints ? !vi_ty_is_ints(a[i]) : !vi_ty_is_reals(a[i])) return vi_ty(VI_T_ERROR, 0);
  }
  return vi_ty(VI_T_REAL, 0);
}

struct vi_type vi_drule_reals1(const struct vi_type *a, int n) { return drule(a, n, 1, 0); }
struct vi_type vi_drule_reals2(const struct vi_type *a, int n) { return drule(a, n, 2, 0); }
struct vi_type vi_drule_reals3(const struct vi_type *a, int n) { return drule(a, n, 3, 0); }
struct vi_type vi_drule_reals4(const struct vi_type *a, int n) { return drule(a, n, 4, 0); }
struct vi_type vi_drule_ints_reals2(const struct vi_type *a, int n) { return drule(a, n, 2, 1); }
struct vi_type vi_drule_ints_reals3(const struct vi_type *a, int n) { return drule(a, n, 3, 1); }
struct vi_type vi_drule_ints2_reals3(const struct vi_type *a, int n) { return drule(a, n, 3, 2); }
struct vi_type vi_drule_ints2_reals4(const struct vi_type *a, int n) { return drule(a, n, 4, 2); }

static struct vi_type rng_rule(const struct vi_type *a, int n, int want, int nints, int base) {
  if (n != want) return vi_ty(VI_T_ERROR, 0);
  int all_scalar = 1;
  for (int i = 0; i < n; i++) {
    if (i < nints ? !vi_ty_is_ints(a[i]) : !vi_ty_is_reals(a[i])) return vi_ty(VI_T_ERROR, 0);
    if (!is_scalar_type(a[i])) all_scalar = 0;
  }
  return vi_ty(base, all_scalar ? 0 : 1);
}

struct vi_type vi_drule_rng_real1(const struct vi_type *a, int n) { return rng_rule(a, n, 1, 0, VI_T_REAL); }
struct vi_type vi_drule_rng_real2(const struct vi_type *a, int n) { return rng_rule(a, n, 2, 0, VI_T_REAL); }
struct vi_type vi_drule_rng_real3(const struct vi_type *a, int n) { return rng_rule(a, n, 3, 0, VI_T_REAL); }
struct vi_type vi_drule_rng_int1(const struct vi_type *a, int n) { return rng_rule(a, n, 1, 0, VI_T_INT); }
struct vi_type vi_drule_rng_int2(const struct vi_type *a, int n) { return rng_rule(a, n, 2, 0, VI_T_INT); }
struct vi_type vi_drule_rng_int3(const struct vi_type *a, int n) { return rng_rule(a, n, 3, 0, VI_T_INT); }
struct vi_type vi_drule_rng_int_n2(const struct vi_type *a, int n) { return rng_rule(a, n, 2, 1, VI_T_INT); }
struct vi_type vi_drule_rng_int_n3(const struct vi_type *a, int n) { return rng_rule(a, n, 3, 1, VI_T_INT); }

/* ---- vectorised _rng ---- */

int vi_drng_call(const struct vi_drng *d, struct vi_ctx *c, struct vi_val *out,
                 struct vi_val *args, int nargs, struct vi_srcloc loc) {
  if (nargs != d->np)
    return vi_ctx_error(c, loc, "%s: takes %d arguments, not %d", d->name, d->np, nargs);
  if (!c->rng)
    return vi_ctx_error(c, loc,
                        "%s: random numbers are only available in transformed data and "
                        "generated quantities", d->name);
  size_t len = 1;
  int ref = -1;
  for (int k = 0; k < nargs; k++) {
    if (is_scalar_type(args[k].t)) continue;
    if (ref < 0) {
      ref = k;
      len = args[k].n;
    } else if (args[k].n != len) {
      return vi_ctx_error(c, loc, "%s: size of %s (%zu) does not match size of the %s (%zu)",
                          d->name, d->arg[k].what, args[k].n, d->arg[ref].what, len);
    }
  }
  for (int k = 0; k < nargs; k++) {
    int chk = d->arg[k].chk;
    for (size_t i = 0; i < args[k].n; i++) {
      double x = vi_val_get(&args[k], i);
      if (chk_ok(chk, x)) continue;
      if (ref >= 0 && !is_scalar_type(args[k].t))
        return vi_ctx_error(c, loc, "%s: %s[%zu] is %.17g, %s", d->name, d->arg[k].name, i + 1, x,
                            chk_text(chk));
      return vi_ctx_error(c, loc, "%s: %s is %.17g, %s", d->name, d->arg[k].name, x, chk_text(chk));
    }
  }
  int dims[1] = {(int)len};
  struct vi_type t = vi_ty(d->is_int ? VI_T_INT : VI_T_REAL, ref >= 0 ? 1 : 0);
  int r = d->is_int ? vi_val_new_int(c, out, t, dims) : vi_val_new_real(c, out, t, dims);
  if (r) return vi_ctx_error(c, loc, "out of memory");
  double p[VI_DIST_MAXARGS];
  char msg[256];
  for (size_t i = 0; i < len; i++) {
    for (int k = 0; k < nargs; k++) p[k] = vi_val_get(&args[k], args[k].n == 1 ? 0 : i);
    msg[0] = 0;
    double x = d->draw(c->rng, p, msg, sizeof msg);
    if (msg[0]) return vi_ctx_error(c, loc, "%s: %s", d->name, msg);
    if (d->is_int) {
      if (!(x >= -2147483647.0 && x <= 2147483647.0))
        return vi_ctx_error(c, loc, "%s: the draw %.17g does not fit an int", d->name, x);
      out->ix[i] = (int)x;
    } else {
      out->x[i] = x;
    }
  }
  return VI_OK;
}

double vi_dist_rng_beta(struct vi_rng *r, double a, double b) {
  if (a < 1 && b < 1) { /* log-space to keep tiny gammas from underflowing to 0/0 */
    double lx = log(vi_rng_gamma(r, a + 1)) + log(vi_rng_uniform(r)) / a;
    double ly = log(vi_rng_gamma(r, b + 1)) + log(vi_rng_uniform(r)) / b;
    double m = lx > ly ? lx : ly;
    lx -= m;
    ly -= m;
    return exp(lx) / (exp(lx) + exp(ly));
  }
  double x = vi_rng_gamma(r, a), y = vi_rng_gamma(r, b);
  return x / (x + y);
}

/* Poisson: inversion by multiplication for small lambda; for large lambda
 * the gamma reduction (Ahrens and Dieter): X ~ Gamma(m) is the time of the
 * m-th event; if X < lambda, m + Poisson(lambda - X), else Binomial(m - 1,
 * lambda / X). Exact. */
double vi_dist_rng_poisson(struct vi_rng *r, double lambda) {
  double k = 0;
  while (lambda > 16) {
    double m = floor(0.875 * lambda);
    double x = vi_rng_gamma(r, m);
    if (x >= lambda) return k + vi_dist_rng_binomial(r, m - 1, lambda / x);
    k += m;
    lambda -= x;
  }
  double l = exp(-lambda), p = vi_rng_uniform(r);
  while (p > l) {
    k += 1;
    p *= vi_rng_uniform(r);
  }
  return k;
}

/* Binomial: direct Bernoulli sums for small n; for large n the beta
 * reduction: the i-th order statistic of n uniforms is Beta(i, n + 1 - i). */
double vi_dist_rng_binomial(struct vi_rng *r, double n, double p) {
  double k = 0;
  while (n > 32) {
    double i = floor((n + 1) / 2);
    double x = vi_dist_rng_beta(r, i, n + 1 - i);
    if (x <= p) {
      k += i;
      n -= i;
      p = (p - x) / (1 - x);
    } else {
      n = i - 1;
      p = p / x;
    }
    if (!(p > 0)) return k;
    if (p >= 1) return k + n;
  }
  for (double j = 0; j < n; j++) k += vi_rng_uniform(r) < p;
  return k;
}

/* ---- custom density nodes ---- */

struct vi_node *vi_dist_node_new(struct vi_ctx *c, const struct vi_opdef *op, struct vi_val *args,
                                 int nargs, int flags, size_t scratch, struct vi_srcloc loc) {
  size_t naux = scratch;
  for (int k = 0; k < nargs; k++) {
    if (vi_val_contig(c, &args[k], loc)) return NULL;
    if (args[k].dx) naux += args[k].n;
  }
  struct vi_node *n = vi_node_new(c, op, nargs, 1, loc);
  if (!n) return NULL;
  for (int k = 0; k < nargs; k++) vi_node_arg(n, k, &args[k]);
  n->i[NI_FLAGS] = flags;
  if (naux && vi_node_aux(c, n, naux)) return NULL;
  return n;
}

int vi_dist_node_run(struct vi_ctx *c, struct vi_node *n, struct vi_val *out) {
  memset(out, 0, sizeof *out);
  out->t = vi_ty(VI_T_REAL, 0);
  out->n = 1;
  return vi_node_run(c, n, out);
}

double *vi_dist_parts(struct vi_node *n, double **p) {
  double *q = n->aux;
  for (int k = 0; k < n->na; k++) {
    p[k] = NULL;
    if (!n->a[k].dx) continue;
    p[k] = q;
    memset(q, 0, n->a[k].n * sizeof *q);
    q += n->a[k].n;
  }
  return q;
}

/* ---- GLMs ----
 * eta_i = alpha_i + sum_j x_ij beta_j; with g_i = d lp_i / d eta_i:
 * dalpha_i = g_i, dbeta_j = sum_i x_ij g_i, dx_ij = g_i beta_j.
 * normal:          lp_i = -0.5 z_i^2 - log sigma_i - 0.5 log(2 pi), z_i = (y_i - eta_i) / sigma_i,
 *                  g_i = z_i / sigma_i, dy_i = -g_i, dsigma_i = (z_i^2 - 1) / sigma_i
 * bernoulli_logit: lp_i = log inv_logit(s_i eta_i), s_i = 2 y_i - 1, g_i = s_i inv_logit(-s_i eta_i)
 * poisson_log:     lp_i = y_i eta_i - exp(eta_i) - lgamma(y_i + 1), g_i = y_i - exp(eta_i)
 * binomial_logit:  lp_i = lchoose(N_i, n_i) + n_i eta_i - N_i log1p_exp(eta_i), g_i = n_i - N_i inv_logit(eta_i)
 * neg_binomial_2_log: with m_i = log_sum_exp(eta_i, log phi_i),
 *                  lp_i = lgamma(y_i + phi_i) - lgamma(phi_i) - lgamma(y_i + 1) + phi_i log phi_i + y_i eta_i
 *                         - (y_i + phi_i) m_i,  g_i = y_i - (y_i + phi_i) inv_logit(eta_i - log phi_i),
 *                  dphi_i = digamma(y_i + phi_i) - digamma(phi_i) + log phi_i + 1 - m_i - (y_i + phi_i) exp(-m_i)
 * The node's operands are always (y, x, alpha, beta[, extra]): extra is
 * sigma, phi or (binomial) the trial counts N. */
enum { GI_FAMILY = 1, GI_N = 2, GI_P = 3 };

static const char *const glm_names[] = {"normal_id_glm_lpdf", "bernoulli_logit_glm_lpmf",
                                        "poisson_log_glm_lpmf", "binomial_logit_glm_lpmf",
                                        "neg_binomial_2_log_glm_lpmf"};

/* Rows are processed in blocks of GLM_BLOCK: eta and g of a block stay in
 * L1, and the block's rows of x are read from memory once for both x beta
 * and x' g (the block is still in cache for the second). Every inner loop
 * runs over contiguous doubles (a column of the block); the sums over rows
 * are `omp simd` reductions, so they vectorise (-fopenmp-simd) and give the
 * same bits on every evaluation of a build. */
enum { GLM_BLOCK = 128 };

int vi_k_glm_fwd(struct vi_node *n) {
  int fam = n->i[GI_FAMILY];
  size_t N = (size_t)n->i[GI_N], P = (size_t)n->i[GI_P];
  const double *y = n->a[0].x, *x = n->a[1].x, *al = n->a[2].x, *be = n->a[3].x;
  const double *sg = n->na > 4 ? n->a[4].x : NULL; /* sigma, phi or the trial counts */
  size_t sy = n->a[0].n == 1 ? 0 : 1, sa = n->a[2].n == 1 ? 0 : 1;
  size_t ss = sg && n->a[4].n == 1 ? 0 : 1;
  for (size_t i = 0; i < n->a[0].n; i++) {
    double v = y[i];
    const char *bad = fam == VI_GLM_NORMAL ? (isnan(v) ? "must not be nan" : NULL)
                      : fam == VI_GLM_BERNOULLI_LOGIT ? (v != 0 && v != 1 ? "must be 0 or 1" : NULL)
                                                      : (v < 0 ? "must be nonnegative" : NULL);
    if (bad) return vi_node_fail(n, "%s[%zu] is %.17g, %s", "outcome variable", i + 1, v, bad);
  }
  if (fam == VI_GLM_BINOMIAL_LOGIT) {
    size_t len = n->a[0].n > n->a[4].n ? n->a[0].n : n->a[4].n;
    for (size_t i = 0; i < len; i++) {
      double k = y[i * sy], t = sg[i * ss];
      if (!(t >= 0)) return vi_node_fail(n, "population size parameter[%zu] is %.17g, must be nonnegative", i + 1, t);
      if (k > t) return vi_node_fail(n, "successes variable[%zu] is %.17g, must be in the interval [0, %.17g]", i + 1, k, t);
    }
  } else if (sg) {
    const char *what = fam == VI_GLM_NORMAL ? "scale parameter" : "precision parameter";
    for (size_t i = 0; i < n->a[4].n; i++)
      if (!(sg[i] > 0) || isinf(sg[i]))
        return vi_node_fail(n, "%s[%zu] is %.17g, must be positive finite", what, i + 1, sg[i]);
  }
  double *p[5];
  vi_dist_parts(n, p);
  n->y[0] = 0;
  unsigned inc = vi_udist_inc(n);
  if (!inc || N == 0) return 0;
  double eta[GLM_BLOCK], g[GLM_BLOCK], lp = 0, zz = 0, lsig = 0;
  for (size_t i0 = 0; i0 < N; i0 += GLM_BLOCK) {
    const size_t m = N - i0 < GLM_BLOCK ? N - i0 : GLM_BLOCK;
    const double *yb = y + i0 * sy;
    /* eta = alpha + x beta over the block, column by column */
    if (sa)
      memcpy(eta, al + i0, m * sizeof *eta);
    else
      for (size_t i = 0; i < m; i++) eta[i] = al[0];
    for (size_t j = 0; j < P; j++) {
      const double *xj = x + j * N + i0, b = be[j];
      for (size_t i = 0; i < m; i++) eta[i] += xj[i] * b;
    }
    int finite = 1;
    for (size_t i = 0; i < m; i++) finite &= isfinite(eta[i]);
    if (!finite)
      for (size_t i = 0; i < m; i++)
        if (!isfinite(eta[i]))
          return vi_node_fail(n, "linear predictor[%zu] is %.17g, must be finite", i0 + i + 1, eta[i]);
    /* g = d lp / d eta, and lp, family by family */
    double s = 0;
    if (fam == VI_GLM_NORMAL && !ss) {
      const double is = 1 / sg[0];
      double q = 0;
#pragma omp simd reduction(+ : q)
      for (size_t i = 0; i < m; i++) {
        double z = (yb[i * sy] - eta[i]) * is;
        q += z * z;
        g[i] = z * is;
      }
      zz += q;
    } else if (fam == VI_GLM_NORMAL) {
      const double *sb = sg + i0;
      double q = 0, l = 0;
      for (size_t i = 0; i < m; i++) {
        double z = (yb[i * sy] - eta[i]) / sb[i];
        q += z * z;
        g[i] = z / sb[i];
        if (inc & VI_DB(4)) l += log(sb[i]);
        if (p[4]) p[4][i0 + i] += (z * z - 1) / sb[i];
      }
      zz += q;
      lsig += l;
    } else if (fam == VI_GLM_BERNOULLI_LOGIT) {
      for (size_t i = 0; i < m; i++) {
        double sgn = 2 * yb[i * sy] - 1, t = sgn * eta[i], ex = exp(-fabs(t));
        s += (t < 0 ? t : 0) - log1p(ex);
        g[i] = sgn * (t > 0 ? ex : 1) / (1 + ex);
      }
    } else if (fam == VI_GLM_POISSON_LOG) {
      for (size_t i = 0; i < m; i++) {
        double yi = yb[i * sy], ex = exp(eta[i]);
        s += yi * eta[i] - ex;
        if (inc & VI_DINC_CONST) s -= vi_lgamma(yi + 1);
        g[i] = yi - ex;
      }
    } else if (fam == VI_GLM_BINOMIAL_LOGIT) {
      const double *tb = sg + i0 * ss;
      for (size_t i = 0; i < m; i++) {
        double k = yb[i * sy], t = tb[i * ss], e = eta[i];
        s += k * e - t * vi_log1p_exp(e);
        if (inc & VI_DINC_CONST) s += vi_lchoose(t, k);
        g[i] = k - t * vi_inv_logit(e);
      }
    } else {
      const double *pb = sg + i0 * ss;
      /* a scalar phi: log, lgamma and digamma of it once per block */
      double lph0 = ss ? 0 : log(pb[0]), lg0 = ss || !(inc & VI_DB(4)) ? 0 : vi_lgamma(pb[0]);
      double dg0 = ss || !p[4] ? 0 : vi_digamma(pb[0]);
      for (size_t i = 0; i < m; i++) {
        double k = yb[i * sy], ph = pb[i * ss], e = eta[i], lph = ss ? log(ph) : lph0;
        double lmp = vi_log_sum_exp2(e, lph);
        s += k * e - (k + ph) * lmp;
        if (inc & VI_DINC_CONST) s -= vi_lgamma(k + 1);
        if (inc & VI_DB(4)) s += vi_lgamma(k + ph) - (ss ? vi_lgamma(ph) : lg0) + ph * lph;
        g[i] = k - (k + ph) * vi_inv_logit(e - lph);
        if (p[4])
          p[4][(i0 + i) * ss] += vi_digamma(k + ph) - (ss ? vi_digamma(ph) : dg0) + lph + 1 - lmp - (k + ph) * exp(-lmp);
      }
    }
    lp += s;
    /* partials of the block: y, alpha, beta (x' g, the block still in cache), x */
    if (p[0]) {
      if (sy)
        for (size_t i = 0; i < m; i++) p[0][i0 + i] -= g[i];
      else
        for (size_t i = 0; i < m; i++) p[0][0] -= g[i];
    }
    if (p[2]) {
      if (sa) {
        for (size_t i = 0; i < m; i++) p[2][i0 + i] += g[i];
      } else {
        double t = 0;
#pragma omp simd reduction(+ : t)
        for (size_t i = 0; i < m; i++) t += g[i];
        p[2][0] += t;
      }
    }
    if (p[3])
      for (size_t j = 0; j < P; j++) {
        const double *xj = x + j * N + i0;
        double t = 0;
#pragma omp simd reduction(+ : t)
        for (size_t i = 0; i < m; i++) t += xj[i] * g[i];
        p[3][j] += t;
      }
    if (p[1])
      for (size_t j = 0; j < P; j++) {
        double *dxj = p[1] + j * N + i0;
        const double b = be[j];
        for (size_t i = 0; i < m; i++) dxj[i] = g[i] * b;
      }
  }
  if (fam == VI_GLM_NORMAL) {
    lp = -0.5 * zz;
    if (inc & VI_DB(4)) lp -= ss ? lsig : (double)N * log(sg[0]);
    if (p[4] && !ss) p[4][0] = (zz - (double)N) / sg[0];
    if (inc & VI_DINC_CONST) lp -= (double)N * VI_LOG_SQRT_2PI;
  }
  n->y[0] = lp;
  return 0;
}

static const int glm_ops[] = {VI_OPCODE_NORMAL_ID_GLM_LPDF, VI_OPCODE_BERNOULLI_LOGIT_GLM_LPMF,
                              VI_OPCODE_POISSON_LOG_GLM_LPMF, VI_OPCODE_BINOMIAL_LOGIT_GLM_LPMF,
                              VI_OPCODE_NEG_BINOMIAL_2_LOG_GLM_LPMF};

int vi_glm_call(int family, struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                int flags, struct vi_srcloc loc) {
  const char *fname = glm_names[family];
  int want = family == VI_GLM_NORMAL || family >= VI_GLM_BINOMIAL_LOGIT ? 5 : 4;
  if (nargs != want) return vi_ctx_error(c, loc, "%s: takes %d arguments, not %d", fname, want, nargs);
  struct vi_val ord[5];
  if (family == VI_GLM_BINOMIAL_LOGIT) { /* (n, N, x, alpha, beta) -> (n, x, alpha, beta, N) */
    ord[0] = args[0], ord[1] = args[2], ord[2] = args[3], ord[3] = args[4], ord[4] = args[1];
    args = ord;
  }
  const struct vi_val *x = &args[1];
  size_t N = (size_t)vi_val_rows(x), P = (size_t)vi_val_cols(x);
  if (x->t.ndims || (x->t.base != VI_T_MATRIX && x->t.base != VI_T_ROW_VECTOR))
    return vi_ctx_error(c, loc, "%s: the predictors must be a matrix or row_vector", fname);
  if (args[3].n != P)
    return vi_ctx_error(c, loc, "%s: size of weight vector (%zu) does not match the columns of the predictors (%zu)",
                        fname, args[3].n, P);
  const char *what[] = {"outcome", "predictors", "intercept", "weight vector", "scale"};
  if (family == VI_GLM_BINOMIAL_LOGIT) what[4] = "population size";
  if (family == VI_GLM_NEG_BINOMIAL_2_LOG) what[4] = "precision";
  for (int k = 0; k < nargs; k++) {
    if (k == 1 || k == 3) continue;
    if (args[k].n != 1 && args[k].n != N)
      return vi_ctx_error(c, loc, "%s: size of %s (%zu) does not match the rows of the predictors (%zu)",
                          fname, what[k], args[k].n, N);
  }
  struct vi_node *n = vi_dist_node_new(c, &vi_ops[glm_ops[family]], args, nargs, flags, 0, loc);
  if (!n) return VI_ERR_EVAL;
  n->fname = fname;
  n->i[GI_FAMILY] = family;
  n->i[GI_N] = (int)N;
  n->i[GI_P] = (int)P;
  return vi_dist_node_run(c, n, out);
}

struct vi_type vi_drule_glm(const struct vi_type *a, int n, int int_y, int has_sigma) {
  struct vi_type err = vi_ty(VI_T_ERROR, 0);
  if (n != 4 + has_sigma) return err;
  if (int_y ? !vi_ty_is_ints(a[0]) : !(vi_ty_is_scalar(a[0]) || (a[0].base == VI_T_VECTOR && !a[0].ndims)))
    return err;
  if (a[1].ndims || (a[1].base != VI_T_MATRIX && a[1].base != VI_T_ROW_VECTOR)) return err;
  if (!(vi_ty_is_scalar(a[2]) || (a[2].base == VI_T_VECTOR && !a[2].ndims))) return err;
  if (a[3].base != VI_T_VECTOR || a[3].ndims) return err;
  if (has_sigma && !(vi_ty_is_scalar(a[4]) || (a[4].base == VI_T_VECTOR && !a[4].ndims))) return err;
  return vi_ty(VI_T_REAL, 0);
}
