/* transform.h: Stan's constraint transforms (Stan 2.21 / Stan Math 3.1).
 *
 * A constrained parameter is stored on the unconstrained scale as a vector u;
 * the model sees y = f(u) and adds log|J| (the log absolute Jacobian
 * determinant) to the log density. The order of u and the log-Jacobian are
 * exactly Stan's, so a point on our unconstrained scale is the same point as
 * on Stan's (CmdStan's `log_prob` with the Jacobian agrees up to rounding).
 *
 *   kind               y = f(u)                                    log|J|
 *   identity           u                                           0
 *   lower (lb)         lb + exp(u)                                 u
 *   upper (ub)         ub - exp(u)                                 u
 *   lower_upper        lb + (ub-lb) inv_logit(u)                   log(ub-lb) + log inv_logit(u)
 *                                                                  + log(1 - inv_logit(u))
 *                      (lb = -inf: upper; ub = +inf: lower; both: identity)
 *   offset_mult (m,s)  m + s u                                     log s
 *   ordered[K]         y1 = u1, yk = y(k-1) + exp(uk)              sum_{k>=2} uk
 *   positive_ordered   y1 = exp(u1), yk = y(k-1) + exp(uk)         sum uk
 *   simplex[K]         stick-breaking, K-1 values:                 sum_k log zk + log(1-zk)
 *                      zk = inv_logit(uk - log(K-k)),                    + log(1 - sum_{j<k} yj)
 *                      yk = (1 - sum_{j<k} yj) zk, yK = the rest
 *   unit_vector[K]     u / |u|                                     -|u|^2 / 2
 *   cholesky_factor_corr[K]  K(K-1)/2 values, z = tanh(u) read ROW-major over the strict lower
 *                      triangle ((2,1), (3,1), (3,2), ...); L(i,1) = z, L(i,j) = z sqrt(1 - sum_{k<j} L(i,k)^2),
 *                      L(i,i) = sqrt(1 - sum_{k<i} L(i,k)^2)
 *                                                  log|J| = sum log(1-z^2) + 1/2 sum_{i, j=2..i-1} log(1 - sum_{k<j} L(i,k)^2)
 *   corr_matrix[K]     K(K-1)/2 values, z = tanh(u) read COLUMN-major over the strict lower
 *                      triangle ((2,1), (3,1), ..., (K,1), (3,2), ...), L as above, y = L L'
 *                                                  log|J| = sum log(1-z^2) + 1/2 sum_{column j} (K-j-1) log(1 - z^2)
 *   cholesky_factor_cov[M,N]  N(N+1)/2 + (M-N)N values read ROW-major over the lower trapezoid,
 *                      diagonal entries exp(u)                       sum of the diagonal u
 *   cov_matrix[K]      K(K+1)/2 values read ROW-major into a lower L with exp diagonal, y = L L'
 *                                                  log|J| = K log 2 + sum_{k=1..K} (K-k+2) u_kk
 *   sum_to_zero_vector[K]  K-1 values, Stan's isometric transform (2.36):  0 (y = A u, A has
 *                      w_i = u_i / sqrt(i(i+1)); y_j = sum_{i>=j} w_i - (j-1) w_{j-1}    orthonormal
 *                      (1-based, w_0 = w_K = 0), so sum y = 0                             columns)
 *
 * Layout of constrained values: as struct vi_val (array elements outermost,
 * matrices column-major). Unconstrained values of array elements follow each
 * other in the same order. */
#ifndef VI_TRANSFORM_H
#define VI_TRANSFORM_H
#include <stddef.h>

#include "vi/tape.h"

enum vi_transform_kind {
  VI_TR_IDENTITY,
  VI_TR_LOWER,       /* lo = lower bound */
  VI_TR_UPPER,       /* hi = upper bound */
  VI_TR_LOWER_UPPER, /* lo, hi (either may be absent = infinite) */
  VI_TR_OFFSET_MULT, /* lo = offset (absent: 0), hi = multiplier (absent: 1) */
  VI_TR_ORDERED,
  VI_TR_POS_ORDERED,
  VI_TR_SIMPLEX,
  VI_TR_UNIT_VECTOR,
  VI_TR_CHOL_CORR,
  VI_TR_CHOL_COV,
  VI_TR_CORR,
  VI_TR_COV,
  VI_TR_SUM_TO_ZERO,
  VI_TR__COUNT
};

/* Unconstrained size of ONE constrained element of the kind with these sizes
 * (rows x cols; vectors: cols = 1):
 * elementwise kinds, ordered, positive_ordered, unit_vector: rows*cols;
 * simplex[K], sum_to_zero_vector[K]: K-1; cholesky_factor_corr[K], corr_matrix[K]: K(K-1)/2;
 * cholesky_factor_cov[M,N]: N(N+1)/2 + (M-N)N; cov_matrix[K]: K(K+1)/2.
 * Sizes that do not fit the kind (a 0-simplex, a non-square corr_matrix,
 * M < N) give 0; vi_transform_constrain reports them. */
size_t vi_transform_size(int kind, int rows, int cols);

/* Constrains u into `out` and sets the summed log|J| in `logj`.
 * out: its shape is set by the caller (type, dims, n == count * rows * cols);
 *   this sets out->x (and out->dx when anything is differentiable).
 * count: number of array elements; each is rows x cols (vector: cols = 1).
 * u: count * vi_transform_size(kind, rows, cols) unconstrained values,
 *   contiguous, borrowed (must live as long as the tape); u_dx their adjoints
 *   or NULL when constant.
 * lo/hi: LOWER/UPPER/LOWER_UPPER bounds, or OFFSET_MULT offset/multiplier;
 *   NULL = absent; each a scalar or out->n elements, possibly differentiable
 *   (made contiguous here); ignored by the other kinds.
 * logj: set to a real scalar (differentiable when anything is).
 * Records one node when anything is differentiable (plus pack nodes for
 * non-contiguous bounds). Failures that depend on values (lower bound not
 * below upper bound, non-positive multiplier, a zero unit_vector) are kernel
 * failures, re-checked on every tape replay: "lower bound 3 is not below upper
 * bound 1". Returns VI_OK, or VI_ERR_EVAL / VI_ERR_NOMEM with a diagnostic at
 * loc in c->diags. */
int vi_transform_constrain(struct vi_ctx *c, int kind, const double *u, double *u_dx, size_t count, int rows,
                           int cols, struct vi_val *lo, struct vi_val *hi, struct vi_val *out,
                           struct vi_val *logj, struct vi_srcloc loc);

/* Inverse transform in plain doubles: y (count elements of rows x cols, our
 * layout) -> u (count * vi_transform_size values, Stan's order).
 * lo/hi: plain arrays with their lengths (1 = broadcast, 0 = absent).
 * Returns 0, or -1 with a message in err (may be NULL) when y violates the
 * constraint (see vi_transform_check) or the bounds are invalid. Boundary
 * values map to +-inf (e.g. y == lb for a lower bound). */
int vi_transform_unconstrain(int kind, const double *y, size_t count, int rows, int cols, const double *lo,
                             size_t nlo, const double *hi, size_t nhi, double *u, char *err, size_t errlen);

/* Checks constrained values (data, transformed parameters) with Stan's
 * tolerances (1e-8 for sums, norms, symmetry and unit diagonals). identity
 * and offset_multiplier constrain nothing (always -1).
 * Returns -1 when all satisfy the constraint, else the flat index (into y) of
 * the first offending scalar (for a violation of a whole vector or matrix, such
 * as a simplex sum, its first scalar), with a message in err (may be NULL):
 * "is -1, below the lower bound 0", "is not a valid simplex: elements sum to
 * 1.2", "is not a valid ordered vector: element 2 is 1, not above element 1
 * (3)". Positions inside a vector or matrix are 1-based. */
long vi_transform_check(int kind, const double *y, size_t count, int rows, int cols, const double *lo, size_t nlo,
                        const double *hi, size_t nhi, char *err, size_t errlen);

#endif
