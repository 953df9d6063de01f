/* check.c: names, types and block rules (include/vi/check.h).
 *
 * User functions are checked first, in the order of the functions block, and
 * their parameters and locals take the first slots: function i (counting
 * only definitions with a body) owns the contiguous range
 * [sum of the nslots of the definitions before it, + fd->nslots). The
 * interpreter relies on that to save and restore a frame on every call. */
#include "vi/check.h"

#include <stdio.h>
#include <string.h>

#include "vi/ode.h"
#include "vi/stdlib.h"

struct entry {
  const char *name;
  int slot;
};

struct checker {
  struct vi_program *p;
  struct vi_diags *d;
  struct vi_arena *a;
  struct entry *ents;
  int nents, capents;
  struct vi_decl **slot_decl;
  struct vi_type *slot_type;
  uint8_t *slot_block;
  int nslots, capslots;
  int block;      /* enum vi_block being checked */
  int loops;      /* loop nesting, for break/continue */
  int oom;
  struct vi_fundef **canon; /* per entry of p->funs: the definition its name resolves to */
  struct vi_fundef *fun;    /* function whose body is being checked, or NULL */
  int fun_first;            /* its first slot (its parameters come first) */
  int void_ok;              /* the expression being checked is a statement: void calls allowed */
};

static const struct vi_type T_ERR = {VI_T_ERROR, 0}, T_INT = {VI_T_INT, 0}, T_REAL = {VI_T_REAL, 0};

static struct vi_type mk(int base, int nd) {
  struct vi_type t = {(uint8_t)base, (uint8_t)nd};
  return t;
}

static int grow(struct checker *k, void **p, int *cap, int need, size_t size) {
  if (need <= *cap) return 0;
  int nc = *cap ? *cap * 2 : 64;
  while (nc < need) nc *= 2;
  void *np = vi_arena_array(k->a, (size_t)nc, size);
  if (!np) {
    k->oom = 1;
    return -1;
  }
  if (*p) memcpy(np, *p, (size_t)*cap * size);
  *p = np;
  *cap = nc;
  return 0;
}

static int new_slot(struct checker *k, struct vi_decl *d, struct vi_type t) {
  int cap = k->capslots;
  if (k->nslots == cap) {
    int c1 = cap, c2 = cap, c3 = cap;
    if (grow(k, (void **)&k->slot_decl, &c1, k->nslots + 1, sizeof *k->slot_decl) ||
        grow(k, (void **)&k->slot_type, &c2, k->nslots + 1, sizeof *k->slot_type) ||
        grow(k, (void **)&k->slot_block, &c3, k->nslots + 1, sizeof *k->slot_block))
      return 0;
    k->capslots = c1;
  }
  k->slot_decl[k->nslots] = d;
  k->slot_type[k->nslots] = t;
  k->slot_block[k->nslots] = (uint8_t)k->block;
  return k->nslots++;
}

static struct entry *lookup(struct checker *k, const char *name) {
  for (int i = k->nents; i-- > 0;)
    if (strcmp(k->ents[i].name, name) == 0) return &k->ents[i];
  return NULL;
}

static const char *suggest_var(struct checker *k, const char *name) {
  const char *best = NULL;
  int bd = 3;
  for (int i = k->nents; i-- > 0;) {
    int dd = vi_edit_distance(name, k->ents[i].name, 2);
    if (dd < bd) {
      bd = dd;
      best = k->ents[i].name;
    }
  }
  return best;
}

static int declare(struct checker *k, const char *name, struct vi_srcloc loc, struct vi_decl *d,
                   struct vi_type t) {
  struct entry *e = lookup(k, name);
  if (e) {
    struct vi_decl *prev = k->slot_decl[e->slot];
    if (prev)
      vi_error(k->d, loc, "'%s' is already declared (at line %d)", name, prev->loc.line);
    else
      vi_error(k->d, loc, "'%s' is already declared", name);
  }
  int slot = new_slot(k, d, t);
  if (grow(k, (void **)&k->ents, &k->capents, k->nents + 1, sizeof *k->ents)) return slot;
  k->ents[k->nents].name = name;
  k->ents[k->nents].slot = slot;
  k->nents++;
  return slot;
}

static char *tstr(struct vi_type t, char *buf) { return vi_type_str(t, buf); }

static int is_int(struct vi_type t) { return t.base == VI_T_INT && t.ndims == 0; }
static int is_scalar(struct vi_type t) {
  return t.ndims == 0 && (t.base == VI_T_INT || t.base == VI_T_REAL);
}
static int is_err(struct vi_type t) { return t.base == VI_T_ERROR; }

/* Can a value of type `from` be stored where `to` is expected? */
static int assignable(struct vi_type to, struct vi_type from) {
  if (to.ndims != from.ndims) return 0;
  if (to.base == from.base) return 1;
  return to.base == VI_T_REAL && from.base == VI_T_INT;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The function the name `name` resolves to among the user functions, or NULL. */
static struct vi_fundef *find_user(struct checker *k, const char *name) {
  for (int i = 0; i < k->p->nfuns; i++)
    if (strcmp(k->p->funs[i]->name, name) == 0) return k->canon ? k->canon[i] : k->p->funs[i];
  return NULL;
}

static int user_accepts(const struct vi_fundef *f, const struct vi_type *ts, int n) {
  if (n != f->nparams) return 0;
  for (int i = 0; i < n; i++)
    if (!assignable(f->params[i].type, ts[i])) return 0;
  return 1;
}

static void user_sig_str(const struct vi_fundef *f, char *buf, size_t size) {
  size_t len = 0;
  char tb[64];
  len += (size_t)snprintf(buf, size, "(");
  for (int i = 0; i < f->nparams && len + 80 < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%s%s", i ? ", " : "", f->params[i].data_only ? "data " : "",
                            tstr(f->params[i].type, tb));
  if (len + 80 < size) snprintf(buf + len, size - len, ") => %s", tstr(f->ret, tb));
}

struct vi_type vi_index_type(struct vi_type t, int nix, const uint8_t *keep) {
  int inner = t.base == VI_T_MATRIX ? 2 : (t.base == VI_T_VECTOR || t.base == VI_T_ROW_VECTOR) ? 1 : 0;
  if (nix > t.ndims + inner) return T_ERR;
  int nd = 0;
  for (int i = 0; i < t.ndims; i++) nd += i >= nix || keep[i];
  int base = t.base;
  if (inner == 1) {
    int p = t.ndims;
    if (p < nix && !keep[p]) base = VI_T_REAL;
  } else if (inner == 2) {
    int r = t.ndims, c = t.ndims + 1;
    int kr = r >= nix || keep[r], kc = c >= nix || keep[c];
    base = kr && kc ? VI_T_MATRIX : kr ? VI_T_VECTOR : kc ? VI_T_ROW_VECTOR : VI_T_REAL;
  }
  return mk(base, nd);
}

static struct vi_type expr(struct checker *k, struct vi_expr *e);

static void argtypes_str(struct vi_type *ts, int n, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < n && len + 40 < size; i++) {
    char tb[64];
    len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", tstr(ts[i], tb));
  }
}

static const char *op_func(int op) {
  switch (op) {
  case VI_OP_ADD: return "add";
  case VI_OP_SUB: return "subtract";
  case VI_OP_MUL: return "multiply";
  case VI_OP_DIV: return "divide";
  case VI_OP_IDIV: return "int_divide";
  case VI_OP_MOD: return "modulus";
  case VI_OP_LDIV: return "mdivide_left";
  case VI_OP_POW: return "pow";
  case VI_OP_EPOW: return "pow";
  case VI_OP_EMUL: return "elt_multiply";
  case VI_OP_EDIV: return "elt_divide";
  case VI_OP_NEG: return "minus";
  case VI_OP_TRANSPOSE: return "transpose";
  default: return NULL;
  }
}

/* May _rng functions be called here? */
static int rng_allowed(const struct checker *k) {
  if (k->block == VI_BLK_FUNCTIONS) return k->fun && ends_with(k->fun->name, "_rng");
  return k->block == VI_BLK_TDATA || k->block == VI_BLK_GQ;
}

/* May `target +=`, `~` and _lp functions be used here? */
static int target_allowed(const struct checker *k) {
  if (k->block == VI_BLK_FUNCTIONS) return k->fun && ends_with(k->fun->name, "_lp");
  return k->block == VI_BLK_MODEL || k->block == VI_BLK_TPARAMS;
}

/* Stan functions vi does not have (docs/unsupported.md). */
static int is_unsupported_function(const char *f) {
  static const char *const names[] = {
      "reduce_sum", "reduce_sum_static", "map_rect", "ode_adjoint_tol_ctl", "algebra_solver", "algebra_solver_newton", "solve_newton",
      "solve_newton_tol", "solve_powell", "solve_powell_tol", "integrate_1d", "dae", "dae_tol", NULL};
  for (int i = 0; names[i]; i++)
    if (!strcmp(f, names[i])) return 1;
  return 0;
}

/* Types a call of the standard-library function fname; reports errors at loc. */
static struct vi_type call_builtin(struct checker *k, const char *fname, const char *shown,
                                   struct vi_type *ts, int n, struct vi_srcloc loc,
                                   const struct vi_func **out) {
  for (int i = 0; i < n; i++)
    if (is_err(ts[i])) return T_ERR;
  const struct vi_func *f = vi_stdlib_lookup(fname);
  *out = f;
  if (!f) {
    const char *s = vi_stdlib_suggest(fname);
    if (is_unsupported_function(fname))
      vi_error(k->d, loc, "the Stan function '%s' is not supported by vi (see docs/unsupported.md)", shown);
    else if (s)
      vi_error(k->d, loc, "unknown function '%s' (did you mean '%s'?)", shown, s);
    else
      vi_error(k->d, loc, "unknown function '%s'", shown);
    return T_ERR;
  }
  struct vi_type r = f->rule(ts, n);
  if (is_err(r)) {
    char buf[512];
    argtypes_str(ts, n, buf, sizeof buf);
    vi_error(k->d, loc, "no signature of '%s' takes (%s)%s%s", shown, buf,
             f->sig ? "; it takes " : "", f->sig ? f->sig : "");
    return T_ERR;
  }
  if ((f->flags & VI_FN_RNG) && !rng_allowed(k))
    vi_error(k->d, loc, "'%s' draws random numbers and is allowed only in transformed data and generated quantities (and in _rng functions)", shown);
  return r;
}

static int data_only_expr(struct checker *k, const struct vi_expr *e);

/* Types an ODE solver call (include/vi/ode.h): args[0] names a user
 * function, whose signature is checked against the call; args[0] then
 * becomes a string literal so later passes see no variable there. */
static struct vi_type ode_call(struct checker *k, struct vi_expr *e, int kind, int legacy, int tol) {
  const char *name = e->u.call.name;
  int n = e->u.call.nargs;
  struct vi_expr **a = e->u.call.args;
  char tb[64], tb2[64];
  if (n < 1 || a[0]->kind != VI_E_VAR) {
    vi_error(k->d, n ? a[0]->loc : e->loc, "the first argument of '%s' must be the name of a user-defined function", name);
    return T_ERR;
  }
  struct vi_fundef *uf = find_user(k, a[0]->u.var.name);
  if (!uf) {
    vi_error(k->d, a[0]->loc, "'%s' (first argument of '%s') is not a user-defined function", a[0]->u.var.name, name);
    return T_ERR;
  }
  int nfixed = legacy ? 7 : tol ? 7 : 4;
  if (legacy ? (n != 7 && n != 10) : n < nfixed) {
    if (legacy)
      vi_error(k->d, e->loc, "'%s' takes 7 arguments (f, y0, t0, ts, theta, x_r, x_i) or 10 (and rtol, atol, max_num_steps), not %d", name, n);
    else
      vi_error(k->d, e->loc, "'%s' takes at least %d arguments (f, y0, t0, ts%s), not %d", name, nfixed,
               tol ? ", rtol, atol, max_num_steps" : "", n);
    return T_ERR;
  }
  struct vi_type ts[32];
  int bad = 0;
  if (n > 32) {
    vi_error(k->d, e->loc, "too many arguments (%d; the limit is 32)", n);
    return T_ERR;
  }
  for (int i = 1; i < n; i++) {
    ts[i] = expr(k, a[i]);
    bad |= is_err(ts[i]);
  }
  if (bad) return T_ERR;
  const struct vi_type RARR = {VI_T_REAL, 1}, IARR = {VI_T_INT, 1}, VEC = {VI_T_VECTOR, 0};
  struct vi_type want[10] = {{0, 0}, legacy ? RARR : VEC, T_REAL, RARR};
  const char *what[10] = {"", "the initial state", "the initial time", "the output times"};
  int ntol_at = legacy ? 7 : 4;
  if (legacy) {
    want[4] = RARR, want[5] = RARR, want[6] = IARR;
    what[4] = "theta", what[5] = "x_r", what[6] = "x_i";
  }
  if (tol || (legacy && n == 10)) {
    /* Stan's integrate_ode_* take max_num_steps as a real (5e2 is common) */
    want[ntol_at] = T_REAL, want[ntol_at + 1] = T_REAL, want[ntol_at + 2] = legacy ? T_REAL : T_INT;
    what[ntol_at] = "the relative tolerance", what[ntol_at + 1] = "the absolute tolerance",
    what[ntol_at + 2] = "max_num_steps";
  }
  int nchk = legacy ? n : nfixed;
  for (int i = 1; i < nchk; i++) {
    if (!assignable(want[i], ts[i])) {
      vi_error(k->d, a[i]->loc, "argument %d of '%s' (%s) must be %s, not %s", i + 1, name, what[i], tstr(want[i], tb),
               tstr(ts[i], tb2));
      bad = 1;
    } else if ((i >= ntol_at || (legacy && i >= 5)) && !a[i]->is_data) {
      vi_error(k->d, a[i]->loc, "argument %d of '%s' (%s) must be data, but this value can depend on parameters",
               i + 1, name, what[i]);
      bad = 1;
    }
  }
  if (bad) return T_ERR;
  /* the user function: f(real t, y, extras...) returning the state's type */
  char sig[512];
  user_sig_str(uf, sig, sizeof sig);
  int next = legacy ? 3 : n - nfixed;
  struct vi_type ytype = legacy ? RARR : VEC;
  if (uf->nparams != 2 + next || uf->ret.base != ytype.base || uf->ret.ndims != ytype.ndims ||
      !assignable(uf->params[0].type, T_REAL) || uf->params[0].type.base != VI_T_REAL ||
      uf->params[1].type.base != ytype.base || uf->params[1].type.ndims != ytype.ndims) {
    if (legacy)
      vi_error(k->d, a[0]->loc,
               "'%s' must have the signature (real t, array[] real y, array[] real theta, data array[] real x_r, "
               "data array[] int x_i) => array[] real to be solved by '%s'; it has %s",
               uf->name, name, sig);
    else
      vi_error(k->d, a[0]->loc,
               "'%s' must have the signature (real t, vector y%s) => vector, its trailing arguments those passed "
               "after %s of '%s' (%d here); it has %s",
               uf->name, next ? ", ..." : "", tol ? "max_num_steps" : "the output times", name, next, sig);
    return T_ERR;
  }
  for (int j = 0; j < next; j++) {
    int ai = (legacy ? 4 : nfixed) + j;
    const struct vi_fparam *fp = &uf->params[2 + j];
    if (!assignable(fp->type, ts[ai])) {
      vi_error(k->d, a[ai]->loc, "argument %d of '%s' is %s, but parameter '%s' of '%s' is %s", ai + 1, name,
               tstr(ts[ai], tb), fp->name, uf->name, tstr(fp->type, tb2));
      bad = 1;
    } else if (fp->data_only && !a[ai]->is_data) {
      vi_error(k->d, a[ai]->loc, "argument %d of '%s' goes to '%s' of '%s', which is declared data, but this value can depend on parameters",
               ai + 1, name, fp->name, uf->name);
      bad = 1;
    }
  }
  if (bad) return T_ERR;
  e->u.call.fnarg = uf;
  e->u.call.ode = (uint8_t)(kind + 1);
  e->u.call.user = NULL;
  e->u.call.fn = NULL;
  a[0]->kind = VI_E_STRING;
  a[0]->u.str = uf->name;
  a[0]->type = (struct vi_type){VI_T_STRING, 0};
  a[0]->is_data = 1;
  return legacy ? (struct vi_type){VI_T_REAL, 2} : (struct vi_type){VI_T_VECTOR, 1};
}

static struct vi_type index_expr(struct checker *k, struct vi_expr *e) {
  struct vi_type t = expr(k, e->u.index.a);
  uint8_t keep[16];
  int bad = is_err(t);
  for (int i = 0; i < e->u.index.nix; i++) {
    struct vi_index *ix = &e->u.index.ix[i];
    keep[i < 16 ? i : 0] = 1;
    if (ix->lo) {
      struct vi_type lt = expr(k, ix->lo);
      if (ix->kind == VI_IX_SINGLE && lt.base == VI_T_INT && lt.ndims == 1) {
        ix->multi = 1;
      } else if (!is_err(lt) && !is_int(lt)) {
        char tb[64];
        vi_error(k->d, ix->lo->loc, "an index must be an int or an int array, not %s", tstr(lt, tb));
        bad = 1;
      }
    }
    if (ix->hi) {
      struct vi_type ht = expr(k, ix->hi);
      if (!is_err(ht) && !is_int(ht)) {
        char tb[64];
        vi_error(k->d, ix->hi->loc, "a range bound must be an int, not %s", tstr(ht, tb));
        bad = 1;
      }
    }
    if (i < 16) keep[i] = ix->kind != VI_IX_SINGLE || ix->multi;
  }
  if (bad) return T_ERR;
  if (e->u.index.nix > 16) {
    vi_error(k->d, e->loc, "too many indices");
    return T_ERR;
  }
  struct vi_type r = vi_index_type(t, e->u.index.nix, keep);
  if (is_err(r)) {
    char tb[64];
    vi_error(k->d, e->loc, "too many indices (%d) for a value of type %s", e->u.index.nix, tstr(t, tb));
  }
  return r;
}

/* Types a call of the user function uf; e->u.call's arguments are typed (ts). */
static struct vi_type call_user(struct checker *k, struct vi_expr *e, struct vi_fundef *uf, struct vi_type *ts, int n,
                                int void_ok) {
  const char *name = e->u.call.name;
  if (!user_accepts(uf, ts, n)) {
    char buf[512], sig[512];
    argtypes_str(ts, n, buf, sizeof buf);
    user_sig_str(uf, sig, sizeof sig);
    vi_error(k->d, e->loc, "no signature of '%s' takes (%s); it takes %s", name, buf, sig);
    return T_ERR;
  }
  e->u.call.user = uf;
  e->u.call.fn = uf;
  int bad = 0;
  for (int i = 0; i < n; i++)
    if (uf->params[i].data_only && !e->u.call.args[i]->is_data) {
      vi_error(k->d, e->u.call.args[i]->loc,
               "argument %d of '%s' ('%s') is declared data, but this value can depend on parameters", i + 1, name,
               uf->params[i].name);
      bad = 1;
    }
  if (ends_with(uf->name, "_rng") && !rng_allowed(k)) {
    vi_error(k->d, e->loc, "'%s' draws random numbers and is allowed only in transformed data and generated quantities (and in _rng functions)", name);
    bad = 1;
  }
  if (ends_with(uf->name, "_lp") && !target_allowed(k)) {
    vi_error(k->d, e->loc, "'%s' changes the target and may be called only in the model block, transformed parameters and _lp functions", name);
    bad = 1;
  }
  if (uf->ext_lib && !uf->ext_grad) {
    int data = 1;
    for (int i = 0; i < n; i++) data &= e->u.call.args[i]->is_data;
    if (!data || k->block == VI_BLK_TPARAMS || k->block == VI_BLK_MODEL) {
      vi_error(k->d, e->loc, "'%s' has no gradient function (grad = ...), so it cannot be used where parameters reach it",
               name);
      bad = 1;
    }
  }
  if (uf->ret.base == VI_T_VOID && !void_ok) {
    vi_error(k->d, e->loc, "'%s' returns nothing (void) and cannot be used as a value", name);
    bad = 1;
  }
  return bad ? T_ERR : uf->ret;
}

static struct vi_type expr(struct checker *k, struct vi_expr *e) {
  struct vi_type t = T_ERR;
  char tb[64], tb2[64];
  switch (e->kind) {
  case VI_E_INT: t = T_INT; break;
  case VI_E_REAL: t = T_REAL; break;
  case VI_E_STRING: t = mk(VI_T_STRING, 0); break;
  case VI_E_PAREN: t = expr(k, e->u.un.a); break;
  case VI_E_VAR: {
    struct entry *en = lookup(k, e->u.var.name);
    if (!en) {
      const char *s = suggest_var(k, e->u.var.name);
      if (vi_stdlib_lookup(e->u.var.name))
        vi_error(k->d, e->loc, "'%s' is a function; call it with parentheses", e->u.var.name);
      else if (s)
        vi_error(k->d, e->loc, "unknown variable '%s' (did you mean '%s'?)", e->u.var.name, s);
      else
        vi_error(k->d, e->loc, "unknown variable '%s'", e->u.var.name);
      break;
    }
    e->u.var.slot = en->slot;
    t = k->slot_type[en->slot];
    break;
  }
  case VI_E_UNARY: {
    struct vi_type a = expr(k, e->u.un.a);
    if (is_err(a)) break;
    if (e->u.un.op == VI_OP_NOT) {
      if (!is_scalar(a))
        vi_error(k->d, e->loc, "'!' needs an int or real, not %s", tstr(a, tb));
      else
        t = T_INT;
    } else if (e->u.un.op == VI_OP_PLUS) {
      t = a;
    } else {
      const struct vi_func *f;
      t = call_builtin(k, op_func(e->u.un.op), vi_op_name(e->u.un.op), &a, 1, e->loc, &f);
    }
    break;
  }
  case VI_E_BINARY: {
    struct vi_type ab[2] = {expr(k, e->u.bin.a), expr(k, e->u.bin.b)};
    if (is_err(ab[0]) || is_err(ab[1])) break;
    int op = e->u.bin.op;
    if (op >= VI_OP_LT && op <= VI_OP_OR) {
      if (!is_scalar(ab[0]) || !is_scalar(ab[1]))
        vi_error(k->d, e->loc, "'%s' compares ints or reals, not %s and %s", vi_op_name(op),
                 tstr(ab[0], tb), tstr(ab[1], tb2));
      else
        t = T_INT;
      break;
    }
    const struct vi_func *f;
    char shown[32];
    snprintf(shown, sizeof shown, "operator %s", vi_op_name(op));
    if (op == VI_OP_EPOW || op == VI_OP_POW) snprintf(shown, sizeof shown, "pow");
    t = call_builtin(k, op_func(op), shown, ab, 2, e->loc, &f);
    break;
  }
  case VI_E_COND: {
    struct vi_type c = expr(k, e->u.cond.c), a = expr(k, e->u.cond.a), b = expr(k, e->u.cond.b);
    if (is_err(c) || is_err(a) || is_err(b)) break;
    if (!is_int(c)) {
      vi_error(k->d, e->u.cond.c->loc, "the condition of '?:' must be an int, not %s", tstr(c, tb));
      break;
    }
    if (assignable(a, b))
      t = a;
    else if (assignable(b, a))
      t = b;
    else
      vi_error(k->d, e->loc, "the branches of '?:' have different types (%s and %s)", tstr(a, tb),
               tstr(b, tb2));
    break;
  }
  case VI_E_CALL: {
    int void_ok = k->void_ok;
    k->void_ok = 0;
    int n = e->u.call.nargs;
    int okind, olegacy, otol;
    if (vi_ode_lookup(e->u.call.name, &okind, &olegacy, &otol) == VI_OK) {
      t = ode_call(k, e, okind, olegacy, otol);
      break;
    }
    struct vi_type ts[32];
    if (n > 32) {
      vi_error(k->d, e->loc, "too many arguments (%d; the limit is 32)", n);
      break;
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
      ts[i] = expr(k, e->u.call.args[i]);
      bad |= is_err(ts[i]);
    }
    if (bad) break;
    const char *name = e->u.call.name;
    if (strcmp(name, "target") == 0 && n == 0) {
      if (!target_allowed(k))
        vi_error(k->d, e->loc, "target() is available only in the model and transformed parameters blocks and _lp functions");
      t = T_REAL;
      break;
    }
    if (strcmp(name, "columns") == 0) {
      vi_error(k->d, e->loc, "columns(\"regex\") may only initialise a matrix in the data block");
      break;
    }
    char fname[160];
    size_t len = strlen(name);
    if (len > 120) len = 120;
    memcpy(fname, name, len);
    fname[len] = 0;
    int propto = 0;
    if (len > 6 && (strcmp(name + len - 6, "_lupdf") == 0 || strcmp(name + len - 6, "_lupmf") == 0)) {
      fname[len - 4] = 'p';
      fname[len - 3] = name[len - 2];
      fname[len - 2] = 'f';
      fname[len - 1] = 0;
      propto = 1;
    }
    int is_dens = len > 5 && (strstr(name, "_lpdf") || strstr(name, "_lpmf") || strstr(name, "_lcdf") ||
                              strstr(name, "_lccdf") || propto);
    if (e->u.call.bar && !is_dens)
      vi_error(k->d, e->loc, "'|' separates the variate only in calls of _lpdf, _lpmf, _lcdf and _lccdf functions");
    struct vi_fundef *uf = find_user(k, fname);
    if (uf && (user_accepts(uf, ts, n) || !vi_stdlib_lookup(fname) ||
               is_err(vi_stdlib_lookup(fname)->rule(ts, n)))) {
      t = call_user(k, e, uf, ts, n, void_ok);
      break;
    }
    const struct vi_func *f = NULL;
    t = call_builtin(k, fname, name, ts, n, e->loc, &f);
    e->u.call.fn = f;
    if (!is_err(t) && t.base == VI_T_VOID && !void_ok) {
      vi_error(k->d, e->loc, "'%s' returns nothing (void) and cannot be used as a value", name);
      t = T_ERR;
    }
    (void)propto;
    break;
  }
  case VI_E_INDEX: t = index_expr(k, e); break;
  case VI_E_ARRAY: {
    struct vi_type el = T_ERR;
    for (int i = 0; i < e->u.list.n; i++) {
      struct vi_type ti = expr(k, e->u.list.elems[i]);
      if (is_err(ti)) goto done;
      if (i == 0 || assignable(ti, el))
        el = ti;
      else if (!assignable(el, ti)) {
        vi_error(k->d, e->u.list.elems[i]->loc, "array elements have different types (%s and %s)",
                 tstr(el, tb), tstr(ti, tb2));
        goto done;
      }
    }
    if (e->u.list.n == 0) {
      vi_error(k->d, e->loc, "an array expression needs at least one element");
      break;
    }
    t = mk(el.base, el.ndims + 1);
    break;
  }
  case VI_E_ROWVEC: {
    int rows = 0, scal = 0;
    for (int i = 0; i < e->u.list.n; i++) {
      struct vi_type ti = expr(k, e->u.list.elems[i]);
      if (is_err(ti)) goto done;
      if (is_scalar(ti))
        scal++;
      else if (ti.base == VI_T_ROW_VECTOR && ti.ndims == 0)
        rows++;
      else {
        vi_error(k->d, e->u.list.elems[i]->loc, "a [ ] expression holds reals or row vectors, not %s",
                 tstr(ti, tb));
        goto done;
      }
    }
    if (scal && rows) {
      vi_error(k->d, e->loc, "a [ ] expression mixes scalars and row vectors");
      break;
    }
    t = rows ? mk(VI_T_MATRIX, 0) : mk(VI_T_ROW_VECTOR, 0);
    break;
  }
  }
done:
  e->type = t;
  e->is_data = (uint8_t)(!is_err(t) && data_only_expr(k, e));
  return t;
}

/* Does e depend only on data and transformed data (and loop variables)? */
static int data_only_expr(struct checker *k, const struct vi_expr *e) {
  switch (e->kind) {
  case VI_E_VAR: {
    int s = e->u.var.slot, b = k->slot_block[s];
    if (b == VI_BLK_FUNCTIONS) { /* inside a function: `data` arguments and ints */
      if (k->fun && s >= k->fun_first && s < k->fun_first + k->fun->nparams && k->fun->params[s - k->fun_first].data_only)
        return 1;
      return k->slot_type[s].base == VI_T_INT;
    }
    return b == VI_BLK_DATA || b == VI_BLK_TDATA || (k->slot_decl[s] == NULL && k->slot_type[s].base == VI_T_INT);
  }
  case VI_E_INT:
  case VI_E_REAL:
  case VI_E_STRING: return 1;
  case VI_E_PAREN:
  case VI_E_UNARY: return e->u.un.a->is_data;
  case VI_E_BINARY: return e->u.bin.a->is_data && e->u.bin.b->is_data;
  case VI_E_COND: return e->u.cond.c->is_data && e->u.cond.a->is_data && e->u.cond.b->is_data;
  case VI_E_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      if (!e->u.call.args[i]->is_data) return 0;
    return strcmp(e->u.call.name, "target") != 0;
  case VI_E_INDEX:
    if (!e->u.index.a->is_data) return 0;
    for (int i = 0; i < e->u.index.nix; i++)
      if ((e->u.index.ix[i].lo && !e->u.index.ix[i].lo->is_data) ||
          (e->u.index.ix[i].hi && !e->u.index.ix[i].hi->is_data))
        return 0;
    return 1;
  case VI_E_ARRAY:
  case VI_E_ROWVEC:
    for (int i = 0; i < e->u.list.n; i++)
      if (!e->u.list.elems[i]->is_data) return 0;
    return 1;
  }
  return 0;
}

static void need_int_size(struct checker *k, struct vi_expr *e, const char *what) {
  if (!e) return;
  struct vi_type t = expr(k, e);
  char tb[64];
  if (!is_err(t) && !is_int(t))
    vi_error(k->d, e->loc, "%s must be an int, not %s", what, tstr(t, tb));
}

static void need_bound(struct checker *k, struct vi_expr *e, const char *what, struct vi_type dt) {
  if (!e) return;
  struct vi_type t = expr(k, e);
  char tb[64], tb2[64];
  if (is_err(t)) return;
  if (is_scalar(t)) return;
  struct vi_type elt = mk(dt.base == VI_T_INT ? VI_T_INT : dt.base, dt.ndims);
  if (!assignable(elt, t) && !(dt.base == VI_T_INT && t.base == VI_T_INT && t.ndims == dt.ndims))
    vi_error(k->d, e->loc, "%s must be a scalar or have the type of the variable (%s), not %s", what,
             tstr(dt, tb), tstr(t, tb2));
}

static void decl(struct checker *k, struct vi_decl *d, int top) {
  for (int i = 0; i < d->type.ndims; i++) need_int_size(k, d->dims[i], "an array size");
  need_int_size(k, d->rows, "a size");
  need_int_size(k, d->cols, "a size");
  int constrained = d->lower || d->upper || d->offset || d->multiplier || d->cons != VI_C_NONE;
  if (constrained && !top)
    vi_error(k->d, d->loc, "local variable '%s' cannot have a constraint", d->name);
  if (constrained && top && k->block == VI_BLK_MODEL)
    vi_error(k->d, d->loc, "variables of the model block cannot have constraints");
  need_bound(k, d->lower, "the lower bound", d->type);
  need_bound(k, d->upper, "the upper bound", d->type);
  need_bound(k, d->offset, "the offset", d->type);
  need_bound(k, d->multiplier, "the multiplier", d->type);
  if (k->block == VI_BLK_PARAMS && d->type.base == VI_T_INT)
    vi_error(k->d, d->loc, "parameters must be real-valued; '%s' is declared int", d->name);
  if (d->init) {
    if (k->block == VI_BLK_DATA && d->init->kind == VI_E_CALL && strcmp(d->init->u.call.name, "columns") == 0) {
      if (d->type.base != VI_T_MATRIX || d->type.ndims != 0 || d->init->u.call.nargs != 1 ||
          d->init->u.call.args[0]->kind != VI_E_STRING)
        vi_error(k->d, d->init->loc, "columns(\"regex\") initialises a matrix from the data columns the regular expression selects");
      d->init->type = mk(VI_T_MATRIX, 0);
    } else if (k->block == VI_BLK_DATA || k->block == VI_BLK_PARAMS) {
      vi_error(k->d, d->init->loc, "variables of the %s block cannot be initialised", vi_block_name(k->block));
    } else {
      struct vi_type it = expr(k, d->init);
      char tb[64], tb2[64];
      if (!is_err(it) && !assignable(d->type, it))
        vi_error(k->d, d->init->loc, "cannot initialise '%s' (%s) with a value of type %s", d->name,
                 tstr(d->type, tb), tstr(it, tb2));
    }
  }
  d->block = (uint8_t)k->block;
  d->slot = declare(k, d->name, d->loc, d, d->type);
}

static void stmt(struct checker *k, struct vi_stmt *s, int top);

/* Does the cumulative function dist+suffix (user or built-in) accept the
 * bound type followed by the distribution's argument types ts[1..n)? */
static int cdf_accepts(struct checker *k, const char *dist, const char *suffix, struct vi_type bound,
                       const struct vi_type *ts, int n) {
  char name[160];
  snprintf(name, sizeof name, "%s%s", dist, suffix);
  struct vi_type t2[33];
  t2[0] = bound;
  for (int i = 1; i < n && i < 33; i++) t2[i] = ts[i];
  struct vi_fundef *uf = find_user(k, name);
  if (uf && user_accepts(uf, t2, n) && uf->ret.base == VI_T_REAL && uf->ret.ndims == 0) return 1;
  const struct vi_func *f = vi_stdlib_lookup(name);
  return f && !is_err(f->rule(t2, n));
}

/* `y ~ dist(args) T[L, U]`: a univariate variate, scalar bounds, and the
 * cumulative functions the normalisation needs (Stan: _lcdf when there is an
 * upper bound, _lccdf for a lower bound alone). ts: types of y and args. */
static void truncation(struct checker *k, struct vi_stmt *s, const struct vi_type *ts, int n) {
  char tb[64];
  const char *dist = s->u.tilde.dist;
  struct vi_expr *lo = s->u.tilde.trunc_lo, *hi = s->u.tilde.trunc_hi;
  if (!is_scalar(ts[0])) {
    vi_error(k->d, s->u.tilde.lhs->loc, "truncation T[,] needs a univariate variate (int or real), not %s",
             tstr(ts[0], tb));
    return;
  }
  struct vi_expr *bs[2] = {lo, hi};
  for (int i = 0; i < 2; i++) {
    if (!bs[i] || is_err(bs[i]->type)) continue;
    if (!is_scalar(bs[i]->type)) {
      vi_error(k->d, bs[i]->loc, "a truncation bound must be an int or real, not %s", tstr(bs[i]->type, tb));
      return;
    }
  }
  if (!lo && !hi) return;
  const char *suffix = hi ? "_lcdf" : "_lccdf";
  struct vi_type b1 = hi ? hi->type : lo->type;
  if (is_err(b1) || (lo && is_err(lo->type))) return;
  if (!cdf_accepts(k, dist, suffix, b1, ts, n) || (hi && lo && !cdf_accepts(k, dist, suffix, lo->type, ts, n)))
    vi_error(k->d, s->u.tilde.dist_loc, "truncation %s needs '%s%s' for these arguments, which does not exist",
             hi && lo ? "T[L, U]" : hi ? "T[, U]" : "T[L, ]", dist, suffix);
}

static void block_scope(struct checker *k, struct vi_stmt *s) {
  int mark = k->nents;
  stmt(k, s, 0);
  k->nents = mark;
}

static const struct vi_expr *lhs_var(const struct vi_expr *e) {
  while (e->kind == VI_E_INDEX) e = e->u.index.a;
  return e->kind == VI_E_VAR ? e : NULL;
}

static void stmt(struct checker *k, struct vi_stmt *s, int top) {
  char tb[64], tb2[64];
  switch (s->kind) {
  case VI_S_DECL: decl(k, s->u.decl, top); break;
  case VI_S_ASSIGN: {
    struct vi_type r = expr(k, s->u.assign.rhs);
    struct vi_type l = expr(k, s->u.assign.lhs);
    const struct vi_expr *v = lhs_var(s->u.assign.lhs);
    if (!v) {
      vi_error(k->d, s->u.assign.lhs->loc, "the left side of an assignment must be a variable or an indexed variable");
      break;
    }
    if (is_err(l) || is_err(r)) break;
    int slot = v->u.var.slot, b = k->slot_block[slot];
    if (!k->slot_decl[slot]) {
      vi_error(k->d, v->loc, "cannot assign to the loop variable '%s'", v->u.var.name);
      break;
    }
    if (b != k->block) {
      vi_error(k->d, v->loc, "cannot assign to '%s': it belongs to the %s block", v->u.var.name, vi_block_name(b));
      break;
    }
    if (k->fun && slot >= k->fun_first && slot < k->fun_first + k->fun->nparams) {
      vi_error(k->d, v->loc, "cannot assign to the function argument '%s'", v->u.var.name);
      break;
    }
    if (s->u.assign.op == VI_AS_SET) {
      if (!assignable(l, r))
        vi_error(k->d, s->u.assign.op_loc, "cannot assign a value of type %s to '%s' of type %s", tstr(r, tb),
                 v->u.var.name, tstr(l, tb2));
    } else {
      static const int ops[] = {0, VI_OP_ADD, VI_OP_SUB, VI_OP_MUL, VI_OP_DIV, VI_OP_EMUL, VI_OP_EDIV};
      struct vi_type ab[2] = {l, r};
      const struct vi_func *f;
      struct vi_type res = call_builtin(k, op_func(ops[s->u.assign.op]), vi_op_name(ops[s->u.assign.op]), ab, 2,
                                        s->u.assign.op_loc, &f);
      if (!is_err(res) && !assignable(l, res))
        vi_error(k->d, s->u.assign.op_loc, "compound assignment gives %s, which cannot be stored in %s",
                 tstr(res, tb), tstr(l, tb2));
    }
    break;
  }
  case VI_S_TILDE: {
    if (k->block != VI_BLK_MODEL && !(k->fun && ends_with(k->fun->name, "_lp"))) {
      vi_error(k->d, s->loc, "'~' statements are allowed only in the model block and _lp functions");
    }
    struct vi_type ts[33];
    int n = s->u.tilde.nargs, bad = 0;
    if (n > 31) {
      vi_error(k->d, s->loc, "too many arguments");
      break;
    }
    ts[0] = expr(k, s->u.tilde.lhs);
    bad |= is_err(ts[0]);
    for (int i = 0; i < n; i++) {
      ts[i + 1] = expr(k, s->u.tilde.args[i]);
      bad |= is_err(ts[i + 1]);
    }
    if (s->u.tilde.trunc_lo) expr(k, s->u.tilde.trunc_lo);
    if (s->u.tilde.trunc_hi) expr(k, s->u.tilde.trunc_hi);
    if (bad) break;
    char fname[160];
    struct vi_fundef *uf = NULL;
    snprintf(fname, sizeof fname, "%s_lpdf", s->u.tilde.dist);
    if (!(uf = find_user(k, fname))) {
      snprintf(fname, sizeof fname, "%s_lpmf", s->u.tilde.dist);
      uf = find_user(k, fname);
    }
    if (uf && (user_accepts(uf, ts, n + 1) || !vi_stdlib_lookup(fname))) {
      if (!user_accepts(uf, ts, n + 1)) {
        char buf[512], sig[512];
        argtypes_str(ts, n + 1, buf, sizeof buf);
        user_sig_str(uf, sig, sizeof sig);
        vi_error(k->d, s->u.tilde.dist_loc, "no signature of '%s' takes (%s); it takes %s", fname, buf, sig);
        break;
      }
      for (int i = 0; i < n + 1; i++) {
        struct vi_expr *a = i ? s->u.tilde.args[i - 1] : s->u.tilde.lhs;
        if (uf->params[i].data_only && !a->is_data)
          vi_error(k->d, a->loc, "argument %d of '%s' ('%s') is declared data, but this value can depend on parameters",
                   i + 1, fname, uf->params[i].name);
      }
      s->u.tilde.user = uf;
      s->u.tilde.fn = NULL;
      if (s->u.tilde.has_trunc) truncation(k, s, ts, n + 1);
      break;
    }
    snprintf(fname, sizeof fname, "%s_lpdf", s->u.tilde.dist);
    const struct vi_func *f = vi_stdlib_lookup(fname);
    if (!f) {
      snprintf(fname, sizeof fname, "%s_lpmf", s->u.tilde.dist);
      f = vi_stdlib_lookup(fname);
    }
    if (!f) {
      snprintf(fname, sizeof fname, "%s_lpdf", s->u.tilde.dist);
      const char *sg = vi_stdlib_suggest(fname);
      if (!sg) {
        snprintf(fname, sizeof fname, "%s_lpmf", s->u.tilde.dist);
        sg = vi_stdlib_suggest(fname);
      }
      if (sg) {
        char base[128];
        size_t bl = strlen(sg) > 5 ? strlen(sg) - 5 : 0;
        if (bl > sizeof base - 1) bl = sizeof base - 1;
        memcpy(base, sg, bl);
        base[bl] = 0;
        vi_error(k->d, s->u.tilde.dist_loc, "unknown distribution '%s' (did you mean '%s'?)", s->u.tilde.dist, base);
      } else {
        vi_error(k->d, s->u.tilde.dist_loc, "unknown distribution '%s'", s->u.tilde.dist);
      }
      break;
    }
    struct vi_type r = f->rule(ts, n + 1);
    if (is_err(r)) {
      char buf[512];
      argtypes_str(ts, n + 1, buf, sizeof buf);
      vi_error(k->d, s->u.tilde.dist_loc, "no signature of '%s' takes (%s)%s%s", fname, buf,
               f->sig ? "; it takes " : "", f->sig ? f->sig : "");
      break;
    }
    s->u.tilde.fn = f;
    if (s->u.tilde.has_trunc) truncation(k, s, ts, n + 1);
    break;
  }
  case VI_S_TARGET: {
    if (k->block != VI_BLK_MODEL && !(k->fun && ends_with(k->fun->name, "_lp")))
      vi_error(k->d, s->loc, "'target +=' is allowed only in the model block and _lp functions");
    struct vi_type t = expr(k, s->u.expr);
    if (!is_err(t) && (t.base < VI_T_INT || t.base > VI_T_MATRIX))
      vi_error(k->d, s->u.expr->loc, "'target +=' needs a real or a container of reals, not %s", tstr(t, tb));
    break;
  }
  case VI_S_FOR: {
    need_int_size(k, s->u.loop.lo, "the start of a for loop");
    need_int_size(k, s->u.loop.hi, "the end of a for loop");
    int mark = k->nents;
    s->u.loop.slot = declare(k, s->u.loop.var, s->u.loop.var_loc, NULL, T_INT);
    k->loops++;
    block_scope(k, s->u.loop.body);
    k->loops--;
    k->nents = mark;
    break;
  }
  case VI_S_FOREACH: {
    struct vi_type ct = expr(k, s->u.loop.lo);
    struct vi_type et = T_ERR;
    if (!is_err(ct)) {
      if (ct.ndims > 0)
        et = mk(ct.base, ct.ndims - 1);
      else if (ct.base == VI_T_VECTOR || ct.base == VI_T_ROW_VECTOR || ct.base == VI_T_MATRIX)
        et = T_REAL;
      else
        vi_error(k->d, s->u.loop.lo->loc, "cannot loop over a value of type %s", tstr(ct, tb));
    }
    int mark = k->nents;
    s->u.loop.slot = declare(k, s->u.loop.var, s->u.loop.var_loc, NULL, et);
    k->loops++;
    block_scope(k, s->u.loop.body);
    k->loops--;
    k->nents = mark;
    break;
  }
  case VI_S_WHILE: {
    struct vi_type c = expr(k, s->u.loop.lo);
    if (!is_err(c) && !is_scalar(c))
      vi_error(k->d, s->u.loop.lo->loc, "a while condition must be an int or real, not %s", tstr(c, tb));
    k->loops++;
    block_scope(k, s->u.loop.body);
    k->loops--;
    break;
  }
  case VI_S_IF: {
    struct vi_type c = expr(k, s->u.ifs.cond);
    if (!is_err(c) && !is_scalar(c))
      vi_error(k->d, s->u.ifs.cond->loc, "an if condition must be an int or real, not %s", tstr(c, tb));
    block_scope(k, s->u.ifs.then);
    if (s->u.ifs.els) block_scope(k, s->u.ifs.els);
    break;
  }
  case VI_S_BLOCK: {
    int mark = k->nents;
    for (int i = 0; i < s->u.block.n; i++) stmt(k, s->u.block.stmts[i], 0);
    k->nents = mark;
    break;
  }
  case VI_S_PRINT:
  case VI_S_REJECT:
  case VI_S_FATAL:
    for (int i = 0; i < s->u.print.n; i++) expr(k, s->u.print.args[i]);
    break;
  case VI_S_BREAK:
  case VI_S_CONTINUE:
    if (!k->loops) vi_error(k->d, s->loc, "'%s' outside a loop", s->kind == VI_S_BREAK ? "break" : "continue");
    break;
  case VI_S_RETURN: {
    if (!k->fun) {
      vi_error(k->d, s->loc, "'return' outside a function");
      break;
    }
    struct vi_type want = k->fun->ret;
    if (!s->u.expr) {
      if (want.base != VI_T_VOID)
        vi_error(k->d, s->loc, "'%s' must return a value of type %s", k->fun->name, tstr(want, tb));
      break;
    }
    struct vi_type t = expr(k, s->u.expr);
    if (want.base == VI_T_VOID)
      vi_error(k->d, s->u.expr->loc, "'%s' is a void function and cannot return a value", k->fun->name);
    else if (!is_err(t) && !assignable(want, t))
      vi_error(k->d, s->u.expr->loc, "'%s' returns %s, but this value is %s", k->fun->name, tstr(want, tb),
               tstr(t, tb2));
    break;
  }
  case VI_S_EXPR: {
    k->void_ok = s->u.expr->kind == VI_E_CALL;
    struct vi_type t = expr(k, s->u.expr);
    k->void_ok = 0;
    if (!is_err(t) && t.base != VI_T_VOID) vi_error(k->d, s->loc, "the value of this expression is not used");
    break;
  }
  case VI_S_EMPTY: break;
  }
}

static int same_signature(const struct vi_fundef *a, const struct vi_fundef *b) {
  if (a->nparams != b->nparams || a->ret.base != b->ret.base || a->ret.ndims != b->ret.ndims) return 0;
  for (int i = 0; i < a->nparams; i++)
    if (a->params[i].type.base != b->params[i].type.base || a->params[i].type.ndims != b->params[i].type.ndims ||
        a->params[i].data_only != b->params[i].data_only)
      return 0;
  return 1;
}

/* Can execution fall off the end of s (no return, reject or fatal_error on
 * every path)? Conservative: loops may run zero times. */
static int falls_through(const struct vi_stmt *s) {
  switch (s->kind) {
  case VI_S_RETURN:
  case VI_S_REJECT:
  case VI_S_FATAL: return 0;
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++)
      if (!falls_through(s->u.block.stmts[i])) return 0;
    return 1;
  case VI_S_IF: return !s->u.ifs.els || falls_through(s->u.ifs.then) || falls_through(s->u.ifs.els);
  default: return 1;
  }
}

/* The functions block: signatures first (so calls may refer to functions
 * defined later, recursion included), then every body in order. */
static void functions(struct checker *k) {
  struct vi_program *p = k->p;
  if (!p->nfuns) return;
  k->canon = vi_arena_array(k->a, (size_t)p->nfuns, sizeof *k->canon);
  if (!k->canon) {
    k->oom = 1;
    return;
  }
  char tb[64];
  for (int i = 0; i < p->nfuns; i++) {
    struct vi_fundef *f = p->funs[i];
    k->canon[i] = f;
    int defines = f->body || f->ext_lib;
    for (int j = 0; j < i; j++) {
      struct vi_fundef *g = p->funs[j];
      if (strcmp(g->name, f->name) != 0) continue;
      int gdefines = g->body || g->ext_lib;
      if (!same_signature(f, g))
        vi_error(k->d, f->loc, "'%s' does not match its declaration at line %d (functions cannot be overloaded)",
                 f->name, g->loc.line);
      else if (defines && gdefines)
        vi_error(k->d, f->loc, "function '%s' is already defined (at line %d)", f->name, g->loc.line);
      else if (!defines && !gdefines)
        vi_error(k->d, f->loc, "function '%s' is already declared (at line %d)", f->name, g->loc.line);
      break;
    }
    for (int j = 0; j < p->nfuns; j++) /* every entry of a name resolves to its first definition */
      if (strcmp(p->funs[j]->name, f->name) == 0 && (p->funs[j]->body || p->funs[j]->ext_lib)) {
        k->canon[i] = p->funs[j];
        break;
      }
    const struct vi_func *b = vi_stdlib_lookup(f->name);
    if (b) {
      struct vi_type ts[64];
      int n = f->nparams < 64 ? f->nparams : 64;
      for (int a = 0; a < n; a++) ts[a] = f->params[a].type;
      if (!is_err(b->rule(ts, n)))
        vi_error(k->d, f->loc, "'%s' is a built-in function with this signature; a user function cannot redefine it",
                 f->name);
    }
    if (ends_with(f->name, "_lpdf") || ends_with(f->name, "_lpmf")) {
      int pmf = ends_with(f->name, "_lpmf");
      if (!f->nparams)
        vi_error(k->d, f->loc, "'%s' needs the variate as its first argument", f->name);
      else if ((f->params[0].type.base == VI_T_INT) != pmf)
        vi_error(k->d, f->params[0].loc, "the first argument of a %s function must be %s, not %s",
                 pmf ? "_lpmf" : "_lpdf", pmf ? "an int or int array" : "real-valued", tstr(f->params[0].type, tb));
      if (f->ret.base != VI_T_REAL || f->ret.ndims != 0)
        vi_error(k->d, f->loc, "'%s' must return real", f->name);
    }
  }
  for (int i = 0; i < p->nfuns; i++) {
    struct vi_fundef *f = p->funs[i];
    if (!f->body && !f->ext_lib && !(k->canon[i]->body || k->canon[i]->ext_lib))
      vi_error(k->d, f->loc, "function '%s' is declared but never defined", f->name);
    if (!f->body) continue;
    k->block = VI_BLK_FUNCTIONS;
    k->fun = f;
    k->fun_first = k->nslots;
    int mark = k->nents;
    for (int a = 0; a < f->nparams; a++) {
      struct vi_decl *pd = vi_arena_alloc(k->a, sizeof *pd);
      if (!pd) {
        k->oom = 1;
        return;
      }
      memset(pd, 0, sizeof *pd);
      pd->name = f->params[a].name;
      pd->loc = f->params[a].loc;
      pd->type = f->params[a].type;
      pd->block = VI_BLK_FUNCTIONS;
      pd->is_local = 1;
      f->params[a].slot = pd->slot = declare(k, pd->name, pd->loc, pd, pd->type);
    }
    stmt(k, f->body, 0);
    if (f->ret.base != VI_T_VOID && falls_through(f->body))
      vi_error(k->d, f->loc, "'%s' can reach the end of its body without returning a value", f->name);
    k->nents = mark;
    f->nslots = k->nslots - k->fun_first;
    k->fun = NULL;
  }
}

int vi_check(struct vi_program *p, struct vi_arena *a, struct vi_symtab *st, struct vi_diags *d) {
  struct checker k;
  memset(&k, 0, sizeof k);
  k.p = p;
  k.d = d;
  k.a = a;
  int before = d->nerrors;
  functions(&k);
  for (int b = VI_BLK_DATA; b < VI_BLK__COUNT; b++) {
    k.block = b;
    int mark = k.nents;
    for (int i = 0; i < p->nbody[b]; i++) {
      struct vi_stmt *s = p->body[b][i];
      int declblock = b == VI_BLK_DATA || b == VI_BLK_PARAMS;
      if (declblock && s->kind != VI_S_DECL) {
        vi_error(d, s->loc, "the %s block holds only declarations", vi_block_name(b));
        continue;
      }
      stmt(&k, s, b != VI_BLK_MODEL);
    }
    if (b == VI_BLK_MODEL) k.nents = mark; /* model-block variables are local to it */
  }
  if (k.oom) vi_error(d, (struct vi_srcloc){p->file, 0, 0}, "out of memory while checking the model");
  st->nslots = k.nslots;
  st->decl = k.slot_decl;
  st->type = k.slot_type;
  st->block = k.slot_block;
  return d->nerrors > before ? VI_ERR_TYPE : VI_OK;
}
