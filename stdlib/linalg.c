/* linalg.c: symmetric eigendecomposition, the symmetric positive-definite
 * family, matrix powers and exponentials, quad_form_diag.
 *
 * Matrices are column-major (element (i, j) of an N x N matrix at i + j N).
 * Functions of a symmetric matrix read S = (A + A') / 2 (after checking
 * that A is symmetric to 1e-8, as cholesky_decompose does), so their
 * adjoint is symmetric: with S̄ the adjoint of S, dA += (S̄ + S̄') / 2.
 * Every derivative is a matrix rule (one node per call):
 *   eigenvalues_sym:   dA += V diag(w̄) V'
 *   eigenvectors_sym:  S̄ = V (F o (V' V̄)) V', F_ij = 1 / (w_j - w_i) (i != j)
 *   log_determinant_spd: dA += ȳ S^-1
 *   inverse_spd:       S̄ = -Y Ȳ Y
 *   chol2inv:          Ā = -Y Ȳ Y, dL += tril((Ā + Ā') L)
 *   matrix_power:      dA += sum_j (A^j)' Ȳ (A^(k-1-j))'
 *   matrix_exp:        dA += the upper right block of exp([A', Ȳ; 0, A'])
 *   csr_matrix_times_vector: dw_k += ȳ_i b_{v_k}, db_{v_k} += ȳ_i w_k
 *   singular_values, svd_U, svd_V: the thin-SVD adjoint at vi_k_svd_bwd
 * Eigenvectors have unit length and the sign that makes their largest
 * component (the first of equal ones) positive; eigenvalues ascend.
 * Singular values descend; each pair (u_k, v_k) is signed so that u_k's
 * largest component is positive. */
#include <math.h>
#include <string.h>

#include "lib.h"

#define RULE VI_RULE

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

/* One square matrix argument made contiguous; its size in *N. */
static int square_arg(struct vi_ctx *c, struct vi_val *a, int *N, const char *f, struct vi_srcloc loc) {
  if (vi_val_contig(c, a, loc)) return VI_ERR_EVAL;
  if (vi_val_rows(a) != vi_val_cols(a))
    return vi_ctx_error(c, loc, "%s: matrix is not square (%d x %d)", f, vi_val_rows(a), vi_val_cols(a));
  *N = vi_val_rows(a);
  return VI_OK;
}

/* S = (A + A') / 2, or 1 when A is not symmetric to 1e-8 (relative). */
static int symmetrise(const double *A, int N, double *S) {
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double u = A[i + (size_t)j * N], v = A[j + (size_t)i * N];
      if (!(fabs(u - v) <= 1e-8 * fmax(1.0, fmax(fabs(u), fabs(v))))) return 1;
      S[i + (size_t)j * N] = 0.5 * (u + v);
    }
  return 0;
}

/* dA += (G + G') / 2 */
static void add_sym(double *dA, const double *G, int N) {
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) dA[i + (size_t)j * N] += 0.5 * (G[i + (size_t)j * N] + G[j + (size_t)i * N]);
}

/* C = A B (N x N); C must not alias A or B. ta / tb: use A' / B'. */
static void matmul(const double *A, int ta, const double *B, int tb, double *C, int N) {
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int k = 0; k < N; k++)
        s += (ta ? A[k + (size_t)i * N] : A[i + (size_t)k * N]) * (tb ? B[j + (size_t)k * N] : B[k + (size_t)j * N]);
      C[i + (size_t)j * N] = s;
    }
}

/* ---- quad_form_diag ---- */

/* y_ij = v_i m_ij v_j (m N x N, v of size N);
 * dm_ij += ȳ_ij v_i v_j;  dv_i += ȳ_ij m_ij v_j,  dv_j += ȳ_ij m_ij v_i. i[0] = N. */
int vi_k_qfdiag_fwd(struct vi_node *n) {
  int N = n->i[0];
  const double *m = n->a[0].x, *v = n->a[1].x;
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) n->y[i + (size_t)j * N] = v[i] * m[i + (size_t)j * N] * v[j];
  return 0;
}
void vi_k_qfdiag_bwd(struct vi_node *n) {
  int N = n->i[0];
  const double *m = n->a[0].x, *v = n->a[1].x, *dy = n->dy;
  double *dm = n->a[0].dx, *dv = n->a[1].dx;
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      size_t k = i + (size_t)j * N;
      if (dm) dm[k] += dy[k] * v[i] * v[j];
      if (dv) {
        double g = dy[k] * m[k];
        dv[i] += g * v[j];
        dv[j] += g * v[i];
      }
    }
}

static int fn_quad_form_diag(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                             int flags, struct vi_srcloc loc) {
  const char *f = "quad_form_diag";
  int N = 0;
  if (square_arg(c, &args[0], &N, f, loc) || vi_val_contig(c, &args[1], loc)) return VI_ERR_EVAL;
  if (args[1].n != (size_t)N)
    return vi_ctx_error(c, loc, "%s: size of the vector (%zu) does not match the matrix (%d x %d)", f,
                        args[1].n, N, N);
  if (set_shape(c, out, VI_T_MATRIX, N, N, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(QUAD_FORM_DIAG), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  vi_node_arg(n, 0, &args[0]);
  vi_node_arg(n, 1, &args[1]);
  return vi_node_run(c, n, out);
}

/* ---- symmetric eigendecomposition (cyclic Jacobi) ---- */

/* S (N x N symmetric, overwritten) = V diag(w) V', w ascending, V
 * orthonormal with the sign convention of the file comment. Jacobi
 * rotations are accurate to a few ulps in every eigenvalue, small and
 * large, which is what the derivatives need; N is small in models. */
static void jacobi_eigen(double *S, int N, double *w, double *V) {
  memset(V, 0, (size_t)N * N * sizeof *V);
  for (int i = 0; i < N; i++) V[i + (size_t)i * N] = 1;
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0, tot = 0;
    for (int q = 0; q < N; q++)
      for (int p = 0; p < N; p++) {
        double a = S[p + (size_t)q * N];
        if (p != q) off += a * a;
        tot += a * a;
      }
    if (!(off > 1e-34 * tot)) break; /* also stops on NaN */
    for (int p = 0; p < N - 1; p++)
      for (int q = p + 1; q < N; q++) {
        double apq = S[p + (size_t)q * N];
        if (apq == 0) continue;
        double theta = (S[q + (size_t)q * N] - S[p + (size_t)p * N]) / (2 * apq);
        double t = fabs(theta) > 1e150 ? 0.5 / theta
                                       : (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        double cs = 1 / sqrt(t * t + 1), sn = t * cs;
        for (int k = 0; k < N; k++) { /* columns p, q */
          double g = S[k + (size_t)p * N], h = S[k + (size_t)q * N];
          S[k + (size_t)p * N] = cs * g - sn * h;
          S[k + (size_t)q * N] = sn * g + cs * h;
        }
        for (int k = 0; k < N; k++) { /* rows p, q */
          double g = S[p + (size_t)k * N], h = S[q + (size_t)k * N];
          S[p + (size_t)k * N] = cs * g - sn * h;
          S[q + (size_t)k * N] = sn * g + cs * h;
        }
        S[p + (size_t)q * N] = S[q + (size_t)p * N] = 0;
        for (int k = 0; k < N; k++) {
          double g = V[k + (size_t)p * N], h = V[k + (size_t)q * N];
          V[k + (size_t)p * N] = cs * g - sn * h;
          V[k + (size_t)q * N] = sn * g + cs * h;
        }
      }
  }
  for (int i = 0; i < N; i++) w[i] = S[i + (size_t)i * N];
  /* ascending order (insertion sort, moving the columns of V along) */
  for (int i = 1; i < N; i++)
    for (int j = i; j > 0 && w[j] < w[j - 1]; j--) {
      double t = w[j];
      w[j] = w[j - 1];
      w[j - 1] = t;
      for (int k = 0; k < N; k++) {
        double u = V[k + (size_t)j * N];
        V[k + (size_t)j * N] = V[k + (size_t)(j - 1) * N];
        V[k + (size_t)(j - 1) * N] = u;
      }
    }
  for (int j = 0; j < N; j++) {
    double *vj = V + (size_t)j * N;
    int big = 0;
    for (int k = 1; k < N; k++)
      if (fabs(vj[k]) > fabs(vj[big])) big = k;
    if (vj[big] < 0)
      for (int k = 0; k < N; k++) vj[k] = -vj[k];
  }
}

/* i[0] = N, i[1] = 0: y = w, aux = V (N^2), scratch (2 N^2);
 *          i[1] = 1: y = V, aux = w (N), scratch (2 N^2). */
int vi_k_eigen_fwd(struct vi_node *n) {
  int N = n->i[0], vectors = n->i[1];
  size_t NN = (size_t)N * N;
  double *S = vectors ? n->aux + N : n->aux + NN;
  double *w = vectors ? n->aux : n->y, *V = vectors ? n->y : n->aux;
  if (symmetrise(n->a[0].x, N, S)) return vi_node_fail(n, "matrix is not symmetric");
  jacobi_eigen(S, N, w, V);
  return 0;
}
/* eigenvalues_sym */
void vi_k_eigenvalues_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0];
  const double *V = n->aux, *wb = n->dy;
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int k = 0; k < N; k++) s += V[i + (size_t)k * N] * wb[k] * V[j + (size_t)k * N];
      dA[i + (size_t)j * N] += s;
    }
}
/* eigenvectors_sym */
void vi_k_eigenvectors_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0];
  size_t NN = (size_t)N * N;
  const double *V = n->y, *Vb = n->dy, *w = n->aux;
  double *G = n->aux + N, *T = G + NN;
  matmul(V, 1, Vb, 0, G, N); /* G = V' V̄ */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      double d = w[j] - w[i];
      G[i + (size_t)j * N] = i == j || d == 0 ? 0 : G[i + (size_t)j * N] / d;
    }
  matmul(V, 0, G, 0, T, N);  /* T = V (F o G) */
  matmul(T, 0, V, 1, G, N);  /* S̄ = T V' */
  add_sym(dA, G, N);
}

static int eigen_call(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int vectors,
                      const char *f, struct vi_srcloc loc) {
  int N = 0;
  if (square_arg(c, &args[0], &N, f, loc)) return VI_ERR_EVAL;
  int r = vectors ? set_shape(c, out, VI_T_MATRIX, N, N, f, loc) : set_shape(c, out, VI_T_VECTOR, N, 1, f, loc);
  if (r) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, vectors ? VI_OPDEF(EIGENVECTORS_SYM) : VI_OPDEF(EIGENVALUES_SYM), 1,
                               out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  n->i[1] = vectors;
  vi_node_arg(n, 0, &args[0]);
  size_t NN = (size_t)N * N;
  if (vi_node_aux(c, n, (vectors ? (size_t)N : NN) + 2 * NN)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}
static int fn_eigenvalues_sym(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                              int flags, struct vi_srcloc loc) {
  return eigen_call(c, out, args, 0, "eigenvalues_sym", loc);
}
static int fn_eigenvectors_sym(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                               int flags, struct vi_srcloc loc) {
  return eigen_call(c, out, args, 1, "eigenvectors_sym", loc);
}

/* ---- the symmetric positive-definite family ---- */

/* Lower Cholesky factor of S in place (upper part zeroed); 1 if not
 * positive definite. */
static int chol_inplace(double *S, int N) {
  for (int j = 0; j < N; j++) {
    double *cj = S + (size_t)j * N;
    for (int i = 0; i < j; i++) cj[i] = 0;
    for (int k = 0; k < j; k++) {
      const double *ck = S + (size_t)k * N;
      double ljk = ck[j];
      for (int i = j; i < N; i++) cj[i] -= ck[i] * ljk;
    }
    if (!(cj[j] > 0) || !isfinite(cj[j])) return 1;
    double d = sqrt(cj[j]);
    cj[j] = d;
    for (int i = j + 1; i < N; i++) cj[i] /= d;
  }
  return 0;
}

/* Y = (L L')^-1 = L^-T L^-1 from the lower triangle of L; W: N^2 scratch. */
static void chol_inverse(const double *L, int N, double *Y, double *W) {
  memset(W, 0, (size_t)N * N * sizeof *W);
  for (int j = 0; j < N; j++) { /* column j of L^-1: L x = e_j */
    double *x = W + (size_t)j * N;
    for (int i = j; i < N; i++) {
      double s = i == j ? 1 : 0;
      for (int k = j; k < i; k++) s -= L[i + (size_t)k * N] * x[k];
      x[i] = s / L[i + (size_t)i * N];
    }
  }
  matmul(W, 1, W, 0, Y, N);
}

/* i[0] = N. log_determinant_spd: y = log det S = 2 sum log L_ii; aux: L
 * (N^2), then S^-1 (N^2) and scratch (N^2) for backward. */
int vi_k_logdet_spd_fwd(struct vi_node *n) {
  int N = n->i[0];
  double *L = n->aux;
  if (symmetrise(n->a[0].x, N, L)) return vi_node_fail(n, "matrix is not symmetric");
  if (chol_inplace(L, N)) return vi_node_fail(n, "matrix is not positive definite");
  double s = 0;
  for (int i = 0; i < N; i++) s += log(L[i + (size_t)i * N]);
  n->y[0] = 2 * s;
  return 0;
}
void vi_k_logdet_spd_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0];
  size_t NN = (size_t)N * N;
  double *Y = n->aux + NN;
  chol_inverse(n->aux, N, Y, Y + NN);
  for (size_t k = 0; k < NN; k++) dA[k] += n->dy[0] * Y[k];
}

/* inverse_spd: y = S^-1 (exactly symmetric); aux: 2 N^2 scratch. */
int vi_k_inverse_spd_fwd(struct vi_node *n) {
  int N = n->i[0];
  double *L = n->aux, *W = n->aux + (size_t)N * N;
  if (symmetrise(n->a[0].x, N, L)) return vi_node_fail(n, "matrix is not symmetric");
  if (chol_inplace(L, N)) return vi_node_fail(n, "matrix is not positive definite");
  chol_inverse(L, N, n->y, W);
  return 0;
}
/* S̄ = -Y Ȳ Y;  dA += (S̄ + S̄') / 2 (also chol2inv's Ā) */
static void neg_yyby(const double *Y, const double *Yb, int N, double *T, double *G) {
  matmul(Y, 0, Yb, 0, T, N);
  matmul(T, 0, Y, 0, G, N);
  for (size_t k = 0; k < (size_t)N * N; k++) G[k] = -G[k];
}
void vi_k_inverse_spd_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0];
  double *T = n->aux, *G = n->aux + (size_t)N * N;
  neg_yyby(n->y, n->dy, N, T, G);
  add_sym(dA, G, N);
}

/* chol2inv: y = (L L')^-1 from a lower-triangular L with positive diagonal;
 * Ā = -Y Ȳ Y, dL_ij += ((Ā + Ā') L)_ij for i >= j. aux: 2 N^2 scratch. */
int vi_k_chol2inv_fwd(struct vi_node *n) {
  int N = n->i[0];
  const double *L = n->a[0].x;
  for (int j = 0; j < N; j++) {
    for (int i = 0; i < j; i++)
      if (L[i + (size_t)j * N] != 0) return vi_node_fail(n, "matrix is not lower triangular");
    if (!(L[j + (size_t)j * N] > 0))
      return vi_node_fail(n, "diagonal element %d is %.17g, must be positive", j + 1, L[j + (size_t)j * N]);
  }
  chol_inverse(L, N, n->y, n->aux);
  return 0;
}
void vi_k_chol2inv_bwd(struct vi_node *n) {
  double *dL = n->a[0].dx;
  if (!dL) return;
  int N = n->i[0];
  const double *L = n->a[0].x;
  double *T = n->aux, *G = n->aux + (size_t)N * N;
  neg_yyby(n->y, n->dy, N, T, G);
  for (int j = 0; j < N; j++)
    for (int i = j; i < N; i++) {
      double s = 0;
      for (int k = 0; k < N; k++) s += (G[i + (size_t)k * N] + G[k + (size_t)i * N]) * L[k + (size_t)j * N];
      dL[i + (size_t)j * N] += s;
    }
}

static int spd_call(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, const struct vi_opdef *op,
                    int scalar, size_t naux, const char *f, struct vi_srcloc loc) {
  int N = 0;
  if (square_arg(c, &args[0], &N, f, loc)) return VI_ERR_EVAL;
  if (scalar) {
    memset(out, 0, sizeof *out);
    vi_val_set_shape(out, vi_ty(VI_T_REAL, 0), NULL);
  } else if (set_shape(c, out, VI_T_MATRIX, N, N, f, loc)) {
    return VI_ERR_EVAL;
  }
  struct vi_node *n = new_node(c, op, 1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  vi_node_arg(n, 0, &args[0]);
  if (vi_node_aux(c, n, naux * (size_t)N * N)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}
static int fn_log_determinant_spd(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                  int flags, struct vi_srcloc loc) {
  return spd_call(c, out, args, VI_OPDEF(LOG_DETERMINANT_SPD), 1, 3, "log_determinant_spd", loc);
}
static int fn_inverse_spd(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                          struct vi_srcloc loc) {
  return spd_call(c, out, args, VI_OPDEF(INVERSE_SPD), 0, 2, "inverse_spd", loc);
}
static int fn_chol2inv(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                       struct vi_srcloc loc) {
  return spd_call(c, out, args, VI_OPDEF(CHOL2INV), 0, 2, "chol2inv", loc);
}

/* ---- matrix_power ---- */

/* y = A^k (k >= 0; A^0 = I); dA += sum_{j<k} (A^j)' Ȳ (A^(k-1-j))'.
 * i[0] = N, i[1] = k; aux: A^0 .. A^k ((k+1) N^2), then 2 N^2 scratch. */
int vi_k_matpow_fwd(struct vi_node *n) {
  int N = n->i[0], k = n->i[1];
  size_t NN = (size_t)N * N;
  double *P = n->aux;
  memset(P, 0, NN * sizeof *P);
  for (int i = 0; i < N; i++) P[i + (size_t)i * N] = 1;
  for (int j = 1; j <= k; j++) matmul(P + (size_t)(j - 1) * NN, 0, n->a[0].x, 0, P + (size_t)j * NN, N);
  memcpy(n->y, P + (size_t)k * NN, NN * sizeof *n->y);
  return 0;
}
void vi_k_matpow_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0], k = n->i[1];
  size_t NN = (size_t)N * N;
  const double *P = n->aux;
  double *T = n->aux + (size_t)(k + 1) * NN, *G = T + NN;
  for (int j = 0; j < k; j++) {
    matmul(P + (size_t)j * NN, 1, n->dy, 0, T, N);
    matmul(T, 0, P + (size_t)(k - 1 - j) * NN, 1, G, N);
    for (size_t e = 0; e < NN; e++) dA[e] += G[e];
  }
}

static int fn_matrix_power(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                           int flags, struct vi_srcloc loc) {
  const char *f = "matrix_power";
  int N = 0;
  if (square_arg(c, &args[0], &N, f, loc)) return VI_ERR_EVAL;
  int k = args[1].ix ? args[1].ix[0] : (int)vi_val_get(&args[1], 0);
  if (k < 0) return vi_ctx_error(c, loc, "%s: the power is %d, must be nonnegative", f, k);
  if (k > 1 << 16) return vi_ctx_error(c, loc, "%s: the power %d is too large", f, k);
  if (set_shape(c, out, VI_T_MATRIX, N, N, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(MATRIX_POWER), 1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  n->i[1] = k;
  vi_node_arg(n, 0, &args[0]);
  if (vi_node_aux(c, n, (size_t)(k + 3) * N * N)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}

/* ---- matrix_exp ---- */

/* E = exp(A) by scaling and squaring: A / 2^s has 1-norm <= 1/4, its
 * Taylor series is summed until the terms stop changing E, then E is
 * squared s times. W: 3 N^2 scratch. */
static void expm(const double *A, int N, double *E, double *W) {
  size_t NN = (size_t)N * N;
  double nrm = 0;
  for (int j = 0; j < N; j++) {
    double s = 0;
    for (int i = 0; i < N; i++) s += fabs(A[i + (size_t)j * N]);
    nrm = fmax(nrm, s);
  }
  int s = 0;
  if (nrm > 0.25) s = (int)ceil(log2(nrm / 0.25));
  if (s > 1000) s = 1000;
  double scale = ldexp(1.0, -s);
  double *X = W, *T = W + NN, *U = W + 2 * NN;
  for (size_t e = 0; e < NN; e++) X[e] = A[e] * scale;
  memset(E, 0, NN * sizeof *E);
  for (int i = 0; i < N; i++) E[i + (size_t)i * N] = 1;
  memcpy(T, E, NN * sizeof *T); /* T = X^m / m! */
  for (int m = 1; m <= 40; m++) {
    matmul(T, 0, X, 0, U, N);
    double tn = 0, en = 0;
    for (size_t e = 0; e < NN; e++) {
      T[e] = U[e] / m;
      E[e] += T[e];
      tn = fmax(tn, fabs(T[e]));
      en = fmax(en, fabs(E[e]));
    }
    if (tn <= 1e-18 * en) break;
  }
  for (int k = 0; k < s; k++) {
    matmul(E, 0, E, 0, U, N);
    memcpy(E, U, NN * sizeof *E);
  }
}

/* y = exp(A); i[0] = N; aux: the 2N x 2N block matrix, its exponential and
 * 3 (2N)^2 scratch, for backward. */
int vi_k_matexp_fwd(struct vi_node *n) {
  int N = n->i[0];
  const double *A = n->a[0].x;
  for (size_t e = 0; e < (size_t)N * N; e++)
    if (!isfinite(A[e])) return vi_node_fail(n, "matrix has a non-finite element");
  expm(A, N, n->y, n->aux);
  return 0;
}
void vi_k_matexp_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int N = n->i[0], M = 2 * N;
  size_t MM = (size_t)M * M;
  const double *A = n->a[0].x;
  double *B = n->aux, *E = B + MM, *W = E + MM;
  memset(B, 0, MM * sizeof *B);
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) {
      B[i + (size_t)j * M] = A[j + (size_t)i * N];             /* A' */
      B[N + i + (size_t)(N + j) * M] = A[j + (size_t)i * N];   /* A' */
      B[i + (size_t)(N + j) * M] = n->dy[i + (size_t)j * N];   /* Ȳ */
    }
  expm(B, M, E, W);
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++) dA[i + (size_t)j * N] += E[i + (size_t)(N + j) * M];
}

static int fn_matrix_exp(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                         struct vi_srcloc loc) {
  const char *f = "matrix_exp";
  int N = 0;
  if (square_arg(c, &args[0], &N, f, loc)) return VI_ERR_EVAL;
  if (set_shape(c, out, VI_T_MATRIX, N, N, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(MATRIX_EXP), 1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = N;
  vi_node_arg(n, 0, &args[0]);
  if (vi_node_aux(c, n, 20 * (size_t)N * N)) return VI_ERR_NOMEM; /* 5 (2N)^2 */
  return vi_node_run(c, n, out);
}

/* ---- singular value decomposition (one-sided Jacobi) ---- */

/* C (r x c) = op(A) op(B), op(X) = X or X'; A is ar x ac as stored, B br x bc. */
static void mm(const double *A, int ar, int ac, int ta, const double *B, int br, int bc, int tb, double *C) {
  int r = ta ? ac : ar, k = ta ? ar : ac, c = tb ? br : bc;
  (void)bc;
  for (int j = 0; j < c; j++)
    for (int i = 0; i < r; i++) {
      double t = 0;
      for (int l = 0; l < k; l++)
        t += (ta ? A[l + (size_t)i * ar] : A[i + (size_t)l * ar]) * (tb ? B[j + (size_t)l * br] : B[l + (size_t)j * br]);
      C[i + (size_t)j * r] = t;
    }
}

/* A (M x N, M >= N) = U diag(s) V' with U M x N orthonormal columns, V N x N:
 * Hestenes' rotations orthogonalise the columns of U = A (V collects them)
 * until every pair is orthogonal to 1e-15; s_j = |u_j|. */
static void svd_tall(const double *A, int M, int N, double *s, double *U, double *V) {
  memcpy(U, A, (size_t)M * N * sizeof *U);
  memset(V, 0, (size_t)N * N * sizeof *V);
  for (int i = 0; i < N; i++) V[i + (size_t)i * N] = 1;
  for (int sweep = 0; sweep < 80; sweep++) {
    int rotated = 0;
    for (int p = 0; p < N - 1; p++)
      for (int q = p + 1; q < N; q++) {
        double *up = U + (size_t)p * M, *uq = U + (size_t)q * M, al = 0, be = 0, ga = 0;
        for (int k = 0; k < M; k++) al += up[k] * up[k], be += uq[k] * uq[k], ga += up[k] * uq[k];
        if (ga == 0 || !(fabs(ga) > 1e-15 * sqrt(al * be))) continue;
        rotated = 1;
        double zeta = (be - al) / (2 * ga);
        double t = fabs(zeta) > 1e150 ? 0.5 / zeta : (zeta >= 0 ? 1 : -1) / (fabs(zeta) + sqrt(1 + zeta * zeta));
        double cs = 1 / sqrt(1 + t * t), sn = cs * t;
        for (int k = 0; k < M; k++) {
          double a = up[k], b = uq[k];
          up[k] = cs * a - sn * b;
          uq[k] = sn * a + cs * b;
        }
        double *vp = V + (size_t)p * N, *vq = V + (size_t)q * N;
        for (int k = 0; k < N; k++) {
          double a = vp[k], b = vq[k];
          vp[k] = cs * a - sn * b;
          vq[k] = sn * a + cs * b;
        }
      }
    if (!rotated) break;
  }
  for (int j = 0; j < N; j++) {
    double *u = U + (size_t)j * M, t = 0;
    for (int k = 0; k < M; k++) t += u[k] * u[k];
    s[j] = sqrt(t);
    if (s[j] > 0)
      for (int k = 0; k < M; k++) u[k] /= s[j];
  }
}

/* A (M x N) = U diag(s) V', K = min(M, N), s descending, U M x K, V N x K,
 * each pair (u_k, v_k) signed so that u_k's largest component is positive.
 * W: scratch of max(M, N)^2 + max(M, N) doubles. */
static void svd_thin(const double *A, int M, int N, double *s, double *U, double *V, double *W) {
  int K = M < N ? M : N;
  if (M >= N) {
    svd_tall(A, M, N, s, U, V);
  } else { /* A' = U2 S V2', so U = V2 (M x M) and V = U2 (N x M) */
    for (int j = 0; j < N; j++)
      for (int i = 0; i < M; i++) W[j + (size_t)i * N] = A[i + (size_t)j * M];
    svd_tall(W, N, M, s, V, U);
  }
  for (int i = 1; i < K; i++) /* descending, moving the columns along */
    for (int j = i; j > 0 && s[j] > s[j - 1]; j--) {
      double t = s[j];
      s[j] = s[j - 1];
      s[j - 1] = t;
      for (int k = 0; k < M; k++) {
        t = U[k + (size_t)j * M];
        U[k + (size_t)j * M] = U[k + (size_t)(j - 1) * M];
        U[k + (size_t)(j - 1) * M] = t;
      }
      for (int k = 0; k < N; k++) {
        t = V[k + (size_t)j * N];
        V[k + (size_t)j * N] = V[k + (size_t)(j - 1) * N];
        V[k + (size_t)(j - 1) * N] = t;
      }
    }
  for (int j = 0; j < K; j++) {
    double *u = U + (size_t)j * M, *v = V + (size_t)j * N;
    int big = 0;
    for (int k = 1; k < M; k++)
      if (fabs(u[k]) > fabs(u[big])) big = k;
    if (u[big] < 0) {
      for (int k = 0; k < M; k++) u[k] = -u[k];
      for (int k = 0; k < N; k++) v[k] = -v[k];
    }
  }
}

/* i[0] = M, i[1] = N, i[2] = 0 singular_values (y = s), 1 svd_U (y = U),
 * 2 svd_V (y = V). aux: U (M K), V (N K), s (K), then scratch. */
int vi_k_svd_fwd(struct vi_node *n) {
  int M = n->i[0], N = n->i[1], which = n->i[2], K = M < N ? M : N;
  const double *A = n->a[0].x;
  for (size_t e = 0; e < (size_t)M * N; e++)
    if (!isfinite(A[e])) return vi_node_fail(n, "matrix has a non-finite element");
  double *U = n->aux, *V = U + (size_t)M * K, *s = V + (size_t)N * K, *W = s + K;
  svd_thin(A, M, N, s, U, V, W);
  const double *src = which == 0 ? s : which == 1 ? U : V;
  memcpy(n->y, src, n->n * sizeof *n->y);
  return 0;
}

/* Adjoint of the thin SVD (distinct, nonzero singular values), with
 * F_ij = 1 / (s_j^2 - s_i^2) (i != j, else 0):
 *   singular_values: dA += U diag(s̄) V'
 *   svd_U: dA += U ((F o (U'Ū - Ū'U)) S) V' + (Ū - U U'Ū) S^-1 V'
 *   svd_V: dA += U (S (F o (V'V̄ - V̄'V))) V' + U S^-1 (V̄ - V V'V̄)' */
void vi_k_svd_bwd(struct vi_node *n) {
  double *dA = n->a[0].dx;
  if (!dA) return;
  int M = n->i[0], N = n->i[1], which = n->i[2], K = M < N ? M : N, R = M > N ? M : N;
  const double *U = n->aux, *V = U + (size_t)M * K, *s = V + (size_t)N * K, *g = n->dy;
  double *J = (double *)s + K + (size_t)R * R + R, *G = J + (size_t)K * K, *T = G + (size_t)K * K,
         *X = T + (size_t)R * K;
  /* inner (K x K) into J, and the extra term's factor X (M x K: dA += X V') or (K x N: dA += U X) */
  memset(J, 0, (size_t)K * K * sizeof *J);
  if (which == 0) {
    for (int k = 0; k < K; k++) J[k + (size_t)k * K] = g[k];
  } else {
    const double *B = which == 1 ? U : V, *Bb = g;
    int rows = which == 1 ? M : N;
    mm(B, rows, K, 1, Bb, rows, K, 0, G); /* G = B' B̄ (K x K) */
    for (int j = 0; j < K; j++)
      for (int i = 0; i < K; i++) {
        double d = s[j] * s[j] - s[i] * s[i];
        double f = i == j || d == 0 ? 0 : (G[i + (size_t)j * K] - G[j + (size_t)i * K]) / d;
        J[i + (size_t)j * K] = which == 1 ? f * s[j] : s[i] * f;
      }
    /* X = (B̄ - B G) S^-1 (rows x K) */
    mm(B, rows, K, 0, G, K, K, 0, T);
    for (int j = 0; j < K; j++)
      for (int i = 0; i < rows; i++)
        X[i + (size_t)j * rows] = s[j] > 0 ? (Bb[i + (size_t)j * rows] - T[i + (size_t)j * rows]) / s[j] : 0;
  }
  /* dA += U J V' */
  mm(U, M, K, 0, J, K, K, 0, T);         /* T = U J (M x K) */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < M; i++) {
      double t = 0;
      for (int k = 0; k < K; k++) t += T[i + (size_t)k * M] * V[j + (size_t)k * N];
      if (which == 1)
        for (int k = 0; k < K; k++) t += X[i + (size_t)k * M] * V[j + (size_t)k * N];
      if (which == 2)
        for (int k = 0; k < K; k++) t += U[i + (size_t)k * M] * X[j + (size_t)k * N];
      dA[i + (size_t)j * M] += t;
    }
}

static int svd_call(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int which, const char *f,
                    struct vi_srcloc loc) {
  if (vi_val_contig(c, &args[0], loc)) return VI_ERR_EVAL;
  int M = vi_val_rows(&args[0]), N = vi_val_cols(&args[0]), K = M < N ? M : N, R = M > N ? M : N;
  int r = which == 0 ? set_shape(c, out, VI_T_VECTOR, K, 1, f, loc)
                     : set_shape(c, out, VI_T_MATRIX, which == 1 ? M : N, K, f, loc);
  if (r) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, which == 0 ? VI_OPDEF(SINGULAR_VALUES) : which == 1 ? VI_OPDEF(SVD_U) : VI_OPDEF(SVD_V),
                               1, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = M;
  n->i[1] = N;
  n->i[2] = which;
  vi_node_arg(n, 0, &args[0]);
  size_t naux = (size_t)(M + N + 1) * K + (size_t)R * R + R + 2 * (size_t)K * K + 2 * (size_t)R * K;
  if (vi_node_aux(c, n, naux)) return VI_ERR_NOMEM;
  return vi_node_run(c, n, out);
}
static int fn_singular_values(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                              struct vi_srcloc loc) {
  return svd_call(c, out, args, 0, "singular_values", loc);
}
static int fn_svd_U(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                    struct vi_srcloc loc) {
  return svd_call(c, out, args, 1, "svd_U", loc);
}
static int fn_svd_V(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                    struct vi_srcloc loc) {
  return svd_call(c, out, args, 2, "svd_V", loc);
}

/* ---- csr_matrix_times_vector ---- */

/* y = A b for the m x n sparse A in compressed sparse row form: row i
 * holds w_k at column v_k for u_i <= k < u_{i+1} (1-based, as in Stan).
 * y_i = sum_k w_k b_{v_k};  dw_k += ȳ_i b_{v_k},  db_{v_k} += ȳ_i w_k.
 * i[0] = m; ia: u (m + 1), then v (nnz), 1-based. */
int vi_k_csr_fwd(struct vi_node *n) {
  int m = n->i[0];
  const int *u = n->ia, *v = n->ia + m + 1;
  const double *w = n->a[0].x, *b = n->a[1].x;
  for (int i = 0; i < m; i++) {
    double s = 0;
    for (int k = u[i] - 1; k < u[i + 1] - 1; k++) s += w[k] * b[v[k] - 1];
    n->y[i] = s;
  }
  return 0;
}
void vi_k_csr_bwd(struct vi_node *n) {
  int m = n->i[0];
  const int *u = n->ia, *v = n->ia + m + 1;
  const double *w = n->a[0].x, *b = n->a[1].x;
  double *dw = n->a[0].dx, *db = n->a[1].dx;
  for (int i = 0; i < m; i++)
    for (int k = u[i] - 1; k < u[i + 1] - 1; k++) {
      if (dw) dw[k] += n->dy[i] * b[v[k] - 1];
      if (db) db[v[k] - 1] += n->dy[i] * w[k];
    }
}

/* Checks the structure when the call is recorded (it is data: sizes and
 * indices never change on replay) and copies u and v into the arena. */
static int fn_csr_matrix_times_vector(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                                      int flags, struct vi_srcloc loc) {
  const char *f = "csr_matrix_times_vector";
  int m = (int)vi_val_get(&args[0], 0), nc = (int)vi_val_get(&args[1], 0);
  struct vi_val *w = &args[2], *v = &args[3], *u = &args[4], *b = &args[5];
  if (vi_val_contig(c, w, loc) || vi_val_contig(c, b, loc)) return VI_ERR_EVAL;
  if (m <= 0 || nc <= 0) return vi_ctx_error(c, loc, "%s: the sizes (%d x %d) must be positive", f, m, nc);
  if (b->n != (size_t)nc)
    return vi_ctx_error(c, loc, "%s: size of the vector (%zu) does not match the columns (%d)", f, b->n, nc);
  if (u->n != (size_t)m + 1)
    return vi_ctx_error(c, loc, "%s: size of u (%zu) must be the rows plus one (%d)", f, u->n, m + 1);
  if (v->n != w->n)
    return vi_ctx_error(c, loc, "%s: size of v (%zu) does not match size of w (%zu)", f, v->n, w->n);
  int *ia = vi_arena_array(c->arena, (size_t)m + 1 + v->n, sizeof *ia);
  if (!ia) return VI_ERR_NOMEM;
  for (int i = 0; i <= m; i++) {
    ia[i] = (int)vi_val_get(u, (size_t)i);
    if ((i == 0 && ia[0] != 1) || (i > 0 && ia[i] < ia[i - 1]))
      return vi_ctx_error(c, loc, "%s: u must start at 1 and not decrease (u[%d] = %d)", f, i + 1, ia[i]);
  }
  if ((size_t)ia[m] - 1 != w->n)
    return vi_ctx_error(c, loc, "%s: u[%d] - 1 (%d) does not match size of w (%zu)", f, m + 1, ia[m] - 1, w->n);
  for (size_t k = 0; k < v->n; k++) {
    int col = (int)vi_val_get(v, k);
    if (col < 1 || col > nc)
      return vi_ctx_error(c, loc, "%s: v[%zu] is %d, must be in [1, %d]", f, k + 1, col, nc);
    ia[m + 1 + k] = col;
  }
  if (set_shape(c, out, VI_T_VECTOR, m, 1, f, loc)) return VI_ERR_EVAL;
  struct vi_node *n = new_node(c, VI_OPDEF(CSR_MATRIX_TIMES_VECTOR), 2, out->n, f, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = m;
  n->ia = ia;
  n->nia = (size_t)m + 1 + v->n;
  vi_node_arg(n, 0, w);
  vi_node_arg(n, 1, b);
  return vi_node_run(c, n, out);
}

/* ---- type rules and the table ---- */

RULE(mat_to_mat, {1, {M_}, M_})
RULE(mat_to_real, {1, {M_}, R_})
RULE(mat_to_vec, {1, {M_}, V_})
RULE(qfdiag, {2, {M_, V_}, M_}, {2, {M_, RV_}, M_})
RULE(matpow, {2, {M_, I_}, M_})
/* (int m, int n, vector w, array[] int v, array[] int u, vector b) => vector */
static struct vi_type rule_csr(const struct vi_type *a, int n) {
  struct vi_type e = vi_ty(VI_T_ERROR, 0), vec = vi_ty(VI_T_VECTOR, 0), ia = vi_ty(VI_T_INT, 1),
                 i = vi_ty(VI_T_INT, 0);
  if (n != 6 || !vi_ty_eq(a[0], i) || !vi_ty_eq(a[1], i) || !vi_ty_eq(a[2], vec) || !vi_ty_eq(a[3], ia) ||
      !vi_ty_eq(a[4], ia) || !vi_ty_eq(a[5], vec))
    return e;
  return vec;
}

/* The linear-algebra functions of this file. */
const struct vi_func vi_stdlib_linalg[] = {
    {"quad_form_diag", rule_qfdiag, fn_quad_form_diag, "(matrix, vector) => matrix; (matrix, row_vector) => matrix",
     0, "m3x3[-1,1],v3[-2,2]; m2x2[-1,1],rv2[-2,2]; d:m3x3[-1,1],v3[-2,2]; !m3x3[-1,1],v2[-1,1]"},
    {"eigenvalues_sym", rule_mat_to_vec, fn_eigenvalues_sym, "(matrix) => vector", 0, "spd3; spd4; spd1"},
    {"eigenvectors_sym", rule_mat_to_mat, fn_eigenvectors_sym, "(matrix) => matrix", 0,
     "spd3; spd4; spd2; !m2x3[-1,1]"},
    {"log_determinant_spd", rule_mat_to_real, fn_log_determinant_spd, "(matrix) => real", 0, "spd3; spd1; spd4"},
    {"inverse_spd", rule_mat_to_mat, fn_inverse_spd, "(matrix) => matrix", 0, "spd3; spd2"},
    {"chol2inv", rule_mat_to_mat, fn_chol2inv, "(matrix) => matrix", 0, "chol3; chol1; chol4"},
    {"matrix_power", rule_matpow, fn_matrix_power, "(matrix, int) => matrix", 0,
     "m3x3[-1,1],d:i[0,4]; m2x2[-1,1],d:i[3,3]; !m2x2[-1,1],d:i[-2,-1]"},
    {"csr_matrix_times_vector", rule_csr, fn_csr_matrix_times_vector,
     "(int, int, vector, array[] int, array[] int, vector) => vector", 0,
     "d:i[3,3],d:i[4,4],v5[-2,2],ia=1:4:2:3:1,ia=1:3:3:6,v4[-2,2];"
     "d:i[2,2],d:i[3,3],d:v3[-2,2],ia=3:3:1,ia=1:3:4,v3[-2,2];"
     "!d:i[2,2],d:i[3,3],v3[-2,2],ia=3:4:1,ia=1:3:4,v3[-2,2];!d:i[2,2],d:i[3,3],v3[-2,2],ia=3:3:1,ia=1:3:5,v3[-2,2]"},
    {"singular_values", rule_mat_to_vec, fn_singular_values, "(matrix) => vector", 0,
     "m3x2[-1,1]; m2x3[-1,1]; m3x3[-1,1]; m1x3[-1,1]"},
    {"svd_U", rule_mat_to_mat, fn_svd_U, "(matrix) => matrix", 0, "m3x2[-1,1]; m2x3[-1,1]; m3x3[-1,1]; m4x1[-1,1]"},
    {"svd_V", rule_mat_to_mat, fn_svd_V, "(matrix) => matrix", 0, "m3x2[-1,1]; m2x3[-1,1]; m3x3[-1,1]; m1x4[-1,1]"},
    {"matrix_exp", rule_mat_to_mat, fn_matrix_exp, "(matrix) => matrix", 0, "m3x3[-1,1]; m2x2[-3,3]; m1x1[-2,2]"},
};
const size_t vi_stdlib_linalg_n = VI_COUNTOF(vi_stdlib_linalg);
