/* lib.h: private helpers shared by the standard-library files.
 * Each stdlib file exports one table (vi_stdlib_<part>[] and its length);
 * stdlib/table.c merges them. */
#ifndef VI_STDLIB_LIB_H
#define VI_STDLIB_LIB_H
#include <stddef.h>

#include "vi/ops.h"
#include "vi/stdlib.h"

#define VI_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* The parts; each file defines its array and count. */
#define VI_STDLIB_PARTS(X) X(ops) X(math) X(containers) X(matrix) X(linalg) X(hmm) X(dist_cont) X(dist_disc) X(dist_multi)
#define VI_STDLIB_DECLARE(part) \
  extern const struct vi_func vi_stdlib_##part[]; \
  extern const size_t vi_stdlib_##part##_n;
VI_STDLIB_PARTS(VI_STDLIB_DECLARE)

/* ---- common type rules ---- */
static inline struct vi_type vi_ty(int base, int ndims) {
  struct vi_type t = {(unsigned char)base, (unsigned char)ndims};
  return t;
}
static inline int vi_ty_eq(struct vi_type a, struct vi_type b) {
  return a.base == b.base && a.ndims == b.ndims;
}
/* int or real scalar */
static inline int vi_ty_is_scalar(struct vi_type t) {
  return t.ndims == 0 && (t.base == VI_T_INT || t.base == VI_T_REAL);
}
/* Stan's "reals": int, real, vector, row_vector, or 1-D array of int/real. */
int vi_ty_is_reals(struct vi_type t);
/* Stan's "ints": int or 1-D int array. */
int vi_ty_is_ints(struct vi_type t);
/* Elementwise unary math (exp, log, ...): int/real -> real, containers keep
 * their shape, int arrays become real arrays. One argument. */
struct vi_type vi_rule_unary(const struct vi_type *a, int n);
/* Distribution densities: every argument is "reals" (int variate allowed
 * too); result real. */
struct vi_type vi_rule_density(const struct vi_type *a, int n);
/* Reductions over any real/int container or scalar: one argument -> real. */
struct vi_type vi_rule_reduce(const struct vi_type *a, int n);

/* ---- signature tables ----
 * A rule written as a list of signatures:
 *   VI_RULE(tri_left, {2, {VI_M_, VI_V_}, VI_V_}, {2, {VI_M_, VI_M_}, VI_M_})
 * defines rule_tri_left. A real parameter also accepts an int of the same
 * dimensions. */
struct vi_sig {
  int n;               /* number of arguments */
  struct vi_type a[5]; /* argument types */
  struct vi_type r;    /* result */
};
struct vi_type vi_sig_match(const struct vi_sig *s, size_t ns, const struct vi_type *a, int n);
#define VI_RULE(fn, ...)                                             \
  static struct vi_type rule_##fn(const struct vi_type *a, int n) {  \
    static const struct vi_sig s[] = {__VA_ARGS__};                  \
    return vi_sig_match(s, VI_COUNTOF(s), a, n);                     \
  }
#define I_ {VI_T_INT, 0}
#define R_ {VI_T_REAL, 0}
#define V_ {VI_T_VECTOR, 0}
#define RV_ {VI_T_ROW_VECTOR, 0}
#define M_ {VI_T_MATRIX, 0}
#define AI_ {VI_T_INT, 1}
#define AR_ {VI_T_REAL, 1}
#define AV_ {VI_T_VECTOR, 1}
#define ARV_ {VI_T_ROW_VECTOR, 1}
#define AAI_ {VI_T_INT, 2}
#define AAR_ {VI_T_REAL, 2}

/* ---- elementwise drivers ---- */

/* out = op(a) elementwise, for any shape of a (ints are converted to real).
 * The op's kernels see one operand of length a->n and output length a->n;
 * out takes a's shape (int base becomes real). */
int vi_apply_unary(struct vi_ctx *c, struct vi_val *out, struct vi_val *a,
                   const struct vi_opdef *op, struct vi_srcloc loc);

/* out = op(a, b) elementwise with scalar broadcasting: each operand is a
 * scalar or has the shape of the other (checked here, error at loc:
 * "fname: sizes do not match (3 and 4)"). out takes the non-scalar shape;
 * kernels see operand lengths 1 or n and must broadcast length 1. */
int vi_apply_binary(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, struct vi_val *b,
                    const struct vi_opdef *op, const char *fname, struct vi_srcloc loc);

#endif
