/* dist_multi.c: multivariate distributions (multi_normal,
 * multi_normal_cholesky, multi_student_t, dirichlet, lkj_corr_cholesky,
 * lkj_corr) and their _rng. Each density is one node over all its arguments
 * with the aux layout of stdlib/dist_util.h (the partials of each
 * differentiable operand in order), followed by kernel scratch space; the
 * backward kernel is vi_udist_bwd. Matrices are column-major: element (r, c)
 * of a K x K matrix is x[r + c * K]. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist_util.h"
#include "special.h"
#include "vi/rng.h"

/* node integer parameters: i[0] call flags, i[1] K (vector size), i[2] M
 * (number of vectors), i[3] mu is one vector broadcast (1) or M vectors (0),
 * i[4] y is one vector broadcast */
enum { MI_FLAGS, MI_K, MI_M, MI_MU1, MI_Y1 };

static size_t parts_len(const struct vi_val *args, int nargs) {
  size_t len = 0;
  for (int k = 0; k < nargs; k++)
    if (args[k].dx) len += args[k].n;
  return len;
}

/* In-place lower Cholesky factor of the K x K matrix in l (column-major),
 * reading the lower triangle; zeroes the upper. Returns 0, or 1 if not
 * positive definite. */
static int chol_lower(double *l, int K) {
  for (int j = 0; j < K; j++) {
    double d = l[j + j * K];
    for (int k = 0; k < j; k++) d -= l[j + k * K] * l[j + k * K];
    if (!(d > 0)) return 1;
    d = sqrt(d);
    l[j + j * K] = d;
    for (int i = j + 1; i < K; i++) {
      double s = l[i + j * K];
      for (int k = 0; k < j; k++) s -= l[i + k * K] * l[j + k * K];
      l[i + j * K] = s / d;
    }
    for (int i = 0; i < j; i++) l[i + j * K] = 0;
  }
  return 0;
}

/* z = L^-1 b (forward substitution), in place */
static void solve_lower(const double *l, int K, double *z) {
  for (int i = 0; i < K; i++) {
    double s = z[i];
    for (int k = 0; k < i; k++) s -= l[i + k * K] * z[k];
    z[i] = s / l[i + i * K];
  }
}

/* w = L^-T z (back substitution), in place */
static void solve_upper_t(const double *l, int K, double *w) {
  for (int i = K; i-- > 0;) {
    double s = w[i];
    for (int k = i + 1; k < K; k++) s -= l[k + i * K] * w[k];
    w[i] = s / l[i + i * K];
  }
}

/* inv = (L L^T)^-1, using column solves */
static void chol_inverse(const double *l, int K, double *inv) {
  for (int c = 0; c < K; c++) {
    double *col = inv + (size_t)c * (size_t)K;
    for (int i = 0; i < K; i++) col[i] = i == c;
    solve_lower(l, K, col);
    solve_upper_t(l, K, col);
  }
}

static int is_vectors(struct vi_type t) {
  return (t.base == VI_T_VECTOR || t.base == VI_T_ROW_VECTOR) && t.ndims <= 1;
}

/* Vector size and count of a vector or array of vectors. */
static void vec_shape(const struct vi_val *v, int *K, int *M) {
  *K = v->dim[v->t.ndims];
  *M = v->t.ndims ? v->dim[0] : 1;
}

/* Checks y and mu shapes against each other and K; sets n->i[] sizes. */
static int multi_shapes(struct vi_ctx *c, const char *fname, const struct vi_val *y,
                        const struct vi_val *mu, int K, int *M, int *mub, int *yb,
                        struct vi_srcloc loc) {
  int ky, my, km, mm;
  vec_shape(y, &ky, &my);
  vec_shape(mu, &km, &mm);
  if (ky != km)
    return vi_ctx_error(c, loc, "%s: size of location (%d) does not match size of the variate (%d)",
                        fname, km, ky);
  if (ky != K)
    return vi_ctx_error(c, loc, "%s: the variate has size %d, the matrix is %d x %d", fname, ky, K, K);
  if (y->t.ndims && mu->t.ndims && my != mm)
    return vi_ctx_error(c, loc, "%s: the variate has %d vectors, the location %d", fname, my, mm);
  *M = y->t.ndims ? my : mm;
  *mub = !mu->t.ndims;
  *yb = !y->t.ndims;
  return VI_OK;
}

static int check_vec_values(struct vi_node *n, int k, const char *name, int finite) {
  const double *x = n->a[k].x;
  for (size_t i = 0; i < n->a[k].n; i++) {
    if (finite ? isfinite(x[i]) : !isnan(x[i])) continue;
    return vi_node_fail(n, "%s[%zu] is %.17g, must %s", name, i + 1, x[i],
                        finite ? "be finite" : "not be nan");
  }
  return 0;
}

static int check_symmetric(struct vi_node *n, const double *s, int K, const char *name) {
  for (int j = 0; j < K; j++)
    for (int i = j + 1; i < K; i++) {
      double a = s[i + j * K], b = s[j + i * K];
      if (fabs(a - b) <= 1e-8 * fmax(1, fmax(fabs(a), fabs(b)))) continue;
      return vi_node_fail(n, "%s is not symmetric: [%d,%d] is %.17g, [%d,%d] is %.17g", name, i + 1,
                          j + 1, a, j + 1, i + 1, b);
    }
  return 0;
}

/* z = L^-1 (y_j - mu_j) for draw j (y or mu shared when yb / mub); returns z'z. */
static double whiten(const double *L, int K, const double *y, const double *mu, int j, int yb, int mub, double *z) {
  const double *yj = y + (yb ? 0 : (size_t)j * K), *mj = mu + (mub ? 0 : (size_t)j * K);
  for (int i = 0; i < K; i++) z[i] = yj[i] - mj[i];
  solve_lower(L, K, z);
  double q = 0;
  for (int i = 0; i < K; i++) q += z[i] * z[i];
  return q;
}

/* ---- multi_normal_cholesky(y | mu, L) ----
 * lp = sum_j -0.5 |z_j|^2 - M sum log L_ii - M K/2 log(2 pi),  z_j = L^-1 (y_j - mu_j);
 * with w_j = L^-T z_j: dy_j = -w_j, dmu_j = w_j, dL = sum_j w_j z_j^T (lower) - M diag(1/L_ii) */
int vi_k_mnc_fwd(struct vi_node *n) {
  int K = n->i[MI_K], M = n->i[MI_M], mub = n->i[MI_MU1], yb = n->i[MI_Y1];
  const double *y = n->a[0].x, *mu = n->a[1].x, *L = n->a[2].x;
  if (check_vec_values(n, 0, "random variable", 0) || check_vec_values(n, 1, "location parameter", 1))
    return 1;
  for (int i = 0; i < K; i++)
    if (!(L[i + i * K] > 0))
      return vi_node_fail(n, "Cholesky factor diagonal[%d] is %.17g, must be positive", i + 1,
                          L[i + i * K]);
  double *p[3];
  double *z = vi_dist_parts(n, p);
  double *w = z + K;
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc || M == 0) return 0;
  double lp = 0, sld = 0;
  for (int i = 0; i < K; i++) sld += log(L[i + i * K]);
  for (int j = 0; j < M; j++) {
    double q = whiten(L, K, y, mu, j, yb, mub, z);
    lp -= 0.5 * q;
    if (!p[0] && !p[1] && !p[2]) continue;
    memcpy(w, z, (size_t)K * sizeof *w);
    solve_upper_t(L, K, w);
    if (p[0])
      for (int i = 0; i < K; i++) p[0][(yb ? 0 : (size_t)j * K) + i] -= w[i];
    if (p[1])
      for (int i = 0; i < K; i++) p[1][(mub ? 0 : (size_t)j * K) + i] += w[i];
    if (p[2])
      for (int cc = 0; cc < K; cc++)
        for (int r = cc; r < K; r++) p[2][r + cc * K] += w[r] * z[cc];
  }
  if (inc & VI_DB(2)) lp -= M * sld;
  if (inc & VI_DINC_CONST) lp -= (double)M * K * VI_LOG_SQRT_2PI;
  if (p[2])
    for (int i = 0; i < K; i++) p[2][i + i * K] -= M / L[i + i * K];
  n->y[0] = lp;
  return 0;
}

/* ---- multi_normal(y | mu, Sigma) ----
 * lp = sum_j -0.5 r_j' S^-1 r_j - M/2 log det S - M K/2 log(2 pi);
 * w_j = S^-1 r_j: dy_j = -w_j, dmu_j = w_j, dS = 0.5 sum_j w_j w_j' - M/2 S^-1 */
int vi_k_mn_fwd(struct vi_node *n) {
  int K = n->i[MI_K], M = n->i[MI_M], mub = n->i[MI_MU1], yb = n->i[MI_Y1];
  const double *y = n->a[0].x, *mu = n->a[1].x, *S = n->a[2].x;
  if (check_vec_values(n, 0, "random variable", 0) || check_vec_values(n, 1, "location parameter", 1) ||
      check_symmetric(n, S, K, "covariance matrix"))
    return 1;
  double *p[3];
  double *L = vi_dist_parts(n, p);
  double *z = L + (size_t)K * K, *inv = z + K;
  memcpy(L, S, (size_t)K * K * sizeof *L);
  if (chol_lower(L, K)) return vi_node_fail(n, "covariance matrix is not positive definite");
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc || M == 0) return 0;
  double lp = 0, sld = 0;
  for (int i = 0; i < K; i++) sld += log(L[i + i * K]);
  for (int j = 0; j < M; j++) {
    double q = whiten(L, K, y, mu, j, yb, mub, z);
    lp -= 0.5 * q;
    if (!p[0] && !p[1] && !p[2]) continue;
    solve_upper_t(L, K, z); /* z is now w_j */
    if (p[0])
      for (int i = 0; i < K; i++) p[0][(yb ? 0 : (size_t)j * K) + i] -= z[i];
    if (p[1])
      for (int i = 0; i < K; i++) p[1][(mub ? 0 : (size_t)j * K) + i] += z[i];
    if (p[2])
      for (int cc = 0; cc < K; cc++)
        for (int r = 0; r < K; r++) p[2][r + cc * K] += 0.5 * z[r] * z[cc];
  }
  if (inc & VI_DB(2)) lp -= M * sld;
  if (inc & VI_DINC_CONST) lp -= (double)M * K * VI_LOG_SQRT_2PI;
  if (p[2]) {
    chol_inverse(L, K, inv);
    for (size_t i = 0; i < (size_t)K * K; i++) p[2][i] -= 0.5 * M * inv[i];
  }
  n->y[0] = lp;
  return 0;
}

/* ---- multi_normal_prec(y | mu, Omega) ----
 * lp = sum_j -0.5 r_j' Omega r_j + M/2 log det Omega - M K/2 log(2 pi), r_j = y_j - mu_j;
 * w_j = Omega r_j: dy_j = -w_j, dmu_j = w_j, dOmega = -0.5 sum_j r_j r_j' + M/2 Omega^-1 */
int vi_k_mnp_fwd(struct vi_node *n) {
  int K = n->i[MI_K], M = n->i[MI_M], mub = n->i[MI_MU1], yb = n->i[MI_Y1];
  const double *y = n->a[0].x, *mu = n->a[1].x, *O = n->a[2].x;
  if (check_vec_values(n, 0, "random variable", 0) || check_vec_values(n, 1, "location parameter", 1) ||
      check_symmetric(n, O, K, "precision matrix"))
    return 1;
  double *p[3];
  double *L = vi_dist_parts(n, p);
  double *r = L + (size_t)K * K, *w = r + K, *inv = w + K;
  memcpy(L, O, (size_t)K * K * sizeof *L);
  if (chol_lower(L, K)) return vi_node_fail(n, "precision matrix is not positive definite");
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc || M == 0) return 0;
  double lp = 0, sld = 0;
  for (int i = 0; i < K; i++) sld += log(L[i + i * K]);
  for (int j = 0; j < M; j++) {
    const double *yj = y + (yb ? 0 : (size_t)j * K), *mj = mu + (mub ? 0 : (size_t)j * K);
    for (int i = 0; i < K; i++) r[i] = yj[i] - mj[i];
    double q = 0;
    for (int i = 0; i < K; i++) {
      double t = 0;
      for (int k = 0; k < K; k++) t += O[i + (size_t)k * K] * r[k];
      w[i] = t;
      q += r[i] * t;
    }
    lp -= 0.5 * q;
    if (p[0])
      for (int i = 0; i < K; i++) p[0][(yb ? 0 : (size_t)j * K) + i] -= w[i];
    if (p[1])
      for (int i = 0; i < K; i++) p[1][(mub ? 0 : (size_t)j * K) + i] += w[i];
    if (p[2])
      for (int cc = 0; cc < K; cc++)
        for (int rr = 0; rr < K; rr++) p[2][rr + cc * K] -= 0.5 * r[rr] * r[cc];
  }
  if (inc & VI_DB(2)) lp += M * sld;
  if (inc & VI_DINC_CONST) lp -= (double)M * K * VI_LOG_SQRT_2PI;
  if (p[2]) {
    chol_inverse(L, K, inv);
    for (size_t i = 0; i < (size_t)K * K; i++) p[2][i] += 0.5 * M * inv[i];
  }
  n->y[0] = lp;
  return 0;
}

/* ---- wishart(W | nu, S), inv_wishart(W | nu, S) ----
 * With K the size, lmgamma_K(a) = K(K-1)/4 log pi + sum_{j=1..K} lgamma(a + (1 - j)/2),
 * d = sum_{j=1..K} digamma((nu + 1 - j)/2):
 * wishart:     lp = (nu-K-1)/2 log|W| - tr(S^-1 W)/2 - nu K/2 log 2 - nu/2 log|S| - lmgamma_K(nu/2);
 *              dW = (nu-K-1)/2 W^-1 - S^-1/2,  dS = -nu/2 S^-1 + S^-1 W S^-1/2,
 *              dnu = log|W|/2 - K/2 log 2 - log|S|/2 - d/2
 * inv_wishart: lp = nu/2 log|S| - nu K/2 log 2 - lmgamma_K(nu/2) - (nu+K+1)/2 log|W| - tr(S W^-1)/2;
 *              dW = -(nu+K+1)/2 W^-1 + W^-1 S W^-1/2,  dS = nu/2 S^-1 - W^-1/2,
 *              dnu = log|S|/2 - K/2 log 2 - d/2 - log|W|/2
 * (symmetric gradients). nu > K - 1; W and S symmetric positive definite.
 * i[MI_K] = K, i[MI_M] = 1 for inv_wishart; scratch 5 K^2. */
int vi_k_wishart_fwd(struct vi_node *n) {
  int K = n->i[MI_K], inv = n->i[MI_M];
  const double *W = n->a[0].x, nu = n->a[1].x[0], *S = n->a[2].x;
  if (!(nu > K - 1) || isinf(nu))
    return vi_node_fail(n, "degrees of freedom parameter is %.17g, must be greater than %d and finite", nu, K - 1);
  if (check_symmetric(n, W, K, "random variable") || check_symmetric(n, S, K, "scale parameter")) return 1;
  double *p[3];
  size_t KK = (size_t)K * K;
  double *LW = vi_dist_parts(n, p), *LS = LW + KK, *Wi = LS + KK, *Si = Wi + KK, *T = Si + KK;
  memcpy(LW, W, KK * sizeof *LW);
  memcpy(LS, S, KK * sizeof *LS);
  if (chol_lower(LW, K)) return vi_node_fail(n, "random variable is not positive definite");
  if (chol_lower(LS, K)) return vi_node_fail(n, "scale parameter is not positive definite");
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc) return 0;
  double ldw = 0, lds = 0, lmg = 0.25 * K * (K - 1) * VI_LOG_PI, dg = 0;
  for (int i = 0; i < K; i++) ldw += 2 * log(LW[i + i * K]), lds += 2 * log(LS[i + i * K]);
  for (int j = 1; j <= K; j++) lmg += vi_lgamma(0.5 * nu + 0.5 * (1 - j));
  chol_inverse(LW, K, Wi);
  chol_inverse(LS, K, Si);
  const double *A = inv ? S : Si, *B = inv ? Wi : W; /* tr(A B) */
  double tr = 0;
  for (int j = 0; j < K; j++)
    for (int i = 0; i < K; i++) tr += A[i + j * K] * B[j + i * K];
  double lp = -0.5 * tr;
  if (inc & VI_DB(1)) lp -= 0.5 * nu * K * VI_LOG2 + lmg;
  if (!inv) {
    if (inc & (VI_DB(0) | VI_DB(1))) lp += 0.5 * (nu - K - 1) * ldw;
    if (inc & (VI_DB(1) | VI_DB(2))) lp -= 0.5 * nu * lds;
  } else {
    if (inc & (VI_DB(1) | VI_DB(2))) lp += 0.5 * nu * lds;
    if (inc & (VI_DB(0) | VI_DB(1))) lp -= 0.5 * (nu + K + 1) * ldw;
  }
  if (p[1] || p[0] || p[2]) {
    if (p[1]) {
      for (int j = 1; j <= K; j++) dg += vi_digamma(0.5 * (nu + 1 - j));
      p[1][0] = inv ? 0.5 * lds - 0.5 * K * VI_LOG2 - 0.5 * dg - 0.5 * ldw
                    : 0.5 * ldw - 0.5 * K * VI_LOG2 - 0.5 * lds - 0.5 * dg;
    }
    /* T = M X M with (M, X) = (S^-1, W) for wishart's dS, (W^-1, S) for inv_wishart's dW */
    const double *Mm = inv ? Wi : Si, *X = inv ? S : W;
    if ((inv && p[0]) || (!inv && p[2]))
      for (int j = 0; j < K; j++)
        for (int i = 0; i < K; i++) {
          double t = 0;
          for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++) t += Mm[i + a * K] * X[a + b * K] * Mm[b + j * K];
          T[i + j * K] = t;
        }
    for (size_t e = 0; e < KK; e++) {
      if (!inv) {
        if (p[0]) p[0][e] = 0.5 * (nu - K - 1) * Wi[e] - 0.5 * Si[e];
        if (p[2]) p[2][e] = -0.5 * nu * Si[e] + 0.5 * T[e];
      } else {
        if (p[0]) p[0][e] = -0.5 * (nu + K + 1) * Wi[e] + 0.5 * T[e];
        if (p[2]) p[2][e] = 0.5 * nu * Si[e] - 0.5 * Wi[e];
      }
    }
  }
  n->y[0] = lp;
  return 0;
}

static int wishart_call(int inv, struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                        struct vi_srcloc loc) {
  const char *f = inv ? "inv_wishart_lpdf" : "wishart_lpdf";
  if (nargs != 3) return vi_ctx_error(c, loc, "%s: takes 3 arguments, not %d", f, nargs);
  int K = vi_val_rows(&args[0]);
  if (vi_val_cols(&args[0]) != K || vi_val_rows(&args[2]) != K || vi_val_cols(&args[2]) != K)
    return vi_ctx_error(c, loc, "%s: the random variable (%d x %d) and the scale (%d x %d) must be square and of one size",
                        f, K, vi_val_cols(&args[0]), vi_val_rows(&args[2]), vi_val_cols(&args[2]));
  struct vi_node *n = vi_dist_node_new(c, inv ? VI_OPDEF(INV_WISHART_LPDF) : VI_OPDEF(WISHART_LPDF), args, nargs,
                                       flags, 5 * (size_t)K * K, loc);
  if (!n) return VI_ERR_EVAL;
  n->fname = f;
  n->i[MI_K] = K;
  n->i[MI_M] = inv;
  return vi_dist_node_run(c, n, out);
}
static int wishart_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                        struct vi_srcloc loc) {
  return wishart_call(0, c, out, args, nargs, flags, loc);
}
static int inv_wishart_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                            struct vi_srcloc loc) {
  return wishart_call(1, c, out, args, nargs, flags, loc);
}

/* ---- wishart_cholesky(L_W | nu, L_S), inv_wishart_cholesky(L_W | nu, L_S) ----
 * The densities of W = L_W L_W' (Wishart / inverse Wishart with S = L_S L_S')
 * times the Jacobian of L_W -> W, log J = K log 2 + sum_k (K - k + 1) log L_W,kk
 * (k 1-based), written in the factors: with d = sum_j digamma((nu + 1 - j)/2),
 * wishart_cholesky: M = L_S^-1 L_W,
 *   lp = sum_k (nu - k) log L_W,kk - |M|_F^2/2 - nu K/2 log 2 + K log 2 - nu sum log L_S,kk - lmgamma_K(nu/2);
 *   dL_W = tril(-L_S^-T M) + diag((nu - k) / L_W,kk),  dL_S = tril(L_S^-T M M') - diag(nu / L_S,kk),
 *   dnu = sum log L_W,kk - K/2 log 2 - sum log L_S,kk - d/2
 * inv_wishart_cholesky: Q = L_W^-1 L_S,
 *   lp = nu sum log L_S,kk - nu K/2 log 2 + K log 2 - lmgamma_K(nu/2) - sum_k (nu + k) log L_W,kk - |Q|_F^2/2;
 *   dL_S = tril(-L_W^-T Q) + diag(nu / L_S,kk),  dL_W = tril(L_W^-T Q Q') - diag((nu + k) / L_W,kk),
 *   dnu = sum log L_S,kk - K/2 log 2 - d/2 - sum log L_W,kk
 * Both factors must be lower triangular with a positive diagonal; nu > K - 1.
 * i[MI_K] = K, i[MI_M] = 1 for the inverse; scratch 2 K^2. */
static int check_chol_factor(struct vi_node *n, const double *L, int K, const char *name) {
  for (int j = 0; j < K; j++) {
    for (int i = 0; i < j; i++)
      if (L[i + j * K] != 0) return vi_node_fail(n, "%s is not lower triangular", name);
    if (!(L[j + j * K] > 0) || isinf(L[j + j * K]))
      return vi_node_fail(n, "%s is not a valid Cholesky factor: diagonal element %d is %.17g", name, j + 1, L[j + j * K]);
  }
  return 0;
}
int vi_k_wishart_chol_fwd(struct vi_node *n) {
  int K = n->i[MI_K], inv = n->i[MI_M];
  const double *LW = n->a[0].x, nu = n->a[1].x[0], *LS = n->a[2].x;
  if (!(nu > K - 1) || isinf(nu))
    return vi_node_fail(n, "degrees of freedom parameter is %.17g, must be greater than %d and finite", nu, K - 1);
  if (check_chol_factor(n, LW, K, "Cholesky random variable") || check_chol_factor(n, LS, K, "Cholesky scale matrix"))
    return 1;
  double *p[3];
  size_t KK = (size_t)K * K;
  double *Mx = vi_dist_parts(n, p), *T = Mx + KK;
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc) return 0;
  /* the solve's triangle A^-1 B: (A, B) = (L_S, L_W) or (L_W, L_S) */
  const double *A = inv ? LW : LS, *B = inv ? LS : LW;
  memcpy(Mx, B, KK * sizeof *Mx);
  for (int j = 0; j < K; j++) solve_lower(A, K, Mx + (size_t)j * K);
  double fro = 0, slw = 0, sls = 0, lmg = 0.25 * K * (K - 1) * VI_LOG_PI, klw = 0;
  for (size_t e = 0; e < KK; e++) fro += Mx[e] * Mx[e];
  for (int k = 0; k < K; k++) {
    slw += log(LW[k + k * K]);
    sls += log(LS[k + k * K]);
    klw += (k + 1) * log(LW[k + k * K]);
  }
  for (int j = 1; j <= K; j++) lmg += vi_lgamma(0.5 * nu + 0.5 * (1 - j));
  double lp = -0.5 * fro;
  if (inc & VI_DB(1)) lp -= 0.5 * nu * K * VI_LOG2 + lmg;
  if (inc & VI_DINC_CONST) lp += K * VI_LOG2;
  if (!inv) {
    if (inc & (VI_DB(0) | VI_DB(1))) lp += nu * slw;
    if (inc & VI_DB(0)) lp -= klw;
    if (inc & (VI_DB(1) | VI_DB(2))) lp -= nu * sls;
  } else {
    if (inc & (VI_DB(1) | VI_DB(2))) lp += nu * sls;
    if (inc & (VI_DB(0) | VI_DB(1))) lp -= nu * slw;
    if (inc & VI_DB(0)) lp -= klw;
  }
  if (p[1]) {
    double dg = 0;
    for (int j = 1; j <= K; j++) dg += vi_digamma(0.5 * (nu + 1 - j));
    p[1][0] = inv ? sls - 0.5 * K * VI_LOG2 - 0.5 * dg - slw : slw - 0.5 * K * VI_LOG2 - sls - 0.5 * dg;
  }
  /* pB: the factor inside the solve gets tril(-A^-T Mx); pA the other gets tril(A^-T Mx Mx') */
  double *pB = inv ? p[2] : p[0], *pA = inv ? p[0] : p[2];
  if (pB) {
    memcpy(T, Mx, KK * sizeof *T);
    for (int j = 0; j < K; j++) solve_upper_t(A, K, T + (size_t)j * K);
    for (int j = 0; j < K; j++)
      for (int i = j; i < K; i++) pB[i + j * K] -= T[i + j * K];
  }
  if (pA) {
    for (int j = 0; j < K; j++)
      for (int i = 0; i < K; i++) {
        double t = 0;
        for (int k = 0; k < K; k++) t += Mx[i + k * K] * Mx[j + k * K];
        T[i + j * K] = t;
      }
    for (int j = 0; j < K; j++) solve_upper_t(A, K, T + (size_t)j * K);
    for (int j = 0; j < K; j++)
      for (int i = j; i < K; i++) pA[i + j * K] += T[i + j * K];
  }
  for (int k = 0; k < K; k++) {
    if (p[0]) p[0][k + k * K] += (inv ? -(nu + k + 1) : nu - (k + 1)) / LW[k + k * K];
    if (p[2]) p[2][k + k * K] += (inv ? nu : -nu) / LS[k + k * K];
  }
  n->y[0] = lp;
  return 0;
}

static int wishart_chol_call(int inv, struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                             int flags, struct vi_srcloc loc) {
  const char *f = inv ? "inv_wishart_cholesky_lpdf" : "wishart_cholesky_lpdf";
  if (nargs != 3) return vi_ctx_error(c, loc, "%s: takes 3 arguments, not %d", f, nargs);
  int K = vi_val_rows(&args[0]);
  if (vi_val_cols(&args[0]) != K || vi_val_rows(&args[2]) != K || vi_val_cols(&args[2]) != K)
    return vi_ctx_error(c, loc, "%s: the Cholesky factors (%d x %d and %d x %d) must be square and of one size", f, K,
                        vi_val_cols(&args[0]), vi_val_rows(&args[2]), vi_val_cols(&args[2]));
  struct vi_node *n = vi_dist_node_new(c, inv ? VI_OPDEF(INV_WISHART_CHOLESKY_LPDF) : VI_OPDEF(WISHART_CHOLESKY_LPDF),
                                       args, nargs, flags, 2 * (size_t)K * K, loc);
  if (!n) return VI_ERR_EVAL;
  n->fname = f;
  n->i[MI_K] = K;
  n->i[MI_M] = inv;
  return vi_dist_node_run(c, n, out);
}
static int wishart_cholesky_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                                 struct vi_srcloc loc) {
  return wishart_chol_call(0, c, out, args, nargs, flags, loc);
}
static int inv_wishart_cholesky_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                     int flags, struct vi_srcloc loc) {
  return wishart_chol_call(1, c, out, args, nargs, flags, loc);
}

/* ---- multi_gp_cholesky(y | L, w) ----
 * y K x N, row i ~ multi_normal(0, L L' / w_i): with z_i = L^-1 y_i',
 * lp = sum_i -N/2 log(2 pi) - sum_j log L_jj + N/2 log w_i - w_i/2 |z_i|^2;
 * dy_i = -w_i L^-T z_i, dw_i = N / (2 w_i) - |z_i|^2 / 2,
 * dL = sum_i w_i (L^-T z_i) z_i' (lower) - K diag(1 / L_jj). i[MI_K] = K, i[MI_M] = N; scratch 2 N. */
int vi_k_mgp_fwd(struct vi_node *n) {
  int K = n->i[MI_K], N = n->i[MI_M];
  const double *y = n->a[0].x, *L = n->a[1].x, *w = n->a[2].x;
  for (int i = 0; i < K; i++)
    if (!(w[i] > 0) || isinf(w[i]))
      return vi_node_fail(n, "kernel scales[%d] is %.17g, must be positive finite", i + 1, w[i]);
  for (size_t e = 0; e < (size_t)K * N; e++)
    if (isnan(y[e])) return vi_node_fail(n, "random variable[%zu] is nan", e + 1);
  for (int j = 0; j < N; j++)
    if (!(L[j + j * N] > 0))
      return vi_node_fail(n, "Cholesky factor diagonal[%d] is %.17g, must be positive", j + 1, L[j + j * N]);
  double *p[3];
  double *z = vi_dist_parts(n, p), *v = z + N;
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc) return 0;
  double lp = 0, sld = 0;
  for (int j = 0; j < N; j++) sld += log(L[j + j * N]);
  for (int i = 0; i < K; i++) {
    for (int k = 0; k < N; k++) z[k] = y[i + (size_t)k * K];
    solve_lower(L, N, z);
    double q = 0;
    for (int k = 0; k < N; k++) q += z[k] * z[k];
    lp -= 0.5 * w[i] * q;
    if (inc & VI_DB(2)) lp += 0.5 * N * log(w[i]);
    if (p[2]) p[2][i] += 0.5 * N / w[i] - 0.5 * q;
    if (!p[0] && !p[1]) continue;
    memcpy(v, z, (size_t)N * sizeof *v);
    solve_upper_t(L, N, v); /* v = L^-T z_i */
    if (p[0])
      for (int k = 0; k < N; k++) p[0][i + (size_t)k * K] -= w[i] * v[k];
    if (p[1])
      for (int c = 0; c < N; c++)
        for (int r = c; r < N; r++) p[1][r + c * N] += w[i] * v[r] * z[c];
  }
  if (inc & VI_DB(1)) lp -= K * sld;
  if (p[1])
    for (int j = 0; j < N; j++) p[1][j + j * N] -= K / L[j + j * N];
  if (inc & VI_DINC_CONST) lp -= (double)K * N * VI_LOG_SQRT_2PI;
  n->y[0] = lp;
  return 0;
}

static int multi_gp_cholesky_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                  int flags, struct vi_srcloc loc) {
  const char *f = "multi_gp_cholesky_lpdf";
  if (nargs != 3) return vi_ctx_error(c, loc, "%s: takes 3 arguments, not %d", f, nargs);
  int K = vi_val_rows(&args[0]), N = vi_val_cols(&args[0]);
  if (vi_val_rows(&args[1]) != N || vi_val_cols(&args[1]) != N)
    return vi_ctx_error(c, loc, "%s: the Cholesky factor must be %d x %d (the columns of the variate), not %d x %d", f,
                        N, N, vi_val_rows(&args[1]), vi_val_cols(&args[1]));
  if (args[2].n != (size_t)K)
    return vi_ctx_error(c, loc, "%s: size of kernel scales (%zu) does not match the rows of the variate (%d)", f,
                        args[2].n, K);
  struct vi_node *n = vi_dist_node_new(c, VI_OPDEF(MULTI_GP_CHOLESKY_LPDF), args, nargs, flags, 2 * (size_t)N, loc);
  if (!n) return VI_ERR_EVAL;
  n->fname = f;
  n->i[MI_K] = K;
  n->i[MI_M] = N;
  return vi_dist_node_run(c, n, out);
}
VI_RULE(wishart, {3, {M_, R_, M_}, R_})
VI_RULE(mgp, {3, {M_, M_, V_}, R_})

/* ---- multi_student_t(y | nu, mu, Sigma) ----
 * lp_j = lgamma((nu+K)/2) - lgamma(nu/2) - K/2 log(nu pi) - 0.5 log det S - (nu+K)/2 log1p(q_j/nu),
 * q_j = r_j' S^-1 r_j, w_j = S^-1 r_j, f_j = (nu+K)/(nu+q_j):
 * dy_j = -f_j w_j, dmu_j = f_j w_j, dS = sum_j 0.5 f_j w_j w_j' - M/2 S^-1,
 * dnu = sum_j 0.5 (psi((nu+K)/2) - psi(nu/2) - K/nu - log1p(q_j/nu) + (nu+K) q_j / (nu (nu+q_j))) */
int vi_k_mst_fwd(struct vi_node *n) {
  int K = n->i[MI_K], M = n->i[MI_M], mub = n->i[MI_MU1], yb = n->i[MI_Y1];
  const double *y = n->a[0].x, nu = n->a[1].x[0], *mu = n->a[2].x, *S = n->a[3].x;
  if (!(nu > 0) || isinf(nu))
    return vi_node_fail(n, "degrees of freedom parameter is %.17g, must be positive finite", nu);
  if (check_vec_values(n, 0, "random variable", 0) || check_vec_values(n, 2, "location parameter", 1) ||
      check_symmetric(n, S, K, "scale matrix"))
    return 1;
  double *p[4];
  double *L = vi_dist_parts(n, p);
  double *z = L + (size_t)K * K, *inv = z + K;
  memcpy(L, S, (size_t)K * K * sizeof *L);
  if (chol_lower(L, K)) return vi_node_fail(n, "scale matrix is not positive definite");
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc || M == 0) return 0;
  double lp = 0, sld = 0, h = 0.5 * (nu + K);
  for (int i = 0; i < K; i++) sld += log(L[i + i * K]);
  double dnu_c = 0.5 * (vi_digamma(h) - vi_digamma(0.5 * nu) - K / nu);
  for (int j = 0; j < M; j++) {
    double q = whiten(L, K, y, mu, j, yb, mub, z);
    double l1 = log1p(q / nu);
    lp -= h * l1;
    if (p[1]) p[1][0] += dnu_c - 0.5 * l1 + h * q / (nu * (nu + q));
    if (!p[0] && !p[2] && !p[3]) continue;
    double f = (nu + K) / (nu + q);
    solve_upper_t(L, K, z);
    if (p[0])
      for (int i = 0; i < K; i++) p[0][(yb ? 0 : (size_t)j * K) + i] -= f * z[i];
    if (p[2])
      for (int i = 0; i < K; i++) p[2][(mub ? 0 : (size_t)j * K) + i] += f * z[i];
    if (p[3])
      for (int cc = 0; cc < K; cc++)
        for (int r = 0; r < K; r++) p[3][r + cc * K] += 0.5 * f * z[r] * z[cc];
  }
  if (inc & VI_DB(1)) lp += M * (vi_lgamma(h) - vi_lgamma(0.5 * nu) - 0.5 * K * log(nu));
  if (inc & VI_DB(3)) lp -= M * sld;
  if (inc & VI_DINC_CONST) lp -= 0.5 * M * K * VI_LOG_PI;
  if (p[3]) {
    chol_inverse(L, K, inv);
    for (size_t i = 0; i < (size_t)K * K; i++) p[3][i] -= 0.5 * M * inv[i];
  }
  n->y[0] = lp;
  return 0;
}

/* Shared call for multi_normal / multi_normal_cholesky / multi_student_t:
 * args are (y, [nu,] mu, matrix); iy/imu/imat their positions. */
static int multi_call(const struct vi_opdef *op, struct vi_ctx *c, struct vi_val *out,
                      struct vi_val *args, int nargs, int want, int imu, int flags, size_t scratch,
                      struct vi_srcloc loc) {
  if (nargs != want) return vi_ctx_error(c, loc, "%s: takes %d arguments, not %d", op->name, want, nargs);
  for (int k = 0; k < nargs; k++) {
    int r = vi_val_contig(c, &args[k], loc);
    if (r) return r;
  }
  const struct vi_val *S = &args[nargs - 1];
  int K = vi_val_rows(S), M = 0, mub = 0, yb = 0;
  if (S->t.base != VI_T_MATRIX || S->t.ndims || vi_val_cols(S) != K)
    return vi_ctx_error(c, loc, "%s: the matrix must be square, not %d x %d", op->name, K, vi_val_cols(S));
  int r = multi_shapes(c, op->name, &args[0], &args[imu], K, &M, &mub, &yb, loc);
  if (r) return r;
  struct vi_node *n = vi_node_new(c, op, nargs, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  for (int k = 0; k < nargs; k++) vi_node_arg(n, k, &args[k]);
  n->i[MI_FLAGS] = flags;
  n->i[MI_K] = K;
  n->i[MI_M] = M;
  n->i[MI_MU1] = mub;
  n->i[MI_Y1] = yb;
  if (vi_node_aux(c, n, parts_len(args, nargs) + scratch * ((size_t)K * K + 2 * (size_t)K + 1)))
    return VI_ERR_NOMEM;
  memset(out, 0, sizeof *out);
  out->t = vi_ty(VI_T_REAL, 0);
  out->n = 1;
  return vi_node_run(c, n, out);
}

static int multi_normal_cholesky_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                      int nargs, int flags, struct vi_srcloc loc) {
  return multi_call(VI_OPDEF(MULTI_NORMAL_CHOLESKY_LPDF), c, out, args, nargs, 3, 1, flags, 1, loc);
}
static int multi_normal_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                             int flags, struct vi_srcloc loc) {
  return multi_call(VI_OPDEF(MULTI_NORMAL_LPDF), c, out, args, nargs, 3, 1, flags, 2, loc);
}
static int multi_normal_prec_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                  int flags, struct vi_srcloc loc) {
  return multi_call(VI_OPDEF(MULTI_NORMAL_PREC_LPDF), c, out, args, nargs, 3, 1, flags, 2, loc);
}
static int multi_student_t_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                int flags, struct vi_srcloc loc) {
  if (nargs == 4 && !(args[1].t.ndims == 0 && args[1].t.base <= VI_T_REAL))
    return vi_ctx_error(c, loc, "multi_student_t_lpdf: degrees of freedom must be a real scalar");
  return multi_call(VI_OPDEF(MULTI_STUDENT_T_LPDF), c, out, args, nargs, 4, 2, flags, 2, loc);
}

/* ---- dirichlet(theta | alpha) ----
 * lp = lgamma(sum alpha) - sum lgamma(alpha) + sum (alpha - 1) log theta;
 * dtheta_i = (alpha_i - 1) / theta_i, dalpha_i = psi(sum alpha) - psi(alpha_i) + log theta_i */
int vi_k_dirichlet_fwd(struct vi_node *n) {
  int K = n->i[MI_K], M = n->i[MI_M], a1 = n->i[MI_MU1], t1 = n->i[MI_Y1];
  const double *th = n->a[0].x, *al = n->a[1].x;
  for (size_t i = 0; i < n->a[1].n; i++)
    if (!(al[i] > 0) || isinf(al[i]))
      return vi_node_fail(n, "prior sample sizes[%zu] is %.17g, must be positive finite", i + 1, al[i]);
  for (int j = 0; j < (t1 ? 1 : M); j++) {
    double s = 0;
    for (int i = 0; i < K; i++) {
      double x = th[(size_t)j * K + i];
      if (!(x >= 0)) return vi_node_fail(n, "probabilities[%d] is %.17g, must be nonnegative", i + 1, x);
      s += x;
    }
    if (fabs(s - 1) > 1e-8) return vi_node_fail(n, "probabilities is not a valid simplex: sum is %.17g, must be 1", s);
  }
  double *p[2];
  vi_dist_parts(n, p);
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc) return 0;
  double lp = 0;
  for (int j = 0; j < M; j++) {
    const double *tj = th + (t1 ? 0 : (size_t)j * K), *aj = al + (a1 ? 0 : (size_t)j * K);
    double sa = 0;
    for (int i = 0; i < K; i++) sa += aj[i];
    double psa = (p[1] ? vi_digamma(sa) : 0);
    if (inc & VI_DB(1)) {
      lp += vi_lgamma(sa);
      for (int i = 0; i < K; i++) lp -= vi_lgamma(aj[i]);
    }
    for (int i = 0; i < K; i++) {
      double lt = log(tj[i]);
      if (aj[i] != 1) lp += (aj[i] - 1) * lt;
      if (p[0]) p[0][(t1 ? 0 : (size_t)j * K) + i] += (aj[i] - 1) / tj[i];
      if (p[1]) p[1][(a1 ? 0 : (size_t)j * K) + i] += psa - vi_digamma(aj[i]) + lt;
    }
  }
  n->y[0] = lp;
  return 0;
}

static int dirichlet_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                          int flags, struct vi_srcloc loc) {
  if (nargs != 2) return vi_ctx_error(c, loc, "dirichlet_lpdf: takes 2 arguments, not %d", nargs);
  for (int k = 0; k < nargs; k++) {
    int r = vi_val_contig(c, &args[k], loc);
    if (r) return r;
  }
  int kt, mt, ka, ma;
  vec_shape(&args[0], &kt, &mt);
  vec_shape(&args[1], &ka, &ma);
  if (kt != ka)
    return vi_ctx_error(c, loc, "dirichlet_lpdf: size of prior sample sizes (%d) does not match size of the variate (%d)", ka, kt);
  if (args[0].t.ndims && args[1].t.ndims && mt != ma)
    return vi_ctx_error(c, loc, "dirichlet_lpdf: the variate has %d vectors, the prior sample sizes %d", mt, ma);
  struct vi_node *n = vi_node_new(c, VI_OPDEF(DIRICHLET_LPDF), 2, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, &args[0]);
  vi_node_arg(n, 1, &args[1]);
  n->i[MI_FLAGS] = flags;
  n->i[MI_K] = kt;
  n->i[MI_M] = args[0].t.ndims ? mt : ma;
  n->i[MI_MU1] = !args[1].t.ndims;
  n->i[MI_Y1] = !args[0].t.ndims;
  if (vi_node_aux(c, n, parts_len(args, 2))) return VI_ERR_NOMEM;
  memset(out, 0, sizeof *out);
  out->t = vi_ty(VI_T_REAL, 0);
  out->n = 1;
  return vi_node_run(c, n, out);
}

/* ---- LKJ ----
 * log normalising constant (Lewandowski, Kurowicka and Joe 2009):
 * c(eta) = -sum_{k=1}^{K-1} [(2 eta - 2 + K - k)(K - k) log 2 + (K - k) lbeta(b_k, b_k)],
 * b_k = eta + (K - k - 1) / 2;  dc/deta = -sum_k (K - k) [2 log 2 + 2 (psi(b_k) - psi(2 b_k))] */
static double lkj_const(double eta, int K, double *deta) {
  double c = 0, d = 0;
  for (int k = 1; k < K; k++) {
    double b = eta + 0.5 * (K - k - 1);
    c -= (2 * eta - 2 + K - k) * (K - k) * VI_LOG2 + (K - k) * vi_lbeta(b, b);
    d -= (K - k) * (2 * VI_LOG2 + 2 * (vi_digamma(b) - vi_digamma(2 * b)));
  }
  *deta = d;
  return c;
}

/* lkj_corr_cholesky(L | eta): lp = c(eta) + sum_{i=2}^K (K - i + 2 eta - 2) log L_ii;
 * dL_ii = (K - i + 2 eta - 2) / L_ii, deta = dc/deta + 2 sum log L_ii */
int vi_k_lkj_chol_fwd(struct vi_node *n) {
  int K = n->i[MI_K];
  const double *L = n->a[0].x, eta = n->a[1].x[0];
  if (!(eta > 0) || isinf(eta))
    return vi_node_fail(n, "shape parameter is %.17g, must be positive finite", eta);
  for (int i = 0; i < K; i++) {
    if (!(L[i + i * K] > 0))
      return vi_node_fail(n, "random variable is not a Cholesky factor of a correlation matrix: "
                             "diagonal[%d] is %.17g", i + 1, L[i + i * K]);
    for (int j = i + 1; j < K; j++)
      if (L[i + j * K] != 0)
        return vi_node_fail(n, "random variable is not lower triangular: [%d,%d] is %.17g", i + 1,
                            j + 1, L[i + j * K]);
  }
  double *p[2];
  vi_dist_parts(n, p);
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc) return 0;
  double lp = 0, dc = 0, sl = 0;
  if (inc & VI_DB(1)) lp += lkj_const(eta, K, &dc);
  for (int i = 1; i < K; i++) { /* 0-based i: coefficient K - (i + 1) + 2 eta - 2 */
    double ll = log(L[i + i * K]), cf = K - i - 3 + 2 * eta;
    lp += cf * ll;
    sl += ll;
    if (p[0]) p[0][i + i * K] += cf / L[i + i * K];
  }
  if (p[1]) p[1][0] += dc + 2 * sl;
  n->y[0] = lp;
  return 0;
}

/* lkj_corr(R | eta): lp = c(eta) + (eta - 1) log det R; dR = (eta - 1) R^-1, deta = dc/deta + log det R */
int vi_k_lkj_corr_fwd(struct vi_node *n) {
  int K = n->i[MI_K];
  const double *R = n->a[0].x, eta = n->a[1].x[0];
  if (!(eta > 0) || isinf(eta))
    return vi_node_fail(n, "shape parameter is %.17g, must be positive finite", eta);
  if (check_symmetric(n, R, K, "correlation matrix")) return 1;
  for (int i = 0; i < K; i++)
    if (fabs(R[i + i * K] - 1) > 1e-8)
      return vi_node_fail(n, "correlation matrix diagonal[%d] is %.17g, must be 1", i + 1, R[i + i * K]);
  double *p[2];
  double *L = vi_dist_parts(n, p);
  double *inv = L + (size_t)K * K;
  memcpy(L, R, (size_t)K * K * sizeof *L);
  if (chol_lower(L, K)) return vi_node_fail(n, "correlation matrix is not positive definite");
  unsigned inc = vi_udist_inc(n);
  n->y[0] = 0;
  if (!inc) return 0;
  double ld = 0, dc = 0, lp = 0;
  for (int i = 0; i < K; i++) ld += 2 * log(L[i + i * K]);
  if (inc & VI_DB(1)) lp += lkj_const(eta, K, &dc);
  lp += (eta - 1) * ld;
  if (p[0]) {
    chol_inverse(L, K, inv);
    for (size_t i = 0; i < (size_t)K * K; i++) p[0][i] += (eta - 1) * inv[i];
  }
  if (p[1]) p[1][0] += dc + ld;
  n->y[0] = lp;
  return 0;
}

static int lkj_call(const struct vi_opdef *op, struct vi_ctx *c, struct vi_val *out,
                    struct vi_val *args, int nargs, int flags, struct vi_srcloc loc) {
  if (nargs != 2) return vi_ctx_error(c, loc, "%s: takes 2 arguments, not %d", op->name, nargs);
  for (int k = 0; k < nargs; k++) {
    int r = vi_val_contig(c, &args[k], loc);
    if (r) return r;
  }
  int K = vi_val_rows(&args[0]);
  if (vi_val_cols(&args[0]) != K)
    return vi_ctx_error(c, loc, "%s: the matrix must be square, not %d x %d", op->name, K,
                        vi_val_cols(&args[0]));
  struct vi_node *n = vi_node_new(c, op, 2, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, &args[0]);
  vi_node_arg(n, 1, &args[1]);
  n->i[MI_FLAGS] = flags;
  n->i[MI_K] = K;
  if (vi_node_aux(c, n, parts_len(args, 2) + 2 * (size_t)K * K)) return VI_ERR_NOMEM;
  memset(out, 0, sizeof *out);
  out->t = vi_ty(VI_T_REAL, 0);
  out->n = 1;
  return vi_node_run(c, n, out);
}
static int lkj_corr_cholesky_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                  int nargs, int flags, struct vi_srcloc loc) {
  return lkj_call(VI_OPDEF(LKJ_CORR_CHOLESKY_LPDF), c, out, args, nargs, flags, loc);
}
static int lkj_corr_lpdf(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                         int flags, struct vi_srcloc loc) {
  return lkj_call(VI_OPDEF(LKJ_CORR_LPDF), c, out, args, nargs, flags, loc);
}

/* ---- type rules ---- */

static int is_matrix(struct vi_type t) { return t.base == VI_T_MATRIX && t.ndims == 0; }
static int is_real(struct vi_type t) { return vi_ty_is_scalar(t); }

static struct vi_type rule_multi(const struct vi_type *a, int n) { /* (vectors, vectors, matrix) */
  if (n != 3 || !is_vectors(a[0]) || !is_vectors(a[1]) || !is_matrix(a[2])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}
static struct vi_type rule_mst(const struct vi_type *a, int n) { /* (vectors, real, vectors, matrix) */
  if (n != 4 || !is_vectors(a[0]) || !is_real(a[1]) || !is_vectors(a[2]) || !is_matrix(a[3]))
    return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}
static struct vi_type rule_dirichlet(const struct vi_type *a, int n) {
  if (n != 2 || !is_vectors(a[0]) || !is_vectors(a[1])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}
static struct vi_type rule_lkj(const struct vi_type *a, int n) {
  if (n != 2 || !is_matrix(a[0]) || !is_real(a[1])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}

/* ---- _rng ---- */

static int need_rng(struct vi_ctx *c, const char *name, struct vi_srcloc loc) {
  if (c->rng) return VI_OK;
  return vi_ctx_error(c, loc, "%s: random numbers are only available in transformed data and generated quantities", name);
}

/* Shared by the multi_normal/multi_student_t _rng: draws M vectors
 * mu_j + L z (scaled by 1/sqrt(w) for Student-t), L the Cholesky factor. */
static int mvn_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *mu, const struct vi_val *S,
                   int is_chol, double nu, const char *name, struct vi_srcloc loc) {
  int r = need_rng(c, name, loc);
  if (r) return r;
  if (!is_vectors(mu->t) || !is_matrix(S->t)) return vi_ctx_error(c, loc, "%s: bad argument types", name);
  int K, M;
  vec_shape(mu, &K, &M);
  if (vi_val_rows(S) != K || vi_val_cols(S) != K)
    return vi_ctx_error(c, loc, "%s: the matrix is %d x %d, the location has size %d", name,
                        vi_val_rows(S), vi_val_cols(S), K);
  double *L = vi_arena_array(c->arena, (size_t)K * K + 1, sizeof *L);
  if (!L) return vi_ctx_error(c, loc, "out of memory");
  for (size_t i = 0; i < (size_t)K * K; i++) L[i] = vi_val_get(S, i);
  if (!is_chol && chol_lower(L, K)) return vi_ctx_error(c, loc, "%s: covariance matrix is not positive definite", name);
  for (size_t i = 0; i < mu->n; i++)
    if (!isfinite(vi_val_get(mu, i)))
      return vi_ctx_error(c, loc, "%s: location parameter[%zu] is %.17g, must be finite", name, i + 1,
                          vi_val_get(mu, i));
  int dims[2] = {M, K};
  struct vi_type t = vi_ty(VI_T_VECTOR, mu->t.ndims);
  if (mu->t.ndims == 0) dims[0] = K;
  r = vi_val_new_real(c, out, t, dims);
  if (r) return vi_ctx_error(c, loc, "out of memory");
  double *z = vi_arena_array(c->arena, (size_t)K + 1, sizeof *z);
  if (!z) return vi_ctx_error(c, loc, "out of memory");
  for (int j = 0; j < M; j++) {
    double s = nu > 0 ? sqrt(nu / (2 * vi_rng_gamma(c->rng, 0.5 * nu))) : 1;
    for (int i = 0; i < K; i++) z[i] = vi_rng_normal(c->rng);
    for (int i = 0; i < K; i++) {
      double v = 0;
      for (int k = 0; k <= i; k++) v += L[i + k * K] * z[k];
      out->x[(size_t)j * K + i] = vi_val_get(mu, (size_t)j * K + i) + s * v;
    }
  }
  return VI_OK;
}

static int multi_normal_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                            int flags, struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 2) return vi_ctx_error(c, loc, "multi_normal_rng: takes 2 arguments");
  return mvn_rng(c, out, &args[0], &args[1], 0, 0, "multi_normal_rng", loc);
}
static int multi_normal_cholesky_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                     int nargs, int flags, struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 2) return vi_ctx_error(c, loc, "multi_normal_cholesky_rng: takes 2 arguments");
  return mvn_rng(c, out, &args[0], &args[1], 1, 0, "multi_normal_cholesky_rng", loc);
}
static int multi_student_t_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                               int flags, struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 3) return vi_ctx_error(c, loc, "multi_student_t_rng: takes 3 arguments");
  double nu = vi_val_get(&args[0], 0);
  if (!(nu > 0) || isinf(nu))
    return vi_ctx_error(c, loc, "multi_student_t_rng: degrees of freedom parameter is %.17g, must be positive finite", nu);
  return mvn_rng(c, out, &args[1], &args[2], 0, nu, "multi_student_t_rng", loc);
}

static int dirichlet_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                         int flags, struct vi_srcloc loc) {
  (void)flags;
  int r = need_rng(c, "dirichlet_rng", loc);
  if (r) return r;
  if (nargs != 1) return vi_ctx_error(c, loc, "dirichlet_rng: takes 1 argument");
  int K = (int)args[0].n;
  for (int i = 0; i < K; i++) {
    double a = vi_val_get(&args[0], (size_t)i);
    if (!(a > 0) || isinf(a))
      return vi_ctx_error(c, loc, "dirichlet_rng: prior sample sizes[%d] is %.17g, must be positive finite", i + 1, a);
  }
  r = vi_val_new_real(c, out, vi_ty(VI_T_VECTOR, 0), &K);
  if (r) return vi_ctx_error(c, loc, "out of memory");
  /* log-space draws: Gamma(a) = Gamma(a + 1) U^(1/a), safe for tiny a */
  double m = -INFINITY;
  for (int i = 0; i < K; i++) {
    double a = vi_val_get(&args[0], (size_t)i);
    out->x[i] = log(vi_rng_gamma(c->rng, a + 1)) + log(vi_rng_uniform(c->rng)) / a;
    if (out->x[i] > m) m = out->x[i];
  }
  double s = 0;
  for (int i = 0; i < K; i++) s += out->x[i] = exp(out->x[i] - m);
  for (int i = 0; i < K; i++) out->x[i] /= s;
  return VI_OK;
}

/* LKJ Cholesky factor by the onion-free C-vine method: partial correlations
 * of column k are Beta(b, b) on (-1, 1), b = eta + (K - 2 - k) / 2. */
static int lkj_chol_draw(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                         const char *name, struct vi_srcloc loc) {
  int r = need_rng(c, name, loc);
  if (r) return r;
  if (nargs != 2) return vi_ctx_error(c, loc, "%s: takes 2 arguments", name);
  int K = (int)vi_val_get(&args[0], 0);
  double eta = vi_val_get(&args[1], 0);
  if (K < 1) return vi_ctx_error(c, loc, "%s: size is %d, must be positive", name, K);
  if (!(eta > 0) || isinf(eta))
    return vi_ctx_error(c, loc, "%s: shape parameter is %.17g, must be positive finite", name, eta);
  int dims[2] = {K, K};
  r = vi_val_new_real(c, out, vi_ty(VI_T_MATRIX, 0), dims);
  if (r) return vi_ctx_error(c, loc, "out of memory");
  double *L = out->x;
  /* canonical partial correlations cpc(i, k), k < i: column k uses b = eta + (K - 2 - k) / 2 */
  for (int i = 0; i < K; i++) {
    double rem = 1; /* 1 - sum of squares so far in row i */
    for (int k = 0; k < i; k++) {
      double b = eta + 0.5 * (K - 2 - k);
      double z = 2 * vi_dist_rng_beta(c->rng, b, b) - 1;
      L[i + k * K] = z * sqrt(rem);
      rem -= L[i + k * K] * L[i + k * K];
    }
    L[i + i * K] = sqrt(rem > 0 ? rem : 0);
  }
  return VI_OK;
}
static int lkj_corr_cholesky_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                 int nargs, int flags, struct vi_srcloc loc) {
  (void)flags;
  return lkj_chol_draw(c, out, args, nargs, "lkj_corr_cholesky_rng", loc);
}
static int lkj_corr_rng(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                        int flags, struct vi_srcloc loc) {
  (void)flags;
  struct vi_val l;
  int r = lkj_chol_draw(c, &l, args, nargs, "lkj_corr_rng", loc);
  if (r) return r;
  int K = l.dim[0];
  r = vi_val_new_real(c, out, vi_ty(VI_T_MATRIX, 0), l.dim);
  if (r) return vi_ctx_error(c, loc, "out of memory");
  for (int i = 0; i < K; i++)
    for (int j = 0; j < K; j++) {
      double s = 0;
      for (int k = 0; k <= (i < j ? i : j); k++) s += l.x[i + k * K] * l.x[j + k * K];
      out->x[i + j * K] = i == j ? 1 : s;
    }
  return VI_OK;
}

static struct vi_type rule_mvn_rng(const struct vi_type *a, int n) {
  if (n != 2 || !is_vectors(a[0]) || !is_matrix(a[1])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_VECTOR, a[0].ndims);
}
static struct vi_type rule_mst_rng(const struct vi_type *a, int n) {
  if (n != 3 || !is_real(a[0]) || !is_vectors(a[1]) || !is_matrix(a[2])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_VECTOR, a[1].ndims);
}
static struct vi_type rule_dirichlet_rng(const struct vi_type *a, int n) {
  if (n != 1 || a[0].base != VI_T_VECTOR || a[0].ndims) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_VECTOR, 0);
}
static struct vi_type rule_lkj_rng(const struct vi_type *a, int n) {
  if (n != 2 || a[0].base != VI_T_INT || a[0].ndims || !is_real(a[1])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_MATRIX, 0);
}

/* ---- the table ---- */

const struct vi_func vi_stdlib_dist_multi[] = {
    {"multi_normal_cholesky_lpdf", rule_multi, multi_normal_cholesky_lpdf,
     "(vectors, vectors, matrix) => real", VI_FN_LPDF,
     "v3[-2,2],v3[-1,1],chol3;v2[-2,2],v2[-1,1],chol2@1;d:v3[-2,2],v3[-1,1],d:chol3@1;"
     "!v3[-2,2],v2[-1,1],chol3;av4x3[-2,2],v3[-1,1],chol3;av4x3[-2,2],av4x3[-1,1],chol3;"
     "d:av5x2[-2,2],av5x2[-1,1],chol2@1;!av4x3[-2,2],av3x3[-1,1],chol3"},
    {"multi_normal_prec_lpdf", rule_multi, multi_normal_prec_lpdf, "(vectors, vectors, matrix) => real",
     VI_FN_LPDF,
     "v3[-2,2],v3[-1,1],spd3;v2[-2,2],v2[-1,1],spd2@1;d:v3[-2,2],v3[-1,1],d:spd3@1;"
     "!v3[-2,2],v3[-1,1],m3x3[-1,1];av4x3[-2,2],v3[-1,1],spd3;av3x3[-2,2],av3x3[-1,1],spd3;"
     "d:av5x2[-2,2],av5x2[-1,1],spd2@1;!av4x3[-2,2],av3x3[-1,1],spd3"},
    {"multi_normal_lpdf", rule_multi, multi_normal_lpdf, "(vectors, vectors, matrix) => real",
     VI_FN_LPDF,
     "v3[-2,2],v3[-1,1],spd3;v2[-2,2],v2[-1,1],spd2@1;d:v3[-2,2],v3[-1,1],d:spd3@1;"
     "!v3[-2,2],v3[-1,1],m3x3[-1,1];av4x3[-2,2],v3[-1,1],spd3;av3x3[-2,2],av3x3[-1,1],spd3;"
     "d:av5x2[-2,2],av5x2[-1,1],spd2@1;!av4x3[-2,2],av3x3[-1,1],spd3"},
    {"multi_student_t_lpdf", rule_mst, multi_student_t_lpdf,
     "(vectors, real, vectors, matrix) => real", VI_FN_LPDF,
     "v3[-2,2],r[2,6],v3[-1,1],spd3;v2[-2,2],r[2,6],v2[-1,1],spd2@1;"
     "!v3[-2,2],r[-2,-1],v3[-1,1],spd3;av4x3[-2,2],r[2,6],v3[-1,1],spd3;"
     "av3x2[-2,2],r[2,6],av3x2[-1,1],spd2"},
    {"dirichlet_lpdf", rule_dirichlet, dirichlet_lpdf, "(vectors, vectors) => real", VI_FN_LPDF,
     "simplex3,v3[0.5,3];simplex4,v4[0.5,3]@1;d:simplex3,v3[0.5,3]@1;!simplex3,v3[-2,-1]"},
    {"lkj_corr_cholesky_lpdf", rule_lkj, lkj_corr_cholesky_lpdf, "(matrix, real) => real",
     VI_FN_LPDF, "cholcorr3,r[0.5,3];cholcorr4,r[0.5,3]@1;d:cholcorr3,r[0.5,3]@1;!cholcorr3,r[-2,-1]"},
    {"wishart_lpdf", rule_wishart, wishart_lpdf, "(matrix, real, matrix) => real", VI_FN_LPDF,
     "spd3,r[3,6],spd3;spd2,r[1.5,4],spd2@1;d:spd3,r[3,6],spd3@1;spd2,r[2,3],d:spd2;!spd3,r[0.5,1.5],spd3;!spd2,r[2,3],m2x2[-1,1]"},
    {"inv_wishart_lpdf", rule_wishart, inv_wishart_lpdf, "(matrix, real, matrix) => real", VI_FN_LPDF,
     "spd3,r[3,6],spd3;spd2,r[1.5,4],spd2@1;d:spd3,r[3,6],spd3@1;spd2,r[2,3],d:spd2;!spd3,r[0.5,1.5],spd3"},
    {"wishart_cholesky_lpdf", rule_wishart, wishart_cholesky_lpdf, "(matrix, real, matrix) => real", VI_FN_LPDF,
     "chol3,r[3,6],chol3;chol2,r[1.5,4],chol2@1;d:chol3,r[3,6],chol3@1;chol2,r[2,3],d:chol2;!chol3,r[0.5,1.5],chol3;"
     "!chol2,r[2,3],m2x2[-1,1]"},
    {"inv_wishart_cholesky_lpdf", rule_wishart, inv_wishart_cholesky_lpdf, "(matrix, real, matrix) => real",
     VI_FN_LPDF,
     "chol3,r[3,6],chol3;chol2,r[1.5,4],chol2@1;d:chol3,r[3,6],chol3@1;chol2,r[2,3],d:chol2;!chol3,r[0.5,1.5],chol3"},
    {"multi_gp_cholesky_lpdf", rule_mgp, multi_gp_cholesky_lpdf, "(matrix, matrix, vector) => real", VI_FN_LPDF,
     "m2x3[-1,1],chol3,v2[0.5,2];m3x2[-1,1],chol2,v3[0.5,2]@1;d:m2x3[-1,1],chol3,d:v2[0.5,2]@1;"
     "!m2x3[-1,1],chol3,v2[-2,-1]"},
    {"lkj_corr_lpdf", rule_lkj, lkj_corr_lpdf, "(matrix, real) => real", VI_FN_LPDF,
     "corr3,r[0.5,3];corr4,r[0.5,3]@1;!corr3,r[-2,-1]"},
    {"multi_normal_rng", rule_mvn_rng, multi_normal_rng, "(vectors, matrix) => vector(s)", VI_FN_RNG, NULL},
    {"multi_normal_cholesky_rng", rule_mvn_rng, multi_normal_cholesky_rng,
     "(vectors, matrix) => vector(s)", VI_FN_RNG, NULL},
    {"multi_student_t_rng", rule_mst_rng, multi_student_t_rng, "(real, vectors, matrix) => vector(s)",
     VI_FN_RNG, NULL},
    {"dirichlet_rng", rule_dirichlet_rng, dirichlet_rng, "(vector) => vector", VI_FN_RNG, NULL},
    {"lkj_corr_cholesky_rng", rule_lkj_rng, lkj_corr_cholesky_rng, "(int, real) => matrix", VI_FN_RNG, NULL},
    {"lkj_corr_rng", rule_lkj_rng, lkj_corr_rng, "(int, real) => matrix", VI_FN_RNG, NULL},
};
const size_t vi_stdlib_dist_multi_n = VI_COUNTOF(vi_stdlib_dist_multi);
