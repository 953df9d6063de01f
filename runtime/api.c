/* api.c: the interface for other languages (include/vi/api.h). A fit runs
 * the steps of vi-run's fit_mode (runtime/cli.c) in the same order with the
 * same seeds; python/tests check the numbers against the CLI's. */
#include "vi/api.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* vi-run's exit code for a status (cli.c, status_exit). */
static int exit_of(int st) {
  switch (st) {
  case VI_OK: return VI_EXIT_OK;
  case VI_ERR_SYNTAX:
  case VI_ERR_TYPE: return VI_EXIT_MODEL;
  case VI_ERR_EVAL: return VI_EXIT_EVAL;
  case VI_ERR_USAGE: return VI_EXIT_USAGE;
  default: return VI_EXIT_DATA;
  }
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

/* ---- options (as vi-run's parse_args) ---- */

static int opt_num(const char *opt, const char *val, double lo, double hi, int integer, double *out,
                   struct vi_api_error *e) {
  char *end;
  errno = 0;
  double v = strtod(val, &end);
  if (end == val || *end || errno || !(v >= lo && v <= hi) || (integer && v != floor(v))) {
    set_error(e, VI_ERR_USAGE, VI_EXIT_USAGE, "error: --%s takes %s in [%g, %g], not '%s'\n", opt,
              integer ? "an integer" : "a number", lo, hi, val);
    return -1;
  }
  *out = v;
  return 0;
}

struct run_opts {
  struct vi_advi_options opt;
  unsigned long long seed;
  int threads;
  const char *init_file;
};

static int parse_option(struct run_opts *a, const char *key, const char *val, struct vi_api_error *e) {
  char opt[64];
  size_t n = strlen(key);
  if (n >= sizeof opt) n = sizeof opt - 1;
  for (size_t i = 0; i < n; i++) opt[i] = key[i] == '_' ? '-' : key[i];
  opt[n] = 0;
  double v = 0;
  int r = 0;
  if (!strcmp(opt, "algorithm")) {
    if (vi_algo_parse(val, &a->opt.algorithm)) {
      set_error(e, VI_ERR_USAGE, VI_EXIT_USAGE,
                "error: --algorithm takes auto, dadvi, meanfield, fullrank or lowrank, not '%s'\n", val);
      return -1;
    }
  } else if (!strcmp(opt, "optimizer")) {
    if (vi_optimizer_parse(val, &a->opt.optimizer) || a->opt.optimizer == VI_OPT_AUTO) {
      set_error(e, VI_ERR_USAGE, VI_EXIT_USAGE,
                "error: --optimizer takes sgd or lbfgs, not '%s' (or adam, with --algorithm meanfield or "
                "fullrank)\n", val);
      return -1;
    }
  } else if (!strcmp(opt, "estimator")) {
    if (!strcmp(val, "stl")) a->opt.estimator = VI_EST_STL;
    else if (!strcmp(val, "reparam")) a->opt.estimator = VI_EST_REPARAM;
    else {
      set_error(e, VI_ERR_USAGE, VI_EXIT_USAGE, "error: --estimator takes reparam or stl, not '%s'\n", val);
      return -1;
    }
  } else if (!strcmp(opt, "rank")) {
    if (!(r = opt_num(opt, val, 1, 1e4, 1, &v, e))) a->opt.rank = (int)v;
  } else if (!strcmp(opt, "lr")) {
    if (!(r = opt_num(opt, val, 1e-12, 1e6, 0, &v, e))) a->opt.lr = v;
  } else if (!strcmp(opt, "threads")) {
    if (!(r = opt_num(opt, val, 1, 256, 1, &v, e))) a->threads = (int)v;
  } else if (!strcmp(opt, "seed")) {
    if (!(r = opt_num(opt, val, 0, 4294967295.0, 1, &v, e))) a->seed = (unsigned long long)v;
  } else if (!strcmp(opt, "iter")) {
    if (!(r = opt_num(opt, val, 1, 1e8, 1, &v, e))) a->opt.iter = (int)v;
  } else if (!strcmp(opt, "grad-samples")) {
    if (!(r = opt_num(opt, val, 1, 1e6, 1, &v, e))) a->opt.grad_samples = (int)v;
  } else if (!strcmp(opt, "elbo-samples")) {
    if (!(r = opt_num(opt, val, 1, 1e7, 1, &v, e))) a->opt.elbo_samples = (int)v;
  } else if (!strcmp(opt, "eval-elbo")) {
    if (!(r = opt_num(opt, val, 1, 1e8, 1, &v, e))) a->opt.eval_elbo = (int)v;
  } else if (!strcmp(opt, "eta")) {
    if (!(r = opt_num(opt, val, 1e-12, 1e12, 0, &v, e))) {
      a->opt.eta = v;
      a->opt.adapt_engaged = 0;
    }
  } else if (!strcmp(opt, "adapt-engaged")) {
    if (!(r = opt_num(opt, val, 0, 1, 1, &v, e))) a->opt.adapt_engaged = (int)v;
  } else if (!strcmp(opt, "adapt-iter")) {
    if (!(r = opt_num(opt, val, 1, 1e6, 1, &v, e))) a->opt.adapt_iter = (int)v;
  } else if (!strcmp(opt, "tol-rel-obj")) {
    if (!(r = opt_num(opt, val, 1e-12, 1e6, 0, &v, e))) a->opt.tol_rel_obj = v;
  } else if (!strcmp(opt, "output-samples")) {
    if (!(r = opt_num(opt, val, 1, 1e7, 1, &v, e))) a->opt.output_samples = (int)v;
  } else if (!strcmp(opt, "init")) {
    size_t m = strlen(val);
    if (m > 5 && !strcmp(val + m - 5, ".json")) a->init_file = val;
    else if (!(r = opt_num(opt, val, 0, 1e6, 0, &v, e))) a->opt.init_radius = v;
  } else {
    set_error(e, VI_ERR_USAGE, VI_EXIT_USAGE, "error: unknown option '%s'\n", key);
    return -1;
  }
  return r;
}

/* ---- fit ---- */

static int density_cb(void *ctx, const double *theta, double *lp, double *grad) {
  struct vi_model *m = ctx;
  if (vi_model_log_density(m, theta, lp, grad)) return 1;
  return isfinite(*lp) ? 0 : 1;
}

static int density_batch_cb(void *ctx, size_t M, const double *theta, double *lp, double *grad, int *status) {
  return vi_model_log_density_batch(ctx, M, theta, lp, grad, status);
}

static size_t work_cb(void *ctx) { return vi_model_work(ctx); }

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
  free(f->summary_csv);
  free(f->params_csv);
  vi_arena_free(&f->arena);
  vi_model_free(f->m);
  free(f);
}

static void warn(struct vi_api_fit *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct vi_api_fit *f, const char *fmt, ...) {
  size_t n = strlen(f->warnings);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->warnings + n, sizeof f->warnings - n, fmt, ap);
  va_end(ap);
}

struct vi_api_fit *vi_api_fit_run(const struct vi_api_model *am, const struct vi_api_data *data, int nopt,
                                  const char *const *keys, const char *const *values, struct vi_api_error *e) {
  clear_error(e);
  struct run_opts a;
  memset(&a, 0, sizeof a);
  a.seed = 1;
  vi_advi_options_default(&a.opt);
  for (int i = 0; i < nopt; i++)
    if (parse_option(&a, keys[i], values[i], e)) return NULL;
  a.opt.seed = a.seed;
  if ((a.opt.algorithm == VI_ALGO_DADVI || a.opt.algorithm == VI_ALGO_AUTO) &&
      (a.opt.optimizer == VI_OPT_SGD || a.opt.optimizer == VI_OPT_ADAM)) {
    set_error(e, VI_ERR_USAGE, VI_EXIT_USAGE,
              "error: --optimizer %s needs --algorithm meanfield or fullrank (dadvi is the deterministic "
              "L-BFGS fit)\n", vi_optimizer_name(a.opt.optimizer));
    return NULL;
  }
  struct vi_api_fit *f = calloc(1, sizeof *f);
  if (!f) {
    set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
    return NULL;
  }
  vi_arena_init(&f->arena);
  struct vi_diags d;
  vi_diags_init(&d);
  double *init = NULL;
  int r = vi_model_load_string(am->path, am->src, am->len, &f->m, &d);
  if (r) {
    set_error(e, r, VI_EXIT_MODEL, "%s", d.buf && d.len ? d.buf : "error: cannot load the model\n");
    goto fail;
  }
  struct vi_model *m = f->m;
  /* the columns in memory: one table, read by the CSV reader, first */
  if (data && data->ncols) {
    size_t len = 0;
    char *text = table_text(data, &len);
    struct vi_table **tp = realloc(m->tables, (size_t)(m->ntables + 1) * sizeof *tp);
    if (tp) m->tables = tp;
    if (!text || !tp) {
      free(text);
      set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory\n");
      goto fail;
    }
    r = vi_csv_parse("data", text, len, &m->tables[m->ntables], &d);
    free(text);
    if (r) {
      set_error(e, r, exit_of(r), "%s", d.buf && d.len ? d.buf : "error: bad data\n");
      goto fail;
    }
    m->ntables++;
  }
  struct vi_data_inputs in = {data ? (const char *const *)data->files : NULL, data ? data->nfiles : 0,
                              data ? (const char *const *)data->assigns : NULL, data ? data->nassigns : 0,
                              a.seed};
  if ((r = vi_model_bind(m, &in, &d))) {
    int code = exit_of(r);
    set_error(e, r, code == VI_EXIT_OK ? VI_EXIT_DATA : code, "%s", d.buf && d.len ? d.buf : "error: failed\n");
    goto fail;
  }
  if (d.buf && d.len) warn(f, "%s", d.buf);
  vi_model_set_threads(m, a.threads);
  vi_diags_clear(&d);
  if (a.init_file) {
    init = calloc(vi_model_dim(m) + 1, sizeof *init);
    r = init ? vi_model_init_json(m, a.init_file, a.opt.init_radius, a.seed, init, &d) : VI_ERR_NOMEM;
    if (r) {
      set_error(e, r, r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_DATA, "%s",
                d.buf && d.len ? d.buf : "error: out of memory\n");
      goto fail;
    }
    if (d.buf && d.len) warn(f, "%s", d.buf);
    vi_diags_clear(&d);
    a.opt.init = init;
  }

  /* from here the steps of cli.c's fit_mode */
  double t0 = now();
  size_t dim = vi_model_dim(m), P = vi_model_nout(m), S = (size_t)a.opt.output_samples;
  struct vi_density den = {dim, m, density_cb, density_batch_cb, vi_model_pool(m)};
  a.opt.work = work_cb;
  a.opt.work_ctx = m;
  f->dim = dim;
  f->P = P;
  f->S = S;
  f->seed = a.seed;
  enum vi_advi_stop stop = vi_advi_fit(&den, &a.opt, &f->arena, &f->res, &d);
  if (stop == VI_ADVI_ERROR || stop == VI_ADVI_INTERRUPTED) {
    char extra[1100] = "";
    if (vi_model_error(m)[0]) snprintf(extra, sizeof extra, "%s\n", vi_model_error(m));
    set_error(e, VI_ERR_EVAL, stop == VI_ADVI_ERROR ? VI_EXIT_EVAL : VI_EXIT_INTERRUPTED, "%s%s",
              d.buf && d.len ? d.buf : "error: the fit failed\n", extra);
    goto fail;
  }
  f->theta = malloc((S ? S : 1) * (dim ? dim : 1) * sizeof *f->theta);
  f->log_p = malloc((S ? S : 1) * sizeof *f->log_p);
  f->log_q = malloc((S ? S : 1) * sizeof *f->log_q);
  f->draws = malloc((S ? S : 1) * (P ? P : 1) * sizeof *f->draws);
  f->mean_row = malloc((P ? P : 1) * sizeof *f->mean_row);
  f->st = calloc(P ? P : 1, sizeof *f->st);
  f->names = malloc((P ? P : 1) * sizeof *f->names);
  f->labels = malloc((P ? P : 1) * sizeof *f->labels);
  f->blocks = malloc((P ? P : 1) * sizeof *f->blocks);
  if (!f->theta || !f->log_p || !f->log_q || !f->draws || !f->mean_row || !f->st || !f->names || !f->labels ||
      !f->blocks) {
    set_error(e, VI_ERR_NOMEM, VI_EXIT_EVAL, "error: out of memory for %zu draws of %zu quantities\n", S, P);
    goto fail;
  }
  if (vi_advi_draw(&f->res, &den, a.seed, S, f->theta, f->log_p, f->log_q, &d)) {
    set_error(e, VI_ERR_EVAL, VI_EXIT_EVAL, "%s",
              d.buf && d.len ? d.buf : "error: drawing from the approximation failed\n");
    goto fail;
  }
  struct vi_rng rng;
  vi_rng_seed(&rng, a.seed, 0x9e);
  size_t failed = 0;
  if (vi_model_write(m, f->res.mu, f->mean_row, &rng))
    for (size_t k = 0; k < P; k++) f->mean_row[k] = NAN;
  for (size_t i = 0; i < S; i++)
    if (vi_model_write(m, f->theta + i * dim, f->draws + i * P, &rng)) {
      failed++;
      for (size_t k = 0; k < P; k++) f->draws[i * P + k] = NAN;
    }
  vi_summary_compute(f->draws, S, P, f->st);
  if (vi_psis_check(f->theta, S, dim, f->log_p, f->log_q, &f->chk)) {
    f->chk.khat = vi_psis_khat(f->log_p, f->log_q, S);
    f->chk.verdict = VI_VERDICT_UNKNOWN;
  }
  f->secs = now() - t0;
  for (size_t k = 0; k < P; k++) {
    f->names[k] = vi_model_out_name(m, k);
    f->labels[k] = vi_model_out_label(m, k);
    f->blocks[k] = vi_model_out_block(m, k);
  }
  f->opt = a.opt;
  f->opt.init = NULL; /* freed below; the report only asks whether one was given */
  f->opt.work = NULL;
  f->opt.work_ctx = NULL;
  if (!f->res.converged) warn(f, "warning: the fit did not converge (%s)\n", f->res.reason);
  if (f->chk.verdict == VI_VERDICT_UNRELIABLE)
    warn(f, "warning: Pareto k = %.2f and reweighting moves the means by up to %.2g sd: the approximation is "
            "poor and the summaries may be unreliable\n", f->chk.khat, f->chk.mean_shift);
  if (failed)
    warn(f, "warning: %zu of %zu draws could not be evaluated (transformed parameters or generated quantities "
            "failed); they are NaN in the output\n", failed, S);
  free(init);
  vi_diags_free(&d);
  return f;
fail:
  free(init);
  vi_diags_free(&d);
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
