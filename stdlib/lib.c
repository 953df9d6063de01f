/* lib.c: shared type rules and elementwise drivers (stdlib/lib.h). */
#include "lib.h"

#include <stdio.h>
#include <string.h>

int vi_ty_is_reals(struct vi_type t) {
  if (t.ndims == 0) return t.base == VI_T_INT || t.base == VI_T_REAL || t.base == VI_T_VECTOR ||
                           t.base == VI_T_ROW_VECTOR;
  return t.ndims == 1 && (t.base == VI_T_INT || t.base == VI_T_REAL);
}

int vi_ty_is_ints(struct vi_type t) { return t.base == VI_T_INT && t.ndims <= 1; }

struct vi_type vi_rule_unary(const struct vi_type *a, int n) {
  if (n != 1) return vi_ty(VI_T_ERROR, 0);
  switch (a[0].base) {
  case VI_T_INT: return vi_ty(VI_T_REAL, a[0].ndims);
  case VI_T_REAL:
  case VI_T_VECTOR:
  case VI_T_ROW_VECTOR:
  case VI_T_MATRIX: return a[0];
  default: return vi_ty(VI_T_ERROR, 0);
  }
}

struct vi_type vi_rule_density(const struct vi_type *a, int n) {
  if (n < 1) return vi_ty(VI_T_ERROR, 0);
  for (int i = 0; i < n; i++)
    if (!vi_ty_is_reals(a[i])) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}

struct vi_type vi_rule_reduce(const struct vi_type *a, int n) {
  if (n != 1) return vi_ty(VI_T_ERROR, 0);
  if (a[0].base < VI_T_INT || a[0].base > VI_T_MATRIX) return vi_ty(VI_T_ERROR, 0);
  return vi_ty(VI_T_REAL, 0);
}

struct vi_type vi_sig_match(const struct vi_sig *s, size_t ns, const struct vi_type *a, int n) {
  for (size_t k = 0; k < ns; k++) {
    if (s[k].n != n) continue;
    int ok = 1;
    for (int i = 0; ok && i < n; i++) {
      struct vi_type p = s[k].a[i];
      ok = a[i].ndims == p.ndims && (a[i].base == p.base || (p.base == VI_T_REAL && a[i].base == VI_T_INT));
    }
    if (ok) return s[k].r;
  }
  return vi_ty(VI_T_ERROR, 0);
}

int vi_apply_unary(struct vi_ctx *c, struct vi_val *out, struct vi_val *a,
                   const struct vi_opdef *op, struct vi_srcloc loc) {
  int r = vi_val_contig(c, a, loc);
  if (r) return r;
  struct vi_node *n = vi_node_new(c, op, 1, a->n, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, a);
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, a);
  if (out->t.base == VI_T_INT) out->t.base = VI_T_REAL;
  return vi_node_run(c, n, out);
}

static int is_scalar_val(const struct vi_val *v) { return v->t.ndims == 0 && v->t.base <= VI_T_REAL; }

int vi_apply_binary(struct vi_ctx *c, struct vi_val *out, struct vi_val *a, struct vi_val *b,
                    const struct vi_opdef *op, const char *fname, struct vi_srcloc loc) {
  const struct vi_val *shape = is_scalar_val(a) ? b : a;
  if (!is_scalar_val(a) && !is_scalar_val(b)) {
    int same = a->t.ndims == b->t.ndims && a->n == b->n;
    int nd = a->t.ndims + vi_type_nsizes(a->t);
    for (int i = 0; same && i < nd; i++) same = a->dim[i] == b->dim[i];
    if (!same)
      return vi_ctx_error(c, loc, "%s: sizes do not match (%zu and %zu elements)", fname, a->n, b->n);
  }
  int r = vi_val_contig(c, a, loc);
  if (!r) r = vi_val_contig(c, b, loc);
  if (r) return r;
  struct vi_node *n = vi_node_new(c, op, 2, shape->n, loc);
  if (!n) return VI_ERR_NOMEM;
  n->fname = fname;
  vi_node_arg(n, 0, a);
  vi_node_arg(n, 1, b);
  memset(out, 0, sizeof *out);
  vi_val_shape_like(out, shape);
  if (out->t.base == VI_T_INT) out->t.base = VI_T_REAL;
  return vi_node_run(c, n, out);
}
