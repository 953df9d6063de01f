/* matrix.c: linear algebra with reverse-mode rules (one node per call).
 *
 * Matrices are column-major (element (i, j) of an R x C matrix at i + j R).
 * Every derivative is a matrix rule, never a scalar expansion:
 * cholesky_decompose uses Murray's (2016) symbolic adjoint, the solves use
 * B̄ = A^-T Ȳ, Ā -= B̄ Y', inverse and log_determinant reuse an LU
 * factorisation with partial pivoting done in the forward kernel.
 * Slicing functions (diagonal, diag_matrix, block, col, row, sub_col,
 * sub_row) return element references instead of recording nodes. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lib.h"

#define RULE VI_RULE

/* ---- shared helpers ---- */

static int set_shape(struct vi_ctx *c, struct vi_val *out, int base, int r, int cl,
                     const char *fname, struct vi_srcloc loc) {
  int d[2] = {r, cl};
  memset(out, 0, sizeof *out);
  if (r < 0 || cl < 0 || vi_val_set_shape(out, vi_ty(base, 0), d))
    return vi_ctx_error(c, loc, "%s: result is too large", fname);
  return VI_OK;
}

static struct vi_node *new_node(struct vi_ctx *c, const struct vi_opdef *op, int na, size_t nout,
                                const char *fname, struct vi_srcloc loc) {
  struct vi_node *n = vi_node_new(c, op, na, nout, loc);
  if (n) n->fname = fname;
  return n;
}

static int contig2(struct vi_ctx *c, struct vi_val *a, struct vi_val *b, struct vi_srcloc loc) {
  int r = vi_val_contig(c, a, loc);
  if (!r && b) r = vi_val_contig(c, b, loc);
  return r;
}

static int is_vec(const struct vi_val *v) {
  return v->t.ndims == 0 && (v->t.base == VI_T_VECTOR || v->t.base == VI_T_ROW_VECTOR);
}

static int check_square(struct vi_ctx *c, const struct vi_val *m, const char *fname,
                        struct vi_srcloc loc) {
  if (vi_val_rows(m) != vi_val_cols(m))
    return vi_ctx_error(c, loc, "%s: matrix is not square (%d x %d)", fname, vi_val_rows(m),
                        vi_val_cols(m));
  return VI_OK;
}

/* out (shape set) takes the elements idx[k] of in (SIZE_MAX: a constant 0).
 * A constant input is copied; otherwise out holds references to in's
 * elements (no node: the references follow in's values on replay). */
static int gather(struct vi_ctx *c, struct vi_val *out, struct vi_val *in, const size_t *idx,
                  struct vi_srcloc loc) {
  size_t n = out->n;
  if (in->ix && vi_val_contig(c, in, loc)) return VI_ERR_EVAL;
  if (vi_val_is_const(in)) {
    out->x = vi_arena_array(c->arena, n ? n : 1, sizeof(double));
    if (!out->x) return vi_ctx_error(c, loc, "out of memory");
    for (size_t k = 0; k < n; k++) out->x[k] = idx[k] == SIZE_MAX ? 0.0 : vi_val_get(in, idx[k]);
    return VI_OK;
  }
  double *zero = vi_arena_alloc(c->arena, sizeof(double));
  out->ref = vi_arena_array(c->arena, n ? n : 1, sizeof *out->ref);
  if (!zero || !out->ref) return vi_ctx_error(c, loc, "out of memory");
  for (size_t k = 0; k < n; k++) {
    if (idx[k] == SIZE_MAX) {
      out->ref[k].x = zero;
      out->ref[k].dx = NULL;
    } else {
      out->ref[k] = vi_val_ref(in, idx[k]);
    }
  }
  return VI_OK;
}

static size_t *new_idx(struct vi_ctx *c, size_t n, struct vi_srcloc loc) {
  size_t *p = vi_arena_array(c->arena, n ? n : 1, sizeof *p);
  if (!p) vi_ctx_error(c, loc, "out of memory");
  return p;
}

static int int_arg(const struct vi_val *v) { return v->ix ? v->ix[0] : (int)vi_val_get(v, 0); }

/* ---- dense kernels on column-major arrays ---- */

/* Solves L x = b in place (x holds b), L lower triangular N x N (upper part ignored). */
static void solve_lower(const double *L, int N, double *x) {
  for (int k = 0; k < N; k++) {
    x[k] /= L[k + (size_t)k * N];
    double xk = x[k];
    const double *col = L + (size_t)k * N;
    for (int i = k + 1; i < N; i++) x[i] -= col[i] * xk;
  }
}

/* Solves L' x = b in place, L lower triangular (upper part ignored). */
static void solve_lower_t(const double *L, int N, double *x) {
  for (int i = N - 1; i >= 0; i--) {
    const double *col = L + (size_t)i * N;
    double s = x[i];
    for (int k = i + 1; k < N; k++) s -= col[k] * x[k];
    x[i] = s / col[i];
  }
}

/* LU factorisation with partial pivoting of the N x N matrix in lu (in place):
 * P A = L U, L unit lower. piv[k] is the row swapped with row k at step k.
 * Returns 1 if a pivot is exactly zero (singular). */
static int lu_factor(double *lu, int N, double *piv) {
  int singular = 0;
  for (int k = 0; k < N; k++) {
    int p = k;
    double best = fabs(lu[k + (size_t)k * N]);
    for (int i = k + 1; i < N; i++)
      if (fabs(lu[i + (size_t)k * N]) > best) best = fabs(lu[i + (size_t)k * N]), p = i;
    piv[k] = p;
    if (p != k)
      for (int j = 0; j < N; j++) {
        double t = lu[k + (size_t)j * N];
        lu[k + (size_t)j * N] = lu[p + (size_t)j * N];
        lu[p + (size_t)j * N] = t;
      }
    double d = lu[k + (size_t)k * N];
    if (d == 0 || isnan(d)) {
      singular = 1;
      continue;
    }
    for (int i = k + 1; i < N; i++) lu[i + (size_t)k * N] /= d;
    for (int j = k + 1; j < N; j++) {
      double ukj = lu[k + (size_t)j * N];
      if (ukj == 0) continue;
      double *cj = lu + (size_t)j * N;
      const double *ck = lu + (size_t)k * N;
      for (int i = k + 1; i < N; i++) cj[i] -= ck[i] * ukj;
    }
  }
  return singular;
}

/* Solves A x = b (trans == 0) or A' x = b (trans == 1) in place with the LU of A. */
static void lu_solve(const double *lu, int N, const double *piv, double *x, int trans) {
  if (!trans) {
    for (int k = 0; k < N; k++) {
      int p = (int)piv[k];
      double t = x[k];
      x[k] = x[p];
      x[p] = t;
    }
    for (int k = 0; k < N; k++) { /* unit lower */
      const double *col = lu + (size_t)k * N;
      for (int i = k + 1; i < N; i++) x[i] -= col[i] * x[k];
    }
    for (int k = N - 1; k >= 0; k--) { /* upper */
      const double *col = lu + (size_t)k * N;
      x[k] /= col[k];
      for (int i = 0; i < k; i++) x[i] -= col[i] * x[k];
    }
  } else {
    for (int i = 0; i < N; i++) { /* U' z = b */
      const double *col = lu + (size_t)i * N;
      double s = x[i];
      for (int k = 0; k < i; k++) s -= col[k] * x[k];
      x[i] = s / col[i];
    }
    for (int i = N - 1; i >= 0; i--) { /* L' w = z, unit */
      const double *col = lu + (size_t)i * N;
      double s = x[i];
      for (int k = i + 1; k < N; k++) s -= col[k] * x[k];
      x[i] = s;
    }
    for (int k = N - 1; k >= 0; k--) {
      int p = (int)piv[k];
      double t = x[k];
      x[k] = x[p];
      x[p] = t;
    }
  }
}

/* ---- cholesky_decompose ---- */

/* L L' = A, reading the lower triangle of A; A must be symmetric
 * (|A_ij - A_ji| <= 1e-8 max(1, |A_ij|)) and positive definite.
 * Adjoint (Murray 2016): P = Phi(L' L̄) (lower triangle, halved diagonal),
 * S = L^-T P L^-1;  dA_ij += S_ij + S_ji (i > j),  dA_ii += S_ii.
 * i[0] = N; aux: 2 N^2 scratch for the backward pass. */
int vi_k_chol_fwd(struct vi_node *n) {
  int N = n->i[0];
  const double *A = n->a[0].x;
  double *L = n->y;
  for (int j = 0; j < N; j++)
    for (int i = j + 1; i < N; i++) {
      double u = A[i + (size_t)j * N], v = A[j + (size_t)i * N];
      if (!(fabs(u - v) <= 1e-8 * fmax(1.0, fmax(fabs(u), fabs(v)))))
        return vi_node_fail(n, "matrix is not symmetric");
    }
  memset(L, 0, (size_t)N * N * sizeof *L);
  for (int j = 0; j < N; j++) {
    double *cj = L + (size_t)j * N;
    for (int i = j; i < N; i++) cj[i] = A[i + (size_t)j * N];
    for (int k = 0; k < j; k++) {
      const double *ck = L + (size_t)k * N;
      double ljk = ck[j];
      for (int i = j; i < N; i++) cj[i] -= ck[i] * ljk;
    }
    if (!(cj[j] > 0)) return vi_node_fail(n, "matrix is not positive definite");
    double d = sqrt(cj[j]);
    cj[j] = d;
    for (int i = j + 1; i < N; i++) cj[i] /= d;
  }
  return 0;
}

void vi_k_chol_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0];
  const double *L = n->y, *Lb = n->dy;
  double *P = n->aux, *X = n->aux + (size_t)N * N;
  /* P = Phi(L' tril(L̄)): P_ij = sum_{k >= i} L_ki L̄_kj for i >= j */
  memset(P, 0, (size_t)N * N * sizeof *P);
  for (int j = 0; j < N; j++)
    for (int i = j; i < N; i++) {
      const double *li = L + (size_t)i * N, *bj = Lb + (size_t)j * N;
      double s = 0;
      for (int k = i; k < N; k++) s += li[k] * bj[k];
      P[i + (size_t)j * N] = i == j ? 0.5 * s : s;
    }
  /* X = L^-T P (column by column) */
  for (int j = 0; j < N; j++) solve_lower_t(L, N, P + (size_t)j * N);
  /* S' = L^-T X' */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) X[i + (size_t)j * N] = P[j + (size_t)i * N];
  for (int j = 0; j < N; j++) solve_lower_t(L, N, X + (size_t)j * N);
  /* X now holds S'; S_ij = X_ji */
  for (int j = 0; j < N; j++) {
    dA[j + (size_t)j * N] += X[j + (size_t)j * N];
    for (int i = j + 1; i < N; i++) dA[i + (size_t)j * N] += X[j + (size_t)i * N] + X[i + (size_t)j * N];
  }
}


static int fn_cholesky_decompose(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                 int nargs, int flags, struct vi_srcloc loc) {
  const char *f = "cholesky_decompose";
  if (contig2(c, &args[0], NULL, loc) || check_square(c, &args[0], f, loc)) return VI_ERR_EVAL;
  int N = vi_val_rows(&args[0]);
  if (set_shape(c, out, VI_T_MATRIX, N, N, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(CHOLESKY_DECOMPOSE), 1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  vi_node_arg(n, 0, &args[0]);
  if (vi_node_is_var(n) && c->tape && vi_node_aux(c, n, 2 * out->n)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

/* ---- triangular solves ---- */

/* y = L^-1 B (L lower N x N, B N x M; upper part of L ignored).
 * Adjoint: B̄ = L^-T Ȳ;  dB += B̄;  dL_ij -= sum_k B̄_ik Y_jk (i >= j).
 * i[0] = N, i[1] = M; aux: N M scratch. */
int vi_k_trilow_left_fwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  memcpy(n->y, n->a[1].x, (size_t)N * M * sizeof(double));
  for (int k = 0; k < M; k++) solve_lower(n->a[0].x, N, n->y + (size_t)k * N);
  return 0;
}

void vi_k_trilow_left_bwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *Bb = n->aux, *dL = n->a[0].dx, *dB = n->a[1].dx;
  memcpy(Bb, n->dy, (size_t)N * M * sizeof(double));
  for (int k = 0; k < M; k++) solve_lower_t(n->a[0].x, N, Bb + (size_t)k * N);
  if (dB)
    for (size_t k = 0; k < (size_t)N * M; k++) dB[k] += Bb[k];
  if (dL)
    for (int k = 0; k < M; k++) {
      const double *b = Bb + (size_t)k * N, *y = n->y + (size_t)k * N;
      for (int j = 0; j < N; j++)
        for (int i = j; i < N; i++) dL[i + (size_t)j * N] -= b[i] * y[j];
    }
}


/* y = B L^-1 (B M x N, L lower N x N): row r solves L' y_r' = b_r'.
 * Adjoint: B̄ = Ȳ L^-T (row r: L b̄_r' = ȳ_r');  dB += B̄;  dL_ij -= sum_r Y_ri B̄_rj (i >= j).
 * i[0] = N, i[1] = M; aux: 2 N scratch. */
int vi_k_trilow_right_fwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *t = n->aux;
  for (int r = 0; r < M; r++) {
    for (int k = 0; k < N; k++) t[k] = n->a[0].x[r + (size_t)k * M];
    solve_lower_t(n->a[1].x, N, t);
    for (int k = 0; k < N; k++) n->y[r + (size_t)k * M] = t[k];
  }
  return 0;
}

void vi_k_trilow_right_bwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *t = n->aux, *dB = n->a[0].dx, *dL = n->a[1].dx;
  for (int r = 0; r < M; r++) {
    for (int k = 0; k < N; k++) t[k] = n->dy[r + (size_t)k * M];
    solve_lower(n->a[1].x, N, t);
    if (dB)
      for (int k = 0; k < N; k++) dB[r + (size_t)k * M] += t[k];
    if (dL)
      for (int j = 0; j < N; j++)
        for (int i = j; i < N; i++) dL[i + (size_t)j * N] -= n->y[r + (size_t)i * M] * t[j];
  }
}


/* A \ B (left) or B / A (right) for a square A (N x N): one node of op,
 * with scratch for the LU factorisation (lu) or the triangular solve. */
static int solve(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, const char *f,
                 const struct vi_opdef *op, int left, int lu, struct vi_srcloc loc) {
  struct vi_val *A = &args[left ? 0 : 1], *B = &args[left ? 1 : 0];
  if (contig2(c, &args[0], &args[1], loc) || check_square(c, A, f, loc)) return VI_ERR_EVAL;
  int N = vi_val_rows(A), M = left ? vi_val_cols(B) : vi_val_rows(B);
  if (left && vi_val_rows(B) != N)
    return vi_ctx_error(c, loc, "%s: sizes do not match (%d x %d matrix and %d rows)", f, N, N,
                        vi_val_rows(B));
  if (!left && vi_val_cols(B) != N)
    return vi_ctx_error(c, loc, "%s: sizes do not match (%d columns and %d x %d matrix)", f,
                        vi_val_cols(B), N, N);
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, B);
  struct vi_node *n = new_node(c, op, 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  n->i[1] = M;
  vi_node_arg(n, 0, &args[0]);
  vi_node_arg(n, 1, &args[1]);
  size_t nn = (size_t)N * (size_t)N, aux = left ? (lu ? nn + N + out->n : out->n)
                                                : (lu ? nn + N + out->n + N : 2 * (size_t)N);
  if (vi_node_aux(c, n, aux)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

static int fn_mdivide_left_tri_low(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                   int nargs, int flags, struct vi_srcloc loc) {
  return solve(c, out, args, "mdivide_left_tri_low", VI_OPDEF(MDIVIDE_LEFT_TRI_LOW), 1, 0, loc);
}


static int fn_mdivide_right_tri_low(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                    int nargs, int flags, struct vi_srcloc loc) {
  return solve(c, out, args, "mdivide_right_tri_low", VI_OPDEF(MDIVIDE_RIGHT_TRI_LOW), 0, 0, loc);
}

/* ---- LU-based: mdivide_left, inverse, log_determinant, determinant ---- */

/* y = A^-1 B (A N x N, B N x M), LU with partial pivoting.
 * Adjoint: B̄ = A^-T Ȳ;  dB += B̄;  dA -= B̄ Y'.
 * i[0] = N, i[1] = M; aux: LU (N^2), pivots (N), B̄ (N M). */
int vi_k_mdl_fwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *lu = n->aux, *piv = lu + (size_t)N * N;
  memcpy(lu, n->a[0].x, (size_t)N * N * sizeof(double));
  if (lu_factor(lu, N, piv)) return vi_node_fail(n, "matrix is singular");
  memcpy(n->y, n->a[1].x, (size_t)N * M * sizeof(double));
  for (int k = 0; k < M; k++) lu_solve(lu, N, piv, n->y + (size_t)k * N, 0);
  return 0;
}

void vi_k_mdl_bwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *lu = n->aux, *piv = lu + (size_t)N * N, *Bb = piv + N;
  double *dA = n->a[0].dx, *dB = n->a[1].dx;
  memcpy(Bb, n->dy, (size_t)N * M * sizeof(double));
  for (int k = 0; k < M; k++) lu_solve(lu, N, piv, Bb + (size_t)k * N, 1);
  if (dB)
    for (size_t k = 0; k < (size_t)N * M; k++) dB[k] += Bb[k];
  if (dA)
    for (int k = 0; k < M; k++)
      for (int j = 0; j < N; j++) {
        double yj = n->y[j + (size_t)k * N];
        for (int i = 0; i < N; i++) dA[i + (size_t)j * N] -= Bb[i + (size_t)k * N] * yj;
      }
}


static int fn_mdivide_left(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                           int flags, struct vi_srcloc loc) {
  return solve(c, out, args, "mdivide_left", VI_OPDEF(MDIVIDE_LEFT), 1, 1, loc);
}

/* y = B A^-1 (B M x N, A N x N): each row solves A' y_r' = b_r'.
 * Adjoint: B̄ = Ȳ A^-T (rows solve A b̄_r' = ȳ_r');  dB += B̄;  dA -= Y' B̄.
 * i[0] = N, i[1] = M; aux: LU (N^2), pivots (N), B̄ (M N), scratch (N). */
int vi_k_mdr_fwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *lu = n->aux, *piv = lu + (size_t)N * N, *t = piv + N + (size_t)N * M;
  memcpy(lu, n->a[1].x, (size_t)N * N * sizeof(double));
  if (lu_factor(lu, N, piv)) return vi_node_fail(n, "matrix is singular");
  for (int r = 0; r < M; r++) {
    for (int k = 0; k < N; k++) t[k] = n->a[0].x[r + (size_t)k * M];
    lu_solve(lu, N, piv, t, 1);
    for (int k = 0; k < N; k++) n->y[r + (size_t)k * M] = t[k];
  }
  return 0;
}

void vi_k_mdr_bwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  double *lu = n->aux, *piv = lu + (size_t)N * N, *Bb = piv + N, *t = Bb + (size_t)N * M;
  double *dB = n->a[0].dx, *dA = n->a[1].dx;
  for (int r = 0; r < M; r++) {
    for (int k = 0; k < N; k++) t[k] = n->dy[r + (size_t)k * M];
    lu_solve(lu, N, piv, t, 0);
    for (int k = 0; k < N; k++) Bb[r + (size_t)k * M] = t[k];
  }
  if (dB)
    for (size_t k = 0; k < (size_t)N * M; k++) dB[k] += Bb[k];
  if (dA)
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) {
        double s = 0;
        for (int r = 0; r < M; r++) s += n->y[r + (size_t)i * M] * Bb[r + (size_t)j * M];
        dA[i + (size_t)j * N] -= s;
      }
}


static int fn_mdivide_right(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                            int flags, struct vi_srcloc loc) {
  return solve(c, out, args, "mdivide_right", VI_OPDEF(MDIVIDE_RIGHT), 0, 1, loc);
}

/* y = A^-1.  Adjoint: dA -= Y' Ȳ Y'.  i[0] = N; aux: LU (N^2), pivots (N), scratch N^2. */
int vi_k_inverse_fwd(struct vi_node *n) {
  int N = n->i[0];
  double *lu = n->aux, *piv = lu + (size_t)N * N;
  memcpy(lu, n->a[0].x, (size_t)N * N * sizeof(double));
  if (lu_factor(lu, N, piv)) return vi_node_fail(n, "matrix is singular");
  memset(n->y, 0, (size_t)N * N * sizeof(double));
  for (int k = 0; k < N; k++) {
    n->y[k + (size_t)k * N] = 1;
    lu_solve(lu, N, piv, n->y + (size_t)k * N, 0);
  }
  return 0;
}

void vi_k_inverse_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0];
  const double *Y = n->y, *Yb = n->dy;
  double *T = n->aux + (size_t)N * N + N; /* T = Ȳ Y' */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int k = 0; k < N; k++) s += Yb[i + (size_t)k * N] * Y[j + (size_t)k * N];
      T[i + (size_t)j * N] = s;
    }
  /* dA -= Y' T */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      const double *yi = Y + (size_t)i * N, *tj = T + (size_t)j * N;
      for (int k = 0; k < N; k++) s += yi[k] * tj[k];
      dA[i + (size_t)j * N] -= s;
    }
}


/* y = log |det A| (i[1] == 0) or det A (i[1] == 1), from the LU of A.
 * Adjoint: dA += ȳ A^-T (log) or ȳ y A^-T (det); a singular A gives
 * -inf / 0 and no derivative. i[0] = N; aux: LU (N^2), pivots (N), scratch N. */
int vi_k_logdet_fwd(struct vi_node *n) {
  int N = n->i[0];
  double *lu = n->aux, *piv = lu + (size_t)N * N;
  memcpy(lu, n->a[0].x, (size_t)N * N * sizeof(double));
  int singular = lu_factor(lu, N, piv);
  double s = 0, sign = 1;
  for (int k = 0; k < N; k++) {
    double d = lu[k + (size_t)k * N];
    if ((int)piv[k] != k) sign = -sign;
    if (d < 0) sign = -sign;
    s += log(fabs(d));
  }
  if (singular) s = -INFINITY;
  n->y[0] = n->i[1] ? (singular ? 0.0 : sign * exp(s)) : s;
  n->c[0] = singular;
  return 0;
}

void vi_k_logdet_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA || n->c[0] != 0) return;
  int N = n->i[0];
  double *lu = n->aux, *piv = lu + (size_t)N * N, *t = piv + N;
  double g = n->i[1] ? n->dy[0] * n->y[0] : n->dy[0];
  /* row j of A^-T is column j of A^-1... column j of A^-T solves A' x = e_j */
  for (int j = 0; j < N; j++) {
    memset(t, 0, (size_t)N * sizeof *t);
    t[j] = 1;
    lu_solve(lu, N, piv, t, 1);
    for (int i = 0; i < N; i++) dA[i + (size_t)j * N] += g * t[i];
  }
}


static int lu_unary(struct vi_ctx *c, struct vi_val *out, struct vi_val *A, const char *f,
                    int kind, struct vi_srcloc loc) {
  if (contig2(c, A, NULL, loc) || check_square(c, A, f, loc)) return VI_ERR_EVAL;
  int N = vi_val_rows(A);
  if (kind == 0) {
    if (set_shape(c, out, VI_T_MATRIX, N, N, f, loc)) return VI_ERR_EVAL;
  } else {
    memset(out, 0, sizeof *out);
    vi_val_set_shape(out, vi_ty(VI_T_REAL, 0), NULL);
  }
  struct vi_node *n = new_node(c, kind == 0 ? VI_OPDEF(INVERSE) : VI_OPDEF(LOG_DETERMINANT), 1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  n->i[1] = kind == 2;
  vi_node_arg(n, 0, A);
  if (vi_node_aux(c, n, 2 * (size_t)N * N + N)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

static int fn_inverse(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                      int flags, struct vi_srcloc loc) {
  return lu_unary(c, out, &args[0], "inverse", 0, loc);
}
static int fn_log_determinant(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                              int nargs, int flags, struct vi_srcloc loc) {
  return lu_unary(c, out, &args[0], "log_determinant", 1, loc);
}
static int fn_determinant(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                          int flags, struct vi_srcloc loc) {
  return lu_unary(c, out, &args[0], "determinant", 2, loc);
}

/* ---- products ---- */

/* i[2] == 0, crossprod: y = A'A (A R x C, y C x C);  dA += A (Ȳ + Ȳ').
 * i[2] == 1, tcrossprod: y = A A' (y R x R);  dA += (Ȳ + Ȳ') A.
 * i[2] == 2, multiply_lower_tri_self_transpose: T = tril(A), y = T T';
 *            dA += tril((Ȳ + Ȳ') T).
 * i[0] = R, i[1] = C. */
static double xprod_at(const struct vi_node *n, int i, int j) {
  int R = n->i[0];
  const double *A = n->a[0].x;
  if (n->i[2] == 2 && j > i) return 0;
  return A[i + (size_t)j * R];
}

int vi_k_xprod_fwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], kind = n->i[2];
  int K = kind == 0 ? C : R;
  for (int j = 0; j < K; j++)
    for (int i = j; i < K; i++) {
      double s = 0;
      if (kind == 0) {
        const double *ai = n->a[0].x + (size_t)i * R, *aj = n->a[0].x + (size_t)j * R;
        for (int k = 0; k < R; k++) s += ai[k] * aj[k];
      } else {
        for (int k = 0; k < C; k++) s += xprod_at(n, i, k) * xprod_at(n, j, k);
      }
      n->y[i + (size_t)j * K] = n->y[j + (size_t)i * K] = s;
    }
  return 0;
}

void vi_k_xprod_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int R = n->i[0], C = n->i[1], kind = n->i[2];
  int K = kind == 0 ? C : R;
  const double *Yb = n->dy;
  for (int j = 0; j < C; j++)
    for (int i = 0; i < R; i++) {
      if (kind == 2 && j > i) continue;
      double s = 0;
      if (kind == 0) /* (A (Ȳ + Ȳ'))_ij = sum_k A_ik (Ȳ_kj + Ȳ_jk) */
        for (int k = 0; k < C; k++)
          s += xprod_at(n, i, k) * (Yb[k + (size_t)j * K] + Yb[j + (size_t)k * K]);
      else /* ((Ȳ + Ȳ') T)_ij = sum_k (Ȳ_ik + Ȳ_ki) T_kj */
        for (int k = 0; k < R; k++)
          s += (Yb[i + (size_t)k * K] + Yb[k + (size_t)i * K]) * xprod_at(n, k, j);
      dA[i + (size_t)j * R] += s;
    }
}


static int xprod(struct vi_ctx *c, struct vi_val *out, struct vi_val *A, int kind, const char *f,
                 struct vi_srcloc loc) {
  if (contig2(c, A, NULL, loc)) return VI_ERR_EVAL;
  int R = vi_val_rows(A), C = vi_val_cols(A);
  int K = kind == 0 ? C : R;
  if (set_shape(c, out, VI_T_MATRIX, K, K, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(CROSSPROD), 1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = R;
  n->i[1] = C;
  n->i[2] = kind;
  vi_node_arg(n, 0, A);
  return vi_node_run(c, n, out);
}

static int fn_crossprod(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                        int flags, struct vi_srcloc loc) {
  return xprod(c, out, &args[0], 0, "crossprod", loc);
}
static int fn_tcrossprod(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                         int flags, struct vi_srcloc loc) {
  return xprod(c, out, &args[0], 1, "tcrossprod", loc);
}
static int fn_multiply_lower_tri_self_transpose(struct vi_ctx *c, struct vi_val *out,
                                                struct vi_val *args, int nargs, int flags,
                                                struct vi_srcloc loc) {
  return xprod(c, out, &args[0], 2, "multiply_lower_tri_self_transpose", loc);
}

/* y = B' A B (A N x N, B N x M; y M x M, or a scalar when B is a vector).
 * quad_form_sym (i[2] = 1) symmetrises: y = (y + y')/2, so Ȳ -> (Ȳ + Ȳ')/2.
 * Adjoint: with C = A B and T = B Ȳ:  dA += T B',  dB += C Ȳ' + A' T.
 * i[0] = N, i[1] = M; aux: C (N M), T (N M). */
static double qf_yb(const struct vi_node *n, int k, int l) {
  int M = n->i[1];
  if (!n->i[2]) return n->dy[k + (size_t)l * M];
  return 0.5 * (n->dy[k + (size_t)l * M] + n->dy[l + (size_t)k * M]);
}

int vi_k_qf_fwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  const double *A = n->a[0].x, *B = n->a[1].x;
  double *C = n->aux;
  if (n->i[2])
    for (int j = 0; j < N; j++)
      for (int i = j + 1; i < N; i++) {
        double u = A[i + (size_t)j * N], v = A[j + (size_t)i * N];
        if (!(fabs(u - v) <= 1e-8 * fmax(1.0, fmax(fabs(u), fabs(v)))))
          return vi_node_fail(n, "matrix is not symmetric");
      }
  for (int l = 0; l < M; l++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int k = 0; k < N; k++) s += A[i + (size_t)k * N] * B[k + (size_t)l * N];
      C[i + (size_t)l * N] = s;
    }
  for (int l = 0; l < M; l++)
    for (int k = 0; k < M; k++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += B[i + (size_t)k * N] * C[i + (size_t)l * N];
      n->y[k + (size_t)l * M] = s;
    }
  if (n->i[2])
    for (int l = 0; l < M; l++)
      for (int k = l + 1; k < M; k++) {
        double s = 0.5 * (n->y[k + (size_t)l * M] + n->y[l + (size_t)k * M]);
        n->y[k + (size_t)l * M] = n->y[l + (size_t)k * M] = s;
      }
  return 0;
}

void vi_k_qf_bwd(struct vi_node *n) {
  int N = n->i[0], M = n->i[1];
  const double *A = n->a[0].x, *B = n->a[1].x, *C = n->aux;
  double *T = n->aux + (size_t)N * M, *dA = n->a[0].dx, *dB = n->a[1].dx;
  for (int l = 0; l < M; l++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int k = 0; k < M; k++) s += B[i + (size_t)k * N] * qf_yb(n, k, l);
      T[i + (size_t)l * N] = s;
    }
  if (dA)
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) {
        double s = 0;
        for (int l = 0; l < M; l++) s += T[i + (size_t)l * N] * B[j + (size_t)l * N];
        dA[i + (size_t)j * N] += s;
      }
  if (dB)
    for (int k = 0; k < M; k++)
      for (int i = 0; i < N; i++) {
        double s = 0;
        for (int l = 0; l < M; l++) s += C[i + (size_t)l * N] * qf_yb(n, k, l);
        for (int j = 0; j < N; j++) s += A[j + (size_t)i * N] * T[j + (size_t)k * N];
        dB[i + (size_t)k * N] += s;
      }
}


static int quad_form(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int sym,
                     const char *f, struct vi_srcloc loc) {
  struct vi_val *A = &args[0], *B = &args[1];
  if (contig2(c, A, B, loc) || check_square(c, A, f, loc)) return VI_ERR_EVAL;
  int N = vi_val_rows(A), M = vi_val_cols(B);
  if (vi_val_rows(B) != N)
    return vi_ctx_error(c, loc, "%s: sizes do not match (%d x %d matrix and %d rows)", f, N, N,
                        vi_val_rows(B));
  if (B->t.base == VI_T_VECTOR) {
    memset(out, 0, sizeof *out);
    vi_val_set_shape(out, vi_ty(VI_T_REAL, 0), NULL);
  } else if (set_shape(c, out, VI_T_MATRIX, M, M, f, loc)) {
    return VI_ERR_EVAL;
  }
  struct vi_node *n = new_node(c, VI_OPDEF(QUAD_FORM), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  n->i[1] = M;
  n->i[2] = sym;
  vi_node_arg(n, 0, A);
  vi_node_arg(n, 1, B);
  if (vi_node_aux(c, n, 2 * (size_t)N * M)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

static int fn_quad_form(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                        int flags, struct vi_srcloc loc) {
  return quad_form(c, out, args, 0, "quad_form", loc);
}
static int fn_quad_form_sym(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                            int flags, struct vi_srcloc loc) {
  return quad_form(c, out, args, 1, "quad_form_sym", loc);
}

/* ---- gp_exp_quad_cov ---- */

/* K_ij = alpha^2 exp(-|x1_i - x2_j|^2 / (2 rho^2)) for N1 points x1 and N2
 * points x2 of dimension D (the one-argument form passes x twice).
 * Adjoint, with g = K̄_ij K_ij and d = x1_i - x2_j:
 *   dalpha += 2 g / alpha,  drho += g |d|^2 / rho^3,
 *   dx1_i -= g d / rho^2,   dx2_j += g d / rho^2.
 * i[0] = N1, i[1] = N2, i[2] = D. Operands: x1, x2, alpha, rho. */
int vi_k_gp_fwd(struct vi_node *n) {
  int N1 = n->i[0], N2 = n->i[1], D = n->i[2];
  const double *x1 = n->a[0].x, *x2 = n->a[1].x;
  double alpha = n->a[2].x[0], rho = n->a[3].x[0];
  if (!(alpha > 0)) return vi_node_fail(n, "magnitude is %g, must be positive", alpha);
  if (!(rho > 0)) return vi_node_fail(n, "length scale is %g, must be positive", rho);
  for (size_t k = 0; k < (size_t)N1 * D; k++)
    if (isnan(x1[k])) return vi_node_fail(n, "x is nan");
  for (size_t k = 0; k < (size_t)N2 * D; k++)
    if (isnan(x2[k])) return vi_node_fail(n, "x is nan");
  double a2 = alpha * alpha, s = -0.5 / (rho * rho);
  for (int j = 0; j < N2; j++)
    for (int i = 0; i < N1; i++) {
      double d2 = 0;
      for (int k = 0; k < D; k++) {
        double d = x1[(size_t)i * D + k] - x2[(size_t)j * D + k];
        d2 += d * d;
      }
      n->y[i + (size_t)j * N1] = a2 * exp(s * d2);
    }
  return 0;
}

void vi_k_gp_bwd(struct vi_node *n) {
  int N1 = n->i[0], N2 = n->i[1], D = n->i[2];
  const double *x1 = n->a[0].x, *x2 = n->a[1].x;
  double *dx1 = n->a[0].dx, *dx2 = n->a[1].dx;
  double alpha = n->a[2].x[0], rho = n->a[3].x[0];
  double ga = 0, gr = 0, ir2 = 1 / (rho * rho);
  for (int j = 0; j < N2; j++)
    for (int i = 0; i < N1; i++) {
      double g = n->dy[i + (size_t)j * N1] * n->y[i + (size_t)j * N1];
      if (g == 0) continue;
      double d2 = 0;
      for (int k = 0; k < D; k++) {
        double d = x1[(size_t)i * D + k] - x2[(size_t)j * D + k];
        d2 += d * d;
        if (dx1) dx1[(size_t)i * D + k] -= g * d * ir2;
        if (dx2) dx2[(size_t)j * D + k] += g * d * ir2;
      }
      ga += g;
      gr += g * d2;
    }
  if (n->a[2].dx) n->a[2].dx[0] += 2 * ga / alpha;
  if (n->a[3].dx) n->a[3].dx[0] += gr * ir2 / rho;
}


static int fn_gp_exp_quad_cov(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                              int nargs, int flags, struct vi_srcloc loc) {
  const char *f = "gp_exp_quad_cov";
  struct vi_val *x1 = &args[0], *x2 = nargs == 4 ? &args[1] : &args[0];
  struct vi_val *al = &args[nargs - 2], *rh = &args[nargs - 1];
  if (contig2(c, x1, x2, loc) || contig2(c, al, rh, loc)) return VI_ERR_EVAL;
  int N1 = x1->dim[0], N2 = x2->dim[0];
  int D1 = x1->t.base == VI_T_REAL ? 1 : x1->dim[1], D2 = x2->t.base == VI_T_REAL ? 1 : x2->dim[1];
  if (N1 == 0 || N2 == 0) D1 = D2; /* empty arrays carry no dimension */
  if (D1 != D2)
    return vi_ctx_error(c, loc, "%s: points have different sizes (%d and %d)", f, D1, D2);
  if (set_shape(c, out, VI_T_MATRIX, N1, N2, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(GP_EXP_QUAD_COV), 4, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N1;
  n->i[1] = N2;
  n->i[2] = D1;
  vi_node_arg(n, 0, x1);
  vi_node_arg(n, 1, x2);
  vi_node_arg(n, 2, al);
  vi_node_arg(n, 3, rh);
  return vi_node_run(c, n, out);
}

/* ---- add_diag, diag_pre_multiply, diag_post_multiply, trace ---- */

/* y = A with y_kk += d_k (or d for a scalar), k < min(R, C).
 * Adjoint: dA += Ȳ;  dd_k += Ȳ_kk (scalar d: sum). i[0] = R, i[1] = C. */
int vi_k_adddiag_fwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], K = R < C ? R : C;
  memcpy(n->y, n->a[0].x, n->n * sizeof(double));
  for (int k = 0; k < K; k++) n->y[k + (size_t)k * R] += n->a[1].x[n->a[1].n == 1 ? 0 : k];
  return 0;
}

void vi_k_adddiag_bwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], K = R < C ? R : C;
  if (n->a[0].dx)
    for (size_t k = 0; k < n->n; k++) n->a[0].dx[k] += n->dy[k];
  if (n->a[1].dx)
    for (int k = 0; k < K; k++) n->a[1].dx[n->a[1].n == 1 ? 0 : k] += n->dy[k + (size_t)k * R];
}


static int fn_add_diag(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                       int flags, struct vi_srcloc loc) {
  const char *f = "add_diag";
  struct vi_val *A = &args[0], *d = &args[1];
  if (contig2(c, A, d, loc)) return VI_ERR_EVAL;
  int R = vi_val_rows(A), C = vi_val_cols(A), K = R < C ? R : C;
  if (is_vec(d) && d->n != (size_t)K)
    return vi_ctx_error(c, loc, "%s: sizes do not match (diagonal of %d and %zu)", f, K, d->n);
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, A);
  struct vi_node *n = new_node(c, VI_OPDEF(ADD_DIAG), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = R;
  n->i[1] = C;
  vi_node_arg(n, 0, A);
  vi_node_arg(n, 1, d);
  return vi_node_run(c, n, out);
}

/* i[2] == 0, diag_pre_multiply: y_ij = v_i M_ij;  dv_i += sum_j Ȳ_ij M_ij,  dM_ij += Ȳ_ij v_i.
 * i[2] == 1, diag_post_multiply: y_ij = M_ij v_j (same with j).
 * Operands: v, M; i[0] = R, i[1] = C. */
int vi_k_diagmul_fwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], post = n->i[2];
  const double *v = n->a[0].x, *M = n->a[1].x;
  for (int j = 0; j < C; j++)
    for (int i = 0; i < R; i++) n->y[i + (size_t)j * R] = M[i + (size_t)j * R] * v[post ? j : i];
  return 0;
}

void vi_k_diagmul_bwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], post = n->i[2];
  const double *v = n->a[0].x, *M = n->a[1].x;
  double *dv = n->a[0].dx, *dM = n->a[1].dx;
  for (int j = 0; j < C; j++)
    for (int i = 0; i < R; i++) {
      size_t k = i + (size_t)j * R;
      int vi = post ? j : i;
      if (dv) dv[vi] += n->dy[k] * M[k];
      if (dM) dM[k] += n->dy[k] * v[vi];
    }
}


static int diagmul(struct vi_ctx *c, struct vi_val *out, struct vi_val *v, struct vi_val *M,
                   int post, const char *f, struct vi_srcloc loc) {
  if (contig2(c, v, M, loc)) return VI_ERR_EVAL;
  int R = vi_val_rows(M), C = vi_val_cols(M);
  if (v->n != (size_t)(post ? C : R))
    return vi_ctx_error(c, loc, "%s: sizes do not match (%zu and %d %s)", f, v->n, post ? C : R,
                        post ? "columns" : "rows");
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, M);
  struct vi_node *n = new_node(c, VI_OPDEF(DIAG_PRE_MULTIPLY), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = R;
  n->i[1] = C;
  n->i[2] = post;
  vi_node_arg(n, 0, v);
  vi_node_arg(n, 1, M);
  return vi_node_run(c, n, out);
}

static int fn_diag_pre_multiply(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                int nargs, int flags, struct vi_srcloc loc) {
  return diagmul(c, out, &args[0], &args[1], 0, "diag_pre_multiply", loc);
}
static int fn_diag_post_multiply(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                                 int nargs, int flags, struct vi_srcloc loc) {
  return diagmul(c, out, &args[1], &args[0], 1, "diag_post_multiply", loc);
}

/* y = sum_k A_kk;  dA_kk += ȳ.  i[0] = R, i[1] = C. */
int vi_k_trace_fwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], K = R < C ? R : C;
  double s = 0;
  for (int k = 0; k < K; k++) s += n->a[0].x[k + (size_t)k * R];
  n->y[0] = s;
  return 0;
}
void vi_k_trace_bwd(struct vi_node *n) {
  int R = n->i[0], C = n->i[1], K = R < C ? R : C;
  if (n->a[0].dx)
    for (int k = 0; k < K; k++) n->a[0].dx[k + (size_t)k * R] += n->dy[0];
}

static int fn_trace(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                    int flags, struct vi_srcloc loc) {
  if (contig2(c, &args[0], NULL, loc)) return VI_ERR_EVAL;
  memset(out, 0, sizeof *out);
  vi_val_set_shape(out, vi_ty(VI_T_REAL, 0), NULL);
  struct vi_node *n = new_node(c, VI_OPDEF(TRACE), 1, 1, "trace", loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = vi_val_rows(&args[0]);
  n->i[1] = vi_val_cols(&args[0]);
  vi_node_arg(n, 0, &args[0]);
  return vi_node_run(c, n, out);
}

/* ---- references: diag_matrix, diagonal, block, col, row, sub_col, sub_row ---- */

static int fn_diag_matrix(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                          int flags, struct vi_srcloc loc) {
  int N = (int)args[0].n;
  if (set_shape(c, out, VI_T_MATRIX, N, N, "diag_matrix", loc)) return VI_ERR_EVAL;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (size_t k = 0; k < out->n; k++) idx[k] = SIZE_MAX;
  for (int k = 0; k < N; k++) idx[k + (size_t)k * N] = (size_t)k;
  return gather(c, out, &args[0], idx, loc);
}

static int fn_diagonal(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                       int flags, struct vi_srcloc loc) {
  int R = vi_val_rows(&args[0]), C = vi_val_cols(&args[0]), K = R < C ? R : C;
  if (set_shape(c, out, VI_T_VECTOR, K, 0, "diagonal", loc)) return VI_ERR_EVAL;
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (int k = 0; k < K; k++) idx[k] = k + (size_t)k * R;
  return gather(c, out, &args[0], idx, loc);
}

/* Copies the rows i0..i0+nr-1 and columns j0..j0+nc-1 (0-based) of M into out
 * (shape already set), after checking the 1-based request against M. */
static int sub_block(struct vi_ctx *c, struct vi_val *out, struct vi_val *M, int i, int j, int nr,
                     int nc, const char *f, struct vi_srcloc loc) {
  int R = vi_val_rows(M), C = vi_val_cols(M);
  if (i < 1 || i > R) return vi_ctx_error(c, loc, "%s: row %d is out of range (1 to %d)", f, i, R);
  if (j < 1 || j > C)
    return vi_ctx_error(c, loc, "%s: column %d is out of range (1 to %d)", f, j, C);
  if (nr < 0 || nc < 0) return vi_ctx_error(c, loc, "%s: size %d is negative", f, nr < 0 ? nr : nc);
  if (i - 1 + nr > R)
    return vi_ctx_error(c, loc, "%s: row %d plus %d rows exceeds the %d rows", f, i, nr, R);
  if (j - 1 + nc > C)
    return vi_ctx_error(c, loc, "%s: column %d plus %d columns exceeds the %d columns", f, j, nc,
                        C);
  size_t *idx = new_idx(c, out->n, loc);
  if (!idx) return VI_ERR_NOMEM;
  for (int b = 0; b < nc; b++)
    for (int a = 0; a < nr; a++) idx[a + (size_t)b * nr] = (i - 1 + a) + (size_t)(j - 1 + b) * R;
  return gather(c, out, M, idx, loc);
}

static int fn_block(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                    int flags, struct vi_srcloc loc) {
  int nr = int_arg(&args[3]), nc = int_arg(&args[4]);
  if (set_shape(c, out, VI_T_MATRIX, nr < 0 ? 0 : nr, nc < 0 ? 0 : nc, "block", loc))
    return VI_ERR_EVAL;
  return sub_block(c, out, &args[0], int_arg(&args[1]), int_arg(&args[2]), nr, nc, "block", loc);
}

static int fn_col(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                  struct vi_srcloc loc) {
  int R = vi_val_rows(&args[0]);
  if (set_shape(c, out, VI_T_VECTOR, R, 0, "col", loc)) return VI_ERR_EVAL;
  return sub_block(c, out, &args[0], 1, int_arg(&args[1]), R, 1, "col", loc);
}

static int fn_row(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                  struct vi_srcloc loc) {
  int C = vi_val_cols(&args[0]);
  if (set_shape(c, out, VI_T_ROW_VECTOR, C, 0, "row", loc)) return VI_ERR_EVAL;
  return sub_block(c, out, &args[0], int_arg(&args[1]), 1, 1, C, "row", loc);
}

static int fn_sub_col(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                      int flags, struct vi_srcloc loc) {
  int k = int_arg(&args[3]);
  if (set_shape(c, out, VI_T_VECTOR, k < 0 ? 0 : k, 0, "sub_col", loc)) return VI_ERR_EVAL;
  return sub_block(c, out, &args[0], int_arg(&args[1]), int_arg(&args[2]), k, 1, "sub_col", loc);
}

static int fn_sub_row(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                      int flags, struct vi_srcloc loc) {
  int k = int_arg(&args[3]);
  if (set_shape(c, out, VI_T_ROW_VECTOR, k < 0 ? 0 : k, 0, "sub_row", loc)) return VI_ERR_EVAL;
  return sub_block(c, out, &args[0], int_arg(&args[1]), int_arg(&args[2]), 1, k, "sub_row", loc);
}

static int fn_identity_matrix(struct vi_ctx *c, struct vi_val *out, struct vi_val *args,
                              int nargs, int flags, struct vi_srcloc loc) {
  int N = int_arg(&args[0]);
  if (N < 0) return vi_ctx_error(c, loc, "identity_matrix: size %d is negative", N);
  int d[2] = {N, N};
  if (vi_val_new_real(c, out, vi_ty(VI_T_MATRIX, 0), d))
    return vi_ctx_error(c, loc, "identity_matrix: result is too large");
  for (int k = 0; k < N; k++) out->x[k + (size_t)k * N] = 1;
  return VI_OK;
}

/* ---- type rules ---- */

RULE(mat_to_mat, {1, {M_}, M_})
RULE(mat_to_real, {1, {M_}, R_})
RULE(mat_to_vec, {1, {M_}, V_})
RULE(vec_to_mat, {1, {V_}, M_}, {1, {RV_}, M_})
RULE(tri_left, {2, {M_, V_}, V_}, {2, {M_, M_}, M_})
RULE(tri_right, {2, {RV_, M_}, RV_}, {2, {M_, M_}, M_})
RULE(quad_form, {2, {M_, V_}, R_}, {2, {M_, M_}, M_})
RULE(gp, {3, {AR_, R_, R_}, M_}, {3, {AV_, R_, R_}, M_}, {4, {AR_, AR_, R_, R_}, M_},
     {4, {AV_, AV_, R_, R_}, M_})
RULE(add_diag, {2, {M_, R_}, M_}, {2, {M_, V_}, M_}, {2, {M_, RV_}, M_})
RULE(diag_pre, {2, {V_, M_}, M_}, {2, {RV_, M_}, M_})
RULE(diag_post, {2, {M_, V_}, M_}, {2, {M_, RV_}, M_})
RULE(block, {5, {M_, I_, I_, I_, I_}, M_})
RULE(col, {2, {M_, I_}, V_})
RULE(row, {2, {M_, I_}, RV_})
RULE(sub_col, {4, {M_, I_, I_, I_}, V_})
RULE(sub_row, {4, {M_, I_, I_, I_}, RV_})
RULE(identity, {1, {I_}, M_})

/* The matrix part of the standard library. */
const struct vi_func vi_stdlib_matrix[] = {
    {"cholesky_decompose", rule_mat_to_mat, fn_cholesky_decompose, "(matrix) => matrix", 0,
     "spd3; spd5; spd1; !m2x3[-1,1]"},
    {"gp_exp_quad_cov", rule_gp, fn_gp_exp_quad_cov,
     "(array[] real, real, real) => matrix; (array[] vector, real, real) => matrix; "
     "(array[] real, array[] real, real, real) => matrix; "
     "(array[] vector, array[] vector, real, real) => matrix",
     0,
     "d:a4[-2,2],r[0.5,2],r[0.5,2]; a4[-2,2],r[0.5,2],r[0.5,2]; "
     "a3[-2,2],a2[-2,2],r[0.5,2],r[0.5,2]; !a3[-2,2],r[-2,-0.5],r[0.5,2]; "
     "!a3[-2,2],r[0.5,2],r[-2,-0.5]"},
    {"add_diag", rule_add_diag, fn_add_diag,
     "(matrix, real) => matrix; (matrix, vector) => matrix; (matrix, row_vector) => matrix", 0,
     "m3x3[-1,1],r[-1,1]; m3x3[-1,1],v3[-1,1]; m2x3[-1,1],rv2[-1,1]; !m3x3[-1,1],v2[-1,1]"},
    {"mdivide_left_tri_low", rule_tri_left, fn_mdivide_left_tri_low,
     "(matrix, vector) => vector; (matrix, matrix) => matrix", 0,
     "chol3,v3[-1,1]; chol3,m3x2[-1,1]; !chol3,v2[-1,1]"},
    {"mdivide_right_tri_low", rule_tri_right, fn_mdivide_right_tri_low,
     "(row_vector, matrix) => row_vector; (matrix, matrix) => matrix", 0,
     "rv3[-1,1],chol3; m2x3[-1,1],chol3; !rv2[-1,1],chol3"},
    {"mdivide_left", rule_tri_left, fn_mdivide_left,
     "(matrix, vector) => vector; (matrix, matrix) => matrix", 0,
     "spd3,v3[-1,1]; spd3,m3x2[-1,1]; m3x3[-1,1],v3[-1,1]; !spd3,v2[-1,1]"},
    {"mdivide_right", rule_tri_right, fn_mdivide_right,
     "(row_vector, matrix) => row_vector; (matrix, matrix) => matrix", 0,
     "rv3[-1,1],spd3; m2x3[-1,1],spd3; rv3[-1,1],m3x3[-1,1]; !rv2[-1,1],spd3"},
    {"inverse", rule_mat_to_mat, fn_inverse, "(matrix) => matrix", 0,
     "spd3; m3x3[-1,1]; !m2x3[-1,1]"},
    {"log_determinant", rule_mat_to_real, fn_log_determinant, "(matrix) => real", 0,
     "spd3; m3x3[-1,1]; !m2x3[-1,1]"},
    {"determinant", rule_mat_to_real, fn_determinant, "(matrix) => real", 0,
     "spd3; m3x3[-1,1]"},
    {"crossprod", rule_mat_to_mat, fn_crossprod, "(matrix) => matrix", 0,
     "m3x2[-1,1]; m2x3[-1,1]"},
    {"tcrossprod", rule_mat_to_mat, fn_tcrossprod, "(matrix) => matrix", 0,
     "m3x2[-1,1]; m2x3[-1,1]"},
    {"multiply_lower_tri_self_transpose", rule_mat_to_mat, fn_multiply_lower_tri_self_transpose,
     "(matrix) => matrix", 0, "m3x3[-1,1]; m3x2[-1,1]; m2x3[-1,1]"},
    {"quad_form", rule_quad_form, fn_quad_form,
     "(matrix, vector) => real; (matrix, matrix) => matrix", 0,
     "m3x3[-1,1],v3[-1,1]; m3x3[-1,1],m3x2[-1,1]; !m3x3[-1,1],v2[-1,1]"},
    {"quad_form_sym", rule_quad_form, fn_quad_form_sym,
     "(matrix, vector) => real; (matrix, matrix) => matrix", 0,
     "spd3,v3[-1,1]; spd3,m3x2[-1,1]; !m3x3[1,2],v3[-1,1]"},
    {"trace", rule_mat_to_real, fn_trace, "(matrix) => real", 0, "m3x3[-1,1]; m2x3[-1,1]"},
    {"diag_pre_multiply", rule_diag_pre, fn_diag_pre_multiply,
     "(vector, matrix) => matrix; (row_vector, matrix) => matrix", 0,
     "v2[-1,1],m2x3[-1,1]; rv3[-1,1],m3x3[-1,1]; !v3[-1,1],m2x3[-1,1]"},
    {"diag_post_multiply", rule_diag_post, fn_diag_post_multiply,
     "(matrix, vector) => matrix; (matrix, row_vector) => matrix", 0,
     "m2x3[-1,1],v3[-1,1]; m3x3[-1,1],rv3[-1,1]; !m2x3[-1,1],v2[-1,1]"},
    {"diag_matrix", rule_vec_to_mat, fn_diag_matrix, "(vector) => matrix", 0, "v3[-1,1]"},
    {"diagonal", rule_mat_to_vec, fn_diagonal, "(matrix) => vector", 0,
     "m3x3[-1,1]; m2x3[-1,1]"},
    {"block", rule_block, fn_block, "(matrix, int, int, int, int) => matrix", 0,
     "m3x3[-1,1],d:i[1,2],d:i[1,2],d:i[1,2],d:i[1,2]; d:m3x3[-1,1],d:i[1,3],d:i[1,3],d:i[0,0],d:i[0,0]; !m3x3[-1,1],d:i[2,3],d:i[1,1],d:i[3,3],d:i[1,1]"},
    {"col", rule_col, fn_col, "(matrix, int) => vector", 0,
     "m3x2[-1,1],d:i[1,2]; !m3x2[-1,1],d:i[3,4]"},
    {"row", rule_row, fn_row, "(matrix, int) => row_vector", 0,
     "m3x2[-1,1],d:i[1,3]; !m3x2[-1,1],d:i[4,5]"},
    {"sub_col", rule_sub_col, fn_sub_col, "(matrix, int, int, int) => vector", 0,
     "m3x3[-1,1],d:i[1,2],d:i[1,3],d:i[1,2]; !m3x3[-1,1],d:i[2,3],d:i[1,3],d:i[3,3]"},
    {"sub_row", rule_sub_row, fn_sub_row, "(matrix, int, int, int) => row_vector", 0,
     "m3x3[-1,1],d:i[1,3],d:i[1,2],d:i[1,2]; !m3x3[-1,1],d:i[1,3],d:i[2,3],d:i[3,3]"},
    {"identity_matrix", rule_identity, fn_identity_matrix, "(int) => matrix", 0, NULL},
};
const size_t vi_stdlib_matrix_n = VI_COUNTOF(vi_stdlib_matrix);
