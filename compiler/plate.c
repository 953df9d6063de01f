/* plate.c: which target terms of a model are sums over the rows of a data
 * table (include/vi/plate.h).
 *
 * Expressions are classified as global (G: no row data), row-local (L: row
 * n's value inside `for (n in 1:N)`), row-valued (R: a whole vector over the
 * rows, combined elementwise), or a sum over rows (S: sum or a density of
 * row-valued operands). The first place that couples rows is recorded. */
#include "vi/plate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { C_G, C_L, C_R, C_S, C_MIX, C_ERR };

struct walk {
  struct vi_plate *pl;
  const struct vi_symtab *st;
  struct vi_arena *a;
  uint8_t *loop_local; /* per slot: declared inside the row loop (row-local scalars) */
  int loopvar;         /* slot of the row loop's variable, or -1 */
  int nomem;
  int caprow, capglob, capterm;
};

static void couple(struct walk *w, struct vi_srcloc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void couple(struct walk *w, struct vi_srcloc loc, const char *fmt, ...) {
  if (w->pl->coupled) return;
  w->pl->coupled = 1;
  w->pl->couple_loc = loc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->pl->couple_msg, sizeof w->pl->couple_msg, fmt, ap);
  va_end(ap);
}

static int push_loc(struct walk *w, struct vi_srcloc **arr, int *n, int *cap, struct vi_srcloc loc) {
  if (*n == *cap) {
    int nc = *cap ? 2 * *cap : 16;
    struct vi_srcloc *p = vi_arena_array(w->a, (size_t)nc, sizeof *p);
    if (!p) {
      w->nomem = 1;
      return -1;
    }
    if (*n) memcpy(p, *arr, (size_t)*n * sizeof *p);
    *arr = p;
    *cap = nc;
  }
  (*arr)[(*n)++] = loc;
  return 0;
}

static int is_size_var(const struct walk *w, const struct vi_expr *e) {
  return e && e->kind == VI_E_VAR && e->u.var.slot == w->pl->size_slot;
}

/* The declaration's leading size (first array dimension, else rows). */
static const struct vi_expr *leading_size(const struct vi_decl *dc) {
  if (dc->type.ndims) return dc->dims[0];
  return dc->rows;
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && !strcmp(s + n - k, suf);
}

static int is_density(const char *name) {
  return ends_with(name, "_lpdf") || ends_with(name, "_lpmf") || ends_with(name, "_lupdf") ||
         ends_with(name, "_lupmf");
}

/* Functions that act element by element on a vector argument. */
static int is_elementwise(const char *name) {
  static const char *const names[] = {
      "exp", "log", "log1p", "expm1", "log1m", "inv_logit", "logit", "log_inv_logit", "log1m_inv_logit",
      "square", "sqrt", "cbrt", "fabs", "abs", "inv", "inv_sqrt", "inv_square", "lgamma", "digamma", "tgamma",
      "Phi", "Phi_approx", "inv_Phi", "erf", "erfc", "tanh", "sinh", "cosh", "sin", "cos", "tan", "atan",
      "log1p_exp", "log1m_exp", "log2", "log10", "exp2", "pow", "fmin", "fmax", "fdim", "to_vector",
      "floor", "ceil", "round", "trunc", "step", "inv_cloglog", "cloglog", NULL};
  for (int i = 0; names[i]; i++)
    if (!strcmp(name, names[i])) return 1;
  return 0;
}

static int row_slot(const struct walk *w, int slot) { return slot >= 0 && w->pl->row_slot[slot]; }

static int expr(struct walk *w, const struct vi_expr *e);

static int join(int a, int b) {
  if (a == C_ERR || b == C_ERR) return C_ERR;
  return a > b ? a : b;
}

static int index_expr(struct walk *w, const struct vi_expr *e) {
  const struct vi_expr *base = e->u.index.a;
  const struct vi_index *ix = e->u.index.ix;
  int nix = e->u.index.nix, c = C_G;
  int inloop = w->loopvar >= 0;
  if (base->kind == VI_E_VAR && row_slot(w, base->u.var.slot)) {
    const char *name = base->u.var.name;
    int first_ok;
    if (inloop)
      first_ok = ix[0].kind == VI_IX_SINGLE && !ix[0].multi && ix[0].lo->kind == VI_E_VAR &&
                 ix[0].lo->u.var.slot == w->loopvar;
    else
      first_ok = ix[0].kind == VI_IX_ALL;
    if (!first_ok) {
      if (inloop)
        couple(w, base->loc, "reads '%s' at another row than the loop's own (the rows are coupled)", name);
      else
        couple(w, base->loc, "reads part of the rows of '%s' (the rows are coupled)", name);
      return C_ERR;
    }
    for (int k = 1; k < nix; k++) {
      int ck = join(ix[k].lo ? expr(w, ix[k].lo) : C_G, ix[k].hi ? expr(w, ix[k].hi) : C_G);
      if (ck == C_ERR) return C_ERR;
      if (ck == C_R) {
        couple(w, base->loc, "indexes '%s' by a vector over the rows", name);
        return C_ERR;
      }
    }
    return inloop ? C_L : C_R;
  }
  c = expr(w, base);
  if (c == C_ERR) return c;
  if (c == C_R || c == C_S) {
    couple(w, base->loc, "indexes a quantity computed from all rows");
    return C_ERR;
  }
  for (int k = 0; k < nix; k++) {
    if (inloop && ix[k].kind == VI_IX_SINGLE && ix[k].lo->kind == VI_E_VAR && ix[k].lo->u.var.slot == w->loopvar) {
      couple(w, base->loc, "indexes '%s' by the row number (a quantity that is not one per row)",
             base->kind == VI_E_VAR ? base->u.var.name : "an expression");
      return C_ERR;
    }
    int ck = join(ix[k].lo ? expr(w, ix[k].lo) : C_G, ix[k].hi ? expr(w, ix[k].hi) : C_G);
    if (ck == C_ERR) return C_ERR;
    if (ck == C_R && !(ix[k].kind == VI_IX_SINGLE && ix[k].multi)) {
      couple(w, base->loc, "a range over rows");
      return C_ERR;
    }
    if (ck == C_S) {
      couple(w, base->loc, "indexes by a sum over rows");
      return C_ERR;
    }
    c = join(c, ck);
  }
  return c;
}

static int is_scalar(const struct vi_expr *e) {
  return e->type.ndims == 0 && (e->type.base == VI_T_INT || e->type.base == VI_T_REAL);
}

static int binary_expr(struct walk *w, const struct vi_expr *e) {
  int ca = expr(w, e->u.bin.a);
  if (ca == C_ERR) return C_ERR;
  int cb = expr(w, e->u.bin.b);
  if (cb == C_ERR) return C_ERR;
  if (w->loopvar >= 0 || (ca == C_G && cb == C_G)) return join(ca, cb);
  int op = e->u.bin.op;
  if (ca == C_S || cb == C_S || ca == C_MIX || cb == C_MIX) {
    if (op == VI_OP_ADD || op == VI_OP_SUB) return ca == cb ? C_S : C_MIX;
    couple(w, e->loc, "'%s' of a sum over rows", vi_op_name(op));
    return C_ERR;
  }
  switch (op) {
  case VI_OP_ADD:
  case VI_OP_SUB:
  case VI_OP_EMUL:
  case VI_OP_EDIV:
  case VI_OP_EPOW: return C_R;
  case VI_OP_MUL:
    if ((ca == C_R && cb == C_G) || (ca == C_G && cb == C_R && is_scalar(e->u.bin.a))) return C_R;
    break;
  case VI_OP_DIV:
    if (ca == C_R && cb == C_G && is_scalar(e->u.bin.b)) return C_R;
    break;
  default: break;
  }
  couple(w, e->loc, "'%s' of vectors over the rows is not elementwise (the rows are coupled)", vi_op_name(op));
  return C_ERR;
}

/* Functions whose int arguments are sizes: rep_vector(0, N) is a vector
 * over the rows, and N there is not a value in the density. */
static int takes_sizes(const char *name) {
  static const char *const names[] = {"rep_vector", "rep_row_vector", "rep_array", "rep_matrix", "zeros_vector",
                                      "ones_vector", "zeros_row_vector", "ones_row_vector", "zeros_array",
                                      "ones_array", "zeros_int_array", "ones_int_array", "linspaced_vector",
                                      "linspaced_array", "one_hot_vector", NULL};
  for (int i = 0; names[i]; i++)
    if (!strcmp(name, names[i])) return 1;
  return 0;
}

static int call_expr(struct walk *w, const struct vi_expr *e) {
  int c = C_G, nargs = e->u.call.nargs;
  const char *name = e->u.call.name;
  int sized = 0;
  for (int i = 0; i < nargs && c != C_ERR; i++) {
    if (takes_sizes(name) && is_size_var(w, e->u.call.args[i]) && !e->u.call.user) {
      sized = 1;
      continue;
    }
    int ci = expr(w, e->u.call.args[i]);
    if (ci == C_S || ci == C_MIX) {
      couple(w, e->loc, "'%s' of a sum over rows", name);
      return C_ERR;
    }
    c = join(c, ci);
  }
  if (c == C_ERR) return C_ERR;
  if (c != C_G && e->u.call.user && ends_with(name, "_lp")) {
    couple(w, e->loc, "'%s' adds to the target itself with row data", name);
    return C_ERR;
  }
  if (sized && c == C_G) return w->loopvar >= 0 ? C_G : C_R;
  if (w->loopvar >= 0 || c == C_G) return c;
  if (!strcmp(name, "sum") && nargs == 1) return C_S;
  if (is_density(name) && !e->u.call.user) return C_S;
  if (is_elementwise(name) && !e->u.call.user) return C_R;
  couple(w, e->loc, "'%s' of vectors over the rows is not elementwise (the rows are coupled)", name);
  return C_ERR;
}

static int expr(struct walk *w, const struct vi_expr *e) {
  if (!e) return C_G;
  switch (e->kind) {
  case VI_E_INT:
  case VI_E_REAL:
  case VI_E_STRING: return C_G;
  case VI_E_VAR: {
    int s = e->u.var.slot;
    if (w->loopvar >= 0 && s == w->loopvar) {
      couple(w, e->loc, "uses the row number '%s' as a value", e->u.var.name);
      return C_ERR;
    }
    if (s == w->pl->size_slot) {
      couple(w, e->loc, "uses the row count '%s' as a value (a minibatch cannot scale what it enters)",
             e->u.var.name);
      return C_ERR;
    }
    if (row_slot(w, s)) {
      if (w->loopvar < 0) return C_R;
      couple(w, e->loc, "reads all rows of '%s' inside the loop over rows", e->u.var.name);
      return C_ERR;
    }
    if (w->loop_local[s]) return C_L;
    return C_G;
  }
  case VI_E_BINARY: return binary_expr(w, e);
  case VI_E_UNARY:
  case VI_E_PAREN: {
    int c = expr(w, e->u.un.a);
    if (c == C_R && e->kind == VI_E_UNARY && e->u.un.op == VI_OP_TRANSPOSE) {
      couple(w, e->loc, "transposes a vector over the rows");
      return C_ERR;
    }
    return c;
  }
  case VI_E_COND: {
    int c = join(expr(w, e->u.cond.c), join(expr(w, e->u.cond.a), expr(w, e->u.cond.b)));
    if (c == C_R || c == C_S) {
      couple(w, e->loc, "a conditional on vectors over the rows");
      return C_ERR;
    }
    return c;
  }
  case VI_E_CALL: return call_expr(w, e);
  case VI_E_INDEX: return index_expr(w, e);
  case VI_E_ARRAY:
  case VI_E_ROWVEC: {
    int c = C_G;
    for (int i = 0; i < e->u.list.n; i++) c = join(c, expr(w, e->u.list.elems[i]));
    if (c == C_R || c == C_S) {
      couple(w, e->loc, "builds a container of vectors over the rows");
      return C_ERR;
    }
    return c;
  }
  }
  return C_G;
}

/* Does s read any row slot? */
static int reads_rows_e(const struct walk *w, const struct vi_expr *e) {
  if (!e) return 0;
  switch (e->kind) {
  case VI_E_VAR: return row_slot(w, e->u.var.slot);
  case VI_E_BINARY: return reads_rows_e(w, e->u.bin.a) || reads_rows_e(w, e->u.bin.b);
  case VI_E_UNARY:
  case VI_E_PAREN: return reads_rows_e(w, e->u.un.a);
  case VI_E_COND: return reads_rows_e(w, e->u.cond.c) || reads_rows_e(w, e->u.cond.a) || reads_rows_e(w, e->u.cond.b);
  case VI_E_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      if (reads_rows_e(w, e->u.call.args[i])) return 1;
    return 0;
  case VI_E_INDEX:
    if (reads_rows_e(w, e->u.index.a)) return 1;
    for (int k = 0; k < e->u.index.nix; k++)
      if (reads_rows_e(w, e->u.index.ix[k].lo) || reads_rows_e(w, e->u.index.ix[k].hi)) return 1;
    return 0;
  case VI_E_ARRAY:
  case VI_E_ROWVEC:
    for (int i = 0; i < e->u.list.n; i++)
      if (reads_rows_e(w, e->u.list.elems[i])) return 1;
    return 0;
  default: return 0;
  }
}

static int reads_rows(const struct walk *w, const struct vi_stmt *s) {
  if (!s) return 0;
  switch (s->kind) {
  case VI_S_DECL: return reads_rows_e(w, s->u.decl->init);
  case VI_S_ASSIGN: return reads_rows_e(w, s->u.assign.lhs) || reads_rows_e(w, s->u.assign.rhs);
  case VI_S_TILDE:
    if (reads_rows_e(w, s->u.tilde.lhs)) return 1;
    for (int i = 0; i < s->u.tilde.nargs; i++)
      if (reads_rows_e(w, s->u.tilde.args[i])) return 1;
    return 0;
  case VI_S_TARGET:
  case VI_S_EXPR:
  case VI_S_RETURN: return reads_rows_e(w, s->u.expr);
  case VI_S_FOR:
  case VI_S_FOREACH:
  case VI_S_WHILE:
    return reads_rows_e(w, s->u.loop.lo) || reads_rows_e(w, s->u.loop.hi) || reads_rows(w, s->u.loop.body);
  case VI_S_IF: return reads_rows_e(w, s->u.ifs.cond) || reads_rows(w, s->u.ifs.then) || reads_rows(w, s->u.ifs.els);
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++)
      if (reads_rows(w, s->u.block.stmts[i])) return 1;
    return 0;
  case VI_S_VLOOP: return reads_rows(w, s->u.vloop.loop);
  default: return 0;
  }
}

/* Every ~ and target += below s (both forms of lowered loops) is a row term. */
static void collect_terms(struct walk *w, const struct vi_stmt *s) {
  if (!s) return;
  switch (s->kind) {
  case VI_S_TILDE:
  case VI_S_TARGET: push_loc(w, &w->pl->term_locs, &w->pl->nterm_locs, &w->capterm, s->loc); break;
  case VI_S_FOR:
  case VI_S_FOREACH:
  case VI_S_WHILE: collect_terms(w, s->u.loop.body); break;
  case VI_S_IF:
    collect_terms(w, s->u.ifs.then);
    collect_terms(w, s->u.ifs.els);
    break;
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++) collect_terms(w, s->u.block.stmts[i]);
    break;
  case VI_S_VLOOP:
    collect_terms(w, s->u.vloop.loop);
    collect_terms(w, s->u.vloop.whole);
    break;
  default: break;
  }
}

/* Returns 1 when s adds row terms, 0 when only global ones (or none). */
static int stmt(struct walk *w, const struct vi_stmt *s);

static int loop_stmt(struct walk *w, const struct vi_stmt *s) {
  if (w->loopvar >= 0) { /* a loop inside the row loop: its variable is an ordinary value */
    int c = join(expr(w, s->u.loop.lo), expr(w, s->u.loop.hi));
    if (c == C_ERR) return 0;
    return stmt(w, s->u.loop.body);
  }
  if (!reads_rows(w, s)) {
    int c = join(expr(w, s->u.loop.lo), expr(w, s->u.loop.hi));
    (void)c;
    return stmt(w, s->u.loop.body);
  }
  if (s->kind != VI_S_FOR) {
    couple(w, s->loc, "a %s loop reads the rows", s->kind == VI_S_WHILE ? "while" : "foreach");
    return 0;
  }
  int whole = s->u.loop.lo->kind == VI_E_INT && s->u.loop.lo->u.ival == 1 && is_size_var(w, s->u.loop.hi);
  w->loopvar = s->u.loop.slot;
  int r = stmt(w, s->u.loop.body);
  w->loopvar = -1;
  if (!whole)
    couple(w, s->loc, "the loop over '%s' runs over part of the rows (a loop over rows must be 1:%s)", s->u.loop.var,
           w->pl->size_name);
  return r;
}

static int stmt(struct walk *w, const struct vi_stmt *s) {
  if (!s || w->pl->coupled) return 0;
  int inloop = w->loopvar >= 0;
  switch (s->kind) {
  case VI_S_DECL: {
    const struct vi_decl *dc = s->u.decl;
    if (inloop) w->loop_local[dc->slot] = 1;
    if (!inloop && is_size_var(w, leading_size(dc))) w->pl->row_slot[dc->slot] = 1;
    int c = expr(w, dc->init);
    if (c == C_R && !inloop) w->pl->row_slot[dc->slot] = 1;
    if (c == C_S || c == C_MIX) couple(w, dc->loc, "'%s' is a sum over rows (write it as target += ...)", dc->name);
    return 0;
  }
  case VI_S_ASSIGN: {
    const struct vi_expr *lhs = s->u.assign.lhs;
    const struct vi_expr *base = lhs->kind == VI_E_INDEX ? lhs->u.index.a : lhs;
    int slot = base->u.var.slot;
    int c = expr(w, s->u.assign.rhs);
    if (c == C_ERR) return 0;
    if (c == C_S || c == C_MIX) {
      couple(w, s->loc, "assigns a sum over rows to '%s'", base->u.var.name);
      return 0;
    }
    if (inloop) {
      if (w->loop_local[slot]) return 0;
      if (lhs->kind == VI_E_INDEX && lhs->u.index.ix[0].kind == VI_IX_SINGLE &&
          lhs->u.index.ix[0].lo->kind == VI_E_VAR && lhs->u.index.ix[0].lo->u.var.slot == w->loopvar) {
        w->pl->row_slot[slot] = 1;
        for (int k = 1; k < lhs->u.index.nix; k++)
          if (join(expr(w, lhs->u.index.ix[k].lo), expr(w, lhs->u.index.ix[k].hi)) == C_ERR) return 0;
        return 0;
      }
      if (c != C_G) couple(w, s->loc, "accumulates rows into '%s' (the rows are coupled)", base->u.var.name);
      return 0;
    }
    if (c == C_R) {
      if (lhs->kind != VI_E_VAR) couple(w, s->loc, "writes a vector over the rows into part of '%s'", base->u.var.name);
      else w->pl->row_slot[slot] = 1;
    } else if (lhs->kind == VI_E_INDEX && row_slot(w, slot)) {
      couple(w, s->loc, "writes one element of '%s', a vector over the rows", base->u.var.name);
    }
    return 0;
  }
  case VI_S_TILDE: {
    int c = expr(w, s->u.tilde.lhs);
    for (int i = 0; i < s->u.tilde.nargs; i++) c = join(c, expr(w, s->u.tilde.args[i]));
    c = join(c, join(expr(w, s->u.tilde.trunc_lo), expr(w, s->u.tilde.trunc_hi)));
    if (c == C_ERR) return 0;
    if (c == C_S || c == C_MIX) {
      couple(w, s->loc, "a density argument is a sum over rows");
      return 0;
    }
    return inloop || c == C_R;
  }
  case VI_S_TARGET: {
    int c = expr(w, s->u.expr);
    if (c == C_ERR) return 0;
    if (c == C_MIX) {
      couple(w, s->loc, "adds row terms and global terms in one statement (write two target += statements)");
      return 0;
    }
    return inloop || c == C_R || c == C_S;
  }
  case VI_S_FOR:
  case VI_S_FOREACH:
  case VI_S_WHILE: return loop_stmt(w, s);
  case VI_S_IF: {
    int c = expr(w, s->u.ifs.cond);
    if (c == C_R || c == C_S) couple(w, s->loc, "a condition on the rows");
    int a = stmt(w, s->u.ifs.then), b = stmt(w, s->u.ifs.els);
    return a || b;
  }
  case VI_S_BLOCK: {
    int r = 0;
    for (int i = 0; i < s->u.block.n; i++) r |= stmt(w, s->u.block.stmts[i]);
    return r;
  }
  case VI_S_VLOOP: return stmt(w, s->u.vloop.loop);
  case VI_S_PRINT:
  case VI_S_REJECT:
  case VI_S_FATAL:
    for (int i = 0; i < s->u.print.n; i++) expr(w, s->u.print.args[i]);
    return 0;
  case VI_S_EXPR:
  case VI_S_RETURN: expr(w, s->u.expr); return 0;
  default: return 0;
  }
}

int vi_plate_analyse(const struct vi_program *p, const struct vi_symtab *st, int size_slot, struct vi_arena *a,
                     struct vi_plate *out) {
  memset(out, 0, sizeof *out);
  out->size_slot = size_slot;
  size_t ns = st->nslots ? (size_t)st->nslots : 1;
  out->row_slot = vi_arena_array(a, ns, 1);
  uint8_t *loop_local = vi_arena_array(a, ns, 1);
  out->row_params = vi_arena_array(a, ns, sizeof *out->row_params);
  if (!out->row_slot || !loop_local || !out->row_params) return VI_ERR_NOMEM;
  memset(out->row_slot, 0, ns);
  memset(loop_local, 0, ns);
  if (size_slot < 0) return VI_OK;
  out->size_name = st->decl[size_slot] ? st->decl[size_slot]->name : "N";
  struct walk w = {out, st, a, loop_local, -1, 0, 0, 0, 0};
  /* row data and per-row parameters: leading size N */
  for (int s = 0; s < st->nslots; s++) {
    const struct vi_decl *dc = st->decl[s];
    if (!dc || dc->is_local) continue;
    int blk = st->block[s];
    if (blk != VI_BLK_DATA && blk != VI_BLK_TDATA && blk != VI_BLK_PARAMS) continue;
    if (!is_size_var(&w, leading_size(dc))) continue;
    out->row_slot[s] = 1;
    if (blk == VI_BLK_PARAMS) out->row_params[out->nrow_params++] = s;
  }
  int blocks[2] = {VI_BLK_TPARAMS, VI_BLK_MODEL};
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < p->nbody[blocks[b]]; i++) {
      const struct vi_stmt *s = p->body[blocks[b]][i];
      int row = stmt(&w, s);
      if (out->coupled) return w.nomem ? VI_ERR_NOMEM : VI_OK;
      if (blocks[b] != VI_BLK_MODEL) continue;
      int adds = s->kind == VI_S_TILDE || s->kind == VI_S_TARGET || s->kind == VI_S_FOR || s->kind == VI_S_VLOOP ||
                 s->kind == VI_S_IF || s->kind == VI_S_BLOCK || s->kind == VI_S_FOREACH || s->kind == VI_S_WHILE;
      if (!adds) continue;
      if (row) {
        push_loc(&w, &out->row_terms, &out->nrow_terms, &w.caprow, s->loc);
        collect_terms(&w, s);
      } else if (s->kind == VI_S_TILDE || s->kind == VI_S_TARGET) {
        push_loc(&w, &out->glob_terms, &out->nglob_terms, &w.capglob, s->loc);
      }
    }
  return w.nomem ? VI_ERR_NOMEM : VI_OK;
}

int vi_plate_is_row_term(const struct vi_plate *pl, struct vi_srcloc loc) {
  for (int i = 0; i < pl->nterm_locs; i++)
    if (pl->term_locs[i].line == loc.line && pl->term_locs[i].col == loc.col) return 1;
  return 0;
}

static void print_locs(FILE *f, const char *what, const struct vi_srcloc *l, int n) {
  fprintf(f, "  %-14s", what);
  if (!n) fprintf(f, " none");
  for (int i = 0; i < n; i++) fprintf(f, "%s %d:%d", i ? "," : "", l[i].line, l[i].col);
  fprintf(f, "\n");
}

void vi_plate_print(const struct vi_plate *pl, const struct vi_symtab *st, const char *table, size_t nrows,
                    FILE *f) {
  fprintf(f, "plate:\n");
  if (pl->size_slot < 0) {
    fprintf(f, "  no table of rows (every term is global)\n");
    return;
  }
  fprintf(f, "  table          %s, %s = %zu rows\n", table ? table : "?", pl->size_name, nrows);
  if (pl->coupled) {
    fprintf(f, "  coupled        %d:%d: %s (--batch-size refuses this model)\n", pl->couple_loc.line,
            pl->couple_loc.col, pl->couple_msg);
    return;
  }
  print_locs(f, "row terms", pl->row_terms, pl->nrow_terms);
  print_locs(f, "global terms", pl->glob_terms, pl->nglob_terms);
  fprintf(f, "  %-14s", "per-row params");
  if (!pl->nrow_params) fprintf(f, " none");
  for (int i = 0; i < pl->nrow_params; i++) fprintf(f, "%s %s", i ? "," : "", st->decl[pl->row_params[i]]->name);
  fprintf(f, "\n");
}
