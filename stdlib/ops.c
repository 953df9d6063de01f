/* ops.c: the operators as standard-library rows (Stan's names): add,
 * subtract, minus, multiply, divide, elt_multiply, elt_divide, pow (^ and
 * .^), modulus (%), int_divide (%/%), transpose (').
 *
 * Type rules follow Stan: int op int stays int for + - * / % %/% and unary
 * minus (computed directly, no node); a scalar broadcasts against a vector,
 * row_vector or matrix; two containers must have the same type and shape.
 * Arrays are not arithmetic, except in pow, which Stan vectorises.
 * `*` is the matrix product for vector/row_vector/matrix pairs.
 *
 * Kernels split their loops by broadcast case so that the common ones
 * (vector op vector, scalar op vector) are branch-free and vectorise. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "lib.h"

/* ---- elementwise binary kernels with scalar broadcasting ----
 *
 * VI_BCAST runs its body (the variadic part) for i in [0, n) with ia, ib the operand indices; an
 * operand of length 1 gets the constant index 0, so each case compiles to
 * its own plain loop. */
#define VI_BCAST(na, nb, n, ...) \
  do { \
    if ((na) == (n) && (nb) == (n)) { \
      for (size_t i = 0; i < (n); i++) { \
        const size_t ia = i, ib = i; \
        (void)ia, (void)ib; \
        __VA_ARGS__ \
      } \
    } else if ((na) == (n)) { \
      for (size_t i = 0; i < (n); i++) { \
        const size_t ia = i, ib = 0; \
        (void)ia, (void)ib; \
        __VA_ARGS__ \
      } \
    } else { \
      for (size_t i = 0; i < (n); i++) { \
        const size_t ia = 0, ib = (nb) == (n) ? i : 0; \
        (void)ia, (void)ib; \
        __VA_ARGS__ \
      } \
    } \
  } while (0)

/* X(name, forward y(a, b), da adjoint term, db adjoint term); in the adjoint
 * terms `g` is dy[i], `y` the output, `a`, `b` the operand values. */
#define VI_BINARY_OPS(X) \
  /* y = a + b;  da += dy;  db += dy */ \
  X(ADD, add, a + b, g, g) \
  /* y = a - b;  da += dy;  db -= dy */ \
  X(SUBTRACT, subtract, a - b, g, -g) \
  /* y = a * b;  da += dy b;  db += dy a */ \
  X(ELT_MULTIPLY, elt_multiply, a * b, g * b, g * a) \
  /* y = a / b;  da += dy / b;  db -= dy y / b  (b = 0 gives +-Inf/NaN) */ \
  X(ELT_DIVIDE, elt_divide, a / b, g / b, -g * y / b) \
  /* y = a^b;  da += dy b a^(b-1);  db += dy y log a (0 where a = 0).
   * a < 0 with non-integer b gives NaN, as pow does. */ \
  X(POW, pow, pow(a, b), (b == 0 ? 0 : g * b * pow(a, b - 1)), (a == 0 ? 0 : g * y * log(a)))

#define VI_BIN_KERNELS(CODE, NAME, FWD, DA, DB) \
  int vi_k_##NAME##_fwd(struct vi_node *n) { \
    const double *ax = n->a[0].x, *bx = n->a[1].x; \
    double *yv = n->y; \
    VI_BCAST(n->a[0].n, n->a[1].n, n->n, { \
      const double a = ax[ia], b = bx[ib]; \
      yv[i] = FWD; \
    }); \
    return 0; \
  } \
  void vi_k_##NAME##_bwd(struct vi_node *n) { \
    const double *ax = n->a[0].x, *bx = n->a[1].x, *yv = n->y, *dy = n->dy; \
    double *da = n->a[0].dx, *db = n->a[1].dx; \
    size_t na = n->a[0].n, nb = n->a[1].n, nn = n->n; \
    if (da) { \
      if (na == nn) { \
        VI_BCAST(na, nb, nn, { \
          const double a = ax[ia], b = bx[ib], y = yv[i], g = dy[i]; \
          (void)a, (void)b, (void)y; \
          da[i] += DA; \
        }); \
      } else { \
        double s = 0; \
        VI_BCAST(na, nb, nn, { \
          const double a = ax[ia], b = bx[ib], y = yv[i], g = dy[i]; \
          (void)a, (void)b, (void)y; \
          s += DA; \
        }); \
        da[0] += s; \
      } \
    } \
    if (db) { \
      if (nb == nn) { \
        VI_BCAST(na, nb, nn, { \
          const double a = ax[ia], b = bx[ib], y = yv[i], g = dy[i]; \
          (void)a, (void)b, (void)y; \
          db[i] += DB; \
        }); \
      } else { \
        double s = 0; \
        VI_BCAST(na, nb, nn, { \
          const double a = ax[ia], b = bx[ib], y = yv[i], g = dy[i]; \
          (void)a, (void)b, (void)y; \
          s += DB; \
        }); \
        db[0] += s; \
      } \
    } \
  }
VI_BINARY_OPS(VI_BIN_KERNELS)

/* y = -a;  da -= dy */
int vi_k_neg_fwd(struct vi_node *n) {
  const double *a = n->a[0].x;
  for (size_t i = 0; i < n->n; i++) n->y[i] = -a[i];
  return 0;
}
void vi_k_neg_bwd(struct vi_node *n) {
  double *da = n->a[0].dx;
  if (da)
    for (size_t i = 0; i < n->n; i++) da[i] -= n->dy[i];
}

/* Matrix product C (r x c) = A (r x k) B (k x c), all column-major; a
 * vector is k x 1, a row_vector 1 x k. i[0..2] = r, k, c.
 *   C[:, j] = sum_l A[:, l] B[l, j]     (axpy over contiguous columns)
 *   dA[:, l] += dC[:, j] B[l, j]        (dA += dC B^T)
 *   dB[l, j] += A[:, l] . dC[:, j]      (dB += A^T dC) */
/* Row blocks keep a slice of the output (forward) or of its adjoint
 * (backward) in L1 while every column of A streams past it once. */
enum { MATMUL_BLOCK = 512 };

int vi_k_matmul_fwd(struct vi_node *n) {
  const size_t r = (size_t)n->i[0], k = (size_t)n->i[1], c = (size_t)n->i[2];
  const double *A = n->a[0].x, *B = n->a[1].x;
  double *C = n->y;
  if (r == 1) { /* row_vector * matrix, row_vector * vector: dot products */
    for (size_t j = 0; j < c; j++) {
      const double *bj = B + j * k;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (size_t l = 0; l < k; l++) s += A[l] * bj[l];
      C[j] = s;
    }
    return 0;
  }
  double acc[MATMUL_BLOCK];
  for (size_t j = 0; j < c; j++) {
    double *cj = C + j * r;
    const double *bj = B + j * k;
    for (size_t i0 = 0; i0 < r; i0 += MATMUL_BLOCK) {
      size_t m = r - i0 < MATMUL_BLOCK ? r - i0 : MATMUL_BLOCK;
      memset(acc, 0, m * sizeof *acc);
      for (size_t l = 0; l < k; l++) {
        const double *al = A + l * r + i0;
        const double blj = bj[l];
        for (size_t i = 0; i < m; i++) acc[i] += al[i] * blj;
      }
      memcpy(cj + i0, acc, m * sizeof *acc);
    }
  }
  return 0;
}
/* C = A B;  dA += dC B',  dB += A' dC */
void vi_k_matmul_bwd(struct vi_node *n) {
  const size_t r = (size_t)n->i[0], k = (size_t)n->i[1], c = (size_t)n->i[2];
  const double *A = n->a[0].x, *B = n->a[1].x, *dC = n->dy;
  double *dA = n->a[0].dx, *dB = n->a[1].dx;
  for (size_t j = 0; j < c; j++) {
    const double *dcj = dC + j * r;
    if (dB)
      for (size_t i0 = 0; i0 < r; i0 += MATMUL_BLOCK) {
        size_t m = r - i0 < MATMUL_BLOCK ? r - i0 : MATMUL_BLOCK;
        const double *d = dcj + i0;
        for (size_t l = 0; l < k; l++) {
          const double *al = A + l * r + i0;
          double s = 0;
#pragma omp simd reduction(+ : s)
          for (size_t i = 0; i < m; i++) s += al[i] * d[i];
          dB[l + j * k] += s;
        }
      }
    if (dA)
      for (size_t l = 0; l < k; l++) {
        double *dal = dA + l * r;
        const double blj = B[l + j * k];
        for (size_t i = 0; i < r; i++) dal[i] += dcj[i] * blj;
      }
  }
}

/* Transpose of an r x c column-major matrix (vectors: r or c is 1).
 * y[j + i c] = a[i + j r];  da[i + j r] += dy[j + i c] */
int vi_k_transpose_fwd(struct vi_node *n) {
  const size_t r = (size_t)n->i[0], c = (size_t)n->i[1];
  const double *a = n->a[0].x;
  for (size_t j = 0; j < c; j++)
    for (size_t i = 0; i < r; i++) n->y[j + i * c] = a[i + j * r];
  return 0;
}
void vi_k_transpose_bwd(struct vi_node *n) {
  const size_t r = (size_t)n->i[0], c = (size_t)n->i[1];
  double *da = n->a[0].dx;
  if (!da) return;
  for (size_t j = 0; j < c; j++)
    for (size_t i = 0; i < r; i++) da[i + j * r] += n->dy[j + i * c];
}

/* ---- type rules ---- */

static int is_scal(struct vi_type t) { return vi_ty_is_scalar(t); }
static int is_linalg(struct vi_type t) {
  return t.ndims == 0 && (t.base == VI_T_VECTOR || t.base == VI_T_ROW_VECTOR || t.base == VI_T_MATRIX);
}
static int is_numeric_array(struct vi_type t) {
  return t.ndims > 0 && (t.base == VI_T_INT || t.base == VI_T_REAL);
}
static struct vi_type err_ty(void) { return vi_ty(VI_T_ERROR, 0); }
static struct vi_type realify(struct vi_type t) {
  if (t.base == VI_T_INT) t.base = VI_T_REAL;
  return t;
}

/* Elementwise pair: scalar/scalar (int if int_ok and both int), scalar and
 * container in either order, or two containers of one type. */
static struct vi_type rule_elementwise(const struct vi_type *a, int n, int int_ok, int arrays) {
  if (n != 2) return err_ty();
  struct vi_type x = a[0], y = a[1];
  int cx = is_linalg(x) || (arrays && is_numeric_array(x));
  int cy = is_linalg(y) || (arrays && is_numeric_array(y));
  if (is_scal(x) && is_scal(y))
    return int_ok && x.base == VI_T_INT && y.base == VI_T_INT ? vi_ty(VI_T_INT, 0) : vi_ty(VI_T_REAL, 0);
  if (is_scal(x) && cy) return realify(y);
  if (cx && is_scal(y)) return realify(x);
  if (cx && cy && x.ndims == y.ndims &&
      (x.base == y.base || (x.ndims > 0 && realify(x).base == realify(y).base)))
    return realify(x);
  return err_ty();
}
static struct vi_type rule_add(const struct vi_type *a, int n) { return rule_elementwise(a, n, 1, 0); }
static struct vi_type rule_elt(const struct vi_type *a, int n) { return rule_elementwise(a, n, 0, 0); }
static struct vi_type rule_pow(const struct vi_type *a, int n) { return rule_elementwise(a, n, 0, 1); }

static struct vi_type rule_minus(const struct vi_type *a, int n) {
  if (n != 1) return err_ty();
  if (is_scal(a[0]) || is_linalg(a[0])) return a[0];
  return err_ty();
}

/* Stan's `*`: scalars broadcast; the linear-algebra products. */
static struct vi_type rule_multiply(const struct vi_type *a, int n) {
  if (n != 2) return err_ty();
  struct vi_type x = a[0], y = a[1];
  if (is_scal(x) || is_scal(y)) return rule_elementwise(a, n, 1, 0);
  if (!is_linalg(x) || !is_linalg(y)) return err_ty();
  if (x.base == VI_T_MATRIX && y.base == VI_T_VECTOR) return vi_ty(VI_T_VECTOR, 0);
  if (x.base == VI_T_ROW_VECTOR && y.base == VI_T_MATRIX) return vi_ty(VI_T_ROW_VECTOR, 0);
  if (x.base == VI_T_ROW_VECTOR && y.base == VI_T_VECTOR) return vi_ty(VI_T_REAL, 0);
  if (x.base == VI_T_VECTOR && y.base == VI_T_ROW_VECTOR) return vi_ty(VI_T_MATRIX, 0);
  if (x.base == VI_T_MATRIX && y.base == VI_T_MATRIX) return vi_ty(VI_T_MATRIX, 0);
  return err_ty();
}

/* `/`: scalar / scalar (int / int is integer division), container / scalar. */
static struct vi_type rule_divide(const struct vi_type *a, int n) {
  if (n != 2 || !is_scal(a[1])) return err_ty();
  if (is_scal(a[0]))
    return a[0].base == VI_T_INT && a[1].base == VI_T_INT ? vi_ty(VI_T_INT, 0) : vi_ty(VI_T_REAL, 0);
  if (is_linalg(a[0])) return a[0];
  return err_ty();
}

static struct vi_type rule_int2(const struct vi_type *a, int n) {
  if (n != 2 || !vi_ty_eq(a[0], vi_ty(VI_T_INT, 0)) || !vi_ty_eq(a[1], vi_ty(VI_T_INT, 0))) return err_ty();
  return vi_ty(VI_T_INT, 0);
}

static struct vi_type rule_transpose(const struct vi_type *a, int n) {
  if (n != 1 || a[0].ndims) return err_ty();
  switch (a[0].base) {
  case VI_T_VECTOR: return vi_ty(VI_T_ROW_VECTOR, 0);
  case VI_T_ROW_VECTOR: return vi_ty(VI_T_VECTOR, 0);
  case VI_T_MATRIX: return a[0];
  default: return err_ty();
  }
}

/* ---- implementations ---- */

static const char *type_name(struct vi_type t) {
  static const char *const names[] = {"error", "void", "int", "real", "vector", "row_vector", "matrix", "string"};
  if (t.ndims) return "array";
  return t.base < VI_COUNTOF(names) ? names[t.base] : "value";
}

static int both_int_scalars(const struct vi_val *args) {
  return args[0].t.base == VI_T_INT && args[0].t.ndims == 0 && args[1].t.base == VI_T_INT &&
         args[1].t.ndims == 0;
}

static int int_arg(const struct vi_val *v) { return v->ix ? v->ix[0] : (int)vi_val_get(v, 0); }

/* Integer arithmetic for + - * / % %/%, with overflow and zero checks. */
static int int_binary(struct vi_ctx *c, struct vi_val *out, const struct vi_val *args, char op,
                      const char *fname, struct vi_srcloc loc) {
  long long a = int_arg(&args[0]), b = int_arg(&args[1]), r = 0;
  switch (op) {
  case '+': r = a + b; break;
  case '-': r = a - b; break;
  case '*': r = a * b; break; /* |a|, |b| < 2^31: no long long overflow */
  case '/':
  case '%':
    if (b == 0) return vi_ctx_error(c, loc, "%s: integer division by zero", fname);
    r = op == '/' ? a / b : a % b; /* C truncates toward zero, as Stan does */
    break;
  }
  if (r < INT_MIN || r > INT_MAX) return vi_ctx_error(c, loc, "%s: integer overflow (%lld)", fname, r);
  return vi_val_int_scalar(c, out, (int)r) ? vi_ctx_error(c, loc, "out of memory") : VI_OK;
}

/* Elementwise binary op after checking types against the rule. */
static int elementwise(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                       const struct vi_opdef *op, vi_fn_rule rule, const char *fname,
                       struct vi_srcloc loc) {
  if (nargs != 2) return vi_ctx_error(c, loc, "%s: expected 2 arguments, got %d", fname, nargs);
  struct vi_type ts[2] = {args[0].t, args[1].t};
  if (rule(ts, 2).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "%s: cannot combine %s and %s", fname, type_name(ts[0]), type_name(ts[1]));
  return vi_apply_binary(c, out, &args[0], &args[1], op, fname, loc);
}

static int add_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                    struct vi_srcloc loc) {
  (void)flags;
  if (nargs == 2 && both_int_scalars(args)) return int_binary(c, out, args, '+', "add", loc);
  return elementwise(c, out, args, nargs, VI_OPDEF(ADD), rule_add, "add", loc);
}

static int subtract_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                         struct vi_srcloc loc) {
  (void)flags;
  if (nargs == 2 && both_int_scalars(args)) return int_binary(c, out, args, '-', "subtract", loc);
  return elementwise(c, out, args, nargs, VI_OPDEF(SUBTRACT), rule_add, "subtract", loc);
}

static int elt_multiply_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                             int flags, struct vi_srcloc loc) {
  (void)flags;
  return elementwise(c, out, args, nargs, VI_OPDEF(ELT_MULTIPLY), rule_elt, "elt_multiply", loc);
}

static int elt_divide_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                           int flags, struct vi_srcloc loc) {
  (void)flags;
  return elementwise(c, out, args, nargs, VI_OPDEF(ELT_DIVIDE), rule_elt, "elt_divide", loc);
}

static int pow_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                    struct vi_srcloc loc) {
  (void)flags;
  return elementwise(c, out, args, nargs, VI_OPDEF(POW), rule_pow, "pow", loc);
}

static int minus_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                      struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 1 || rule_minus(&args[0].t, 1).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "minus: cannot negate %s", nargs == 1 ? type_name(args[0].t) : "this");
  if (args[0].t.base == VI_T_INT) {
    int a = int_arg(&args[0]);
    if (a == INT_MIN) return vi_ctx_error(c, loc, "minus: integer overflow");
    return vi_val_int_scalar(c, out, -a) ? vi_ctx_error(c, loc, "out of memory") : VI_OK;
  }
  return vi_apply_unary(c, out, &args[0], VI_OPDEF(MINUS), loc);
}

static int divide_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                       struct vi_srcloc loc) {
  (void)flags;
  if (nargs == 2 && both_int_scalars(args)) return int_binary(c, out, args, '/', "divide", loc);
  struct vi_type ts[2] = {args[0].t, args[nargs > 1].t};
  if (nargs != 2 || rule_divide(ts, 2).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "divide: cannot divide %s by %s", type_name(ts[0]), type_name(ts[1]));
  return vi_apply_binary(c, out, &args[0], &args[1], VI_OPDEF(ELT_DIVIDE), "divide", loc);
}

static int modulus_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                        struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 2 || !both_int_scalars(args)) return vi_ctx_error(c, loc, "modulus: operands must be int");
  return int_binary(c, out, args, '%', "modulus", loc);
}

static int int_divide_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                           int flags, struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 2 || !both_int_scalars(args)) return vi_ctx_error(c, loc, "int_divide: operands must be int");
  return int_binary(c, out, args, '/', "int_divide", loc);
}

/* Records C = A B with A r x k, B k x c and sets out's shape (type t). */
static int matmul(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, struct vi_val *b, int r, int k,
                  int cc, struct vi_type t, struct vi_srcloc loc) {
  int st = vi_val_contig(c, a, loc);
  if (!st) st = vi_val_contig(c, b, loc);
  if (st) return st;
  memset(out, 0, sizeof *out);
  int dims[2] = {r, cc};
  if (t.base == VI_T_ROW_VECTOR) dims[0] = cc;
  if (vi_val_set_shape(out, t, dims)) return vi_ctx_error(c, loc, "multiply: result too large");
  struct vi_node *n = vi_node_new(c, VI_OPDEF(MULTIPLY), 2, (size_t)r * (size_t)cc, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = r;
  n->i[1] = k;
  n->i[2] = cc;
  vi_node_arg(n, 0, a);
  vi_node_arg(n, 1, b);
  return vi_node_run(c, n, out);
}

static int multiply_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                         struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 2) return vi_ctx_error(c, loc, "multiply: expected 2 arguments, got %d", nargs);
  struct vi_val *a = &args[0], *b = &args[1];
  if (both_int_scalars(args)) return int_binary(c, out, args, '*', "multiply", loc);
  struct vi_type ts[2] = {a->t, b->t};
  struct vi_type rt = rule_multiply(ts, 2);
  if (rt.base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "multiply: cannot multiply %s by %s", type_name(ts[0]), type_name(ts[1]));
  if (is_scal(a->t) || is_scal(b->t))
    return vi_apply_binary(c, out, a, b, VI_OPDEF(ELT_MULTIPLY), "multiply", loc);
  int ar = vi_val_rows(a), ac = vi_val_cols(a), br = vi_val_rows(b), bc = vi_val_cols(b);
  if (ac != br) {
    const char *an = type_name(a->t), *bn = b->t.base == VI_T_MATRIX && a->t.base == VI_T_MATRIX
                                                ? "second matrix" : type_name(b->t);
    return vi_ctx_error(c, loc, "multiply: %s has %d column%s but the %s has %d row%s", an, ac,
                        ac == 1 ? "" : "s", bn, br, br == 1 ? "" : "s");
  }
  return matmul(c, out, a, b, ar, ac, bc, rt, loc);
}

static int transpose_impl(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs, int flags,
                          struct vi_srcloc loc) {
  (void)flags;
  if (nargs != 1 || rule_transpose(&args[0].t, 1).base == VI_T_ERROR)
    return vi_ctx_error(c, loc, "transpose: cannot transpose %s", nargs == 1 ? type_name(args[0].t) : "this");
  struct vi_val *a = &args[0];
  int r = vi_val_rows(a), cc = vi_val_cols(a);
  int st = vi_val_contig(c, a, loc);
  if (st) return st;
  memset(out, 0, sizeof *out);
  struct vi_type t = rule_transpose(&a->t, 1);
  int dims[2] = {cc, r};
  if (t.base != VI_T_MATRIX) dims[0] = (int)a->n;
  if (vi_val_set_shape(out, t, dims)) return vi_ctx_error(c, loc, "transpose: result too large");
  struct vi_node *n = vi_node_new(c, VI_OPDEF(TRANSPOSE), 1, a->n, loc);
  if (!n) return VI_ERR_NOMEM;
  n->i[0] = r;
  n->i[1] = cc;
  vi_node_arg(n, 0, a);
  return vi_node_run(c, n, out);
}

const struct vi_func vi_stdlib_ops[] = {
    {"add", rule_add, add_impl,
     "(int, int) => int; (real, real) => real; (real, T) => T; (T, real) => T; (T, T) => T "
     "for T vector, row_vector, matrix",
     0, "r,r; r,v; v,r; v,v; rv,rv; m2x3,m2x3; m,r; i,v; d:v,v; i,i; !v3,v4; !v,rv"},
    {"subtract", rule_add, subtract_impl,
     "(int, int) => int; (real, real) => real; (real, T) => T; (T, real) => T; (T, T) => T", 0,
     "r,r; r,v; v,r; v,v; rv,rv; m2x3,m2x3; r,m; i,i; !m2x3,m3x2"},
    {"minus", rule_minus, minus_impl, "(int) => int; (T) => T for real, vector, row_vector, matrix", 0,
     "r; v; rv; m2x3; i"},
    {"multiply", rule_multiply, multiply_impl,
     "(int, int) => int; (real, T) => T; (T, real) => T; (matrix, vector) => vector; "
     "(row_vector, matrix) => row_vector; (row_vector, vector) => real; (vector, row_vector) => matrix; "
     "(matrix, matrix) => matrix",
     0,
     "r,r; r,v; v,r; m,r; i,rv; m2x3,v3; rv3,m3x2; rv4,v4; v3,rv2; m2x3,m3x4; d:m20x4,v4; m4x3,d:v3; "
     "d:rv3,m3x2; i,i; !m2x3,v4; !rv3,v2; !m2x3,m2x3; !v,v"},
    {"divide", rule_divide, divide_impl,
     "(int, int) => int (truncating); (real, real) => real; (T, real) => T for vector, row_vector, matrix", 0,
     "r,r[0.5,2]; r,r[-2,-0.5]; v,r[0.5,2]; m2x3,r[0.5,2]; rv,i[1,3]; i[-9,9],i[1,4]; !i,i[0,0]"},
    {"elt_multiply", rule_elt, elt_multiply_impl, "(T, T) => T; (real, T) => T; (T, real) => T", 0,
     "v,v; rv,rv; m2x3,m2x3; r,v; v,r; d:v,v; !v3,v4"},
    {"elt_divide", rule_elt, elt_divide_impl, "(T, T) => T; (real, T) => T; (T, real) => T", 0,
     "v,v[0.5,2]; rv,rv[0.5,2]; m2x3,m2x3[0.5,2]; r,v[0.5,2]; v,r[0.5,2]; !v3,v4"},
    {"pow", rule_pow, pow_impl,
     "(real, real) => real; elementwise with broadcasting over vector, row_vector, matrix, arrays", 0,
     "r[0.5,2],r; v[0.5,2],r; r[0.5,2],v; v[0.5,2],v; a[0.5,2],r; m2x3[0.5,2],m2x3; r[0.5,2],i; "
     "i[1,3],i[0,3]; !v3[0.5,2],v4"},
    {"modulus", rule_int2, modulus_impl, "(int, int) => int", 0, "i[-9,9],i[1,4]; i[1,9],i[-4,-1]; !i,i[0,0]"},
    {"int_divide", rule_int2, int_divide_impl, "(int, int) => int", 0, "i[-9,9],i[1,4]; !i,i[0,0]"},
    {"transpose", rule_transpose, transpose_impl,
     "(vector) => row_vector; (row_vector) => vector; (matrix) => matrix", 0, "v; rv; m2x3"},
};
const size_t vi_stdlib_ops_n = VI_COUNTOF(vi_stdlib_ops);
