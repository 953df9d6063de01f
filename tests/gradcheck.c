/* gradcheck.c: value and gradient checks driven by the stdlib table's test
 * specs (tests/gradcheck.h, format in stdlib/README.md). */
#include "gradcheck.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/arena.h"
#include "vi/diag.h"
#include "vi/rng.h"
#include "vi/ops.h"
#include "vi/tape.h"

enum { GC_MAXARGS = 8, GC_MAXN = 4096 };

enum gc_kind {
  GC_REAL, GC_INT, GC_VEC, GC_ROWVEC, GC_MAT, GC_ARR, GC_IARR,
  GC_SPD, GC_CHOL, GC_SIMPLEX, GC_CORR, GC_CHOLCORR, GC_ORDERED, GC_ARRVEC, GC_STOCH
};

struct gc_arg {
  int kind;        /* enum gc_kind */
  int data;        /* `d:` prefix: never differentiable */
  int rows, cols;  /* sizes (vectors: rows = size) */
  double lo, hi;   /* range of uniform draws */
  struct vi_type t;
  int dims[2];
  size_t n;        /* number of elements */
  double *x;       /* drawn values (reals) */
  int *ix;         /* drawn values (ints) */
  double *lx, *ldx; /* leaf buffers when differentiable */
  int lit[32];     /* `ia=1:3:4`: literal int array values */
  int nlit;        /* their count, 0 if drawn */
};

struct gc_sig {
  int fail;  /* `!`: must fail */
  int flags; /* `@N` */
  int na;
  struct gc_arg a[GC_MAXARGS];
};

/* The checker's state for one row. */
struct gc {
  const struct vi_func *f;
  struct vi_arena arena;
  struct vi_tape tape;
  struct vi_diags diags;
  struct vi_rng rng;
  struct vi_ctx ctx;
  char *msg;
  size_t cap, len;
  const char *sigtext; /* current signature, for messages */
  int siglen;
  int sigfail;         /* this signature already failed */
  unsigned *cover;     /* per enum vi_opcode: signatures whose gradient check passed with that op on the tape, or NULL */
};

static void gc_report(struct gc *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gc_report(struct gc *g, const char *fmt, ...) {
  g->sigfail = 1;
  if (g->len + 1 >= g->cap) return;
  int k = snprintf(g->msg + g->len, g->cap - g->len, "%s(%.*s): ", g->f->name, g->siglen, g->sigtext);
  if (k > 0) g->len = g->len + (size_t)k < g->cap ? g->len + (size_t)k : g->cap - 1;
  va_list ap;
  va_start(ap, fmt);
  k = vsnprintf(g->msg + g->len, g->cap - g->len, fmt, ap);
  va_end(ap);
  if (k > 0) g->len = g->len + (size_t)k < g->cap ? g->len + (size_t)k : g->cap - 1;
  if (g->len + 2 < g->cap) {
    g->msg[g->len++] = '\n';
    g->msg[g->len] = 0;
  }
}

static struct vi_type gc_ty(int base, int ndims) {
  struct vi_type t = {(unsigned char)base, (unsigned char)ndims};
  return t;
}

static char *gc_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* ---- parsing ---- */

static int parse_uint(const char **p, int *out) {
  if (!isdigit((unsigned char)**p)) return 0;
  long v = strtol(*p, (char **)p, 10);
  if (v < 0 || v > GC_MAXN) return -1;
  *out = (int)v;
  return 1;
}

/* One argument spec in [s, e). Returns 0 on success. */
static int parse_arg(const char *s, const char *e, struct gc_arg *a) {
  memset(a, 0, sizeof *a);
  if (e - s >= 2 && s[0] == 'd' && s[1] == ':') {
    a->data = 1;
    s += 2;
  }
  static const struct {
    const char *pre;
    int kind;
  } kinds[] = {{"ordered", GC_ORDERED},   {"av", GC_ARRVEC},  {"stoch", GC_STOCH},
               {"cholcorr", GC_CHOLCORR}, {"chol", GC_CHOL}, {"corr", GC_CORR},
               {"simplex", GC_SIMPLEX},   {"spd", GC_SPD},   {"rv", GC_ROWVEC},
               {"ia", GC_IARR},           {"r", GC_REAL},    {"i", GC_INT},
               {"v", GC_VEC},             {"m", GC_MAT},     {"a", GC_ARR}};
  size_t k = 0;
  for (; k < sizeof kinds / sizeof kinds[0]; k++)
    if (strncmp(s, kinds[k].pre, strlen(kinds[k].pre)) == 0) break;
  if (k == sizeof kinds / sizeof kinds[0]) return -1;
  a->kind = kinds[k].kind;
  s += strlen(kinds[k].pre);
  if (a->kind == GC_IARR && s < e && *s == '=') { /* literal values */
    while (s < e && (*s == '=' || *s == ':')) {
      char *q;
      long v = strtol(s + 1, &q, 10);
      if (q == s + 1 || a->nlit == (int)(sizeof a->lit / sizeof a->lit[0])) return -1;
      a->lit[a->nlit++] = (int)v;
      s = q;
    }
    while (s < e && isspace((unsigned char)*s)) s++;
    if (s != e) return -1;
    a->t = gc_ty(VI_T_INT, 1);
    a->n = (size_t)a->nlit;
    a->rows = a->cols = a->nlit;
    a->dims[0] = a->dims[1] = a->nlit;
    a->data = 1;
    return 0;
  }
  a->rows = a->cols = 3;
  a->lo = -2;
  a->hi = 2;
  if (a->kind == GC_INT || a->kind == GC_IARR) a->lo = 0, a->hi = 5;
  if (a->kind != GC_REAL && a->kind != GC_INT) {
    int r = parse_uint(&s, &a->rows);
    if (r < 0) return -1;
    if (r && (a->kind == GC_MAT || a->kind == GC_ARRVEC)) {
      if (*s != 'x') return -1;
      s++;
      if (parse_uint(&s, &a->cols) != 1) return -1;
    } else if (a->kind != GC_MAT && a->kind != GC_ARRVEC) {
      a->cols = a->rows;
    }
  }
  if (s < e && *s == '[') {
    char *q;
    a->lo = strtod(s + 1, &q);
    if (*q != ',') return -1;
    a->hi = strtod(q + 1, &q);
    if (*q != ']' || a->hi < a->lo) return -1;
    s = q + 1;
  }
  while (s < e && isspace((unsigned char)*s)) s++;
  if (s != e) return -1;
  switch (a->kind) {
  case GC_REAL: a->t = gc_ty(VI_T_REAL, 0); a->n = 1; break;
  case GC_INT: a->t = gc_ty(VI_T_INT, 0); a->n = 1; break;
  case GC_ARRVEC: a->t = gc_ty(VI_T_VECTOR, 1); a->n = (size_t)a->rows * (size_t)a->cols; break;
  case GC_VEC:
  case GC_ORDERED:
  case GC_SIMPLEX: a->t = gc_ty(VI_T_VECTOR, 0); a->n = (size_t)a->rows; break;
  case GC_ROWVEC: a->t = gc_ty(VI_T_ROW_VECTOR, 0); a->n = (size_t)a->rows; break;
  case GC_ARR: a->t = gc_ty(VI_T_REAL, 1); a->n = (size_t)a->rows; break;
  case GC_IARR: a->t = gc_ty(VI_T_INT, 1); a->n = (size_t)a->rows; break;
  default: a->t = gc_ty(VI_T_MATRIX, 0); a->n = (size_t)a->rows * (size_t)a->cols; break;
  }
  a->dims[0] = a->rows;
  a->dims[1] = a->cols;
  if (a->kind == GC_INT || a->kind == GC_IARR) a->data = 1;
  return 0;
}

/* One signature in [s, e). Returns 0 on success. */
static int parse_sig(const char *s, const char *e, struct gc_sig *sig) {
  memset(sig, 0, sizeof *sig);
  while (s < e && isspace((unsigned char)*s)) s++;
  while (e > s && isspace((unsigned char)e[-1])) e--;
  if (s < e && *s == '!') sig->fail = 1, s++;
  const char *at = NULL;
  for (const char *p = s; p < e; p++)
    if (*p == '@') at = p;
  if (at) {
    char *q;
    sig->flags = (int)strtol(at + 1, &q, 10);
    if (q != e || q == at + 1) return -1;
    e = at;
  }
  if (s == e) return 0; /* no arguments */
  int depth = 0;
  const char *start = s;
  for (const char *p = s; p <= e; p++) {
    if (p < e && *p == '[') depth++;
    if (p < e && *p == ']') depth--;
    if (p == e || (*p == ',' && depth == 0)) {
      if (sig->na == GC_MAXARGS) return -1;
      while (start < p && isspace((unsigned char)*start)) start++;
      if (parse_arg(start, p, &sig->a[sig->na++])) return -1;
      start = p + 1;
    }
  }
  return 0;
}

/* ---- drawing ---- */

static double unif(struct vi_rng *r, double lo, double hi) { return lo + (hi - lo) * vi_rng_uniform(r); }

/* Lower Cholesky factor of the n x n column-major SPD matrix s into l. */
static void cholesky(const double *s, double *l, int n) {
  memset(l, 0, sizeof *l * (size_t)n * (size_t)n);
  for (int j = 0; j < n; j++) {
    double d = s[j + j * n];
    for (int k = 0; k < j; k++) d -= l[j + k * n] * l[j + k * n];
    l[j + j * n] = sqrt(d);
    for (int i = j + 1; i < n; i++) {
      double v = s[i + j * n];
      for (int k = 0; k < j; k++) v -= l[i + k * n] * l[j + k * n];
      l[i + j * n] = v / l[j + j * n];
    }
  }
}

/* A random SPD matrix A A^T / n + I. */
static void draw_spd(struct vi_rng *r, double *s, int n) {
  double *a = malloc(sizeof *a * (size_t)n * (size_t)n + 1);
  for (int i = 0; i < n * n; i++) a[i] = vi_rng_normal(r);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double v = i == j ? 1 : 0;
      for (int k = 0; k < n; k++) v += a[i + k * n] * a[j + k * n] / n;
      s[i + j * n] = v;
    }
  free(a);
}

static void draw_arg(struct vi_rng *r, struct gc_arg *a) {
  int n = a->rows;
  switch (a->kind) {
  case GC_INT:
  case GC_IARR:
    if (a->nlit) {
      memcpy(a->ix, a->lit, sizeof(int) * (size_t)a->nlit);
      break;
    }
    for (size_t i = 0; i < a->n; i++) {
      double span = a->hi - a->lo + 1;
      a->ix[i] = (int)(a->lo + floor(vi_rng_uniform(r) * span));
    }
    break;
  case GC_SPD: draw_spd(r, a->x, n); break;
  case GC_CORR:
  case GC_CHOL:
  case GC_CHOLCORR: {
    double *s = malloc(sizeof *s * (size_t)n * (size_t)n + 1);
    draw_spd(r, s, n);
    if (a->kind != GC_CHOL) {
      double *d = malloc(sizeof *d * (size_t)n + 1);
      for (int i = 0; i < n; i++) d[i] = sqrt(s[i + i * n]);
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) s[i + j * n] /= d[i] * d[j];
      free(d);
    }
    if (a->kind == GC_CORR) memcpy(a->x, s, sizeof *s * a->n);
    else cholesky(s, a->x, n);
    free(s);
    break;
  }
  case GC_STOCH: /* each row a simplex */
    for (int r0 = 0; r0 < n; r0++) {
      double t = 0;
      for (int c = 0; c < n; c++) t += a->x[r0 + c * n] = unif(r, 0.2, 1.2);
      for (int c = 0; c < n; c++) a->x[r0 + c * n] /= t;
    }
    break;
  case GC_SIMPLEX: {
    double t = 0;
    for (size_t i = 0; i < a->n; i++) t += a->x[i] = unif(r, 0.2, 1.2);
    for (size_t i = 0; i < a->n; i++) a->x[i] /= t;
    break;
  }
  case GC_ORDERED: /* sorted uniform draws (insertion sort) */
    for (size_t i = 0; i < a->n; i++) {
      double v = unif(r, a->lo, a->hi);
      size_t j = i;
      for (; j > 0 && a->x[j - 1] > v; j--) a->x[j] = a->x[j - 1];
      a->x[j] = v;
    }
    break;
  default:
    for (size_t i = 0; i < a->n; i++) a->x[i] = unif(r, a->lo, a->hi);
  }
}

/* ---- evaluation ---- */

static int is_leaf(const struct gc_arg *a) { return !a->data; }

/* Calls the impl once: with_tape selects leaves (x = lx, dx = ldx) and a
 * tape; otherwise every argument is a constant copy. */
static int gc_eval(struct gc *g, struct gc_sig *s, int with_tape, struct vi_val *out) {
  vi_arena_reset(&g->arena);
  vi_tape_clear(&g->tape);
  vi_diags_clear(&g->diags);
  memset(&g->ctx, 0, sizeof g->ctx);
  g->ctx.arena = &g->arena;
  g->ctx.tape = with_tape ? &g->tape : NULL;
  g->ctx.rng = &g->rng;
  g->ctx.diags = &g->diags;
  struct vi_val args[GC_MAXARGS];
  memset(args, 0, sizeof args);
  memset(out, 0, sizeof *out);
  for (int i = 0; i < s->na; i++) {
    struct gc_arg *a = &s->a[i];
    struct vi_val *v = &args[i];
    if (vi_val_set_shape(v, a->t, a->dims)) return VI_ERR_LIMIT;
    if (a->t.base == VI_T_INT) {
      v->ix = vi_arena_array(&g->arena, a->n ? a->n : 1, sizeof(int));
      if (!v->ix) return VI_ERR_NOMEM;
      memcpy(v->ix, a->ix, sizeof(int) * a->n);
    } else if (with_tape && is_leaf(a)) {
      v->x = a->lx;
      v->dx = a->ldx;
    } else {
      v->x = vi_arena_array(&g->arena, a->n ? a->n : 1, sizeof(double));
      if (!v->x) return VI_ERR_NOMEM;
      memcpy(v->x, with_tape ? a->lx : a->x, sizeof(double) * a->n);
    }
  }
  struct vi_srcloc loc = {"gradcheck.vim", 1, 1};
  return g->f->impl(&g->ctx, out, args, s->na, s->flags, loc);
}

/* Output values as a heap copy of doubles. */
static double *gc_values(const struct vi_val *v) {
  double *y = malloc(sizeof *y * (v->n ? v->n : 1));
  for (size_t i = 0; i < v->n; i++) y[i] = vi_val_get(v, i);
  return y;
}

static int close_enough(double a, double b, double rel) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  if (a == b) return 1;
  return fabs(a - b) <= rel * fmax(1, fmax(fabs(a), fabs(b)));
}

/* sum(w * y) of a fresh taped evaluation, or NAN with *ok = 0. */
static double gc_functional(struct gc *g, struct gc_sig *s, const double *w, size_t nw, int *ok) {
  struct vi_val out;
  *ok = gc_eval(g, s, 1, &out) == VI_OK && out.n == nw;
  if (!*ok) return NAN;
  double t = 0;
  for (size_t i = 0; i < nw; i++) t += w[i] * vi_val_get(&out, i);
  return t;
}

/* A finite-difference direction over one leaf argument. */
enum { DIR_PLAIN, DIR_SYM, DIR_SIMPLEX, DIR_CHOLCORR };
struct gc_dir {
  int arg, kind;
  size_t i, j;
};

/* Sets leaf values to base + t along d (base: the drawn values). */
static void dir_apply(struct gc_sig *s, const struct gc_dir *d, double t) {
  struct gc_arg *a = &s->a[d->arg];
  memcpy(a->lx, a->x, sizeof(double) * a->n);
  a->lx[d->i] += t;
  switch (d->kind) {
  case DIR_SYM: a->lx[d->j] += t; break;
  case DIR_SIMPLEX: a->lx[d->j] -= t; break;
  case DIR_CHOLCORR: {
    double xi = a->x[d->i], xj = a->x[d->j];
    a->lx[d->j] = sqrt(xj * xj + xi * xi - (xi + t) * (xi + t));
    break;
  }
  default: break;
  }
}

/* The directional derivative along d from the leaf gradient g. */
static double dir_grad(const struct gc_sig *s, const struct gc_dir *d, const double *gr) {
  const struct gc_arg *a = &s->a[d->arg];
  switch (d->kind) {
  case DIR_SYM: return gr[d->i] + gr[d->j];
  case DIR_SIMPLEX: return gr[d->i] - gr[d->j];
  case DIR_CHOLCORR: return gr[d->i] - a->x[d->i] / a->x[d->j] * gr[d->j];
  default: return gr[d->i];
  }
}

/* The directions for leaf argument k into dirs (capacity cap); count. */
static size_t dirs_for(const struct gc_sig *s, int k, struct gc_dir *dirs, size_t cap) {
  const struct gc_arg *a = &s->a[k];
  size_t m = 0;
  int n = a->rows;
#define PUSH(KIND, I, J) \
  do { \
    if (m < cap) dirs[m] = (struct gc_dir){k, KIND, (I), (J)}; \
    m++; \
  } while (0)
  switch (a->kind) {
  case GC_SPD:
  case GC_CORR:
    for (int c = 0; c < n; c++)
      for (int r = c; r < n; r++) {
        if (r == c && a->kind == GC_SPD) PUSH(DIR_PLAIN, (size_t)(r + c * n), 0);
        if (r != c) PUSH(DIR_SYM, (size_t)(r + c * n), (size_t)(c + r * n));
      }
    break;
  case GC_CHOL:
    for (int c = 0; c < n; c++)
      for (int r = c; r < n; r++) PUSH(DIR_PLAIN, (size_t)(r + c * n), 0);
    break;
  case GC_CHOLCORR:
    for (int r = 1; r < n; r++)
      for (int c = 0; c < r; c++) PUSH(DIR_CHOLCORR, (size_t)(r + c * n), (size_t)(r + r * n));
    break;
  case GC_SIMPLEX:
    for (size_t i = 0; i + 1 < a->n; i++) PUSH(DIR_SIMPLEX, i, a->n - 1);
    break;
  case GC_STOCH: /* along e_rc - e_r,last within each row */
    for (int r = 0; r < n; r++)
      for (int c = 0; c + 1 < n; c++) PUSH(DIR_SIMPLEX, (size_t)(r + c * n), (size_t)(r + (n - 1) * n));
    break;
  default:
    for (size_t i = 0; i < a->n; i++) PUSH(DIR_PLAIN, i, 0);
  }
#undef PUSH
  return m;
}

static void check_sig(struct gc *g, struct gc_sig *s, unsigned long long seed) {
  vi_rng_seed(&g->rng, seed, 1);
  int nleaf = 0;
  for (int i = 0; i < s->na; i++) {
    struct gc_arg *a = &s->a[i];
    a->x = calloc(a->n + 1, sizeof(double));
    a->ix = calloc(a->n + 1, sizeof(int));
    a->lx = calloc(a->n + 1, sizeof(double));
    a->ldx = calloc(a->n + 1, sizeof(double));
    draw_arg(&g->rng, a);
    memcpy(a->lx, a->x, sizeof(double) * a->n);
    nleaf += is_leaf(a);
  }
  struct vi_val out;
  /* 1. plain evaluation */
  int r0 = gc_eval(g, s, 0, &out);
  char *msg0 = gc_strdup(g->diags.buf ? g->diags.buf : "");
  double *y0 = r0 == VI_OK ? gc_values(&out) : NULL;
  struct vi_val out0 = out;
  if (r0 == VI_OK && g->diags.nerrors)
    gc_report(g, "succeeded but reported an error: %s", msg0);
  if (r0 != VI_OK && !g->diags.nerrors) gc_report(g, "failed without reporting an error");
  if (r0 == VI_OK && g->tape.n) gc_report(g, "recorded %zu nodes without a tape", g->tape.n);
  /* 2. taped evaluation */
  int r1 = gc_eval(g, s, 1, &out);
  const char *msg1 = g->diags.buf ? g->diags.buf : "";
  if (s->fail) {
    if (r0 == VI_OK) gc_report(g, "should fail but succeeded without the tape");
    if (r1 == VI_OK) gc_report(g, "should fail but succeeded with the tape");
    if (r0 != VI_OK && r1 != VI_OK && strcmp(msg0, msg1))
      gc_report(g, "fails differently with the tape:\n  without: %s  with: %s", msg0, msg1);
    goto done;
  }
  if (r0 != VI_OK) gc_report(g, "failed without the tape: %s", msg0);
  if (r1 != VI_OK) gc_report(g, "failed with the tape: %s", msg1);
  if (r0 != VI_OK || r1 != VI_OK) goto done;
  {
    struct vi_type ts[GC_MAXARGS];
    for (int i = 0; i < s->na; i++) ts[i] = s->a[i].t;
    struct vi_type rt = g->f->rule ? g->f->rule(ts, s->na) : gc_ty(VI_T_ERROR, 0);
    if (rt.base != out0.t.base || rt.ndims != out0.t.ndims)
      gc_report(g, "result type {base %d, ndims %d} differs from the rule's {base %d, ndims %d}",
                out0.t.base, out0.t.ndims, rt.base, rt.ndims);
  }
  if (out0.n != out.n || out0.t.base != out.t.base || out0.t.ndims != out.t.ndims) {
    gc_report(g, "result shape differs with the tape (%zu vs %zu elements)", out0.n, out.n);
    goto done;
  }
  if (!(s->flags & VI_CALL_PROPTO))
    for (size_t i = 0; i < out.n; i++) {
      double v = vi_val_get(&out, i);
      if (!close_enough(y0[i], v, 1e-12)) {
        gc_report(g, "value [%zu] is %.17g without the tape but %.17g with it", i, y0[i], v);
        break;
      }
    }
  if (!nleaf) goto done;
  {
    size_t ny = out.n;
    struct vi_srcloc loc = {"gradcheck.vim", 1, 1};
    if (vi_val_contig(&g->ctx, &out, loc) != VI_OK || !out.dx) {
      gc_report(g, "result is constant although arguments are differentiable");
      goto done;
    }
    if (!g->tape.n) {
      gc_report(g, "nothing was recorded on the tape");
      goto done;
    }
    double *w = malloc(sizeof *w * (ny + 1));
    for (size_t i = 0; i < ny; i++) w[i] = unif(&g->rng, -1, 1);
    for (size_t i = 0; i < g->tape.n; i++) {
      struct vi_node *nd = g->tape.nodes[i];
      if (nd->dy) memset(nd->dy, 0, sizeof(double) * nd->n);
    }
    for (int i = 0; i < s->na; i++) memset(s->a[i].ldx, 0, sizeof(double) * s->a[i].n);
    for (size_t i = 0; i < ny; i++) out.dx[i] += w[i];
    for (size_t i = g->tape.n; i-- > 0;) {
      struct vi_node *nd = g->tape.nodes[i];
      if (nd->op->bwd) nd->op->bwd(nd);
    }
    int dynamic = g->ctx.dynamic;
    /* the ops on this tape, credited once the gradient check passes */
    unsigned char seen[VI_OPCODE_COUNT] = {0};
    for (size_t i = 0; i < g->tape.n; i++) {
      const struct vi_node *nd = g->tape.nodes[i];
      enum vi_opcode c = vi_node_op(nd);
      seen[c] = 1;
      if (c != VI_OPCODE_NONE && vi_op_arity[c] >= 0 && nd->na != vi_op_arity[c])
        gc_report(g, "op %s has %d operands, its row in include/vi/ops.def says %d", vi_ops[c].name, nd->na,
                  vi_op_arity[c]);
    }
    /* 3. finite differences along every direction of every leaf */
    for (int k = 0; k < s->na && !g->sigfail; k++) {
      struct gc_arg *a = &s->a[k];
      if (!is_leaf(a)) continue;
      double *gr = malloc(sizeof *gr * (a->n + 1));
      memcpy(gr, a->ldx, sizeof *gr * a->n);
      size_t nd = dirs_for(s, k, NULL, 0);
      struct gc_dir *dirs = malloc(sizeof *dirs * (nd + 1));
      dirs_for(s, k, dirs, nd);
      for (size_t d = 0; d < nd; d++) {
        double h = 1e-6 * fmax(1, fabs(a->x[dirs[d].i]));
        int ok1, ok2;
        dir_apply(s, &dirs[d], h);
        double fp = gc_functional(g, s, w, ny, &ok1);
        dir_apply(s, &dirs[d], -h);
        double fm = gc_functional(g, s, w, ny, &ok2);
        memcpy(a->lx, a->x, sizeof(double) * a->n);
        if (!ok1 || !ok2) {
          gc_report(g, "evaluation failed at argument %d element %zu +- %g", k + 1, dirs[d].i, h);
          break;
        }
        double fd = (fp - fm) / (2 * h), ad = dir_grad(s, &dirs[d], gr);
        if (!(fabs(ad - fd) <= fmax(1e-6 * fabs(fd), 1e-7))) {
          gc_report(g, "gradient of argument %d element %zu: reverse mode %.12g, finite differences %.12g",
                    k + 1, dirs[d].i, ad, fd);
          break;
        }
      }
      free(dirs);
      free(gr);
    }
    if (g->cover && !g->sigfail)
      for (int c = 1; c < VI_OPCODE_COUNT; c++) g->cover[c] += seen[c];
    /* 4. replay the tape at a second draw of the leaves */
    if (!dynamic && !g->sigfail) {
      struct vi_rng r2;
      vi_rng_seed(&r2, seed, 2);
      double *save[GC_MAXARGS] = {0};
      for (int k = 0; k < s->na; k++) {
        struct gc_arg *a = &s->a[k];
        save[k] = malloc(sizeof(double) * (a->n + 1));
        memcpy(save[k], a->x, sizeof(double) * a->n);
        if (is_leaf(a)) draw_arg(&r2, a);
        memcpy(a->lx, a->x, sizeof(double) * a->n);
      }
      struct vi_val o2;
      int r2s = gc_eval(g, s, 1, &o2);
      double *y2 = r2s == VI_OK ? gc_values(&o2) : NULL;
      /* record again at the first point, then move the leaves and replay */
      for (int k = 0; k < s->na; k++) memcpy(s->a[k].lx, save[k], sizeof(double) * s->a[k].n);
      struct vi_val o1;
      if (r2s == VI_OK && gc_eval(g, s, 1, &o1) == VI_OK && o1.n == o2.n) {
        for (int k = 0; k < s->na; k++) memcpy(s->a[k].lx, s->a[k].x, sizeof(double) * s->a[k].n);
        if (vi_tape_forward(&g->tape) != VI_OK) {
          gc_report(g, "tape replay failed: %s", g->tape.err.msg);
        } else {
          for (size_t i = 0; i < o1.n; i++) {
            double v = vi_val_get(&o1, i);
            if (!close_enough(y2[i], v, 1e-12)) {
              gc_report(g, "tape replay gives [%zu] = %.17g, fresh evaluation %.17g", i, v, y2[i]);
              break;
            }
          }
        }
      }
      for (int k = 0; k < s->na; k++) {
        memcpy(s->a[k].x, save[k], sizeof(double) * s->a[k].n);
        free(save[k]);
      }
      free(y2);
    }
    free(w);
  }
done:
  free(msg0);
  free(y0);
  for (int i = 0; i < s->na; i++) {
    free(s->a[i].x);
    free(s->a[i].ix);
    free(s->a[i].lx);
    free(s->a[i].ldx);
  }
}

static unsigned long long hash_name(const char *s) {
  unsigned long long h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static int gradcheck(const struct vi_func *f, const char *spec, unsigned *cover, int *nsig, char *msg,
                     size_t cap) {
  *nsig = 0;
  if (cap) msg[0] = 0;
  if (!spec) return 0;
  struct gc g;
  memset(&g, 0, sizeof g);
  g.f = f;
  g.msg = msg;
  g.cap = cap;
  g.cover = cover;
  vi_arena_init(&g.arena);
  vi_tape_init(&g.tape);
  vi_diags_init(&g.diags);
  int nfail = 0, k = 0;
  for (const char *p = spec;; k++) {
    const char *e = strchr(p, ';');
    if (!e) e = p + strlen(p);
    while (p < e && isspace((unsigned char)*p)) p++;
    g.sigtext = p;
    g.siglen = (int)(e - p);
    g.sigfail = 0;
    struct gc_sig sig;
    if (parse_sig(p, e, &sig)) gc_report(&g, "malformed test spec");
    else check_sig(&g, &sig, hash_name(f->name) + (unsigned long long)k * 7919);
    nfail += g.sigfail;
    (*nsig)++;
    if (!*e) break;
    p = e + 1;
  }
  vi_diags_free(&g.diags);
  vi_tape_free(&g.tape);
  vi_arena_free(&g.arena);
  return nfail;
}

int vi_gradcheck_spec(const struct vi_func *f, const char *spec, int *nsig, char *msg, size_t cap) {
  return gradcheck(f, spec, NULL, nsig, msg, cap);
}

int vi_gradcheck_row(const struct vi_func *f, int *nsig, char *msg, size_t cap) {
  return gradcheck(f, f->test, NULL, nsig, msg, cap);
}

int vi_gradcheck_row_cover(const struct vi_func *f, unsigned *cover, int *nsig, char *msg, size_t cap) {
  return gradcheck(f, f->test, cover, nsig, msg, cap);
}
