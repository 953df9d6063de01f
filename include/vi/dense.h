/* dense.h: dense linear algebra for the fits: d x d row-major matrices,
 * lower-triangular factors with zeros above the diagonal. */
#ifndef VI_DENSE_H
#define VI_DENSE_H
#include <stddef.h>

/* Cholesky factorisation in place: the lower triangle of the symmetric d x d
 * matrix a becomes R with a = R R^T, the upper triangle zero. Returns -1
 * when a is not numerically positive definite (a pivot <= 1e-12 times its
 * diagonal entry, or non-finite); a is then partly overwritten. */
int vi_dense_cholesky(double *a, size_t d);

/* L = the lower Cholesky factor of H^{-1} for a symmetric positive definite
 * H, using R (d x d) as scratch. Returns -1 when H is not positive definite. */
int vi_dense_inverse_factor(const double *H, double *R, double *L, size_t d);

#endif
