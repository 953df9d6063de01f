/* dense.c: the small dense linear algebra of the fits (see
 * include/vi/dense.h). Row-major, lower-triangular factors. */
#include "vi/dense.h"

#include <math.h>
#include <string.h>

int vi_dense_cholesky(double *a, size_t d) {
  for (size_t j = 0; j < d; j++) {
    double s = a[j * d + j], diag = s;
    for (size_t k = 0; k < j; k++) s -= a[j * d + k] * a[j * d + k];
    if (!(s > 1e-12 * diag) || !isfinite(s)) return -1;
    s = sqrt(s);
    a[j * d + j] = s;
    for (size_t i = j + 1; i < d; i++) {
      double t = a[i * d + j];
      for (size_t k = 0; k < j; k++) t -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = t / s;
    }
    for (size_t k = j + 1; k < d; k++) a[j * d + k] = 0;
  }
  return 0;
}

/* L = lower Cholesky factor of H^{-1} for a symmetric positive definite H,
 * using R (d x d) as scratch. Returns -1 when H is not positive definite. */
int vi_dense_inverse_factor(const double *H, double *R, double *L, size_t d) {
  memcpy(R, H, d * d * sizeof *R);
  if (vi_dense_cholesky(R, d) != 0) return -1;
  /* L = R^{-1} (lower triangular), column by column by forward substitution */
  memset(L, 0, d * d * sizeof *L);
  for (size_t c = 0; c < d; c++) {
    for (size_t i = c; i < d; i++) {
      double s = i == c ? 1 : 0;
      for (size_t k = c; k < i; k++) s -= R[i * d + k] * L[k * d + c];
      L[i * d + c] = s / R[i * d + i];
    }
  }
  /* H^{-1} = R^{-T} R^{-1}: entry (i, j) = sum_k L_ki L_kj over k >= max(i, j) */
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j <= i; j++) {
      double s = 0;
      for (size_t k = i; k < d; k++) s += L[k * d + i] * L[k * d + j];
      R[i * d + j] = s;
      R[j * d + i] = s;
    }
  if (vi_dense_cholesky(R, d) != 0) return -1;
  memcpy(L, R, d * d * sizeof *L);
  return 0;
}
