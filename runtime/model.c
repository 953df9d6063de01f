/* model.c: loading, parameter layout, the log density with its gradient
 * (record once, then replay the tape), and constrained outputs. */
#include "vi/ops.h"
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "vi/ffi.h"
#include "vi/guide.h"
#include "vi/lower.h"
#include "vi/point.h"
#include "vi/plate.h"
#include "vi/transform.h"

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* Opens every foreign function of the functions block (libraries are looked
 * up first in the model file's directory); errors go to d at the declaration. */
static int open_foreign(struct vi_model *m, struct vi_diags *d) {
  char dir[4096];
  const char *slash = strrchr(m->file, '/');
  size_t n = slash ? (size_t)(slash - m->file) : 0;
  if (n >= sizeof dir) n = sizeof dir - 1;
  if (slash && n == 0) n = 1; /* "/model.vim" */
  memcpy(dir, slash ? m->file : ".", slash ? n : 1);
  dir[slash ? n : 1] = 0;
  int status = VI_OK;
  for (int i = 0; i < m->prog->nfuns; i++) {
    struct vi_fundef *fd = m->prog->funs[i];
    if (!fd->ext_lib) continue;
    struct vi_ffi_fn *fn = NULL;
    int r = vi_ffi_open(fd, dir, &fn, d);
    if (r) {
      status = r;
      continue;
    }
    fd->ext_fn = fn;
  }
  return status;
}

int vi_model_load_string(const char *name, const char *src, size_t len, struct vi_model **out,
                         struct vi_diags *d) {
  *out = NULL;
  struct vi_model *m = calloc(1, sizeof *m);
  if (!m) return VI_ERR_NOMEM;
  vi_arena_init(&m->ast);
  vi_arena_init(&m->data);
  vi_arena_init(&m->eval);
  vi_arena_init(&m->scratch);
  /* a model that asks for more than this gets an error naming the limit,
   * not an allocation the system cannot back */
  m->data.limit = m->eval.limit = m->scratch.limit = VI_MODEL_MEMORY_LIMIT;
  vi_tape_init(&m->tape);
  vi_diags_init(&m->ediag);
  m->file = xstrdup(name);
  m->src = malloc(len + 1);
  if (!m->file || !m->src) {
    vi_model_free(m);
    return VI_ERR_NOMEM;
  }
  memcpy(m->src, src, len);
  m->src[len] = 0;
  m->srclen = len;
  vi_diags_add_source(d, m->file, m->src);
  vi_diags_add_source(&m->ediag, m->file, m->src);
  m->prog = vi_parse(&m->ast, m->file, m->src, len, d);
  if (!m->prog) {
    vi_model_free(m);
    return VI_ERR_SYNTAX;
  }
  int r = vi_guide_rewrite(m->prog, &m->ast, d); /* amortised inference: guide -> point parameters + noise */
  if (!r) r = vi_check(m->prog, &m->ast, &m->st, d);
  if (!r) r = vi_point_drop_priors(m->prog, &m->st, d); /* @point(ml) */
  if (!r) r = open_foreign(m, d);
  /* VI_LOWER=0 keeps loops as written, VI_LOWER=always runs even short
   * loops in their whole-range form (for comparing the forms) */
  const char *lw = getenv("VI_LOWER");
  if (!r && !(lw && strcmp(lw, "0") == 0)) {
    int nl = vi_lower(m->prog, &m->st, &m->ast);
    if (nl < 0) r = VI_ERR_NOMEM;
    else m->nlowered = nl;
  }
  if (r) {
    vi_model_free(m);
    return r;
  }
  if (vi_interp_init(&m->I, m->prog, &m->st, &m->ast)) {
    vi_model_free(m);
    return VI_ERR_NOMEM;
  }
  if (lw && strcmp(lw, "always") == 0) m->I.vloop_min = 0; /* the whole-range form even for short loops */
  *out = m;
  return VI_OK;
}

int vi_model_load(const char *path, struct vi_model **out, struct vi_diags *d) {
  char *text;
  size_t len;
  *out = NULL;
  int r = vi_data_read_file(path, &text, &len, d);
  if (r) return r;
  if (memchr(text, 0, len)) {
    /* the parser reports NUL bytes with their place */
  }
  r = vi_model_load_string(path, text, len, out, d);
  free(text);
  return r;
}

/* Evaluations whose print() output is shown: the first, and the first few
 * that fail (model.c, record_printing). */
enum { PRINTED_EVALS = 6 };

/* The state of one evaluation, on its own: the clone borrows the program,
 * the data and the layout from m (which must outlive it). */
struct vi_model *vi_model_clone_evaluator(const struct vi_model *m) {
  struct vi_model *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  *e = *m;
  e->parent = m;
  e->evals_printed = PRINTED_EVALS; /* print() output comes from the first thread only, in order */
  e->evals = NULL;
  e->nevals = 0;
  e->plate = NULL;
  e->termw = NULL;
  e->ntermw = 0;
  e->pool = NULL;
  vi_arena_init(&e->ast);
  vi_arena_init(&e->eval);
  vi_arena_init(&e->scratch);
  e->eval.limit = e->scratch.limit = VI_MODEL_MEMORY_LIMIT;
  vi_tape_init(&e->tape);
  vi_diags_init(&e->ediag);
  vi_diags_add_source(&e->ediag, m->file, m->src);
  e->recorded = 0;
  e->theta = calloc(m->dim ? m->dim : 1, sizeof(double));
  e->grad = calloc(m->dim ? m->dim : 1, sizeof(double));
  struct vi_interp I = m->I;
  int ok = e->theta && e->grad && vi_interp_init(&e->I, m->prog, &m->st, &e->ast) == VI_OK;
  if (ok) {
    size_t ns = m->st.nslots ? (size_t)m->st.nslots : 1;
    memcpy(e->I.slots, m->I.slots, ns * sizeof *e->I.slots); /* the data's values, shared read-only */
    memcpy(e->I.owned, m->I.owned, ns);
    memset(e->I.shared, 0, ns);
    e->I.cancel = I.cancel;
    e->I.vloop_min = I.vloop_min;
    e->I.out = I.out;
  }
  if (!ok) {
    vi_arena_free(&e->ast);
    free(e->theta);
    free(e->grad);
    vi_diags_free(&e->ediag);
    free(e);
    return NULL;
  }
  return e;
}

void vi_model_free_evaluator(struct vi_model *e) {
  if (!e) return;
  free(e->termw);
  free(e->theta);
  free(e->grad);
  vi_tape_free(&e->tape);
  vi_diags_free(&e->ediag);
  vi_arena_free(&e->ast);
  vi_arena_free(&e->eval);
  vi_arena_free(&e->scratch);
  free(e);
}

static void drop_threads(struct vi_model *m) {
  vi_pool_free(m->pool);
  m->pool = NULL;
  for (int i = 0; i < m->nevals; i++) vi_model_free_evaluator(m->evals[i]);
  free(m->evals);
  m->evals = NULL;
  m->nevals = 0;
}

int vi_model_set_threads(struct vi_model *m, int t) {
  if (t <= 0) t = vi_pool_cores();
  for (int i = 0; i < m->prog->nfuns; i++)
    if (m->prog->funs[i]->ext_lib) t = 1; /* a foreign library may keep state of its own */
  if (t > 256) t = 256;
  drop_threads(m);
  if (t == 1 || !m->bound) return 1;
  m->evals = calloc((size_t)t - 1, sizeof *m->evals);
  if (!m->evals) return 1;
  for (int i = 0; i < t - 1; i++) {
    if (!(m->evals[i] = vi_model_clone_evaluator(m))) break;
    m->nevals++;
  }
  m->pool = vi_pool_new(m->nevals + 1);
  if (!m->pool) drop_threads(m);
  return vi_model_threads(m);
}

struct vi_srcloc vi_model_guide_loc(const struct vi_model *m) {
  return m->prog && m->prog->has_guide ? m->prog->guide_loc : (struct vi_srcloc){NULL, 0, 0};
}

int vi_model_threads(const struct vi_model *m) { return m->pool ? vi_pool_size(m->pool) : 1; }

struct vi_pool *vi_model_pool(const struct vi_model *m) { return m->pool; }

int vi_model_add_table(struct vi_model *m, struct vi_table *t) {
  struct vi_table **tp = realloc(m->tables, (size_t)(m->ntables + 1) * sizeof *tp);
  if (!tp) {
    vi_table_free(t);
    return VI_ERR_NOMEM;
  }
  m->tables = tp;
  m->tables[m->ntables++] = t;
  return VI_OK;
}

struct batch {
  struct vi_model *m;
  const double *theta;
  double *lp, *grad;
  int *status;
};

static void batch_task(void *ctx, size_t i, int worker) {
  struct batch *b = ctx;
  struct vi_model *e = worker ? b->m->evals[worker - 1] : b->m;
  size_t d = b->m->dim;
  b->status[i] = vi_model_log_density(e, b->theta + i * d, &b->lp[i], b->grad ? b->grad + i * d : NULL);
}

int vi_model_log_density_batch(struct vi_model *m, size_t k, const double *theta, double *lp, double *grad,
                               int *status) {
  struct batch b = {m, theta, lp, grad, status};
  vi_pool_run(m->pool, k, batch_task, &b);
  for (size_t i = 0; i < k; i++)
    if (status[i]) {
      /* the first failing point's message, from a fresh evaluation on this
       * thread: the same words whichever thread failed first */
      double l;
      vi_model_log_density(m, theta + i * m->dim, &l, NULL);
      return status[i];
    }
  return VI_OK;
}

void vi_model_free(struct vi_model *m) {
  if (!m) return;
  if (m->parent) {
    vi_model_free_evaluator(m);
    return;
  }
  drop_threads(m);
  if (m->prog)
    for (int i = 0; i < m->prog->nfuns; i++) {
      /* the loader set ext_fn from a vi_ffi_open result: this model owns it */
      vi_ffi_close((struct vi_ffi_fn *)(uintptr_t)m->prog->funs[i]->ext_fn);
      m->prog->funs[i]->ext_fn = NULL;
    }
  for (int i = 0; i < m->ntables; i++) vi_table_free(m->tables[i]);
  for (int i = 0; i < m->njsons; i++) vi_json_free(m->jsons[i]);
  free(m->tables);
  free(m->jsons);
  if (m->out_names)
    for (size_t i = 0; i < m->nout; i++) free(m->out_names[i]);
  free(m->out_names);
  if (m->out_labels)
    for (size_t i = 0; i < m->nout; i++) free(m->out_labels[i]);
  free(m->out_labels);
  if (m->coord_names)
    for (size_t i = 0; i < m->dim; i++) free(m->coord_names[i]);
  free(m->coord_names);
  for (int i = 0; m->outs && i < m->nouts; i++) free(m->outs[i].offs);
  free(m->outs);
  free(m->params);
  free(m->termw);
  free(m->theta);
  free(m->grad);
  vi_tape_free(&m->tape);
  vi_diags_free(&m->ediag);
  vi_arena_free(&m->ast);
  vi_arena_free(&m->data);
  vi_arena_free(&m->eval);
  vi_arena_free(&m->scratch);
  free(m->file);
  free(m->src);
  free(m);
}

size_t vi_model_dim(const struct vi_model *m) { return m->dim; }
void vi_model_set_cache_dir(struct vi_model *m, const char *dir) { m->cache_dir = dir; }
const char *vi_model_file(const struct vi_model *m) { return m->file; }
const char *vi_model_error(const struct vi_model *m) { return m->errmsg; }
int vi_model_is_static(const struct vi_model *m) { return m->recorded && !m->dynamic; }
void vi_model_set_cancel(struct vi_model *m, volatile sig_atomic_t *flag) { m->I.cancel = flag; }
size_t vi_model_nout(const struct vi_model *m) { return m->nout; }
static int make_names(struct vi_model *m);

static int names_ready(const struct vi_model *m) {
  /* names are a cache: building them does not change what the model is */
  return make_names((struct vi_model *)m) == VI_OK;
}
const char *vi_model_out_name(const struct vi_model *m, size_t i) { return names_ready(m) ? m->out_names[i] : "?"; }
const char *vi_model_coord_name(const struct vi_model *m, size_t i) {
  return names_ready(m) ? m->coord_names[i] : "?";
}
const char *vi_model_out_label(const struct vi_model *m, size_t i) {
  if (!names_ready(m)) return "?";
  return m->out_labels && m->out_labels[i] ? m->out_labels[i] : m->out_names[i];
}

int vi_model_out_block(const struct vi_model *m, size_t i) {
  for (int k = 0; k < m->nouts; k++)
    if (i >= m->outs[k].off && i < m->outs[k].off + m->outs[k].n) return m->outs[k].block;
  return -1;
}

size_t vi_model_data_rows(const struct vi_model *m) {
  size_t r = 0;
  for (int i = 0; i < m->ntables; i++)
    if (vi_table_nrows(m->tables[i]) > r) r = vi_table_nrows(m->tables[i]);
  for (int i = 0; i < m->njsons; i++) /* JSON: the longest leading dimension */
    for (size_t k = 0; k < vi_json_nvars(m->jsons[i]); k++) {
      struct vi_jvar v;
      if (!vi_json_find(m->jsons[i], vi_json_name(m->jsons[i], k), &v) && v.ndims >= 1 && v.dims[0] > r)
        r = v.dims[0];
    }
  return r;
}

/* ---- layout ---- */

static int transform_kind(const struct vi_decl *d) {
  switch (d->cons) {
  case VI_C_OFFSET_MULT: return VI_TR_OFFSET_MULT;
  case VI_C_SIMPLEX: return VI_TR_SIMPLEX;
  case VI_C_UNIT_VECTOR: return VI_TR_UNIT_VECTOR;
  case VI_C_ORDERED: return VI_TR_ORDERED;
  case VI_C_POS_ORDERED: return VI_TR_POS_ORDERED;
  case VI_C_CHOL_CORR: return VI_TR_CHOL_CORR;
  case VI_C_CHOL_COV: return VI_TR_CHOL_COV;
  case VI_C_CORR: return VI_TR_CORR;
  case VI_C_COV: return VI_TR_COV;
  case VI_C_SUM_TO_ZERO: return VI_TR_SUM_TO_ZERO;
  default:
    if (d->lower && d->upper) return VI_TR_LOWER_UPPER;
    if (d->lower) return VI_TR_LOWER;
    if (d->upper) return VI_TR_UPPER;
    return VI_TR_IDENTITY;
  }
}

static const char *kind_name(int k) {
  static const char *names[] = {"identity", "lower", "upper", "lower-upper", "offset-multiplier", "ordered",
                                "positive-ordered", "simplex", "unit-vector", "cholesky-corr", "cholesky-cov",
                                "corr-matrix", "cov-matrix", "sum-to-zero"};
  return k >= 0 && k < (int)(sizeof names / sizeof names[0]) ? names[k] : "?";
}

/* One element's rows/cols and the number of array elements. */
static void elem_shape(struct vi_type t, const int *dims, size_t *count, int *rows, int *cols) {
  size_t c = 1;
  for (int i = 0; i < t.ndims; i++) c *= (size_t)dims[i];
  *count = c;
  *rows = *cols = 1;
  if (t.base == VI_T_VECTOR) *rows = dims[t.ndims];
  if (t.base == VI_T_ROW_VECTOR) *cols = dims[t.ndims];
  if (t.base == VI_T_MATRIX) {
    *rows = dims[t.ndims];
    *cols = dims[t.ndims + 1];
  }
}

/* Names of every element of a value, column-major over all indices (Stan's
 * order), with offsets into our layout. */
static int flat_names_l(const char *name, struct vi_type t, const int *dims, char **names, size_t *offs,
                        const char *const *const *labels) {
  int np = t.ndims + vi_type_nsizes(t);
  struct vi_val v;
  memset(&v, 0, sizeof v);
  vi_val_set_shape(&v, t, dims);
  size_t st[VI_MAXDIMS], s = 1;
  int nd = t.ndims;
  if (np > nd) {
    st[nd] = 1;
    if (np > nd + 1) st[nd + 1] = (size_t)dims[nd];
  }
  size_t inner = 1;
  for (int p = nd; p < np; p++) inner *= (size_t)dims[p];
  s = inner;
  for (int i = nd; i-- > 0;) {
    st[i] = s;
    s *= (size_t)dims[i];
  }
  int ctr[VI_MAXDIMS] = {0};
  for (size_t k = 0; k < v.n; k++) {
    size_t o = 0;
    char buf[512];
    int len = snprintf(buf, sizeof buf, "%s", name);
    for (int p = 0; p < np; p++) {
      o += (size_t)ctr[p] * st[p];
      if (len < (int)sizeof buf - 16) {
        if (labels && labels[p])
          len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%.60s", p ? "," : "[", labels[p][ctr[p]]);
        else
          len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%d", p ? "," : "[", ctr[p] + 1);
      }
    }
    if (np && len < (int)sizeof buf - 2) snprintf(buf + len, sizeof buf - (size_t)len, "]");
    names[k] = xstrdup(buf);
    if (!names[k]) return VI_ERR_NOMEM;
    if (offs) offs[k] = o;
    for (int p = 0; p < np; p++) { /* first index fastest */
      if (++ctr[p] < dims[p]) break;
      ctr[p] = 0;
    }
  }
  return VI_OK;
}

static int flat_names(const char *name, struct vi_type t, const int *dims, char **names, size_t *offs) {
  return flat_names_l(name, t, dims, names, offs, NULL);
}

static int layout(struct vi_model *m, struct vi_diags *d) {
  struct vi_ctx c = {.arena = &m->data, .diags = d};
  const struct vi_program *p = m->prog;
  m->params = calloc((size_t)p->nbody[VI_BLK_PARAMS] + 1, sizeof *m->params);
  int nout = p->nbody[VI_BLK_PARAMS] + p->nbody[VI_BLK_TPARAMS] + p->nbody[VI_BLK_GQ];
  m->outs = calloc((size_t)nout + 1, sizeof *m->outs);
  if (!m->params || !m->outs) return VI_ERR_NOMEM;
  size_t off = 0;
  for (int i = 0; i < p->nbody[VI_BLK_PARAMS]; i++) {
    const struct vi_decl *dc = p->body[VI_BLK_PARAMS][i]->u.decl;
    struct vi_param *pp = &m->params[m->nparams++];
    pp->decl = dc;
    pp->kind = transform_kind(dc);
    pp->point = dc->point;
    int r = vi_interp_decl_dims(&m->I, &c, dc, pp->dims);
    if (r) return r;
    elem_shape(dc->type, pp->dims, &pp->count, &pp->rows, &pp->cols);
    if ((pp->kind == VI_TR_CHOL_COV && pp->rows < pp->cols))
      return vi_error(d, dc->loc, "cholesky_factor_cov[%d, %d] needs at least as many rows as columns", pp->rows, pp->cols),
             VI_ERR_DATA;
    size_t per = pp->kind <= VI_TR_OFFSET_MULT ? (size_t)pp->rows * (size_t)pp->cols
                                                : vi_transform_size(pp->kind, pp->rows, pp->cols);
    pp->off = off;
    pp->size = pp->count * per;
    off += pp->size;
    if (off > ((size_t)1 << 31)) return vi_error(d, dc->loc, "more than 2^31 unconstrained parameters"), VI_ERR_LIMIT;
  }
  m->dim = off;
  m->theta = calloc(off ? off : 1, sizeof(double));
  m->grad = calloc(off ? off : 1, sizeof(double));
  if (!m->theta || !m->grad) return VI_ERR_NOMEM;
  /* outputs: parameters, transformed parameters, generated quantities (top level) */
  size_t o = 0;
  for (int b = VI_BLK_PARAMS; b <= VI_BLK_GQ; b++) {
    if (b == VI_BLK_MODEL) continue;
    for (int i = 0; i < p->nbody[b]; i++) {
      const struct vi_stmt *s = p->body[b][i];
      if (s->kind != VI_S_DECL) continue;
      struct vi_outvar *ov = &m->outs[m->nouts++];
      ov->slot = s->u.decl->slot;
      ov->block = b;
      ov->t = s->u.decl->type;
      int r = vi_interp_decl_dims(&m->I, &c, s->u.decl, ov->dims);
      if (r) return r;
      struct vi_val v;
      memset(&v, 0, sizeof v);
      vi_val_set_shape(&v, ov->t, ov->dims);
      ov->off = o;
      ov->n = v.n;
      o += v.n;
    }
  }
  m->nout = o;
  return VI_OK;
}

/* Element names (and the offsets vi_model_write uses) are made when first
 * asked for: a model with millions of elements checks without them. */
static int make_names(struct vi_model *m) {
  if (m->out_names) return VI_OK;
  size_t off = m->dim;
  m->coord_names = calloc(off ? off : 1, sizeof(char *));
  if (!m->coord_names) return VI_ERR_NOMEM;
  /* unconstrained coordinate names: constrained element names where the
   * transform is elementwise, else name.1, name.2 ... */
  for (int i = 0; i < m->nparams; i++) {
    struct vi_param *pp = &m->params[i];
    if (pp->kind <= VI_TR_OFFSET_MULT) {
      /* our layout order: build names in layout order */
      size_t n = pp->size;
      char **tmp = calloc(n ? n : 1, sizeof *tmp);
      size_t *offs = calloc(n ? n : 1, sizeof *offs);
      if (!tmp || !offs || flat_names(pp->decl->name, pp->decl->type, pp->dims, tmp, offs)) {
        free(tmp);
        free(offs);
        return VI_ERR_NOMEM;
      }
      for (size_t k = 0; k < n; k++) m->coord_names[pp->off + offs[k]] = tmp[k];
      free(tmp);
      free(offs);
    } else {
      for (size_t k = 0; k < pp->size; k++) {
        char buf[300];
        snprintf(buf, sizeof buf, "%s.%zu", pp->decl->name, k + 1);
        m->coord_names[pp->off + k] = xstrdup(buf);
      }
    }
  }
  for (int i = 0; i < m->nouts; i++) {
    struct vi_outvar *ov = &m->outs[i];
    ov->offs = calloc(ov->n ? ov->n : 1, sizeof *ov->offs);
    if (!ov->offs) return VI_ERR_NOMEM;
  }
  m->out_names = calloc(m->nout ? m->nout : 1, sizeof(char *));
  if (!m->out_names) return VI_ERR_NOMEM;
  m->out_labels = calloc(m->nout ? m->nout : 1, sizeof(char *));
  if (!m->out_labels) return VI_ERR_NOMEM;
  for (int i = 0; i < m->nouts; i++) {
    struct vi_outvar *ov = &m->outs[i];
    const struct vi_decl *dc = m->st.decl[ov->slot];
    if (flat_names(dc->name, ov->t, ov->dims, m->out_names + ov->off, ov->offs)) return VI_ERR_NOMEM;
    /* sizes that count the levels of a text column label their elements */
    const struct vi_expr *se[VI_MAXDIMS];
    const char *const *labels[VI_MAXDIMS] = {0};
    int k = 0, any = 0;
    for (int j = 0; j < dc->type.ndims; j++) se[k++] = dc->dims[j];
    if (dc->rows) se[k++] = dc->rows;
    if (dc->cols) se[k++] = dc->cols;
    for (int j = 0; j < k; j++)
      if (se[j]->kind == VI_E_VAR && m->levels && m->levels[se[j]->u.var.slot] &&
          m->nlevels[se[j]->u.var.slot] == (size_t)ov->dims[j]) {
        labels[j] = m->levels[se[j]->u.var.slot];
        any = 1;
      }
    if (any && flat_names_l(dc->name, ov->t, ov->dims, m->out_labels + ov->off, NULL, labels)) return VI_ERR_NOMEM;
  }
  return VI_OK;
}

int vi_model_bind(struct vi_model *m, const struct vi_data_inputs *in, struct vi_diags *d) {
  int r = vi_bind_data(m, in, d);
  if (r) return r;
  r = layout(m, d);
  if (r == VI_ERR_NOMEM) vi_error(d, (struct vi_srcloc){m->file, 0, 0}, "out of memory");
  if (!r) m->bound = 1;
  return r;
}

void vi_model_print_layout(const struct vi_model *m, FILE *f) {
  fprintf(f, "%-24s %-28s %10s  %s\n", "parameter", "shape", "unconstr.", "transform");
  for (int i = 0; i < m->nparams; i++) {
    const struct vi_param *pp = &m->params[i];
    struct vi_val v;
    memset(&v, 0, sizeof v);
    vi_val_set_shape(&v, pp->decl->type, pp->dims);
    char shape[128];
    vi_val_shape_str(&v, shape, sizeof shape);
    static const char *const point_note[] = {"", "  point (MAP)", "  point (ml: prior dropped)", "  pinned"};
    fprintf(f, "%-24s %-28s %10zu  %s%s\n", pp->decl->name, shape, pp->size, kind_name(pp->kind),
            point_note[pp->point & 3]);
  }
  fprintf(f, "total unconstrained dimension: %zu\n", m->dim);
  for (int i = 0; i < m->prog->nloops; i++) {
    const struct vi_loop_note *n = &m->prog->loops[i];
    if (i == 0) fprintf(f, "loops:\n");
    if (n->why_not)
      fprintf(f, "  %s:%d:%d: runs as a loop of scalar operations: %s\n", m->file, n->loc.line, n->loc.col, n->why_not);
    else
      fprintf(f, "  %s:%d:%d: runs as whole-vector operations (as written when it has fewer than %d iterations)\n",
              m->file, n->loc.line, n->loc.col, vi_interp_vloop_min(&m->I, n->vloop));
  }
}

/* ---- evaluation ---- */

static void set_error(struct vi_model *m, struct vi_ctx *c) {
  const char *msg = m->ediag.buf && m->ediag.buf[0] ? m->ediag.buf : c->err.failed ? c->err.msg : "evaluation failed";
  snprintf(m->errmsg, sizeof m->errmsg, "%s", msg);
  size_t n = strlen(m->errmsg);
  while (n && m->errmsg[n - 1] == '\n') m->errmsg[--n] = 0;
  vi_diags_clear(&m->ediag);
}

/* Constrains every parameter from u (adjoints into u_dx when recording) into
 * its slot; adds the log-Jacobians to the target when jacobian is set. */
static int constrain_params(struct vi_model *m, struct vi_ctx *c, const double *u, double *u_dx, int jacobian) {
  for (int i = 0; i < m->nparams; i++) {
    struct vi_param *pp = &m->params[i];
    const struct vi_decl *dc = pp->decl;
    struct vi_val lo, hi, out, lj;
    struct vi_val *plo = NULL, *phi = NULL;
    int r;
    memset(&lo, 0, sizeof lo);
    memset(&hi, 0, sizeof hi);
    const struct vi_expr *elo = pp->kind == VI_TR_OFFSET_MULT ? dc->offset : dc->lower;
    const struct vi_expr *ehi = pp->kind == VI_TR_OFFSET_MULT ? dc->multiplier : dc->upper;
    if (elo) {
      if ((r = vi_interp_eval(&m->I, c, elo, &lo)) || (r = vi_val_contig(c, &lo, elo->loc))) return r;
      plo = &lo;
    }
    if (ehi) {
      if ((r = vi_interp_eval(&m->I, c, ehi, &hi)) || (r = vi_val_contig(c, &hi, ehi->loc))) return r;
      phi = &hi;
    }
    memset(&out, 0, sizeof out);
    memset(&lj, 0, sizeof lj);
    if (vi_val_set_shape(&out, dc->type, pp->dims)) return vi_ctx_error(c, dc->loc, "parameter too large");
    r = vi_transform_constrain(c, pp->kind, u + pp->off, u_dx ? u_dx + pp->off : NULL, pp->count, pp->rows, pp->cols,
                               plo, phi, &out, &lj, dc->loc);
    if (r) return r;
    m->I.slots[dc->slot] = out;
    m->I.owned[dc->slot] = 0;
    m->I.shared[dc->slot] = 0;
    if (jacobian && !pp->point && c->tape && (r = vi_interp_add_target(&m->I, c, &lj, dc->loc))) return r;
  }
  return VI_OK;
}

/* A recorded constraint check (transformed parameters): replaying the tape
 * at new parameter values checks the constraint again. The kernel only
 * detects a violation; vi_model_log_density then evaluates the model afresh,
 * which reports it with the same message as when it was recorded. */
struct check_info {
  int kind, rows, cols;
  size_t count;
};

int vi_k_check_fwd(struct vi_node *n) {
  const struct check_info *ci = n->p;
  char err[256];
  long bad = vi_transform_check(ci->kind, n->a[0].x, ci->count, ci->rows, ci->cols, n->a[1].x, n->a[1].n, n->a[2].x,
                                n->a[2].n, err, sizeof err);
  return bad >= 0 ? vi_node_fail(n, "%s", err) : 0;
}

void vi_k_check_bwd(struct vi_node *n) { (void)n; }

static int record_check(struct vi_ctx *c, int kind, const struct vi_val *v, const struct vi_val *lo, size_t nlo,
                        const struct vi_val *hi, size_t nhi, size_t count, int rows, int cols, struct vi_srcloc loc) {
  if (vi_val_is_const(v) && (!nlo || vi_val_is_const(lo)) && (!nhi || vi_val_is_const(hi))) return VI_OK;
  struct check_info *ci = vi_arena_alloc(c->arena, sizeof *ci);
  struct vi_node *n = vi_node_new(c, VI_OPDEF(CONSTRAINT_CHECK), 3, 1, loc);
  if (!ci || !n) return VI_ERR_NOMEM;
  *ci = (struct check_info){kind, rows, cols, count};
  n->p = ci;
  vi_node_arg_raw(n, 0, v->x, NULL, v->n);
  vi_node_arg_raw(n, 1, nlo ? lo->x : NULL, NULL, nlo);
  vi_node_arg_raw(n, 2, nhi ? hi->x : NULL, NULL, nhi);
  n->dy = vi_arena_array(c->arena, 1, sizeof(double));
  return !n->dy || vi_tape_push(c->tape, n) ? VI_ERR_NOMEM : VI_OK;
}

/* Checks the declared constraints of the top-level declarations of a block
 * (and, when recording, records the check so that every replay makes it). */
static int check_block_constraints(struct vi_model *m, struct vi_ctx *c, int block) {
  const struct vi_program *p = m->prog;
  for (int i = 0; i < p->nbody[block]; i++) {
    const struct vi_stmt *s = p->body[block][i];
    if (s->kind != VI_S_DECL) continue;
    const struct vi_decl *dc = s->u.decl;
    int kind = transform_kind(dc);
    if (kind == VI_TR_IDENTITY || kind == VI_TR_OFFSET_MULT) continue;
    struct vi_val v = m->I.slots[dc->slot], lo, hi;
    int r;
    memset(&lo, 0, sizeof lo);
    memset(&hi, 0, sizeof hi);
    if (dc->lower && ((r = vi_interp_eval(&m->I, c, dc->lower, &lo)) || (r = vi_val_contig(c, &lo, dc->loc)))) return r;
    if (dc->upper && ((r = vi_interp_eval(&m->I, c, dc->upper, &hi)) || (r = vi_val_contig(c, &hi, dc->loc)))) return r;
    if ((r = vi_val_contig(c, &v, dc->loc))) return r;
    size_t count;
    int rows, cols, dims[VI_MAXDIMS];
    memcpy(dims, v.dim, sizeof dims);
    elem_shape(v.t, dims, &count, &rows, &cols);
    char err[256];
    long bad = vi_transform_check(kind, v.x, count, rows, cols, lo.x, dc->lower ? lo.n : 0, hi.x,
                                  dc->upper ? hi.n : 0, err, sizeof err);
    if (bad >= 0) {
      char **names = calloc(v.n ? v.n : 1, sizeof *names);
      size_t *offs = calloc(v.n ? v.n : 1, sizeof *offs);
      const char *elname = dc->name;
      if (names && offs && !flat_names(dc->name, v.t, dims, names, offs))
        for (size_t k = 0; k < v.n; k++)
          if (offs[k] == (size_t)bad) elname = names[k];
      r = vi_ctx_error(c, dc->loc, "%s %s %s", vi_block_name(block), elname, err);
      if (names)
        for (size_t k = 0; k < v.n; k++) free(names[k]);
      free(names);
      free(offs);
      return r;
    }
    if (c->tape && (r = record_check(c, kind, &v, &lo, dc->lower ? lo.n : 0, &hi, dc->upper ? hi.n : 0, count, rows,
                                     cols, dc->loc)))
      return r;
  }
  return VI_OK;
}

static int run_block(struct vi_model *m, struct vi_ctx *c, int block) {
  m->I.block = block;
  vi_interp_enter(&m->I, __builtin_frame_address(0));
  for (int i = 0; i < m->prog->nbody[block]; i++) {
    int r = vi_interp_exec(&m->I, c, m->prog->body[block][i]);
    if (r == VI_FLOW_BREAK || r == VI_FLOW_CONTINUE) r = VI_OK;
    if (r) return r;
  }
  return VI_OK;
}

static int record(struct vi_model *m) {
  vi_arena_reset(&m->eval);
  vi_tape_clear(&m->tape);
  m->recorded = 0;
  struct vi_ctx c = {.arena = &m->eval, .tape = &m->tape, .diags = &m->ediag};
  int r = constrain_params(m, &c, m->theta, m->grad, 1);
  if (!r) r = run_block(m, &c, VI_BLK_TPARAMS);
  if (!r) r = check_block_constraints(m, &c, VI_BLK_TPARAMS);
  if (!r) r = run_block(m, &c, VI_BLK_MODEL);
  if (c.dynamic) m->dynamic = 1;
  if (r) {
    set_error(m, &c);
    return VI_ERR_EVAL;
  }
  m->recorded = !m->dynamic;
  return VI_OK;
}

/* Appends up to 3 values of x (n of them) to buf as "[a, b, c, ...]". */
static size_t show_values(char *buf, size_t cap, size_t len, const double *x, size_t n) {
  if (len >= cap) return len;
  len += (size_t)snprintf(buf + len, cap - len, "%s", n == 1 ? "" : "[");
  for (size_t i = 0; i < n && i < 3 && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%.6g", i ? ", " : "", x[i]);
  if (n > 3 && len < cap) len += (size_t)snprintf(buf + len, cap - len, ", ... (%zu values)", n);
  if (n != 1 && len < cap) len += (size_t)snprintf(buf + len, cap - len, "]");
  return len;
}

/* When the log density is not finite, says in m->errmsg which statement's
 * term made it so and with what operands: the first non-finite term of the
 * target, traced to the node that computed it. */
static void explain_nonfinite(struct vi_model *m, double lp) {
  const struct vi_tape *t = &m->tape;
  for (size_t k = 0; k < t->nterms; k++) {
    const double *x = t->terms[k].x;
    if (isfinite(*x)) continue;
    const struct vi_node *src = NULL;
    for (size_t i = t->n; i-- > 0 && !src;)
      if (t->nodes[i]->y && x >= t->nodes[i]->y && x < t->nodes[i]->y + t->nodes[i]->n) src = t->nodes[i];
    char *b = m->errmsg;
    size_t cap = sizeof m->errmsg, len;
    if (!src && t->termloc[k].line) { /* a scalar operation's result: the statement that added it */
      snprintf(b, cap, "%s:%d:%d: error: the log density is %g: this statement adds %g",
               t->termloc[k].file ? t->termloc[k].file : m->file, t->termloc[k].line, t->termloc[k].col, lp, *x);
      return;
    }
    if (!src) {
      snprintf(b, cap, "the log density is %g: a constant term of the target is %g", lp, *x);
      return;
    }
    len = (size_t)snprintf(b, cap, "%s:%d:%d: error: the log density is %g: this statement adds %g (%s of ",
                           src->loc.file ? src->loc.file : m->file, src->loc.line, src->loc.col, lp, *x,
                           src->fname ? src->fname : src->op->name);
    for (int a = 0; a < src->na && len < cap; a++) {
      if (a) len += (size_t)snprintf(b + len, cap - len, ", ");
      len = show_values(b, cap, len, src->a[a].x, src->a[a].n);
    }
    if (len < cap) snprintf(b + len, cap - len, ")");
    return;
  }
  snprintf(m->errmsg, sizeof m->errmsg, "the log density is %g (the sum of finite terms overflowed)", lp);
}

/* print() runs as Stan's does, but not on every evaluation: on the first
 * one, and again (re-evaluated with printing on) on the first 5 that fail
 * (a reject, a non-finite value), so the output explains the failure. */

static int record_printing(struct vi_model *m) {
  m->I.print_ok = 1;
  int r = record(m);
  m->I.print_ok = 0;
  m->evals_printed++;
  return r;
}

/* Row plates (runtime/minibatch.c): each target term weighs row_w when its
 * statement is a row term, glob_w otherwise. */
static int weigh_terms(struct vi_model *m) {
  struct vi_tape *t = &m->tape;
  if (t->nterms > m->ntermw) {
    double *w = realloc(m->termw, t->nterms * sizeof *w);
    if (!w) return -1;
    m->termw = w;
    m->ntermw = t->nterms;
  }
  for (size_t k = 0; k < t->nterms; k++)
    m->termw[k] = vi_plate_is_row_term(m->plate, t->termloc[k]) ? m->row_w : m->glob_w;
  t->termw = m->termw;
  return 0;
}

int vi_model_log_density(struct vi_model *m, const double *theta, double *lp, double *grad) {
  if (m->dim) memcpy(m->theta, theta, m->dim * sizeof *theta);
  int r;
  if (!m->evals_printed) {
    if ((r = record_printing(m))) return r;
  } else if (m->recorded) {
    /* a failure on replay (a distribution argument, a recorded constraint
     * check): evaluate afresh (printing, for the first few), which reports
     * it exactly as a first evaluation at this point does */
    if (vi_tape_forward(&m->tape) && (r = m->evals_printed < PRINTED_EVALS ? record_printing(m) : record(m)))
      return r;
  } else if ((r = record(m))) {
    if (m->evals_printed < PRINTED_EVALS) record_printing(m);
    return r;
  }
  if (m->plate && weigh_terms(m)) {
    snprintf(m->errmsg, sizeof m->errmsg, "out of memory");
    return VI_ERR_EVAL;
  }
  double v = vi_tape_target(&m->tape);
  *lp = v;
  if (!isfinite(v)) explain_nonfinite(m, v);
  if (grad) {
    double *bufs[1] = {m->grad};
    size_t ns[1] = {m->dim};
    vi_tape_reverse(&m->tape, bufs, ns, 1);
    memcpy(grad, m->grad, m->dim * sizeof *grad);
  }
  return VI_OK;
}

size_t vi_model_tape_bytes(const struct vi_model *m) { return m->eval.used_total; }

void vi_model_tape_opcodes(const struct vi_model *m, unsigned *count) {
  for (size_t k = 0; k < m->tape.n; k++) count[vi_node_op(m->tape.nodes[k])]++;
}
int vi_model_lowered_loops(const struct vi_model *m) { return m->nlowered; }

size_t vi_model_work(const struct vi_model *m) {
  size_t w = 0;
  for (size_t k = 0; k < m->tape.n; k++) {
    const struct vi_node *n = m->tape.nodes[k];
    size_t e = n->n;
    for (int i = 0; i < n->na; i++)
      if (n->a[i].n > e) e = n->a[i].n;
    w += e;
  }
  return w;
}

int vi_model_write(struct vi_model *m, const double *theta, double *out, struct vi_rng *rng) {
  if (make_names(m)) {
    snprintf(m->errmsg, sizeof m->errmsg, "out of memory for the names of %zu outputs", m->nout);
    return VI_ERR_NOMEM;
  }
  vi_arena_reset(&m->scratch);
  struct vi_ctx c = {.arena = &m->scratch, .rng = rng, .diags = &m->ediag};
  int r = constrain_params(m, &c, theta, NULL, 0);
  if (!r) r = run_block(m, &c, VI_BLK_TPARAMS);
  if (!r) r = check_block_constraints(m, &c, VI_BLK_TPARAMS);
  if (!r) {
    m->I.print_ok = 1;
    r = run_block(m, &c, VI_BLK_GQ);
    m->I.print_ok = 0;
  }
  if (!r) r = check_block_constraints(m, &c, VI_BLK_GQ);
  if (r) {
    set_error(m, &c);
    return VI_ERR_EVAL;
  }
  for (int i = 0; i < m->nouts; i++) {
    struct vi_outvar *ov = &m->outs[i];
    struct vi_val v = m->I.slots[ov->slot];
    for (size_t k = 0; k < ov->n; k++) out[ov->off + k] = ov->offs[k] < v.n ? vi_val_get(&v, ov->offs[k]) : NAN;
  }
  return VI_OK;
}
