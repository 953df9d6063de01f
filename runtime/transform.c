/* transform.c: Stan's constraint transforms, their inverses, constraint
 * checks, and the tape nodes with exact derivatives (include/vi/transform.h).
 *
 * Each constrain call records one node whose output is the constrained values
 * followed by the summed log-Jacobian (n->y[nout]). Operands: a[0] = u,
 * a[1] = lo, a[2] = hi (absent: n == 0). n->i[] = {kind, count, rows, cols}.
 * The six kinds of node are rows TRANSFORM_* of the op table
 * (include/vi/ops.def); their gradient cases are in tests/test_stdlib_grad.c. */
#include "vi/transform.h"

#include "vi/ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-8 /* Stan's CONSTRAINT_TOLERANCE */
#define LN2 0.693147180559945309417232121458176568

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* inv_logit as Stan computes it: exp(a) for a < log(eps), no overflow. */
static double inv_logit(double a) {
  if (a < 0) {
    double e = exp(a);
    return a < -36.04365338911715 ? e : e / (1 + e);
  }
  return 1 / (1 + exp(-a));
}

/* log(1 + exp(a)) without overflow. */
static double log1p_exp(double a) { return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)); }

/* log(1 - tanh(u)^2) = 2 log sech(u), accurate for large |u|. */
static double log_sech2(double u) {
  double a = fabs(u);
  return 2 * (LN2 - a - log1p(exp(-2 * a)));
}

static double logit(double p) { return log(p / (1 - p)); }

size_t vi_transform_size(int kind, int rows, int cols) {
  if (rows < 0 || cols < 0) return 0;
  size_t r = (size_t)rows, k = (size_t)cols;
  switch (kind) {
  case VI_TR_SIMPLEX:
  case VI_TR_SUM_TO_ZERO: return r * k > 0 ? r * k - 1 : 0;
  case VI_TR_CHOL_CORR:
  case VI_TR_CORR: return r == k && r ? r * (r - 1) / 2 : 0;
  case VI_TR_COV: return r == k ? r * (r + 1) / 2 : 0;
  case VI_TR_CHOL_COV: return r >= k ? k * (k + 1) / 2 + (r - k) * k : 0;
  default: return r * k;
  }
}

/* ---- elementwise kinds ----
 * Per element j, aux[6j..6j+5] = dy/du, dy/dlo, dy/dhi, dlj/du, dlj/dlo, dlj/dhi.
 * lower:       y = lb + exp(u);            lj = u
 * upper:       y = ub - exp(u);            lj = u
 * lower_upper: y = lb + (ub-lb) p, p = inv_logit(u) (Stan clamps p to 1-1e-15
 *              / 1e-15 when it rounds to 1 / 0 for finite u; the clamped p is
 *              constant); lj = log(ub-lb) + log p + log(1-p),
 *              dlj/du = 1 - 2p, dlj/dlb = -1/(ub-lb), dlj/dub = 1/(ub-lb)
 * offset_mult: y = m + s u;                lj = log s */

static double bound_at(const struct vi_arg *a, size_t j, double dflt) {
  if (!a->n) return dflt;
  return a->x[a->n == 1 ? 0 : j];
}

int vi_k_tr_elem_fwd(struct vi_node *n) {
  int kind = n->i[0];
  size_t nout = n->n - 1;
  const double *u = n->a[0].x;
  double lj = 0;
  for (size_t j = 0; j < nout; j++) {
    double *p = n->aux + 6 * j;
    double x = u[j], y = x;
    memset(p, 0, 6 * sizeof *p);
    p[0] = 1;
    if (kind == VI_TR_OFFSET_MULT) {
      double m = bound_at(&n->a[1], j, 0), s = bound_at(&n->a[2], j, 1);
      if (!isfinite(m)) return vi_node_fail(n, "offset is %.15g, must be finite", m);
      if (!(s > 0) || !isfinite(s)) return vi_node_fail(n, "multiplier is %.15g, must be positive and finite", s);
      y = m + s * x;
      lj += log(s);
      p[0] = s, p[1] = 1, p[2] = x, p[5] = 1 / s;
      n->y[j] = y;
      continue;
    }
    double lb = kind == VI_TR_UPPER ? -INFINITY : bound_at(&n->a[1], j, -INFINITY);
    double ub = kind == VI_TR_LOWER ? INFINITY : bound_at(&n->a[2], j, INFINITY);
    if (isnan(lb)) return vi_node_fail(n, "lower bound is nan");
    if (isnan(ub)) return vi_node_fail(n, "upper bound is nan");
    if (kind == VI_TR_LOWER_UPPER && !(lb < ub))
      return vi_node_fail(n, "lower bound %.15g is not below upper bound %.15g", lb, ub);
    if (lb == -INFINITY && ub == INFINITY) {
      y = x;
    } else if (ub == INFINITY) {
      double e = exp(x);
      y = lb + e;
      lj += x;
      p[0] = e, p[1] = 1, p[3] = 1;
    } else if (lb == -INFINITY) {
      double e = exp(x);
      y = ub - e;
      lj += x;
      p[0] = -e, p[2] = 1, p[3] = 1;
    } else {
      double d = ub - lb, pr = inv_logit(x), pc = pr;
      if (x > 0) {
        lj += log(d) - x - 2 * log1p(exp(-x));
        if (x < INFINITY && pr == 1) pc = 1 - 1e-15;
      } else {
        lj += log(d) + x - 2 * log1p(exp(x));
        if (x > -INFINITY && pr == 0) pc = 1e-15;
      }
      y = fma(d, pc, lb);
      p[0] = pc == pr ? d * pr * (1 - pr) : 0;
      p[1] = 1 - pc, p[2] = pc;
      p[3] = 1 - 2 * pr, p[4] = -1 / d, p[5] = 1 / d;
    }
    n->y[j] = y;
  }
  n->y[nout] = lj;
  return 0;
}

void vi_k_tr_elem_bwd(struct vi_node *n) {
  size_t nout = n->n - 1;
  double gl = n->dy[nout];
  struct vi_arg *a0 = &n->a[0], *a1 = &n->a[1], *a2 = &n->a[2];
  for (size_t j = 0; j < nout; j++) {
    const double *p = n->aux + 6 * j;
    double g = n->dy[j];
    if (a0->dx) a0->dx[j] += g * p[0] + gl * p[3];
    if (a1->dx) a1->dx[a1->n == 1 ? 0 : j] += g * p[1] + gl * p[4];
    if (a2->dx) a2->dx[a2->n == 1 ? 0 : j] += g * p[2] + gl * p[5];
  }
}

/* ---- ordered, positive_ordered (element length K = rows*cols) ----
 * y1 = u1 (ordered) or exp(u1); yk = y(k-1) + exp(uk); lj = sum of the
 * exponentiated u. aux[k] = exp(uk).  duj += exp(uj) sum_{k>=j} dyk + dlj */
int vi_k_tr_ordered_fwd(struct vi_node *n) {
  int pos = n->i[0] == VI_TR_POS_ORDERED;
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  const double *u = n->a[0].x;
  double lj = 0;
  for (size_t e = 0; e < count; e++) {
    const double *ue = u + e * K;
    double *y = n->y + e * K, *ex = n->aux + e * K;
    for (size_t k = 0; k < K; k++) {
      ex[k] = exp(ue[k]);
      if (k == 0 && !pos) {
        y[0] = ue[0];
        continue;
      }
      y[k] = (k ? y[k - 1] : 0) + ex[k];
      lj += ue[k];
    }
  }
  n->y[n->n - 1] = lj;
  return 0;
}

void vi_k_tr_ordered_bwd(struct vi_node *n) {
  int pos = n->i[0] == VI_TR_POS_ORDERED;
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  double *du = n->a[0].dx, gl = n->dy[n->n - 1];
  if (!du) return;
  for (size_t e = 0; e < count; e++) {
    const double *g = n->dy + e * K, *ex = n->aux + e * K;
    double s = 0;
    for (size_t k = K; k-- > 0;) {
      s += g[k];
      du[e * K + k] += (k == 0 && !pos) ? s : s * ex[k] + gl;
    }
  }
}

/* ---- simplex[K] (K-1 unconstrained values per element) ----
 * a_k = u_k - log(K-1-k) (0-based k), z_k = inv_logit(a_k), y_k = s_k z_k,
 * s_0 = 1, s_(k+1) = s_k - y_k, y_(K-1) = s_(K-1);
 * lj = sum log s_k - log1p_exp(-a_k) - log1p_exp(a_k).
 * aux per element: z (K-1), s (K-1).
 * Reverse: gs = dy_(K-1); for k down: gx = dy_k - gs; gz = gx s_k;
 * ga = gz z(1-z) + dlj (1 - 2z); gs += gx z_k + dlj / s_k. */
int vi_k_tr_simplex_fwd(struct vi_node *n) {
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  const double *u = n->a[0].x;
  double lj = 0;
  for (size_t e = 0; e < count; e++) {
    const double *ue = u + e * (K - 1);
    double *y = n->y + e * K, *z = n->aux + e * 2 * (K - 1), *s = z + (K - 1);
    double stick = 1;
    for (size_t k = 0; k + 1 < K; k++) {
      double a = ue[k] - log((double)(K - 1 - k));
      z[k] = inv_logit(a);
      s[k] = stick;
      y[k] = stick * z[k];
      lj += log(stick) - log1p_exp(-a) - log1p_exp(a);
      stick -= y[k];
    }
    y[K - 1] = stick;
  }
  n->y[n->n - 1] = lj;
  return 0;
}

void vi_k_tr_simplex_bwd(struct vi_node *n) {
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  double *du = n->a[0].dx, gl = n->dy[n->n - 1];
  if (!du) return;
  for (size_t e = 0; e < count; e++) {
    const double *g = n->dy + e * K, *z = n->aux + e * 2 * (K - 1), *s = z + (K - 1);
    double gs = g[K - 1];
    for (size_t k = K - 1; k-- > 0;) {
      double gx = g[k] - gs;
      double gz = gx * s[k];
      du[e * (K - 1) + k] += gz * z[k] * (1 - z[k]) + gl * (1 - 2 * z[k]);
      gs += gx * z[k] + gl / s[k];
    }
  }
}

/* ---- unit_vector[K] ----
 * y = u / r, r = |u|; lj = -r^2/2. du_j += (dy_j - y_j (dy . y)) / r - dlj u_j.
 * aux[e] = r. */
int vi_k_tr_unit_fwd(struct vi_node *n) {
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  const double *u = n->a[0].x;
  double lj = 0;
  for (size_t e = 0; e < count; e++) {
    const double *ue = u + e * K;
    double r2 = 0;
    for (size_t k = 0; k < K; k++) r2 += ue[k] * ue[k];
    if (!(r2 > 0) || !isfinite(r2))
      return vi_node_fail(n, "unit_vector: the unconstrained vector has squared norm %.15g, must be positive "
                             "and finite", r2);
    double r = sqrt(r2);
    n->aux[e] = r;
    for (size_t k = 0; k < K; k++) n->y[e * K + k] = ue[k] / r;
    lj -= 0.5 * r2;
  }
  n->y[n->n - 1] = lj;
  return 0;
}

void vi_k_tr_unit_bwd(struct vi_node *n) {
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  double *du = n->a[0].dx, gl = n->dy[n->n - 1];
  if (!du) return;
  for (size_t e = 0; e < count; e++) {
    const double *g = n->dy + e * K, *y = n->y + e * K, *ue = n->a[0].x + e * K;
    double r = n->aux[e], dot = 0;
    for (size_t k = 0; k < K; k++) dot += g[k] * y[k];
    for (size_t k = 0; k < K; k++) du[e * K + k] += (g[k] - y[k] * dot) / r - gl * ue[k];
  }
}

/* ---- sum_to_zero_vector[K] ----
 * Stan's isometric sum-to-zero transform, 0-based: N = K-1 values u; for
 * i = N..1, w = u[i-1] / sqrt(i(i+1)), s += w, y[i-1] += s, y[i] -= i w.
 * Linear, lj = 0. Backward: dw_i = sum_{j<i} dy[j] - i dy[i], du[i-1] +=
 * dw_i / sqrt(i(i+1)). */
int vi_k_tr_stz_fwd(struct vi_node *n) {
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  const double *u = n->a[0].x;
  for (size_t e = 0; e < count; e++) {
    const double *ue = u + e * (K - 1);
    double *y = n->y + e * K, s = 0;
    for (size_t k = 0; k < K; k++) y[k] = 0;
    for (size_t i = K - 1; i > 0; i--) {
      double w = ue[i - 1] / sqrt((double)i * (double)(i + 1));
      s += w;
      y[i - 1] += s;
      y[i] -= (double)i * w;
    }
  }
  n->y[n->n - 1] = 0;
  return 0;
}

void vi_k_tr_stz_bwd(struct vi_node *n) {
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2] * (size_t)n->i[3];
  double *du = n->a[0].dx;
  if (!du) return;
  for (size_t e = 0; e < count; e++) {
    const double *g = n->dy + e * K;
    double prefix = 0; /* sum_{j<i} g[j] */
    for (size_t i = 1; i < K; i++) {
      prefix += g[i - 1];
      du[e * (K - 1) + i - 1] += (prefix - (double)i * g[i]) / sqrt((double)i * (double)(i + 1));
    }
  }
}

/* ---- cholesky_factor_corr[K], corr_matrix[K] ----
 * z = tanh(u); row i of L (0-based, i >= 1): acc = 1; for c < i:
 * L(i,c) = z_ic sqrt(acc), acc *= 1 - z_ic^2; L(i,i) = sqrt(acc). This is
 * Stan's read_corr_L; for cholesky_factor_corr Stan writes acc as
 * 1 - sum_{k<c} L(i,k)^2, the same number up to rounding.
 * lj = sum_ic (1 + w_ic / 2) log(1 - z_ic^2) with w = i-1-c (Stan's
 * 0.5 log1m(sum_sqs) terms, regrouped) for cholesky_factor_corr and w = K-2-c
 * (read_corr_L's (K-k-1) weights) for corr_matrix; log(1 - z^2) is computed
 * as 2 log sech(u), finite where Stan's log1m(tanh^2) underflows to -inf.
 * corr_matrix: y = L L'.
 * Index of z_ic in u: row-major (cholesky_factor_corr) or column-major
 * (corr_matrix) over the strict lower triangle.
 * aux per element: z (nz), acc before column c (nz), L (K*K); then one K*K
 * scratch for the backward pass. */

static size_t cpc_index(int corr, size_t K, size_t i, size_t c) {
  if (!corr) return i * (i - 1) / 2 + c;
  return c * (K - 1) - c * (c - 1) / 2 + (i - c - 1);
}

static double cpc_weight(int corr, size_t K, size_t i, size_t c) {
  return corr ? (double)(K - 2 - c) : (double)(i - 1 - c);
}

int vi_k_tr_corr_fwd(struct vi_node *n) {
  int corr = n->i[0] == VI_TR_CORR;
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2], nz = K * (K - 1) / 2, KK = K * K;
  double lj = 0;
  for (size_t e = 0; e < count; e++) {
    const double *u = n->a[0].x + e * nz;
    double *z = n->aux + e * (2 * nz + KK), *acc = z + nz, *L = acc + nz, *y = n->y + e * KK;
    memset(L, 0, KK * sizeof *L);
    if (K) L[0] = 1;
    for (size_t i = 1; i < K; i++) {
      double a = 1;
      for (size_t c = 0; c < i; c++) {
        size_t id = cpc_index(corr, K, i, c);
        z[id] = tanh(u[id]);
        lj += (1 + 0.5 * cpc_weight(corr, K, i, c)) * log_sech2(u[id]);
        acc[id] = a;
        L[i + c * K] = z[id] * sqrt(a);
        a *= 1 - z[id] * z[id];
      }
      L[i + i * K] = sqrt(a);
    }
    if (!corr) {
      memcpy(y, L, KK * sizeof *y);
      continue;
    }
    for (size_t j = 0; j < K; j++)
      for (size_t i = j; i < K; i++) {
        double s = 0;
        for (size_t k = 0; k <= j; k++) s += L[i + k * K] * L[j + k * K];
        y[i + j * K] = y[j + i * K] = s;
      }
  }
  n->y[n->n - 1] = lj;
  return 0;
}

/* gL(i,k) = sum_j (gy(i,j) + gy(j,i)) L(j,k) for k <= i (y = L L'). */
static void llt_bwd(const double *gy, const double *L, size_t K, double *gL) {
  for (size_t k = 0; k < K; k++)
    for (size_t i = k; i < K; i++) {
      double s = 0;
      for (size_t j = k; j < K; j++) s += (gy[i + j * K] + gy[j + i * K]) * L[j + k * K];
      gL[i + k * K] = s;
    }
}

void vi_k_tr_corr_bwd(struct vi_node *n) {
  int corr = n->i[0] == VI_TR_CORR;
  size_t count = (size_t)n->i[1], K = (size_t)n->i[2], nz = K * (K - 1) / 2, KK = K * K;
  double *du = n->a[0].dx, gl = n->dy[n->n - 1];
  double *scratch = n->aux + count * (2 * nz + KK);
  if (!du) return;
  for (size_t e = 0; e < count; e++) {
    const double *z = n->aux + e * (2 * nz + KK), *acc = z + nz, *L = acc + nz, *gy = n->dy + e * KK;
    const double *gL = gy;
    if (corr) {
      llt_bwd(gy, L, K, scratch);
      gL = scratch;
    }
    double *due = du + e * nz;
    for (size_t i = 1; i < K; i++) {
      double ga = gL[i + i * K] * 0.5 / L[i + i * K]; /* L(i,i) = sqrt(acc_final) */
      for (size_t c = i; c-- > 0;) {
        size_t id = cpc_index(corr, K, i, c);
        double zc = z[id], a = acc[id], s = sqrt(a), g = gL[i + c * K];
        double gz = ga * a * (-2 * zc) + g * s;
        ga = ga * (1 - zc * zc) + (c ? g * zc * 0.5 / s : 0);
        due[id] += gz * (1 - zc * zc) - gl * (1 + 0.5 * cpc_weight(corr, K, i, c)) * 2 * zc;
      }
    }
  }
}

/* ---- cholesky_factor_cov[M,N], cov_matrix[K] ----
 * Row-major over the lower trapezoid: row m < N: L(m,0..m-1) = u, L(m,m) =
 * exp(u); rows m >= N: L(m,0..N-1) = u.  cholesky_factor_cov: y = L,
 * lj = sum of the diagonal u.  cov_matrix: y = L L',
 * lj = K log 2 + sum_m (K - m + 1) u_mm (0-based m).
 * aux (cov_matrix only): L per element, then one K*K scratch. */
int vi_k_tr_cov_fwd(struct vi_node *n) {
  int cov = n->i[0] == VI_TR_COV;
  size_t count = (size_t)n->i[1], M = (size_t)n->i[2], N = (size_t)n->i[3], MN = M * N;
  size_t nu = N * (N + 1) / 2 + (M - N) * N;
  double lj = 0;
  for (size_t e = 0; e < count; e++) {
    const double *u = n->a[0].x + e * nu;
    double *y = n->y + e * MN, *L = cov ? n->aux + e * MN : y;
    size_t pos = 0;
    memset(L, 0, MN * sizeof *L);
    for (size_t m = 0; m < M; m++) {
      for (size_t c = 0; c < N && c < m; c++) L[m + c * M] = u[pos++];
      if (m < N) {
        L[m + m * M] = exp(u[pos]);
        lj += cov ? (double)(M - m + 1) * u[pos] : u[pos];
        pos++;
      }
    }
    if (!cov) continue;
    lj += (double)M * LN2;
    for (size_t j = 0; j < M; j++)
      for (size_t i = j; i < M; i++) {
        double s = 0;
        for (size_t k = 0; k <= j; k++) s += L[i + k * M] * L[j + k * M];
        y[i + j * M] = y[j + i * M] = s;
      }
  }
  n->y[n->n - 1] = lj;
  return 0;
}

void vi_k_tr_cov_bwd(struct vi_node *n) {
  int cov = n->i[0] == VI_TR_COV;
  size_t count = (size_t)n->i[1], M = (size_t)n->i[2], N = (size_t)n->i[3], MN = M * N;
  size_t nu = N * (N + 1) / 2 + (M - N) * N;
  double *du = n->a[0].dx, gl = n->dy[n->n - 1];
  if (!du) return;
  for (size_t e = 0; e < count; e++) {
    const double *gL = n->dy + e * MN, *L = cov ? n->aux + e * MN : n->y + e * MN;
    if (cov) {
      double *scratch = n->aux + count * MN;
      llt_bwd(gL, L, M, scratch);
      gL = scratch;
    }
    double *due = du + e * nu;
    size_t pos = 0;
    for (size_t m = 0; m < M; m++) {
      for (size_t c = 0; c < N && c < m; c++) due[pos++] += gL[m + c * M];
      if (m < N) {
        due[pos] += gL[m + m * M] * L[m + m * M] + gl * (cov ? (double)(M - m + 1) : 1.0);
        pos++;
      }
    }
  }
}


static const char *kind_name(int kind) {
  static const char *const names[] = {"identity", "lower", "upper", "lower_upper", "offset_multiplier",
                                      "ordered", "positive_ordered", "simplex", "unit_vector",
                                      "cholesky_factor_corr", "cholesky_factor_cov", "corr_matrix",
                                      "cov_matrix", "sum_to_zero_vector"};
  _Static_assert(sizeof names / sizeof names[0] == VI_TR__COUNT, "a name per transform kind");
  return kind >= 0 && kind < VI_TR__COUNT ? names[kind] : "unknown";
}

/* Shape rules of the kinds; 0 or an error message. */
static const char *shape_error(int kind, int rows, int cols) {
  switch (kind) {
  case VI_TR_SIMPLEX:
    return (size_t)rows * (size_t)cols >= 1 ? NULL : "a simplex must have at least 1 element";
  case VI_TR_UNIT_VECTOR:
    return (size_t)rows * (size_t)cols >= 1 ? NULL : "a unit_vector must have at least 1 element";
  case VI_TR_SUM_TO_ZERO:
    return (size_t)rows * (size_t)cols >= 1 ? NULL : "a sum_to_zero_vector must have at least 1 element";
  case VI_TR_CHOL_CORR:
  case VI_TR_CORR:
  case VI_TR_COV: return rows == cols ? NULL : "the matrix must be square";
  case VI_TR_CHOL_COV:
    return rows >= cols ? NULL : "a cholesky_factor_cov must have at least as many rows as columns";
  default: return NULL;
  }
}

int vi_transform_constrain(struct vi_ctx *c, int kind, const double *u, double *u_dx, size_t count, int rows,
                           int cols, struct vi_val *lo, struct vi_val *hi, struct vi_val *out,
                           struct vi_val *logj, struct vi_srcloc loc) {
  if (kind < 0 || kind >= VI_TR__COUNT || rows < 0 || cols < 0)
    return vi_ctx_error(c, loc, "internal error: bad transform %d (%d x %d)", kind, rows, cols);
  const char *se = shape_error(kind, rows, cols);
  if (se) return vi_ctx_error(c, loc, "%s: %s", kind_name(kind), se);
  size_t per = (size_t)rows * (size_t)cols;
  if (count && per > out->n / count) return vi_ctx_error(c, loc, "internal error: transform output size");
  if (count * per != out->n) return vi_ctx_error(c, loc, "internal error: transform output size");
  if (count > (size_t)0x7fffffff) return vi_ctx_error(c, loc, "too many array elements");
  size_t nu = count * vi_transform_size(kind, rows, cols);
  int elementwise = kind <= VI_TR_OFFSET_MULT;
  struct vi_val *b[2] = {elementwise ? lo : NULL, elementwise ? hi : NULL};
  static const char *const bname[2][2] = {{"lower bound", "upper bound"}, {"offset", "multiplier"}};
  for (int k = 0; k < 2; k++) {
    if (!b[k]) continue;
    int r = vi_val_contig(c, b[k], loc);
    if (r) return r;
    if (b[k]->n != 1 && b[k]->n != out->n)
      return vi_ctx_error(c, loc, "%s has %zu elements, but the constrained value has %zu",
                          bname[kind == VI_TR_OFFSET_MULT][k], b[k]->n, out->n);
  }
  const struct vi_opdef *op = VI_OPDEF(TRANSFORM_ELEM);
  size_t naux = 6 * out->n;
  switch (kind) {
  case VI_TR_ORDERED:
  case VI_TR_POS_ORDERED: op = VI_OPDEF(TRANSFORM_ORDERED), naux = out->n; break;
  case VI_TR_SIMPLEX: op = VI_OPDEF(TRANSFORM_SIMPLEX), naux = 2 * nu; break;
  case VI_TR_UNIT_VECTOR: op = VI_OPDEF(TRANSFORM_UNIT_VECTOR), naux = count; break;
  case VI_TR_CHOL_CORR:
  case VI_TR_CORR: op = VI_OPDEF(TRANSFORM_CORR), naux = 2 * nu + out->n + per; break;
  case VI_TR_CHOL_COV: op = VI_OPDEF(TRANSFORM_COV), naux = 0; break;
  case VI_TR_COV: op = VI_OPDEF(TRANSFORM_COV), naux = out->n + per; break;
  case VI_TR_SUM_TO_ZERO: op = VI_OPDEF(TRANSFORM_SUM_TO_ZERO), naux = 0; break;
  default: break;
  }
  struct vi_node *n = vi_node_new(c, op, 3, out->n + 1, loc);
  if (!n) return VI_ERR_NOMEM;
  n->fname = NULL; /* messages read "lower bound 3 is not below upper bound 1" */
  n->i[0] = kind;
  n->i[1] = (int)count;
  n->i[2] = rows;
  n->i[3] = cols;
  vi_node_arg_raw(n, 0, u, u_dx, nu);
  for (int k = 0; k < 2; k++) {
    if (b[k])
      vi_node_arg(n, 1 + k, b[k]);
    else
      vi_node_arg_raw(n, 1 + k, NULL, NULL, 0);
  }
  int r = vi_node_aux(c, n, naux);
  if (r) return r;
  size_t nout = out->n;
  r = vi_node_run(c, n, out);
  if (r) return r;
  memset(logj, 0, sizeof *logj);
  logj->t.base = VI_T_REAL;
  logj->n = 1;
  logj->x = n->y + nout;
  logj->dx = out->dx ? out->dx + nout : NULL;
  return VI_OK;
}

/* ---- checks ---- */

/* Cholesky factor of the K x K column-major A into L (lower, zero above);
 * 0, or -1 when A is not positive definite (or has NaN). */
static int cholesky(const double *A, size_t K, double *L) {
  memset(L, 0, K * K * sizeof *L);
  for (size_t j = 0; j < K; j++) {
    double d = A[j + j * K];
    for (size_t k = 0; k < j; k++) d -= L[j + k * K] * L[j + k * K];
    if (!(d > 0)) return -1;
    double ljj = sqrt(d);
    L[j + j * K] = ljj;
    for (size_t i = j + 1; i < K; i++) {
      double s = A[i + j * K];
      for (size_t k = 0; k < j; k++) s -= L[i + k * K] * L[j + k * K];
      L[i + j * K] = s / ljj;
    }
  }
  return 0;
}

static long check_bounds(int kind, const double *y, size_t n, const double *lo, size_t nlo, const double *hi,
                         size_t nhi, char *err, size_t errlen) {
  for (size_t j = 0; j < n; j++) {
    double lb = (kind == VI_TR_LOWER || kind == VI_TR_LOWER_UPPER) && nlo ? lo[nlo == 1 ? 0 : j] : -INFINITY;
    double ub = (kind == VI_TR_UPPER || kind == VI_TR_LOWER_UPPER) && nhi ? hi[nhi == 1 ? 0 : j] : INFINITY;
    if (kind == VI_TR_LOWER_UPPER && !(lb < ub)) {
      say(err, errlen, "lower bound %.15g is not below upper bound %.15g", lb, ub);
      return (long)j;
    }
    if (isnan(y[j]) && (lb > -INFINITY || ub < INFINITY)) {
      say(err, errlen, "is nan, must be a number within its bounds");
      return (long)j;
    }
    if (y[j] < lb || isnan(lb)) {
      say(err, errlen, "is %.15g, below the lower bound %.15g", y[j], lb);
      return (long)j;
    }
    if (y[j] > ub || isnan(ub)) {
      say(err, errlen, "is %.15g, above the upper bound %.15g", y[j], ub);
      return (long)j;
    }
  }
  return -1;
}

/* Checks that the K x K matrix y is symmetric within TOL; -1 or the index. */
static long check_symmetric(const double *y, size_t K, const char *what, char *err, size_t errlen) {
  for (size_t j = 0; j < K; j++)
    for (size_t i = j + 1; i < K; i++)
      if (!(fabs(y[i + j * K] - y[j + i * K]) <= TOL)) {
        say(err, errlen, "is not a valid %s: element [%zu,%zu] is %.15g but element [%zu,%zu] is %.15g", what,
            j + 1, i + 1, y[j + i * K], i + 1, j + 1, y[i + j * K]);
        return (long)(j + i * K);
      }
  return -1;
}

/* One element of a non-elementwise kind; -1 or the offset of the offending scalar. */
static long check_one(int kind, const double *y, size_t rows, size_t cols, char *err, size_t errlen) {
  size_t K = rows * cols;
  switch (kind) {
  case VI_TR_ORDERED:
  case VI_TR_POS_ORDERED: {
    const char *what = kind == VI_TR_ORDERED ? "ordered" : "positive_ordered";
    for (size_t k = 0; k < K; k++) {
      if (isnan(y[k])) {
        say(err, errlen, "is not a valid %s vector: element %zu is nan", what, k + 1);
        return (long)k;
      }
      if (k == 0 && kind == VI_TR_POS_ORDERED && !(y[0] > 0)) {
        say(err, errlen, "is not a valid positive_ordered vector: element 1 is %.15g, must be positive", y[0]);
        return 0;
      }
      if (k && !(y[k] > y[k - 1])) {
        say(err, errlen, "is not a valid %s vector: element %zu is %.15g, not above element %zu (%.15g)", what,
            k + 1, y[k], k, y[k - 1]);
        return (long)k;
      }
    }
    return -1;
  }
  case VI_TR_SIMPLEX: {
    if (K == 0) {
      say(err, errlen, "is not a valid simplex: it has no elements");
      return 0;
    }
    double s = 0;
    for (size_t k = 0; k < K; k++) s += y[k];
    if (!(fabs(1 - s) <= TOL)) {
      say(err, errlen, "is not a valid simplex: elements sum to %.15g", s);
      return 0;
    }
    for (size_t k = 0; k < K; k++)
      if (!(y[k] >= 0)) {
        say(err, errlen, "is not a valid simplex: element %zu is %.15g, below 0", k + 1, y[k]);
        return (long)k;
      }
    return -1;
  }
  case VI_TR_SUM_TO_ZERO: {
    double s = 0, a = 0;
    for (size_t k = 0; k < K; k++) s += y[k], a += fabs(y[k]);
    if (K == 0 || !(fabs(s) <= TOL * (a > 1 ? a : 1))) {
      say(err, errlen, "is not a valid sum_to_zero_vector: elements sum to %.15g", s);
      return 0;
    }
    return -1;
  }
  case VI_TR_UNIT_VECTOR: {
    double s = 0;
    for (size_t k = 0; k < K; k++) s += y[k] * y[k];
    if (K == 0 || !(fabs(1 - s) <= TOL)) {
      say(err, errlen, "is not a valid unit vector: its squared norm is %.15g", s);
      return 0;
    }
    return -1;
  }
  case VI_TR_CHOL_CORR:
  case VI_TR_CHOL_COV: {
    const char *what = kind == VI_TR_CHOL_CORR ? "Cholesky factor of a correlation matrix" : "Cholesky factor";
    size_t M = rows, N = cols;
    if (kind == VI_TR_CHOL_CORR ? M != N : M < N) {
      say(err, errlen, "is not a valid %s: it is %zu x %zu", what, M, N);
      return 0;
    }
    for (size_t c = 0; c < N; c++)
      for (size_t r = 0; r < c; r++)
        if (y[r + c * M] != 0) {
          say(err, errlen, "is not a valid %s: element [%zu,%zu] is %.15g, above the diagonal (must be 0)", what,
              r + 1, c + 1, y[r + c * M]);
          return (long)(r + c * M);
        }
    for (size_t c = 0; c < N; c++)
      if (!(y[c + c * M] > 0)) {
        say(err, errlen, "is not a valid %s: diagonal element [%zu,%zu] is %.15g, must be positive", what, c + 1,
            c + 1, y[c + c * M]);
        return (long)(c + c * M);
      }
    if (kind == VI_TR_CHOL_CORR)
      for (size_t r = 0; r < M; r++) {
        double s = 0;
        for (size_t c = 0; c <= r; c++) s += y[r + c * M] * y[r + c * M];
        if (!(fabs(1 - s) <= TOL)) {
          say(err, errlen, "is not a valid %s: row %zu has squared norm %.15g, must be 1", what, r + 1, s);
          return (long)r;
        }
      }
    for (size_t k = 0; k < M * N; k++)
      if (!isfinite(y[k])) {
        say(err, errlen, "is not a valid %s: element [%zu,%zu] is %.15g", what, k % M + 1, k / M + 1, y[k]);
        return (long)k;
      }
    return -1;
  }
  case VI_TR_CORR:
  case VI_TR_COV: {
    const char *what = kind == VI_TR_CORR ? "correlation matrix" : "covariance matrix";
    if (rows != cols || rows == 0) {
      say(err, errlen, "is not a valid %s: it is %zu x %zu", what, rows, cols);
      return 0;
    }
    if (kind == VI_TR_CORR)
      for (size_t k = 0; k < rows; k++)
        if (!(fabs(y[k + k * rows] - 1) <= TOL)) {
          say(err, errlen, "is not a valid correlation matrix: diagonal element [%zu,%zu] is %.15g, must be 1",
              k + 1, k + 1, y[k + k * rows]);
          return (long)(k + k * rows);
        }
    long r = check_symmetric(y, rows, what, err, errlen);
    if (r >= 0) return r;
    double *L = rows < ((size_t)1 << 26) ? malloc(rows * rows * sizeof *L) : NULL;
    if (!L) {
      say(err, errlen, "out of memory checking a %zu x %zu %s", rows, rows, what);
      return 0;
    }
    int bad = cholesky(y, rows, L);
    free(L);
    if (bad) {
      say(err, errlen, "is not a valid %s: it is not positive definite", what);
      return 0;
    }
    return -1;
  }
  default: return -1;
  }
}

long vi_transform_check(int kind, const double *y, size_t count, int rows, int cols, const double *lo, size_t nlo,
                        const double *hi, size_t nhi, char *err, size_t errlen) {
  if (rows < 0 || cols < 0) return 0;
  size_t per = (size_t)rows * (size_t)cols;
  if (kind <= VI_TR_OFFSET_MULT) {
    if (kind == VI_TR_IDENTITY || kind == VI_TR_OFFSET_MULT) return -1;
    return check_bounds(kind, y, count * per, lo, nlo, hi, nhi, err, errlen);
  }
  for (size_t e = 0; e < count; e++) {
    long r = check_one(kind, y + e * per, (size_t)rows, (size_t)cols, err, errlen);
    if (r >= 0) return (long)(e * per) + r;
  }
  return -1;
}

/* ---- inverse transforms ---- */

static double at(const double *v, size_t nv, size_t j, double dflt) { return nv ? v[nv == 1 ? 0 : j] : dflt; }

/* One element of a non-elementwise kind (already checked): y -> u.
 * L: scratch of rows*rows doubles for corr_matrix / cov_matrix. */
static void free_one(int kind, const double *y, size_t rows, size_t cols, double *u, double *L) {
  size_t K = rows * cols;
  switch (kind) {
  case VI_TR_ORDERED:
  case VI_TR_POS_ORDERED:
    for (size_t k = 0; k < K; k++) u[k] = k ? log(y[k] - y[k - 1]) : kind == VI_TR_ORDERED ? y[0] : log(y[0]);
    break;
  case VI_TR_SIMPLEX: { /* Stan's simplex_free: back from the last stick */
    double stick = y[K - 1];
    for (size_t k = K - 1; k-- > 0;) {
      stick += y[k];
      u[k] = logit(y[k] / stick) + log((double)(K - 1 - k));
    }
    break;
  }
  case VI_TR_UNIT_VECTOR: memcpy(u, y, K * sizeof *u); break;
  case VI_TR_SUM_TO_ZERO: { /* back from the last element: w_N = -y_N / N, w_i = (S_{i+1} - y_i) / i */
    size_t N = K - 1;
    double s = 0;
    for (size_t i = N; i > 0; i--) {
      double w = i == N ? -y[N] / (double)N : (s - y[i]) / (double)i;
      s += w;
      u[i - 1] = w * sqrt((double)i * (double)(i + 1));
    }
    break;
  }
  case VI_TR_CHOL_CORR:
  case VI_TR_CORR: {
    int corr = kind == VI_TR_CORR;
    const double *C = y;
    if (corr) { /* its Cholesky factor, rows scaled to unit length */
      cholesky(y, rows, L);
      for (size_t i = 0; i < rows; i++) {
        double s = 0;
        for (size_t c = 0; c <= i; c++) s += L[i + c * rows] * L[i + c * rows];
        s = sqrt(s);
        for (size_t c = 0; c <= i; c++) L[i + c * rows] /= s;
      }
      C = L;
    }
    for (size_t i = 1; i < rows; i++) {
      double sum = 0;
      for (size_t c = 0; c < i; c++) {
        double x = C[i + c * rows];
        u[cpc_index(corr, rows, i, c)] = atanh(c ? x / sqrt(1 - sum) : x);
        sum += x * x;
      }
    }
    break;
  }
  case VI_TR_CHOL_COV:
  case VI_TR_COV: {
    const double *C = y;
    if (kind == VI_TR_COV) {
      cholesky(y, rows, L);
      C = L;
    }
    size_t pos = 0;
    for (size_t m = 0; m < rows; m++) {
      for (size_t c = 0; c < cols && c < m; c++) u[pos++] = C[m + c * rows];
      if (m < cols) u[pos++] = log(C[m + m * rows]);
    }
    break;
  }
  default: break;
  }
}

int vi_transform_unconstrain(int kind, const double *y, size_t count, int rows, int cols, const double *lo,
                             size_t nlo, const double *hi, size_t nhi, double *u, char *err, size_t errlen) {
  if (kind < 0 || kind >= VI_TR__COUNT || rows < 0 || cols < 0) {
    say(err, errlen, "internal error: bad transform %d", kind);
    return -1;
  }
  const char *se = shape_error(kind, rows, cols);
  if (se) {
    say(err, errlen, "%s: %s", kind_name(kind), se);
    return -1;
  }
  size_t per = (size_t)rows * (size_t)cols, n = count * per;
  if (kind == VI_TR_OFFSET_MULT) {
    for (size_t j = 0; j < n; j++) {
      double m = at(lo, nlo, j, 0), s = at(hi, nhi, j, 1);
      if (!isfinite(m)) return say(err, errlen, "offset is %.15g, must be finite", m), -1;
      if (!(s > 0) || !isfinite(s)) return say(err, errlen, "multiplier is %.15g, must be positive and finite", s), -1;
      u[j] = (y[j] - m) / s;
    }
    return 0;
  }
  if (vi_transform_check(kind, y, count, rows, cols, lo, nlo, hi, nhi, err, errlen) >= 0) return -1;
  if (kind <= VI_TR_LOWER_UPPER) {
    for (size_t j = 0; j < n; j++) {
      double lb = kind == VI_TR_UPPER ? -INFINITY : at(lo, nlo, j, -INFINITY);
      double ub = kind == VI_TR_LOWER ? INFINITY : at(hi, nhi, j, INFINITY);
      if (lb == -INFINITY && ub == INFINITY)
        u[j] = y[j];
      else if (ub == INFINITY)
        u[j] = log(y[j] - lb);
      else if (lb == -INFINITY)
        u[j] = log(ub - y[j]);
      else
        u[j] = logit((y[j] - lb) / (ub - lb));
    }
    return 0;
  }
  double *L = NULL;
  if (kind == VI_TR_CORR || kind == VI_TR_COV) {
    L = (size_t)rows < ((size_t)1 << 26) ? malloc((size_t)rows * (size_t)rows * sizeof *L) : NULL;
    if (!L) return say(err, errlen, "out of memory"), -1;
  }
  size_t nu = vi_transform_size(kind, rows, cols);
  for (size_t e = 0; e < count; e++) free_one(kind, y + e * per, (size_t)rows, (size_t)cols, u + e * nu, L);
  free(L);
  return 0;
}
