/* lower.c: rewrites loops whose iterations are independent into whole-vector
 * statements (include/vi/lower.h), so that a model written the way Stan users
 * write it runs at the speed of its vectorised form.
 *
 *   for (n in lo:hi) {                     mu[lo:hi] = a[g[lo:hi]] + b[g[lo:hi]] .* x[lo:hi];
 *     mu[n] = a[g[n]] + b[g[n]] * x[n];  =>  y[lo:hi] ~ normal(mu[lo:hi], sigma);
 *     y[n] ~ normal(mu[n], sigma);
 *   }
 *
 * Each statement of the body becomes one statement over the whole range, in
 * the body's order. That is exact when no iteration can see another's
 * writes: every variable the body writes is written and read only at index
 * [n] (so iteration n touches only element n of it), nothing else is
 * written, and every statement is a sum over n (`~`, `target +=`) or an
 * element write. A loop that does not qualify is left exactly as written
 * and runs as a loop (the tape then holds its scalar operations).
 *
 * Per-iteration values ("varying": they mention n) are scalars; their
 * vectorised forms are vectors (reals), int arrays (ints), or the rows of a
 * matrix (x[n] with x a matrix, used only in x[n] * beta and dot_product).
 * Expressions that do not mention n are kept as written. */
#include "vi/lower.h"

#include <stdio.h>
#include <string.h>

#include "vi/stdlib.h"

enum { MAX_INDEX = 8 };

/* What the loop being rewritten writes and binds. */
struct lw {
  struct vi_arena *a;
  struct vi_program *p;
  int block;               /* the block being lowered */
  const struct vi_symtab *st;
  int var;                 /* loop variable's slot */
  struct vi_expr *lo, *hi; /* its range */
  uint8_t *written;        /* per slot: written at [n] in the body */
  const struct vi_expr **wpat; /* per written slot: the index expression of its writes, v[c.., n, c..] */
  struct vi_expr **bound;  /* per slot: a scalar local declared in the body, as its vectorised value */
  uint8_t *is_local;       /* per slot: declared in the body */
  uint8_t *reduced;        /* per slot: a real scalar the body only accumulates into (s += e) */
  char why[160];           /* the first reason the loop cannot be rewritten */
};

/* Records why the loop stays a loop (the first reason found is kept). */
static void why(struct lw *L, const char *fmt, const char *name) {
  if (!L->why[0]) snprintf(L->why, sizeof L->why, fmt, name ? name : "");
}

/* A rewritten expression: e is the whole-range form when vary is set
 * (otherwise the expression as written); per is the per-iteration type. */
struct vx {
  struct vi_expr *e;
  int vary;
  int ok;
};

static const struct vx FAIL = {NULL, 0, 0};

static int is_scalar_t(struct vi_type t) { return t.ndims == 0 && (t.base == VI_T_INT || t.base == VI_T_REAL); }

static struct vi_expr *mk(struct lw *L, int kind, const struct vi_expr *like) {
  struct vi_expr *e = vi_arena_alloc(L->a, sizeof *e);
  if (!e) return NULL;
  memset(e, 0, sizeof *e);
  e->kind = (uint8_t)kind;
  e->loc = like->loc;
  e->depth = like->depth < VI_MAX_EXPR_DEPTH - 2 ? (uint16_t)(like->depth + 1) : like->depth;
  return e;
}

/* A call of the built-in `name` on args, typed by its rule; NULL if the rule
 * refuses the argument types. */
static struct vi_expr *call(struct lw *L, const char *name, struct vi_expr **args, int n, const struct vi_expr *like) {
  const struct vi_func *f = vi_stdlib_lookup(name);
  if (!f || n > 8) return NULL;
  struct vi_type ts[8];
  for (int i = 0; i < n; i++) ts[i] = args[i]->type;
  struct vi_type t = f->rule(ts, n);
  if (t.base == VI_T_ERROR) return NULL;
  struct vi_expr *e = mk(L, VI_E_CALL, like);
  struct vi_expr **av = vi_arena_array(L->a, (size_t)n, sizeof *av);
  if (!e || !av) return NULL;
  memcpy(av, args, (size_t)n * sizeof *av);
  e->u.call.name = f->name;
  e->u.call.args = av;
  e->u.call.nargs = n;
  e->u.call.fn = f;
  e->type = t;
  return e;
}

/* The real vector form of a varying scalar: arrays of reals or ints become
 * vectors (to_vector), vectors stay. NULL if it has no such form. */
static struct vi_expr *as_vector(struct lw *L, struct vi_expr *v) {
  if (v->type.ndims == 0 && v->type.base == VI_T_VECTOR) return v;
  if (v->type.ndims == 0 && v->type.base == VI_T_ROW_VECTOR) {
    struct vi_expr *t = mk(L, VI_E_UNARY, v);
    if (!t) return NULL;
    t->u.un.op = VI_OP_TRANSPOSE;
    t->u.un.a = v;
    t->type = (struct vi_type){VI_T_VECTOR, 0};
    return t;
  }
  if (v->type.ndims == 1 && (v->type.base == VI_T_REAL || v->type.base == VI_T_INT))
    return call(L, "to_vector", &v, 1, v);
  return NULL;
}

/* base[ix...] with position p replaced by the index `with` (a range over
 * the loop when with is NULL, else a multi-index): the whole-range read. */
static struct vi_expr *range_index(struct lw *L, const struct vi_expr *e, struct vi_expr *base,
                                   const struct vi_index *ix, int nix, int p, struct vi_expr *with) {
  struct vi_expr *r = mk(L, VI_E_INDEX, e);
  struct vi_index *nx = vi_arena_array(L->a, (size_t)nix, sizeof *nx);
  if (!r || !nx || nix > MAX_INDEX) return NULL;
  if (nix) memcpy(nx, ix, (size_t)nix * sizeof *nx);
  nx[p] = with ? (struct vi_index){VI_IX_SINGLE, 1, with, NULL} : (struct vi_index){VI_IX_RANGE, 0, L->lo, L->hi};
  uint8_t keep[MAX_INDEX];
  for (int i = 0; i < nix; i++) keep[i] = i == p;
  r->type = vi_index_type(base->type, nix, keep);
  r->u.index.a = base;
  r->u.index.ix = nx;
  r->u.index.nix = nix;
  return r->type.base == VI_T_ERROR ? NULL : r;
}

/* base[lo:hi]: the rows or elements the loop runs over. */
static struct vi_expr *loop_range(struct lw *L, const struct vi_expr *e, struct vi_expr *base) {
  struct vi_index one = {VI_IX_RANGE, 0, L->lo, L->hi};
  return range_index(L, e, base, &one, 1, 0, NULL);
}

static int mentions_loop(const struct lw *L, const struct vi_expr *e);
static int expr_reads(const struct vi_expr *e, int slot);
static struct vi_expr *reduction_term_sign(const struct vi_stmt *s, int *sign);

static int index_mentions(const struct lw *L, const struct vi_index *ix, int n) {
  for (int i = 0; i < n; i++)
    if ((ix[i].lo && mentions_loop(L, ix[i].lo)) || (ix[i].hi && mentions_loop(L, ix[i].hi))) return 1;
  return 0;
}

/* Does e read the loop variable, a variable the body writes, or a local of the body? */
static int mentions_loop(const struct lw *L, const struct vi_expr *e) {
  switch (e->kind) {
  case VI_E_VAR:
    return e->u.var.slot == L->var || L->written[e->u.var.slot] || L->is_local[e->u.var.slot] ||
           L->reduced[e->u.var.slot];
  case VI_E_BINARY: return mentions_loop(L, e->u.bin.a) || mentions_loop(L, e->u.bin.b);
  case VI_E_UNARY:
  case VI_E_PAREN: return mentions_loop(L, e->u.un.a);
  case VI_E_COND: return mentions_loop(L, e->u.cond.c) || mentions_loop(L, e->u.cond.a) || mentions_loop(L, e->u.cond.b);
  case VI_E_CALL:
    /* target() changes as the body adds to the target: it varies */
    if (strcmp(e->u.call.name, "target") == 0 || strcmp(e->u.call.name, "get_lp") == 0) return 1;
    {
      size_t len = strlen(e->u.call.name);
      if (len > 3 && strcmp(e->u.call.name + len - 3, "_lp") == 0) return 1; /* adds to the target */
    }
    for (int i = 0; i < e->u.call.nargs; i++)
      if (mentions_loop(L, e->u.call.args[i])) return 1;
    return 0;
  case VI_E_INDEX: return mentions_loop(L, e->u.index.a) || index_mentions(L, e->u.index.ix, e->u.index.nix);
  case VI_E_ARRAY:
  case VI_E_ROWVEC:
    for (int i = 0; i < e->u.list.n; i++)
      if (mentions_loop(L, e->u.list.elems[i])) return 1;
    return 0;
  default: return 0;
  }
}

static int is_loop_var(const struct lw *L, const struct vi_expr *e) {
  while (e->kind == VI_E_PAREN) e = e->u.un.a;
  return e->kind == VI_E_VAR && e->u.var.slot == L->var;
}

static struct vx vexpr(struct lw *L, struct vi_expr *e);

/* Are a and b the same expression (variables, literals, operators over
 * them)? Conservative: anything else compares by identity. */
static int expr_equal(const struct vi_expr *a, const struct vi_expr *b) {
  while (a->kind == VI_E_PAREN) a = a->u.un.a;
  while (b->kind == VI_E_PAREN) b = b->u.un.a;
  if (a == b) return 1;
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case VI_E_VAR: return a->u.var.slot == b->u.var.slot;
  case VI_E_INT: return a->u.ival == b->u.ival;
  case VI_E_BINARY: return a->u.bin.op == b->u.bin.op && expr_equal(a->u.bin.a, b->u.bin.a) && expr_equal(a->u.bin.b, b->u.bin.b);
  case VI_E_UNARY: return a->u.un.op == b->u.un.op && expr_equal(a->u.un.a, b->u.un.a);
  default: return 0;
  }
}

/* The position of the loop variable in x[i1, ..., ik] when it is exactly
 * one single index and every other is a single index not mentioning the
 * loop; else -1. */
static int loop_position(const struct lw *L, const struct vi_expr *x) {
  int p = -1;
  for (int i = 0; i < x->u.index.nix; i++) {
    const struct vi_index *ix = &x->u.index.ix[i];
    if (ix->kind != VI_IX_SINGLE || ix->multi) return -1;
    if (is_loop_var(L, ix->lo)) {
      if (p >= 0) return -1;
      p = i;
    } else if (mentions_loop(L, ix->lo)) {
      return -1;
    }
  }
  return p;
}

/* Does x index the same element pattern as the writes of its variable? */
static int same_pattern(const struct lw *L, const struct vi_expr *x) {
  const struct vi_expr *w = L->wpat[x->u.index.a->u.var.slot];
  if (!w || w->u.index.nix != x->u.index.nix || loop_position(L, x) != loop_position(L, w)) return 0;
  for (int i = 0; i < x->u.index.nix; i++)
    if (!is_loop_var(L, x->u.index.ix[i].lo) && !expr_equal(x->u.index.ix[i].lo, w->u.index.ix[i].lo)) return 0;
  return 1;
}

/* Elementwise math functions: f(vector) is f applied to each element. */
static int elementwise_fn(const char *name) {
  static const char *const names[] = {
      "abs", "fabs", "exp", "log", "log1p", "expm1", "log1m", "sqrt", "cbrt", "square", "pow", "inv", "inv_sqrt",
      "inv_square", "inv_logit", "logit", "log_inv_logit", "log1m_inv_logit", "log1p_exp", "log1m_exp", "lgamma",
      "tgamma", "digamma", "fmin", "fmax", "fma", "Phi", "Phi_approx", "erf", "erfc", "sin", "cos", "tan", "asin",
      "acos", "atan", "atan2", "sinh", "cosh", "tanh", "hypot", "exp2", "log2", "log10", "lbeta", "fdim", "trigamma"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i], name) == 0) return 1;
  return 0;
}

/* x[n] * beta, dot_product(x[n], beta), dot_product(beta, x[n]) with x a
 * matrix and beta a vector not varying: the rows x[lo:hi] times beta. */
static struct vx row_product(struct lw *L, const struct vi_expr *e, struct vi_expr *row, struct vi_expr *vec) {
  while (row->kind == VI_E_PAREN) row = row->u.un.a;
  if (mentions_loop(L, vec) || vec->type.ndims || vec->type.base != VI_T_VECTOR) return FAIL;
  if (row->kind != VI_E_INDEX || row->u.index.nix != 1 || row->u.index.ix[0].kind != VI_IX_SINGLE ||
      !is_loop_var(L, row->u.index.ix[0].lo))
    return FAIL;
  struct vi_expr *m = row->u.index.a;
  if (m->type.ndims || m->type.base != VI_T_MATRIX || mentions_loop(L, m)) return FAIL;
  struct vi_expr *rows = loop_range(L, row, m);
  if (!rows) return FAIL;
  struct vi_expr *p = mk(L, VI_E_BINARY, e);
  if (!p) return FAIL;
  p->u.bin.op = VI_OP_MUL;
  p->u.bin.a = rows;
  p->u.bin.b = vec;
  p->type = (struct vi_type){VI_T_VECTOR, 0};
  return (struct vx){p, 1, 1};
}

/* n + c, n - c or c + n with c an int that does not vary: the bounds of the
 * shifted range, as the operands of a (dummy) binary node; else NULL. */
static struct vi_expr *shifted_range(struct lw *L, struct vi_expr *e) {
  while (e->kind == VI_E_PAREN) e = e->u.un.a;
  if (e->kind != VI_E_BINARY || (e->u.bin.op != VI_OP_ADD && e->u.bin.op != VI_OP_SUB)) return NULL;
  struct vi_expr *a = e->u.bin.a, *b = e->u.bin.b;
  if (e->u.bin.op == VI_OP_ADD && !is_loop_var(L, a)) {
    struct vi_expr *t = a;
    a = b;
    b = t;
  }
  if (!is_loop_var(L, a) || mentions_loop(L, b) || b->type.base != VI_T_INT || b->type.ndims) return NULL;
  struct vi_expr *pair = mk(L, VI_E_BINARY, e), *lo = mk(L, VI_E_BINARY, e), *hi = mk(L, VI_E_BINARY, e);
  if (!pair || !lo || !hi) return NULL;
  *lo = *e;
  lo->u.bin.a = L->lo;
  lo->u.bin.b = b;
  lo->type = (struct vi_type){VI_T_INT, 0};
  *hi = *lo;
  hi->u.bin.a = L->hi;
  pair->u.bin.a = lo;
  pair->u.bin.b = hi;
  return pair;
}

/* c - n with c an int that does not vary: the bounds (c - hi, c - lo) of
 * the range read backwards, as the operands of a (dummy) binary node. */
static struct vi_expr *reversed_range(struct lw *L, struct vi_expr *e) {
  while (e->kind == VI_E_PAREN) e = e->u.un.a;
  if (e->kind != VI_E_BINARY || e->u.bin.op != VI_OP_SUB || !is_loop_var(L, e->u.bin.b)) return NULL;
  struct vi_expr *c = e->u.bin.a;
  if (mentions_loop(L, c) || c->type.base != VI_T_INT || c->type.ndims) return NULL;
  struct vi_expr *pair = mk(L, VI_E_BINARY, e), *lo = mk(L, VI_E_BINARY, e), *hi = mk(L, VI_E_BINARY, e);
  if (!pair || !lo || !hi) return NULL;
  *lo = *e;
  lo->u.bin.a = c;
  lo->u.bin.b = L->hi;
  lo->type = (struct vi_type){VI_T_INT, 0};
  *hi = *lo;
  hi->u.bin.b = L->lo;
  pair->u.bin.a = lo;
  pair->u.bin.b = hi;
  return pair;
}

/* v[i1, ...] with the loop variable, or a varying int (a multi-index), at
 * one position and indices that do not vary at the others. */
static struct vx vindex(struct lw *L, struct vi_expr *e) {
  struct vi_expr *base = e->u.index.a;
  struct vi_index *ix = e->u.index.ix;
  int nix = e->u.index.nix, p = -1;
  if (!is_scalar_t(e->type)) return FAIL; /* only scalars vary */
  if (base->kind != VI_E_VAR || base->u.var.slot == L->var || L->is_local[base->u.var.slot]) return FAIL;
  for (int i = 0; i < nix; i++) {
    if (ix[i].kind != VI_IX_SINGLE || ix[i].multi) return FAIL;
    if (!mentions_loop(L, ix[i].lo)) continue;
    if (p >= 0) return FAIL; /* two varying positions would select a cross product */
    p = i;
  }
  if (p < 0) return FAIL;
  if (is_loop_var(L, ix[p].lo)) { /* v[..., n, ...] */
    if (L->written[base->u.var.slot] && !same_pattern(L, e)) {
      why(L, "it reads '%s' at another element than the one it writes", base->u.var.name);
      return FAIL;
    }
    struct vi_expr *r = range_index(L, e, base, ix, nix, p, NULL);
    return r ? (struct vx){r, 1, 1} : FAIL;
  }
  if (L->written[base->u.var.slot]) { /* written at n, read elsewhere: a carried dependency */
    why(L, "it reads '%s' at another index than the one it writes (a dependency between iterations)",
        base->u.var.name);
    return FAIL;
  }
  struct vi_expr *sh = shifted_range(L, ix[p].lo);
  if (sh) { /* v[n - 1] of a variable the loop does not write => v[(lo - 1):(hi - 1)] */
    struct vi_expr *r = range_index(L, e, base, ix, nix, p, NULL);
    if (!r) return FAIL;
    r->u.index.ix[p].lo = sh->u.bin.a;
    r->u.index.ix[p].hi = sh->u.bin.b;
    return (struct vx){r, 1, 1};
  }
  struct vi_expr *rv = reversed_range(L, ix[p].lo);
  if (rv && nix == 1) { /* y[t - k] => reverse(y[(t - hi):(t - lo)]) */
    struct vi_expr *r = range_index(L, e, base, ix, nix, p, NULL);
    if (!r) return FAIL;
    r->u.index.ix[p].lo = rv->u.bin.a;
    r->u.index.ix[p].hi = rv->u.bin.b;
    struct vi_expr *rr = call(L, "reverse", &r, 1, e);
    return rr ? (struct vx){rr, 1, 1} : FAIL;
  }
  struct vx i0 = vexpr(L, ix[p].lo);
  if (!i0.ok || !i0.vary || i0.e->type.ndims != 1 || i0.e->type.base != VI_T_INT) return FAIL;
  struct vi_expr *r = range_index(L, e, base, ix, nix, p, i0.e); /* v[g[n]] => v[g[lo:hi]] */
  return r ? (struct vx){r, 1, 1} : FAIL;
}

static struct vx vbinary(struct lw *L, struct vi_expr *e) {
  int op = e->u.bin.op;
  if (op == VI_OP_MUL && e->type.base == VI_T_REAL && e->u.bin.a->type.base == VI_T_ROW_VECTOR &&
      e->u.bin.b->type.base == VI_T_VECTOR)
    return row_product(L, e, e->u.bin.a, e->u.bin.b);
  struct vx a = vexpr(L, e->u.bin.a), b = vexpr(L, e->u.bin.b);
  if (!a.ok || !b.ok) return FAIL;
  if (!a.vary && !b.vary) return (struct vx){e, 0, 1};
  if (!is_scalar_t(e->u.bin.a->type) || !is_scalar_t(e->u.bin.b->type) || e->type.base != VI_T_REAL) return FAIL;
  int vop;
  switch (op) {
  case VI_OP_ADD: vop = VI_OP_ADD; break;
  case VI_OP_SUB: vop = VI_OP_SUB; break;
  case VI_OP_MUL: vop = a.vary && b.vary ? VI_OP_EMUL : VI_OP_MUL; break;
  case VI_OP_DIV: vop = b.vary ? VI_OP_EDIV : VI_OP_DIV; break;
  case VI_OP_POW: vop = VI_OP_EPOW; break;
  default: why(L, "a comparison or integer operation depends on the loop variable", NULL); return FAIL;
  }
  struct vi_expr *va = a.vary ? as_vector(L, a.e) : a.e, *vb = b.vary ? as_vector(L, b.e) : b.e;
  if (!va || !vb) return FAIL;
  if (vop == VI_OP_EPOW) {
    struct vi_expr *args[2] = {va, vb};
    struct vi_expr *r = call(L, "pow", args, 2, e);
    return r ? (struct vx){r, 1, 1} : FAIL;
  }
  struct vi_expr *r = mk(L, VI_E_BINARY, e);
  if (!r) return FAIL;
  r->u.bin.op = (uint8_t)vop;
  r->u.bin.a = va;
  r->u.bin.b = vb;
  r->type = (struct vi_type){VI_T_VECTOR, 0};
  return (struct vx){r, 1, 1};
}

static struct vx vcall(struct lw *L, struct vi_expr *e) {
  const char *name = e->u.call.name;
  int n = e->u.call.nargs;
  size_t len = strlen(name);
  if (strcmp(name, "target") == 0 || strcmp(name, "get_lp") == 0 || (len > 3 && strcmp(name + len - 3, "_lp") == 0)) {
    why(L, "'%s' reads or changes the target as the body runs", name);
    return FAIL;
  }
  if (e->u.call.user) {
    for (int i = 0; i < n; i++)
      if (mentions_loop(L, e->u.call.args[i])) return FAIL;
    return (struct vx){e, 0, 1};
  }
  if (strcmp(name, "dot_product") == 0 && n == 2 && e->u.call.args[0]->type.ndims == 0 &&
      e->u.call.args[1]->type.ndims == 0) {
    struct vi_expr *x = e->u.call.args[0], *y = e->u.call.args[1];
    if (mentions_loop(L, x) && !mentions_loop(L, y) && y->type.base == VI_T_VECTOR) return row_product(L, e, x, y);
    if (mentions_loop(L, y) && !mentions_loop(L, x) && x->type.base == VI_T_VECTOR) return row_product(L, e, y, x);
  }
  struct vi_expr *args[8];
  int any = 0;
  if (n > 8) return FAIL;
  for (int i = 0; i < n; i++) {
    struct vx v = vexpr(L, e->u.call.args[i]);
    if (!v.ok) return FAIL;
    args[i] = v.e;
    any |= v.vary;
  }
  if (!any) return (struct vx){e, 0, 1};
  if (!elementwise_fn(name) || e->type.base != VI_T_REAL || e->type.ndims) {
    why(L, "'%s' has no elementwise vector form here", name);
    return FAIL;
  }
  for (int i = 0; i < n; i++) {
    if (!is_scalar_t(e->u.call.args[i]->type)) return FAIL;
    if (mentions_loop(L, e->u.call.args[i]) && !(args[i] = as_vector(L, args[i]))) return FAIL;
  }
  struct vi_expr *r = call(L, name, args, n, e);
  if (!r || r->type.base != VI_T_VECTOR || r->type.ndims) return FAIL;
  return (struct vx){r, 1, 1};
}

/* The whole-range form of e, or e itself when it does not vary. */
static struct vx vexpr(struct lw *L, struct vi_expr *e) {
  if (!mentions_loop(L, e)) return (struct vx){e, 0, 1};
  switch (e->kind) {
  case VI_E_VAR:
    if (L->bound[e->u.var.slot]) return (struct vx){L->bound[e->u.var.slot], 1, 1};
    why(L, e->u.var.slot == L->var ? "the loop variable is used outside an index"
                                    : "it reads '%s' whole while writing its elements",
        e->u.var.name);
    return FAIL;
  case VI_E_PAREN: return vexpr(L, e->u.un.a);
  case VI_E_UNARY: {
    if (e->u.un.op != VI_OP_NEG && e->u.un.op != VI_OP_PLUS) return FAIL;
    if (!is_scalar_t(e->type) || e->type.base != VI_T_REAL) return FAIL;
    struct vx a = vexpr(L, e->u.un.a);
    if (!a.ok) return FAIL;
    struct vi_expr *va = as_vector(L, a.e);
    if (!va) return FAIL;
    if (e->u.un.op == VI_OP_PLUS) return (struct vx){va, 1, 1};
    struct vi_expr *r = mk(L, VI_E_UNARY, e);
    if (!r) return FAIL;
    r->u.un.op = VI_OP_NEG;
    r->u.un.a = va;
    r->type = (struct vi_type){VI_T_VECTOR, 0};
    return (struct vx){r, 1, 1};
  }
  case VI_E_BINARY: return vbinary(L, e);
  case VI_E_CALL: return vcall(L, e);
  case VI_E_INDEX: return vindex(L, e);
  default: why(L, "a conditional or a list expression depends on the loop variable", NULL); return FAIL;
  }
}

/* Is e an unindexed call of a density (its whole-range form is the sum)? */
static int is_density_call(const struct vi_expr *e) {
  if (e->kind != VI_E_CALL || e->u.call.user) return 0;
  const struct vi_func *f = e->u.call.fn;
  return f && (f->flags & (VI_FN_LPDF | VI_FN_LPMF | VI_FN_CDF)) && !(f->flags & VI_FN_RNG);
}

/* Arguments of a density, each a scalar per iteration; at least one varies. */
static int vdensity_args(struct lw *L, struct vi_expr **in, int n, struct vi_expr **out) {
  int any = 0;
  for (int i = 0; i < n; i++) {
    if (!is_scalar_t(in[i]->type)) return 0;
    struct vx v = vexpr(L, in[i]);
    if (!v.ok) return 0;
    out[i] = v.e;
    any |= v.vary;
  }
  return any;
}

static struct vi_stmt *mks(struct lw *L, int kind, const struct vi_stmt *like) {
  struct vi_stmt *s = vi_arena_alloc(L->a, sizeof *s);
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  s->kind = (uint8_t)kind;
  s->loc = like->loc;
  return s;
}

/* Rewrites one statement of the body; NULL when it cannot be. *drop is set
 * for a declaration that was bound instead (it emits nothing). */
static struct vi_stmt *vstmt(struct lw *L, const struct vi_stmt *s, int *drop) {
  *drop = 0;
  switch (s->kind) {
  case VI_S_DECL: {
    const struct vi_decl *d = s->u.decl;
    if (!is_scalar_t(d->type) || d->type.base != VI_T_REAL || !d->init || d->lower || d->upper || d->offset ||
        d->multiplier) {
      why(L, "it declares '%s', which is not a real scalar with an initial value", d->name);
      return NULL;
    }
    /* the local is inlined where it is read: its value must not depend on
     * what the body writes (a write in between would change it) */
    for (int k = 0; k < L->st->nslots; k++)
      if (L->written[k] && expr_reads(d->init, k)) {
        why(L, "the local '%s' reads a variable the loop writes", d->name);
        return NULL;
      }
    struct vx v = vexpr(L, d->init);
    if (!v.ok) return NULL;
    struct vi_expr *ve = v.vary ? as_vector(L, v.e) : NULL;
    if (!ve) return NULL; /* a constant per iteration: rare, keep the loop */
    L->bound[d->slot] = ve;
    *drop = 1;
    return NULL;
  }
  case VI_S_TILDE: {
    if (s->u.tilde.has_trunc || s->u.tilde.user || !s->u.tilde.fn || s->u.tilde.nargs > 7) {
      why(L, "a truncated or user-defined distribution", NULL);
      return NULL;
    }
    struct vi_expr *in[8], *out[8];
    in[0] = s->u.tilde.lhs;
    for (int i = 0; i < s->u.tilde.nargs; i++) in[i + 1] = s->u.tilde.args[i];
    if (!vdensity_args(L, in, s->u.tilde.nargs + 1, out)) return NULL;
    const struct vi_func *f = s->u.tilde.fn;
    struct vi_type ts[8];
    for (int i = 0; i <= s->u.tilde.nargs; i++) ts[i] = out[i]->type;
    if (f->rule(ts, s->u.tilde.nargs + 1).base == VI_T_ERROR) return NULL;
    struct vi_stmt *r = mks(L, VI_S_TILDE, s);
    struct vi_expr **av = vi_arena_array(L->a, (size_t)s->u.tilde.nargs + 1, sizeof *av);
    if (!r || !av) return NULL;
    r->u.tilde = s->u.tilde;
    r->u.tilde.lhs = out[0];
    memcpy(av, out + 1, (size_t)s->u.tilde.nargs * sizeof *av);
    r->u.tilde.args = av;
    return r;
  }
  case VI_S_TARGET: {
    struct vi_expr *e = s->u.expr;
    while (e->kind == VI_E_PAREN) e = e->u.un.a;
    struct vi_expr *ne;
    if (is_density_call(e)) {
      int n = e->u.call.nargs;
      struct vi_expr *out[8];
      if (n > 8 || !vdensity_args(L, e->u.call.args, n, out)) return NULL;
      ne = call(L, e->u.call.name, out, n, e);
      if (!ne) return NULL;
      ne->u.call.bar = e->u.call.bar;
    } else {
      if (!is_scalar_t(e->type)) return NULL;
      struct vx v = vexpr(L, e);
      if (!v.ok || !v.vary) return NULL;
      struct vi_expr *ve = as_vector(L, v.e);
      if (!ve || !(ne = call(L, "sum", &ve, 1, e))) return NULL;
    }
    struct vi_stmt *r = mks(L, VI_S_TARGET, s);
    if (!r) return NULL;
    r->u.expr = ne;
    return r;
  }
  case VI_S_ASSIGN: {
    struct vi_expr *lhs = s->u.assign.lhs;
    if (lhs->kind == VI_E_VAR && L->reduced[lhs->u.var.slot]) { /* s += e  =>  s += sum(e over the range) */
      int sign;
      struct vi_expr *t = reduction_term_sign(s, &sign);
      struct vx v = t ? vexpr(L, t) : FAIL;
      struct vi_expr *ve = v.ok && v.vary ? as_vector(L, v.e) : NULL, *sum = ve ? call(L, "sum", &ve, 1, t) : NULL;
      if (!sum) {
        why(L, "it accumulates into '%s' a term that does not vectorise", lhs->u.var.name);
        return NULL;
      }
      struct vi_stmt *r = mks(L, VI_S_ASSIGN, s);
      if (!r) return NULL;
      r->u.assign = s->u.assign;
      r->u.assign.op = sign < 0 ? VI_AS_SUB : VI_AS_ADD;
      r->u.assign.rhs = sum;
      return r;
    }
    /* v[.., n, ..] = e only (the scan made sure v is written at no other element) */
    int p = lhs->kind == VI_E_INDEX ? loop_position(L, lhs) : -1;
    if (p < 0 || !is_scalar_t(lhs->type) || lhs->type.base != VI_T_REAL) return NULL;
    struct vi_expr *base = lhs->u.index.a;
    if (s->u.assign.op != VI_AS_SET && s->u.assign.op != VI_AS_ADD && s->u.assign.op != VI_AS_SUB) return NULL;
    struct vx v = vexpr(L, s->u.assign.rhs);
    if (!v.ok || !v.vary) return NULL;
    struct vi_expr *rhs = as_vector(L, v.e), *nl = range_index(L, lhs, base, lhs->u.index.ix, lhs->u.index.nix, p, NULL);
    if (!rhs || !nl) return NULL;
    /* the value's shape is the range's: a vector, a row of a matrix, or an array of reals */
    if (nl->type.ndims == 1 && nl->type.base == VI_T_REAL) {
      if (!(rhs = call(L, "to_array_1d", &rhs, 1, rhs))) return NULL;
    } else if (nl->type.ndims == 0 && nl->type.base == VI_T_ROW_VECTOR) {
      struct vi_expr *t = mk(L, VI_E_UNARY, rhs);
      if (!t) return NULL;
      t->u.un.op = VI_OP_TRANSPOSE;
      t->u.un.a = rhs;
      t->type = (struct vi_type){VI_T_ROW_VECTOR, 0};
      rhs = t;
    } else if (nl->type.ndims || nl->type.base != VI_T_VECTOR) {
      return NULL;
    }
    struct vi_stmt *r = mks(L, VI_S_ASSIGN, s);
    if (!r) return NULL;
    r->u.assign = s->u.assign;
    r->u.assign.lhs = nl;
    r->u.assign.rhs = rhs;
    return r;
  }
  case VI_S_EMPTY: *drop = 1; return NULL;
  default: why(L, "the body holds a statement that does not vectorise (if, while, print, a loop that stays a loop, a call)", NULL); return NULL;
  }
}

/* For `s += e`, `s -= e`, `s = s + e`, `s = e + s` or `s = s - e` with s a
 * real scalar variable and e not reading s: e (negated terms are marked by
 * *sign = -1); else NULL. */
static struct vi_expr *reduction_term_sign(const struct vi_stmt *s, int *sign) {
  const struct vi_expr *lhs = s->u.assign.lhs;
  if (lhs->kind != VI_E_VAR || lhs->type.base != VI_T_REAL || lhs->type.ndims) return NULL;
  int slot = lhs->u.var.slot;
  struct vi_expr *r = s->u.assign.rhs, *t = NULL;
  *sign = 1;
  if (s->u.assign.op == VI_AS_ADD || s->u.assign.op == VI_AS_SUB) {
    t = r;
    *sign = s->u.assign.op == VI_AS_SUB ? -1 : 1;
  } else if (s->u.assign.op == VI_AS_SET) {
    while (r->kind == VI_E_PAREN) r = r->u.un.a;
    if (r->kind != VI_E_BINARY || (r->u.bin.op != VI_OP_ADD && r->u.bin.op != VI_OP_SUB)) return NULL;
    const struct vi_expr *a = r->u.bin.a, *b = r->u.bin.b;
    while (a->kind == VI_E_PAREN) a = a->u.un.a;
    while (b->kind == VI_E_PAREN) b = b->u.un.a;
    if (a->kind == VI_E_VAR && a->u.var.slot == slot) {
      t = r->u.bin.b;
      *sign = r->u.bin.op == VI_OP_SUB ? -1 : 1;
    } else if (r->u.bin.op == VI_OP_ADD && b->kind == VI_E_VAR && b->u.var.slot == slot) {
      t = r->u.bin.a;
    }
  }
  return t && !expr_reads(t, slot) && t->type.ndims == 0 && (t->type.base == VI_T_REAL || t->type.base == VI_T_INT)
             ? t
             : NULL;
}

static int reduction_term(const struct vi_stmt *s) {
  int sign;
  return reduction_term_sign(s, &sign) != NULL;
}

/* Marks what the body writes; 0 when a write is not of the form v[n] = ... */
static int scan_writes(struct lw *L, struct vi_stmt *const *ss, int n) {
  for (int i = 0; i < n; i++) {
    const struct vi_stmt *s = ss[i];
    if (s->kind == VI_S_DECL) {
      L->is_local[s->u.decl->slot] = 1;
      continue;
    }
    if (s->kind != VI_S_ASSIGN) continue;
    const struct vi_expr *lhs = s->u.assign.lhs;
    if (lhs->kind == VI_E_VAR && reduction_term(s) && !L->is_local[lhs->u.var.slot]) {
      L->reduced[lhs->u.var.slot] = 1;
      continue;
    }
    const struct vi_expr *ve = lhs;
    while (ve->kind == VI_E_INDEX) ve = ve->u.index.a;
    if (lhs->kind != VI_E_INDEX || lhs->u.index.a->kind != VI_E_VAR || loop_position(L, lhs) < 0 ||
        L->is_local[lhs->u.index.a->u.var.slot] ||
        (L->wpat[lhs->u.index.a->u.var.slot] && !same_pattern(L, lhs))) {
      why(L, "it assigns '%s' other than at the loop's own element [n]", ve->kind == VI_E_VAR ? ve->u.var.name : "");
      return 0;
    }
    int slot = lhs->u.index.a->u.var.slot;
    L->written[slot] = 1;
    if (!L->wpat[slot]) L->wpat[slot] = lhs;
  }
  return 1;
}

/* ---- forwarding element writes to their readers ----
 *
 * `mu[n] = E; y[n] ~ normal(mu[n], s);` lowers to two statements; when E
 * reads nothing the loop writes, the density may read E itself (one fused
 * pass instead of a vector written and read back). When, in addition, mu is
 * a model-block local that nothing else reads, the write is dropped. */

static int expr_reads(const struct vi_expr *e, int slot) {
  if (!e) return 0;
  switch (e->kind) {
  case VI_E_VAR: return e->u.var.slot == slot;
  case VI_E_BINARY: return expr_reads(e->u.bin.a, slot) || expr_reads(e->u.bin.b, slot);
  case VI_E_UNARY:
  case VI_E_PAREN: return expr_reads(e->u.un.a, slot);
  case VI_E_COND: return expr_reads(e->u.cond.c, slot) || expr_reads(e->u.cond.a, slot) || expr_reads(e->u.cond.b, slot);
  case VI_E_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      if (expr_reads(e->u.call.args[i], slot)) return 1;
    return 0;
  case VI_E_INDEX:
    if (expr_reads(e->u.index.a, slot)) return 1;
    for (int i = 0; i < e->u.index.nix; i++)
      if (expr_reads(e->u.index.ix[i].lo, slot) || expr_reads(e->u.index.ix[i].hi, slot)) return 1;
    return 0;
  case VI_E_ARRAY:
  case VI_E_ROWVEC:
    for (int i = 0; i < e->u.list.n; i++)
      if (expr_reads(e->u.list.elems[i], slot)) return 1;
    return 0;
  default: return 0;
  }
}

/* Does s (other than skip, and everything below it) read slot? Writes to
 * slot count as reads (conservative). */
static int stmt_reads(const struct vi_stmt *s, int slot, const struct vi_stmt *skip) {
  if (!s || s == skip) return 0;
  switch (s->kind) {
  case VI_S_DECL: {
    const struct vi_decl *d = s->u.decl;
    for (int i = 0; i < d->type.ndims; i++)
      if (expr_reads(d->dims[i], slot)) return 1;
    return expr_reads(d->rows, slot) || expr_reads(d->cols, slot) || expr_reads(d->init, slot) ||
           expr_reads(d->lower, slot) || expr_reads(d->upper, slot) || expr_reads(d->offset, slot) ||
           expr_reads(d->multiplier, slot);
  }
  case VI_S_ASSIGN: return expr_reads(s->u.assign.lhs, slot) || expr_reads(s->u.assign.rhs, slot);
  case VI_S_TILDE:
    if (expr_reads(s->u.tilde.lhs, slot) || expr_reads(s->u.tilde.trunc_lo, slot) ||
        expr_reads(s->u.tilde.trunc_hi, slot))
      return 1;
    for (int i = 0; i < s->u.tilde.nargs; i++)
      if (expr_reads(s->u.tilde.args[i], slot)) return 1;
    return 0;
  case VI_S_TARGET:
  case VI_S_RETURN:
  case VI_S_EXPR: return expr_reads(s->u.expr, slot);
  case VI_S_FOR:
  case VI_S_FOREACH:
  case VI_S_WHILE:
    return expr_reads(s->u.loop.lo, slot) || expr_reads(s->u.loop.hi, slot) || stmt_reads(s->u.loop.body, slot, skip);
  case VI_S_IF:
    return expr_reads(s->u.ifs.cond, slot) || stmt_reads(s->u.ifs.then, slot, skip) ||
           stmt_reads(s->u.ifs.els, slot, skip);
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++)
      if (stmt_reads(s->u.block.stmts[i], slot, skip)) return 1;
    return 0;
  case VI_S_VLOOP: return stmt_reads(s->u.vloop.loop, slot, skip) || stmt_reads(s->u.vloop.whole, slot, skip);
  case VI_S_PRINT:
  case VI_S_REJECT:
  case VI_S_FATAL:
    for (int i = 0; i < s->u.print.n; i++)
      if (expr_reads(s->u.print.args[i], slot)) return 1;
    return 0;
  default: return 0;
  }
}

/* Is e the whole-range read slot[lo:hi] of this loop? */
static int is_range_read(const struct lw *L, const struct vi_expr *e, int slot) {
  return e->kind == VI_E_INDEX && e->u.index.a->kind == VI_E_VAR && e->u.index.a->u.var.slot == slot &&
         e->u.index.nix == 1 && e->u.index.ix[0].kind == VI_IX_RANGE && e->u.index.ix[0].lo == L->lo &&
         e->u.index.ix[0].hi == L->hi;
}

/* Replaces every slot[lo:hi] below *ep by with; returns how many remain
 * that could not be replaced (reads of slot in another form). */
static int forward_into(const struct lw *L, struct vi_expr **ep, int slot, struct vi_expr *with) {
  struct vi_expr *e = *ep;
  if (!e) return 0;
  if (is_range_read(L, e, slot)) {
    *ep = with;
    return 0;
  }
  int left = 0;
  switch (e->kind) {
  case VI_E_VAR: return e->u.var.slot == slot;
  case VI_E_BINARY: return forward_into(L, &e->u.bin.a, slot, with) + forward_into(L, &e->u.bin.b, slot, with);
  case VI_E_UNARY:
  case VI_E_PAREN: return forward_into(L, &e->u.un.a, slot, with);
  case VI_E_CALL:
    for (int i = 0; i < e->u.call.nargs; i++) left += forward_into(L, &e->u.call.args[i], slot, with);
    return left;
  case VI_E_INDEX:
    left += forward_into(L, &e->u.index.a, slot, with);
    for (int i = 0; i < e->u.index.nix; i++)
      left += forward_into(L, &e->u.index.ix[i].lo, slot, with) + forward_into(L, &e->u.index.ix[i].hi, slot, with);
    return left;
  default: return expr_reads(e, slot);
  }
}

/* The lowered statements out[0..n) of loop s: forwards each plain element
 * write into the statements after it; returns the new count (writes that
 * nothing needs are dropped). */
static int forward_writes(struct lw *L, const struct vi_stmt *s, struct vi_stmt **out, int n) {
  for (int i = 0; i < n; i++) {
    struct vi_stmt *w = out[i];
    if (w->kind != VI_S_ASSIGN || w->u.assign.op != VI_AS_SET) continue;
    int slot = w->u.assign.lhs->u.index.a->u.var.slot;
    struct vi_expr *rhs = w->u.assign.rhs;
    if (rhs->kind == VI_E_CALL) continue; /* to_array_1d: readers want the array */
    int reads_written = 0;
    for (int k = 0; k < L->st->nslots && !reads_written; k++) reads_written = L->written[k] && expr_reads(rhs, k);
    if (reads_written) continue;
    /* a read of the old values (before this write) may share its nodes
     * with the readers below (a bound local): then nothing is forwarded */
    int reads_old = 0;
    for (int k = 0; k < L->st->nslots && !reads_old; k++) reads_old = L->bound[k] && expr_reads(L->bound[k], slot);
    for (int j = 0; j < i && !reads_old; j++) reads_old = stmt_reads(out[j], slot, NULL);
    if (reads_old) continue;
    int left = 0;
    for (int j = i + 1; j < n; j++) {
      struct vi_stmt *r = out[j];
      if (r->kind == VI_S_ASSIGN && r->u.assign.lhs->u.index.a->u.var.slot == slot) left++; /* written again */
      if (left) break;
      switch (r->kind) {
      case VI_S_TILDE:
        left += forward_into(L, &r->u.tilde.lhs, slot, rhs);
        for (int a = 0; a < r->u.tilde.nargs; a++) left += forward_into(L, &r->u.tilde.args[a], slot, rhs);
        break;
      case VI_S_TARGET: left += forward_into(L, &r->u.expr, slot, rhs); break;
      case VI_S_ASSIGN: left += forward_into(L, &r->u.assign.rhs, slot, rhs); break;
      default: left++;
      }
    }
    /* the write itself is needed unless slot is a model-block local that
     * nothing outside this loop reads, and every read above was forwarded */
    int needed = left || L->block != VI_BLK_MODEL || L->st->block[slot] != VI_BLK_MODEL;
    for (int t = 0; !needed && t < L->p->nbody[L->block]; t++) needed = stmt_reads(L->p->body[L->block][t], slot, s);
    for (int j = 0; !needed && j < i; j++) needed = stmt_reads(out[j], slot, NULL);
    if (needed) continue;
    memmove(out + i, out + i + 1, (size_t)(n - i - 1) * sizeof *out);
    n--;
    i--;
  }
  return n;
}

/* Tries to rewrite the loop s; returns the replacement block or NULL. */
static struct vi_stmt *lower_loop(struct lw *L, const struct vi_stmt *s) {
  struct vi_stmt *const *ss = &s->u.loop.body;
  int n = 1;
  if (s->u.loop.body->kind == VI_S_BLOCK) { /* one level flattened */
    ss = s->u.loop.body->u.block.stmts;
    n = s->u.loop.body->u.block.n;
  }
  L->var = s->u.loop.slot;
  L->lo = s->u.loop.lo;
  L->hi = s->u.loop.hi;
  memset(L->written, 0, (size_t)L->st->nslots);
  memset(L->is_local, 0, (size_t)L->st->nslots);
  memset(L->bound, 0, (size_t)L->st->nslots * sizeof *L->bound);
  memset(L->wpat, 0, (size_t)L->st->nslots * sizeof *L->wpat);
  memset(L->reduced, 0, (size_t)L->st->nslots);
  L->why[0] = 0;
  if (!scan_writes(L, ss, n)) return NULL;
  for (int k = 0; k < L->st->nslots; k++) /* the fixed indices of a write must not change in the loop */
    if (L->wpat[k])
      for (int i = 0; i < L->wpat[k]->u.index.nix; i++)
        if (!is_loop_var(L, L->wpat[k]->u.index.ix[i].lo) && mentions_loop(L, L->wpat[k]->u.index.ix[i].lo)) {
          why(L, "the element a write reaches depends on what the loop writes", NULL);
          return NULL;
        }
  struct vi_stmt **out = vi_arena_array(L->a, (size_t)n, sizeof *out);
  if (!out) return NULL;
  int k = 0;
  for (int i = 0; i < n; i++) {
    int drop;
    struct vi_stmt *r = vstmt(L, ss[i], &drop);
    if (drop) continue;
    if (!r) return NULL;
    out[k++] = r;
  }
  k = forward_writes(L, s, out, k);
  struct vi_stmt *b = mks(L, VI_S_BLOCK, s);
  if (!b) return NULL;
  b->u.block.stmts = out;
  b->u.block.n = k;
  return b;
}

static void lower_stmt(struct lw *L, struct vi_stmt **sp, int *count);

/* Adds what became of the loop at loc to the program's notes. */
static void note(struct lw *L, struct vi_srcloc loc, const char *reason, const struct vi_stmt *vloop) {
  struct vi_program *p = L->p;
  if (p->nloops == p->caploops) {
    int cap = p->caploops ? 2 * p->caploops : 8;
    struct vi_loop_note *n = vi_arena_array(L->a, (size_t)cap, sizeof *n);
    if (!n) return;
    if (p->nloops) memcpy(n, p->loops, (size_t)p->nloops * sizeof *n);
    p->loops = n;
    p->caploops = cap;
  }
  p->loops[p->nloops++] = (struct vi_loop_note){loc, reason ? vi_arena_strdup(L->a, reason) : NULL, vloop};
}

static void lower_list(struct lw *L, struct vi_stmt **ss, int n, int *count) {
  for (int i = 0; i < n; i++) lower_stmt(L, &ss[i], count);
}

/* Lowers loops inside *sp (innermost first), then *sp itself. */
static void lower_stmt(struct lw *L, struct vi_stmt **sp, int *count) {
  struct vi_stmt *s = *sp;
  switch (s->kind) {
  case VI_S_BLOCK: lower_list(L, s->u.block.stmts, s->u.block.n, count); return;
  case VI_S_IF:
    lower_stmt(L, &s->u.ifs.then, count);
    if (s->u.ifs.els) lower_stmt(L, &s->u.ifs.els, count);
    return;
  case VI_S_WHILE:
  case VI_S_FOREACH: lower_stmt(L, &s->u.loop.body, count); return;
  case VI_S_FOR: {
    lower_stmt(L, &s->u.loop.body, count);
    struct vi_stmt *r = lower_loop(L, s);
    struct vi_stmt *v = r ? mks(L, VI_S_VLOOP, s) : NULL;
    if (v) {
      v->u.vloop.loop = s;
      v->u.vloop.whole = r;
      *sp = v;
      (*count)++;
    }
    note(L, s->loc, r ? NULL : L->why[0] ? L->why : "its body cannot be written as whole-range statements", v);
    return;
  }
  default: return;
  }
}

int vi_lower(struct vi_program *p, const struct vi_symtab *st, struct vi_arena *a) {
  struct lw L = {.a = a, .st = st};
  size_t ns = st->nslots ? (size_t)st->nslots : 1;
  L.written = vi_arena_array(a, ns, 1);
  L.is_local = vi_arena_array(a, ns, 1);
  L.bound = vi_arena_array(a, ns, sizeof *L.bound);
  L.wpat = vi_arena_array(a, ns, sizeof *L.wpat);
  L.reduced = vi_arena_array(a, ns, 1);
  if (!L.written || !L.is_local || !L.bound || !L.wpat || !L.reduced) return -1;
  int count = 0;
  static const int blocks[] = {VI_BLK_TPARAMS, VI_BLK_MODEL};
  L.p = p;
  for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
    L.block = blocks[b];
    lower_list(&L, p->body[blocks[b]], p->nbody[blocks[b]], &count);
  }
  for (int i = 1; i < p->nloops; i++) /* notes in source order (inner loops were noted first) */
    for (int j = i; j > 0; j--) {
      struct vi_srcloc x = p->loops[j - 1].loc, y = p->loops[j].loc;
      if (x.line < y.line || (x.line == y.line && x.col <= y.col)) break;
      struct vi_loop_note t = p->loops[j];
      p->loops[j] = p->loops[j - 1];
      p->loops[j - 1] = t;
    }
  return count;
}
