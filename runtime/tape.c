/* tape.c: nodes, the tape and its sweeps, and value helpers (include/vi/tape.h). */
#include "vi/ops.h"
#include "vi/tape.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vi_node_fail(struct vi_node *n, const char *fmt, ...) {
  struct vi_evalerr *e = n->err;
  if (!e || e->failed) return 1;
  e->failed = 1;
  e->loc = n->loc;
  int k = 0;
  if (n->fname) k = snprintf(e->msg, sizeof e->msg, "%s: ", n->fname);
  if (k < 0 || (size_t)k >= sizeof e->msg) k = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg + k, sizeof e->msg - (size_t)k, fmt, ap);
  va_end(ap);
  return 1;
}

void vi_tape_init(struct vi_tape *t) { memset(t, 0, sizeof *t); }

void vi_tape_free(struct vi_tape *t) {
  if (!t) return;
  free(t->nodes);
  free(t->terms);
  free(t->termloc);
  memset(t, 0, sizeof *t);
}

void vi_tape_clear(struct vi_tape *t) {
  t->seg = NULL;
  t->n = t->nterms = 0;
  t->termw = NULL;
  t->err.failed = 0;
}

int vi_tape_push(struct vi_tape *t, struct vi_node *n) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 256;
    struct vi_node **p = realloc(t->nodes, cap * sizeof *p);
    if (!p) return VI_ERR_NOMEM;
    t->nodes = p;
    t->cap = cap;
  }
  t->nodes[t->n++] = n;
  t->seg = NULL; /* a scalar operation after this node opens a new segment */
  n->err = &t->err;
  return VI_OK;
}

int vi_tape_add_term_at(struct vi_tape *t, struct vi_ref r, struct vi_srcloc loc) {
  if (t->nterms == t->capterms) {
    size_t cap = t->capterms ? 2 * t->capterms : 64;
    struct vi_ref *p = realloc(t->terms, cap * sizeof *p);
    if (!p) return VI_ERR_NOMEM;
    t->terms = p;
    struct vi_srcloc *l = realloc(t->termloc, cap * sizeof *l);
    if (!l) return VI_ERR_NOMEM;
    t->termloc = l;
    t->capterms = cap;
  }
  t->termloc[t->nterms] = loc;
  t->terms[t->nterms++] = r;
  return VI_OK;
}

int vi_tape_add_term(struct vi_tape *t, struct vi_ref r) { return vi_tape_add_term_at(t, r, (struct vi_srcloc){0}); }

double vi_tape_target(const struct vi_tape *t) {
  double s = 0;
  if (t->termw) {
    for (size_t i = 0; i < t->nterms; i++) s += t->termw[i] * *t->terms[i].x;
    return s;
  }
  for (size_t i = 0; i < t->nterms; i++) s += *t->terms[i].x;
  return s;
}

int vi_tape_forward(struct vi_tape *t) {
  t->err.failed = 0;
  for (size_t i = 0; i < t->n; i++) {
    struct vi_node *n = t->nodes[i];
    if (n->op->fwd(n)) {
      if (!t->err.failed) vi_node_fail(n, "evaluation failed");
      return VI_ERR_EVAL;
    }
  }
  return VI_OK;
}

void vi_tape_reverse(struct vi_tape *t, double *const *zero, const size_t *nzero, int nbuf) {
  for (int b = 0; b < nbuf; b++) memset(zero[b], 0, nzero[b] * sizeof(double));
  for (size_t i = 0; i < t->n; i++) memset(t->nodes[i]->dy, 0, t->nodes[i]->n * sizeof(double));
  for (size_t i = 0; i < t->nterms; i++)
    if (t->terms[i].dx) *t->terms[i].dx += t->termw ? t->termw[i] : 1.0;
  for (size_t i = t->n; i-- > 0;) {
    struct vi_node *n = t->nodes[i];
    if (n->op->bwd) n->op->bwd(n);
  }
}

int vi_ctx_error(struct vi_ctx *c, struct vi_srcloc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (c->diags) vi_verror(c->diags, loc, fmt, ap);
  va_end(ap);
  return VI_ERR_EVAL;
}

struct vi_node *vi_node_new(struct vi_ctx *c, const struct vi_opdef *op, int nargs, size_t nout,
                            struct vi_srcloc loc) {
  struct vi_node *n = vi_arena_alloc(c->arena, sizeof *n);
  if (!n) goto oom;
  n->a = vi_arena_array(c->arena, nargs > 0 ? (size_t)nargs : 1, sizeof *n->a);
  n->y = vi_arena_array(c->arena, nout ? nout : 1, sizeof(double));
  if (!n->a || !n->y) goto oom;
  n->op = op;
  n->na = nargs;
  n->n = nout;
  n->loc = loc;
  n->fname = op->name;
  n->err = &c->err;
  return n;
oom:
  vi_ctx_error(c, loc, "out of memory: the evaluation needs more than the memory limit of %zu MiB", c->arena->limit >> 20);
  return NULL;
}

void vi_node_arg(struct vi_node *n, int i, const struct vi_val *v) {
  n->a[i].x = v->x;
  n->a[i].dx = v->dx;
  n->a[i].n = v->n;
}

void vi_node_arg_raw(struct vi_node *n, int i, const double *x, double *dx, size_t len) {
  n->a[i].x = x;
  n->a[i].dx = dx;
  n->a[i].n = len;
}

int vi_node_aux(struct vi_ctx *c, struct vi_node *n, size_t len) {
  n->aux = vi_arena_array(c->arena, len ? len : 1, sizeof(double));
  n->naux = len;
  if (!n->aux) return vi_ctx_error(c, n->loc, "out of memory: more than the memory limit of %zu MiB", c->arena->limit >> 20), VI_ERR_NOMEM;
  return VI_OK;
}

int vi_node_is_var(const struct vi_node *n) {
  for (int i = 0; i < n->na; i++)
    if (n->a[i].dx) return 1;
  return 0;
}

int vi_node_run(struct vi_ctx *c, struct vi_node *n, struct vi_val *out) {
  c->err.failed = 0;
  n->err = &c->err;
  if (n->op->fwd(n)) {
    if (!c->err.failed) vi_node_fail(n, "evaluation failed");
    vi_ctx_error(c, c->err.loc, "%s", c->err.msg);
    return VI_ERR_EVAL;
  }
  out->x = n->y;
  out->dx = NULL;
  out->ref = NULL;
  out->ix = NULL;
  if (c->tape && vi_node_is_var(n)) {
    n->dy = vi_arena_array(c->arena, n->n ? n->n : 1, sizeof(double));
    if (!n->dy || vi_tape_push(c->tape, n)) {
      vi_ctx_error(c, n->loc, "out of memory");
      return VI_ERR_NOMEM;
    }
    out->dx = n->dy;
  }
  return VI_OK;
}

/* ---- values ---- */

int vi_type_nsizes(struct vi_type t) {
  switch (t.base) {
  case VI_T_VECTOR:
  case VI_T_ROW_VECTOR: return 1;
  case VI_T_MATRIX: return 2;
  default: return 0;
  }
}

int vi_val_set_shape(struct vi_val *v, struct vi_type t, const int *dims) {
  int nd = t.ndims + vi_type_nsizes(t);
  if (nd > VI_MAXDIMS) return VI_ERR_LIMIT;
  v->t = t;
  size_t n = 1;
  for (int i = 0; i < nd; i++) {
    if (dims[i] < 0) return VI_ERR_LIMIT;
    v->dim[i] = dims[i];
    if (dims[i] && n > SIZE_MAX / 16 / (size_t)dims[i]) return VI_ERR_LIMIT;
    n *= (size_t)dims[i];
  }
  v->n = n;
  return VI_OK;
}

void vi_val_shape_like(struct vi_val *v, const struct vi_val *like) {
  v->t = like->t;
  memcpy(v->dim, like->dim, sizeof v->dim);
  v->n = like->n;
}

int vi_val_rows(const struct vi_val *v) {
  int k = v->t.ndims;
  switch (v->t.base) {
  case VI_T_VECTOR: return v->dim[k];
  case VI_T_MATRIX: return v->dim[k];
  default: return 1;
  }
}

int vi_val_cols(const struct vi_val *v) {
  int k = v->t.ndims;
  switch (v->t.base) {
  case VI_T_ROW_VECTOR: return v->dim[k];
  case VI_T_MATRIX: return v->dim[k + 1];
  default: return 1;
  }
}

double vi_val_get(const struct vi_val *v, size_t i) {
  if (v->ix) return v->ix[i];
  if (v->x) return v->x[i];
  if (v->ref) return *v->ref[i].x;
  return 0;
}

struct vi_ref vi_val_ref(const struct vi_val *v, size_t i) {
  struct vi_ref r = {0, 0};
  if (v->x) {
    r.x = v->x + i;
    r.dx = v->dx ? v->dx + i : NULL;
  } else if (v->ref) {
    r = v->ref[i];
  }
  return r;
}

int vi_val_is_const(const struct vi_val *v) {
  if (v->ix || v->s) return 1;
  if (v->x) return v->dx == NULL;
  if (v->ref)
    for (size_t i = 0; i < v->n; i++)
      if (v->ref[i].dx) return 0;
  return 1;
}

/* pack: y[i] = *ref[i].x;  *ref[i].dx += dy[i] */
int vi_k_pack_fwd(struct vi_node *n) {
  const struct vi_ref *r = (const struct vi_ref *)n->p;
  for (size_t i = 0; i < n->n; i++) n->y[i] = *r[i].x;
  return 0;
}
void vi_k_pack_bwd(struct vi_node *n) {
  const struct vi_ref *r = (const struct vi_ref *)n->p;
  for (size_t i = 0; i < n->n; i++)
    if (r[i].dx) *r[i].dx += n->dy[i];
}

int vi_val_contig(struct vi_ctx *c, struct vi_val *v, struct vi_srcloc loc) {
  if (v->x) return VI_OK;
  if (v->t.base == VI_T_STRING) return vi_ctx_error(c, loc, "a string is not a number");
  double *x = vi_arena_array(c->arena, v->n ? v->n : 1, sizeof(double));
  if (!x) return vi_ctx_error(c, loc, "out of memory"), VI_ERR_NOMEM;
  if (v->ix) {
    for (size_t i = 0; i < v->n; i++) x[i] = v->ix[i];
    v->ix = NULL;
    if (v->t.base == VI_T_INT) v->t.base = VI_T_REAL;
    v->x = x;
    v->dx = NULL;
    return VI_OK;
  }
  if (!v->ref) { /* empty */
    v->x = x;
    return VI_OK;
  }
  if (vi_val_is_const(v)) {
    for (size_t i = 0; i < v->n; i++) x[i] = *v->ref[i].x;
    v->x = x;
    v->dx = NULL;
    v->ref = NULL;
    return VI_OK;
  }
  struct vi_node *n = vi_node_new(c, VI_OPDEF(PACK), 0, v->n, loc);
  if (!n) return VI_ERR_NOMEM;
  n->p = v->ref;
  /* a pack node has no operands of its own; mark it differentiable by hand */
  n->err = &c->err;
  vi_k_pack_fwd(n);
  n->dy = vi_arena_array(c->arena, v->n ? v->n : 1, sizeof(double));
  if (!n->dy || (c->tape && vi_tape_push(c->tape, n))) return vi_ctx_error(c, loc, "out of memory"), VI_ERR_NOMEM;
  v->x = n->y;
  v->dx = n->dy;
  v->ref = NULL;
  return VI_OK;
}

int vi_val_new_real(struct vi_ctx *c, struct vi_val *v, struct vi_type t, const int *dims) {
  memset(v, 0, sizeof *v);
  if (vi_val_set_shape(v, t, dims)) return VI_ERR_LIMIT;
  v->x = vi_arena_array(c->arena, v->n ? v->n : 1, sizeof(double));
  return v->x ? VI_OK : VI_ERR_NOMEM;
}

int vi_val_new_int(struct vi_ctx *c, struct vi_val *v, struct vi_type t, const int *dims) {
  memset(v, 0, sizeof *v);
  if (vi_val_set_shape(v, t, dims)) return VI_ERR_LIMIT;
  v->ix = vi_arena_array(c->arena, v->n ? v->n : 1, sizeof(int));
  return v->ix ? VI_OK : VI_ERR_NOMEM;
}

int vi_val_real_scalar(struct vi_ctx *c, struct vi_val *v, double x) {
  struct vi_type t = {VI_T_REAL, 0};
  int r = vi_val_new_real(c, v, t, NULL);
  if (!r) v->x[0] = x;
  return r;
}

int vi_val_int_scalar(struct vi_ctx *c, struct vi_val *v, int i) {
  struct vi_type t = {VI_T_INT, 0};
  int r = vi_val_new_int(c, v, t, NULL);
  if (!r) v->ix[0] = i;
  return r;
}
