/* stdlib.h: the standard library's function table.
 *
 * Every built-in function, operator and distribution is one row. The checker
 * asks a row's `rule` for the result type of a call; the interpreter calls
 * `impl`. Operators are rows too, under Stan's names: add, subtract,
 * multiply, divide, elt_multiply, elt_divide, minus (unary -), pow (^ and .^),
 * modulus (%), int_divide (%/%), mdivide_left (\), transpose (').
 * Comparisons and && || ! are handled by the interpreter (ints only result).
 * Distributions are rows named foo_lpdf / foo_lpmf / foo_lcdf / foo_lccdf /
 * foo_rng; `y ~ foo(...)` calls foo_lpdf (or _lpmf) with VI_CALL_PROPTO. */
#ifndef VI_STDLIB_H
#define VI_STDLIB_H
#include "vi/ast.h"
#include "vi/tape.h"

enum {
  VI_CALL_PROPTO = 1 /* under `~`: drop terms that do not depend on a differentiable operand */
};

/* Computes the call. args[] are the evaluated arguments (ints stay ints;
 * call vi_val_contig to get contiguous reals). Fills *out (type, dims and
 * values). Returns VI_OK, or reports through vi_ctx_error at loc and returns
 * an error status. */
typedef int (*vi_fn_impl)(struct vi_ctx *c, struct vi_val *out, struct vi_val *args, int nargs,
                          int flags, struct vi_srcloc loc);
/* Result type for argument types, or {VI_T_ERROR, 0} when no signature fits. */
typedef struct vi_type (*vi_fn_rule)(const struct vi_type *args, int nargs);

enum {
  VI_FN_RNG = 1,       /* _rng: only in transformed data and generated quantities */
  VI_FN_LPDF = 2,      /* _lpdf (real variate) */
  VI_FN_LPMF = 4,      /* _lpmf (int variate) */
  VI_FN_CDF = 8,       /* _lcdf / _lccdf */
  VI_FN_NOGRAD = 16    /* no derivative: refuse differentiable arguments */
};

struct vi_func {
  const char *name;
  vi_fn_rule rule;
  vi_fn_impl impl;
  const char *sig;   /* signatures for messages, e.g. "(real) => real; (vector) => vector" */
  unsigned flags;
  /* Gradient/value test specification, read by tests/test_stdlib_grad.c;
   * the format is documented in stdlib/README.md. NULL only for functions
   * with no real argument that can be differentiable. */
  const char *test;
};

/* Row for name, or NULL. */
const struct vi_func *vi_stdlib_lookup(const char *name);
/* Number of rows, and row k (0 <= k < count), for iterating the table. */
size_t vi_stdlib_count(void);
const struct vi_func *vi_stdlib_at(size_t k);
/* Closest name within edit distance 2, for "did you mean"; NULL if none. */
const char *vi_stdlib_suggest(const char *name);

#endif
