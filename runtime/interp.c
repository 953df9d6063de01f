/* interp.c: the statement and expression evaluator (runtime/interp.h).
 *
 * Values are immutable once made, except the private storage of a variable
 * that is assigned element by element: such a slot is "owned" (its ref/ix
 * array belongs to it). When a view of owned storage is handed out (a read of
 * the whole variable or a slice), the slot is marked shared and the next
 * element write copies the storage first, so nodes recorded earlier keep
 * seeing the values they were built from. */
#include "vi/ops.h"
#include "interp.h"

#include "fuse.h"

#include <sys/resource.h>
#include "vi/ffi.h"
#include "vi/ode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define VI_NOINLINE __attribute__((noinline))
#else
#define VI_NOINLINE
#endif

static int oom(struct vi_ctx *c, struct vi_srcloc loc) {
  if (c->arena->limit)
    vi_ctx_error(c, loc, "out of memory: this needs more than the memory limit of %zu MiB", c->arena->limit >> 20);
  else
    vi_ctx_error(c, loc, "out of memory");
  return VI_ERR_NOMEM;
}

int vi_interp_init(struct vi_interp *I, const struct vi_program *p, const struct vi_symtab *st,
                   struct vi_arena *a) {
  memset(I, 0, sizeof *I);
  I->p = p;
  I->st = st;
  size_t n = st->nslots ? (size_t)st->nslots : 1;
  I->slots = vi_arena_array(a, n, sizeof *I->slots);
  I->owned = vi_arena_array(a, n, 1);
  I->shared = vi_arena_array(a, n, 1);
  I->out = stderr;
  I->vloop_min = VI_VLOOP_MIN;
  I->fun_first = vi_arena_array(a, p->nfuns ? (size_t)p->nfuns : 1, sizeof *I->fun_first);
  I->fun_active = vi_arena_array(a, p->nfuns ? (size_t)p->nfuns : 1, sizeof *I->fun_active);
  static const struct {
    int op;
    const char *name;
  } scalar_rows[] = {{VI_SOP_EXP, "exp"},           {VI_SOP_LOG, "log"},
                     {VI_SOP_SQUARE, "square"},     {VI_SOP_SQRT, "sqrt"},
                     {VI_SOP_INV_LOGIT, "inv_logit"}, {VI_SOP_LOG1P_EXP, "log1p_exp"},
                     {VI_SOP_NORMAL, "normal_lpdf"}, {VI_SOP_LOG_SUM_EXP, "log_sum_exp"}};
  for (size_t i = 0; i < sizeof scalar_rows / sizeof scalar_rows[0]; i++)
    I->scalar_fn[scalar_rows[i].op] = vi_stdlib_lookup(scalar_rows[i].name);
  int first = 0;
  for (int i = 0; i < p->nfuns && I->fun_first; i++) {
    I->fun_first[i] = first;
    if (p->funs[i]->body) first += p->funs[i]->nslots;
  }
  return I->slots && I->owned && I->shared && I->fun_first && I->fun_active ? VI_OK : VI_ERR_NOMEM;
}

char *vi_val_shape_str(const struct vi_val *v, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = 0;
  if (v->t.ndims) {
    len += (size_t)snprintf(buf + len, size - len, "array[");
    for (int i = 0; i < v->t.ndims && len < size; i++)
      len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? "," : "", v->dim[i]);
    if (len < size) len += (size_t)snprintf(buf + len, size - len, "] ");
  }
  int k = v->t.ndims;
  if (len >= size) return buf;
  switch (v->t.base) {
  case VI_T_INT: snprintf(buf + len, size - len, "int"); break;
  case VI_T_REAL: snprintf(buf + len, size - len, "real"); break;
  case VI_T_VECTOR: snprintf(buf + len, size - len, "vector[%d]", v->dim[k]); break;
  case VI_T_ROW_VECTOR: snprintf(buf + len, size - len, "row_vector[%d]", v->dim[k]); break;
  case VI_T_MATRIX: snprintf(buf + len, size - len, "matrix[%d,%d]", v->dim[k], v->dim[k + 1]); break;
  default: snprintf(buf + len, size - len, "value"); break;
  }
  return buf;
}

/* ---- gather node: y[i] = x[ia[i]];  dx[ia[i]] += dy[i] ---- */
int vi_k_gather_fwd(struct vi_node *n) {
  const double *x = n->a[0].x;
  const int *ia = n->ia;
  for (size_t i = 0; i < n->n; i++) n->y[i] = x[ia[i]];
  return 0;
}
void vi_k_gather_bwd(struct vi_node *n) {
  double *dx = n->a[0].dx;
  const int *ia = n->ia;
  for (size_t i = 0; i < n->n; i++) dx[ia[i]] += n->dy[i];
}

/* ---- sum node for target += container: y = sum x;  dx += dy ---- */
int vi_k_target_sum_fwd(struct vi_node *n) {
  double s = 0;
  const double *x = n->a[0].x;
  for (size_t i = 0; i < n->a[0].n; i++) s += x[i];
  n->y[0] = s;
  return 0;
}
void vi_k_target_sum_bwd(struct vi_node *n) {
  double g = n->dy[0], *dx = n->a[0].dx;
  for (size_t i = 0; i < n->a[0].n; i++) dx[i] += g;
}

/* ---- target(): y = the sum of the terms so far (one per arg);  dx_k += dy ---- */
int vi_k_target_value_fwd(struct vi_node *n) {
  double s = 0;
  for (int k = 0; k < n->na; k++) s += n->a[k].x[0];
  n->y[0] = s;
  return 0;
}
void vi_k_target_value_bwd(struct vi_node *n) {
  for (int k = 0; k < n->na; k++)
    if (n->a[k].dx) n->a[k].dx[0] += n->dy[0];
}

/* target(): the log density accumulated so far in this evaluation. */
static int eval_target(struct vi_ctx *c, struct vi_val *out, struct vi_srcloc loc) {
  if (!c->tape)
    return vi_ctx_error(c, loc, "target() has no value here (it is only known while the log density is evaluated)");
  if (c->tape->nterms > 0x7fffffff) return vi_ctx_error(c, loc, "too many target terms");
  struct vi_node *n = vi_node_new(c, VI_OPDEF(TARGET_VALUE), (int)c->tape->nterms, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  for (size_t k = 0; k < c->tape->nterms; k++) vi_node_arg_raw(n, (int)k, c->tape->terms[k].x, c->tape->terms[k].dx, 1);
  memset(out, 0, sizeof *out);
  out->t.base = VI_T_REAL;
  out->n = 1;
  return vi_node_run(c, n, out);
}

/* ---- indexing ---- */

struct ixspec {
  int keep;     /* dimension kept in the result */
  int cnt;      /* number of selected positions */
  const int *sel; /* 0-based positions, cnt of them (NULL: lo + i) */
  int lo;
};

static int npos(const struct vi_val *v) { return v->t.ndims + vi_type_nsizes(v->t); }

/* Strides of each position of v's layout. */
static void strides(const struct vi_val *v, size_t *st) {
  int nd = v->t.ndims, ns = vi_type_nsizes(v->t);
  size_t inner = 1;
  if (ns == 1) {
    st[nd] = 1;
    inner = (size_t)v->dim[nd];
  } else if (ns == 2) {
    st[nd] = 1;
    st[nd + 1] = (size_t)v->dim[nd];
    inner = (size_t)v->dim[nd] * (size_t)v->dim[nd + 1];
  }
  size_t s = inner;
  for (int i = nd; i-- > 0;) {
    st[i] = s;
    s *= (size_t)v->dim[i];
  }
}

/* Evaluates the index expressions of e against value a into specs (one per
 * position of a; positions without an index select everything). */
static int eval_indices(struct vi_interp *I, struct vi_ctx *c, const struct vi_val *a, const struct vi_index *ix,
                        int nix, struct ixspec *sp, const char *what) {
  int np = npos(a);
  if (nix > np) return vi_ctx_error(c, ix[0].lo ? ix[0].lo->loc : (struct vi_srcloc){0}, "too many indices");
  for (int p = 0; p < np; p++) {
    int size = a->dim[p];
    struct ixspec *s = &sp[p];
    s->keep = 1;
    s->sel = NULL;
    s->lo = 0;
    s->cnt = size;
    if (p >= nix) continue;
    const struct vi_index *x = &ix[p];
    struct vi_val v;
    int r, lo = 1, hi = size;
    struct vi_srcloc loc = x->lo ? x->lo->loc : x->hi ? x->hi->loc : (struct vi_srcloc){0};
    switch (x->kind) {
    case VI_IX_SINGLE:
      if ((r = vi_interp_eval(I, c, x->lo, &v))) return r;
      if (x->multi) {
        int *sel = vi_arena_array(c->arena, v.n ? v.n : 1, sizeof *sel);
        if (!sel) return oom(c, loc);
        for (size_t i = 0; i < v.n; i++) {
          int k = v.ix[i];
          if (k < 1 || k > size)
            return vi_ctx_error(c, loc, "index %d out of range: %s has size %d at this position (element %zu of the multi-index)",
                                k, what, size, i + 1);
          sel[i] = k - 1;
        }
        s->sel = sel;
        s->cnt = (int)v.n;
      } else {
        int k = v.ix[0];
        if (k < 1 || k > size)
          return vi_ctx_error(c, loc, "index %d out of range: %s has size %d at this position", k, what, size);
        s->keep = 0;
        s->lo = k - 1;
        s->cnt = 1;
      }
      continue;
    case VI_IX_RANGE:
    case VI_IX_LOWER:
      if ((r = vi_interp_eval(I, c, x->lo, &v))) return r;
      lo = v.ix[0];
      if (x->kind == VI_IX_LOWER) break;
      /* fallthrough */
    case VI_IX_UPPER:
      if ((r = vi_interp_eval(I, c, x->hi, &v))) return r;
      hi = v.ix[0];
      break;
    case VI_IX_ALL: break;
    }
    if (hi < lo) { /* empty range */
      s->cnt = 0;
      continue;
    }
    if (lo < 1 || hi > size)
      return vi_ctx_error(c, loc, "range %d:%d out of bounds: %s has size %d at this position", lo, hi, what, size);
    s->lo = lo - 1;
    s->cnt = hi - lo + 1;
  }
  return VI_OK;
}

/* Offsets of the selected elements, in the result's layout order. Returns
 * count; *contig set when they form one run start..start+count-1. */
static int offsets(struct vi_ctx *c, const struct vi_val *a, const struct ixspec *sp, int **out, size_t *count,
                   size_t *start, int *contig, struct vi_srcloc loc) {
  int np = npos(a), nd = a->t.ndims;
  size_t st[VI_MAXDIMS];
  strides(a, st);
  int order[VI_MAXDIMS], no = 0;
  for (int p = 0; p < nd; p++) order[no++] = p;
  if (a->t.base == VI_T_MATRIX) {
    order[no++] = nd + 1;
    order[no++] = nd;
  } else if (np > nd) {
    order[no++] = nd;
  }
  size_t total = 1;
  for (int p = 0; p < np; p++) total *= (size_t)sp[p].cnt;
  *count = total;
  *contig = 1;
  *start = 0;
  int *off = vi_arena_array(c->arena, total ? total : 1, sizeof *off);
  if (!off) return oom(c, loc);
  *out = off;
  if (!total) return VI_OK;
  int ctr[VI_MAXDIMS] = {0};
  for (size_t k = 0; k < total; k++) {
    size_t o = 0;
    for (int q = 0; q < no; q++) {
      int p = order[q];
      int pos = sp[p].sel ? sp[p].sel[ctr[q]] : sp[p].lo + ctr[q];
      o += (size_t)pos * st[p];
    }
    off[k] = (int)o;
    if (k == 0)
      *start = o;
    else if (o != *start + k)
      *contig = 0;
    for (int q = no; q-- > 0;) {
      if (++ctr[q] < sp[order[q]].cnt) break;
      ctr[q] = 0;
    }
  }
  return VI_OK;
}

/* Shape of the result of indexing a with specs sp. */
static void result_shape(const struct vi_val *a, const struct ixspec *sp, struct vi_val *out) {
  int nd = a->t.ndims, k = 0;
  int dims[VI_MAXDIMS];
  for (int p = 0; p < nd; p++)
    if (sp[p].keep) dims[k++] = sp[p].cnt;
  int base = a->t.base;
  if (base == VI_T_VECTOR || base == VI_T_ROW_VECTOR) {
    if (sp[nd].keep)
      dims[k + 0] = sp[nd].cnt;
    else
      base = VI_T_REAL;
  } else if (base == VI_T_MATRIX) {
    int kr = sp[nd].keep, kc = sp[nd + 1].keep;
    if (kr && kc) {
      dims[k] = sp[nd].cnt;
      dims[k + 1] = sp[nd + 1].cnt;
    } else if (kr) {
      base = VI_T_VECTOR;
      dims[k] = sp[nd].cnt;
    } else if (kc) {
      base = VI_T_ROW_VECTOR;
      dims[k] = sp[nd + 1].cnt;
    } else {
      base = VI_T_REAL;
    }
  }
  struct vi_type t = {(uint8_t)base, (uint8_t)k};
  vi_val_set_shape(out, t, dims);
}

static int index_value(struct vi_ctx *c, const struct vi_val *a, const struct ixspec *sp, struct vi_val *out,
                       struct vi_srcloc loc) {
  int *off;
  size_t cnt, start;
  int contig, r;
  if ((r = offsets(c, a, sp, &off, &cnt, &start, &contig, loc))) return r;
  struct vi_val v;
  memset(&v, 0, sizeof v);
  result_shape(a, sp, &v);
  if (a->ix) {
    if (contig) {
      v.ix = a->ix + start;
    } else {
      v.ix = vi_arena_array(c->arena, cnt ? cnt : 1, sizeof(int));
      if (!v.ix) return oom(c, loc);
      for (size_t i = 0; i < cnt; i++) v.ix[i] = a->ix[off[i]];
    }
  } else if (a->x) {
    if (contig) {
      v.x = a->x + start;
      v.dx = a->dx ? a->dx + start : NULL;
    } else if (!a->dx) {
      v.x = vi_arena_array(c->arena, cnt ? cnt : 1, sizeof(double));
      if (!v.x) return oom(c, loc);
      for (size_t i = 0; i < cnt; i++) v.x[i] = a->x[off[i]];
    } else {
      struct vi_node *n = vi_node_new(c, VI_OPDEF(GATHER), 1, cnt, loc);
      if (!n) return VI_ERR_NOMEM;
      n->a[0].x = a->x;
      n->a[0].dx = a->dx;
      n->a[0].n = a->n;
      n->ia = off;
      n->nia = cnt;
      if ((r = vi_node_run(c, n, &v))) return r;
    }
  } else if (a->ref) {
    if (contig && cnt == 1) {
      v.x = a->ref[start].x;
      v.dx = a->ref[start].dx;
    } else if (contig) {
      v.ref = a->ref + start;
    } else {
      v.ref = vi_arena_array(c->arena, cnt ? cnt : 1, sizeof *v.ref);
      if (!v.ref) return oom(c, loc);
      for (size_t i = 0; i < cnt; i++) v.ref[i] = a->ref[off[i]];
    }
  }
  *out = v;
  return VI_OK;
}

/* ---- slot storage ---- */

/* Makes the slot's storage private (ref array for reals, ix for ints). */
static int own_slot(struct vi_interp *I, struct vi_ctx *c, int slot, struct vi_srcloc loc) {
  struct vi_val *v = &I->slots[slot];
  if (I->owned[slot] && !I->shared[slot]) return VI_OK;
  size_t n = v->n ? v->n : 1;
  if (v->t.base == VI_T_INT) {
    int *ix = vi_arena_array(c->arena, n, sizeof *ix);
    if (!ix) return oom(c, loc);
    if (v->ix) memcpy(ix, v->ix, v->n * sizeof *ix);
    v->ix = ix;
  } else {
    struct vi_ref *r = vi_arena_array(c->arena, n, sizeof *r);
    if (!r) return oom(c, loc);
    for (size_t i = 0; i < v->n; i++) r[i] = vi_val_ref(v, i);
    v->ref = r;
    v->x = v->dx = NULL;
  }
  I->owned[slot] = 1;
  I->shared[slot] = 0;
  return VI_OK;
}

static int same_shape(const struct vi_val *a, const struct vi_val *b) {
  if (a->t.ndims != b->t.ndims || vi_type_nsizes(a->t) != vi_type_nsizes(b->t)) return 0;
  for (int i = 0; i < npos(a); i++)
    if (a->dim[i] != b->dim[i]) return 0;
  return 1;
}

/* Converts an int value to real when the target type is real. */
static int promote(struct vi_ctx *c, struct vi_val *v, int base, struct vi_srcloc loc) {
  if (v->t.base == VI_T_INT && base != VI_T_INT) {
    int r = vi_val_contig(c, v, loc);
    if (r) return r;
    v->t.base = VI_T_REAL;
  }
  return VI_OK;
}

int vi_interp_store(struct vi_interp *I, struct vi_ctx *c, int slot, struct vi_val *v, const int *dims,
                    struct vi_srcloc loc) {
  struct vi_type t = I->st->type[slot];
  int r = promote(c, v, t.base, loc);
  if (r) return r;
  if (dims) {
    struct vi_val want;
    memset(&want, 0, sizeof want);
    vi_val_set_shape(&want, t, dims);
    if (!same_shape(&want, v)) {
      char a[96], b[96];
      return vi_ctx_error(c, loc, "size mismatch: '%s' is %s but the value is %s",
                          I->st->decl[slot] ? I->st->decl[slot]->name : "variable", vi_val_shape_str(&want, a, sizeof a),
                          vi_val_shape_str(v, b, sizeof b));
    }
  }
  v->t = t;
  I->slots[slot] = *v;
  I->owned[slot] = 0;
  I->shared[slot] = 0;
  return VI_OK;
}

int vi_interp_add_target(struct vi_interp *I, struct vi_ctx *c, struct vi_val *v, struct vi_srcloc loc) {
  (void)I;
  int r = vi_val_contig(c, v, loc);
  if (r) return r;
  if (!c->tape) return VI_OK;
  if (v->n == 1) return vi_tape_add_term_at(c->tape, vi_val_ref(v, 0), loc) ? oom(c, loc) : VI_OK;
  struct vi_node *n = vi_node_new(c, VI_OPDEF(TARGET_SUM), 1, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, v);
  struct vi_val s;
  memset(&s, 0, sizeof s);
  if ((r = vi_node_run(c, n, &s))) return r;
  struct vi_ref ref = {s.x, s.dx};
  return vi_tape_add_term_at(c->tape, ref, loc) ? oom(c, loc) : VI_OK;
}

/* ---- expressions ---- */

static int call_func(struct vi_ctx *c, const struct vi_func *f, struct vi_val *args, int n, int flags,
                     struct vi_val *out, struct vi_srcloc loc) {
  memset(out, 0, sizeof *out);
  int r = f->impl(c, out, args, n, flags, loc);
  if (r) {
    if (c->diags && c->diags->nerrors == 0) vi_ctx_error(c, loc, "%s failed", f->name);
    if (c->diags && c->arena->hit_limit)
      vi_note(c->diags, loc, "the memory limit is %zu MiB", c->arena->limit >> 20);
    return r;
  }
  if (out->t.base == VI_T_INT && c->tape && !c->dynamic)
    for (int i = 0; i < n; i++)
      if (!vi_val_is_const(&args[i])) c->dynamic = 1; /* an int computed from a parameter */
  return VI_OK;
}

static const struct vi_func *op_func(int op) {
  const char *name = NULL;
  switch (op) {
  case VI_OP_ADD: name = "add"; break;
  case VI_OP_SUB: name = "subtract"; break;
  case VI_OP_MUL: name = "multiply"; break;
  case VI_OP_DIV: name = "divide"; break;
  case VI_OP_IDIV: name = "int_divide"; break;
  case VI_OP_MOD: name = "modulus"; break;
  case VI_OP_LDIV: name = "mdivide_left"; break;
  case VI_OP_POW:
  case VI_OP_EPOW: name = "pow"; break;
  case VI_OP_EMUL: name = "elt_multiply"; break;
  case VI_OP_EDIV: name = "elt_divide"; break;
  case VI_OP_NEG: name = "minus"; break;
  case VI_OP_TRANSPOSE: name = "transpose"; break;
  default: return NULL;
  }
  return vi_stdlib_lookup(name);
}

static double scalar_of(struct vi_ctx *c, const struct vi_val *v) {
  if (c->tape && !vi_val_is_const(v)) c->dynamic = 1; /* control flow reads a parameter */
  return vi_val_get(v, 0);
}

static int eval_list(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  int n = e->u.list.n, r;
  struct vi_val *el = vi_arena_array(c->arena, (size_t)n, sizeof *el);
  if (!el) return oom(c, e->loc);
  int any_real = 0;
  for (int i = 0; i < n; i++) {
    if ((r = vi_interp_eval(I, c, e->u.list.elems[i], &el[i]))) return r;
    any_real |= el[i].t.base != VI_T_INT;
  }
  memset(out, 0, sizeof *out);
  if (e->kind == VI_E_ARRAY) {
    for (int i = 1; i < n; i++)
      if (!same_shape(&el[0], &el[i]) && !(el[0].t.ndims == 0 && vi_type_nsizes(el[0].t) == 0))
        return vi_ctx_error(c, e->u.list.elems[i]->loc, "array elements have different sizes");
    int dims[VI_MAXDIMS];
    dims[0] = n;
    int np0 = npos(&el[0]);
    if (np0 + 1 > VI_MAXDIMS) return vi_ctx_error(c, e->loc, "too many dimensions");
    for (int i = 0; i < np0; i++) dims[i + 1] = el[0].dim[i];
    struct vi_type t = {e->type.base, e->type.ndims};
    vi_val_set_shape(out, t, dims);
    size_t m = el[0].n;
    if (t.base == VI_T_INT) {
      out->ix = vi_arena_array(c->arena, out->n ? out->n : 1, sizeof(int));
      if (!out->ix) return oom(c, e->loc);
      for (int i = 0; i < n; i++) memcpy(out->ix + (size_t)i * m, el[i].ix, m * sizeof(int));
      return VI_OK;
    }
    out->ref = vi_arena_array(c->arena, out->n ? out->n : 1, sizeof *out->ref);
    if (!out->ref) return oom(c, e->loc);
    for (int i = 0; i < n; i++) {
      if ((r = promote(c, &el[i], VI_T_REAL, e->loc))) return r;
      for (size_t j = 0; j < m; j++) out->ref[(size_t)i * m + j] = vi_val_ref(&el[i], j);
    }
    (void)any_real;
    return vi_val_contig(c, out, e->loc);
  }
  /* [ ... ]: row vector of scalars, or matrix of row vectors */
  if (e->type.base == VI_T_ROW_VECTOR) {
    int dims[1] = {n};
    vi_val_set_shape(out, e->type, dims);
    out->ref = vi_arena_array(c->arena, n ? (size_t)n : 1, sizeof *out->ref);
    if (!out->ref) return oom(c, e->loc);
    for (int i = 0; i < n; i++) {
      if ((r = promote(c, &el[i], VI_T_REAL, e->loc))) return r;
      out->ref[i] = vi_val_ref(&el[i], 0);
    }
    return vi_val_contig(c, out, e->loc);
  }
  int cols = n ? el[0].dim[0] : 0;
  for (int i = 1; i < n; i++)
    if (el[i].dim[0] != cols)
      return vi_ctx_error(c, e->u.list.elems[i]->loc, "matrix rows have different sizes (%d and %d)", cols, el[i].dim[0]);
  int dims[2] = {n, cols};
  vi_val_set_shape(out, e->type, dims);
  out->ref = vi_arena_array(c->arena, out->n ? out->n : 1, sizeof *out->ref);
  if (!out->ref) return oom(c, e->loc);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < cols; j++) out->ref[(size_t)j * (size_t)n + (size_t)i] = vi_val_ref(&el[i], (size_t)j);
  return vi_val_contig(c, out, e->loc);
}

static const char *expr_name(const struct vi_expr *e) {
  while (e->kind == VI_E_INDEX) e = e->u.index.a;
  return e->kind == VI_E_VAR ? e->u.var.name : "the value";
}

/* ---- user functions ---- */

static int fun_index(const struct vi_interp *I, const struct vi_fundef *fd) {
  for (int i = 0; i < I->p->nfuns; i++)
    if (I->p->funs[i] == fd) return i;
  return -1;
}

void vi_interp_enter(struct vi_interp *I, const void *frame) {
  I->stack_base = frame;
  if (!I->stack_limit) {
    struct rlimit rl;
    size_t lim = (size_t)8 << 20;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) lim = (size_t)rl.rlim_cur;
    I->stack_limit = lim / 2; /* the other half is for kernels and the caller */
  }
}

int vi_interp_stack_check(struct vi_interp *I, struct vi_ctx *c, struct vi_srcloc loc) {
  if (!I->stack_base) return VI_OK;
  char here;
  const char *h = &here;
  if (h < I->stack_base && (size_t)(I->stack_base - h) > I->stack_limit) {
    if (I->cur_fn)
      return vi_ctx_error(c, loc, "recursion too deep in '%s' (%d calls): the C stack limit of %zu KiB is reached",
                          I->cur_fn, I->depth, I->stack_limit >> 10);
    return vi_ctx_error(c, loc, "evaluation nests too deeply: the C stack limit of %zu KiB is reached",
                        I->stack_limit >> 10);
  }
  return VI_OK;
}

int vi_interp_call_user(struct vi_interp *I, struct vi_ctx *c, const struct vi_fundef *fd, struct vi_val *args,
                        int nargs, int propto, struct vi_val *out, struct vi_srcloc loc) {
  int r;
  memset(out, 0, sizeof *out);
  for (int i = 0; i < nargs && i < fd->nparams; i++)
    if ((r = promote(c, &args[i], fd->params[i].type.base, loc))) return r;
  if (fd->ext_lib) {
    if (!fd->ext_fn) return vi_ctx_error(c, loc, "the foreign function '%s' is not loaded", fd->name);
    return vi_ffi_call(c, fd->ext_fn, args, nargs, out, loc);
  }
  int fi = fun_index(I, fd);
  if (fi < 0 || !fd->body) return vi_ctx_error(c, loc, "'%s' has no body", fd->name);
  if (I->depth >= VI_INTERP_MAX_DEPTH)
    return vi_ctx_error(c, loc, "recursion too deep in '%s': more than %d calls (limit %d)", fd->name,
                        VI_INTERP_MAX_DEPTH, VI_INTERP_MAX_DEPTH);
  int first = I->fun_first[fi], ns = fd->nslots;
  /* recursion: save the frame of the activation of fd still in progress */
  struct vi_val *saved = NULL;
  uint8_t *sflags = NULL;
  if (I->fun_active[fi] && ns) {
    saved = vi_arena_array(c->arena, (size_t)ns, sizeof *saved);
    sflags = vi_arena_array(c->arena, 2 * (size_t)ns, 1);
    if (!saved || !sflags) return oom(c, loc);
    memcpy(saved, I->slots + first, (size_t)ns * sizeof *saved);
    memcpy(sflags, I->owned + first, (size_t)ns);
    memcpy(sflags + ns, I->shared + first, (size_t)ns);
  }
  for (int i = 0; i < fd->nparams; i++) {
    int slot = fd->params[i].slot;
    struct vi_val v = args[i];
    v.t = fd->params[i].type;
    I->slots[slot] = v;
    I->owned[slot] = 0;
    I->shared[slot] = 0;
  }
  int plain = I->plain_density;
  size_t len = strlen(fd->name);
  if (len > 5 && (strcmp(fd->name + len - 5, "_lpdf") == 0 || strcmp(fd->name + len - 5, "_lpmf") == 0))
    I->plain_density = !propto || plain;
  const char *outer_fn = I->cur_fn;
  I->cur_fn = fd->name;
  I->depth++;
  I->fun_active[fi]++;
  r = vi_interp_exec(I, c, fd->body);
  I->fun_active[fi]--;
  I->depth--;
  I->cur_fn = outer_fn;
  I->plain_density = plain;
  if (r == VI_FLOW_RETURN) {
    *out = I->ret;
    memset(&I->ret, 0, sizeof I->ret);
    r = fd->ret.base == VI_T_VOID ? VI_OK : promote(c, out, fd->ret.base, loc);
  } else if (r == VI_OK && fd->ret.base != VI_T_VOID) {
    r = vi_ctx_error(c, loc, "'%s' ended without returning a value", fd->name);
  } else if (r == VI_FLOW_BREAK || r == VI_FLOW_CONTINUE) {
    r = VI_OK;
  }
  if (r == VI_OK && fd->ret.base == VI_T_VOID) out->t.base = VI_T_VOID;
  if (saved) {
    memcpy(I->slots + first, saved, (size_t)ns * sizeof *saved);
    memcpy(I->owned + first, sflags, (size_t)ns);
    memcpy(I->shared + first, sflags + ns, (size_t)ns);
  }
  return r;
}

/* Calls the user or built-in function named dist+suffix. */
static int call_named(struct vi_interp *I, struct vi_ctx *c, const char *dist, const char *suffix, struct vi_val *args,
                      int n, struct vi_val *out, struct vi_srcloc loc) {
  char name[160];
  snprintf(name, sizeof name, "%s%s", dist, suffix);
  for (int i = 0; i < I->p->nfuns; i++) {
    const struct vi_fundef *fd = I->p->funs[i];
    if (strcmp(fd->name, name) == 0 && (fd->body || fd->ext_lib) && fd->nparams == n)
      return vi_interp_call_user(I, c, fd, args, n, 0, out, loc);
  }
  const struct vi_func *f = vi_stdlib_lookup(name);
  if (!f) return vi_ctx_error(c, loc, "'%s' is not available", name);
  return call_func(c, f, args, n, 0, out, loc);
}

/* The truncation of `y ~ dist(args) T[L, U]` (Stan Reference Manual,
 * "Truncated distributions"): adds -log(F(U) - F(L)) as
 * -log_diff_exp(lcdf(U), lcdf(L)), -lccdf(L) or -lcdf(U); for a discrete
 * distribution the lower bound enters as L - 1 (P(y >= L) = 1 - F(L - 1)).
 * A variate outside [L, U] makes the log density -inf. args[0] is y. */
static int exec_truncation(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s, struct vi_val *args, int n,
                           int discrete) {
  int r;
  struct vi_val lo, hi, t, tmp[2];
  const struct vi_expr *le = s->u.tilde.trunc_lo, *he = s->u.tilde.trunc_hi;
  struct vi_srcloc loc = s->u.tilde.dist_loc;
  if (le && (r = vi_interp_eval(I, c, le, &lo))) return r;
  if (he && (r = vi_interp_eval(I, c, he, &hi))) return r;
  double y = scalar_of(c, &args[0]);
  if ((le && y < scalar_of(c, &lo)) || (he && y > scalar_of(c, &hi))) {
    if ((r = vi_val_real_scalar(c, &t, -INFINITY))) return oom(c, loc);
    return vi_interp_add_target(I, c, &t, s->loc);
  }
  if (le && discrete) { /* L - 1 */
    struct vi_val one;
    if (vi_val_int_scalar(c, &one, 1)) return oom(c, loc);
    tmp[0] = lo;
    tmp[1] = one;
    if ((r = call_func(c, op_func(VI_OP_SUB), tmp, 2, 0, &lo, loc))) return r;
  }
  struct vi_val *a = vi_arena_array(c->arena, (size_t)n, sizeof *a);
  if (!a) return oom(c, loc);
  memcpy(a, args, (size_t)n * sizeof *a);
  if (he) {
    a[0] = hi;
    if ((r = call_named(I, c, s->u.tilde.dist, "_lcdf", a, n, &t, loc))) return r;
    if (le) {
      memcpy(a, args, (size_t)n * sizeof *a);
      a[0] = lo;
      struct vi_val fl;
      if ((r = call_named(I, c, s->u.tilde.dist, "_lcdf", a, n, &fl, loc))) return r;
      tmp[0] = t;
      tmp[1] = fl;
      const struct vi_func *lde = vi_stdlib_lookup("log_diff_exp");
      if (!lde) return vi_ctx_error(c, loc, "log_diff_exp is not available");
      if ((r = call_func(c, lde, tmp, 2, 0, &t, loc))) return r;
    }
  } else {
    a[0] = lo;
    if ((r = call_named(I, c, s->u.tilde.dist, "_lccdf", a, n, &t, loc))) return r;
  }
  struct vi_val neg;
  if ((r = call_func(c, op_func(VI_OP_NEG), &t, 1, 0, &neg, loc))) return r;
  return vi_interp_add_target(I, c, &neg, s->loc);
}

/* ---- fusion's view of the interpreter ---- */

static int fuse_eval(void *ctx, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  return vi_interp_eval(ctx, c, e, out);
}
static size_t fuse_var_len(void *ctx, int slot) { return ((const struct vi_interp *)ctx)->slots[slot].n; }
static struct vi_fuse_env fuse_env(struct vi_interp *I) { return (struct vi_fuse_env){I, fuse_eval, fuse_var_len}; }

/* ---- scalar operations (the compact scalar tape) ---- */

/* Is v one real or int, and is at least one of n such values differentiable? */
static int scalar_operands(const struct vi_val *v, int n) {
  int var = 0;
  for (int i = 0; i < n; i++) {
    if (v[i].n != 1 || v[i].t.ndims || (v[i].t.base != VI_T_REAL && v[i].t.base != VI_T_INT)) return 0;
    var |= !vi_val_is_const(&v[i]);
  }
  return var;
}

/* Records op over the scalars v as one scalar operation (VI_FUSE_NO where
 * it does not apply or fails: the caller then takes the stdlib's path,
 * which computes the same value or reports the failure). */
static int scalar_op(struct vi_ctx *c, int op, struct vi_val *v, int n, int flags, struct vi_val *out,
                     struct vi_srcloc loc) {
  if (!c->tape || !scalar_operands(v, n)) return VI_FUSE_NO;
  struct vi_ref refs[3];
  for (int i = 0; i < n; i++) {
    if (v[i].t.base == VI_T_INT) {
      double *k = vi_arena_alloc(c->arena, sizeof *k);
      if (!k) return oom(c, loc);
      *k = v[i].ix[0];
      refs[i] = (struct vi_ref){k, NULL};
    } else {
      refs[i] = vi_val_ref(&v[i], 0);
    }
  }
  int r = vi_tape_scalar(c, op, refs, n, flags, out, loc);
  if (r == VI_ERR_NOMEM) return oom(c, loc);
  return r ? VI_FUSE_NO : VI_OK;
}

/* normal_lpdf over three scalars; propto drops the constants as `~` does. */
static int scalar_normal(struct vi_ctx *c, struct vi_val *args, int propto, struct vi_val *out, struct vi_srcloc loc) {
  int flags = propto ? (vi_val_is_const(&args[2]) ? 0 : VI_SOP_KEEP_LOG_SCALE)
                     : VI_SOP_KEEP_LOG_SCALE | VI_SOP_KEEP_CONST;
  return scalar_op(c, VI_SOP_NORMAL, args, 3, flags, out, loc);
}

/* log_sum_exp of a short container (or of two scalars) of which something is
 * differentiable: one scalar operation over its elements (an HMM's forward
 * step then needs no pack node and no vector node per state). */
enum { VI_LSE_SCALAR_MAX = 64 };
static int scalar_lse(struct vi_ctx *c, struct vi_val *args, int n, struct vi_val *out, struct vi_srcloc loc) {
  struct vi_ref refs[VI_LSE_SCALAR_MAX];
  int k = 0, var = 0;
  if (n == 2) {
    if (!scalar_operands(args, 2) || args[0].t.base != VI_T_REAL || args[1].t.base != VI_T_REAL) return VI_FUSE_NO;
    refs[k++] = vi_val_ref(&args[0], 0);
    refs[k++] = vi_val_ref(&args[1], 0);
    var = 1;
  } else if (n == 1) {
    const struct vi_val *v = &args[0];
    if (v->t.base == VI_T_INT || v->t.base == VI_T_MATRIX || v->t.ndims > 1 || (v->t.ndims == 1 && v->t.base != VI_T_REAL) ||
        v->n == 0 || v->n > VI_LSE_SCALAR_MAX || (!v->x && !v->ref))
      return VI_FUSE_NO;
    for (size_t i = 0; i < v->n; i++) {
      refs[k] = vi_val_ref(v, i);
      var |= refs[k++].dx != NULL;
    }
  } else {
    return VI_FUSE_NO;
  }
  if (!var) return VI_FUSE_NO;
  int r = vi_tape_scalar(c, VI_SOP_LOG_SUM_EXP, refs, k, 0, out, loc);
  if (r == VI_ERR_NOMEM) return oom(c, loc);
  return r ? VI_FUSE_NO : VI_OK;
}

/* Expression kinds with large frames, kept out of vi_interp_eval (see exec_tilde). */
static VI_NOINLINE int eval_binary(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  int r;
  int op = e->u.bin.op;
  struct vi_val ab[2];
  if (c->tape && (e->type.base == VI_T_VECTOR || e->type.base == VI_T_ROW_VECTOR) && e->type.ndims == 0) {
    struct vi_fuse_env env = fuse_env(I);
    r = vi_fuse_expr(&env, c, e, out);
    if (r != VI_FUSE_NO) return r;
  }
  if ((r = vi_interp_eval(I, c, e->u.bin.a, &ab[0]))) return r;
  if (op == VI_OP_AND || op == VI_OP_OR) {
    double a = scalar_of(c, &ab[0]);
    if (op == VI_OP_AND && a == 0) return vi_val_int_scalar(c, out, 0) ? oom(c, e->loc) : VI_OK;
    if (op == VI_OP_OR && a != 0) return vi_val_int_scalar(c, out, 1) ? oom(c, e->loc) : VI_OK;
    if ((r = vi_interp_eval(I, c, e->u.bin.b, &ab[1]))) return r;
    return vi_val_int_scalar(c, out, scalar_of(c, &ab[1]) != 0) ? oom(c, e->loc) : VI_OK;
  }
  if ((r = vi_interp_eval(I, c, e->u.bin.b, &ab[1]))) return r;
  if (op >= VI_OP_LT && op <= VI_OP_NE) {
    double a = scalar_of(c, &ab[0]), b = scalar_of(c, &ab[1]);
    int v = op == VI_OP_LT ? a < b : op == VI_OP_LE ? a <= b : op == VI_OP_GT ? a > b : op == VI_OP_GE ? a >= b
          : op == VI_OP_EQ ? a == b : a != b;
    return vi_val_int_scalar(c, out, v) ? oom(c, e->loc) : VI_OK;
  }
  static const int sop[] = {[VI_OP_ADD] = VI_SOP_ADD + 1, [VI_OP_SUB] = VI_SOP_SUB + 1, [VI_OP_MUL] = VI_SOP_MUL + 1,
                            [VI_OP_DIV] = VI_SOP_DIV + 1};
  if (op < (int)(sizeof sop / sizeof sop[0]) && sop[op] && !(op == VI_OP_DIV && ab[0].t.base == VI_T_INT &&
                                                             ab[1].t.base == VI_T_INT)) {
    r = scalar_op(c, sop[op] - 1, ab, 2, 0, out, e->loc);
    if (r != VI_FUSE_NO) return r;
  }
  const struct vi_func *f = op_func(op);
  if (!f) return vi_ctx_error(c, e->loc, "operator %s is not available", vi_op_name(op));
  return call_func(c, f, ab, 2, 0, out, e->loc);
}

/* An ODE solver's right-hand side: the user function, called as any other. */
struct ode_env {
  struct vi_interp *I;
  const struct vi_fundef *fd;
};

static int ode_rhs(void *env, struct vi_ctx *c, struct vi_val *args, int nargs, struct vi_val *out,
                   struct vi_srcloc loc) {
  struct ode_env *E = env;
  return vi_interp_call_user(E->I, c, E->fd, args, nargs, 0, out, loc);
}

/* ode_rk45(f, ...) and the other solvers of include/vi/ode.h: args[0] names f. */
static VI_NOINLINE int eval_ode(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  int r, kind, legacy, tol, n = e->u.call.nargs - 1;
  if (vi_ode_lookup(e->u.call.name, &kind, &legacy, &tol) != VI_OK)
    return vi_ctx_error(c, e->loc, "'%s' is not an ODE solver", e->u.call.name);
  struct vi_val *args = vi_arena_array(c->arena, n > 0 ? (size_t)n : 1, sizeof *args);
  if (!args) return oom(c, e->loc);
  for (int i = 0; i < n; i++)
    if ((r = vi_interp_eval(I, c, e->u.call.args[i + 1], &args[i]))) return r;
  struct ode_env env = {I, e->u.call.fnarg};
  struct vi_ode_rhs rhs = {ode_rhs, &env};
  return vi_ode_solve(c, &rhs, e->u.call.name, kind, legacy, tol, args, n, out, e->loc);
}

static VI_NOINLINE int eval_call(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  int r;
  if (e->u.call.ode) return eval_ode(I, c, e, out);
  const struct vi_func *f = e->u.call.user ? NULL : e->u.call.fn;
  if (!f && !e->u.call.user && e->u.call.nargs == 0 && !strcmp(e->u.call.name, "target"))
    return eval_target(c, out, e->loc);
  if (!f && !e->u.call.user) return vi_ctx_error(c, e->loc, "'%s' cannot be evaluated here", e->u.call.name);
  int n = e->u.call.nargs;
  size_t len = strlen(e->u.call.name);
  int flags = len > 6 && !I->plain_density &&
                      (strcmp(e->u.call.name + len - 6, "_lupdf") == 0 ||
                       strcmp(e->u.call.name + len - 6, "_lupmf") == 0)
                  ? VI_CALL_PROPTO
                  : 0;
  /* a fusable density evaluates its own arguments: try it before evaluating
   * them here, or their nodes would be recorded twice */
  if (f && c->tape && e->u.call.bar && n >= 1) {
    struct vi_fuse_env env = fuse_env(I);
    r = vi_fuse_density(&env, c, f, e->u.call.args[0], e->u.call.args + 1, n - 1, flags, e->loc, out);
    if (r != VI_FUSE_NO) return r;
  }
  struct vi_val *args = vi_arena_array(c->arena, n ? (size_t)n : 1, sizeof *args);
  if (!args) return oom(c, e->loc);
  for (int i = 0; i < n; i++)
    if ((r = vi_interp_eval(I, c, e->u.call.args[i], &args[i]))) return r;
  if (e->u.call.user) return vi_interp_call_user(I, c, e->u.call.user, args, n, flags, out, e->loc);
  if (c->tape && f == I->scalar_fn[VI_SOP_LOG_SUM_EXP] && (r = scalar_lse(c, args, n, out, e->loc)) != VI_FUSE_NO)
    return r;
  if (c->tape && n <= 3) {
    for (int k = 0; k < VI_SOP__COUNT; k++)
      if (I->scalar_fn[k] == f) {
        r = k == VI_SOP_NORMAL ? (n == 3 ? scalar_normal(c, args, flags & VI_CALL_PROPTO, out, e->loc) : VI_FUSE_NO)
                               : (n == 1 ? scalar_op(c, k, args, 1, 0, out, e->loc) : VI_FUSE_NO);
        if (r != VI_FUSE_NO) return r;
        break;
      }
  }
  if ((f->flags & VI_FN_RNG) && !c->rng)
    return vi_ctx_error(c, e->loc, "'%s' needs a random number generator here", f->name);
  return call_func(c, f, args, n, flags, out, e->loc);
}

static VI_NOINLINE int eval_index(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  int r;
  struct vi_val a;
  const struct vi_expr *base = e->u.index.a;
  if (base->kind == VI_E_VAR && I->owned[base->u.var.slot]) {
    /* an element of storage written element by element: read it without
     * marking the whole variable shared (which would make the next element
     * write copy all of it); only a view of the storage is marked */
    int slot = base->u.var.slot;
    a = I->slots[slot];
    struct ixspec sp[VI_MAXDIMS];
    if ((r = eval_indices(I, c, &a, e->u.index.ix, e->u.index.nix, sp, expr_name(e)))) return r;
    if ((r = index_value(c, &a, sp, out, e->loc))) return r;
    /* a view into the storage (a slice): copy just its elements, so that
     * reading a row costs the row, not a copy of the whole variable at the
     * next element write */
    if (out->ix && a.ix && out->ix >= a.ix && out->ix < a.ix + a.n) {
      int *ix = vi_arena_array(c->arena, out->n ? out->n : 1, sizeof *ix);
      if (!ix) return oom(c, e->loc);
      memcpy(ix, out->ix, out->n * sizeof *ix);
      out->ix = ix;
    } else if (out->ref && a.ref && out->ref >= a.ref && out->ref < a.ref + a.n) {
      struct vi_ref *rf = vi_arena_array(c->arena, out->n ? out->n : 1, sizeof *rf);
      if (!rf) return oom(c, e->loc);
      memcpy(rf, out->ref, out->n * sizeof *rf);
      out->ref = rf;
    }
    return VI_OK;
  }
  if ((r = vi_interp_eval(I, c, base, &a))) return r;
  struct ixspec sp[VI_MAXDIMS];
  if ((r = eval_indices(I, c, &a, e->u.index.ix, e->u.index.nix, sp, expr_name(e)))) return r;
  return index_value(c, &a, sp, out, e->loc);
}

int vi_interp_eval(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  int r;
  memset(out, 0, sizeof *out);
  switch (e->kind) {
  case VI_E_INT:
    if (e->u.ival > 2147483647LL || e->u.ival < -2147483647LL)
      return vi_ctx_error(c, e->loc, "integer literal out of range");
    return vi_val_int_scalar(c, out, (int)e->u.ival) ? oom(c, e->loc) : VI_OK;
  case VI_E_REAL: return vi_val_real_scalar(c, out, e->u.rval) ? oom(c, e->loc) : VI_OK;
  case VI_E_STRING:
    out->t.base = VI_T_STRING;
    out->s = e->u.str;
    return VI_OK;
  case VI_E_PAREN: return vi_interp_eval(I, c, e->u.un.a, out);
  case VI_E_VAR: {
    int s = e->u.var.slot;
    *out = I->slots[s];
    if (I->owned[s]) I->shared[s] = 1;
    if (out->t.base == VI_T_ERROR || (!out->x && !out->ix && !out->ref && out->n))
      return vi_ctx_error(c, e->loc, "'%s' is used before it has a value", e->u.var.name);
    return VI_OK;
  }
  case VI_E_UNARY: {
    struct vi_val a;
    if ((r = vi_interp_eval(I, c, e->u.un.a, &a))) return r;
    if (e->u.un.op == VI_OP_PLUS) {
      *out = a;
      return VI_OK;
    }
    if (e->u.un.op == VI_OP_NOT) return vi_val_int_scalar(c, out, scalar_of(c, &a) == 0) ? oom(c, e->loc) : VI_OK;
    if (e->u.un.op == VI_OP_NEG && (r = scalar_op(c, VI_SOP_NEG, &a, 1, 0, out, e->loc)) != VI_FUSE_NO) return r;
    const struct vi_func *f = op_func(e->u.un.op);
    if (!f) return vi_ctx_error(c, e->loc, "operator %s is not available", vi_op_name(e->u.un.op));
    return call_func(c, f, &a, 1, 0, out, e->loc);
  }
  case VI_E_BINARY: return eval_binary(I, c, e, out);
  case VI_E_COND: {
    struct vi_val cv;
    if ((r = vi_interp_eval(I, c, e->u.cond.c, &cv))) return r;
    const struct vi_expr *pick = scalar_of(c, &cv) != 0 ? e->u.cond.a : e->u.cond.b;
    if ((r = vi_interp_eval(I, c, pick, out))) return r;
    return promote(c, out, e->type.base, e->loc);
  }
  case VI_E_CALL: return eval_call(I, c, e, out);
  case VI_E_INDEX: return eval_index(I, c, e, out);
  case VI_E_ARRAY:
  case VI_E_ROWVEC: return eval_list(I, c, e, out);
  }
  return vi_ctx_error(c, e->loc, "cannot evaluate this expression");
}

int vi_interp_size(struct vi_interp *I, struct vi_ctx *c, const struct vi_expr *e, int *out) {
  struct vi_val v;
  int r = vi_interp_eval(I, c, e, &v);
  if (r) return r;
  if (!v.ix) return vi_ctx_error(c, e->loc, "a size must be an int");
  if (v.ix[0] < 0) return vi_ctx_error(c, e->loc, "size %d is negative", v.ix[0]);
  if (v.ix[0] > 1000000000) return vi_ctx_error(c, e->loc, "size %d exceeds the limit 1000000000", v.ix[0]);
  *out = v.ix[0];
  return VI_OK;
}

int vi_interp_decl_dims(struct vi_interp *I, struct vi_ctx *c, const struct vi_decl *d, int *dims) {
  int k = 0, r;
  for (int i = 0; i < d->type.ndims; i++)
    if ((r = vi_interp_size(I, c, d->dims[i], &dims[k++]))) return r;
  if (d->rows && (r = vi_interp_size(I, c, d->rows, &dims[k++]))) return r;
  if (d->cols && (r = vi_interp_size(I, c, d->cols, &dims[k++]))) return r;
  if (d->type.base == VI_T_MATRIX && !d->cols) { /* square: cov_matrix[K] */
    dims[k] = dims[k - 1];
    k++;
  }
  size_t total = 1;
  for (int i = 0; i < k; i++) {
    if (dims[i] && total > ((size_t)1 << 40) / (size_t)dims[i])
      return vi_ctx_error(c, d->loc, "'%s' would have more than 2^40 elements", d->name);
    total *= (size_t)dims[i];
  }
  return VI_OK;
}

/* ---- statements ---- */

static int exec_decl(struct vi_interp *I, struct vi_ctx *c, const struct vi_decl *d) {
  int dims[VI_MAXDIMS], r;
  if ((r = vi_interp_decl_dims(I, c, d, dims))) return r;
  struct vi_val v;
  if (d->init) {
    if ((r = vi_interp_eval(I, c, d->init, &v))) return r;
    return vi_interp_store(I, c, d->slot, &v, dims, d->init->loc);
  }
  /* uninitialised: NaN (reals) or the smallest int, as Stan */
  if (d->type.base == VI_T_INT) {
    if (vi_val_new_int(c, &v, d->type, dims)) return oom(c, d->loc);
    for (size_t i = 0; i < v.n; i++) v.ix[i] = -2147483647 - 1;
  } else {
    if (vi_val_new_real(c, &v, d->type, dims)) return oom(c, d->loc);
    for (size_t i = 0; i < v.n; i++) v.x[i] = NAN;
  }
  I->slots[d->slot] = v;
  I->owned[d->slot] = 0;
  I->shared[d->slot] = 0;
  return VI_OK;
}

static int exec_assign(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  const struct vi_expr *lhs = s->u.assign.lhs;
  struct vi_val rhs;
  int r;
  if ((r = vi_interp_eval(I, c, s->u.assign.rhs, &rhs))) return r;
  if (s->u.assign.op != VI_AS_SET) {
    static const int ops[] = {0, VI_OP_ADD, VI_OP_SUB, VI_OP_MUL, VI_OP_DIV, VI_OP_EMUL, VI_OP_EDIV};
    struct vi_val ab[2];
    if ((r = vi_interp_eval(I, c, lhs, &ab[0]))) return r;
    ab[1] = rhs;
    const struct vi_func *f = op_func(ops[s->u.assign.op]);
    if ((r = call_func(c, f, ab, 2, 0, &rhs, s->u.assign.op_loc))) return r;
  }
  if (lhs->kind == VI_E_VAR) {
    int slot = lhs->u.var.slot;
    struct vi_val *cur = &I->slots[slot];
    if (!same_shape(cur, &rhs) && cur->t.base != VI_T_ERROR) {
      char a[96], b[96];
      return vi_ctx_error(c, s->u.assign.op_loc, "size mismatch in assignment: '%s' is %s but the value is %s",
                          lhs->u.var.name, vi_val_shape_str(cur, a, sizeof a), vi_val_shape_str(&rhs, b, sizeof b));
    }
    return vi_interp_store(I, c, slot, &rhs, NULL, s->u.assign.op_loc);
  }
  /* indexed: write elements into the slot's private storage */
  const struct vi_expr *ve = lhs;
  while (ve->kind == VI_E_INDEX) ve = ve->u.index.a;
  int slot = ve->u.var.slot;
  const struct vi_index *ixs = lhs->u.index.ix;
  int nix = lhs->u.index.nix;
  if (lhs->u.index.a->kind != VI_E_VAR) {
    /* a[i][j] = ...: the same as a[i, j] when every index but the last
     * bracket's is single (each drops its position, so the next bracket
     * indexes the next positions) */
    const struct vi_expr *chain[VI_MAXDIMS];
    int depth = 0, total = 0;
    for (const struct vi_expr *x = lhs; x->kind == VI_E_INDEX; x = x->u.index.a) {
      if (depth == VI_MAXDIMS) return vi_ctx_error(c, lhs->loc, "too many indices");
      chain[depth++] = x;
      total += x->u.index.nix;
    }
    if (total > VI_MAXDIMS) return vi_ctx_error(c, lhs->loc, "too many indices");
    struct vi_index *flat = vi_arena_array(c->arena, (size_t)total, sizeof *flat);
    if (!flat) return oom(c, lhs->loc);
    int k = 0;
    for (int d = depth; d-- > 0;) {
      for (int i = 0; i < chain[d]->u.index.nix; i++) {
        const struct vi_index *x = &chain[d]->u.index.ix[i];
        if (d > 0 && (x->kind != VI_IX_SINGLE || x->multi))
          return vi_ctx_error(c, x->lo ? x->lo->loc : lhs->loc,
                              "assignment through a range or multi-index followed by another index is not "
                              "supported; write the indices in one bracket");
        flat[k++] = *x;
      }
    }
    ixs = flat;
    nix = total;
  }
  struct vi_val *cur = &I->slots[slot];
  struct ixspec sp[VI_MAXDIMS];
  if ((r = eval_indices(I, c, cur, ixs, nix, sp, ve->u.var.name))) return r;
  int *off;
  size_t cnt, start;
  int contig;
  if ((r = offsets(c, cur, sp, &off, &cnt, &start, &contig, lhs->loc))) return r;
  struct vi_val shape;
  memset(&shape, 0, sizeof shape);
  result_shape(cur, sp, &shape);
  if (shape.n != rhs.n || (shape.t.ndims + vi_type_nsizes(shape.t) != npos(&rhs) && rhs.n != 1)) {
    char a[96], b[96];
    return vi_ctx_error(c, s->u.assign.op_loc, "size mismatch in assignment: the left side is %s but the value is %s",
                        vi_val_shape_str(&shape, a, sizeof a), vi_val_shape_str(&rhs, b, sizeof b));
  }
  if ((r = promote(c, &rhs, cur->t.base, s->u.assign.op_loc))) return r;
  if (contig && start == 0 && cnt == cur->n && cnt > 1 && cur->t.base != VI_T_INT) {
    /* every element in order (mu[1:N] = ...): the value replaces the
     * variable whole, with no per-element storage */
    if ((r = vi_val_contig(c, &rhs, s->u.assign.op_loc))) return r;
    struct vi_val v = *cur;
    v.x = rhs.x;
    v.dx = rhs.dx;
    v.ref = NULL;
    v.ix = NULL;
    *cur = v;
    I->owned[slot] = 0;
    I->shared[slot] = 0;
    return VI_OK;
  }
  if ((r = own_slot(I, c, slot, lhs->loc))) return r;
  cur = &I->slots[slot];
  if (cur->t.base == VI_T_INT) {
    for (size_t i = 0; i < cnt; i++) cur->ix[off[i]] = rhs.ix[i];
  } else if (cnt == 1) {
    cur->ref[off[0]] = vi_val_ref(&rhs, 0);
  } else {
    /* read every rhs element before writing: the rhs may view this storage */
    struct vi_ref *tmp = vi_arena_array(c->arena, cnt, sizeof *tmp);
    if (!tmp) return oom(c, lhs->loc);
    for (size_t i = 0; i < cnt; i++) tmp[i] = vi_val_ref(&rhs, i);
    for (size_t i = 0; i < cnt; i++) cur->ref[off[i]] = tmp[i];
  }
  return VI_OK;
}

static int format_args(struct vi_interp *I, struct vi_ctx *c, struct vi_expr *const *args, int n, char *buf,
                       size_t size) {
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < n && len + 1 < size; i++) {
    struct vi_val v;
    int r = vi_interp_eval(I, c, args[i], &v);
    if (r) return r;
    if (v.t.base == VI_T_STRING) {
      len += (size_t)snprintf(buf + len, size - len, "%s", v.s);
      continue;
    }
    int brackets = v.n != 1 || v.t.ndims || vi_type_nsizes(v.t);
    if (brackets && len + 1 < size) buf[len++] = '[', buf[len] = 0;
    for (size_t j = 0; j < v.n && len + 1 < size; j++) {
      double x = vi_val_get(&v, j);
      if (v.t.base == VI_T_INT)
        len += (size_t)snprintf(buf + len, size - len, "%s%d", j ? "," : "", (int)x);
      else
        len += (size_t)snprintf(buf + len, size - len, "%s%g", j ? "," : "", x);
    }
    if (brackets && len + 1 < size) buf[len++] = ']', buf[len] = 0;
  }
  return VI_OK;
}

static int exec_loop_body(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *body, int *stop) {
  if (I->cancel && *I->cancel) { /* Ctrl-C: a loop that never ends must still stop */
    *stop = 1;
    return vi_ctx_error(c, body->loc, "interrupted");
  }
  int r = vi_interp_exec(I, c, body);
  *stop = 0;
  if (r == VI_FLOW_BREAK) {
    *stop = 1;
    return VI_OK;
  }
  if (r == VI_FLOW_CONTINUE) return VI_OK;
  if (r) *stop = 1;
  return r;
}

/* Kept out of vi_interp_exec so that its stack frame stays small: user
 * functions recurse through it. */
static VI_NOINLINE int exec_tilde(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  int r;
  const struct vi_func *f = s->u.tilde.fn;
  int n = s->u.tilde.nargs + 1;
  struct vi_val v;
  if (s->u.tilde.user || s->u.tilde.has_trunc) {
    const struct vi_fundef *uf = s->u.tilde.user;
    struct vi_val *args = vi_arena_array(c->arena, (size_t)n, sizeof *args), *cp;
    if (!args || !(cp = vi_arena_array(c->arena, (size_t)n, sizeof *cp))) return oom(c, s->loc);
    if ((r = vi_interp_eval(I, c, s->u.tilde.lhs, &args[0]))) return r;
    for (int i = 1; i < n; i++)
      if ((r = vi_interp_eval(I, c, s->u.tilde.args[i - 1], &args[i]))) return r;
    memcpy(cp, args, (size_t)n * sizeof *cp);
    if (uf)
      r = vi_interp_call_user(I, c, uf, cp, n, !I->plain_density, &v, s->u.tilde.dist_loc);
    else
      r = call_func(c, f, cp, n, I->plain_density ? 0 : VI_CALL_PROPTO, &v, s->u.tilde.dist_loc);
    if (r || (r = vi_interp_add_target(I, c, &v, s->loc))) return r;
    if (!s->u.tilde.has_trunc) return VI_OK;
    int discrete = uf ? uf->params[0].type.base == VI_T_INT : (f->flags & VI_FN_LPMF) != 0;
    return exec_truncation(I, c, s, args, n, discrete);
  }
  if (c->tape) {
    struct vi_fuse_env env = fuse_env(I);
    r = vi_fuse_density(&env, c, f, s->u.tilde.lhs, s->u.tilde.args, s->u.tilde.nargs, VI_CALL_PROPTO,
                        s->u.tilde.dist_loc, &v);
    if (r != VI_FUSE_NO) return r ? r : vi_interp_add_target(I, c, &v, s->loc);
  }
  struct vi_val *args = vi_arena_array(c->arena, (size_t)n, sizeof *args);
  if (!args) return oom(c, s->loc);
  if ((r = vi_interp_eval(I, c, s->u.tilde.lhs, &args[0]))) return r;
  for (int i = 1; i < n; i++)
    if ((r = vi_interp_eval(I, c, s->u.tilde.args[i - 1], &args[i]))) return r;
  if (f == I->scalar_fn[VI_SOP_NORMAL] && n == 3 &&
      (r = scalar_normal(c, args, 1, &v, s->u.tilde.dist_loc)) != VI_FUSE_NO)
    return r ? r : vi_interp_add_target(I, c, &v, s->loc);
  if ((r = call_func(c, f, args, n, VI_CALL_PROPTO, &v, s->u.tilde.dist_loc))) return r;
  return vi_interp_add_target(I, c, &v, s->loc);
}

static VI_NOINLINE int exec_for(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  int r, stop;
  int lo, hi;
  struct vi_val v;
  if ((r = vi_interp_eval(I, c, s->u.loop.lo, &v))) return r;
  lo = v.ix[0];
  if ((r = vi_interp_eval(I, c, s->u.loop.hi, &v))) return r;
  hi = v.ix[0];
  for (long long i = lo; i <= hi; i++) {
    struct vi_val iv;
    if (vi_val_int_scalar(c, &iv, (int)i)) return oom(c, s->loc);
    I->slots[s->u.loop.slot] = iv;
    r = exec_loop_body(I, c, s->u.loop.body, &stop);
    if (stop) return r;
  }
  return VI_OK;
}

/* A lowered loop: its whole-range form, unless the loop is short (a few
 * iterations run faster as scalar operations than as tiny vectors). Both
 * forms compute the same values. */
/* Does every operation of e that can touch a parameter have a scalar-tape row? */
static int scalar_covered(const struct vi_interp *I, const struct vi_expr *e) {
  if (!e || e->is_data) return 1;
  switch (e->kind) {
  case VI_E_INT:
  case VI_E_REAL:
  case VI_E_VAR: return 1;
  case VI_E_PAREN: return scalar_covered(I, e->u.un.a);
  case VI_E_UNARY: return (e->u.un.op == VI_OP_NEG || e->u.un.op == VI_OP_PLUS) && scalar_covered(I, e->u.un.a);
  case VI_E_BINARY:
    return e->u.bin.op <= VI_OP_DIV && scalar_covered(I, e->u.bin.a) && scalar_covered(I, e->u.bin.b);
  case VI_E_INDEX:
    for (int i = 0; i < e->u.index.nix; i++)
      if (!e->u.index.ix[i].lo || !e->u.index.ix[i].lo->is_data || e->u.index.ix[i].kind != VI_IX_SINGLE) return 0;
    return scalar_covered(I, e->u.index.a);
  case VI_E_CALL: {
    if (e->u.call.user || e->u.call.bar) return 0;
    int k = 0;
    while (k < VI_SOP__COUNT && I->scalar_fn[k] != e->u.call.fn) k++;
    if (k == VI_SOP__COUNT) return 0;
    for (int i = 0; i < e->u.call.nargs; i++)
      if (!scalar_covered(I, e->u.call.args[i])) return 0;
    return 1;
  }
  default: return 0;
  }
}

static int scalar_covered_stmt(const struct vi_interp *I, const struct vi_stmt *s) {
  switch (s->kind) {
  case VI_S_EMPTY: return 1;
  case VI_S_DECL: return scalar_covered(I, s->u.decl->init);
  case VI_S_ASSIGN: /* an accumulation (s += e) is one sum node whole-range, a chain as written */
    return s->u.assign.op == VI_AS_SET && scalar_covered(I, s->u.assign.lhs) && scalar_covered(I, s->u.assign.rhs);
  case VI_S_TARGET: return scalar_covered(I, s->u.expr);
  case VI_S_TILDE: {
    if (I->scalar_fn[VI_SOP_NORMAL] != s->u.tilde.fn || s->u.tilde.nargs != 2 || s->u.tilde.has_trunc) return 0;
    return scalar_covered(I, s->u.tilde.lhs) && scalar_covered(I, s->u.tilde.args[0]) &&
           scalar_covered(I, s->u.tilde.args[1]);
  }
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++)
      if (!scalar_covered_stmt(I, s->u.block.stmts[i])) return 0;
    return 1;
  case VI_S_FOR: return scalar_covered_stmt(I, s->u.loop.body);
  case VI_S_VLOOP: return scalar_covered_stmt(I, s->u.vloop.loop);
  default: return 0;
  }
}

int vi_interp_vloop_min(const struct vi_interp *I, const struct vi_stmt *s) {
  if (I->vloop_min < VI_VLOOP_MIN) return I->vloop_min; /* VI_LOWER=always */
  return scalar_covered_stmt(I, s->u.vloop.loop) ? VI_VLOOP_MIN_SCALAR : I->vloop_min;
}

static VI_NOINLINE int exec_vloop(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  const struct vi_stmt *loop = s->u.vloop.loop;
  struct vi_val lo, hi;
  int r;
  if ((r = vi_interp_eval(I, c, loop->u.loop.lo, &lo)) || (r = vi_interp_eval(I, c, loop->u.loop.hi, &hi))) return r;
  long long n = (long long)hi.ix[0] - lo.ix[0] + 1;
  return vi_interp_exec(I, c, n >= vi_interp_vloop_min(I, s) ? s->u.vloop.whole : loop);
}

static VI_NOINLINE int exec_foreach(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  int r, stop;
  struct vi_val cv;
  if ((r = vi_interp_eval(I, c, s->u.loop.lo, &cv))) return r;
  int count = cv.t.ndims ? cv.dim[0] : (int)cv.n;
  for (int i = 0; i < count; i++) {
    struct ixspec sp[VI_MAXDIMS];
    for (int p = 0; p < npos(&cv); p++) sp[p] = (struct ixspec){1, cv.dim[p], NULL, 0};
    if (cv.t.ndims) {
      sp[0] = (struct ixspec){0, 1, NULL, i};
    } else if (cv.t.base == VI_T_MATRIX) { /* column-major over all elements */
      int rows = cv.dim[0];
      sp[0] = (struct ixspec){0, 1, NULL, i % rows};
      sp[1] = (struct ixspec){0, 1, NULL, i / rows};
    } else {
      sp[0] = (struct ixspec){0, 1, NULL, i};
    }
    struct vi_val ev;
    if ((r = index_value(c, &cv, sp, &ev, s->loc))) return r;
    I->slots[s->u.loop.slot] = ev;
    r = exec_loop_body(I, c, s->u.loop.body, &stop);
    if (stop) return r;
  }
  return VI_OK;
}

static VI_NOINLINE int exec_print(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  int r;
  char buf[1024];
  if ((r = format_args(I, c, s->u.print.args, s->u.print.n, buf, sizeof buf))) return r;
  if (I->print_ok && I->out) fprintf(I->out, "%s\n", buf);
  return VI_OK;
}

static VI_NOINLINE int exec_reject(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  int r;
  char buf[1024];
  if ((r = format_args(I, c, s->u.print.args, s->u.print.n, buf, sizeof buf))) return r;
  c->dynamic = 1; /* never replay a tape that ended in a rejection */
  return vi_ctx_error(c, s->loc, "%s: %s", s->kind == VI_S_REJECT ? "reject" : "fatal_error", buf);
}

int vi_interp_exec(struct vi_interp *I, struct vi_ctx *c, const struct vi_stmt *s) {
  if (I->stack_base && vi_interp_stack_check(I, c, s->loc)) return VI_ERR_LIMIT;
  int r, stop;
  switch (s->kind) {
  case VI_S_DECL: return exec_decl(I, c, s->u.decl);
  case VI_S_ASSIGN: return exec_assign(I, c, s);
  case VI_S_TILDE: return exec_tilde(I, c, s);
  case VI_S_TARGET: {
    struct vi_val v;
    if ((r = vi_interp_eval(I, c, s->u.expr, &v))) return r;
    return vi_interp_add_target(I, c, &v, s->loc);
  }
  case VI_S_FOR: return exec_for(I, c, s);
  case VI_S_FOREACH: return exec_foreach(I, c, s);
  case VI_S_WHILE:
    for (long long iter = 0;; iter++) {
      struct vi_val v;
      if ((r = vi_interp_eval(I, c, s->u.loop.lo, &v))) return r;
      if (scalar_of(c, &v) == 0) return VI_OK;
      r = exec_loop_body(I, c, s->u.loop.body, &stop);
      if (stop) return r;
    }
  case VI_S_IF: {
    struct vi_val v;
    if ((r = vi_interp_eval(I, c, s->u.ifs.cond, &v))) return r;
    if (scalar_of(c, &v) != 0) return vi_interp_exec(I, c, s->u.ifs.then);
    return s->u.ifs.els ? vi_interp_exec(I, c, s->u.ifs.els) : VI_OK;
  }
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++)
      if ((r = vi_interp_exec(I, c, s->u.block.stmts[i]))) return r;
    return VI_OK;
  case VI_S_PRINT: return exec_print(I, c, s);
  case VI_S_REJECT:
  case VI_S_FATAL: return exec_reject(I, c, s);
  case VI_S_BREAK: return VI_FLOW_BREAK;
  case VI_S_CONTINUE: return VI_FLOW_CONTINUE;
  case VI_S_RETURN:
    if (!I->depth) return vi_ctx_error(c, s->loc, "return outside a function");
    memset(&I->ret, 0, sizeof I->ret);
    if (s->u.expr) {
      struct vi_val v;
      if ((r = vi_interp_eval(I, c, s->u.expr, &v))) return r;
      I->ret = v;
    }
    return VI_FLOW_RETURN;
  case VI_S_EXPR: {
    struct vi_val v;
    return vi_interp_eval(I, c, s->u.expr, &v);
  }
  case VI_S_EMPTY: return VI_OK;
  case VI_S_VLOOP: return exec_vloop(I, c, s);
  }
  return VI_OK;
}
