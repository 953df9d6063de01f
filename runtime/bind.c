/* bind.c: binds the data block to CSV columns, JSON variables and NAME=VALUE
 * scalars (LANGUAGE.md section 6), infers sizes, checks declared bounds, and
 * runs transformed data. */
#include <errno.h>
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_impl.h"
#include "vi/transform.h"

enum { SRC_NONE, SRC_JSON, SRC_ASSIGN, SRC_COLUMN, SRC_COLUMNS };

struct source {
  int kind;
  struct vi_json *json;
  struct vi_jvar jv;
  const char *value;          /* SRC_ASSIGN */
  struct vi_table *t;
  long *cols;                 /* SRC_COLUMN: 1, SRC_COLUMNS: ncols */
  int ncols;
};

struct binder {
  struct vi_model *m;
  const struct vi_data_inputs *in;
  struct vi_diags *d;
  struct vi_ctx c;
  uint8_t *bound;             /* per slot */
  struct vi_decl **decls;     /* data block declarations in order */
  int ndecls;
};

static struct vi_srcloc file_loc(const char *file) {
  struct vi_srcloc l = {file, 0, 0};
  return l;
}

/* The rule for text coding (LANGUAGE.md section 6, docs/data.md): a column
 * is text when more than half of its non-missing cells are not numbers. A
 * column of numbers with a few text cells (a typo such as 7o) is not text:
 * each of those cells is an error. */
static int column_is_text(const struct vi_column *c) {
  size_t present = c->n - c->n_missing;
  return c->n_text > 0 && 2 * c->n_text > present;
}

static const char *assign_value(const struct vi_data_inputs *in, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < in->nassigns; i++)
    if (strncmp(in->assigns[i], name, n) == 0 && in->assigns[i][n] == '=') return in->assigns[i] + n + 1;
  return NULL;
}


static int match_numbered(struct vi_table *t, const char *name, long *cols, int max, const char *fmt) {
  int k = 0;
  char buf[512];
  for (;; k++) {
    snprintf(buf, sizeof buf, fmt, name, k + 1);
    long c = vi_table_find(t, buf);
    if (c < 0) break;
    if (cols && k < max) cols[k] = c;
  }
  return k;
}

static int find_columns(struct binder *b, const struct vi_decl *dc, struct source *s) {
  for (int i = 0; i < b->m->ntables; i++) {
    struct vi_table *t = b->m->tables[i];
    int k = match_numbered(t, dc->name, NULL, 0, "%s.%d");
    const char *fmt = "%s.%d";
    if (!k) {
      k = match_numbered(t, dc->name, NULL, 0, "%s[%d]");
      fmt = "%s[%d]";
    }
    if (!k) continue;
    s->cols = vi_arena_array(&b->m->data, (size_t)k, sizeof *s->cols);
    if (!s->cols) return VI_ERR_NOMEM;
    match_numbered(t, dc->name, s->cols, k, fmt);
    s->ncols = k;
    s->t = t;
    s->kind = SRC_COLUMNS;
    return VI_OK;
  }
  return VI_OK;
}

static int find_regex_columns(struct binder *b, const struct vi_decl *dc, struct source *s) {
  const struct vi_expr *arg = dc->init->u.call.args[0];
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)arg->u.str, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
  if (!re) {
    char msg[256];
    pcre2_get_error_message(errcode, (PCRE2_UCHAR *)msg, sizeof msg);
    struct vi_srcloc l = arg->loc;
    l.col += (int)erroff + 1;
    vi_error(b->d, l, "invalid regular expression: %s", msg);
    return VI_ERR_DATA;
  }
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int r = VI_OK;
  for (int i = 0; i < b->m->ntables && !s->kind && md; i++) {
    struct vi_table *t = b->m->tables[i];
    size_t nc = vi_table_ncols(t);
    int k = 0;
    for (size_t c = 0; c < nc; c++) {
      const char *name = vi_table_colname(t, c);
      if (pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL) >= 0) k++;
    }
    if (!k) continue;
    s->cols = vi_arena_array(&b->m->data, (size_t)k, sizeof *s->cols);
    if (!s->cols) {
      r = VI_ERR_NOMEM;
      break;
    }
    k = 0;
    for (size_t c = 0; c < nc; c++) {
      const char *name = vi_table_colname(t, c);
      if (pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL) >= 0) s->cols[k++] = (long)c;
    }
    s->ncols = k;
    s->t = t;
    s->kind = SRC_COLUMNS;
  }
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  if (!r && !s->kind) {
    vi_error(b->d, arg->loc, "no column of the data matches the regular expression \"%s\"", arg->u.str);
    return VI_ERR_DATA;
  }
  return r;
}

/* Is the declaration one column's worth (1-D) or several columns (2-D)? */
static int shape_class(const struct vi_decl *dc) {
  int np = dc->type.ndims + vi_type_nsizes(dc->type);
  if (np == 1) return 1;
  if (np == 2 && (dc->type.base == VI_T_MATRIX || dc->type.ndims >= 1)) return 2;
  return np == 0 ? 0 : 3;
}

static int find_source(struct binder *b, const struct vi_decl *dc, struct source *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < b->m->njsons; i++)
    if (vi_json_find(b->m->jsons[i], dc->name, &s->jv) == 0) {
      s->kind = SRC_JSON;
      s->json = b->m->jsons[i];
      return VI_OK;
    }
  int cls = shape_class(dc);
  if (cls == 0) {
    const char *v = assign_value(b->in, dc->name);
    if (v) {
      s->kind = SRC_ASSIGN;
      s->value = v;
    }
    return VI_OK;
  }
  if (dc->init && dc->init->kind == VI_E_CALL && strcmp(dc->init->u.call.name, "columns") == 0)
    return find_regex_columns(b, dc, s);
  if (cls == 1) {
    for (int i = 0; i < b->m->ntables; i++) {
      long c = vi_table_find(b->m->tables[i], dc->name);
      if (c >= 0) {
        s->cols = vi_arena_array(&b->m->data, 1, sizeof *s->cols);
        if (!s->cols) return VI_ERR_NOMEM;
        s->cols[0] = c;
        s->ncols = 1;
        s->t = b->m->tables[i];
        s->kind = SRC_COLUMN;
        return VI_OK;
      }
    }
    return VI_OK;
  }
  if (cls == 2) return find_columns(b, dc, s);
  return VI_OK;
}

/* The size expressions of a declaration, in position order. */
static int size_exprs(const struct vi_decl *dc, const struct vi_expr **e) {
  int k = 0;
  for (int i = 0; i < dc->type.ndims; i++) e[k++] = dc->dims[i];
  if (dc->rows) e[k++] = dc->rows;
  if (dc->cols) e[k++] = dc->cols;
  else if (dc->type.base == VI_T_MATRIX && dc->rows) e[k++] = dc->rows;
  return k;
}

static int bind_decl(struct binder *b, int idx);

/* Tries to infer the int data variable decls[idx] from a later declaration
 * that uses it as a size (or as the upper bound of a text-coded column). */
static int infer(struct binder *b, int idx, int *value, int *found) {
  const struct vi_decl *sv = b->decls[idx];
  *found = 0;
  for (int j = idx + 1; j < b->ndecls && !*found; j++) {
    const struct vi_decl *dc = b->decls[j];
    const struct vi_expr *se[VI_MAXDIMS];
    int ns = size_exprs(dc, se);
    struct source s;
    int r = find_source(b, dc, &s);
    if (r) return r;
    for (int p = 0; p < ns && !*found; p++) {
      if (se[p]->kind != VI_E_VAR || se[p]->u.var.slot != sv->slot) continue;
      if (s.kind == SRC_JSON && p < s.jv.ndims) {
        *value = (int)s.jv.dims[p];
        *found = 1;
      } else if ((s.kind == SRC_COLUMN || s.kind == SRC_COLUMNS) && p == 0) {
        *value = (int)vi_table_nrows(s.t);
        *found = 1;
      } else if (s.kind == SRC_COLUMNS && p == 1) {
        *value = s.ncols;
        *found = 1;
      }
    }
    /* upper bound of a text-coded int column: the number of levels */
    if (!*found && s.kind == SRC_COLUMN && dc->type.base == VI_T_INT && dc->upper &&
        dc->upper->kind == VI_E_VAR && dc->upper->u.var.slot == sv->slot) {
      struct vi_column col;
      vi_table_column(s.t, (size_t)s.cols[0], &col);
      if (column_is_text(&col) && !col.n_missing) {
        *value = (int)col.nlevels;
        *found = 1;
        b->m->levels[sv->slot] = col.levels;
        b->m->nlevels[sv->slot] = col.nlevels;
      }
    }
  }
  return VI_OK;
}

static int is_integral(double x) { return isfinite(x) && x == floor(x) && fabs(x) < 2147483648.0; }

static int check_bounds(struct binder *b, const struct vi_decl *dc, struct vi_val *v, const struct source *s,
                        const int *dims) {
  if (!dc->lower && !dc->upper) return VI_OK;
  struct vi_val lo, hi;
  int r;
  memset(&lo, 0, sizeof lo);
  memset(&hi, 0, sizeof hi);
  if (dc->lower && ((r = vi_interp_eval(&b->m->I, &b->c, dc->lower, &lo)) || (r = vi_val_contig(&b->c, &lo, dc->loc))))
    return r;
  if (dc->upper && ((r = vi_interp_eval(&b->m->I, &b->c, dc->upper, &hi)) || (r = vi_val_contig(&b->c, &hi, dc->loc))))
    return r;
  for (size_t i = 0; i < v->n; i++) {
    double x = vi_val_get(v, i);
    double l = dc->lower ? lo.x[lo.n == 1 ? 0 : i] : -INFINITY, h = dc->upper ? hi.x[hi.n == 1 ? 0 : i] : INFINITY;
    if (x >= l && x <= h) continue;
    int below = !(x >= l);
    double bnd = below ? l : h;
    if (s->kind == SRC_COLUMN || s->kind == SRC_COLUMNS) {
      size_t row, k;
      if (s->kind == SRC_COLUMN) {
        row = i;
        k = 0;
      } else if (dc->type.base == VI_T_MATRIX && dc->type.ndims == 0) {
        row = i % (size_t)dims[0];
        k = i / (size_t)dims[0];
      } else {
        row = i / (size_t)s->ncols;
        k = i % (size_t)s->ncols;
      }
      vi_error(b->d, vi_table_loc(s->t, row, (size_t)s->cols[k]),
               "value %g in column '%s' is %s the %s bound %g of data variable '%s'", x,
               vi_table_colname(s->t, (size_t)s->cols[k]), below ? "below" : "above", below ? "lower" : "upper", bnd,
               dc->name);
    } else if (s->kind == SRC_JSON) {
      vi_error(b->d, vi_json_loc(s->json, dc->name), "element %zu of data variable '%s' is %.17g, %s the %s bound %.17g",
               i + 1, dc->name, x, below ? "below" : "above", below ? "lower" : "upper", bnd);
    } else {
      vi_error(b->d, dc->loc, "data variable '%s' is %.17g, %s the %s bound %.17g", dc->name, x,
               below ? "below" : "above", below ? "lower" : "upper", bnd);
    }
    return VI_ERR_DATA;
  }
  return VI_OK;
}

/* Reports every non-numeric cell of column col (at most a screenful); the
 * column has no missing cells, so its NaN values are exactly those cells. */
static void report_text_cells(struct binder *b, const struct vi_decl *dc, struct vi_table *t, long col,
                              const struct vi_column *c) {
  enum { SHOWN = 10 };
  char cell[64];
  size_t k = 0;
  const char *kind = dc->type.base == VI_T_INT ? "an integer" : "a number";
  for (size_t i = c->first_text; i < c->n && k < SHOWN; i++) {
    if (!isnan(c->num[i])) continue;
    vi_error(b->d, vi_table_loc(t, i, (size_t)col),
             "non-numeric value '%s' in column '%s' (data variable '%s'): expected %s; %zu of the column's %zu "
             "cells are numbers, so it is not read as text",
             vi_table_cell(t, i, (size_t)col, cell, sizeof cell), c->name, dc->name, kind, c->n - c->n_text, c->n);
    k++;
  }
  if (c->n_text > k)
    vi_note(b->d, file_loc(vi_table_file(t)), "%zu more non-numeric cells in column '%s'", c->n_text - k, c->name);
}

/* Reads one table column into values (stride apart), with the checks. */
static int read_column(struct binder *b, const struct vi_decl *dc, struct vi_table *t, long col, double *x, int *ix,
                       size_t stride, size_t off) {
  struct vi_column c;
  vi_table_column(t, (size_t)col, &c);
  char cell[64];
  if (c.n_missing) {
    vi_error(b->d, vi_table_loc(t, c.first_missing, (size_t)col), "missing value in column '%s' (data variable '%s')",
             c.name, dc->name);
    return VI_ERR_DATA;
  }
  int is_int = dc->type.base == VI_T_INT;
  if (c.n_text && !is_int && column_is_text(&c)) {
    vi_error(b->d, vi_table_loc(t, c.first_text, (size_t)col),
             "non-numeric value '%s' in column '%s' (data variable '%s'): a text column binds only to an "
             "array of int (coded 1..L)",
             vi_table_cell(t, c.first_text, (size_t)col, cell, sizeof cell), c.name, dc->name);
    return VI_ERR_DATA;
  }
  if (c.n_text && !column_is_text(&c)) {
    report_text_cells(b, dc, t, col, &c);
    return VI_ERR_DATA;
  }
  if (c.n_text) { /* text coded as levels 1..L */
    for (size_t i = 0; i < c.n; i++) ix[off + i * stride] = c.codes[i];
    return VI_OK;
  }
  if (is_int) {
    if (c.n_nonint) {
      vi_error(b->d, vi_table_loc(t, c.first_nonint, (size_t)col),
               "value %s in column '%s' is not an integer (data variable '%s' is int)",
               vi_table_cell(t, c.first_nonint, (size_t)col, cell, sizeof cell), c.name, dc->name);
      return VI_ERR_DATA;
    }
    for (size_t i = 0; i < c.n; i++) ix[off + i * stride] = (int)c.num[i];
  } else if (x) { /* x NULL: the caller borrows the column */
    if (stride == 1)
      memcpy(x + off, c.num, c.n * sizeof *x);
    else
      for (size_t i = 0; i < c.n; i++) x[off + i * stride] = c.num[i];
  }
  return VI_OK;
}

/* Whether column name is a near match of the data variable name: equal but
 * for case, or within edit distance 2 (1 for names of 3-4 letters, none for
 * shorter ones); a numbered suffix (x.1, x[1]) of the column is ignored.
 */
static int near_match(const char *var, const char *col) {
  size_t n = strlen(col), vn = strlen(var);
  char base[256];
  size_t cut = strcspn(col, ".[");
  if (cut < n && cut < sizeof base) {
    memcpy(base, col, cut);
    base[cut] = 0;
    col = base;
    n = cut;
  }
  if (n == vn && strncasecmp(var, col, n) == 0) return 1;
  if (vn <= 2) return 0;
  int cap = vn <= 4 ? 1 : 2;
  return vi_edit_distance(var, col, cap) <= cap;
}

static void report_missing(struct binder *b, const struct vi_decl *dc) {
  if (b->m->ntables) {
    struct vi_table *t = b->m->tables[0];
    char list[1024], near[512];
    size_t len = 0, nlen = 0;
    list[0] = near[0] = 0;
    for (size_t k = 0; k < vi_table_ncols(t) && len < sizeof list - 8; k++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", vi_table_colname(t, k));
    for (int i = 0; i < b->m->ntables; i++)
      for (size_t k = 0; k < vi_table_ncols(b->m->tables[i]) && nlen < sizeof near - 8; k++) {
        const char *cn = vi_table_colname(b->m->tables[i], k);
        if (near_match(dc->name, cn))
          nlen += (size_t)snprintf(near + nlen, sizeof near - nlen, "%s'%s'", nlen ? ", " : "; did you mean ", cn);
      }
    if (nlen) nlen += (size_t)snprintf(near + nlen, sizeof near - nlen, "?");
    if (shape_class(dc) == 2)
      vi_error(b->d, file_loc(vi_table_file(t)), "no columns '%s.1', '%s.2', ... for data variable '%s' (columns: %s%s)",
               dc->name, dc->name, dc->name, list, near);
    else
      vi_error(b->d, file_loc(vi_table_file(t)), "no column '%s' for data variable '%s' (columns: %s%s)", dc->name,
               dc->name, list, near);
  } else {
    vi_error(b->d, dc->loc, "data variable '%s' is not given (no CSV column or JSON variable has this name)", dc->name);
  }
}

/* Every data variable that takes columns must find them, whatever sizes
 * are still to be inferred: all missing columns are reported at once,
 * before any size is inferred from a column that is there. */
static int check_columns_exist(struct binder *b) {
  if (!b->m->ntables) return VI_OK;
  int missing = 0, r;
  for (int i = 0; i < b->ndecls; i++) {
    const struct vi_decl *dc = b->decls[i];
    int cls = shape_class(dc);
    if ((cls != 1 && cls != 2) || dc->noise) continue;
    struct source s;
    if ((r = find_source(b, dc, &s))) return r;
    if (s.kind != SRC_NONE) continue;
    report_missing(b, dc);
    missing++;
  }
  return missing ? VI_ERR_DATA : VI_OK;
}

/* A text column bound to `array[N] int<upper=K>` labels what K sizes with
 * its levels, however K was given (inferred, NAME=VALUE, JSON), as long as
 * K is the number of levels. */
static void label_by_levels(struct binder *b, const struct vi_decl *dc, const struct source *s) {
  if (s->kind != SRC_COLUMN || dc->type.base != VI_T_INT || !dc->upper || dc->upper->kind != VI_E_VAR) return;
  int slot = dc->upper->u.var.slot;
  if (b->m->st.block[slot] != VI_BLK_DATA || !b->bound[slot] || b->m->levels[slot]) return;
  const struct vi_val *k = &b->m->I.slots[slot];
  struct vi_column col;
  vi_table_column(s->t, (size_t)s->cols[0], &col);
  if (!column_is_text(&col) || k->t.base != VI_T_INT || k->n != 1 || (size_t)k->ix[0] != col.nlevels) return;
  b->m->levels[slot] = col.levels;
  b->m->nlevels[slot] = col.nlevels;
}

static int bind_decl(struct binder *b, int idx) {
  struct vi_decl *dc = b->decls[idx];
  if (b->bound[dc->slot]) return VI_OK;
  const struct vi_expr *se[VI_MAXDIMS];
  int ns = size_exprs(dc, se), r;
  /* sizes that are unbound data variables: bind (or infer) them first */
  for (int p = 0; p < ns; p++) {
    if (se[p]->kind != VI_E_VAR) continue;
    int s = se[p]->u.var.slot;
    if (b->bound[s] || b->m->st.block[s] != VI_BLK_DATA) continue;
    for (int j = 0; j < b->ndecls; j++)
      if (b->decls[j]->slot == s && (r = bind_decl(b, j))) return r;
  }
  struct vi_val v;
  if (dc->noise) { /* __eps_ of a guide's local: not data, standard normals the trainer writes */
    int nd[VI_MAXDIMS];
    if ((r = vi_interp_decl_dims(&b->m->I, &b->c, dc, nd))) return r;
    if (vi_val_new_real(&b->c, &v, dc->type, nd)) {
      vi_error(b->d, dc->loc, "the noise of '%s' is too large", dc->name + 6);
      return VI_ERR_LIMIT;
    }
    memset(v.x, 0, v.n * sizeof *v.x);
    b->bound[dc->slot] = 1;
    b->m->I.slots[dc->slot] = v;
    return VI_OK;
  }
  struct source src;
  if ((r = find_source(b, dc, &src))) return r;
  if (shape_class(dc) == 0 && src.kind == SRC_NONE) {
    int val, found = 0;
    if (dc->type.base == VI_T_INT && (r = infer(b, idx, &val, &found))) return r;
    for (int j = idx + 1; !found && j < b->ndecls; j++) {
      const struct vi_expr *se2[VI_MAXDIMS];
      int ns2 = size_exprs(b->decls[j], se2);
      struct source s2;
      if (ns2 && se2[0]->kind == VI_E_VAR && se2[0]->u.var.slot == dc->slot && !find_source(b, b->decls[j], &s2) &&
          s2.kind == SRC_NONE && b->m->ntables) {
        report_missing(b, b->decls[j]);
        return VI_ERR_DATA;
      }
    }
    if (!found) {
      vi_error(b->d, dc->loc, "data variable '%s' is not given (write %s=VALUE on the command line, or give it in a JSON file)",
               dc->name, dc->name);
      return VI_ERR_DATA;
    }
    if (vi_val_int_scalar(&b->c, &v, val)) return VI_ERR_NOMEM;
    b->bound[dc->slot] = 1;
    b->m->I.slots[dc->slot] = v;
    return check_bounds(b, dc, &v, &src, NULL);
  }
  int dims[VI_MAXDIMS];
  if ((r = vi_interp_decl_dims(&b->m->I, &b->c, dc, dims))) return r;
  int isint = dc->type.base == VI_T_INT;
  /* A real 1-D variable from one column borrows the table's doubles (they
   * live as long as the model): no second copy of a large column. */
  int borrow = src.kind == SRC_COLUMN && !isint;
  /* A matrix whose columns lie one after another in memory (the binary
   * column cache, runtime/cache.c) is already column-major: borrowed too. */
  if (src.kind == SRC_COLUMNS && !isint && dc->type.base == VI_T_MATRIX && dc->type.ndims == 0) {
    struct vi_column c0, ck;
    vi_table_column(src.t, (size_t)src.cols[0], &c0);
    borrow = c0.num != NULL;
    for (int k = 1; borrow && k < src.ncols; k++) {
      vi_table_column(src.t, (size_t)src.cols[k], &ck);
      borrow = ck.num == c0.num + (size_t)k * c0.n;
    }
  }
  if (borrow) {
    memset(&v, 0, sizeof v);
    r = vi_val_set_shape(&v, dc->type, dims) ? VI_ERR_LIMIT : VI_OK;
  } else {
    r = isint ? vi_val_new_int(&b->c, &v, dc->type, dims) : vi_val_new_real(&b->c, &v, dc->type, dims);
  }
  if (r) {
    vi_error(b->d, dc->loc, "data variable '%s' is too large", dc->name);
    return VI_ERR_LIMIT;
  }
  int np = ns;
  switch (src.kind) {
  case SRC_NONE:
    report_missing(b, dc);
    return VI_ERR_DATA;
  case SRC_ASSIGN: {
    char *end;
    errno = 0;
    double x = strtod(src.value, &end);
    if (end == src.value || *end || errno == ERANGE) {
      vi_error(b->d, file_loc(NULL), "command line: %s=%s is not a number", dc->name, src.value);
      return VI_ERR_DATA;
    }
    if (isint) {
      if (!is_integral(x)) {
        vi_error(b->d, file_loc(NULL), "command line: %s=%s is not an integer (data variable '%s' is int)", dc->name,
                 src.value, dc->name);
        return VI_ERR_DATA;
      }
      v.ix[0] = (int)x;
    } else {
      v.x[0] = x;
    }
    break;
  }
  case SRC_JSON: {
    const struct vi_jvar *jv = &src.jv;
    int ok = jv->n == v.n && (jv->ndims == np || (v.n == 0));
    for (int p = 0; ok && p < np && p < jv->ndims; p++) ok = jv->dims[p] == (size_t)dims[p];
    if (!ok) {
      char want[96];
      vi_error(b->d, vi_json_loc(src.json, dc->name), "variable '%s' has %zu values in %d dimensions, but the model declares %s",
               dc->name, jv->n, jv->ndims, vi_val_shape_str(&v, want, sizeof want));
      return VI_ERR_DATA;
    }
    /* JSON is row-major over all positions; ours is column-major inside a matrix */
    size_t st[VI_MAXDIMS], inner = 1;
    int nd = dc->type.ndims;
    for (int p = nd; p < np; p++) inner *= (size_t)dims[p];
    if (np > nd) st[nd] = 1;
    if (np > nd + 1) st[nd + 1] = (size_t)dims[nd];
    size_t s = inner;
    for (int p = nd; p-- > 0;) {
      st[p] = s;
      s *= (size_t)dims[p];
    }
    int ctr[VI_MAXDIMS] = {0};
    for (size_t i = 0; i < jv->n; i++) {
      size_t o = 0;
      for (int p = 0; p < np; p++) o += (size_t)ctr[p] * st[p];
      double x = jv->x[i];
      if (isint) {
        if (!is_integral(x)) {
          vi_error(b->d, vi_json_loc(src.json, dc->name), "element %zu of '%s' is %.17g, not an integer (the variable is int)",
                   i + 1, dc->name, x);
          return VI_ERR_DATA;
        }
        v.ix[o] = (int)x;
      } else {
        v.x[o] = x;
      }
      for (int p = np; p-- > 0;) {
        if (++ctr[p] < dims[p]) break;
        ctr[p] = 0;
      }
    }
    break;
  }
  case SRC_COLUMN:
  case SRC_COLUMNS: {
    size_t rows = vi_table_nrows(src.t);
    const char *first = vi_table_colname(src.t, (size_t)src.cols[0]);
    if ((size_t)dims[0] != rows) {
      const struct vi_expr *e0 = se[0];
      if (e0->kind == VI_E_VAR)
        vi_error(b->d, file_loc(vi_table_file(src.t)), "data variable '%s' is %d but column '%s' has %zu rows",
                 e0->u.var.name, dims[0], first, rows);
      else
        vi_error(b->d, file_loc(vi_table_file(src.t)), "data variable '%s' has %d rows but column '%s' has %zu rows",
                 dc->name, dims[0], first, rows);
      return VI_ERR_DATA;
    }
    if (src.kind == SRC_COLUMNS && np >= 2 && dims[1] != src.ncols) {
      const struct vi_expr *e1 = se[1];
      vi_error(b->d, file_loc(vi_table_file(src.t)), "data variable '%s' is %d but %d columns match '%s'",
               e1->kind == VI_E_VAR ? e1->u.var.name : dc->name, dims[1], src.ncols, dc->name);
      return VI_ERR_DATA;
    }
    int colmajor = dc->type.base == VI_T_MATRIX && dc->type.ndims == 0;
    for (int k = 0; k < src.ncols; k++) {
      size_t stride = colmajor || src.ncols == 1 ? 1 : (size_t)src.ncols;
      size_t off = colmajor ? (size_t)k * rows : (size_t)k;
      if ((r = read_column(b, dc, src.t, src.cols[k], borrow ? NULL : v.x, v.ix, stride, off))) return r;
    }
    if (borrow) {
      struct vi_column col;
      vi_table_column(src.t, (size_t)src.cols[0], &col);
      v.x = (double *)col.num; /* read-only from here on: data is never assigned */
    }
    label_by_levels(b, dc, &src);
    break;
  }
  }
  b->bound[dc->slot] = 1;
  b->m->I.slots[dc->slot] = v;
  return check_bounds(b, dc, &v, &src, dims);
}

int vi_bind_data(struct vi_model *m, const struct vi_data_inputs *in, struct vi_diags *d) {
  int r = VI_OK;
  for (int i = 0; i < in->nfiles; i++) {
    const char *f = in->files[i];
    size_t n = strlen(f);
    if (n > 5 && strcmp(f + n - 5, ".json") == 0) {
      struct vi_json **p = realloc(m->jsons, (size_t)(m->njsons + 1) * sizeof *p);
      if (!p) return VI_ERR_NOMEM;
      m->jsons = p;
      if ((r = vi_json_read(f, &m->jsons[m->njsons], d))) return r;
      m->njsons++;
    } else {
      struct vi_table **p = realloc(m->tables, (size_t)(m->ntables + 1) * sizeof *p);
      if (!p) return VI_ERR_NOMEM;
      m->tables = p;
      r = m->cache_dir ? vi_csv_read_cached(f, m->cache_dir, &m->tables[m->ntables], NULL, d)
                        : vi_csv_read(f, &m->tables[m->ntables], d);
      if (r) return r;
      m->ntables++;
    }
  }
  struct binder b;
  memset(&b, 0, sizeof b);
  b.m = m;
  b.in = in;
  b.d = d;
  b.c.arena = &m->data;
  b.c.diags = d;
  struct vi_rng rng;
  vi_rng_seed(&rng, in->seed, 0x7d);
  b.c.rng = &rng;
  b.bound = vi_arena_array(&m->data, (size_t)m->st.nslots + 1, 1);
  m->levels = vi_arena_array(&m->data, (size_t)m->st.nslots + 1, sizeof *m->levels);
  m->nlevels = vi_arena_array(&m->data, (size_t)m->st.nslots + 1, sizeof *m->nlevels);
  if (!m->levels || !m->nlevels) return VI_ERR_NOMEM;
  const struct vi_program *p = m->prog;
  b.decls = vi_arena_array(&m->data, (size_t)p->nbody[VI_BLK_DATA] + 1, sizeof *b.decls);
  if (!b.bound || !b.decls) return VI_ERR_NOMEM;
  for (int i = 0; i < p->nbody[VI_BLK_DATA]; i++) b.decls[b.ndecls++] = p->body[VI_BLK_DATA][i]->u.decl;
  if ((r = check_columns_exist(&b))) return r;
  for (int i = 0; i < b.ndecls && !r; i++) r = bind_decl(&b, i);
  if (r) return r;
  /* command-line values that name nothing are probably typos */
  for (int i = 0; i < in->nassigns; i++) {
    const char *eq = strchr(in->assigns[i], '=');
    int known = 0;
    for (int j = 0; j < b.ndecls && eq; j++)
      known |= strncmp(b.decls[j]->name, in->assigns[i], (size_t)(eq - in->assigns[i])) == 0 &&
               b.decls[j]->name[eq - in->assigns[i]] == 0;
    if (!known) {
      vi_error(d, file_loc(NULL), "command line: '%s' does not name a variable of the data block", in->assigns[i]);
      return VI_ERR_DATA;
    }
  }
  /* transformed data, once, in double precision */
  m->I.block = VI_BLK_TDATA;
  m->I.print_ok = 1;
  vi_interp_enter(&m->I, __builtin_frame_address(0));
  for (int i = 0; i < p->nbody[VI_BLK_TDATA] && !r; i++) {
    r = vi_interp_exec(&m->I, &b.c, p->body[VI_BLK_TDATA][i]);
    if (r == VI_FLOW_BREAK || r == VI_FLOW_CONTINUE) r = VI_OK;
  }
  m->I.print_ok = 0;
  if (r) return r;
  for (int i = 0; i < p->nbody[VI_BLK_TDATA]; i++) {
    const struct vi_stmt *s = p->body[VI_BLK_TDATA][i];
    if (s->kind != VI_S_DECL) continue;
    const struct vi_decl *dc = s->u.decl;
    if (!dc->lower && !dc->upper) continue;
    struct source none;
    memset(&none, 0, sizeof none);
    struct vi_decl tmp = *dc;
    if ((r = check_bounds(&b, &tmp, &m->I.slots[dc->slot], &none, NULL))) return r;
  }
  /* freeze: data and transformed data become contiguous constants */
  for (int s = 0; s < m->st.nslots; s++) {
    int blk = m->st.block[s];
    if ((blk != VI_BLK_DATA && blk != VI_BLK_TDATA) || !m->st.decl[s]) continue;
    struct vi_val *v = &m->I.slots[s];
    if (v->t.base != VI_T_INT && v->t.base != VI_T_ERROR && (r = vi_val_contig(&b.c, v, m->st.decl[s]->loc))) return r;
    m->I.owned[s] = 0;
    m->I.shared[s] = 0;
  }
  return VI_OK;
}

/* ---- initial values from a CmdStan init file ---- */

/* The JSON values of variable jv (row-major over its nesting) into our
 * layout for a value of type t with dims (arrays outermost, matrices
 * column-major): out[n]. */
static void json_to_layout(const struct vi_jvar *jv, struct vi_type t, const int *dims, int np, double *out) {
  size_t st[VI_MAXDIMS], inner = 1;
  int nd = t.ndims;
  for (int p = nd; p < np; p++) inner *= (size_t)dims[p];
  if (np > nd) st[nd] = 1;
  if (np > nd + 1) st[nd + 1] = (size_t)dims[nd];
  size_t s = inner;
  for (int p = nd; p-- > 0;) {
    st[p] = s;
    s *= (size_t)dims[p];
  }
  int ctr[VI_MAXDIMS] = {0};
  for (size_t i = 0; i < jv->n; i++) {
    size_t o = 0;
    for (int p = 0; p < np; p++) o += (size_t)ctr[p] * st[p];
    out[o] = jv->x[i];
    for (int p = np; p-- > 0;) {
      if (++ctr[p] < dims[p]) break;
      ctr[p] = 0;
    }
  }
}

/* Reads constrained values by parameter name from a JSON file into theta
 * (unconstrained). what: "init" (names not in the model are warnings) or
 * "pinned" (--pin: they are errors); given[i] (may be NULL) is set to 1 for
 * each parameter i the file gives. */
int vi_bind_param_json(struct vi_model *m, const char *path, const char *what, double radius, unsigned long long seed,
                       double *theta, unsigned char *given, struct vi_diags *d) {
  int pin = !strcmp(what, "pinned");
  struct vi_json *j;
  int r = vi_json_read(path, &j, d);
  if (r) return r;
  struct vi_rng rng;
  vi_rng_seed(&rng, seed, 0x1a17);
  vi_arena_reset(&m->scratch);
  struct vi_ctx c = {.arena = &m->scratch, .rng = &rng, .diags = d};
  int nerr = 0;
  for (int i = 0; i < m->nparams && !r; i++) {
    const struct vi_param *pp = &m->params[i];
    const struct vi_decl *dc = pp->decl;
    struct vi_val lo, hi, out, lj;
    struct vi_val *plo = NULL, *phi = NULL;
    memset(&lo, 0, sizeof lo);
    memset(&hi, 0, sizeof hi);
    memset(&out, 0, sizeof out);
    memset(&lj, 0, sizeof lj);
    const struct vi_expr *elo = pp->kind == VI_TR_OFFSET_MULT ? dc->offset : dc->lower;
    const struct vi_expr *ehi = pp->kind == VI_TR_OFFSET_MULT ? dc->multiplier : dc->upper;
    if (elo && ((r = vi_interp_eval(&m->I, &c, elo, &lo)) || (r = vi_val_contig(&c, &lo, elo->loc)))) break;
    if (ehi && ((r = vi_interp_eval(&m->I, &c, ehi, &hi)) || (r = vi_val_contig(&c, &hi, ehi->loc)))) break;
    plo = elo ? &lo : NULL;
    phi = ehi ? &hi : NULL;
    if (vi_val_set_shape(&out, dc->type, pp->dims)) {
      r = VI_ERR_LIMIT;
      break;
    }
    struct vi_jvar jv;
    if (given) given[i] = vi_json_find(j, dc->name, &jv) == 0;
    if (vi_json_find(j, dc->name, &jv) != 0) {
      /* not given: uniform(-R, R) on the unconstrained scale, as CmdStan */
      for (size_t k = 0; k < pp->size; k++) theta[pp->off + k] = radius * (2 * vi_rng_uniform(&rng) - 1);
    } else {
      int np = dc->type.ndims + vi_type_nsizes(dc->type);
      int ok = jv.n == out.n && (jv.ndims == np || (out.n == 0));
      for (int p = 0; ok && p < np && p < jv.ndims; p++) ok = jv.dims[p] == (size_t)pp->dims[p];
      if (!ok) {
        char want[96];
        vi_error(d, vi_json_loc(j, dc->name), "%s value of '%s' has %zu values in %d dimensions, but the parameter is %s",
                 what, dc->name, jv.n, jv.ndims, vi_val_shape_str(&out, want, sizeof want));
        nerr++;
        continue;
      }
      double *y = vi_arena_array(&m->scratch, out.n + 1, sizeof *y);
      if (!y) {
        r = VI_ERR_NOMEM;
        break;
      }
      json_to_layout(&jv, dc->type, pp->dims, np, y);
      char err[256] = "";
      if (vi_transform_unconstrain(pp->kind, y, pp->count, pp->rows, pp->cols, plo ? lo.x : NULL, plo ? lo.n : 0,
                                   phi ? hi.x : NULL, phi ? hi.n : 0, theta + pp->off, err, sizeof err)) {
        vi_error(d, vi_json_loc(j, dc->name), "%s value of '%s' %s", what, dc->name, err[0] ? err : "is not valid");
        nerr++;
        continue;
      }
      for (size_t k = 0; k < pp->size; k++)
        if (!isfinite(theta[pp->off + k])) {
          vi_error(d, vi_json_loc(j, dc->name), "%s value of '%s' is on the boundary of its constraint (the "
                   "value must be strictly inside)", what, dc->name);
          nerr++;
          break;
        }
    }
    /* later bounds may use this parameter */
    if ((r = vi_transform_constrain(&c, pp->kind, theta + pp->off, NULL, pp->count, pp->rows, pp->cols, plo, phi, &out,
                                    &lj, dc->loc)))
      break;
    m->I.slots[dc->slot] = out;
    m->I.owned[dc->slot] = 0;
    m->I.shared[dc->slot] = 0;
  }
  for (size_t k = 0; !r && (!nerr || pin) && k < vi_json_nvars(j); k++) {
    const char *name = vi_json_name(j, k);
    int known = 0;
    for (int i = 0; i < m->nparams && !known; i++) known = !strcmp(m->params[i].decl->name, name);
    if (!known && pin) {
      vi_error(d, vi_json_loc(j, name), "'%s' is not a parameter of the model; it cannot be pinned", name);
      nerr++;
    } else if (!known)
      vi_warning(d, vi_json_loc(j, name), "'%s' is not a parameter; its init value is ignored", name);
  }
  vi_json_free(j);
  if (r == VI_OK && nerr) r = VI_ERR_DATA;
  return r;
}

int vi_model_init_json(struct vi_model *m, const char *path, double radius, unsigned long long seed, double *theta,
                       struct vi_diags *d) {
  return vi_bind_param_json(m, path, "init", radius, seed, theta, NULL, d);
}
