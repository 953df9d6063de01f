/* api.c: the interface for other languages (include/vi/api.h). A fit is a
 * run of vi-run itself (vi_cli_run, runtime/cli.c): the options become its
 * argv, the columns in memory its first table, its printing goes to memory,
 * and its on_fit hook keeps the model and the outputs. One parser, one
 * pipeline: every vi-run option works here, with the same numbers. */
#include "vi/api.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "vi/advi.h"
#include "vi/cli.h"
#include "vi/data.h"
#include "vi/model.h"
#include "vi/report.h"
#include "vi/summary.h"

struct vi_api_model {
  char *path, *src;
  size_t len;
};

struct column {
  char *name;
  double *x;    /* numeric, or NULL */
  char **cells; /* text, or NULL */
};

struct vi_api_data {
  struct column *cols;
  size_t ncols, nrows;
  char **assigns;
  int nassigns;
  char **files;
  int nfiles;
};

struct vi_api_fit {
  struct vi_model *m;
  struct vi_arena arena;
  struct vi_advi_options opt;
  struct vi_advi_result res;
  struct vi_psis_check chk;
  unsigned long long seed;
  size_t dim, P, S;
  double *theta, *log_p, *log_q, *draws, *mean_row;
  struct vi_summary_stats *st;
  const char **names, **labels;
  int *blocks;
  double secs;
  char *data_name;
  char *summary_csv, *params_csv;
  char warnings[2048];
};

static void set_error(struct vi_api_error *e, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_error(struct vi_api_error *e, int status, int code, const char *fmt, ...) {
  if (!e) return;
  e->status = status;
  e->exit_code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
}

static void clear_error(struct vi_api_error *e) {
  if (!e) return;
  e->status = VI_OK;
  e->exit_code = VI_EXIT_OK;
  e->message[0] = 0;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

/* ---- model ---- */

struct vi_api_model *vi_api_model_load(const char *path, struct vi_api_error *e) {
  clear_error(e);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load(path, &m, &d);
  if (r) {
    set_error(e, r, VI_EXIT_MODEL, "%s", d.buf && d.len ? d.buf : "error: cannot load the model\n");
    vi_diags_free(&d);
    return NULL;
  }
  vi_diags_free(&d);
  vi_model_free(m);
  struct vi_api_model *am = calloc(1, sizeof *am);
  char *text = NULL;
  size_t len = 0;
  vi_diags_init(&d);
  if (!am || !(am->path = dup_str(path)) || vi_data_read_file(path, &text, &len, &d)) {
    set_error(e, VI_ERR_NOMEM, VI_EXIT_MODEL, "%s", d.buf && d.len ? d.buf : "error: out of memory\n");
    vi_diags_free(&d);
    if (am) free(am->path);
    free(am);
    return NULL;
  }
  vi_diags_free(&d);
  am->src = text;
  am->len = len;
  return am;
}

void vi_api_model_free(struct vi_api_model *m) {
  if (!m) return;
  free(m->path);
  free(m->src);
  free(m);
}

/* ---- data ---- */

struct vi_api_data *vi_api_data_new(void) { return calloc(1, sizeof(struct vi_api_data)); }

void vi_api_data_free(struct vi_api_data *d) {
  if (!d) return;
  for (size_t c = 0; c < d->ncols; c++) {
    free(d->cols[c].name);
    free(d->cols[c].x);
    for (size_t i = 0; d->cols[c].cells && i < d->nrows; i++) free(d->cols[c].cells[i]);
    free(d->cols[c].cells);
  }
  free(d->cols);
  for (int i = 0; i < d->nassigns; i++) free(d->assigns[i]);
  free(d->assigns);
  for (int i = 0; i < d->nfiles; i++) free(d->files[i]);
  free(d->files);
  free(d);
}

static struct column *add_column(struct vi_api_data *d, const char *name, size_t n, struct vi_api_error *e) {
  clear_error(e);
  if (d->ncols && n != d->nrows) {
    set_error(e, VI_ERR_DATA, VI_EXIT_DATA,
              "error: data column '%s' has %zu rows, but the columns before it have %zu (columns in memory "
              "make one table)\n", name, n, d->nrows);
    return NULL;
  }
  for (size_t c = 0; c < d->ncols; c++)
    if (!strcmp(d->cols[c].name, name)) {
      set_error(e, VI_ERR_DATA, VI_EXIT_DATA, "error: data column '%s' is given twice\n", name);
      return NULL;
    }
  struct column *p = realloc(d->cols, (d->ncols + 1) * sizeof *p);
  if (!p) goto nomem;
  d->cols = p;
  struct column *c = &d->cols[d->ncols];
  memset(c, 0, sizeof *c);
  if (!(c->name = dup_str(name))) goto nomem;
  d->ncols++;
  d->nrows = n;
  return c;
nomem:
  set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
  return NULL;
}

int vi_api_data_column(struct vi_api_data *d, const char *name, const double *x, size_t n, struct vi_api_error *e) {
  struct column *c = add_column(d, name, n, e);
  if (!c) return -1;
  if (!(c->x = malloc((n ? n : 1) * sizeof *c->x))) {
    set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
    return -1;
  }
  memcpy(c->x, x, n * sizeof *x);
  return 0;
}

int vi_api_data_text(struct vi_api_data *d, const char *name, const char *const *cells, size_t n,
                     struct vi_api_error *e) {
  struct column *c = add_column(d, name, n, e);
  if (!c) return -1;
  if (!(c->cells = calloc(n ? n : 1, sizeof *c->cells))) goto nomem;
  for (size_t i = 0; i < n; i++)
    if (cells[i] && !(c->cells[i] = dup_str(cells[i]))) goto nomem;
  return 0;
nomem:
  set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
  return -1;
}

static int push_str(char ***list, int *n, const char *s, struct vi_api_error *e) {
  char **p = realloc(*list, (size_t)(*n + 1) * sizeof *p);
  if (!p || !(p[*n] = dup_str(s))) {
    if (p) *list = p;
    set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
    return -1;
  }
  *list = p;
  (*n)++;
  return 0;
}

int vi_api_data_scalar(struct vi_api_data *d, const char *name, double v, struct vi_api_error *e) {
  clear_error(e);
  char buf[512];
  snprintf(buf, sizeof buf, "%.200s=%.17g", name, v);
  return push_str(&d->assigns, &d->nassigns, buf, e);
}

int vi_api_data_file(struct vi_api_data *d, const char *path, struct vi_api_error *e) {
  clear_error(e);
  return push_str(&d->files, &d->nfiles, path, e);
}

static void csv_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* The columns in memory as CSV text (malloc'd), or NULL when out of memory. */
static char *table_text(const struct vi_api_data *d, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) return NULL;
  for (size_t c = 0; c < d->ncols; c++) {
    if (c) fputc(',', f);
    csv_quoted(f, d->cols[c].name);
  }
  fputc('\n', f);
  for (size_t i = 0; i < d->nrows; i++) {
    for (size_t c = 0; c < d->ncols; c++) {
      const struct column *col = &d->cols[c];
      if (c) fputc(',', f);
      if (col->x) {
        if (!isnan(col->x[i])) fprintf(f, "%.17g", col->x[i]);
      } else if (col->cells[i]) {
        csv_quoted(f, col->cells[i]);
      }
    }
    fputc('\n', f);
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* ---- fit: vi-run itself (runtime/cli.c), through its hooks ---- */

void vi_api_fit_free(struct vi_api_fit *f) {
  if (!f) return;
  free(f->theta);
  free(f->log_p);
  free(f->log_q);
  free(f->draws);
  free(f->mean_row);
  free(f->st);
  free(f->names);
  free(f->labels);
  free(f->blocks);
  free(f->data_name);
  free(f->summary_csv);
  free(f->params_csv);
  vi_arena_free(&f->arena);
  vi_model_free(f->m);
  free(f);
}

/* vi_cli_hooks.on_fit: keeps what vi-run computed */
static int keep_fit(void *ctx, const struct vi_cli_fit *c) {
  struct vi_api_fit *f = ctx;
  f->m = c->m;
  f->arena = *c->arena;
  f->opt = *c->opt;
  f->opt.init = NULL; /* vi-run's, freed; the report only asks whether one was given */
  f->opt.work = NULL;
  f->opt.work_ctx = NULL;
  f->opt.progress = NULL;
  f->opt.progress_ctx = NULL;
  f->opt.cancel = NULL;
  f->res = *c->res;
  f->chk = *c->chk;
  f->seed = c->seed;
  f->secs = c->secs;
  f->dim = c->dim;
  f->P = c->P;
  f->S = c->S;
  f->theta = c->theta;
  f->log_p = c->log_p;
  f->log_q = c->log_q;
  f->draws = c->draws;
  f->mean_row = c->mean_row;
  f->st = c->st;
  size_t P = c->P ? c->P : 1;
  f->names = malloc(P * sizeof *f->names);
  f->labels = malloc(P * sizeof *f->labels);
  f->blocks = malloc(P * sizeof *f->blocks);
  for (size_t k = 0; f->names && f->labels && f->blocks && k < c->P; k++) {
    f->names[k] = vi_model_out_name(c->m, k);
    f->labels[k] = vi_model_out_label(c->m, k);
    f->blocks[k] = vi_model_out_block(c->m, k);
  }
  return 1;
}

/* argv under construction: every string is the argv's own copy */
struct args {
  char **v;
  int n, cap;
};

static int arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int arg(struct args *a, const char *fmt, ...) {
  if (a->n + 1 >= a->cap) {
    int cap = a->cap ? 2 * a->cap : 16;
    char **v = realloc(a->v, (size_t)cap * sizeof *v);
    if (!v) return -1;
    a->v = v;
    a->cap = cap;
  }
  va_list ap, aq;
  va_start(ap, fmt);
  va_copy(aq, ap);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *str = len >= 0 ? malloc((size_t)len + 1) : NULL;
  if (str) vsnprintf(str, (size_t)len + 1, fmt, aq);
  va_end(aq);
  if (!str) return -1;
  a->v[a->n] = str;
  a->v[++a->n] = NULL;
  return 0;
}

static int is_flag_option(const char *opt) { return !strcmp(opt, "resample") || !strcmp(opt, "quiet"); }

struct vi_api_fit *vi_api_fit_run(const struct vi_api_model *am, const struct vi_api_data *data, int nopt,
                                  const char *const *keys, const char *const *values, struct vi_api_error *e) {
  clear_error(e);
  struct vi_api_fit *f = calloc(1, sizeof *f);
  struct args av = {0};
  struct vi_table *table = NULL;
  char *obuf = NULL, *ebuf = NULL;
  size_t olen = 0, elen = 0;
  int bad = !f || arg(&av, "vi-run") || arg(&av, "%s", am->path);
  for (int i = 0; !bad && data && i < data->nfiles; i++) bad = arg(&av, "%s", data->files[i]);
  for (int i = 0; !bad && data && i < data->nassigns; i++) bad = arg(&av, "%s", data->assigns[i]);
  for (int i = 0; !bad && i < nopt; i++) { /* "output_samples" is --output-samples */
    char opt[64];
    snprintf(opt, sizeof opt, "%s", keys[i]);
    for (char *c = opt; *c; c++) *c = *c == '_' ? '-' : *c;
    if (is_flag_option(opt)) {
      if (strcmp(values[i], "0") && strcmp(values[i], "false") && strcmp(values[i], "False")) bad = arg(&av, "--%s", opt);
    } else {
      bad = arg(&av, "--%s", opt) || arg(&av, "%s", values[i]);
    }
  }
  if (bad) {
    set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
    goto fail;
  }
  if (data && data->ncols) { /* the columns in memory: one table, read by the CSV reader */
    struct vi_diags d;
    vi_diags_init(&d);
    size_t len = 0;
    char *text = table_text(data, &len);
    int r = text ? vi_csv_parse("data", text, len, &table, &d) : VI_ERR_NOMEM;
    free(text);
    if (r) set_error(e, r, vi_cli_exit_code(r), "%s", d.buf && d.len ? d.buf : "error: out of memory\n");
    vi_diags_free(&d);
    if (r) goto fail;
  }
  FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);
  if (!out || !err) {
    if (out) fclose(out);
    if (err) fclose(err);
    vi_table_free(table);
    set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
    goto fail;
  }
  struct vi_cli_hooks h = {out, err, am->src, am->len, table, keep_fit, f};
  int rc = vi_cli_run(av.n, (const char *const *)av.v, &h);
  fclose(out);
  fclose(err);
  if (rc != VI_EXIT_OK || !f->m || !f->names || !f->labels || !f->blocks) {
    int st = rc == VI_EXIT_MODEL ? VI_ERR_SYNTAX : rc == VI_EXIT_EVAL ? VI_ERR_EVAL
           : rc == VI_EXIT_USAGE ? VI_ERR_USAGE : rc == VI_EXIT_OK ? VI_ERR_NOMEM : VI_ERR_IO;
    set_error(e, st, rc == VI_EXIT_OK ? VI_EXIT_EVAL : rc, "%s", ebuf && elen ? ebuf : "error: out of memory\n");
    goto fail;
  }
  snprintf(f->warnings, sizeof f->warnings, "%s", ebuf ? ebuf : "");
  for (int i = 0; i < av.n; i++) free(av.v[i]);
  free(av.v);
  free(obuf);
  free(ebuf);
  return f;
fail:
  for (int i = 0; i < av.n; i++) free(av.v[i]);
  free(av.v);
  free(obuf);
  free(ebuf);
  vi_api_fit_free(f);
  return NULL;
}

size_t vi_api_fit_nout(const struct vi_api_fit *f) { return f->P; }
const char *vi_api_fit_name(const struct vi_api_fit *f, size_t i) { return i < f->P ? f->names[i] : NULL; }
const char *vi_api_fit_label(const struct vi_api_fit *f, size_t i) { return i < f->P ? f->labels[i] : NULL; }
int vi_api_fit_block(const struct vi_api_fit *f, size_t i) { return i < f->P ? f->blocks[i] : -1; }
size_t vi_api_fit_ndraws(const struct vi_api_fit *f) { return f->S; }
const double *vi_api_fit_draws(const struct vi_api_fit *f) { return f->draws; }
const char *vi_api_fit_warnings(const struct vi_api_fit *f) { return f->warnings; }

void vi_api_fit_summary(const struct vi_api_fit *f, double *out) {
  for (size_t k = 0; k < f->P; k++) {
    const struct vi_summary_stats *s = &f->st[k];
    double row[5] = {s->mean, s->sd, s->q5, s->q50, s->q95};
    memcpy(out + 5 * k, row, sizeof row);
  }
}

const char *vi_api_fit_summary_csv(struct vi_api_fit *f) {
  if (f->summary_csv) return f->summary_csv;
  size_t len;
  FILE *s = open_memstream(&f->summary_csv, &len);
  if (!s) return NULL;
  vi_summary_fprint_csv(s, f->P, f->names, f->labels, f->st);
  if (fclose(s) != 0) {
    free(f->summary_csv);
    f->summary_csv = NULL;
  }
  return f->summary_csv;
}

const char *vi_api_fit_params_csv(struct vi_api_fit *f) {
  if (f->params_csv) return f->params_csv;
  const char **un = malloc((f->dim ? f->dim : 1) * sizeof *un);
  if (!un) return NULL;
  for (size_t i = 0; i < f->dim; i++) un[i] = vi_model_coord_name(f->m, i);
  size_t len;
  FILE *s = open_memstream(&f->params_csv, &len);
  if (s) {
    vi_summary_fprint_params(s, &f->res, un, NULL);
    if (fclose(s) != 0) {
      free(f->params_csv);
      f->params_csv = NULL;
    }
  }
  free(un);
  return f->params_csv;
}

static void copy_str(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

void vi_api_fit_diagnostics(const struct vi_api_fit *f, struct vi_api_diagnostics *o) {
  memset(o, 0, sizeof *o);
  const struct vi_advi_result *r = &f->res;
  o->elbo = r->elbo;
  o->khat = f->chk.khat;
  o->mean_shift = f->chk.mean_shift;
  o->sd_shift = f->chk.sd_shift;
  o->seconds = f->secs;
  o->mc_change = r->mc_change;
  o->grad_evals = r->grad_evals;
  o->converged = r->converged;
  o->iterations = r->iterations;
  o->draws_m = r->draws_m;
  o->verdict = (int)f->chk.verdict;
  o->dim = f->dim;
  o->trace_n = r->trace.iter ? r->trace.n : 0;
  o->trace_iter = r->trace.iter;
  o->trace_draws = r->trace.draws;
  o->trace_elbo = r->trace.elbo;
  copy_str(o->algorithm, sizeof o->algorithm, vi_algo_name(r->algorithm));
  copy_str(o->optimizer, sizeof o->optimizer, vi_optimizer_name(r->optimizer));
  copy_str(o->verdict_text, sizeof o->verdict_text, vi_verdict_name(f->chk.verdict));
  copy_str(o->reason, sizeof o->reason, r->reason);
  copy_str(o->fits, sizeof o->fits, r->fits);
}

int vi_api_fit_report(const struct vi_api_fit *f, const char *path, struct vi_api_error *e) {
  clear_error(e);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_report rep = {vi_model_file(f->m), f->m->ntables ? vi_table_file(f->m->tables[0]) : NULL,
                          vi_model_data_rows(f->m), &f->opt, &f->res, &f->chk, f->seed, f->secs, f->P, f->S,
                          f->labels, f->blocks, f->draws, f->log_p, f->log_q, f->st, vi_report_model_data, f->m};
  int r = vi_report_write(path, &rep, &d);
  if (r) set_error(e, r, VI_EXIT_IO, "%s", d.buf && d.len ? d.buf : "error: cannot write the report\n");
  vi_diags_free(&d);
  return r ? -1 : 0;
}
