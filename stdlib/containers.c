/* containers.c: reductions, constructors and slicing helpers.
 *
 * Reductions (sum, prod, mean, sd, variance, min, max, log_sum_exp,
 * log_mix, dot products, distances) and vector maps (cumulative_sum,
 * softmax, log_softmax, sort_asc, sort_desc, linspaced_*) are one node per
 * call over the whole container. Functions whose result only rearranges
 * the input's elements (rep_*, to_*, append_*, segment, head, tail,
 * reverse) record nothing: a constant input is copied, a differentiable one
 * is returned as element references (struct vi_ref) into the input, which
 * follow the input's values when the tape is replayed. Ints stay ints
 * where Stan's result is an int. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lib.h"
#include "special.h"

#define RULE VI_RULE

#define FN(name)                                                                          \
  static int fn_##name(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, \
                       int flags, struct vi_srcloc loc)

/* ---- shared helpers ---- */

static int is_num(struct vi_type t) { return t.base >= VI_T_INT && t.base <= VI_T_MATRIX; }
static int int_arg(const struct vi_val *v) { return v->ix ? v->ix[0] : (int)vi_val_get(v, 0); }

static struct vi_node *new_node(struct vi_ctx *c, const struct vi_opdef *op, int na, size_t nout,
                                const char *fname, struct vi_srcloc loc) {
  struct vi_node *n = vi_node_new(c, op, na, nout, loc);
  if (n) n->fname = fname;
  return n;
}

static int set_shape(struct vi_ctx *c, struct vi_val *out, struct vi_type t, const int *dims,
                     const char *fname, struct vi_srcloc loc) {
  memset(out, 0, sizeof *out);
  if (vi_val_set_shape(out, t, dims)) return vi_ctx_error(c, loc, "%s: result is too large", fname);
  return VI_OK;
}

static int set_scalar(struct vi_val *out, int base) {
  memset(out, 0, sizeof *out);
  return vi_val_set_shape(out, vi_ty(base, 0), NULL);
}

/* out (type and shape set) takes element idx[k] of the concatenation of a
 * and b (b may be NULL; SIZE_MAX gives a constant 0). An int out copies
 * ints; constant inputs are copied; otherwise out holds references. */
static int gather(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, struct vi_val *b,
                  const size_t *idx, struct vi_srcloc loc) {
  size_t n = out->n, na = a->n;
  if (out->t.base == VI_T_INT) {
    out->ix = vi_arena_array(c->arena, n ? n : 1, sizeof(int));
    if (!out->ix) return vi_ctx_error(c, loc, "out of memory");
    for (size_t k = 0; k < n; k++) {
      size_t i = idx[k];
      out->ix[k] = i == SIZE_MAX ? 0 : i < na ? a->ix[i] : b->ix[i - na];
    }
    return VI_OK;
  }
  if (a->ix && vi_val_contig(c, a, loc)) return VI_ERR_EVAL;
  if (b && b->ix && vi_val_contig(c, b, loc)) return VI_ERR_EVAL;
  if (vi_val_is_const(a) && (!b || vi_val_is_const(b))) {
    out->x = vi_arena_array(c->arena, n ? n : 1, sizeof(double));
    if (!out->x) return vi_ctx_error(c, loc, "out of memory");
    for (size_t k = 0; k < n; k++) {
      size_t i = idx[k];
      out->x[k] = i == SIZE_MAX ? 0.0 : i < na ? vi_val_get(a, i) : vi_val_get(b, i - na);
    }
    return VI_OK;
  }
  double *zero = vi_arena_alloc(c->arena, sizeof(double));
  out->ref = vi_arena_array(c->arena, n ? n : 1, sizeof *out->ref);
  if (!zero || !out->ref) return vi_ctx_error(c, loc, "out of memory");
  for (size_t k = 0; k < n; k++) {
    size_t i = idx[k];
    if (i == SIZE_MAX) {
      out->ref[k].x = zero;
      out->ref[k].dx = NULL;
    } else {
      out->ref[k] = i < na ? vi_val_ref(a, i) : vi_val_ref(b, i - na);
    }
  }
  return VI_OK;
}

static size_t *new_idx(struct vi_ctx *c, size_t n, struct vi_srcloc loc) {
  size_t *p = vi_arena_array(c->arena, n ? n : 1, sizeof *p);
  if (!p) vi_ctx_error(c, loc, "out of memory");
  return p;
}

/* Runs a one-operand node (a made contiguous) giving a real scalar. */
static int run_reduce(struct vi_ctx *c, struct vi_val *out, struct vi_val *a,
                      const struct vi_opdef *op, const char *f, size_t naux,
                      struct vi_srcloc loc) {
  if (vi_val_contig(c, a, loc)) return VI_ERR_EVAL;
  set_scalar(out, VI_T_REAL);
  struct vi_node *n = new_node(c, op, 1, 1, f, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, a);
  if (naux && vi_node_aux(c, n, naux)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

/* ---- reductions ---- */

/* y = sum a;  da += ȳ */
int vi_k_sum_fwd(struct vi_node *n) {
  double s = 0;
  for (size_t k = 0; k < n->a[0].n; k++) s += n->a[0].x[k];
  n->y[0] = s;
  return 0;
}
void vi_k_sum_bwd(struct vi_node *n) {
  if (n->a[0].dx)
    for (size_t k = 0; k < n->a[0].n; k++) n->a[0].dx[k] += n->dy[0];
}

/* y = prod a;  da_i += ȳ prod_{j != i} a_j (prefix and suffix products, so zeros are exact) */
int vi_k_prod_fwd(struct vi_node *n) {
  double p = 1;
  for (size_t k = 0; k < n->a[0].n; k++) p *= n->a[0].x[k];
  n->y[0] = p;
  return 0;
}
void vi_k_prod_bwd(struct vi_node *n) {
  double *dx = n->a[0].dx;
  const double *x = n->a[0].x;
  size_t m = n->a[0].n;
  if (!dx) return;
  double *pre = n->aux; /* pre[k] = prod_{j < k} x_j */
  double p = 1;
  for (size_t k = 0; k < m; k++) pre[k] = p, p *= x[k];
  double suf = 1;
  for (size_t k = m; k-- > 0;) {
    dx[k] += n->dy[0] * pre[k] * suf;
    suf *= x[k];
  }
}

/* y = sum a / N;  da += ȳ / N */
int vi_k_mean_fwd(struct vi_node *n) {
  if (n->a[0].n == 0) return vi_node_fail(n, "argument is empty");
  vi_k_sum_fwd(n);
  n->y[0] /= (double)n->a[0].n;
  return 0;
}
void vi_k_mean_bwd(struct vi_node *n) {
  if (n->a[0].dx)
    for (size_t k = 0; k < n->a[0].n; k++) n->a[0].dx[k] += n->dy[0] / (double)n->a[0].n;
}

/* i[0] == 0, variance: y = sum (a - m)^2 / (N - 1);  da_i += ȳ 2 (a_i - m) / (N - 1).
 * i[0] == 1, sd: y = sqrt(variance);  da_i += ȳ (a_i - m) / ((N - 1) y) (0 when y = 0).
 * A single element gives 0. */
int vi_k_var_fwd(struct vi_node *n) {
  size_t m = n->a[0].n;
  const double *x = n->a[0].x;
  if (m == 0) return vi_node_fail(n, "argument is empty");
  double mu = 0, s = 0;
  for (size_t k = 0; k < m; k++) mu += x[k];
  mu /= (double)m;
  for (size_t k = 0; k < m; k++) s += (x[k] - mu) * (x[k] - mu);
  double v = m > 1 ? s / (double)(m - 1) : 0.0;
  n->y[0] = n->i[0] ? sqrt(v) : v;
  n->c[0] = mu;
  return 0;
}
void vi_k_var_bwd(struct vi_node *n) {
  size_t m = n->a[0].n;
  double *dx = n->a[0].dx;
  if (!dx || m < 2) return;
  double g = n->i[0] ? (n->y[0] > 0 ? n->dy[0] / ((double)(m - 1) * n->y[0]) : 0.0)
                     : 2 * n->dy[0] / (double)(m - 1);
  for (size_t k = 0; k < m; k++) dx[k] += g * (n->a[0].x[k] - n->c[0]);
}

/* i[0] == 0, min: y = a_k with k the first smallest (NaN if any is NaN; +inf if empty);
 * i[0] == 1, max. da_k += ȳ. The two-scalar forms are the same over (a, b). */
int vi_k_minmax_fwd(struct vi_node *n) {
  int mx = n->i[0];
  double best = mx ? -INFINITY : INFINITY;
  size_t at = SIZE_MAX;
  for (int o = 0; o < n->na; o++)
    for (size_t k = 0; k < n->a[o].n; k++) {
      double v = n->a[o].x[k];
      if (isnan(v)) {
        n->y[0] = v;
        n->c[0] = -1;
        return 0;
      }
      if (at == SIZE_MAX || (mx ? v > best : v < best)) best = v, at = k, n->c[1] = o;
    }
  n->y[0] = best;
  n->c[0] = at == SIZE_MAX ? -1 : (double)at;
  return 0;
}
void vi_k_minmax_bwd(struct vi_node *n) {
  if (n->c[0] < 0) return;
  double *dx = n->a[(int)n->c[1]].dx;
  if (dx) dx[(size_t)n->c[0]] += n->dy[0];
}

/* y = log sum exp(a) over both operands (-inf when empty or all -inf);
 * da_i += ȳ exp(a_i - y). */
int vi_k_lse_fwd(struct vi_node *n) {
  double m = -INFINITY;
  for (int o = 0; o < n->na; o++)
    for (size_t k = 0; k < n->a[o].n; k++) m = fmax(m, n->a[o].x[k]);
  for (int o = 0; o < n->na; o++)
    for (size_t k = 0; k < n->a[o].n; k++)
      if (isnan(n->a[o].x[k])) return n->y[0] = NAN, 0;
  if (m == -INFINITY || m == INFINITY) return n->y[0] = m, 0;
  double s = 0;
  for (int o = 0; o < n->na; o++)
    for (size_t k = 0; k < n->a[o].n; k++) s += exp(n->a[o].x[k] - m);
  n->y[0] = m + log(s);
  return 0;
}
void vi_k_lse_bwd(struct vi_node *n) {
  if (!isfinite(n->y[0])) return;
  for (int o = 0; o < n->na; o++)
    if (n->a[o].dx)
      for (size_t k = 0; k < n->a[o].n; k++)
        n->a[o].dx[k] += n->dy[0] * exp(n->a[o].x[k] - n->y[0]);
}

static int int_reduce(struct vi_ctx *c, struct vi_val *out, const struct vi_val *a, int kind,
                      const char *f, struct vi_srcloc loc) {
  /* kind 0 sum, 1 prod, 2 min, 3 max */
  long long acc = kind == 1 ? 1 : 0;
  if (kind >= 2 && a->n == 0) return vi_ctx_error(c, loc, "%s: argument is empty", f);
  for (size_t k = 0; k < a->n; k++) {
    long long v = a->ix[k];
    if (kind == 0) acc += v;
    else if (kind == 1) acc *= v;
    else if (k == 0 || (kind == 2 ? v < acc : v > acc)) acc = v;
    if (acc > INT_MAX || acc < INT_MIN) return vi_ctx_error(c, loc, "%s: integer overflow", f);
  }
  return vi_val_int_scalar(c, out, (int)acc) ? vi_ctx_error(c, loc, "out of memory") : VI_OK;
}

FN(sum) {
  if (args[0].t.base == VI_T_INT) return int_reduce(c, out, &args[0], 0, "sum", loc);
  return run_reduce(c, out, &args[0], VI_OPDEF(SUM), "sum", 0, loc);
}
FN(prod) {
  if (args[0].t.base == VI_T_INT) return int_reduce(c, out, &args[0], 1, "prod", loc);
  return run_reduce(c, out, &args[0], VI_OPDEF(PROD), "prod", args[0].n, loc);
}
FN(mean) { return run_reduce(c, out, &args[0], VI_OPDEF(MEAN), "mean", 0, loc); }

static int var_sd(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, int sd, const char *f,
                  struct vi_srcloc loc) {
  if (vi_val_contig(c, a, loc)) return VI_ERR_EVAL;
  set_scalar(out, VI_T_REAL);
  struct vi_node *n = new_node(c, VI_OPDEF(VARIANCE), 1, 1, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = sd;
  vi_node_arg(n, 0, a);
  return vi_node_run(c, n, out);
}
FN(variance) { return var_sd(c, out, &args[0], 0, "variance", loc); }
FN(sd) { return var_sd(c, out, &args[0], 1, "sd", loc); }

static int minmax(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int mx,
                  const char *f, struct vi_srcloc loc) {
  int all_int = 1;
  for (int k = 0; k < nargs; k++) all_int &= args[k].t.base == VI_T_INT;
  if (all_int && nargs == 1) return int_reduce(c, out, &args[0], 2 + mx, f, loc);
  if (all_int) {
    int a = args[0].ix[0], b = args[1].ix[0];
    return vi_val_int_scalar(c, out, mx ? (a >= b ? a : b) : (a <= b ? a : b));
  }
  for (int k = 0; k < nargs; k++)
    if (vi_val_contig(c, &args[k], loc)) return VI_ERR_EVAL;
  set_scalar(out, VI_T_REAL);
  struct vi_node *n = new_node(c, VI_OPDEF(MIN), nargs, 1, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = mx;
  for (int k = 0; k < nargs; k++) vi_node_arg(n, k, &args[k]);
  return vi_node_run(c, n, out);
}
FN(min) { return minmax(c, out, args, nargs, 0, "min", loc); }
FN(max) { return minmax(c, out, args, nargs, 1, "max", loc); }

FN(log_sum_exp) {
  for (int k = 0; k < nargs; k++)
    if (vi_val_contig(c, &args[k], loc)) return VI_ERR_EVAL;
  set_scalar(out, VI_T_REAL);
  struct vi_node *n = new_node(c, VI_OPDEF(LOG_SUM_EXP), nargs, 1, "log_sum_exp", loc);
  if (!n) return VI_ERR_NOMEM;
  for (int k = 0; k < nargs; k++) vi_node_arg(n, k, &args[k]);
  return vi_node_run(c, n, out);
}

/* ---- log_mix ---- */

/* y = log(theta exp(l1) + (1 - theta) exp(l2)), theta in [0, 1].
 * With w1 = exp(l1 - y), w2 = exp(l2 - y):
 * dtheta += ȳ (w1 - w2),  dl1 += ȳ theta w1,  dl2 += ȳ (1 - theta) w2. */
int vi_k_mix2_fwd(struct vi_node *n) {
  double t = n->a[0].x[0], l1 = n->a[1].x[0], l2 = n->a[2].x[0];
  if (!(t >= 0 && t <= 1)) return vi_node_fail(n, "mixing proportion is %g, must be in [0, 1]", t);
  if (isnan(l1) || isnan(l2)) return vi_node_fail(n, "log density is nan");
  n->y[0] = vi_log_sum_exp2(log(t) + l1, log1p(-t) + l2);
  return 0;
}
void vi_k_mix2_bwd(struct vi_node *n) {
  double t = n->a[0].x[0], y = n->y[0], g = n->dy[0];
  if (!isfinite(y)) return;
  double w1 = exp(n->a[1].x[0] - y), w2 = exp(n->a[2].x[0] - y);
  if (n->a[0].dx) n->a[0].dx[0] += g * (w1 - w2);
  if (n->a[1].dx) n->a[1].dx[0] += g * t * w1;
  if (n->a[2].dx) n->a[2].dx[0] += g * (1 - t) * w2;
}

/* y = sum_j log sum_k theta_k exp(lp_jk) over J rows of K log densities
 * (lp row-major: lp_jk at j K + k). With w_jk = exp(lp_jk - y_j):
 * dtheta_k += ȳ sum_j w_jk,  dlp_jk += ȳ theta_k w_jk. i[0] = J, i[1] = K;
 * aux: the J row results. */
int vi_k_mixv_fwd(struct vi_node *n) {
  int J = n->i[0], K = n->i[1];
  const double *t = n->a[0].x, *lp = n->a[1].x;
  for (int k = 0; k < K; k++)
    if (!(t[k] >= 0 && t[k] <= 1))
      return vi_node_fail(n, "mixing proportion theta[%d] is %g, must be in [0, 1]", k + 1, t[k]);
  double tot = 0;
  for (int j = 0; j < J; j++) {
    const double *l = lp + (size_t)j * K;
    double m = -INFINITY;
    for (int k = 0; k < K; k++) {
      if (isnan(l[k])) return vi_node_fail(n, "log density is nan");
      if (t[k] > 0) m = fmax(m, l[k]);
    }
    double s = 0;
    if (isfinite(m))
      for (int k = 0; k < K; k++) s += t[k] * exp(l[k] - m);
    n->aux[j] = isfinite(m) ? m + log(s) : m;
    tot += n->aux[j];
  }
  n->y[0] = tot;
  return 0;
}
void vi_k_mixv_bwd(struct vi_node *n) {
  int J = n->i[0], K = n->i[1];
  const double *t = n->a[0].x, *lp = n->a[1].x;
  double g = n->dy[0];
  for (int j = 0; j < J; j++) {
    double yj = n->aux[j];
    if (!isfinite(yj)) continue;
    for (int k = 0; k < K; k++) {
      double w = exp(lp[(size_t)j * K + k] - yj);
      if (n->a[0].dx) n->a[0].dx[k] += g * w;
      if (n->a[1].dx) n->a[1].dx[(size_t)j * K + k] += g * t[k] * w;
    }
  }
}

FN(log_mix) {
  const char *f = "log_mix";
  for (int k = 0; k < nargs; k++)
    if (vi_val_contig(c, &args[k], loc)) return VI_ERR_EVAL;
  set_scalar(out, VI_T_REAL);
  if (nargs == 3) {
    struct vi_node *n = new_node(c, VI_OPDEF(LOG_MIX_MIX2), 3, 1, f, loc);
    if (!n) return VI_ERR_NOMEM;
    for (int k = 0; k < 3; k++) vi_node_arg(n, k, &args[k]);
    return vi_node_run(c, n, out);
  }
  struct vi_val *t = &args[0], *lp = &args[1];
  int K = (int)t->n, J = lp->t.ndims == 1 && lp->t.base != VI_T_REAL ? lp->dim[0] : 1;
  size_t inner = J ? lp->n / (size_t)J : (size_t)K;
  if (inner != (size_t)K)
    return vi_ctx_error(c, loc, "%s: sizes do not match (%d and %zu)", f, K, inner);
  struct vi_node *n = new_node(c, VI_OPDEF(LOG_MIX_MIXV), 2, 1, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = J;
  n->i[1] = K;
  vi_node_arg(n, 0, t);
  vi_node_arg(n, 1, lp);
  if (vi_node_aux(c, n, (size_t)J)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

/* ---- dot products and distances ---- */

/* y = sum u_i v_i;  du_i += ȳ v_i,  dv_i += ȳ u_i (dot_self passes v twice). */
int vi_k_dot_fwd(struct vi_node *n) {
  double s = 0;
  for (size_t k = 0; k < n->a[0].n; k++) s += n->a[0].x[k] * n->a[1].x[k];
  n->y[0] = s;
  return 0;
}
void vi_k_dot_bwd(struct vi_node *n) {
  for (size_t k = 0; k < n->a[0].n; k++) {
    if (n->a[0].dx) n->a[0].dx[k] += n->dy[0] * n->a[1].x[k];
    if (n->a[1].dx) n->a[1].dx[k] += n->dy[0] * n->a[0].x[k];
  }
}

/* i[2] == 0, columns: y_j = sum_i A_ij B_ij;  i[2] == 1, rows: y_i = sum_j A_ij B_ij.
 * dA_ij += ȳ B_ij,  dB_ij += ȳ A_ij. i[0] = R, i[1] = C. */
int vi_k_dotcr_fwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], rows = n->i[2];
  memset(n->y, 0, n->n * sizeof(double));
  for (int j = 0; j < C; j++)
    for (int i = 0; i < R; i++) {
      size_t k = i + (size_t)j * R;
      n->y[rows ? i : j] += n->a[0].x[k] * n->a[1].x[k];
    }
  return 0;
}
void vi_k_dotcr_bwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], rows = n->i[2];
  for (int j = 0; j < C; j++)
    for (int i = 0; i < R; i++) {
      size_t k = i + (size_t)j * R;
      double g = n->dy[rows ? i : j];
      if (n->a[0].dx) n->a[0].dx[k] += g * n->a[1].x[k];
      if (n->a[1].dx) n->a[1].dx[k] += g * n->a[0].x[k];
    }
}

/* i[0] == 0: y = sum (u_i - v_i)^2;  du_i += 2 ȳ (u_i - v_i),  dv_i -= the same.
 * i[0] == 1: y = sqrt of that;  du_i += ȳ (u_i - v_i) / y (0 when y = 0). */
int vi_k_dist_fwd(struct vi_node *n) {
  double s = 0;
  for (size_t k = 0; k < n->a[0].n; k++) {
    double d = n->a[0].x[k] - n->a[1].x[k];
    s += d * d;
  }
  n->y[0] = n->i[0] ? sqrt(s) : s;
  return 0;
}
void vi_k_dist_bwd(struct vi_node *n) {
  double g = n->i[0] ? (n->y[0] > 0 ? n->dy[0] / n->y[0] : 0.0) : 2 * n->dy[0];
  for (size_t k = 0; k < n->a[0].n; k++) {
    double d = n->a[0].x[k] - n->a[1].x[k];
    if (n->a[0].dx) n->a[0].dx[k] += g * d;
    if (n->a[1].dx) n->a[1].dx[k] -= g * d;
  }
}

static int pairwise(struct vi_ctx *c, struct vi_val *out, struct vi_val *u, struct vi_val *v,
                    const struct vi_opdef *op, int kind, const char *f, struct vi_srcloc loc) {
  if (u->n != v->n) return vi_ctx_error(c, loc, "%s: sizes do not match (%zu and %zu)", f, u->n, v->n);
  if (vi_val_contig(c, u, loc) || vi_val_contig(c, v, loc)) return VI_ERR_EVAL;
  set_scalar(out, VI_T_REAL);
  struct vi_node *n = new_node(c, op, 2, 1, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = kind;
  vi_node_arg(n, 0, u);
  vi_node_arg(n, 1, v);
  return vi_node_run(c, n, out);
}

FN(dot_product) { return pairwise(c, out, &args[0], &args[1], VI_OPDEF(DOT_PRODUCT), 0, "dot_product", loc); }
FN(dot_self) { return pairwise(c, out, &args[0], &args[0], VI_OPDEF(DOT_PRODUCT), 0, "dot_self", loc); }
FN(squared_distance) {
  return pairwise(c, out, &args[0], &args[1], VI_OPDEF(SQUARED_DISTANCE), 0, "squared_distance", loc);
}
FN(distance) { return pairwise(c, out, &args[0], &args[1], VI_OPDEF(SQUARED_DISTANCE), 1, "distance", loc); }

static int dotcr(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, struct vi_val *b,
                 int rows, const char *f, struct vi_srcloc loc) {
  int R = vi_val_rows(a), C = vi_val_cols(a);
  if (vi_val_rows(b) != R || vi_val_cols(b) != C)
    return vi_ctx_error(c, loc, "%s: sizes do not match (%d x %d and %d x %d)", f, R, C,
                        vi_val_rows(b), vi_val_cols(b));
  if (vi_val_contig(c, a, loc) || vi_val_contig(c, b, loc)) return VI_ERR_EVAL;
  int d = rows ? R : C;
  if (set_shape(c, out, vi_ty(rows ? VI_T_VECTOR : VI_T_ROW_VECTOR, 0), &d, f, loc))
    return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(COLUMNS_DOT_PRODUCT), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = R;
  n->i[1] = C;
  n->i[2] = rows;
  vi_node_arg(n, 0, a);
  vi_node_arg(n, 1, b);
  return vi_node_run(c, n, out);
}
FN(columns_dot_product) { return dotcr(c, out, &args[0], &args[1], 0, "columns_dot_product", loc); }
FN(rows_dot_product) { return dotcr(c, out, &args[0], &args[1], 1, "rows_dot_product", loc); }
FN(columns_dot_self) { return dotcr(c, out, &args[0], &args[0], 0, "columns_dot_self", loc); }
FN(rows_dot_self) { return dotcr(c, out, &args[0], &args[0], 1, "rows_dot_self", loc); }

/* ---- sizes ---- */

FN(rows) { return vi_val_int_scalar(c, out, vi_val_rows(&args[0])); }
FN(cols) { return vi_val_int_scalar(c, out, vi_val_cols(&args[0])); }
FN(num_elements) {
  if (args[0].n > INT_MAX) return vi_ctx_error(c, loc, "num_elements: size exceeds int range");
  return vi_val_int_scalar(c, out, (int)args[0].n);
}
FN(size) {
  const struct vi_val *v = &args[0];
  if (v->t.ndims > 0) return vi_val_int_scalar(c, out, v->dim[0]);
  if (v->n > INT_MAX) return vi_ctx_error(c, loc, "size: size exceeds int range");
  return vi_val_int_scalar(c, out, (int)v->n);
}

/* ---- replication ---- */

static int check_size(struct vi_ctx *c, int k, const char *f, struct vi_srcloc loc) {
  if (k < 0) return vi_ctx_error(c, loc, "%s: size %d is negative", f, k);
  return VI_OK;
}

/* out (shape set) repeats all of x's elements: idx[k] = k mod x->n. */
static int repeat(struct vi_ctx *c, struct vi_val *out, struct vi_val *x, struct vi_srcloc loc) {
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (size_t k = 0; k < out->n; k++) idx[k] = x->n ? k % x->n : SIZE_MAX;
  return gather(c, out, x, NULL, idx, loc);
}

static int rep_vec(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int base,
                   const char *f, struct vi_srcloc loc) {
  int k = int_arg(&args[1]);
  if (check_size(c, k, f, loc) || set_shape(c, out, vi_ty(base, 0), &k, f, loc)) return VI_ERR_EVAL;
  return repeat(c, out, &args[0], loc);
}
FN(rep_vector) { return rep_vec(c, out, args, VI_T_VECTOR, "rep_vector", loc); }
FN(rep_row_vector) { return rep_vec(c, out, args, VI_T_ROW_VECTOR, "rep_row_vector", loc); }

FN(rep_matrix) {
  const char *f = "rep_matrix";
  struct vi_val *x = &args[0];
  int d[2];
  if (nargs == 3) {
    d[0] = int_arg(&args[1]);
    d[1] = int_arg(&args[2]);
    if (check_size(c, d[0], f, loc) || check_size(c, d[1], f, loc)) return VI_ERR_EVAL;
  } else if (x->t.base == VI_T_VECTOR) {
    d[0] = (int)x->n;
    d[1] = int_arg(&args[1]);
    if (check_size(c, d[1], f, loc)) return VI_ERR_EVAL;
  } else {
    d[0] = int_arg(&args[1]);
    d[1] = (int)x->n;
    if (check_size(c, d[0], f, loc)) return VI_ERR_EVAL;
  }
  if (set_shape(c, out, vi_ty(VI_T_MATRIX, 0), d, f, loc)) return VI_ERR_EVAL;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (int j = 0; j < d[1]; j++)
    for (int i = 0; i < d[0]; i++)
      idx[i + (size_t)j * d[0]] = nargs == 3 ? 0 : x->t.base == VI_T_VECTOR ? (size_t)i : (size_t)j;
  return gather(c, out, x, NULL, idx, loc);
}

FN(rep_array) {
  const char *f = "rep_array";
  struct vi_val *x = &args[0];
  int nd = nargs - 1, ns = vi_type_nsizes(x->t);
  int d[VI_MAXDIMS];
  if (x->t.ndims + nd + ns > VI_MAXDIMS)
    return vi_ctx_error(c, loc, "%s: too many dimensions", f);
  for (int k = 0; k < nd; k++) {
    d[k] = int_arg(&args[k + 1]);
    if (check_size(c, d[k], f, loc)) return VI_ERR_EVAL;
  }
  for (int k = 0; k < x->t.ndims + ns; k++) d[nd + k] = x->dim[k];
  struct vi_type t = vi_ty(x->t.base, x->t.ndims + nd);
  if (set_shape(c, out, t, d, f, loc)) return VI_ERR_EVAL;
  return repeat(c, out, x, loc);
}

/* ---- reshaping ---- */

/* out (shape set) takes x's elements in storage order. */
static int identity_gather(struct vi_ctx *c, struct vi_val *out, struct vi_val *x,
                           struct vi_srcloc loc) {
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (size_t k = 0; k < out->n; k++) idx[k] = k;
  return gather(c, out, x, NULL, idx, loc);
}

static int to_vec(struct vi_ctx *c, struct vi_val *out, struct vi_val *x, struct vi_type t,
                  const char *f, struct vi_srcloc loc) {
  if (x->n > INT_MAX) return vi_ctx_error(c, loc, "%s: result is too large", f);
  int d = (int)x->n;
  if (set_shape(c, out, t, &d, f, loc)) return VI_ERR_EVAL;
  return identity_gather(c, out, x, loc);
}
FN(to_vector) { return to_vec(c, out, &args[0], vi_ty(VI_T_VECTOR, 0), "to_vector", loc); }
FN(to_row_vector) { return to_vec(c, out, &args[0], vi_ty(VI_T_ROW_VECTOR, 0), "to_row_vector", loc); }
FN(to_array_1d) {
  return to_vec(c, out, &args[0], vi_ty(args[0].t.base == VI_T_INT ? VI_T_INT : VI_T_REAL, 1),
                "to_array_1d", loc);
}

FN(to_matrix) {
  const char *f = "to_matrix";
  struct vi_val *x = &args[0];
  int d[2];
  int col_major = 1, two_d = 0;
  if (nargs >= 3) {
    d[0] = int_arg(&args[1]);
    d[1] = int_arg(&args[2]);
    if (nargs == 4) col_major = int_arg(&args[3]) != 0;
    if (check_size(c, d[0], f, loc) || check_size(c, d[1], f, loc)) return VI_ERR_EVAL;
    if ((size_t)d[0] * (size_t)d[1] != x->n)
      return vi_ctx_error(c, loc, "%s: %zu elements do not fill a %d x %d matrix", f, x->n, d[0],
                          d[1]);
  } else if (x->t.ndims == 2 || (x->t.ndims == 1 && x->t.base == VI_T_ROW_VECTOR)) {
    d[0] = x->dim[0];
    d[1] = x->dim[1];
    two_d = 1;
  } else {
    d[0] = vi_val_rows(x);
    d[1] = vi_val_cols(x);
  }
  if (set_shape(c, out, vi_ty(VI_T_MATRIX, 0), d, f, loc)) return VI_ERR_EVAL;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (int j = 0; j < d[1]; j++)
    for (int i = 0; i < d[0]; i++)
      idx[i + (size_t)j * d[0]] =
          (col_major && !two_d) ? i + (size_t)j * d[0] : (size_t)i * d[1] + j;
  return gather(c, out, x, NULL, idx, loc);
}

FN(to_array_2d) {
  struct vi_val *x = &args[0];
  int d[2] = {vi_val_rows(x), vi_val_cols(x)};
  if (set_shape(c, out, vi_ty(VI_T_REAL, 2), d, "to_array_2d", loc)) return VI_ERR_EVAL;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (int i = 0; i < d[0]; i++)
    for (int j = 0; j < d[1]; j++) idx[(size_t)i * d[1] + j] = i + (size_t)j * d[0];
  return gather(c, out, x, NULL, idx, loc);
}

/* append_row (rows = 1) stacks a over b, append_col (rows = 0) puts them side by side;
 * scalars and vectors are 1-column or 1-row matrices. */
static int append(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, struct vi_val *b,
                  int rows, const char *f, struct vi_srcloc loc) {
  int ra = vi_val_rows(a), ca = vi_val_cols(a), rb = vi_val_rows(b), cb = vi_val_cols(b);
  int d[2];
  int base;
  if (rows) {
    if (ca != cb)
      return vi_ctx_error(c, loc, "%s: sizes do not match (%d and %d columns)", f, ca, cb);
    d[0] = ra + rb;
    d[1] = ca;
    base = (a->t.base == VI_T_MATRIX || b->t.base == VI_T_MATRIX ||
            a->t.base == VI_T_ROW_VECTOR || b->t.base == VI_T_ROW_VECTOR)
               ? VI_T_MATRIX
               : VI_T_VECTOR;
  } else {
    if (ra != rb) return vi_ctx_error(c, loc, "%s: sizes do not match (%d and %d rows)", f, ra, rb);
    d[0] = ra;
    d[1] = ca + cb;
    base = (a->t.base == VI_T_MATRIX || b->t.base == VI_T_MATRIX || a->t.base == VI_T_VECTOR ||
            b->t.base == VI_T_VECTOR)
               ? VI_T_MATRIX
               : VI_T_ROW_VECTOR;
  }
  int nd = base == VI_T_VECTOR ? d[0] : d[1];
  if (set_shape(c, out, vi_ty(base, 0), base == VI_T_MATRIX ? d : &nd, f, loc)) return VI_ERR_EVAL;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (int j = 0; j < d[1]; j++)
    for (int i = 0; i < d[0]; i++) {
      size_t k = i + (size_t)j * d[0];
      if (rows)
        idx[k] = i < ra ? i + (size_t)j * ra : a->n + (i - ra) + (size_t)j * rb;
      else
        idx[k] = j < ca ? i + (size_t)j * ra : a->n + i + (size_t)(j - ca) * rb;
    }
  return gather(c, out, a, b, idx, loc);
}
FN(append_row) { return append(c, out, &args[0], &args[1], 1, "append_row", loc); }
FN(append_col) { return append(c, out, &args[0], &args[1], 0, "append_col", loc); }

/* ---- slicing of the outermost dimension ---- */

/* Number of outer elements (array length, or vector size) and scalars per element. */
static size_t outer_len(const struct vi_val *v, size_t *block) {
  size_t len = v->t.ndims > 0 ? (size_t)v->dim[0] : v->n;
  *block = len ? v->n / len : 1;
  return len;
}

/* out = elements start..start+len-1 (0-based) of v's outer dimension, reversed if rev. */
static int slice(struct vi_ctx *c, struct vi_val *out, struct vi_val *v, size_t start, size_t len,
                 int rev, const char *f, struct vi_srcloc loc) {
  size_t block, total = outer_len(v, &block);
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, v);
  out->dim[0] = (int)len;
  out->n = len * block;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (size_t e = 0; e < len; e++) {
    size_t src = rev ? total - 1 - e : start + e;
    for (size_t k = 0; k < block; k++) idx[e * block + k] = src * block + k;
  }
  (void)f;
  return gather(c, out, v, NULL, idx, loc);
}

FN(head) {
  size_t block, total = outer_len(&args[0], &block);
  int k = int_arg(&args[1]);
  if (check_size(c, k, "head", loc)) return VI_ERR_EVAL;
  if ((size_t)k > total)
    return vi_ctx_error(c, loc, "head: size %d exceeds the size %zu", k, total);
  return slice(c, out, &args[0], 0, (size_t)k, 0, "head", loc);
}
FN(tail) {
  size_t block, total = outer_len(&args[0], &block);
  int k = int_arg(&args[1]);
  if (check_size(c, k, "tail", loc)) return VI_ERR_EVAL;
  if ((size_t)k > total)
    return vi_ctx_error(c, loc, "tail: size %d exceeds the size %zu", k, total);
  return slice(c, out, &args[0], total - (size_t)k, (size_t)k, 0, "tail", loc);
}
FN(segment) {
  size_t block, total = outer_len(&args[0], &block);
  int i = int_arg(&args[1]), k = int_arg(&args[2]);
  if (check_size(c, k, "segment", loc)) return VI_ERR_EVAL;
  if (i < 1 || (size_t)i > total + 1)
    return vi_ctx_error(c, loc, "segment: start %d is out of range (1 to %zu)", i, total);
  if ((size_t)(i - 1) + (size_t)k > total)
    return vi_ctx_error(c, loc, "segment: start %d plus length %d exceeds the size %zu", i, k,
                        total);
  return slice(c, out, &args[0], (size_t)(i - 1), (size_t)k, 0, "segment", loc);
}
FN(reverse) {
  size_t block, total = outer_len(&args[0], &block);
  return slice(c, out, &args[0], 0, total, 1, "reverse", loc);
}

/* ---- vector maps ---- */

/* y_i = sum_{j <= i} a_j;  da_j += sum_{i >= j} ȳ_i */
int vi_k_cumsum_fwd(struct vi_node *n) {
  double s = 0;
  for (size_t k = 0; k < n->n; k++) n->y[k] = s += n->a[0].x[k];
  return 0;
}
void vi_k_cumsum_bwd(struct vi_node *n) {
  double s = 0;
  if (n->a[0].dx)
    for (size_t k = n->n; k-- > 0;) n->a[0].dx[k] += s += n->dy[k];
}

FN(cumulative_sum) {
  struct vi_val *a = &args[0];
  if (a->t.base == VI_T_INT) {
    memset(out, 0, sizeof *out);
    if (vi_val_new_int(c, out, a->t, a->dim)) return vi_ctx_error(c, loc, "out of memory");
    long long s = 0;
    for (size_t k = 0; k < a->n; k++) {
      s += a->ix[k];
      if (s > INT_MAX || s < INT_MIN) return vi_ctx_error(c, loc, "cumulative_sum: integer overflow");
      out->ix[k] = (int)s;
    }
    return VI_OK;
  }
  return vi_apply_unary(c, out, a, VI_OPDEF(CUMULATIVE_SUM), loc);
}

/* y = exp(a - lse(a));  da_i += y_i (ȳ_i - sum_j ȳ_j y_j) */
int vi_k_softmax_fwd(struct vi_node *n) {
  size_t m = n->n;
  const double *a = n->a[0].x;
  if (m == 0) return vi_node_fail(n, "argument is empty");
  double mx = -INFINITY, s = 0;
  for (size_t k = 0; k < m; k++) mx = fmax(mx, a[k]);
  for (size_t k = 0; k < m; k++) s += n->y[k] = exp(a[k] - mx);
  for (size_t k = 0; k < m; k++) n->y[k] /= s;
  return 0;
}
void vi_k_softmax_bwd(struct vi_node *n) {
  double g = 0;
  if (!n->a[0].dx) return;
  for (size_t k = 0; k < n->n; k++) g += n->dy[k] * n->y[k];
  for (size_t k = 0; k < n->n; k++) n->a[0].dx[k] += n->y[k] * (n->dy[k] - g);
}

/* y = a - lse(a);  da_i += ȳ_i - exp(y_i) sum_j ȳ_j */
int vi_k_lsoftmax_fwd(struct vi_node *n) {
  size_t m = n->n;
  const double *a = n->a[0].x;
  if (m == 0) return vi_node_fail(n, "argument is empty");
  double mx = -INFINITY, s = 0;
  for (size_t k = 0; k < m; k++) mx = fmax(mx, a[k]);
  for (size_t k = 0; k < m; k++) s += exp(a[k] - mx);
  double lse = mx + log(s);
  for (size_t k = 0; k < m; k++) n->y[k] = a[k] - lse;
  return 0;
}
void vi_k_lsoftmax_bwd(struct vi_node *n) {
  double g = 0;
  if (!n->a[0].dx) return;
  for (size_t k = 0; k < n->n; k++) g += n->dy[k];
  for (size_t k = 0; k < n->n; k++) n->a[0].dx[k] += n->dy[k] - exp(n->y[k]) * g;
}

FN(softmax) { return vi_apply_unary(c, out, &args[0], VI_OPDEF(SOFTMAX), loc); }
FN(log_softmax) { return vi_apply_unary(c, out, &args[0], VI_OPDEF(LOG_SOFTMAX), loc); }

/* Stable merge sort of the index array p[0..m) by key x (descending if desc);
 * tmp has m entries. Indices are stored as doubles (exact below 2^53). */
static void sort_index(const double *x, double *p, double *tmp, size_t m, int desc) {
  for (size_t w = 1; w < m; w *= 2) {
    for (size_t lo = 0; lo < m; lo += 2 * w) {
      size_t mid = lo + w < m ? lo + w : m, hi = lo + 2 * w < m ? lo + 2 * w : m;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        double a = x[(size_t)p[i]], b = x[(size_t)p[j]];
        int take_right = desc ? b > a : b < a;
        tmp[k++] = take_right ? p[j++] : p[i++];
      }
      while (i < mid) tmp[k++] = p[i++];
      while (j < hi) tmp[k++] = p[j++];
    }
    memcpy(p, tmp, m * sizeof *p);
  }
}

/* y_k = a_{p_k} with p the sorting permutation (i[0] = 1: descending);
 * da_{p_k} += ȳ_k. aux: p (m), scratch (m). Fails on NaN. */
int vi_k_sort_fwd(struct vi_node *n) {
  size_t m = n->n;
  double *p = n->aux;
  for (size_t k = 0; k < m; k++) {
    if (isnan(n->a[0].x[k])) return vi_node_fail(n, "element %zu is nan", k + 1);
    p[k] = (double)k;
  }
  sort_index(n->a[0].x, p, p + m, m, n->i[0]);
  for (size_t k = 0; k < m; k++) n->y[k] = n->a[0].x[(size_t)p[k]];
  return 0;
}
void vi_k_sort_bwd(struct vi_node *n) {
  if (n->a[0].dx)
    for (size_t k = 0; k < n->n; k++) n->a[0].dx[(size_t)n->aux[k]] += n->dy[k];
}

static int sort(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, int desc, const char *f,
                struct vi_srcloc loc) {
  size_t m = a->n;
  if (a->t.base == VI_T_INT) {
    double *x = vi_arena_array(c->arena, 2 * m + 1, sizeof(double));
    double *p = vi_arena_array(c->arena, 2 * m + 1, sizeof(double));
    if (!x || !p || vi_val_new_int(c, out, a->t, a->dim)) return vi_ctx_error(c, loc, "out of memory");
    for (size_t k = 0; k < m; k++) x[k] = a->ix[k], p[k] = (double)k;
    sort_index(x, p, p + m, m, desc);
    for (size_t k = 0; k < m; k++) out->ix[k] = a->ix[(size_t)p[k]];
    return VI_OK;
  }
  if (vi_val_contig(c, a, loc)) return VI_ERR_EVAL;
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, a);
  struct vi_node *n = new_node(c, VI_OPDEF(SORT_ASC), 1, m, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = desc;
  vi_node_arg(n, 0, a);
  if (vi_node_aux(c, n, 2 * m)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}
FN(sort_asc) { return sort(c, out, &args[0], 0, "sort_asc", loc); }
FN(sort_desc) { return sort(c, out, &args[0], 1, "sort_desc", loc); }

FN(rank) {
  struct vi_val *v = &args[0];
  int s = int_arg(&args[1]);
  if (s < 1 || (size_t)s > v->n)
    return vi_ctx_error(c, loc, "rank: index %d is out of range (1 to %zu)", s, v->n);
  if (!vi_val_is_const(v)) c->dynamic = 1; /* an int computed from parameter values */
  double key = vi_val_get(v, (size_t)s - 1);
  int r = 0;
  for (size_t k = 0; k < v->n; k++) r += vi_val_get(v, k) < key;
  return vi_val_int_scalar(c, out, r);
}

/* ---- constructors ---- */

/* y_k = lo + (hi - lo) t_k, t_k = k / (N - 1) (N = 1: y = hi);
 * dlo += ȳ_k (1 - t_k),  dhi += ȳ_k t_k. Requires lo <= hi. */
static double lin_t(size_t k, size_t m) { return m == 1 ? 1.0 : (double)k / (double)(m - 1); }
int vi_k_lin_fwd(struct vi_node *n) {
  double lo = n->a[0].x[0], hi = n->a[1].x[0];
  if (!(lo <= hi)) return vi_node_fail(n, "high is %g, must be at least low %g", hi, lo);
  for (size_t k = 0; k < n->n; k++) n->y[k] = lo + (hi - lo) * lin_t(k, n->n);
  return 0;
}
void vi_k_lin_bwd(struct vi_node *n) {
  for (size_t k = 0; k < n->n; k++) {
    double t = lin_t(k, n->n);
    if (n->a[0].dx) n->a[0].dx[0] += n->dy[k] * (1 - t);
    if (n->a[1].dx) n->a[1].dx[0] += n->dy[k] * t;
  }
}

static int linspaced(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                     struct vi_type t, const char *f, struct vi_srcloc loc) {
  int k = int_arg(&args[0]);
  if (check_size(c, k, f, loc) || set_shape(c, out, t, &k, f, loc)) return VI_ERR_EVAL;
  if (vi_val_contig(c, &args[1], loc) || vi_val_contig(c, &args[2], loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(LINSPACED_VECTOR), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, &args[1]);
  vi_node_arg(n, 1, &args[2]);
  return vi_node_run(c, n, out);
}
FN(linspaced_vector) {
  return linspaced(c, out, args, vi_ty(VI_T_VECTOR, 0), "linspaced_vector", loc);
}
FN(linspaced_row_vector) {
  return linspaced(c, out, args, vi_ty(VI_T_ROW_VECTOR, 0), "linspaced_row_vector", loc);
}
FN(linspaced_array) { return linspaced(c, out, args, vi_ty(VI_T_REAL, 1), "linspaced_array", loc); }

/* A constant of size args[0] filled with v (one_hot: 1 at args[1], else 0). */
static int filled(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                  struct vi_type t, double v, const char *f, struct vi_srcloc loc) {
  int k = int_arg(&args[0]);
  if (check_size(c, k, f, loc)) return VI_ERR_EVAL;
  int hot = 0;
  if (nargs == 2) {
    hot = int_arg(&args[1]);
    if (k < 1) return vi_ctx_error(c, loc, "%s: size %d must be positive", f, k);
    if (hot < 1 || hot > k) return vi_ctx_error(c, loc, "%s: index %d is out of range (1 to %d)", f, hot, k);
  }
  int r = t.base == VI_T_INT ? vi_val_new_int(c, out, t, &k) : vi_val_new_real(c, out, t, &k);
  if (r) return vi_ctx_error(c, loc, "%s: result is too large", f);
  for (int e = 0; e < k; e++) {
    double x = nargs == 2 ? (e + 1 == hot) : v;
    if (out->ix) out->ix[e] = (int)x;
    else out->x[e] = x;
  }
  return VI_OK;
}
#define FILLED(name, base, nd, v) \
  FN(name) { return filled(c, out, args, nargs, vi_ty(base, nd), v, #name, loc); }
FILLED(ones_vector, VI_T_VECTOR, 0, 1)
FILLED(zeros_vector, VI_T_VECTOR, 0, 0)
FILLED(ones_row_vector, VI_T_ROW_VECTOR, 0, 1)
FILLED(zeros_row_vector, VI_T_ROW_VECTOR, 0, 0)
FILLED(ones_array, VI_T_REAL, 1, 1)
FILLED(zeros_array, VI_T_REAL, 1, 0)
FILLED(ones_int_array, VI_T_INT, 1, 1)
FILLED(zeros_int_array, VI_T_INT, 1, 0)
FILLED(one_hot_vector, VI_T_VECTOR, 0, 0)
FILLED(one_hot_row_vector, VI_T_ROW_VECTOR, 0, 0)
FILLED(one_hot_array, VI_T_REAL, 1, 0)
FILLED(one_hot_int_array, VI_T_INT, 1, 0)

/* dims(x): the array dimensions of x, then, as in Stan, rows and columns
 * of a vector (N, 1), row_vector (1, N) or matrix (R, C); a scalar has none.
 * Ints only, no node: sizes never depend on parameters. */
FN(dims) {
  int na = args[0].t.ndims, ns = vi_type_nsizes(args[0].t), nd = na + (ns ? 2 : 0);
  if (vi_val_new_int(c, out, vi_ty(VI_T_INT, 1), &nd)) return vi_ctx_error(c, loc, "dims: result is too large");
  for (int k = 0; k < na; k++) out->ix[k] = args[0].dim[k];
  if (ns) {
    int base = args[0].t.base, last = args[0].dim[na];
    out->ix[na] = base == VI_T_ROW_VECTOR ? 1 : last;
    out->ix[na + 1] = base == VI_T_MATRIX ? args[0].dim[na + 1] : base == VI_T_ROW_VECTOR ? last : 1;
  }
  return VI_OK;
}
static struct vi_type rule_dims(const struct vi_type *a, int n) {
  if (n != 1 || a[0].base < VI_T_INT || a[0].base > VI_T_MATRIX) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_INT, 1);
}

/* linspaced_int_array(K, low, high): K integers from low to high. With
 * d = high - low: when d + 1 >= K, low + k step with step = d / (K - 1)
 * (integer division, so the last is high only when K - 1 divides d); when
 * d + 1 < K, each value repeats: low + k / q with q = (K + d) / (d + 1).
 * K = 1 gives {high}, K = 0 {}. */
FN(linspaced_int_array) {
  const char *f = "linspaced_int_array";
  int K = int_arg(&args[0]), lo = int_arg(&args[1]), hi = int_arg(&args[2]);
  if (check_size(c, K, f, loc)) return VI_ERR_EVAL;
  if (hi < lo) return vi_ctx_error(c, loc, "%s: high (%d) is less than low (%d)", f, hi, lo);
  if (vi_val_new_int(c, out, vi_ty(VI_T_INT, 1), &K)) return vi_ctx_error(c, loc, "%s: result is too large", f);
  if (K == 1) {
    out->ix[0] = hi;
    return VI_OK;
  }
  long long d = (long long)hi - lo;
  for (int k = 0; k < K; k++) {
    long long v = d + 1 < K ? lo + k / ((K + d) / (d + 1)) : lo + k * (d / (K - 1));
    out->ix[k] = (int)v;
  }
  return VI_OK;
}

FN(uniform_simplex) {
  int k = int_arg(&args[0]);
  if (k < 1) return vi_ctx_error(c, loc, "uniform_simplex: size %d must be positive", k);
  if (vi_val_new_real(c, out, vi_ty(VI_T_VECTOR, 0), &k))
    return vi_ctx_error(c, loc, "uniform_simplex: result is too large");
  for (int e = 0; e < k; e++) out->x[e] = 1.0 / k;
  return VI_OK;
}

/* ---- type rules ---- */

/* sum, prod: any int container -> int, any real container -> real. */
static struct vi_type rule_sum(const struct vi_type *a, int n) {
  if (n != 1 || !is_num(a[0])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(a[0].base == VI_T_INT ? VI_T_INT : VI_T_REAL, 0);
}
/* min, max: a container, or two scalars (int if both are). */
static struct vi_type rule_minmax(const struct vi_type *a, int n) {
  if (n == 2) {
    if (!vi_ty_is_scalar(a[0]) || !vi_ty_is_scalar(a[1])) return vi_ty(VI_T_ERROR, 0);
    return vi_ty(a[0].base == VI_T_INT && a[1].base == VI_T_INT ? VI_T_INT : VI_T_REAL, 0);
  }
  return rule_sum(a, n);
}
/* log_sum_exp: a container, or two scalars. */
static struct vi_type rule_lse(const struct vi_type *a, int n) {
  if (n == 2) {
    if (!vi_ty_is_scalar(a[0]) || !vi_ty_is_scalar(a[1])) return vi_ty(VI_T_ERROR, 0);
    return vi_ty(VI_T_REAL, 0);
  }
  return vi_rule_reduce(a, n);
}
/* Any value of a numeric type (rows, cols, size, num_elements). */
static struct vi_type rule_any_to_int(const struct vi_type *a, int n) {
  if (n != 1 || !is_num(a[0])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_INT, 0);
}
/* rep_array(x, n[, m[, k]]): array of x's type. */
static struct vi_type rule_rep_array(const struct vi_type *a, int n) {
  if (n < 2 || n > 4 || !is_num(a[0])) return vi_ty(VI_T_ERROR, 0);
  for (int k = 1; k < n; k++)
    if (!vi_ty_eq(a[k], vi_ty(VI_T_INT, 0))) return vi_ty(VI_T_ERROR, 0);
  if (a[0].ndims + (n - 1) + vi_type_nsizes(a[0]) > VI_MAXDIMS) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(a[0].base, a[0].ndims + n - 1);
}
/* head, tail, reverse, segment: vectors, row vectors, arrays of anything; result same type. */
static int sliceable(struct vi_type t) {
  return is_num(t) && (t.ndims > 0 || t.base == VI_T_VECTOR || t.base == VI_T_ROW_VECTOR);
}
static struct vi_type rule_slice(const struct vi_type *a, int n, int nint) {
  if (n != 1 + nint || !sliceable(a[0])) return vi_ty(VI_T_ERROR, 0);
  for (int k = 1; k < n; k++)
    if (!vi_ty_eq(a[k], vi_ty(VI_T_INT, 0))) return vi_ty(VI_T_ERROR, 0);
  return a[0];
}
static struct vi_type rule_head(const struct vi_type *a, int n) { return rule_slice(a, n, 1); }
static struct vi_type rule_segment(const struct vi_type *a, int n) { return rule_slice(a, n, 2); }
static struct vi_type rule_reverse(const struct vi_type *a, int n) { return rule_slice(a, n, 0); }
/* to_array_1d: vector, row_vector, matrix or an int/real array of any dims. */
static struct vi_type rule_to_array_1d(const struct vi_type *a, int n) {
  if (n != 1 || !is_num(a[0])) return vi_ty(VI_T_ERROR, 0);
  if (a[0].ndims > 0 && a[0].base > VI_T_REAL) return vi_ty(VI_T_ERROR, 0);
  if (a[0].ndims == 0 && a[0].base <= VI_T_REAL) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(a[0].base == VI_T_INT ? VI_T_INT : VI_T_REAL, 1);
}

RULE(mean, {1, {V_}, R_}, {1, {RV_}, R_}, {1, {M_}, R_}, {1, {AR_}, R_})
RULE(log_mix, {3, {R_, R_, R_}, R_}, {2, {V_, V_}, R_}, {2, {RV_, RV_}, R_}, {2, {V_, RV_}, R_},
     {2, {RV_, V_}, R_}, {2, {AR_, AR_}, R_}, {2, {V_, AR_}, R_}, {2, {AR_, V_}, R_},
     {2, {V_, AV_}, R_}, {2, {RV_, AV_}, R_}, {2, {AR_, AV_}, R_}, {2, {V_, ARV_}, R_},
     {2, {RV_, ARV_}, R_}, {2, {AR_, ARV_}, R_})
RULE(dot_product, {2, {V_, V_}, R_}, {2, {RV_, RV_}, R_}, {2, {V_, RV_}, R_}, {2, {RV_, V_}, R_},
     {2, {AR_, AR_}, R_})
RULE(dot_self, {1, {V_}, R_}, {1, {RV_}, R_})
RULE(distance, {2, {V_, V_}, R_}, {2, {RV_, RV_}, R_}, {2, {V_, RV_}, R_}, {2, {RV_, V_}, R_},
     {2, {R_, R_}, R_})
RULE(columns_dot_product, {2, {V_, V_}, RV_}, {2, {RV_, RV_}, RV_}, {2, {M_, M_}, RV_})
RULE(rows_dot_product, {2, {V_, V_}, V_}, {2, {RV_, RV_}, V_}, {2, {M_, M_}, V_})
RULE(columns_dot_self, {1, {V_}, RV_}, {1, {RV_}, RV_}, {1, {M_}, RV_})
RULE(rows_dot_self, {1, {V_}, V_}, {1, {RV_}, V_}, {1, {M_}, V_})
RULE(rep_vector, {2, {R_, I_}, V_})
RULE(rep_row_vector, {2, {R_, I_}, RV_})
RULE(rep_matrix, {3, {R_, I_, I_}, M_}, {2, {V_, I_}, M_}, {2, {RV_, I_}, M_})
RULE(to_vector, {1, {V_}, V_}, {1, {RV_}, V_}, {1, {M_}, V_}, {1, {AR_}, V_})
RULE(to_row_vector, {1, {V_}, RV_}, {1, {RV_}, RV_}, {1, {M_}, RV_}, {1, {AR_}, RV_})
RULE(to_matrix, {1, {M_}, M_}, {1, {V_}, M_}, {1, {RV_}, M_}, {1, {AAR_}, M_}, {1, {ARV_}, M_},
     {3, {M_, I_, I_}, M_}, {3, {V_, I_, I_}, M_}, {3, {RV_, I_, I_}, M_}, {3, {AR_, I_, I_}, M_},
     {4, {M_, I_, I_, I_}, M_}, {4, {V_, I_, I_, I_}, M_}, {4, {RV_, I_, I_, I_}, M_},
     {4, {AR_, I_, I_, I_}, M_})
RULE(to_array_2d, {1, {M_}, AAR_})
RULE(append_row, {2, {V_, V_}, V_}, {2, {R_, V_}, V_}, {2, {V_, R_}, V_}, {2, {M_, M_}, M_},
     {2, {M_, RV_}, M_}, {2, {RV_, M_}, M_}, {2, {RV_, RV_}, M_})
RULE(append_col, {2, {RV_, RV_}, RV_}, {2, {R_, RV_}, RV_}, {2, {RV_, R_}, RV_},
     {2, {M_, M_}, M_}, {2, {M_, V_}, M_}, {2, {V_, M_}, M_}, {2, {V_, V_}, M_})
RULE(cumulative_sum, {1, {AI_}, AI_}, {1, {AR_}, AR_}, {1, {V_}, V_}, {1, {RV_}, RV_})
RULE(softmax, {1, {V_}, V_})
RULE(sort, {1, {AI_}, AI_}, {1, {AR_}, AR_}, {1, {V_}, V_}, {1, {RV_}, RV_})
RULE(rank, {2, {AI_, I_}, I_}, {2, {AR_, I_}, I_}, {2, {V_, I_}, I_}, {2, {RV_, I_}, I_})
RULE(linspaced_vector, {3, {I_, R_, R_}, V_})
RULE(linspaced_row_vector, {3, {I_, R_, R_}, RV_})
RULE(linspaced_array, {3, {I_, R_, R_}, AR_})
RULE(size_to_vector, {1, {I_}, V_})
RULE(size_to_row_vector, {1, {I_}, RV_})
RULE(size_to_array, {1, {I_}, AR_})
RULE(size_to_int_array, {1, {I_}, AI_})
RULE(hot_vector, {2, {I_, I_}, V_})
RULE(hot_row_vector, {2, {I_, I_}, RV_})
RULE(hot_array, {2, {I_, I_}, AR_})
RULE(hot_int_array, {2, {I_, I_}, AI_})
RULE(linspace_int, {3, {I_, I_, I_}, AI_})

#define SIG_CONTAINER "(array[] real) => real; (vector) => real; (row_vector) => real; (matrix) => real"
#define SIG_SLICE "(vector, int) => vector; (row_vector, int) => row_vector; (array[] T, int) => array[] T"

/* The containers part of the standard library. */
const struct vi_func vi_stdlib_containers[] = {
    {"sum", rule_sum, fn_sum, "(array[] int) => int; " SIG_CONTAINER, 0,
     "v3[-1,1]; rv4[-1,1]; m2x3[-1,1]; a3[-1,1]; v0; d:ia4[-5,5]"},
    {"prod", rule_sum, fn_prod, "(array[] int) => int; " SIG_CONTAINER, 0,
     "v3[-2,2]; rv4[0.5,2]; m2x2[-1,1]; a3[-2,2]; d:ia4[-5,5]"},
    {"mean", rule_mean, fn_mean, SIG_CONTAINER, 0, "v3[-1,1]; rv4[-1,1]; m2x3[-1,1]; a3[-1,1]; !v0"},
    {"variance", rule_mean, fn_variance, SIG_CONTAINER, 0,
     "v3[-1,1]; rv4[-1,1]; m2x3[-1,1]; a3[-1,1]; v1[-1,1]; !v0"},
    {"sd", rule_mean, fn_sd, SIG_CONTAINER, 0,
     "v3[-1,1]; rv4[-1,1]; m2x3[-1,1]; a3[-1,1]; v1[-1,1]; !v0"},
    {"min", rule_minmax, fn_min,
     "(array[] int) => int; " SIG_CONTAINER "; (int, int) => int; (real, real) => real", 0,
     "v4[-1,1]; rv3[-1,1]; m2x3[-1,1]; a3[-1,1]; r[-1,1],r[-1,1]; r[-1,1],d:i[-2,2]; d:ia4[-5,5]; d:i[-5,5],d:i[-5,5]; !d:ia0"},
    {"max", rule_minmax, fn_max,
     "(array[] int) => int; " SIG_CONTAINER "; (int, int) => int; (real, real) => real", 0,
     "v4[-1,1]; rv3[-1,1]; m2x3[-1,1]; a3[-1,1]; r[-1,1],r[-1,1]; r[-1,1],d:i[-2,2]; d:ia4[-5,5]; d:i[-5,5],d:i[-5,5]; !d:ia0"},
    {"log_sum_exp", rule_lse, fn_log_sum_exp, SIG_CONTAINER "; (real, real) => real", 0,
     "v4[-3,3]; rv3[-3,3]; m2x3[-3,3]; a3[-30,30]; r[-3,3],r[-3,3]; r[-800,-700],r[-800,-700]"},
    {"log_mix", rule_log_mix, fn_log_mix,
     "(real, real, real) => real; (vector, vector) => real; (vector, array[] vector) => real", 0,
     "r[0.1,0.9],r[-3,1],r[-3,1]; simplex3,v3[-3,1]; simplex4,a4[-3,1]; simplex2,rv2[-3,1]; "
     "!r[1.1,2],r[-3,1],r[-3,1]; !simplex3,v4[-3,1]"},
    {"dot_product", rule_dot_product, fn_dot_product,
     "(vector, vector) => real; (row_vector, row_vector) => real; (array[] real, array[] real) => real",
     0, "v3[-1,1],v3[-1,1]; rv4[-1,1],v4[-1,1]; a2[-1,1],a2[-1,1]; !v3[-1,1],v4[-1,1]"},
    {"dot_self", rule_dot_self, fn_dot_self, "(vector) => real; (row_vector) => real", 0,
     "v3[-1,1]; rv2[-1,1]"},
    {"columns_dot_product", rule_columns_dot_product, fn_columns_dot_product,
     "(matrix, matrix) => row_vector; (vector, vector) => row_vector; "
     "(row_vector, row_vector) => row_vector",
     0, "m2x3[-1,1],m2x3[-1,1]; v3[-1,1],v3[-1,1]; rv3[-1,1],rv3[-1,1]; !m2x3[-1,1],m3x2[-1,1]"},
    {"rows_dot_product", rule_rows_dot_product, fn_rows_dot_product,
     "(matrix, matrix) => vector; (vector, vector) => vector; (row_vector, row_vector) => vector",
     0, "m2x3[-1,1],m2x3[-1,1]; v3[-1,1],v3[-1,1]; rv3[-1,1],rv3[-1,1]; !m2x3[-1,1],m3x2[-1,1]"},
    {"columns_dot_self", rule_columns_dot_self, fn_columns_dot_self,
     "(matrix) => row_vector; (vector) => row_vector; (row_vector) => row_vector", 0,
     "m2x3[-1,1]; v3[-1,1]; rv3[-1,1]"},
    {"rows_dot_self", rule_rows_dot_self, fn_rows_dot_self,
     "(matrix) => vector; (vector) => vector; (row_vector) => vector", 0,
     "m2x3[-1,1]; v3[-1,1]; rv3[-1,1]"},
    {"squared_distance", rule_distance, fn_squared_distance,
     "(vector, vector) => real; (row_vector, row_vector) => real; (real, real) => real", 0,
     "v3[-1,1],v3[-1,1]; rv2[-1,1],v2[-1,1]; r[-1,1],r[-1,1]; !v3[-1,1],v2[-1,1]"},
    {"distance", rule_distance, fn_distance,
     "(vector, vector) => real; (row_vector, row_vector) => real; (real, real) => real", 0,
     "v3[-1,1],v3[-1,1]; rv2[-1,1],v2[-1,1]; r[-1,1],r[2,3]; !v3[-1,1],v2[-1,1]"},
    {"rows", rule_any_to_int, fn_rows, "(vector) => int; (row_vector) => int; (matrix) => int", 0,
     "d:m2x3[-1,1]; d:v3[-1,1]"},
    {"cols", rule_any_to_int, fn_cols, "(vector) => int; (row_vector) => int; (matrix) => int", 0,
     "d:m2x3[-1,1]; d:rv3[-1,1]"},
    {"size", rule_any_to_int, fn_size, "(array[] T) => int; (vector) => int; (matrix) => int", 0,
     "d:a4[-1,1]; d:v3[-1,1]; d:m2x3[-1,1]"},
    {"num_elements", rule_any_to_int, fn_num_elements, "(T) => int", 0, "d:m2x3[-1,1]; d:a4[-1,1]"},
    {"rep_vector", rule_rep_vector, fn_rep_vector, "(real, int) => vector", 0,
     "r[-1,1],d:i[1,4]; d:r[-1,1],d:i[0,4]; !r[-1,1],d:i[-3,-1]"},
    {"rep_row_vector", rule_rep_row_vector, fn_rep_row_vector, "(real, int) => row_vector", 0,
     "r[-1,1],d:i[1,4]; !r[-1,1],d:i[-3,-1]"},
    {"rep_matrix", rule_rep_matrix, fn_rep_matrix,
     "(real, int, int) => matrix; (vector, int) => matrix; (row_vector, int) => matrix", 0,
     "r[-1,1],d:i[1,3],d:i[1,3]; v3[-1,1],d:i[1,3]; rv2[-1,1],d:i[1,3]; !r[-1,1],d:i[-2,-1],d:i[1,2]"},
    {"rep_array", rule_rep_array, fn_rep_array,
     "(T, int) => array[] T; (T, int, int) => array[,] T; (T, int, int, int) => array[,,] T", 0,
     "r[-1,1],d:i[1,3]; v2[-1,1],d:i[1,3],d:i[1,2]; m2x2[-1,1],d:i[1,2]; a2[-1,1],d:i[1,2],d:i[1,2],d:i[1,2]; "
     "d:i[-3,3],d:i[1,3]; !r[-1,1],d:i[-3,-1]"},
    {"to_vector", rule_to_vector, fn_to_vector,
     "(vector) => vector; (row_vector) => vector; (matrix) => vector; (array[] real) => vector", 0,
     "v3[-1,1]; rv3[-1,1]; m2x3[-1,1]; a3[-1,1]"},
    {"to_row_vector", rule_to_row_vector, fn_to_row_vector,
     "(vector) => row_vector; (row_vector) => row_vector; (matrix) => row_vector; "
     "(array[] real) => row_vector",
     0, "v3[-1,1]; rv3[-1,1]; m2x3[-1,1]; a3[-1,1]"},
    {"to_matrix", rule_to_matrix, fn_to_matrix,
     "(matrix) => matrix; (vector) => matrix; (row_vector) => matrix; (array[,] real) => matrix; "
     "(array[] row_vector) => matrix; (container, int m, int n) => matrix; "
     "(container, int m, int n, int col_major) => matrix",
     0,
     "m2x3[-1,1]; v3[-1,1]; rv3[-1,1]; v6[-1,1],d:i[2,2],d:i[3,3]; m2x3[-1,1],d:i[3,3],d:i[2,2]; "
     "a6[-1,1],d:i[3,3],d:i[2,2],d:i[0,1]; !v6[-1,1],d:i[2,2],d:i[4,4]"},
    {"to_array_1d", rule_to_array_1d, fn_to_array_1d,
     "(vector) => array[] real; (row_vector) => array[] real; (matrix) => array[] real; "
     "(array[...] real) => array[] real; (array[...] int) => array[] int",
     0, "v3[-1,1]; rv3[-1,1]; m2x3[-1,1]; a3[-1,1]"},
    {"to_array_2d", rule_to_array_2d, fn_to_array_2d, "(matrix) => array[,] real", 0,
     "m2x3[-1,1]"},
    {"append_row", rule_append_row, fn_append_row,
     "(vector, vector) => vector; (real, vector) => vector; (vector, real) => vector; "
     "(matrix, matrix) => matrix; (matrix, row_vector) => matrix; (row_vector, matrix) => matrix; "
     "(row_vector, row_vector) => matrix",
     0,
     "v3[-1,1],v2[-1,1]; r[-1,1],v2[-1,1]; v2[-1,1],d:r[-1,1]; m2x3[-1,1],m1x3[-1,1]; "
     "rv3[-1,1],m2x3[-1,1]; rv2[-1,1],rv2[-1,1]; !m2x3[-1,1],m2x2[-1,1]"},
    {"append_col", rule_append_col, fn_append_col,
     "(row_vector, row_vector) => row_vector; (real, row_vector) => row_vector; "
     "(row_vector, real) => row_vector; (matrix, matrix) => matrix; (matrix, vector) => matrix; "
     "(vector, matrix) => matrix; (vector, vector) => matrix",
     0,
     "rv3[-1,1],rv2[-1,1]; r[-1,1],rv2[-1,1]; rv2[-1,1],d:r[-1,1]; m2x3[-1,1],m2x1[-1,1]; "
     "v2[-1,1],m2x3[-1,1]; v2[-1,1],v2[-1,1]; !m2x3[-1,1],m3x2[-1,1]"},
    {"head", rule_head, fn_head, SIG_SLICE, 0,
     "v4[-1,1],d:i[1,4]; rv3[-1,1],d:i[1,3]; a4[-1,1],d:i[1,4]; d:ia4[0,5],d:i[0,4]; !v3[-1,1],d:i[4,5]; "
     "!v3[-1,1],d:i[-2,-1]"},
    {"tail", rule_head, fn_tail, SIG_SLICE, 0,
     "v4[-1,1],d:i[1,4]; rv3[-1,1],d:i[1,3]; a4[-1,1],d:i[1,4]; d:ia4[0,5],d:i[0,4]; !v3[-1,1],d:i[4,5]"},
    {"segment", rule_segment, fn_segment,
     "(vector, int, int) => vector; (row_vector, int, int) => row_vector; "
     "(array[] T, int, int) => array[] T",
     0,
     "v6[-1,1],d:i[1,3],d:i[1,3]; d:v6[-1,1],d:i[1,7],d:i[0,0]; rv4[-1,1],d:i[2,2],d:i[1,3]; a5[-1,1],d:i[1,5],d:i[1,1]; "
     "!v6[-1,1],d:i[5,5],d:i[3,3]; !v6[-1,1],d:i[0,0],d:i[1,1]"},
    {"reverse", rule_reverse, fn_reverse,
     "(vector) => vector; (row_vector) => row_vector; (array[] T) => array[] T", 0,
     "v4[-1,1]; rv3[-1,1]; a3[-1,1]; d:ia4[0,5]"},
    {"cumulative_sum", rule_cumulative_sum, fn_cumulative_sum,
     "(array[] int) => array[] int; (array[] real) => array[] real; (vector) => vector; "
     "(row_vector) => row_vector",
     0, "v4[-1,1]; rv3[-1,1]; a3[-1,1]; d:ia4[-5,5]"},
    {"softmax", rule_softmax, fn_softmax, "(vector) => vector", 0,
     "v4[-3,3]; v1[-3,3]; v3[-300,300]; !v0"},
    {"log_softmax", rule_softmax, fn_log_softmax, "(vector) => vector", 0,
     "v4[-3,3]; v1[-3,3]; v3[-300,300]; !v0"},
    {"sort_asc", rule_sort, fn_sort_asc,
     "(array[] int) => array[] int; (array[] real) => array[] real; (vector) => vector; "
     "(row_vector) => row_vector",
     0, "v5[-1,1]; rv3[-1,1]; a4[-1,1]; d:ia6[0,3]"},
    {"sort_desc", rule_sort, fn_sort_desc,
     "(array[] int) => array[] int; (array[] real) => array[] real; (vector) => vector; "
     "(row_vector) => row_vector",
     0, "v5[-1,1]; rv3[-1,1]; a4[-1,1]; d:ia6[0,3]"},
    {"rank", rule_rank, fn_rank,
     "(array[] int, int) => int; (array[] real, int) => int; (vector, int) => int; "
     "(row_vector, int) => int",
     0, "d:v4[-1,1],d:i[1,4]; d:a3[-1,1],d:i[1,3]; d:ia5[0,3],d:i[1,5]; !d:v3[-1,1],d:i[4,4]"},
    {"linspaced_vector", rule_linspaced_vector, fn_linspaced_vector,
     "(int, real, real) => vector", 0,
     "d:i[0,5],r[-2,-1],r[1,2]; d:i[1,1],r[-2,-1],r[1,2]; !d:i[3,3],r[1,2],r[-2,-1]"},
    {"linspaced_row_vector", rule_linspaced_row_vector, fn_linspaced_row_vector,
     "(int, real, real) => row_vector", 0, "d:i[0,5],r[-2,-1],r[1,2]"},
    {"linspaced_array", rule_linspaced_array, fn_linspaced_array,
     "(int, real, real) => array[] real", 0, "d:i[0,5],r[-2,-1],r[1,2]"},
    {"ones_vector", rule_size_to_vector, fn_ones_vector, "(int) => vector", 0, NULL},
    {"zeros_vector", rule_size_to_vector, fn_zeros_vector, "(int) => vector", 0, NULL},
    {"ones_row_vector", rule_size_to_row_vector, fn_ones_row_vector, "(int) => row_vector", 0, NULL},
    {"zeros_row_vector", rule_size_to_row_vector, fn_zeros_row_vector, "(int) => row_vector", 0,
     NULL},
    {"ones_array", rule_size_to_array, fn_ones_array, "(int) => array[] real", 0, NULL},
    {"zeros_array", rule_size_to_array, fn_zeros_array, "(int) => array[] real", 0, NULL},
    {"ones_int_array", rule_size_to_int_array, fn_ones_int_array, "(int) => array[] int", 0, NULL},
    {"zeros_int_array", rule_size_to_int_array, fn_zeros_int_array, "(int) => array[] int", 0,
     NULL},
    {"one_hot_vector", rule_hot_vector, fn_one_hot_vector, "(int, int) => vector", 0, NULL},
    {"one_hot_row_vector", rule_hot_row_vector, fn_one_hot_row_vector, "(int, int) => row_vector",
     0, NULL},
    {"one_hot_array", rule_hot_array, fn_one_hot_array, "(int, int) => array[] real", 0, NULL},
    {"one_hot_int_array", rule_hot_int_array, fn_one_hot_int_array, "(int, int) => array[] int", 0,
     NULL},
    {"dims", rule_dims, fn_dims, "(any int or real type) => array[] int", 0, NULL},
    {"linspaced_int_array", rule_linspace_int, fn_linspaced_int_array, "(int, int, int) => array[] int", 0, NULL},
    {"uniform_simplex", rule_size_to_vector, fn_uniform_simplex, "(int) => vector", 0, NULL},
};
const size_t vi_stdlib_containers_n = VI_COUNTOF(vi_stdlib_containers);
