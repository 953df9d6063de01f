/* math.c: scalar and elementwise math functions and the constants.
 *
 * Unary functions are one X-macro row each (name, y = f(a), dy/da, test
 * spec); they take int, real, vector, row_vector, matrix or arrays of them
 * and keep the shape (ints become reals; abs keeps ints). Binary functions
 * (atan2 hypot fmin fmax fdim lbeta lchoose log_diff_exp) broadcast a scalar
 * against a container as Stan's vectorised versions do; fma takes three.
 * Functions with a zero derivative almost everywhere (floor, step, ...)
 * still record a node, with adjoint 0, so a result computed from a
 * parameter stays a parameter-dependent value.
 *
 * NaN in gives NaN out; outside a function's domain the result is NaN (or
 * +-Inf at poles), as in Stan's math library, not an error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib.h"
#include "special.h"

#define VI_PI 3.14159265358979323846264338327950
#define VI_TWO_OVER_SQRT_PI 1.12837916709551257389615890312154
#define VI_LOG10 2.30258509299404568401799145468437

/* ---- unary elementwise ops ----
 * X(name, y = forward of a, dy/da in terms of a and y, test spec) */
#define VI_UNARY_OPS(X) \
  X(FABS, fabs, fabs(a), (a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0), "r[0.1,2]; r[-2,-0.1]; v[-2,-0.1]") \
  /* y = e^a;  da += dy y */ \
  X(EXP, exp, exp(a), y, "r; v; rv; m2x3; a; i; ia") \
  /* y = log a;  da += dy / a  (a < 0: NaN, a = 0: -Inf) */ \
  X(LOG, log, log(a), 1 / a, "r[0.1,3]; v[0.1,3]; m2x2[0.1,3]; a[0.1,3]; i[1,5]") \
  /* y = log(1 + a);  da += dy / (1 + a)  (a < -1: NaN) */ \
  X(LOG1P, log1p, log1p(a), 1 / (1 + a), "r[-0.5,2]; v[-0.5,2]") \
  /* y = e^a - 1;  da += dy (y + 1) */ \
  X(EXPM1, expm1, expm1(a), y + 1, "r; v") \
  /* y = log(1 - a);  da -= dy / (1 - a)  (a > 1: NaN) */ \
  X(LOG1M, log1m, log1p(-a), -1 / (1 - a), "r[-2,0.9]; v[-2,0.9]") \
  /* y = sqrt a;  da += dy / (2 y)  (a < 0: NaN) */ \
  X(SQRT, sqrt, sqrt(a), 0.5 / y, "r[0.1,3]; v[0.1,3]; a[0.1,3]") \
  /* y = cbrt a;  da += dy / (3 y^2) */ \
  X(CBRT, cbrt, cbrt(a), 1 / (3 * y * y), "r[0.1,3]; r[-3,-0.1]; v[0.1,3]") \
  /* y = a^2;  da += 2 a dy */ \
  X(SQUARE, square, a * a, 2 * a, "r; v; m2x3") \
  /* y = 1 / a;  da -= dy y^2 */ \
  X(INV, inv, 1 / a, -y * y, "r[0.5,2]; r[-2,-0.5]; v[0.5,2]") \
  /* y = 1 / sqrt a;  da -= dy y / (2 a) */ \
  X(INV_SQRT, inv_sqrt, 1 / sqrt(a), -0.5 * y / a, "r[0.2,3]; v[0.2,3]") \
  /* y = 1 / a^2;  da -= 2 dy y / a */ \
  X(INV_SQUARE, inv_square, 1 / (a * a), -2 * y / a, "r[0.5,2]; v[0.5,2]") \
  /* y = 1 / (1 + e^-a);  da += dy y (1 - y) */ \
  X(INV_LOGIT, inv_logit, vi_inv_logit(a), y * (1 - y), "r[-4,4]; v[-4,4]; a[-4,4]") \
  /* y = log(a / (1 - a));  da += dy / (a (1 - a))  (outside [0, 1]: NaN) */ \
  X(LOGIT, logit, vi_logit(a), 1 / (a * (1 - a)), "r[0.05,0.95]; v[0.05,0.95]") \
  /* y = log inv_logit(a);  da += dy inv_logit(-a) */ \
  X(LOG_INV_LOGIT, log_inv_logit, vi_log_inv_logit(a), vi_inv_logit(-a), "r[-5,5]; v[-5,5]") \
  /* y = log(1 - inv_logit(a));  da -= dy inv_logit(a) */ \
  X(LOG1M_INV_LOGIT, log1m_inv_logit, vi_log1m_inv_logit(a), -vi_inv_logit(a), "r[-5,5]; v[-5,5]") \
  /* y = log(1 + e^a);  da += dy inv_logit(a) */ \
  X(LOG1P_EXP, log1p_exp, vi_log1p_exp(a), vi_inv_logit(a), "r[-5,5]; v[-5,5]") \
  /* y = log(1 - e^a);  da -= dy / expm1(-a)  (a > 0: NaN, a = 0: -Inf) */ \
  X(LOG1M_EXP, log1m_exp, vi_log1m_exp(a), -1 / expm1(-a), "r[-3,-0.1]; v[-3,-0.1]") \
  /* y = log Gamma(a);  da += dy digamma(a)  (poles at 0, -1, ...: +Inf) */ \
  X(LGAMMA, lgamma, vi_lgamma(a), vi_digamma(a), "r[0.2,5]; r[-0.8,-0.2]; v[0.2,5]") \
  /* y = Gamma(a);  da += dy y digamma(a) */ \
  X(TGAMMA, tgamma, tgamma(a), y * vi_digamma(a), "r[0.2,4]; v[0.2,4]") \
  /* y = digamma(a);  da += dy trigamma(a) */ \
  X(DIGAMMA, digamma, vi_digamma(a), vi_trigamma(a), "r[0.2,5]; v[0.2,5]") \
  /* y = Phi(a);  da += dy phi(a) */ \
  X(PHI, Phi, vi_Phi(a), VI_INV_SQRT_2PI * exp(-0.5 * a * a), "r[-3,3]; v[-3,3]") \
  /* y = inv_logit(0.07056 a^3 + 1.5976 a);  da += dy y (1 - y) (0.21168 a^2 + 1.5976) */ \
  X(PHI_APPROX, Phi_approx, vi_inv_logit(0.07056 * a * a * a + 1.5976 * a), y * (1 - y) * (0.21168 * a * a + 1.5976), \
    "r[-3,3]; v[-3,3]") \
  /* y = erf a;  da += dy 2/sqrt(pi) e^(-a^2) */ \
  X(ERF, erf, erf(a), VI_TWO_OVER_SQRT_PI * exp(-a * a), "r; v") \
  /* y = erfc a;  da -= dy 2/sqrt(pi) e^(-a^2) */ \
  X(ERFC, erfc, erfc(a), -VI_TWO_OVER_SQRT_PI * exp(-a * a), "r; v") \
  /* y = sin a;  da += dy cos a */ \
  X(SIN, sin, sin(a), cos(a), "r; v; m2x3") \
  /* y = cos a;  da -= dy sin a */ \
  X(COS, cos, cos(a), -sin(a), "r; v") \
  /* y = tan a;  da += dy (1 + y^2) */ \
  X(TAN, tan, tan(a), 1 + y * y, "r[-1.2,1.2]; v[-1.2,1.2]") \
  /* y = asin a;  da += dy / sqrt(1 - a^2)  (|a| > 1: NaN) */ \
  X(ASIN, asin, asin(a), 1 / sqrt(1 - a * a), "r[-0.9,0.9]; v[-0.9,0.9]") \
  /* y = acos a;  da -= dy / sqrt(1 - a^2)  (|a| > 1: NaN) */ \
  X(ACOS, acos, acos(a), -1 / sqrt(1 - a * a), "r[-0.9,0.9]; v[-0.9,0.9]") \
  /* y = atan a;  da += dy / (1 + a^2) */ \
  X(ATAN, atan, atan(a), 1 / (1 + a * a), "r; v") \
  /* y = sinh a;  da += dy cosh a */ \
  X(SINH, sinh, sinh(a), cosh(a), "r; v") \
  /* y = cosh a;  da += dy sinh a */ \
  X(COSH, cosh, cosh(a), sinh(a), "r; v") \
  /* y = tanh a;  da += dy (1 - y^2) */ \
  X(TANH, tanh, tanh(a), 1 - y * y, "r; v; m2x3") \
  /* y = softplus a = log(1 + e^a) (log1p_exp under the name networks use);  da += dy inv_logit a */ \
  X(SOFTPLUS, softplus, vi_log1p_exp(a), vi_inv_logit(a), "r[-5,5]; v[-5,5]; m2x3[-5,5]") \
  /* y = relu a = max(a, 0);  da += dy [a > 0] (no derivative at 0: 0 is used) */ \
  X(RELU, relu, a > 0 ? a : 0.0, (a > 0 ? 1.0 : 0.0), "r[0.1,2]; r[-2,-0.1]; v[0.1,2]; m2x3[-2,-0.1]") \
  /* y = elu a = a for a > 0, e^a - 1 otherwise;  da += dy (a > 0 ? 1 : y + 1) */ \
  X(ELU, elu, a > 0 ? a : expm1(a), (a > 0 ? 1.0 : y + 1), "r[0.1,2]; r[-2,-0.1]; v[-2,-0.1]; m2x3[0.1,2]") \
  /* y = floor a;  da += 0 (jumps at the integers) */ \
  X(FLOOR, floor, floor(a), 0.0, "r[0.1,0.9]; v[1.1,1.9]") \
  /* y = ceil a;  da += 0 */ \
  X(CEIL, ceil, ceil(a), 0.0, "r[0.1,0.9]; v[-1.9,-1.1]") \
  /* y = round a (half away from zero);  da += 0 */ \
  X(ROUND, round, round(a), 0.0, "r[0.6,1.4]; v[-1.4,-0.6]") \
  /* y = trunc a;  da += 0 */ \
  X(TRUNC, trunc, trunc(a), 0.0, "r[0.1,0.9]; v[-1.9,-1.1]") \
  /* y = 2^a;  da += dy y log 2 */ \
  X(EXP2, exp2, exp2(a), y * VI_LOG2, "r; v") \
  /* y = a < 0 ? 0 : 1 (Stan's step);  da += 0 */ \
  X(STEP, step, (a < 0 ? 0.0 : 1.0), 0.0, "r[0.1,2]; r[-2,-0.1]; v[0.1,2]")

/* Unary ops whose rows are written by hand below (abs keeps ints; log2 and
 * log10 with no argument are constants). */
#define VI_UNARY_OPS_OWNROW(X) \
  /* y = |a|;  da += dy sign(a)  (0 at a = 0) */ \
  X(ABS, abs, fabs(a), (a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0), "r[0.1,2]; r[-2,-0.1]; v[0.1,2]; a[-2,-0.1]; i[-5,5]; ia[-5,5]") \
  /* y = log2 a;  da += dy / (a log 2) */ \
  X(LOG2, log2, log2(a), 1 / (a * VI_LOG2), "r[0.1,3]; v[0.1,3]") \
  /* y = log10 a;  da += dy / (a log 10) */ \
  X(LOG10, log10, log10(a), 1 / (a * VI_LOG10), "r[0.1,3]; v[0.1,3]")

#define VI_UNARY_KERNELS(CODE, NAME, FWD, DER, TEST) \
  int vi_k_##NAME##_fwd(struct vi_node *n) { \
    const double *ax = n->a[0].x; \
    for (size_t i = 0; i < n->n; i++) { \
      const double a = ax[i]; \
      n->y[i] = FWD; \
    } \
    return 0; \
  } \
  void vi_k_##NAME##_bwd(struct vi_node *n) { \
    const double *ax = n->a[0].x, *yv = n->y, *dy = n->dy; \
    double *da = n->a[0].dx; \
    if (!da) return; \
    for (size_t i = 0; i < n->n; i++) { \
      const double a = ax[i], y = yv[i]; \
      (void)a, (void)y; \
      da[i] += dy[i] * (DER); \
    } \
  } \
  static int NAME##_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags, \
                         struct vi_srcloc loc) { \
    (void)flags; \
    return unary_impl(c, out, args, nargs, VI_OPDEF(CODE), loc); \
  }

static int unary_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                      const struct vi_opdef *op, struct vi_srcloc loc) {
  if (nargs != 1) return vi_ctx_error(c, loc, "%s: expected 1 argument, got %d", op->name, nargs);
  if (vi_rule_unary(&args[0].t, 1).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "%s: argument must be int, real, vector, row_vector, matrix or an array", op->name);
  return vi_apply_unary(c, out, &args[0], op, loc);
}

VI_UNARY_OPS(VI_UNARY_KERNELS)
VI_UNARY_OPS_OWNROW(VI_UNARY_KERNELS)

/* abs of ints stays int: |i| elementwise over int scalars and arrays. */
static int abs_int_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                        struct vi_srcloc loc) {
  if (nargs == 1 && args[0].t.base == VI_T_INT) {
    if (vi_val_new_int(c, out, args[0].t, args[0].dim)) return vi_ctx_error(c, loc, "out of memory");
    for (size_t i = 0; i < out->n; i++) {
      int v = args[0].ix ? args[0].ix[i] : (int)vi_val_get(&args[0], i);
      if (v == -2147483647 - 1) return vi_ctx_error(c, loc, "abs: integer overflow");
      out->ix[i] = v < 0 ? -v : v;
    }
    return VI_OK;
  }
  return abs_impl(c, out, args, nargs, flags, loc);
}

static struct vi_type rule_abs(const struct vi_type *a, int n) {
  if (n == 1 && a[0].base == VI_T_INT) return a[0];
  return vi_rule_unary(a, n);
}

/* ---- binary elementwise ops with scalar broadcasting ----
 * (the loop splitting mirrors stdlib/ops.c: each broadcast case is its own
 * branch-free loop) */
#define VI_BCAST2(na, nb, n, ...) \
  do { \
    if ((na) == (n) && (nb) == (n)) { \
      for (size_t i = 0; i < (n); i++) { \
        const size_t ia = i, ib = i; \
        __VA_ARGS__ \
      } \
    } else if ((na) == (n)) { \
      for (size_t i = 0; i < (n); i++) { \
        const size_t ia = i, ib = 0; \
        __VA_ARGS__ \
      } \
    } else { \
      for (size_t i = 0; i < (n); i++) { \
        const size_t ia = 0, ib = (nb) == (n) ? i : 0; \
        __VA_ARGS__ \
      } \
    } \
  } while (0)

/* X(name, y = forward of a, b;  dy/da;  dy/db;  test spec) */
#define VI_BINARY_OPS(X) \
  /* y = atan2(a, b);  da += dy b / (a^2 + b^2);  db -= dy a / (a^2 + b^2) */ \
  X(ATAN2, atan2, atan2(a, b), b / (a * a + b * b), -a / (a * a + b * b), "r,r; v,r; r,v; v,v; a,a") \
  /* y = sqrt(a^2 + b^2);  da += dy a / y;  db += dy b / y */ \
  X(HYPOT, hypot, hypot(a, b), a / y, b / y, "r,r; v,r; r,v; v,v") \
  /* y = the smaller (a non-NaN one if the other is NaN);  the chosen operand gets dy */ \
  X(FMIN, fmin, fmin(a, b), (a <= b || isnan(b) ? 1.0 : 0.0), (a <= b || isnan(b) ? 0.0 : 1.0), \
    "r[0,1],r[2,3]; r[2,3],r[0,1]; v[0,1],r[2,3]; v[2,3],v[0,1]") \
  /* y = the larger;  the chosen operand gets dy */ \
  X(FMAX, fmax, fmax(a, b), (a >= b || isnan(b) ? 1.0 : 0.0), (a >= b || isnan(b) ? 0.0 : 1.0), \
    "r[0,1],r[2,3]; r[2,3],r[0,1]; v[0,1],r[2,3]; v[2,3],v[0,1]") \
  /* y = max(a - b, 0);  da += dy [a > b];  db -= dy [a > b] */ \
  X(FDIM, fdim, fdim(a, b), (a > b ? 1.0 : 0.0), (a > b ? -1.0 : 0.0), \
    "r[2,3],r[0,1]; r[0,1],r[2,3]; v[2,3],r[0,1]; v[2,3],v[0,1]") \
  /* y = log Beta(a, b);  da += dy (digamma(a) - digamma(a + b)), db likewise */ \
  X(LBETA, lbeta, vi_lbeta(a, b), vi_digamma(a) - vi_digamma(a + b), vi_digamma(b) - vi_digamma(a + b), \
    "r[0.2,5],r[0.2,5]; r[20,40],r[15,30]; v[0.2,5],r[0.2,5]; r[0.2,5],v[0.2,5]; v[0.2,5],v[0.2,5]") \
  /* y = log C(a, b) = -log1p(a) - lbeta(a - b + 1, b + 1), a > -1, -1 < b < a + 1;
   * da += dy (digamma(a + 1) - digamma(a - b + 1));
   * db += dy (digamma(a - b + 1) - digamma(b + 1)) */ \
  X(LCHOOSE, lchoose, vi_lchoose(a, b), vi_digamma(a + 1) - vi_digamma(a - b + 1), \
    vi_digamma(a - b + 1) - vi_digamma(b + 1), \
    "r[5,10],r[0.5,4]; v[5,10],r[0.5,4]; r[5,10],v[0.5,4]; i[5,10],i[0,4]; !r[1,2],r[5,6]") \
  /* y = log(e^a - e^b), a > b;  da -= dy / expm1(b - a);  db -= dy / expm1(a - b)
   * (a = b: -Inf; a < b: NaN) */ \
  X(LOG_DIFF_EXP, log_diff_exp, vi_log_diff_exp(a, b), -1 / expm1(b - a), -1 / expm1(a - b), \
    "r[1,2],r[-1,0.5]; v[1,2],r[-1,0.5]; r[1,2],v[-1,0.5]; v[1,2],v[-1,0.5]")

static struct vi_type rule_binary(const struct vi_type *a, int n) {
  if (n != 2) return vi_ty(VI_T_ERROR, 0);
  struct vi_type x = a[0], y = a[1];
  int sx = vi_ty_is_scalar(x), sy = vi_ty_is_scalar(y);
  struct vi_type rx = vi_rule_unary(&x, 1), ry = vi_rule_unary(&y, 1);
  if (rx.base == VI_T_ERROR || ry.base == VI_T_ERROR) return vi_ty(VI_T_ERROR, 0);
  if (sx) return ry;
  if (sy || vi_ty_eq(rx, ry)) return rx;
  return vi_ty(VI_T_ERROR, 0);
}

/* lchoose's domain error is an error, as in Stan, not a NaN */
static int binary_check(const struct vi_node *n, size_t ia, size_t ib);

#define VI_BINARY_KERNELS(CODE, NAME, FWD, DA, DB, TEST) \
  int vi_k_##NAME##_fwd(struct vi_node *n) { \
    const double *ax = n->a[0].x, *bx = n->a[1].x; \
    double *yv = n->y; \
    VI_BCAST2(n->a[0].n, n->a[1].n, n->n, { \
      const double a = ax[ia], b = bx[ib]; \
      yv[i] = FWD; \
    }); \
    if (n->op == VI_OPDEF(LCHOOSE)) \
      VI_BCAST2(n->a[0].n, n->a[1].n, n->n, { \
        if (binary_check(n, ia, ib)) return 1; \
      }); \
    return 0; \
  } \
  void vi_k_##NAME##_bwd(struct vi_node *n) { \
    const double *ax = n->a[0].x, *bx = n->a[1].x, *yv = n->y, *dy = n->dy; \
    double *da = n->a[0].dx, *db = n->a[1].dx; \
    size_t na = n->a[0].n, nb = n->a[1].n, nn = n->n; \
    double sa = 0, sb = 0; \
    VI_BCAST2(na, nb, nn, { \
      const double a = ax[ia], b = bx[ib], y = yv[i], g = dy[i]; \
      (void)a, (void)b, (void)y; \
      if (da) { \
        if (na == nn) da[i] += g * (DA); \
        else sa += g * (DA); \
      } \
      if (db) { \
        if (nb == nn) db[i] += g * (DB); \
        else sb += g * (DB); \
      } \
    }); \
    if (da && na != nn) da[0] += sa; \
    if (db && nb != nn) db[0] += sb; \
  } \
  static int NAME##_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags, \
                         struct vi_srcloc loc) { \
    (void)flags; \
    return binary_impl(c, out, args, nargs, VI_OPDEF(CODE), loc); \
  }

static int binary_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                       const struct vi_opdef *op, struct vi_srcloc loc) {
  if (nargs != 2) return vi_ctx_error(c, loc, "%s: expected 2 arguments, got %d", op->name, nargs);
  struct vi_type ts[2] = {args[0].t, args[1].t};
  if (rule_binary(ts, 2).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "%s: arguments must be scalars or containers of the same type", op->name);
  return vi_apply_binary(c, out, &args[0], &args[1], op, op->name, loc);
}


static int binary_check(const struct vi_node *n, size_t ia, size_t ib) {
  double a = n->a[0].x[ia], b = n->a[1].x[ib];
  if (!(a > -1)) return vi_node_fail((struct vi_node *)n, "first argument is %g, must be greater than -1", a);
  if (!(b > -1 && b < a + 1))
    return vi_node_fail((struct vi_node *)n, "second argument is %g, must be in (-1, %g)", b, a + 1);
  return 0;
}

VI_BINARY_OPS(VI_BINARY_KERNELS)

/* ---- fma ---- */

/* y = a b + c (fused, one rounding);  da += dy b;  db += dy a;  dc += dy.
 * Operands of length 1 broadcast. */
int vi_k_fma_fwd(struct vi_node *n) {
  const struct vi_arg *A = &n->a[0], *B = &n->a[1], *C = &n->a[2];
  for (size_t i = 0; i < n->n; i++)
    n->y[i] = fma(A->x[A->n > 1 ? i : 0], B->x[B->n > 1 ? i : 0], C->x[C->n > 1 ? i : 0]);
  return 0;
}
void vi_k_fma_bwd(struct vi_node *n) {
  struct vi_arg *A = &n->a[0], *B = &n->a[1], *C = &n->a[2];
  for (size_t i = 0; i < n->n; i++) {
    size_t ia = A->n > 1 ? i : 0, ib = B->n > 1 ? i : 0, ic = C->n > 1 ? i : 0;
    double g = n->dy[i];
    if (A->dx) A->dx[ia] += g * B->x[ib];
    if (B->dx) B->dx[ib] += g * A->x[ia];
    if (C->dx) C->dx[ic] += g;
  }
}

static struct vi_type rule_fma(const struct vi_type *a, int n) {
  if (n != 3) return vi_ty(VI_T_ERROR, 0);
  struct vi_type t = rule_binary(a, 2);
  if (t.base == VI_T_ERROR) return t;
  struct vi_type u[2] = {t, a[2]};
  return rule_binary(u, 2);
}

static int fma_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                    struct vi_srcloc loc) {
  (void)flags;
  struct vi_type ts[3] = {args[0].t, args[nargs > 1].t, args[nargs > 2 ? 2 : 0].t};
  if (nargs != 3 || rule_fma(ts, 3).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "fma: arguments must be scalars or containers of the same type");
  const struct vi_val *shape = &args[0];
  for (int k = 0; k < 3; k++)
    if (!vi_ty_is_scalar(args[k].t)) shape = &args[k];
  for (int k = 0; k < 3; k++)
    if (!vi_ty_is_scalar(args[k].t) && args[k].n != shape->n)
      return vi_ctx_error(c, loc, "fma: sizes do not match (%zu and %zu elements)", args[k].n, shape->n);
  for (int k = 0; k < 3; k++) {
    int r = vi_val_contig(c, &args[k], loc);
    if (r) return r;
  }
  struct vi_node *n = vi_node_new(c, VI_OPDEF(FMA), 3, shape->n, loc);
  if (!n) return VI_ERR_NOMEM;
  for (int k = 0; k < 3; k++) vi_node_arg(n, k, &args[k]);
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, shape);
  if (out->t.base == VI_T_INT) out->t.base = VI_T_REAL;
  return vi_node_run(c, n, out);
}

/* ---- int-valued tests ---- */

static struct vi_type rule_real_to_int(const struct vi_type *a, int n) {
  if (n != 1 || !vi_ty_is_scalar(a[0])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_INT, 0);
}

/* int_step(x) = x > 0 ? 1 : 0 (0 for NaN); is_inf, is_nan: 1 or 0. */
static int int_test(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int which,
                    const char *fname, struct vi_srcloc loc) {
  if (nargs != 1 || !vi_ty_is_scalar(args[0].t))
    return vi_ctx_error(c, loc, "%s: expected one int or real argument", fname);
  double x = vi_val_get(&args[0], 0);
  int r = which == 0 ? x > 0 : which == 1 ? isinf(x) != 0 : isnan(x) != 0;
  return vi_val_int_scalar(c, out, r) ? vi_ctx_error(c, loc, "out of memory") : VI_OK;
}
static int int_step_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                         struct vi_srcloc loc) {
  (void)flags;
  return int_test(c, out, args, nargs, 0, "int_step", loc);
}
static int is_inf_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                       struct vi_srcloc loc) {
  (void)flags;
  return int_test(c, out, args, nargs, 1, "is_inf", loc);
}
static int is_nan_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                       struct vi_srcloc loc) {
  (void)flags;
  return int_test(c, out, args, nargs, 2, "is_nan", loc);
}

/* to_int(x): x truncated toward zero, for data only (no derivative); int
 * arguments pass through; arrays keep their shape. Errors: a differentiable
 * argument, NaN or a value outside the int range. */
static struct vi_type rule_to_int(const struct vi_type *a, int n) {
  if (n != 1 || (a[0].base != VI_T_INT && a[0].base != VI_T_REAL)) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_INT, a[0].ndims);
}

static int to_int_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                       struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 1 || rule_to_int(&args[0].t, 1).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "to_int: expected one int or real argument (or an array of them)");
  if (!vi_val_is_const(&args[0]))
    return vi_ctx_error(c, loc, "to_int: argument must be data (to_int has no derivative)");
  struct vi_val *a = &args[0];
  for (size_t i = 0; i < a->n; i++) {
    double x = vi_val_get(a, i);
    if (isnan(x) || !(x > -2147483649.0 && x < 2147483648.0)) {
      char idx[32] = "";
      if (a->t.ndims > 0) snprintf(idx, sizeof idx, "[%zu]", i + 1);
      return vi_ctx_error(c, loc, "to_int: argument%s is %g, must be in the int range [-2147483648, 2147483647]",
                          idx, x);
    }
  }
  if (a->t.ndims == 0) {
    double x = vi_val_get(a, 0);
    return vi_val_int_scalar(c, out, (int)x) ? vi_ctx_error(c, loc, "out of memory") : VI_OK;
  }
  memset(out, 0, sizeof *out);
  if (vi_val_new_int(c, out, vi_ty(VI_T_INT, a->t.ndims), a->dim)) return vi_ctx_error(c, loc, "out of memory");
  for (size_t i = 0; i < a->n; i++) out->ix[i] = (int)vi_val_get(a, i);
  return VI_OK;
}

/* ---- constants ---- */

static struct vi_type rule_const(const struct vi_type *a, int n) {
  (void)a;
  return n == 0 ? vi_ty(VI_T_REAL, 0) : vi_ty(VI_T_ERROR, 0);
}

/* log2() and log10() with no argument are the constants log 2 and log 10. */
static struct vi_type rule_log_const(const struct vi_type *a, int n) {
  return n == 0 ? vi_ty(VI_T_REAL, 0) : vi_rule_unary(a, n);
}

static int constant(struct vi_ctx *c, struct vi_val *out, int nargs, double v, const char *fname,
                    struct vi_srcloc loc) {
  if (nargs != 0) return vi_ctx_error(c, loc, "%s: takes no arguments", fname);
  return vi_val_real_scalar(c, out, v) ? vi_ctx_error(c, loc, "out of memory") : VI_OK;
}

#define VI_CONSTANTS(X) \
  X(pi, VI_PI) \
  X(e, 2.71828182845904523536028747135266) \
  X(sqrt2, VI_SQRT2) \
  X(not_a_number, NAN) \
  X(positive_infinity, INFINITY) \
  X(negative_infinity, -INFINITY) \
  X(machine_precision, 2.220446049250313e-16)

#define VI_CONST_IMPL(NAME, VALUE) \
  static int NAME##_const_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, \
                               int flags, struct vi_srcloc loc) { \
    (void)args, (void)flags; \
    return constant(c, out, nargs, VALUE, #NAME, loc); \
  }
VI_CONSTANTS(VI_CONST_IMPL)

static int log2_any_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                         struct vi_srcloc loc) {
  if (nargs == 0) return constant(c, out, 0, VI_LOG2, "log2", loc);
  return log2_impl(c, out, args, nargs, flags, loc);
}
static int log10_any_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                          struct vi_srcloc loc) {
  if (nargs == 0) return constant(c, out, 0, VI_LOG10, "log10", loc);
  return log10_impl(c, out, args, nargs, flags, loc);
}

/* ---- the table ---- */

#define VI_UNARY_SIG "(T) => T for real, vector, row_vector, matrix and arrays of them (int -> real)"
#define VI_BINARY_SIG "(real, real) => real; elementwise with scalar broadcasting over containers"
#define VI_UNARY_ROW(CODE, NAME, FWD, DER, TEST) {#NAME, vi_rule_unary, NAME##_impl, VI_UNARY_SIG, 0, TEST},
#define VI_BINARY_ROW(CODE, NAME, FWD, DA, DB, TEST) {#NAME, rule_binary, NAME##_impl, VI_BINARY_SIG, 0, TEST},
#define VI_CONST_ROW(NAME, VALUE) {#NAME, rule_const, NAME##_const_impl, "() => real", 0, NULL},

const struct vi_func vi_stdlib_math[] = {
    VI_UNARY_OPS(VI_UNARY_ROW)
    VI_BINARY_OPS(VI_BINARY_ROW)
    VI_CONSTANTS(VI_CONST_ROW)
    {"abs", rule_abs, abs_int_impl, "(int) => int; (T) => T elementwise (int arrays stay int)", 0,
     "r[0.1,2]; r[-2,-0.1]; v[0.1,2]; a[-2,-0.1]; m2x2[0.1,2]; i[-5,5]; ia[-5,5]"},
    {"log2", rule_log_const, log2_any_impl, "() => real (log 2); " VI_UNARY_SIG, 0, "r[0.1,3]; v[0.1,3]"},
    {"log10", rule_log_const, log10_any_impl, "() => real (log 10); " VI_UNARY_SIG, 0, "r[0.1,3]; v[0.1,3]"},
    {"fma", rule_fma, fma_impl, "(real, real, real) => real; elementwise with scalar broadcasting", 0,
     "r,r,r; v,r,r; r,v,v; v,v,v; !v3,v4,r"},
    {"int_step", rule_real_to_int, int_step_impl, "(real) => int; (int) => int", 0,
     "d:r[0.1,2]; d:r[-2,-0.1]; i[-3,3]"},
    {"is_inf", rule_real_to_int, is_inf_impl, "(real) => int", 0, "d:r"},
    {"is_nan", rule_real_to_int, is_nan_impl, "(real) => int", 0, "d:r"},
    {"to_int", rule_to_int, to_int_impl,
     "(data real) => int; (data int) => int; (data array[...] real) => array[...] int", VI_FN_NOGRAD,
     "d:r[-5,5]; d:r[-5,5]; d:a3[-5,5]; d:i[-5,5]; !d:r[3e9,4e9]; !d:r[-4e9,-3e9]; !d:a2[3e9,4e9]"},
};
const size_t vi_stdlib_math_n = VI_COUNTOF(vi_stdlib_math);
