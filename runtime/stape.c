/* stape.c: the compact scalar tape (include/vi/tape.h, vi_tape_scalar).
 *
 * A segment is one node on the tape holding a run of consecutive scalar
 * operations; a node of any other kind closes it (vi_tape_push), so the
 * tape's order is the evaluation order. */
#include "vi/ops.h"
#include <math.h>
#include <string.h>

#include "vi/tape.h"

struct vi_sop {
  uint32_t op, flags;    /* LOG_SUM_EXP: flags is the operand count */
  double *y;             /* y[0] value, y[1] adjoint */
  union {
    struct {
      const double *x[3]; /* operand values */
      double *dx[3];      /* operand adjoints, NULL when constant */
    } a;
    const struct vi_ref *r; /* LOG_SUM_EXP: its flags operands (arena) */
  } u;
};
_Static_assert(sizeof(struct vi_sop) == 64, "a scalar operation is 64 bytes");

struct vi_seg {
  struct vi_sop *ops;
  double *vals; /* operation i's value and adjoint: vals[2i], vals[2i + 1] (contiguous with the ops' order) */
  double *consts; /* operation i's constant operands, copied: consts[3i + k] (data do not change on replay) */
  struct vi_ref *refs; /* LOG_SUM_EXP operands, in order (4 per operation on average; beyond that the arena) */
  size_t nrefs;
  size_t n, cap;
};

static const double LOG_SQRT_2PI = 0.91893853320467274178;

/* Computes op into y; 1 where the operation fails (NORMAL's argument checks). */
static inline int sop_fwd(const struct vi_sop *o) {
  if (o->op == VI_SOP_LOG_SUM_EXP) {
    const struct vi_ref *r = o->u.r;
    double m = -INFINITY, t = 0;
    for (uint32_t i = 0; i < o->flags; i++)
      if (*r[i].x > m) m = *r[i].x;
    if (m == -INFINITY || m == INFINITY) {
      o->y[0] = m;
      return 0;
    }
    for (uint32_t i = 0; i < o->flags; i++) t += exp(*r[i].x - m);
    o->y[0] = m + log(t);
    return 0;
  }
  const double a = *o->u.a.x[0];
  switch (o->op) {
  case VI_SOP_ADD: o->y[0] = a + *o->u.a.x[1]; return 0;
  case VI_SOP_SUB: o->y[0] = a - *o->u.a.x[1]; return 0;
  case VI_SOP_MUL: o->y[0] = a * *o->u.a.x[1]; return 0;
  case VI_SOP_DIV: o->y[0] = a / *o->u.a.x[1]; return 0;
  case VI_SOP_NEG: o->y[0] = -a; return 0;
  case VI_SOP_EXP: o->y[0] = exp(a); return 0;
  case VI_SOP_LOG: o->y[0] = log(a); return 0;
  case VI_SOP_SQUARE: o->y[0] = a * a; return 0;
  case VI_SOP_SQRT: o->y[0] = sqrt(a); return 0;
  case VI_SOP_INV_LOGIT: o->y[0] = a >= 0 ? 1 / (1 + exp(-a)) : exp(a) / (1 + exp(a)); return 0;
  case VI_SOP_LOG1P_EXP: o->y[0] = a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)); return 0;
  case VI_SOP_NORMAL: {
    const double mu = *o->u.a.x[1], s = *o->u.a.x[2];
    if (isnan(a) || !isfinite(mu) || !(s > 0) || isinf(s)) return 1;
    const double z = (a - mu) / s;
    double v = -0.5 * z * z;
    if (o->flags & VI_SOP_KEEP_LOG_SCALE) v -= log(s);
    if (o->flags & VI_SOP_KEEP_CONST) v -= LOG_SQRT_2PI;
    o->y[0] = v;
    return 0;
  }
  }
  return 1;
}

static inline void sop_bwd(const struct vi_sop *o) {
  const double g = o->y[1];
  o->y[1] = 0; /* consumed: ready for the next sweep */
  if (g == 0) return;
  if (o->op == VI_SOP_LOG_SUM_EXP) {
    const struct vi_ref *r = o->u.r;
    for (uint32_t i = 0; i < o->flags; i++)
      if (r[i].dx) *r[i].dx += g * exp(*r[i].x - o->y[0]);
    return;
  }
  double *const *d = o->u.a.dx;
  const double a = *o->u.a.x[0];
  switch (o->op) {
  case VI_SOP_ADD:
    if (d[0]) *d[0] += g;
    if (d[1]) *d[1] += g;
    return;
  case VI_SOP_SUB:
    if (d[0]) *d[0] += g;
    if (d[1]) *d[1] -= g;
    return;
  case VI_SOP_MUL:
    if (d[0]) *d[0] += g * *o->u.a.x[1];
    if (d[1]) *d[1] += g * a;
    return;
  case VI_SOP_DIV:
    if (d[0]) *d[0] += g / *o->u.a.x[1];
    if (d[1]) *d[1] -= g * o->y[0] / *o->u.a.x[1];
    return;
  case VI_SOP_NEG: *d[0] -= g; return;
  case VI_SOP_EXP: *d[0] += g * o->y[0]; return;
  case VI_SOP_LOG: *d[0] += g / a; return;
  case VI_SOP_SQUARE: *d[0] += 2 * g * a; return;
  case VI_SOP_SQRT: *d[0] += g / (2 * o->y[0]); return;
  case VI_SOP_INV_LOGIT: *d[0] += g * o->y[0] * (1 - o->y[0]); return;
  case VI_SOP_LOG1P_EXP: *d[0] += g * (a >= 0 ? 1 / (1 + exp(-a)) : exp(a) / (1 + exp(a))); return;
  case VI_SOP_NORMAL: {
    const double s = *o->u.a.x[2], z = (a - *o->u.a.x[1]) / s, gz = g * z / s;
    if (d[0]) *d[0] -= gz;
    if (d[1]) *d[1] += gz;
    if (d[2]) *d[2] += g * (z * z - ((o->flags & VI_SOP_KEEP_LOG_SCALE) ? 1 : 0)) / s;
    return;
  }
  }
}

int vi_k_segment_fwd(struct vi_node *n) {
  const struct vi_seg *s = n->p;
  for (size_t i = 0; i < s->n; i++)
    if (sop_fwd(&s->ops[i])) return vi_node_fail(n, "a scalar operation failed");
  return 0;
}

void vi_k_segment_bwd(struct vi_node *n) {
  const struct vi_seg *s = n->p;
  for (size_t i = s->n; i-- > 0;) sop_bwd(&s->ops[i]);
}


/* The open segment with room for one more operation (a new one when full). */
static struct vi_seg *open_segment(struct vi_ctx *c, struct vi_srcloc loc) {
  struct vi_tape *t = c->tape;
  struct vi_seg *s = t->seg ? (struct vi_seg *)t->seg->p : NULL;
  if (s && s->n < s->cap) return s;
  size_t cap = s ? (s->cap < 4096 ? 2 * s->cap : 4096) : 4; /* short runs between nodes stay small */
  struct vi_node *n = vi_node_new(c, VI_OPDEF(SCALAR_SEGMENT), 0, 1, loc);
  if (!n) return NULL;
  s = vi_arena_alloc(c->arena, sizeof *s);
  if (!s || !(s->ops = vi_arena_array(c->arena, cap, sizeof *s->ops)) ||
      !(s->vals = vi_arena_array(c->arena, 2 * cap, sizeof *s->vals)) ||
      !(s->consts = vi_arena_array(c->arena, 3 * cap, sizeof *s->consts)) ||
      !(s->refs = vi_arena_array(c->arena, 4 * cap, sizeof *s->refs)))
    return NULL;
  s->cap = cap;
  n->p = s;
  n->dy = n->y; /* nothing flows through the segment node itself */
  if (vi_tape_push(t, n)) return NULL;
  t->seg = n;
  return s;
}

int vi_tape_scalar(struct vi_ctx *c, int op, const struct vi_ref *args, int nargs, int flags, struct vi_val *out,
                   struct vi_srcloc loc) {
  double first[2] = {0, 0}; /* computed before anything is recorded: a failure records nothing */
  struct vi_sop o = {(uint32_t)op, (uint32_t)flags, first, {{{0}, {0}}}};
  if (op == VI_SOP_LOG_SUM_EXP) {
    o.u.r = args; /* for the first evaluation; kept in the segment below */
    o.flags = (uint32_t)nargs;
  } else {
    for (int i = 0; i < nargs && i < 3; i++) {
      o.u.a.x[i] = args[i].x;
      o.u.a.dx[i] = args[i].dx;
    }
  }
  if (sop_fwd(&o)) return VI_ERR_EVAL;
  struct vi_seg *s = open_segment(c, loc);
  if (!s) return VI_ERR_NOMEM;
  double *y = s->vals + 2 * s->n; /* the values sit beside each other, in the order replay visits them */
  y[0] = first[0];
  o.y = y;
  if (op == VI_SOP_LOG_SUM_EXP) {
    struct vi_ref *r = s->nrefs + (size_t)nargs <= 4 * s->cap ? s->refs + s->nrefs
                                                               : vi_arena_array(c->arena, (size_t)nargs, sizeof *r);
    if (!r) return VI_ERR_NOMEM;
    if (r == s->refs + s->nrefs) s->nrefs += (size_t)nargs;
    memcpy(r, args, (size_t)nargs * sizeof *r);
    o.u.r = r;
  }
  if (op != VI_SOP_LOG_SUM_EXP) /* constants beside the operation instead of wherever they were made */
    for (int i = 0; i < nargs && i < 3; i++)
      if (!o.u.a.dx[i]) {
        double *k = s->consts + 3 * s->n + i;
        *k = *o.u.a.x[i];
        o.u.a.x[i] = k;
      }
  s->ops[s->n++] = o;
  memset(out, 0, sizeof *out);
  out->t.base = VI_T_REAL;
  out->n = 1;
  out->x = y;
  out->dx = y + 1;
  return VI_OK;
}
