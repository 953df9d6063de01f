/* lr.h: linear-response covariances at any size, from Hessian-vector
 * products alone (no d x d matrix).
 *
 * The linear-response covariance of a mean-field fit (Giordano, Broderick &
 * Jordan 2018) is H^{-1}, H the Hessian of the fixed-draw objective in the
 * means. With S the mean-field sds, the preconditioned Hessian A = S H S is
 * close to the identity for a Gaussian posterior without correlations; the
 * directions where it is not (a population mean against its group effects)
 * are few and at the ends of A's spectrum, which the Lanczos iteration finds
 * first. vi_lr_lanczos returns those Ritz pairs (lambda_i, u_i); then
 *   H^{-1} ~= S (I + sum_i (1/lambda_i - 1) u_i u_i^T) S,
 * exact on the span of the u_i. Keeping the pairs with lambda_i < 1 (the
 * variances mean-field underestimates) gives a low rank plus diagonal
 * covariance, diag(S^2) + B B^T with B's columns S u_i sqrt(1/lambda_i - 1):
 * the low-rank family of family.h.
 *
 * vi_lr_cg solves A x = b by conjugate gradients (one coordinate's exact
 * linear-response variance is e_i^T H^{-1} e_i). */
#ifndef VI_LR_H
#define VI_LR_H
#include <stddef.h>

#include "vi/arena.h"

/* out = A v for the symmetric positive (semi)definite operator; 0, or -1
 * when it cannot be evaluated. */
typedef int (*vi_lr_apply_fn)(void *ctx, const double *v, double *out);

/* Up to kmax Lanczos steps on A (dimension d) from the start vector v0
 * (need not be normalised), with full reorthogonalisation. Writes the Ritz
 * pairs whose residual bound |beta_k s_ki| is below rtol * |1 - lambda_i|
 * (converged, and away from 1) with lambda_i < 1 - gap into lam[0..*nout)
 * and U (d x *nout, column i at U[j * kmax + i], row-major with kmax
 * columns), ascending lambda. Scratch from work (restored). Returns the
 * number of operator applications, or -1 when one failed or memory ran out
 * (*nout = 0 then). Deterministic. */
int vi_lr_lanczos(size_t d, vi_lr_apply_fn apply, void *ctx, const double *v0, int kmax,
                  double rtol, double gap, double *lam, double *U, int *nout,
                  struct vi_arena *work);

/* Solves A x = b by conjugate gradients from x = 0 until |r| <= tol |b| or
 * maxit steps. Returns the steps taken, or -1 when an application failed.
 * Scratch (3 d) from work. */
int vi_lr_cg(size_t d, vi_lr_apply_fn apply, void *ctx, const double *b, double *x, double tol,
             int maxit, struct vi_arena *work);

/* Eigen-decomposition of the symmetric k x k matrix T (row-major, destroyed)
 * by cyclic Jacobi rotations: eigenvalues into w (ascending), eigenvectors
 * as the columns of Q (k x k row-major). */
void vi_lr_sym_eigen(double *T, size_t k, double *w, double *Q);

#endif
