/* guide.c: the rules of a `guide` block and the rewrite that turns the
 * model + guide into one program of point parameters plus noise
 * (include/vi/guide.h, docs/amortised.md).
 *
 * The rules are checked on the parsed program, by name (before vi_check):
 * the guide reads only data, transformed data, guide parameters, its own
 * locals and loop variables; samples every @local exactly once, per row
 * (`z[n] ~ normal(M, S)` inside `for (n in 1:N)`) or whole (`z ~ normal(M, S)`);
 * a row's sample reads only that row. The rewrite then makes
 *   guide parameters -> parameters, point = VI_POINT_MAP (they have no prior), guide = 1;
 *   @local z         -> transformed parameters z, __mean_z, __sd_z (local = 1),
 *                       data __eps_z (noise = 1);
 *   z[n] ~ normal(M, S) -> __mean_z[n] = M; __sd_z[n] = S;
 *                          z[n] = __mean_z[n] + __sd_z[n] .* __eps_z[n];
 *   model block, first: for (n in 1:N) target += sum(log(__sd_z[n]) + c),
 *                       c = (1 + log(2 pi)) / 2 (the entropy of q, a row term).
 * Every generated node carries the location of the user's statement. */
#include "vi/guide.h"

#include <stdio.h>
#include <string.h>

#define HALF_LOG_2PI_E 1.4189385332046727 /* (1 + log(2 pi)) / 2 */

struct gl {
  struct vi_decl *z;
  const char *size;  /* the leading size's name (N) */
  int scalar_row;    /* z[n] is a real (vector[N], array[N] real) */
  struct vi_stmt *sample;
};

struct names {
  const char *v[256];
  int n;
};

struct g {
  struct vi_program *p;
  struct vi_arena *a;
  struct vi_diags *d;
  struct gl *locals;
  int nlocals;
  int oom;
  struct names scope;     /* guide-local variables and loop variables */
  const char *rowvar;     /* the row loop's variable, or NULL */
  const char *rowsize;    /* its N */
};

/* ---- lookups ---- */

static struct vi_decl *find_decl(struct vi_program *p, int blk, const char *name) {
  for (int i = 0; i < p->nbody[blk]; i++) {
    struct vi_stmt *s = p->body[blk][i];
    if (s->kind == VI_S_DECL && !strcmp(s->u.decl->name, name)) return s->u.decl;
  }
  return NULL;
}

static struct vi_decl *find_gparam(struct vi_program *p, const char *name) {
  for (int i = 0; i < p->ngparams; i++)
    if (p->gparams[i]->kind == VI_S_DECL && !strcmp(p->gparams[i]->u.decl->name, name)) return p->gparams[i]->u.decl;
  return NULL;
}

static const struct vi_expr *leading_size(const struct vi_decl *dc) {
  if (dc->type.ndims) return dc->dims[0];
  return dc->rows;
}

static struct gl *find_local(struct g *g, const char *name) {
  for (int i = 0; i < g->nlocals; i++)
    if (!strcmp(g->locals[i].z->name, name)) return &g->locals[i];
  return NULL;
}

static int in_scope(const struct g *g, const char *name) {
  for (int i = g->scope.n - 1; i >= 0; i--)
    if (!strcmp(g->scope.v[i], name)) return 1;
  return 0;
}

static void push_name(struct g *g, const char *name) {
  if (g->scope.n < (int)(sizeof g->scope.v / sizeof g->scope.v[0])) g->scope.v[g->scope.n++] = name;
}

/* A row variable of the current row loop: data or transformed data whose
 * leading size is the loop's N, or a local over N. */
static int is_row_var(struct g *g, const char *name) {
  if (!g->rowsize || in_scope(g, name)) return 0;
  struct gl *l = find_local(g, name);
  if (l) return !strcmp(l->size, g->rowsize);
  struct vi_decl *dc = find_decl(g->p, VI_BLK_DATA, name);
  if (!dc) dc = find_decl(g->p, VI_BLK_TDATA, name);
  if (!dc) return 0;
  const struct vi_expr *s = leading_size(dc);
  return s && s->kind == VI_E_VAR && !strcmp(s->u.var.name, g->rowsize);
}

/* ---- the rules ---- */

static void walk_expr(struct g *g, const struct vi_expr *e);

static void check_var(struct g *g, const struct vi_expr *e) {
  const char *name = e->u.var.name;
  if (in_scope(g, name) || find_local(g, name) || find_gparam(g->p, name)) return;
  if (find_decl(g->p, VI_BLK_PARAMS, name))
    vi_error(g->d, e->loc, "the guide reads the model parameter '%s' (a guide reads only data, transformed data, "
             "guide parameters, its locals and loop variables)", name);
  else if (find_decl(g->p, VI_BLK_TPARAMS, name))
    vi_error(g->d, e->loc, "the guide reads the transformed parameter '%s' (a guide reads only data, transformed "
             "data, guide parameters, its locals and loop variables)", name);
}

static void another_row(struct g *g, const struct vi_expr *e, const char *name) {
  vi_error(g->d, e->loc, "the guide reads another row of '%s': inside 'for (%s in 1:%s)' a row's sample reads "
           "only %s[%s]", name, g->rowvar, g->rowsize, name, g->rowvar);
}

static void walk_expr(struct g *g, const struct vi_expr *e) {
  if (!e) return;
  switch (e->kind) {
  case VI_E_VAR:
    check_var(g, e);
    if (is_row_var(g, e->u.var.name)) another_row(g, e, e->u.var.name);
    break;
  case VI_E_INDEX: {
    const struct vi_expr *b = e->u.index.a;
    int k0 = 0;
    if (b->kind == VI_E_VAR && is_row_var(g, b->u.var.name)) {
      const struct vi_index *ix = &e->u.index.ix[0];
      if (ix->kind != VI_IX_SINGLE || ix->lo->kind != VI_E_VAR || strcmp(ix->lo->u.var.name, g->rowvar)) {
        another_row(g, e, b->u.var.name);
        return;
      }
      check_var(g, b);
      k0 = 1;
    } else {
      walk_expr(g, b);
    }
    for (int i = k0; i < e->u.index.nix; i++) {
      walk_expr(g, e->u.index.ix[i].lo);
      walk_expr(g, e->u.index.ix[i].hi);
    }
    break;
  }
  case VI_E_BINARY: walk_expr(g, e->u.bin.a); walk_expr(g, e->u.bin.b); break;
  case VI_E_UNARY: case VI_E_PAREN: walk_expr(g, e->u.un.a); break;
  case VI_E_COND: walk_expr(g, e->u.cond.c); walk_expr(g, e->u.cond.a); walk_expr(g, e->u.cond.b); break;
  case VI_E_CALL:
    for (int i = 0; i < e->u.call.nargs; i++) walk_expr(g, e->u.call.args[i]);
    break;
  case VI_E_ARRAY: case VI_E_ROWVEC:
    for (int i = 0; i < e->u.list.n; i++) walk_expr(g, e->u.list.elems[i]);
    break;
  default: break;
  }
}

static void walk_decl(struct g *g, const struct vi_decl *dc) {
  for (int i = 0; i < dc->type.ndims; i++) walk_expr(g, dc->dims[i]);
  walk_expr(g, dc->rows);
  walk_expr(g, dc->cols);
  walk_expr(g, dc->init);
  push_name(g, dc->name);
}

static void walk_tilde(struct g *g, struct vi_stmt *s) {
  const struct vi_expr *lhs = s->u.tilde.lhs;
  const struct vi_expr *base = lhs->kind == VI_E_INDEX ? lhs->u.index.a : lhs;
  struct gl *l = base->kind == VI_E_VAR && !in_scope(g, base->u.var.name) ? find_local(g, base->u.var.name) : NULL;
  if (!l) {
    vi_error(g->d, lhs->loc, "the guide samples only @local parameters%s%s%s",
             base->kind == VI_E_VAR ? ": '" : "", base->kind == VI_E_VAR ? base->u.var.name : "",
             base->kind == VI_E_VAR ? "' is not one" : "");
    return;
  }
  if (lhs->kind == VI_E_INDEX) {
    const struct vi_index *ix = &lhs->u.index.ix[0];
    if (!g->rowvar || strcmp(g->rowsize, l->size) || lhs->u.index.nix != 1 || ix->kind != VI_IX_SINGLE ||
        ix->lo->kind != VI_E_VAR || strcmp(ix->lo->u.var.name, g->rowvar)) {
      vi_error(g->d, lhs->loc, "the guide samples '%s' at another row: write '%s[n] ~ normal(...)' inside "
               "'for (n in 1:%s)', or '%s ~ normal(...)' for all rows", l->z->name, l->z->name, l->size, l->z->name);
      return;
    }
  } else if (g->rowvar) {
    another_row(g, lhs, l->z->name);
    return;
  } else if (l->z->type.ndims && l->z->type.base == VI_T_REAL) {
    vi_error(g->d, lhs->loc, "sample the array '%s' per row: 'for (n in 1:%s) %s[n] ~ normal(...)'", l->z->name,
             l->size, l->z->name);
    return;
  }
  if (strcmp(s->u.tilde.dist, "normal") || s->u.tilde.nargs != 2 || s->u.tilde.has_trunc) {
    vi_error(g->d, s->u.tilde.dist_loc, "the guide samples '%s' from '%s': a guide sample is 'normal(mean, sd)' "
             "(vectorised or per row), without truncation", l->z->name, s->u.tilde.dist);
    return;
  }
  if (l->sample) {
    vi_error(g->d, s->loc, "the guide samples '%s' a second time (the first sample is at line %d, column %d)",
             l->z->name, l->sample->loc.line, l->sample->loc.col);
    return;
  }
  l->sample = s;
  for (int i = 0; i < 2; i++) walk_expr(g, s->u.tilde.args[i]);
}

static void walk_stmt(struct g *g, struct vi_stmt *s) {
  if (!s) return;
  int mark = g->scope.n;
  switch (s->kind) {
  case VI_S_DECL: walk_decl(g, s->u.decl); return; /* the name stays in scope */
  case VI_S_ASSIGN: {
    const struct vi_expr *b = s->u.assign.lhs->kind == VI_E_INDEX ? s->u.assign.lhs->u.index.a : s->u.assign.lhs;
    if (b->kind == VI_E_VAR && !in_scope(g, b->u.var.name))
      vi_error(g->d, s->loc, "the guide assigns to '%s': it may assign only to variables declared in the guide",
               b->u.var.name);
    walk_expr(g, s->u.assign.rhs);
    if (s->u.assign.lhs->kind == VI_E_INDEX)
      for (int i = 0; i < s->u.assign.lhs->u.index.nix; i++) {
        walk_expr(g, s->u.assign.lhs->u.index.ix[i].lo);
        walk_expr(g, s->u.assign.lhs->u.index.ix[i].hi);
      }
    return;
  }
  case VI_S_TILDE: walk_tilde(g, s); return;
  case VI_S_TARGET:
    vi_error(g->d, s->loc, "'target +=' in the guide: the guide only samples @local parameters "
             "(z ~ normal(mean, sd))");
    return;
  case VI_S_FOR: {
    walk_expr(g, s->u.loop.lo);
    walk_expr(g, s->u.loop.hi);
    const char *save_v = g->rowvar, *save_n = g->rowsize;
    const struct vi_expr *lo = s->u.loop.lo, *hi = s->u.loop.hi;
    if (!g->rowvar && lo->kind == VI_E_INT && lo->u.ival == 1 && hi->kind == VI_E_VAR) {
      for (int i = 0; i < g->nlocals; i++)
        if (!strcmp(g->locals[i].size, hi->u.var.name)) {
          g->rowvar = s->u.loop.var;
          g->rowsize = hi->u.var.name;
        }
    }
    push_name(g, s->u.loop.var);
    walk_stmt(g, s->u.loop.body);
    g->rowvar = save_v;
    g->rowsize = save_n;
    break;
  }
  case VI_S_FOREACH: case VI_S_WHILE:
    walk_expr(g, s->u.loop.lo);
    if (s->kind == VI_S_FOREACH) push_name(g, s->u.loop.var);
    walk_stmt(g, s->u.loop.body);
    break;
  case VI_S_IF:
    walk_expr(g, s->u.ifs.cond);
    walk_stmt(g, s->u.ifs.then);
    walk_stmt(g, s->u.ifs.els);
    break;
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++) walk_stmt(g, s->u.block.stmts[i]);
    break;
  case VI_S_PRINT: case VI_S_REJECT: case VI_S_FATAL:
    for (int i = 0; i < s->u.print.n; i++) walk_expr(g, s->u.print.args[i]);
    break;
  case VI_S_EXPR: walk_expr(g, s->u.expr); break;
  default: break;
  }
  g->scope.n = mark;
}

/* ---- building nodes ---- */

static void *get(struct g *g, size_t n) {
  void *x = vi_arena_alloc(g->a, n);
  if (!x) g->oom = 1;
  else memset(x, 0, n);
  return x;
}

static struct vi_expr *ex(struct g *g, int kind, struct vi_srcloc loc) {
  struct vi_expr *e = get(g, sizeof *e);
  if (e) {
    e->kind = (uint8_t)kind;
    e->loc = loc;
    e->depth = 1;
  }
  return e;
}

static void deepen(struct vi_expr *e, const struct vi_expr *c) {
  if (e && c && c->depth + 1 > e->depth) e->depth = (uint16_t)(c->depth + 1);
}

/* A deep copy of e (NULL-safe); the base variable `from` renamed `to`. */
static struct vi_expr *copy_expr(struct g *g, const struct vi_expr *e, const char *from, const char *to) {
  if (!e) return NULL;
  struct vi_expr *c = get(g, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  switch (e->kind) {
  case VI_E_VAR:
    if (from && !strcmp(e->u.var.name, from)) c->u.var.name = to;
    break;
  case VI_E_BINARY:
    c->u.bin.a = copy_expr(g, e->u.bin.a, from, to);
    c->u.bin.b = copy_expr(g, e->u.bin.b, from, to);
    break;
  case VI_E_UNARY: case VI_E_PAREN: c->u.un.a = copy_expr(g, e->u.un.a, from, to); break;
  case VI_E_COND:
    c->u.cond.c = copy_expr(g, e->u.cond.c, from, to);
    c->u.cond.a = copy_expr(g, e->u.cond.a, from, to);
    c->u.cond.b = copy_expr(g, e->u.cond.b, from, to);
    break;
  case VI_E_CALL:
    c->u.call.args = get(g, (size_t)(e->u.call.nargs ? e->u.call.nargs : 1) * sizeof *c->u.call.args);
    for (int i = 0; c->u.call.args && i < e->u.call.nargs; i++)
      c->u.call.args[i] = copy_expr(g, e->u.call.args[i], from, to);
    break;
  case VI_E_INDEX:
    c->u.index.a = copy_expr(g, e->u.index.a, from, to);
    c->u.index.ix = get(g, (size_t)(e->u.index.nix ? e->u.index.nix : 1) * sizeof *c->u.index.ix);
    for (int i = 0; c->u.index.ix && i < e->u.index.nix; i++) {
      c->u.index.ix[i] = e->u.index.ix[i];
      c->u.index.ix[i].lo = copy_expr(g, e->u.index.ix[i].lo, NULL, NULL);
      c->u.index.ix[i].hi = copy_expr(g, e->u.index.ix[i].hi, NULL, NULL);
    }
    break;
  case VI_E_ARRAY: case VI_E_ROWVEC:
    c->u.list.elems = get(g, (size_t)(e->u.list.n ? e->u.list.n : 1) * sizeof *c->u.list.elems);
    for (int i = 0; c->u.list.elems && i < e->u.list.n; i++)
      c->u.list.elems[i] = copy_expr(g, e->u.list.elems[i], from, to);
    break;
  default: break;
  }
  return c;
}

static struct vi_expr *var(struct g *g, const char *name, struct vi_srcloc loc) {
  struct vi_expr *e = ex(g, VI_E_VAR, loc);
  if (e) e->u.var.name = name;
  return e;
}

static struct vi_expr *bin(struct g *g, int op, struct vi_expr *a, struct vi_expr *b, struct vi_srcloc loc) {
  struct vi_expr *e = ex(g, VI_E_BINARY, loc);
  if (!e) return NULL;
  e->u.bin.op = (uint8_t)op;
  e->u.bin.a = a;
  e->u.bin.b = b;
  deepen(e, a);
  deepen(e, b);
  return e;
}

static struct vi_expr *call1(struct g *g, const char *fn, struct vi_expr *a, struct vi_srcloc loc) {
  struct vi_expr *e = ex(g, VI_E_CALL, loc);
  if (!e) return NULL;
  e->u.call.name = fn;
  e->u.call.args = get(g, sizeof *e->u.call.args);
  if (e->u.call.args) e->u.call.args[0] = a;
  e->u.call.nargs = 1;
  deepen(e, a);
  return e;
}

static struct vi_expr *index1(struct g *g, struct vi_expr *base, const char *row, struct vi_srcloc loc) {
  struct vi_expr *e = ex(g, VI_E_INDEX, loc);
  if (!e) return NULL;
  e->u.index.a = base;
  e->u.index.ix = get(g, sizeof *e->u.index.ix);
  if (e->u.index.ix) {
    e->u.index.ix[0].kind = VI_IX_SINGLE;
    e->u.index.ix[0].lo = var(g, row, loc);
  }
  e->u.index.nix = 1;
  deepen(e, base);
  if (e->depth < 2) e->depth = 2;
  return e;
}

static struct vi_stmt *st(struct g *g, int kind, struct vi_srcloc loc) {
  struct vi_stmt *s = get(g, sizeof *s);
  if (s) {
    s->kind = (uint8_t)kind;
    s->loc = loc;
  }
  return s;
}

static struct vi_stmt *assign(struct g *g, struct vi_expr *lhs, struct vi_expr *rhs, struct vi_srcloc loc) {
  struct vi_stmt *s = st(g, VI_S_ASSIGN, loc);
  if (s) {
    s->u.assign.lhs = lhs;
    s->u.assign.rhs = rhs;
    s->u.assign.op = VI_AS_SET;
    s->u.assign.op_loc = loc;
  }
  return s;
}

static struct vi_decl *copy_decl(struct g *g, const struct vi_decl *z, const char *name, int block) {
  struct vi_decl *d = get(g, sizeof *d);
  if (!d) return NULL;
  *d = *z;
  d->name = name;
  d->block = (uint8_t)block;
  d->point = 0;
  d->local = 0;
  d->init = NULL;
  if (z->type.ndims) {
    d->dims = get(g, (size_t)z->type.ndims * sizeof *d->dims);
    for (int i = 0; d->dims && i < z->type.ndims; i++) d->dims[i] = copy_expr(g, z->dims[i], NULL, NULL);
  }
  d->rows = copy_expr(g, z->rows, NULL, NULL);
  d->cols = copy_expr(g, z->cols, NULL, NULL);
  return d;
}

static struct vi_stmt *decl_stmt(struct g *g, struct vi_decl *d) {
  struct vi_stmt *s = st(g, VI_S_DECL, d ? d->loc : (struct vi_srcloc){0});
  if (s) s->u.decl = d;
  return s;
}

static char *prefixed(struct g *g, const char *pre, const char *name) {
  size_t n = strlen(pre) + strlen(name) + 1;
  char *s = vi_arena_alloc(g->a, n);
  if (!s) {
    g->oom = 1;
    return NULL;
  }
  snprintf(s, n, "%s%s", pre, name);
  return s;
}

/* ---- the rewrite ---- */

/* The three statements of one sample (z[n] ~ normal(M, S) or z ~ normal(M, S)). */
static int expand_sample(struct g *g, struct gl *l, struct vi_stmt *s, struct vi_stmt **out) {
  const char *z = l->z->name;
  const char *mz = prefixed(g, "__mean_", z), *sz = prefixed(g, "__sd_", z), *ez = prefixed(g, "__eps_", z);
  const struct vi_expr *lhs = s->u.tilde.lhs;
  struct vi_srcloc loc = s->loc;
  int scalar = lhs->kind == VI_E_INDEX && l->scalar_row;
  out[0] = assign(g, copy_expr(g, lhs, z, mz), s->u.tilde.args[0], loc);
  out[1] = assign(g, copy_expr(g, lhs, z, sz), s->u.tilde.args[1], loc);
  struct vi_expr *noise = bin(g, scalar ? VI_OP_MUL : VI_OP_EMUL, copy_expr(g, lhs, z, sz), copy_expr(g, lhs, z, ez), loc);
  out[2] = assign(g, copy_expr(g, lhs, NULL, NULL), bin(g, VI_OP_ADD, copy_expr(g, lhs, z, mz), noise, loc), loc);
  return g->oom ? -1 : 0;
}

static struct vi_stmt *rewrite_stmt(struct g *g, struct vi_stmt *s);

/* Rewrites a statement list, each sample becoming three statements. */
static void rewrite_list(struct g *g, struct vi_stmt ***list, int *n) {
  int extra = 0;
  for (int i = 0; i < *n; i++) extra += (*list)[i]->kind == VI_S_TILDE ? 2 : 0;
  struct vi_stmt **nl = get(g, (size_t)(*n + extra + 1) * sizeof *nl);
  if (!nl) return;
  int k = 0;
  for (int i = 0; i < *n; i++) {
    struct vi_stmt *s = (*list)[i];
    if (s->kind == VI_S_TILDE) {
      const struct vi_expr *lhs = s->u.tilde.lhs;
      const struct vi_expr *b = lhs->kind == VI_E_INDEX ? lhs->u.index.a : lhs;
      if (expand_sample(g, find_local(g, b->u.var.name), s, nl + k)) return;
      k += 3;
    } else {
      nl[k++] = rewrite_stmt(g, s);
    }
  }
  *list = nl;
  *n = k;
}

static struct vi_stmt *as_block(struct g *g, struct vi_stmt *s) {
  if (!s || s->kind == VI_S_BLOCK) return s;
  struct vi_stmt *b = st(g, VI_S_BLOCK, s->loc);
  if (!b) return s;
  b->u.block.stmts = get(g, sizeof *b->u.block.stmts);
  if (!b->u.block.stmts) return s;
  b->u.block.stmts[0] = s;
  b->u.block.n = 1;
  return b;
}

static struct vi_stmt *rewrite_stmt(struct g *g, struct vi_stmt *s) {
  if (!s) return s;
  switch (s->kind) {
  case VI_S_DECL: s->u.decl->block = VI_BLK_TPARAMS; break;
  case VI_S_FOR: case VI_S_FOREACH: case VI_S_WHILE:
    s->u.loop.body = rewrite_stmt(g, as_block(g, s->u.loop.body));
    break;
  case VI_S_IF:
    s->u.ifs.then = rewrite_stmt(g, as_block(g, s->u.ifs.then));
    if (s->u.ifs.els) s->u.ifs.els = rewrite_stmt(g, as_block(g, s->u.ifs.els));
    break;
  case VI_S_BLOCK: rewrite_list(g, &s->u.block.stmts, &s->u.block.n); break;
  default: break;
  }
  return s;
}

/* for (__row in 1:N) target += sum(log(__sd_z[__row]) + c);  (no sum for a real row) */
static struct vi_stmt *entropy(struct g *g, struct gl *l) {
  struct vi_srcloc loc = l->sample->loc;
  const char *row = "__row";
  struct vi_expr *sd = index1(g, var(g, prefixed(g, "__sd_", l->z->name), loc), row, loc);
  struct vi_expr *c = ex(g, VI_E_REAL, loc);
  if (c) c->u.rval = HALF_LOG_2PI_E;
  struct vi_expr *e = bin(g, VI_OP_ADD, call1(g, "log", sd, loc), c, loc);
  if (!l->scalar_row) e = call1(g, "sum", e, loc);
  struct vi_stmt *t = st(g, VI_S_TARGET, loc);
  struct vi_stmt *f = st(g, VI_S_FOR, loc);
  if (!t || !f) return NULL;
  t->u.expr = e;
  f->u.loop.var = row;
  f->u.loop.var_loc = loc;
  f->u.loop.lo = ex(g, VI_E_INT, loc);
  if (f->u.loop.lo) f->u.loop.lo->u.ival = 1;
  f->u.loop.hi = var(g, l->size, loc);
  f->u.loop.body = as_block(g, t);
  return f;
}

static int append(struct g *g, struct vi_stmt ***list, int *n, struct vi_stmt **add, int nadd, int front) {
  struct vi_stmt **nl = get(g, (size_t)(*n + nadd + 1) * sizeof *nl);
  if (!nl) return -1;
  if (front) {
    memcpy(nl, add, (size_t)nadd * sizeof *nl);
    if (*n) memcpy(nl + nadd, *list, (size_t)*n * sizeof *nl);
  } else {
    if (*n) memcpy(nl, *list, (size_t)*n * sizeof *nl);
    memcpy(nl + *n, add, (size_t)nadd * sizeof *nl);
  }
  *list = nl;
  *n += nadd;
  return 0;
}

/* The @local declarations and their rule (leading size a data int, a type of
 * rows). Returns how many. */
static int collect_locals(struct g *g) {
  struct vi_program *p = g->p;
  int n = 0;
  for (int i = 0; i < p->nbody[VI_BLK_PARAMS]; i++)
    n += p->body[VI_BLK_PARAMS][i]->kind == VI_S_DECL && p->body[VI_BLK_PARAMS][i]->u.decl->local;
  g->locals = n ? get(g, (size_t)n * sizeof *g->locals) : NULL;
  if (n && !g->locals) return 0;
  for (int i = 0; i < p->nbody[VI_BLK_PARAMS]; i++) {
    struct vi_stmt *s = p->body[VI_BLK_PARAMS][i];
    if (s->kind != VI_S_DECL || !s->u.decl->local) continue;
    struct vi_decl *z = s->u.decl;
    const struct vi_expr *sz = leading_size(z);
    struct vi_decl *nd = sz && sz->kind == VI_E_VAR ? find_decl(p, VI_BLK_DATA, sz->u.var.name) : NULL;
    int okshape = (z->type.ndims == 0 && (z->type.base == VI_T_VECTOR || z->type.base == VI_T_MATRIX)) ||
                  (z->type.ndims == 1 && (z->type.base == VI_T_REAL || z->type.base == VI_T_VECTOR));
    if (!nd || nd->type.base != VI_T_INT || nd->type.ndims) {
      vi_error(g->d, z->loc, "'@local %s': its leading size must be an int data variable counting a table's rows "
               "(such as N in 'array[N] vector[K] %s')", z->name, z->name);
      continue;
    }
    if (!okshape || z->cons != VI_C_NONE || z->lower || z->upper) {
      vi_error(g->d, z->loc, "'@local %s': a local is an unconstrained vector[N], array[N] real, array[N] vector[K] "
               "or matrix[N, K] (row n is the latent of row n)", z->name);
      continue;
    }
    struct gl *l = &g->locals[g->nlocals++];
    l->z = z;
    l->size = sz->u.var.name;
    l->scalar_row = z->type.ndims ? z->type.base == VI_T_REAL : z->type.base == VI_T_VECTOR;
  }
  return n;
}

int vi_guide_rewrite(struct vi_program *p, struct vi_arena *a, struct vi_diags *d) {
  struct g g;
  memset(&g, 0, sizeof g);
  g.p = p;
  g.a = a;
  g.d = d;
  int before = d->nerrors;
  int n = collect_locals(&g);
  if (g.oom) goto oom;
  if (p->has_gparams && !p->has_guide_block)
    vi_error(d, p->gparams_loc, "'guide parameters' without a 'guide' block: the guide parameters are the weights "
             "of a guide that samples the @local parameters");
  if (!p->has_guide_block) return d->nerrors > before ? VI_ERR_TYPE : VI_OK;
  if (n == 0) {
    vi_error(d, p->guide_loc, "a 'guide' block but no '@local' parameter: the guide samples the parameters "
             "declared '@local' in 'parameters' (one latent per row)");
    return VI_ERR_TYPE;
  }
  if (d->nerrors > before) return VI_ERR_TYPE;
  for (int i = 0; i < p->nguide; i++) walk_stmt(&g, p->guide[i]);
  for (int i = 0; i < g.nlocals; i++)
    if (!g.locals[i].sample)
      vi_error(d, p->guide_loc, "the guide does not sample the local '%s' (every @local is sampled once per row: "
               "'%s[n] ~ normal(mean, sd)' inside 'for (n in 1:%s)')", g.locals[i].z->name, g.locals[i].z->name,
               g.locals[i].size);
  if (d->nerrors > before) return VI_ERR_TYPE;

  /* guide parameters -> point parameters */
  for (int i = 0; i < p->ngparams; i++)
    if (p->gparams[i]->kind == VI_S_DECL) {
      p->gparams[i]->u.decl->point = VI_POINT_MAP; /* no prior exists: MAP = ML, and no prior terms to drop */
      p->gparams[i]->u.decl->guide = 1;
      p->gparams[i]->u.decl->block = VI_BLK_PARAMS;
    }
  if (append(&g, &p->body[VI_BLK_PARAMS], &p->nbody[VI_BLK_PARAMS], p->gparams, p->ngparams, 0)) goto oom;

  /* locals leave parameters */
  int k = 0;
  for (int i = 0; i < p->nbody[VI_BLK_PARAMS]; i++) {
    struct vi_stmt *s = p->body[VI_BLK_PARAMS][i];
    if (s->kind == VI_S_DECL && s->u.decl->local) continue;
    p->body[VI_BLK_PARAMS][k++] = s;
  }
  p->nbody[VI_BLK_PARAMS] = k;
  if (!k) p->present[VI_BLK_PARAMS] = p->has_gparams;

  p->locals = get(&g, (size_t)g.nlocals * sizeof *p->locals);
  struct vi_stmt **tp = get(&g, (size_t)(3 * g.nlocals + 1) * sizeof *tp);
  struct vi_stmt **eps = get(&g, (size_t)g.nlocals * sizeof *eps);
  struct vi_stmt **ent = get(&g, (size_t)g.nlocals * sizeof *ent);
  if (!p->locals || !tp || !eps || !ent) goto oom;
  for (int i = 0; i < g.nlocals; i++) {
    struct gl *l = &g.locals[i];
    struct vi_guide_local *gl = &p->locals[i];
    gl->z = copy_decl(&g, l->z, l->z->name, VI_BLK_TPARAMS);
    gl->mean = copy_decl(&g, l->z, prefixed(&g, "__mean_", l->z->name), VI_BLK_TPARAMS);
    gl->sd = copy_decl(&g, l->z, prefixed(&g, "__sd_", l->z->name), VI_BLK_TPARAMS);
    gl->eps = copy_decl(&g, l->z, prefixed(&g, "__eps_", l->z->name), VI_BLK_DATA);
    gl->sample = l->sample;
    if (g.oom) goto oom;
    gl->z->local = gl->mean->local = gl->sd->local = 1;
    gl->eps->noise = 1;
    tp[3 * i] = decl_stmt(&g, gl->z);
    tp[3 * i + 1] = decl_stmt(&g, gl->mean);
    tp[3 * i + 2] = decl_stmt(&g, gl->sd);
    eps[i] = decl_stmt(&g, gl->eps);
    ent[i] = entropy(&g, l);
  }
  /* the guide's statements, in a block of their own (its declarations stay local) */
  struct vi_stmt *gb = st(&g, VI_S_BLOCK, p->guide_loc);
  if (!gb) goto oom;
  gb->u.block.stmts = p->guide;
  gb->u.block.n = p->nguide;
  rewrite_stmt(&g, gb);
  tp[3 * g.nlocals] = gb;
  if (g.oom) goto oom;
  if (append(&g, &p->body[VI_BLK_TPARAMS], &p->nbody[VI_BLK_TPARAMS], tp, 3 * g.nlocals + 1, 1) ||
      append(&g, &p->body[VI_BLK_DATA], &p->nbody[VI_BLK_DATA], eps, g.nlocals, 0) ||
      append(&g, &p->body[VI_BLK_MODEL], &p->nbody[VI_BLK_MODEL], ent, g.nlocals, 1))
    goto oom;
  if (!p->present[VI_BLK_TPARAMS]) {
    p->present[VI_BLK_TPARAMS] = 1;
    p->block_loc[VI_BLK_TPARAMS] = p->guide_loc;
  }
  p->nlocals = g.nlocals;
  p->has_guide = 1;
  return VI_OK;
oom:
  vi_error(d, (struct vi_srcloc){p->file, 0, 0}, "out of memory while rewriting the guide");
  return VI_ERR_NOMEM;
}
