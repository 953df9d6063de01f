/* interp.h: executes the statements of a checked program over run-time
 * values, eagerly; with a tape in the context, every differentiable operation
 * is recorded (see include/vi/tape.h). Private to the runtime. */
#ifndef VI_INTERP_H
#define VI_INTERP_H
#include <signal.h>
#include <stdio.h>

#include "vi/check.h"
#include "vi/stdlib.h"
#include "vi/tape.h"

struct vi_interp {
  const struct vi_program *p;
  const struct vi_symtab *st;
  struct vi_val *slots;  /* current value of every variable */
  uint8_t *owned;        /* slot storage is private and may be written in place */
  uint8_t *shared;       /* a view of the owned storage was handed out: copy before writing */
  int block;             /* block being executed */
  int print_ok;          /* print() writes to stderr */
  FILE *out;             /* where print() writes */
  int *fun_first;        /* per entry of p->funs with a body: its first slot (see compiler/check.c) */
  int *fun_active;       /* per entry of p->funs: calls in progress (a frame is saved only on recursion) */
  int depth;             /* user-function calls in progress */
  int plain_density;     /* inside a user _lpdf called as _lpdf: _lupdf calls keep their constants */
  struct vi_val ret;     /* value of the `return` being executed */
  const char *stack_base; /* frame address where evaluation entered (vi_interp_enter), or NULL */
  size_t stack_limit;    /* bytes of C stack evaluation may use below stack_base */
  volatile sig_atomic_t *cancel; /* when set and nonzero, loops stop with "interrupted" */
  const char *cur_fn;    /* innermost user function being executed, or NULL */
  int vloop_min;         /* a lowered loop of fewer iterations runs as written */
  const struct vi_func *scalar_fn[VI_SOP__COUNT]; /* the stdlib row each scalar operation stands for, or NULL */
};

/* Marks the current frame as the bottom of evaluation, so that recursion
 * (user functions, deeply nested blocks) is stopped with an error before it
 * can exhaust the C stack. Call it where a block's evaluation starts. */
void vi_interp_enter(struct vi_interp *I, const void *frame);
/* VI_OK, or an error at loc when the C stack used since vi_interp_enter
 * passes the limit. */
int vi_interp_stack_check(struct vi_interp *I, struct vi_ctx *c, struct vi_srcloc loc);

/* Lowered loops shorter than this run as scalar operations (VI_LOWER=always: 0).
 * A body whose every operation has a compact scalar-tape row (stape.c: + - * /,
 * exp, log, ..., normal_lpdf) runs as written up to VI_VLOOP_MIN_SCALAR
 * iterations: its scalar form costs a few nanoseconds an operation, while each
 * whole-range statement costs a node. Measured (bench/loops, 200 rows of a
 * K-element inner loop of + * exp): the scalar form is faster up to K = 40
 * (323 vs 419 us), the whole-range form from K = 80 (648 vs 783 us); a body
 * with any other operation (bernoulli_logit) is 2x faster whole-range at K = 5,
 * and so is an accumulation (arK's `mu += beta[k] * y[t - k]`, K = 5: 389 us
 * whole-range, 4776 us as written). */
enum { VI_VLOOP_MIN = 4, VI_VLOOP_MIN_SCALAR = 48 };

/* The fewest iterations at which the lowered loop s (VI_S_VLOOP) runs as
 * whole-range statements. */
int vi_interp_vloop_min(const struct vi_interp *I, const struct vi_stmt *s);

enum { VI_FLOW_BREAK = 100, VI_FLOW_CONTINUE = 101, VI_FLOW_RETURN = 102 };
enum { VI_INTERP_MAX_DEPTH = 1000 }; /* nested user-function calls */

/* Allocates the slot arrays in a (persistent). */
int vi_interp_init(struct vi_interp *I, const struct vi_program *p, const struct vi_symtab *st,
                   struct vi_arena *a);
/* Executes statement s (and everything below it). */
int vi_interp_exec(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s);
/* Evaluates e into *out. */
int vi_interp_eval(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out);
/* Evaluates an int-valued size expression; checks it is >= 0. */
int vi_interp_size(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, int *out);
/* Evaluates the sizes of a declaration into dims (array dims, then rows, cols). */
int vi_interp_decl_dims(struct vi_interp *I, struct vi_ctx *c, const struct vi_decl *d, int *dims);
/* Stores v into the slot (whole assignment), converting int to real where the
 * slot is real; checks the shape against dims when dims != NULL. */
int vi_interp_store(struct vi_interp *I, struct vi_ctx *c, int slot, struct vi_val *v, const int *dims,
                    struct vi_srcloc loc);
/* Calls the user or foreign function fd with evaluated arguments (ints are
 * promoted where the parameter is real). propto: called under `~` or as
 * _lupdf. Saves and restores the function's slots, so recursion works. */
int vi_interp_call_user(struct vi_interp *I, struct vi_ctx *c, const struct vi_fundef *fd, struct vi_val *args,
                        int nargs, int propto, struct vi_val *out, struct vi_srcloc loc);
/* Adds a value (scalar or container: summed) to the target. */
int vi_interp_add_target(struct vi_interp *I, struct vi_ctx *c, struct vi_val *v, struct vi_srcloc loc);

/* Shape description "vector[3]", "array[2,3] real" of a value, into buf (>= 96). */
char *vi_val_shape_str(const struct vi_val *v, char *buf, size_t size);

#endif
