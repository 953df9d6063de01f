/* tape.h: values, nodes and the reverse-mode tape.
 *
 * A model evaluation computes eagerly: every operation produces its values at
 * once. An operation whose operands include a differentiable value (dx != NULL)
 * is also recorded as a node on the tape, so that
 *   vi_tape_forward  replays every node's forward kernel (new parameter values,
 *                    same structure: nothing is allocated), and
 *   vi_tape_reverse  runs the backward kernels in reverse order.
 * Nodes are vectorised: one node computes a whole vector or a whole fused
 * log density (value and all partials in one loop).
 *
 * Memory: nodes, their operand arrays and output buffers live in the
 * evaluation arena (struct vi_ctx.arena); the tape keeps pointers to them. */
#ifndef VI_TAPE_H
#define VI_TAPE_H
#include <stddef.h>

#include "vi/arena.h"
#include "vi/ast.h"
#include "vi/diag.h"

enum { VI_MAXDIMS = 8 }; /* array dims + rows + cols */

/* One scalar element: where its value and its adjoint live. */
struct vi_ref {
  double *x;  /* value */
  double *dx; /* adjoint, NULL when constant */
};

/* A run-time value. Exactly one representation is set:
 *  - ints:  ix (type.base == VI_T_INT), always constant;
 *  - reals, contiguous: x (and dx when differentiable, parallel to x);
 *  - reals, element by element: ref (after element assignment, or a gather
 *    of scattered elements); vi_val_contig makes it contiguous.
 *  - strings: s.
 * Layout: array dimensions outermost (row-major over array indices), then
 * the vector, or the matrix column-major. dim[] holds the array dims, then
 * the size of a vector or row_vector, or the rows and cols of a matrix. */
struct vi_val {
  struct vi_type t;
  int dim[VI_MAXDIMS]; /* t.ndims array dims, then 1 (vector/row_vector) or 2 (matrix) sizes */
  size_t n;            /* total number of scalar elements */
  double *x;           /* contiguous values, or NULL */
  double *dx;          /* contiguous adjoints, or NULL (constant) */
  struct vi_ref *ref;  /* per-element references, or NULL */
  int *ix;             /* int values, or NULL */
  const char *s;       /* string value (VI_T_STRING) */
};

struct vi_node;
struct vi_tape;

/* An operation kind: its forward and backward kernels.
 * fwd computes n->y (and whatever backward needs into n->aux) from the
 * operands' x; returns 0, or calls vi_node_fail and returns nonzero.
 * bwd only accumulates: n->a[i].dx[k] += ... from n->dy (skipping operands
 * whose dx is NULL). */
struct vi_opdef {
  const char *name;
  int (*fwd)(struct vi_node *n);
  void (*bwd)(struct vi_node *n);
};

/* An operand of a node: n contiguous values (n == 1 means a scalar, which
 * kernels broadcast), with their adjoints or NULL when constant. */
struct vi_arg {
  const double *x;
  double *dx;
  size_t n;
};

struct vi_evalerr {
  int failed;
  struct vi_srcloc loc;
  char msg[512];
};

struct vi_node {
  const struct vi_opdef *op;
  struct vi_arg *a; /* operands */
  int na;
  double *y, *dy;   /* output values and adjoints (dy NULL if not recorded) */
  size_t n;         /* output length */
  double *aux;      /* scratch from forward for backward (e.g. partials) */
  size_t naux;
  const int *ia;    /* integer operand (indices, counts, observations) */
  size_t nia;
  int i[6];         /* small integer parameters (shapes, flags) */
  double c[4];      /* small real parameters */
  const void *p;    /* op-specific pointer (e.g. a foreign function) */
  const char *fname;/* function name for messages ("normal_lpdf") */
  struct vi_srcloc loc;
  struct vi_evalerr *err; /* where vi_node_fail writes */
};

/* Reports a failure from a kernel: "fname: message". Returns 1. */
int vi_node_fail(struct vi_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct vi_tape {
  struct vi_node *seg;    /* open segment of scalar operations (vi_tape_scalar), or NULL */
  struct vi_node **nodes; /* recorded nodes in evaluation order (heap array) */
  size_t n, cap;
  struct vi_ref *terms;   /* target += terms, summed into the log density (heap array) */
  struct vi_srcloc *termloc; /* the statement that added each term (heap array, parallel to terms) */
  size_t nterms, capterms;
  const double *termw;    /* per term weight (row plates, runtime/minibatch.c), or NULL: all 1 */
  struct vi_evalerr err;
};

void vi_tape_init(struct vi_tape *t);
void vi_tape_free(struct vi_tape *t); /* frees the arrays, not the arena-owned nodes */
void vi_tape_clear(struct vi_tape *t);
int vi_tape_push(struct vi_tape *t, struct vi_node *n);           /* VI_OK or VI_ERR_NOMEM */
int vi_tape_add_term(struct vi_tape *t, struct vi_ref r);        /* adds r to the target */
int vi_tape_add_term_at(struct vi_tape *t, struct vi_ref r, struct vi_srcloc loc); /* ... added by the statement at loc */
/* Sum of the target terms (weighted by termw when set). */
double vi_tape_target(const struct vi_tape *t);
/* Replays every forward kernel; VI_OK, or VI_ERR_EVAL with t->err set. */
int vi_tape_forward(struct vi_tape *t);
/* Zeroes all adjoints (nodes' dy; and the `nzero` extra buffers), seeds each
 * target term with 1 (or its termw) and runs the backward kernels in reverse order. */
void vi_tape_reverse(struct vi_tape *t, double *const *zero, const size_t *nzero, int nbuf);

/* ---- the compact scalar tape ----
 *
 * Loops that carry a dependency from one iteration to the next (recursions,
 * forward algorithms) run as scalar operations. Each is 64 bytes in a
 * segment (one node holds thousands, consecutive in memory) with its value
 * and adjoint side by side: forward and reverse are one switch per
 * operation, there is no allocation per operation on replay, and the
 * reverse sweep clears each adjoint as it consumes it, so there is no
 * zeroing pass. */
enum vi_sop_kind {
  VI_SOP_ADD,     /* y = a + b;  da += g, db += g */
  VI_SOP_SUB,     /* y = a - b;  da += g, db -= g */
  VI_SOP_MUL,     /* y = a b;  da += g b, db += g a */
  VI_SOP_DIV,     /* y = a / b;  da += g / b, db -= g y / b */
  VI_SOP_NEG,     /* y = -a;  da -= g */
  VI_SOP_EXP,     /* y = exp a;  da += g y */
  VI_SOP_LOG,     /* y = log a;  da += g / a   (a > 0 is not checked: log gives NaN or -inf as the stdlib does) */
  VI_SOP_SQUARE,  /* y = a^2;  da += 2 g a */
  VI_SOP_SQRT,    /* y = sqrt a;  da += g / (2 y) */
  VI_SOP_INV_LOGIT, /* y = 1 / (1 + exp(-a));  da += g y (1 - y) */
  VI_SOP_LOG1P_EXP, /* y = log(1 + exp a);  da += g inv_logit(a) */
  VI_SOP_NORMAL,  /* y = -z^2/2 [- log c] [- log(2 pi)/2], z = (a - b) / c;
                   * da -= g z / c, db += g z / c, dc += g (z^2 - 1) / c
                   * (the bracketed terms per flags; c > 0, b finite, a not NaN: else a failure) */
  VI_SOP_LOG_SUM_EXP, /* y = log sum_i exp a_i over any number of operands;  da_i += g exp(a_i - y) */
  VI_SOP__COUNT
};

enum {
  VI_SOP_KEEP_LOG_SCALE = 1, /* NORMAL: the - log c term */
  VI_SOP_KEEP_CONST = 2      /* NORMAL: the - log(2 pi)/2 term */
};

/* Records y = op(args) as a scalar operation and computes it. Every operand
 * is one real (dx NULL when constant); LOG_SUM_EXP takes any number of
 * them, the others their arity (3 at most); at least one should be
 * differentiable (otherwise compute it as a constant). On success *out is
 * the real scalar result (differentiable). VI_SOP_NORMAL fails (returns
 * VI_ERR_EVAL without a message) where the stdlib's normal_lpdf would:
 * callers then take the stdlib path, which reports it. */
struct vi_ctx;
int vi_tape_scalar(struct vi_ctx *c, int op, const struct vi_ref *args, int nargs, int flags, struct vi_val *out,
                   struct vi_srcloc loc);

struct vi_rng;

/* Evaluation context handed to every standard-library function. */
struct vi_ctx {
  struct vi_arena *arena;  /* values, nodes and buffers of this evaluation */
  struct vi_tape *tape;    /* NULL: plain double evaluation, nothing recorded */
  struct vi_rng *rng;      /* for _rng functions; NULL where they are not allowed */
  struct vi_diags *diags;  /* errors are reported here */
  struct vi_evalerr err;   /* kernel failures during eager evaluation */
  int dynamic;             /* set when control flow read a differentiable value */
};

/* Reports an evaluation error at loc; returns VI_ERR_EVAL. */
int vi_ctx_error(struct vi_ctx *c, struct vi_srcloc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- building nodes (for standard-library functions) ----
 *
 * Typical use, y = f(a) elementwise:
 *   struct vi_node *n = vi_node_new(c, &op_f, 1, a->n, loc);  (NULL: out of memory, reported)
 *   vi_node_arg(n, 0, a);       operand from a contiguous value
 *   return vi_node_run(c, n, out);   runs fwd; records the node if any
 *                                    operand is differentiable; sets out->x/dx
 * The caller sets out's type and dims (vi_val_shape_like, vi_val_set_shape). */
struct vi_node *vi_node_new(struct vi_ctx *c, const struct vi_opdef *op, int nargs, size_t nout,
                            struct vi_srcloc loc);
/* Operand i from a contiguous real value (call vi_val_contig first). */
void vi_node_arg(struct vi_node *n, int i, const struct vi_val *v);
/* Operand i from a raw pointer pair. */
void vi_node_arg_raw(struct vi_node *n, int i, const double *x, double *dx, size_t len);
/* Allocates n->aux of len doubles (zeroed). Returns 0 or VI_ERR_NOMEM. */
int vi_node_aux(struct vi_ctx *c, struct vi_node *n, size_t len);
/* Runs the forward kernel; on success records the node when an operand has
 * dx, and points out->x (and out->dx) at the node's output. */
int vi_node_run(struct vi_ctx *c, struct vi_node *n, struct vi_val *out);
/* True if any operand is differentiable. */
int vi_node_is_var(const struct vi_node *n);

/* ---- values ---- */

/* Number of sizes after the array dims: 0 (int, real), 1 (vector, row_vector), 2 (matrix). */
int vi_type_nsizes(struct vi_type t);
/* Sets type and dims (t.ndims + nsizes of them) and n. Returns VI_ERR_LIMIT on overflow. */
int vi_val_set_shape(struct vi_val *v, struct vi_type t, const int *dims);
void vi_val_shape_like(struct vi_val *v, const struct vi_val *like);
/* Rows and columns of a vector (n x 1), row_vector (1 x n) or matrix; scalars 1 x 1. */
int vi_val_rows(const struct vi_val *v);
int vi_val_cols(const struct vi_val *v);
/* Value of element i (works for every representation, ints included). */
double vi_val_get(const struct vi_val *v, size_t i);
/* Reference to element i (ints: not allowed). */
struct vi_ref vi_val_ref(const struct vi_val *v, size_t i);
/* True if no element is differentiable. */
int vi_val_is_const(const struct vi_val *v);
/* Makes v contiguous real: ints are converted to a constant real copy,
 * element references are gathered (a pack node when any is differentiable).
 * Afterwards v->x is set (and v->dx unless constant). */
int vi_val_contig(struct vi_ctx *c, struct vi_val *v, struct vi_srcloc loc);
/* A new constant real value of the given shape, zero-filled (x allocated). */
int vi_val_new_real(struct vi_ctx *c, struct vi_val *v, struct vi_type t, const int *dims);
/* A new int value of the given shape (ix allocated, zero-filled). */
int vi_val_new_int(struct vi_ctx *c, struct vi_val *v, struct vi_type t, const int *dims);
/* Real scalar / int scalar constants. */
int vi_val_real_scalar(struct vi_ctx *c, struct vi_val *v, double x);
int vi_val_int_scalar(struct vi_ctx *c, struct vi_val *v, int i);

#endif
