/* cli.c: argument parsing and the inspection modes of vi-run. */
#include "vi/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vi/advi.h"
#include "vi/data.h"
#include "vi/flow.h"
#include "vi/minibatch.h"
#include "vi/model.h"
#include "vi/report.h"
#include "vi/point.h"
#include "vi/summary.h"
#include "vi/writer.h"

/* Where vi-run prints (vi_cli_run's hooks may redirect them), and the
 * hooks of this run (NULL: the command line's). */
static FILE *out_f, *err_f;
static const struct vi_cli_hooks *hooks;

struct cli {
  const char *model;
  const char **files;
  int nfiles;
  const char **assigns;
  int nassigns;
  int check;
  const char *logdens;
  long time_grad;
  int threads;            /* --threads: 0 = one per core */
  unsigned long long seed;
  int quiet, help, version;
  int resample;           /* --resample: PSIS-resampled output draws */
  struct vi_advi_options opt;
  const char *draws, *summary, *params;
  const char *report;     /* --report FILE.html */
  const char *init_file; /* --init FILE.json */
  int model_kept;         /* a hook keeps the model after the fit */
  const char *point;     /* --point NAME[,NAME...] */
  const char *pin_file;  /* --pin FILE.json */
  int em;                /* --em joint|alternate (enum vi_em) */
  int init_given;        /* --init was given (point fits start at 0 otherwise) */
  long batch, epochs, chunk; /* --batch-size, --epochs, --chunk-rows (runtime/minibatch.c) */
  int lr_given;
  const char *cache;      /* --cache DIR */
};

static const char usage[] =
    "usage: vi-run MODEL.vim [DATA.csv ...] [DATA.json] [NAME=VALUE ...] [options]\n"
    "  --check                 compile, bind the data, print the parameter layout\n"
    "  --log-density FILE.csv  print the log density and gradient at each unconstrained point\n"
    "  --time-gradient N       time N gradient evaluations (prints per_gradient_us=...)\n"
    "  --seed N                random seed (default 1); a run is reproducible bit for bit\n"
    "  --threads T             evaluate on T threads (default: one per core; results do not depend on T)\n"
    "  --quiet                 no progress output\n"
    "fitting (CmdStan's names):\n"
    "  --algorithm A           auto (default: dadvi, then full rank for models of <= 100\n"
    "                          parameters that are cheap to evaluate, else low rank; full\n"
    "                          rank again when the verdict is unreliable), dadvi (deterministic\n"
    "                          mean-field ADVI with linear-response covariances), meanfield\n"
    "                          or fullrank (the Gaussian family), lowrank (low rank plus\n"
    "                          diagonal Gaussian, fixed draws + L-BFGS; 100 to 100,000 parameters)\n"
    "                          or flow (a normalizing flow on top of auto's Gaussian fit)\n"
    "  --rank R                lowrank's rank (default by cost, 2 to 10)\n"
    "  --flow F                flow's layers: coupling (default; RealNVP) or iaf\n"
    "  --flow-layers N --flow-hidden N  flow's layers (default 8) and hidden units\n"
    "                          (default 2 x parameters, within 16 to 64)\n"
    "  --resample              output draws resampled by their Pareto-smoothed importance weights\n"
    "  --optimizer O           sgd (CmdStan's stochastic gradient ascent; meanfield's default),\n"
    "                          adam (Adam on the same gradients; meanfield, fullrank)\n"
    "                          or lbfgs (fixed draws + L-BFGS; fullrank's default)\n"
    "  --lr X                  adam's step size (default 0.001)\n"
    "  --estimator E           sgd/adam gradients: reparam (default) or stl (sticking the landing)\n"
    "  --iter N --grad-samples N --elbo-samples N --eval-elbo N --eta X --adapt-engaged 0|1\n"
    "  --adapt-iter N --tol-rel-obj X --output-samples N\n"
    "  --init 0|R|FILE.json    zero, uniform(-R, R) on the unconstrained scale (default 2), or\n"
    "                          CmdStan's init file (constrained values by parameter name)\n"
    "  --point NAME[,NAME...]  optimise these parameters (MAP, as @point) while the rest keep q\n"
    "  --em joint|alternate    point parameters: fit them with q jointly by L-BFGS (default), or by\n"
    "                          EM sweeps (q with them fixed, then them with q fixed; ELBO per sweep)\n"
    "  --pin FILE.json         hold parameters at the given constrained values\n"
    "large data (a model that is a sum over a table's rows; see docs/large.md):\n"
    "  --batch-size B          stochastic VI on minibatches of B rows (Adam; row terms scaled by N/B)\n"
    "  --epochs E              at most E passes over the rows (default 20); --lr sets Adam's first step\n"
    "  --chunk-rows C          evaluate the full data in chunks of C rows (default 4096), reduced in\n"
    "                          chunk order: the same bits for any --threads and MPI ranks\n"
    "  --cache DIR             keep a binary copy of each CSV's columns in DIR (used while the CSV's\n"
    "                          size, time and content hash are unchanged)\n"
    "  --summary FILE.csv      write param,mean,sd,q5,q50,q95\n"
    "  --draws FILE.csv        write the draws in CmdStan's CSV layout\n"
    "  --params FILE.csv       write the variational parameters (unconstrained scale)\n"
    "  --report FILE.html      write a self-contained HTML report (plots of the fit)\n"
    "  -h, --help              this text;  --version  the version\n"
    "exit codes: 0 success, 1 the model cannot be read or does not compile, 2 bad data,\n"
    "  3 the model cannot be evaluated, 4 usage error, 5 an output file cannot be written,\n"
    "  130 interrupted\n";

#ifndef VI_VERSION
#define VI_VERSION "unknown"
#endif

static const char *const valued_opts[] = {"log-density", "time-gradient", "seed", "algorithm", "optimizer", "lr", "rank", "estimator", "iter",
                                          "grad-samples", "elbo-samples", "eval-elbo", "eta", "adapt-engaged",
                                          "adapt-iter", "tol-rel-obj", "output-samples", "init", "draws", "summary",
                                          "params", "threads", "report", "point", "pin", "em", "flow", "flow-layers",
                                          "flow-hidden", "batch-size", "epochs", "chunk-rows", "cache", NULL};
static const char *const flag_opts[] = {"check", "quiet", "help", "version", "resample", NULL};

/* The known option closest to opt (edit distance <= 2, or opt a prefix of
 * it), or NULL. */
static const char *closest_option(const char *opt) {
  const char *best = NULL;
  int bd = 3;
  for (int pass = 0; pass < 2; pass++) {
    const char *const *list = pass ? flag_opts : valued_opts;
    for (int k = 0; list[k]; k++) {
      int dd = vi_edit_distance(opt, list[k], 2);
      if (dd > 2 && strlen(opt) >= 3 && strncmp(list[k], opt, strlen(opt)) == 0) dd = 2;
      if (dd < bd) {
        bd = dd;
        best = list[k];
      }
    }
  }
  return best;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int vi_cli_exit_code(int st) {
  switch (st) {
  case VI_OK: return VI_EXIT_OK;
  case VI_ERR_SYNTAX:
  case VI_ERR_TYPE: return VI_EXIT_MODEL;
  case VI_ERR_EVAL: return VI_EXIT_EVAL;
  case VI_ERR_USAGE: return VI_EXIT_USAGE;
  case VI_ERR_IO: return VI_EXIT_DATA;
  default: return VI_EXIT_DATA;
  }
}

static int parse_num(const char *opt, const char *val, double lo, double hi, int integer, double *out) {
  char *end;
  errno = 0;
  double v = strtod(val, &end);
  if (end == val || *end || errno || !(v >= lo && v <= hi) || (integer && v != floor(v))) {
    fprintf(err_f, "error: --%s takes %s in [%g, %g], not '%s'\n", opt, integer ? "an integer" : "a number", lo, hi,
            val);
    return VI_ERR_USAGE;
  }
  *out = v;
  return VI_OK;
}

static int parse_args(int argc, const char *const *argv, struct cli *a) {
  memset(a, 0, sizeof *a);
  a->files = calloc((size_t)argc, sizeof *a->files);
  a->assigns = calloc((size_t)argc, sizeof *a->assigns);
  a->seed = 1;
  vi_advi_options_default(&a->opt);
  if (!a->files || !a->assigns) return VI_ERR_NOMEM;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (!strcmp(s, "-h")) s = "--help";
    if (s[0] == '-' && s[1] != '-' && s[1]) {
      fprintf(err_f, "error: unknown option '%s' (options start with '--'; see vi-run --help)\n", s);
      return VI_ERR_USAGE;
    }
    if (strncmp(s, "--", 2) != 0) {
      if (!a->model)
        a->model = s;
      else if (strchr(s, '=') && s[0] != '=' && !strchr(s, '/'))
        a->assigns[a->nassigns++] = s;
      else
        a->files[a->nfiles++] = s;
      continue;
    }
    const char *opt = s + 2;
    if (!strcmp(opt, "check")) {
      a->check = 1;
      continue;
    }
    if (!strcmp(opt, "quiet")) {
      a->quiet = 1;
      continue;
    }
    if (!strcmp(opt, "help")) {
      a->help = 1;
      continue;
    }
    if (!strcmp(opt, "resample")) {
      a->resample = 1;
      continue;
    }
    if (!strcmp(opt, "version")) {
      a->version = 1;
      continue;
    }
    int known = 0;
    for (int k = 0; valued_opts[k]; k++) known |= !strcmp(opt, valued_opts[k]);
    if (!known) {
      const char *sug = closest_option(opt);
      if (sug)
        fprintf(err_f, "error: unknown option '%s' (did you mean '--%s'?)\n", s, sug);
      else
        fprintf(err_f, "error: unknown option '%s' (see vi-run --help)\n", s);
      return VI_ERR_USAGE;
    }
    if (i + 1 >= argc) {
      fprintf(err_f, "error: option --%s needs a value\n", opt);
      return VI_ERR_USAGE;
    }
    const char *val = argv[++i];
    double v = 0;
    int r = VI_OK;
    if (!strcmp(opt, "log-density")) a->logdens = val;
    else if (!strcmp(opt, "draws")) a->draws = val;
    else if (!strcmp(opt, "summary")) a->summary = val;
    else if (!strcmp(opt, "params")) a->params = val;
    else if (!strcmp(opt, "report")) a->report = val;
    else if (!strcmp(opt, "point")) a->point = val;
    else if (!strcmp(opt, "pin")) a->pin_file = val;
    else if (!strcmp(opt, "em")) {
      if (!strcmp(val, "joint")) a->em = VI_EM_JOINT;
      else if (!strcmp(val, "alternate")) a->em = VI_EM_ALTERNATE;
      else {
        fprintf(err_f, "error: --em takes joint or alternate, not '%s'\n", val);
        return VI_ERR_USAGE;
      }
    }
    else if (!strcmp(opt, "cache")) a->cache = val;
    else if (!strcmp(opt, "algorithm")) {
      if (vi_algo_parse(val, &a->opt.algorithm)) {
        fprintf(err_f, "error: --algorithm takes auto, dadvi, meanfield, fullrank, lowrank or flow, not '%s'\n",
                val);
        return VI_ERR_USAGE;
      }
    } else if (!strcmp(opt, "optimizer")) {
      if (vi_optimizer_parse(val, &a->opt.optimizer) || a->opt.optimizer == VI_OPT_AUTO) {
        fprintf(err_f, "error: --optimizer takes sgd or lbfgs, not '%s' (or adam, with --algorithm "
                        "meanfield or fullrank)\n", val);
        return VI_ERR_USAGE;
      }
    } else if (!strcmp(opt, "estimator")) {
      if (!strcmp(val, "stl")) a->opt.estimator = VI_EST_STL;
      else if (!strcmp(val, "reparam")) a->opt.estimator = VI_EST_REPARAM;
      else {
        fprintf(err_f, "error: --estimator takes reparam or stl, not '%s'\n", val);
        return VI_ERR_USAGE;
      }
    } else if (!strcmp(opt, "flow")) {
      enum vi_flow_kind k;
      if (vi_flow_kind_parse(val, &k)) {
        fprintf(err_f, "error: --flow takes coupling or iaf, not '%s'\n", val);
        return VI_ERR_USAGE;
      }
      a->opt.flow_kind = (int)k;
    } else if (!strcmp(opt, "flow-layers")) {
      if (!(r = parse_num(opt, val, 1, 64, 1, &v))) a->opt.flow_layers = (int)v;
    } else if (!strcmp(opt, "flow-hidden")) {
      if (!(r = parse_num(opt, val, 1, 4096, 1, &v))) a->opt.flow_hidden = (int)v;
    } else if (!strcmp(opt, "rank")) {
      if (!(r = parse_num(opt, val, 1, 1e4, 1, &v))) a->opt.rank = (int)v;
    } else if (!strcmp(opt, "lr")) {
      if (!(r = parse_num(opt, val, 1e-12, 1e6, 0, &v))) a->opt.lr = v;
      a->lr_given = 1;
    } else if (!strcmp(opt, "time-gradient")) {
      if (!(r = parse_num(opt, val, 1, 1e9, 1, &v))) a->time_grad = (long)v;
    } else if (!strcmp(opt, "batch-size")) {
      if (!(r = parse_num(opt, val, 1, 2147483647.0, 1, &v))) a->batch = (long)v;
    } else if (!strcmp(opt, "epochs")) {
      if (!(r = parse_num(opt, val, 1, 1e7, 1, &v))) a->epochs = (long)v;
    } else if (!strcmp(opt, "chunk-rows")) {
      if (!(r = parse_num(opt, val, 1, 2147483647.0, 1, &v))) a->chunk = (long)v;
    } else if (!strcmp(opt, "threads")) {
      if (!(r = parse_num(opt, val, 1, 256, 1, &v))) a->threads = (int)v;
    } else if (!strcmp(opt, "seed")) {
      if (!(r = parse_num(opt, val, 0, 4294967295.0, 1, &v))) a->seed = (unsigned long long)v;
    } else if (!strcmp(opt, "iter")) {
      if (!(r = parse_num(opt, val, 1, 1e8, 1, &v))) a->opt.iter = (int)v;
    } else if (!strcmp(opt, "grad-samples")) {
      if (!(r = parse_num(opt, val, 1, 1e6, 1, &v))) a->opt.grad_samples = (int)v;
    } else if (!strcmp(opt, "elbo-samples")) {
      if (!(r = parse_num(opt, val, 1, 1e7, 1, &v))) a->opt.elbo_samples = (int)v;
    } else if (!strcmp(opt, "eval-elbo")) {
      if (!(r = parse_num(opt, val, 1, 1e8, 1, &v))) a->opt.eval_elbo = (int)v;
    } else if (!strcmp(opt, "eta")) {
      if (!(r = parse_num(opt, val, 1e-12, 1e12, 0, &v))) {
        a->opt.eta = v;
        a->opt.adapt_engaged = 0;
      }
    } else if (!strcmp(opt, "adapt-engaged")) {
      if (!(r = parse_num(opt, val, 0, 1, 1, &v))) a->opt.adapt_engaged = (int)v;
    } else if (!strcmp(opt, "adapt-iter")) {
      if (!(r = parse_num(opt, val, 1, 1e6, 1, &v))) a->opt.adapt_iter = (int)v;
    } else if (!strcmp(opt, "tol-rel-obj")) {
      if (!(r = parse_num(opt, val, 1e-12, 1e6, 0, &v))) a->opt.tol_rel_obj = v;
    } else if (!strcmp(opt, "output-samples")) {
      if (!(r = parse_num(opt, val, 1, 1e7, 1, &v))) a->opt.output_samples = (int)v;
    } else if (!strcmp(opt, "init")) {
      a->init_given = 1;
      size_t n = strlen(val);
      if (n > 5 && !strcmp(val + n - 5, ".json")) a->init_file = val;
      else if (!(r = parse_num(opt, val, 0, 1e6, 0, &v))) a->opt.init_radius = v;
    }
    if (r) return r;
  }
  a->opt.seed = a->seed;
  if (a->batch) a->opt.algorithm = VI_ALGO_MEANFIELD; /* reported as meanfield (adam) */
  if (a->help || a->version) return VI_OK;
  if (!a->model) {
    fputs(usage, err_f);
    return VI_ERR_USAGE;
  }
  if (a->opt.algorithm == VI_ALGO_FLOW && a->opt.optimizer != VI_OPT_AUTO &&
      a->opt.optimizer != VI_OPT_ADAM) {
    fprintf(err_f, "error: --algorithm flow is fitted with adam, not --optimizer %s\n",
            vi_optimizer_name(a->opt.optimizer));
    return VI_ERR_USAGE;
  }
  if (a->resample && a->batch) {
    fprintf(err_f, "error: --resample weighs every draw by the full-data density; with --batch-size only "
                   "100 draws are weighed (leave out one of them)\n");
    return VI_ERR_USAGE;
  }
  if ((a->opt.algorithm == VI_ALGO_DADVI || a->opt.algorithm == VI_ALGO_AUTO) &&
      (a->opt.optimizer == VI_OPT_SGD || a->opt.optimizer == VI_OPT_ADAM)) {
    fprintf(err_f, "error: --optimizer %s needs --algorithm meanfield or fullrank (dadvi is "
                    "the deterministic L-BFGS fit)\n", vi_optimizer_name(a->opt.optimizer));
    return VI_ERR_USAGE;
  }
  return VI_OK;
}

/* Whether the first line of text is numbers only (a points file without a
 * header). */
static int first_line_numeric(const char *text) {
  const char *p = text;
  if (!strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;
  int any = 0;
  while (*p && *p != '\n' && *p != '\r') {
    while (*p == ' ' || *p == '\t') p++;
    char *end;
    (void)strtod(p, &end);
    if (end == p) return 0;
    any = 1;
    p = end;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == ',' || *p == ';') p++;
    else if (*p && *p != '\n' && *p != '\r') return 0;
  }
  return any;
}

/* Reads the points file; one without a header gets the header c1,c2,...
 * (*shift is then 1: its lines are one further down than in the file). */
static int read_points(const char *path, size_t dim, struct vi_table **t, int *shift, struct vi_diags *d) {
  char *text;
  size_t len;
  *shift = 0;
  int r = vi_data_read_file(path, &text, &len, d);
  if (r) return r;
  if (!first_line_numeric(text)) {
    r = vi_csv_parse(path, text, len, t, d);
    free(text);
    return r;
  }
  size_t cap = len + 16 * (dim + 1) + 2, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    free(text);
    return VI_ERR_NOMEM;
  }
  char delim = strchr(text, ';') && !strchr(text, ',') ? ';' : ',';
  const char *sep = delim == ';' ? ";" : ",";
  for (size_t i = 0; i < dim; i++) n += (size_t)snprintf(buf + n, cap - n, "%sc%zu", i ? sep : "", i + 1);
  buf[n++] = '\n';
  memcpy(buf + n, text, len);
  r = vi_csv_parse(path, buf, n + len, t, d);
  free(buf);
  free(text);
  *shift = 1;
  return r;
}

static int log_density_mode(struct vi_model *m, const char *path) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t;
  int shift;
  if (read_points(path, vi_model_dim(m), &t, &shift, &d)) {
    fputs(d.buf, err_f);
    vi_diags_free(&d);
    return VI_EXIT_DATA;
  }
  size_t dim = vi_model_dim(m), rows = vi_table_nrows(t), nc = vi_table_ncols(t);
  if (nc != dim) {
    fprintf(err_f, "%s: error: %zu columns, but the model has %zu unconstrained parameters\n", path, nc, dim);
    vi_table_free(t);
    vi_diags_free(&d);
    return VI_EXIT_DATA;
  }
  /* Columns named as the unconstrained coordinates (vi-run --check) are read
   * by name, in any order; other names (u[1], ...) by position. A header of
   * numbers is no header: that line is the first point. */
  size_t *col = calloc(dim + 1, sizeof *col);
  int named = 0;
  char cell[128];
  size_t first_absent = dim;
  for (size_t i = 0; col && i < dim && !shift; i++) {
    long c = vi_table_find(t, vi_model_coord_name(m, i));
    if (c < 0) {
      if (first_absent == dim) first_absent = i;
      continue;
    }
    col[i] = (size_t)c;
    named += 1;
  }
  if (named && (size_t)named < dim) {
    fprintf(err_f, "%s: error: no column '%s' (the columns are read by name when some are named as the "
                    "model's unconstrained coordinates; see vi-run --check)\n", path,
            vi_model_coord_name(m, first_absent));
    free(col);
    vi_table_free(t);
    vi_diags_free(&d);
    return VI_EXIT_DATA;
  }
  for (size_t i = 0; col && !named && i < dim; i++) col[i] = i;
  double *theta = calloc(dim + 1, sizeof *theta), *grad = calloc(dim + 1, sizeof *grad);
  char *buf = NULL;
  size_t bufsize = 0;
  FILE *out = open_memstream(&buf, &bufsize);
  int rc = VI_EXIT_OK;
  if (!theta || !grad || !out || !col) {
    fprintf(err_f, "error: out of memory\n");
    rc = VI_EXIT_EVAL;
    goto done;
  }
  fprintf(out, "lp");
  for (size_t i = 0; i < dim; i++) fprintf(out, ",grad[%zu]", i + 1);
  fprintf(out, "\n");
  for (size_t k = 0; k < dim; k++) {
    struct vi_column c;
    vi_table_column(t, k, &c);
    size_t bad = c.n_missing && (!c.n_text || c.first_missing < c.first_text) ? c.first_missing : c.first_text;
    if (c.n_missing || c.n_text) {
      struct vi_srcloc l = vi_table_loc(t, bad, k);
      char cname[160];
      if (shift) snprintf(cname, sizeof cname, "column %zu", k + 1);
      else snprintf(cname, sizeof cname, "column '%.128s'", c.name);
      const char *what = c.n_missing && bad == c.first_missing ? "missing" : "non-numeric";
      fprintf(err_f, "%s:%d:%d: error: %s value '%s' in %s (a point must be numbers)\n", path, l.line - shift, l.col,
              what, vi_table_cell(t, bad, k, cell, sizeof cell), cname);
      rc = VI_EXIT_DATA;
      goto done;
    }
  }
  for (size_t r = 0; r < rows && rc == VI_EXIT_OK; r++) {
    for (size_t i = 0; i < dim; i++) {
      struct vi_column c;
      vi_table_column(t, col[i], &c);
      theta[i] = c.num[r];
    }
    double lp;
    if (vi_model_log_density(m, theta, &lp, grad)) {
      fprintf(err_f, "%s: error: cannot evaluate the log density at point %zu: %s\n", path, r + 1,
              vi_model_error(m));
      rc = VI_EXIT_EVAL;
      break;
    }
    fprintf(out, "%.17g", lp);
    for (size_t k = 0; k < dim; k++) fprintf(out, ",%.17g", grad[k]);
    fprintf(out, "\n");
  }
done:
  if (out) fclose(out);
  if (rc == VI_EXIT_OK && buf) fwrite(buf, 1, bufsize, out_f);
  free(buf);
  free(theta);
  free(grad);
  free(col);
  vi_table_free(t);
  vi_diags_free(&d);
  return rc;
}

/* --time-gradient with --chunk-rows: the full data as chunks (over threads
 * and MPI ranks). */
static int time_rows_mode(struct vi_model *m, long n, int threads, size_t chunk) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_rows *rows;
  if (vi_rows_new(m, threads, chunk, &rows, &d)) {
    fputs(d.buf && d.len ? d.buf : "error: out of memory\n", err_f);
    vi_diags_free(&d);
    return VI_EXIT_USAGE;
  }
  vi_diags_free(&d);
  vi_rows_use_mpi(rows);
  size_t dim = vi_model_dim(m);
  double *theta = calloc(dim + 1, sizeof *theta), *grad = calloc(dim + 1, sizeof *grad), lp = 0;
  int st = 0, rc = VI_EXIT_OK;
  for (size_t i = 0; theta && i < dim; i++) theta[i] = 0.1 * (double)((int)(i % 7) - 3);
  double t0 = 0;
  for (long e = 0; theta && grad && e <= n && rc == VI_EXIT_OK; e++) {
    if (e == 1) t0 = now(); /* the first evaluation is not timed */
    if (vi_rows_full(rows, 1, theta, &lp, grad, &st) || st) rc = VI_EXIT_EVAL;
  }
  double dt = now() - t0;
  if (rc) fprintf(err_f, "error: cannot evaluate the log density\n");
  else
    fprintf(out_f, "lp=%.10g dim=%zu chunks of %zu rows, %d ranks\nper_gradient_us=%.3f\n", lp, dim, vi_rows_chunk(rows),
           vi_mpi_size(), n ? 1e6 * dt / (double)n : 0.0);
  free(theta);
  free(grad);
  vi_rows_free(rows);
  return rc;
}

static int time_gradient_mode(struct vi_model *m, long n) {
  size_t dim = vi_model_dim(m);
  double *theta = calloc(dim + 1, sizeof *theta), *grad = calloc(dim + 1, sizeof *grad);
  if (!theta || !grad) {
    free(theta);
    free(grad);
    return VI_EXIT_EVAL;
  }
  for (size_t i = 0; i < dim; i++) theta[i] = 0.1 * (double)((int)(i % 7) - 3);
  double lp;
  if (vi_model_log_density(m, theta, &lp, grad)) {
    fprintf(err_f, "error: cannot evaluate the log density: %s\n", vi_model_error(m));
    free(theta);
    free(grad);
    return VI_EXIT_EVAL;
  }
  double t0 = now();
  for (long e = 0; e < n; e++) {
    theta[0] += 1e-9;
    if (vi_model_log_density(m, theta, &lp, grad)) {
      fprintf(err_f, "error: cannot evaluate the log density: %s\n", vi_model_error(m));
      free(theta);
      free(grad);
      return VI_EXIT_EVAL;
    }
  }
  double dt = now() - t0;
  fprintf(out_f, "lp=%.10g dim=%zu static_tape=%d work=%zu tape_bytes=%zu lowered_loops=%d\nper_gradient_us=%.3f\n", lp, dim,
         vi_model_is_static(m), vi_model_work(m), vi_model_tape_bytes(m), vi_model_lowered_loops(m),
         n ? 1e6 * dt / (double)n : 0.0);
  free(theta);
  free(grad);
  return VI_EXIT_OK;
}


/* ---- fitting ---- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

static int density_cb(void *ctx, const double *theta, double *lp, double *grad) {
  struct vi_model *m = ctx;
  if (vi_model_log_density(m, theta, lp, grad)) return 1;
  return isfinite(*lp) ? 0 : 1;
}

static int density_batch_cb(void *ctx, size_t M, const double *theta, double *lp, double *grad, int *status) {
  return vi_model_log_density_batch(ctx, M, theta, lp, grad, status);
}

struct progress {
  int tty;
  double t0;
};

static void progress_cb(void *ctx, int iter, double elbo, double rel) {
  struct progress *p = ctx;
  if (!p->tty) return;
  fprintf(err_f, "\r  iteration %6d   ELBO %14.6g   relative change %10.4g   %6.1f s ", iter, elbo, rel,
          now() - p->t0);
  fflush(err_f);
}

static const char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

static size_t work_cb(void *ctx) { return vi_model_work(ctx); }

/* The full data as a sum over row chunks (--chunk-rows, --batch-size). */
static int rows_density_cb(void *ctx, const double *theta, double *lp, double *grad) {
  int st;
  if (vi_rows_full(ctx, 1, theta, lp, grad, &st) || st) return 1;
  return isfinite(*lp) ? 0 : 1;
}

static int rows_batch_cb(void *ctx, size_t M, const double *theta, double *lp, double *grad, int *status) {
  return vi_rows_full(ctx, M, theta, lp, grad, status);
}

struct name_label {
  const char *name, *label;
};

static int cmp_name_label(const void *a, const void *b) {
  return strcmp(((const struct name_label *)a)->name, ((const struct name_label *)b)->name);
}

/* Labels of the unconstrained coordinates: a coordinate named as an output
 * element (identity-shaped parameters: "a[3]") takes that element's label.
 * ulabels[i] is unames[i] otherwise. 0, or -1 when out of memory. */
static int coord_labels(size_t dim, const char *const *unames, size_t P, const char *const *names,
                        const char *const *labels, const char **ulabels) {
  size_t n = 0;
  for (size_t k = 0; k < P; k++) n += strcmp(names[k], labels[k]) != 0;
  for (size_t i = 0; i < dim; i++) ulabels[i] = unames[i];
  if (!n) return 0;
  struct name_label *t = malloc(n * sizeof *t);
  if (!t) return -1;
  n = 0;
  for (size_t k = 0; k < P; k++)
    if (strcmp(names[k], labels[k])) t[n++] = (struct name_label){names[k], labels[k]};
  qsort(t, n, sizeof *t, cmp_name_label);
  for (size_t i = 0; i < dim; i++) {
    struct name_label key = {unames[i], NULL};
    const struct name_label *hit = bsearch(&key, t, n, sizeof *t, cmp_name_label);
    if (hit) ulabels[i] = hit->label;
  }
  free(t);
  return 0;
}

static void sweep_cb(void *ctx, int sweep, double elbo) {
  if (!*(const int *)ctx) fprintf(err_f, "EM sweep %4d   ELBO %.12g\n", sweep, elbo);
}

/* Replaces the S draws (and their log_p, log_q) by S draws resampled
 * (systematic resampling, seeded) with their Pareto-smoothed importance
 * weights. 0, or -1 when out of memory. */
static int resample_draws(double *theta, double *log_p, double *log_q, size_t S, size_t dim,
                          unsigned long long seed) {
  double *lw = malloc(S * sizeof *lw), *copy = malloc(S * (dim ? dim : 1) * sizeof *copy);
  double *lp = malloc(S * sizeof *lp), *lq = malloc(S * sizeof *lq);
  int rc = -1;
  if (!lw || !copy || !lp || !lq || vi_psis_smooth(log_p, log_q, S, lw)) goto out;
  double mx = -INFINITY, sum = 0;
  for (size_t s = 0; s < S; s++) mx = fmax(mx, lw[s]);
  if (!isfinite(mx)) { /* no weight to go by: the draws stay */
    rc = 0;
    goto out;
  }
  for (size_t s = 0; s < S; s++) sum += lw[s] = exp(lw[s] - mx);
  memcpy(copy, theta, S * dim * sizeof *copy);
  memcpy(lp, log_p, S * sizeof *lp);
  memcpy(lq, log_q, S * sizeof *lq);
  struct vi_rng r;
  vi_rng_seed(&r, seed, 0x5e);
  double u = vi_rng_uniform(&r), acc = lw[0] / sum;
  size_t k = 0;
  for (size_t s = 0; s < S; s++) {
    double target = ((double)s + u) / (double)S;
    while (acc < target && k + 1 < S) acc += lw[++k] / sum;
    memcpy(theta + s * dim, copy + k * dim, dim * sizeof *copy);
    log_p[s] = lp[k];
    log_q[s] = lq[k];
  }
  /* in random order, so that a prefix of the draws is a sample too */
  for (size_t s = S - 1; s > 0; s--) {
    size_t j = (size_t)(vi_rng_uniform(&r) * (double)(s + 1));
    if (j >= s) continue;
    memcpy(copy, theta + s * dim, dim * sizeof *copy);
    memcpy(theta + s * dim, theta + j * dim, dim * sizeof *copy);
    memcpy(theta + j * dim, copy, dim * sizeof *copy);
    double t = log_p[s];
    log_p[s] = log_p[j];
    log_p[j] = t;
    t = log_q[s];
    log_q[s] = log_q[j];
    log_q[j] = t;
  }
  rc = 0;
out:
  free(lw);
  free(copy);
  free(lp);
  free(lq);
  return rc;
}

static int fit_mode(struct cli *a, struct vi_model *m, const double *pinned) {
  double t0 = now();
  size_t dim = vi_model_dim(m), P = vi_model_nout(m), S = (size_t)a->opt.output_samples;
  struct vi_density den = {dim, m, density_cb, density_batch_cb, vi_model_pool(m)};
  struct vi_arena arena;
  vi_arena_init(&arena);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_rows *rows = NULL;
  struct vi_srcloc gl = vi_model_guide_loc(m);
  if (gl.line) { /* compiler/guide.c checks and rewrites the guide; its training is not built */
    fprintf(err_f, "%s:%d:%d: error: fitting a model with a guide block (amortised inference) is not built yet; "
                   "--check and --log-density work\n", gl.file ? gl.file : "model", gl.line, gl.col);
    vi_diags_free(&d);
    vi_arena_free(&arena);
    return VI_EXIT_USAGE;
  }
  if (a->batch || a->chunk) {
    int r = vi_rows_new(m, a->threads, a->chunk ? (size_t)a->chunk : 4096, &rows, &d);
    if (r) {
      fputs(d.buf && d.len ? d.buf : "error: out of memory\n", err_f);
      vi_diags_free(&d);
      vi_arena_free(&arena);
      return r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_USAGE;
    }
    if (a->batch && (size_t)a->batch > vi_rows_n(rows)) {
      fprintf(err_f, "error: --batch-size %ld is more than the table's %zu rows\n", a->batch, vi_rows_n(rows));
      vi_rows_free(rows);
      vi_diags_free(&d);
      vi_arena_free(&arena);
      return VI_EXIT_USAGE;
    }
    vi_rows_use_mpi(rows);
    den = (struct vi_density){dim, rows, rows_density_cb, rows_batch_cb, vi_model_pool(m)};
    a->opt.work = NULL;
  }
  struct progress prog = {!a->quiet && err_f == stderr && isatty(2), t0};
  a->opt.progress = progress_cb;
  a->opt.progress_ctx = &prog;
  a->opt.cancel = &interrupted;
  a->opt.work = work_cb;
  a->opt.work_ctx = m;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, &old);
  vi_model_set_cancel(m, &interrupted);
  int rc = VI_EXIT_OK;
  double *theta = NULL, *log_p = NULL, *log_q = NULL, *draws = NULL, *mean_row = NULL;
  struct vi_summary_stats *st = NULL;
  struct vi_advi_result res;
  memset(&res, 0, sizeof res);

  /* the initial point must be evaluable: say so plainly if not */
  uint8_t *pk = calloc(dim + 1, 1);
  int points = pk && vi_model_point_kinds(m, pk) > 0;
  free(pk);
  enum vi_advi_stop stop;
  if (!points && a->em == VI_EM_ALTERNATE) {
    fprintf(err_f, "error: --em alternate needs point parameters (@point in the model, or --point NAME)\n");
    rc = VI_EXIT_USAGE;
    goto done;
  }
  if (points && a->batch && (pinned || a->em == VI_EM_ALTERNATE)) { /* @point under --batch-size: Adam */
    fprintf(err_f, "error: --batch-size fits point parameters jointly with q by Adam; %s does not apply "
                   "(leave out --batch-size)\n", pinned ? "--pin" : "--em alternate");
    rc = VI_EXIT_USAGE;
    goto done;
  }
  if (points && !a->batch && (a->opt.optimizer == VI_OPT_SGD || a->opt.optimizer == VI_OPT_ADAM)) {
    fprintf(err_f, "error: --optimizer %s does not fit point parameters: they are fitted with L-BFGS on "
                    "fixed draws (leave out --optimizer)\n", vi_optimizer_name(a->opt.optimizer));
    rc = VI_EXIT_USAGE;
    goto done;
  }
  if (points && !a->batch) { /* runtime/point.c: q jointly with (or alternating with) the point values */
    struct vi_point_options po;
    struct vi_advi_options ao = a->opt;
    if (!a->init_given) ao.init_radius = 0; /* variance components started at random collapse to 0 */
    vi_point_options_default(&po, &ao);
    po.em = (enum vi_em)a->em;
    po.pinned = pinned;
    po.on_sweep = sweep_cb;
    po.sweep_ctx = &a->quiet;
    stop = vi_point_fit(m, &po, &arena, &res, &d);
  } else if (a->batch) {
    struct vi_minibatch_options mo = {(size_t)a->batch, a->epochs ? (int)a->epochs : 20,
                                      a->lr_given ? a->opt.lr : 0.1,
                                      a->opt.grad_samples, 8, a->seed, a->opt.init, a->opt.init_radius,
                                      progress_cb, &prog, &interrupted};
    stop = vi_minibatch_fit(rows, &mo, &arena, &res, &d);
  } else {
    stop = vi_advi_fit(&den, &a->opt, &arena, &res, &d);
  }
  if (prog.tty) fprintf(err_f, "\r%90s\r", "");
  if (stop == VI_ADVI_INTERRUPTED || interrupted) {
    fprintf(err_f, "interrupted: no output written\n");
    rc = VI_EXIT_INTERRUPTED;
    goto done;
  }
  if (stop == VI_ADVI_ERROR) {
    fputs(d.buf && d.len ? d.buf : "error: the fit failed\n", err_f);
    if (vi_model_error(m)[0]) fprintf(err_f, "%s\n", vi_model_error(m));
    rc = VI_EXIT_EVAL;
    goto done;
  }
  theta = malloc((S ? S : 1) * (dim ? dim : 1) * sizeof *theta);
  log_p = malloc((S ? S : 1) * sizeof *log_p);
  log_q = malloc((S ? S : 1) * sizeof *log_q);
  draws = malloc((S ? S : 1) * (P ? P : 1) * sizeof *draws);
  mean_row = malloc((P ? P : 1) * sizeof *mean_row);
  st = calloc(P ? P : 1, sizeof *st);
  if (!theta || !log_p || !log_q || !draws || !mean_row || !st) {
    fprintf(err_f, "error: out of memory for %zu draws of %zu quantities\n", S, P);
    rc = VI_EXIT_EVAL;
    goto done;
  }
  /* --batch-size: the importance check evaluates the full data at the
   * first 100 draws only (log_p is NaN for the others) */
  size_t Sk = a->batch && S > 100 ? 100 : S;
  if (points ? vi_point_draw(&res, m, m, a->seed, S, theta, Sk < S ? NULL : log_p, log_q, &d)
             : (int)vi_advi_draw(&res, &den, a->seed, S, theta, Sk < S ? NULL : log_p, log_q, &d)) {
    fputs(d.buf && d.len ? d.buf : "error: drawing from the approximation failed\n", err_f);
    rc = VI_EXIT_EVAL;
    goto done;
  }
  if (Sk < S) {
    int *pst = calloc(Sk, sizeof *pst);
    if (!pst || den.logp_grad_batch(den.ctx, Sk, theta, log_p, NULL, pst)) {
      free(pst);
      fprintf(err_f, "error: out of memory\n");
      rc = VI_EXIT_EVAL;
      goto done;
    }
    for (size_t i = 0; i < Sk; i++)
      if (pst[i]) log_p[i] = -INFINITY;
    for (size_t i = Sk; i < S; i++) log_p[i] = NAN;
    free(pst);
  }
  /* the verdict is about q's own draws, so it comes before any resampling,
   * and on q's coordinates: point ones do not vary */
  struct vi_psis_check chk;
  size_t cdim = dim;
  double *qtheta = theta;
  if (points) {
    uint8_t *k = calloc(dim + 1, 1);
    qtheta = malloc((S ? S : 1) * (dim ? dim : 1) * sizeof *qtheta);
    if (k && qtheta) {
      vi_model_point_kinds(m, k);
      cdim = 0;
      for (size_t s = 0; s < Sk; s++)
        for (size_t i = 0; i < dim; i++)
          if (!k[i]) qtheta[cdim++] = theta[s * dim + i];
      cdim = Sk ? cdim / Sk : 0;
    } else {
      free(qtheta);
      qtheta = theta;
    }
    free(k);
  }
  int no_check = vi_psis_check(qtheta, Sk, cdim, log_p, log_q, &chk);
  if (qtheta != theta) free(qtheta);
  if (no_check) {
    chk.khat = vi_psis_khat(log_p, log_q, Sk);
    chk.verdict = VI_VERDICT_UNKNOWN;
  }
  if (a->resample && S > 0 && resample_draws(theta, log_p, log_q, S, dim, a->seed)) {
    fprintf(err_f, "error: out of memory while resampling %zu draws\n", S);
    rc = VI_EXIT_EVAL;
    goto done;
  }
  struct vi_rng rng;
  vi_rng_seed(&rng, a->seed, 0x9e);
  size_t failed = 0;
  if (vi_model_write(m, res.mu, mean_row, &rng)) {
    for (size_t k = 0; k < P; k++) mean_row[k] = NAN;
  }
  for (size_t i = 0; i < S; i++) {
    if (interrupted) break;
    if (vi_model_write(m, theta + i * dim, draws + i * P, &rng)) {
      failed++;
      for (size_t k = 0; k < P; k++) draws[i * P + k] = NAN;
    }
  }
  if (interrupted) {
    fprintf(err_f, "interrupted: no output written\n");
    rc = VI_EXIT_INTERRUPTED;
    goto done;
  }
  vi_summary_compute(draws, S, P, st);
  for (size_t k = 0; points && k < P; k++) { /* a point value: every draw the same, sd exactly 0 */
    size_t i = 1;
    while (i < S && draws[i * P + k] == draws[k]) i++;
    if (S > 1 && i == S) st[k] = (struct vi_summary_stats){draws[k], 0, draws[k], draws[k], draws[k]};
  }
  double khat = chk.khat;
  double secs = now() - t0;
  const char **names = malloc((P ? P : 1) * sizeof *names);
  const char **unames = malloc((dim ? dim : 1) * sizeof *unames);
  if (!names || !unames) {
    free(names);
    free(unames);
    rc = VI_EXIT_EVAL;
    goto done;
  }
  const char **labels = malloc((P ? P : 1) * sizeof *labels);
  if (!labels) {
    free(names);
    free(unames);
    rc = VI_EXIT_EVAL;
    goto done;
  }
  for (size_t k = 0; k < P; k++) names[k] = vi_model_out_name(m, k);
  for (size_t k = 0; k < P; k++) labels[k] = vi_model_out_label(m, k);
  for (size_t k = 0; k < dim; k++) unames[k] = vi_model_coord_name(m, k);

  /* Every file is attempted; a failure is reported after the table, which
   * is printed whatever happened to the files. */
  struct vi_draws_info info = {base_name(vi_model_file(m)), a->nfiles ? a->files[0] : NULL, a->draws, &a->opt, &res,
                               labels};
  int wr = VI_OK;
  if (a->summary && vi_summary_write_csv(a->summary, P, names, labels, st, &d)) wr = VI_ERR_IO;
  if (a->draws && vi_summary_write_draws(a->draws, &info, P, names, mean_row, S, draws, log_p, log_q, &d))
    wr = VI_ERR_IO;
  if (a->params) {
    const char **ulabels = malloc((dim ? dim : 1) * sizeof *ulabels);
    if (!ulabels || coord_labels(dim, unames, P, names, labels, ulabels) ||
        vi_summary_write_params(a->params, &res, unames, ulabels, &d))
      wr = VI_ERR_IO;
    free(ulabels);
  }
  if (a->report) {
    int *blocks = malloc((P ? P : 1) * sizeof *blocks);
    for (size_t k = 0; blocks && k < P; k++) blocks[k] = vi_model_out_block(m, k);
    struct vi_report rep = {vi_model_file(m), a->nfiles ? a->files[0] : NULL, vi_model_data_rows(m), &a->opt, &res,
                            &chk, a->seed, secs, P, S, labels, blocks, draws, log_p, log_q, st,
                            vi_report_model_data, m};
    if (!blocks || vi_report_write(a->report, &rep, &d)) wr = VI_ERR_IO;
    free(blocks);
  }
  fprintf(out_f, "model:       %s\n", vi_model_file(m));
  if (a->nfiles) fprintf(out_f, "data:        %s (%zu rows)\n", a->files[0], vi_model_data_rows(m));
  fprintf(out_f, "algorithm:   %s%s", a->opt.algorithm == VI_ALGO_AUTO ? "auto: " : "",
         vi_algo_name(res.algorithm));
  if (res.algorithm != VI_ALGO_DADVI) fprintf(out_f, " (%s)", vi_optimizer_name(res.optimizer));
  fprintf(out_f, ", %zu unconstrained parameters, seed %llu\n", dim, a->seed);
  if (a->batch)
    fprintf(out_f, "minibatch:   %ld of %zu rows, row terms scaled by N/B = %.6g, %d epochs\n", a->batch,
            vi_rows_n(rows), (double)vi_rows_n(rows) / (double)a->batch, res.draws_m);
  else if (rows)
    fprintf(out_f, "chunks:      %zu rows each, summed in chunk order\n", vi_rows_chunk(rows));
  if (a->opt.algorithm == VI_ALGO_AUTO && res.fits[0] && !points)
    fprintf(out_f, "fits run:    %s; reported: %s\n", res.fits, vi_algo_name(res.algorithm));
  uint8_t *kinds = points ? calloc(dim + 1, 1) : NULL;
  if (kinds) { /* which coordinates are point values and pinned (runtime/point.c) */
    vi_model_point_kinds(m, kinds);
    for (int pin = 0; pin < 2; pin++) {
      size_t n = 0;
      for (size_t i = 0; i < dim; i++)
        if (kinds[i] && (kinds[i] == VI_POINT_PIN) == pin) {
          if (n < 8) fprintf(out_f, "%s%s", n ? ", " : pin ? "pinned:      " : "point:       ", vi_model_coord_name(m, i));
          n++;
        }
      if (n > 8) fprintf(out_f, ", ... (%zu)", n);
      if (n) fprintf(out_f, "%s\n", pin ? "" : a->em == VI_EM_ALTERNATE ? " (EM sweeps)" : " (fitted jointly with q)");
    }
    free(kinds);
  }
  if (res.flow)
    fprintf(out_f, "flow:        %s, %zu layers of %zu hidden units, on the Gaussian fit (%s); step size %g\n",
           vi_flow_kind_name(res.flow->kind), res.flow->layers, res.flow->hidden,
           vi_algo_name(res.base_algorithm), res.eta);
  if (res.flow) fprintf(out_f, "fits run:    %s; reported: flow\n", res.fits);
  if (dim > 0 && res.flow) {
    /* the base's own covariance line would describe the Gaussian, not q */
  } else if (dim > 0) {
    if (points && res.draws_m == 1) fprintf(out_f, "covariance:  none: every parameter is a point value\n");
    else if (res.B && res.lr_cov)
      fprintf(out_f, "covariance:  linear response (dadvi; rank %d plus diagonal, Lanczos)\n", res.rank);
    else if (res.B) fprintf(out_f, "covariance:  low rank %d plus diagonal\n", res.rank);
    else if (res.lr_cov) fprintf(out_f, "covariance:  linear response (dadvi)\n");
    else if (res.L) fprintf(out_f, "covariance:  full rank\n");
    else fprintf(out_f, "covariance:  mean-field (sds are too small where parameters are correlated)\n");
  }
  fprintf(out_f, "iterations:  %d (%ld gradient evaluations)", res.iterations, res.grad_evals);
  if (res.optimizer == VI_OPT_LBFGS && !a->batch) fprintf(out_f, ", %d fixed draws", res.draws_m);
  fprintf(out_f, "\nconverged:   %s (%s)\n", res.converged ? "yes" : "NO", res.reason);
  if (res.flow) {
    fprintf(out_f, "ELBO:        %.6g (Monte Carlo se %.2g, %d draws)\n", res.elbo, res.elbo_se, res.eval_draws);
    fprintf(out_f, "IW-ELBO:     %.6g (se %.2g): importance-weighted, an estimate of log evidence\n",
           res.iw_elbo, res.iw_elbo_se);
  } else {
    fprintf(out_f, "ELBO:        %.6g\n", res.elbo);
  }
  if (a->resample) fprintf(out_f, "draws:       resampled by Pareto-smoothed importance weights\n");
  fprintf(out_f, "Pareto k:    %.2f\n", khat);
  fprintf(out_f, "verdict:     %s", vi_verdict_name(chk.verdict));
  if (isfinite(chk.mean_shift))
    fprintf(out_f, " (reweighting by p/q moves the means by up to %.2g sd and the sds by up to %.0f%%)",
           chk.mean_shift, 100 * (exp(chk.sd_shift) - 1));
  fprintf(out_f, "\n");
  fprintf(out_f, "time:        %.3f s\n", secs);
  if (!res.converged) {
    if (res.algorithm == VI_ALGO_FLOW)
      fprintf(err_f, "warning: the flow fit did not converge (%s); try more iterations (--iter) "
                      "or another flow (--flow-layers, --flow iaf)\n", res.reason);
    else if (a->opt.algorithm == VI_ALGO_AUTO && res.algorithm == VI_ALGO_LOWRANK)
      fprintf(err_f, "warning: the fit did not converge (%s)\n", res.reason); /* says what to run */
    else if (a->batch)
      fprintf(err_f, "warning: the fit did not converge (%s); try more --epochs\n", res.reason);
    else if (res.optimizer == VI_OPT_LBFGS)
      fprintf(err_f, "warning: the fit did not converge (%s); try more iterations (--iter)\n", res.reason);
    else
      fprintf(err_f, "warning: the fit did not converge (%s); try more iterations (--iter), a smaller "
                      "--tol-rel-obj, or the default algorithm (leave out --algorithm)\n", res.reason);
  }
  if (chk.verdict == VI_VERDICT_UNRELIABLE) {
    /* advice that runs on this model: full rank is limited to 1000 parameters */
    const char *advice =
        res.algorithm == VI_ALGO_FLOW
            ? "; try more flow layers (--flow-layers 16), --flow iaf, reparameterising the "
              "model (e.g. non-centred) or MCMC"
        : res.algorithm == VI_ALGO_FULLRANK || res.algorithm == VI_ALGO_LOWRANK
            ? "; the posterior is far from Gaussian on the unconstrained scale: try "
              "reparameterising the model (e.g. non-centred) or use MCMC"
        : dim <= 1000 && !strstr(res.fits, "fullrank") ? "; try --algorithm fullrank"
        : dim <= 1000 ? "; auto's full-rank fit did not do better: try reparameterising the "
                        "model (e.g. non-centred) or use MCMC"
        : !strstr(res.fits, "lowrank") ? "; try --algorithm lowrank"
                      : "; the low-rank fit did not do better: try reparameterising the model "
                        "(e.g. non-centred) or use MCMC";
    fprintf(err_f, "warning: Pareto k = %.2f and reweighting moves the means by up to %.2g sd: the "
                    "approximation is poor and the summaries may be unreliable%s\n",
            khat, chk.mean_shift, advice);
  }
  if (failed)
    fprintf(err_f, "warning: %zu of %zu draws could not be evaluated (transformed parameters or generated quantities "
                    "failed); they are NaN in the output\n", failed, S);
  fprintf(out_f, "\n");
  vi_summary_print(out_f, P, labels, st);
  free(labels);
  free(names);
  free(unames);
  if (wr) {
    fflush(out_f);
    fputs(d.buf && d.len ? d.buf : "error: could not write an output file\n", err_f);
    rc = VI_EXIT_IO;
  } else if (hooks && hooks->on_fit) {
    struct vi_cli_fit f = {m, &a->opt, &res, &chk, a->seed, secs, dim, P, S, theta, log_p, log_q,
                           draws, mean_row, st, &arena};
    if (hooks->on_fit(hooks->ctx, &f)) { /* the hook keeps them */
      theta = log_p = log_q = draws = mean_row = NULL;
      st = NULL;
      vi_arena_init(&arena);
      a->model_kept = 1;
    }
  }
done:
  vi_rows_free(rows);
  vi_model_set_cancel(m, NULL);
  sigaction(SIGINT, &old, NULL);
  free(theta);
  free(log_p);
  free(log_q);
  free(draws);
  free(mean_row);
  free(st);
  vi_diags_free(&d);
  vi_arena_free(&arena);
  return rc;
}

/* Every output path must be writable before any work is done: a temporary
 * file is created beside each target and removed. */
static int check_outputs(const struct cli *a) {
  const char *paths[4] = {a->summary, a->draws, a->params, a->report};
  const char *opts[4] = {"--summary", "--draws", "--params", "--report"};
  for (int i = 0; i < 4; i++) {
    if (!paths[i]) continue;
    for (int j = 0; j < i; j++)
      if (paths[j] && !strcmp(paths[i], paths[j])) {
        fprintf(err_f, "error: %s and %s name the same file '%s'\n", opts[j], opts[i], paths[i]);
        return VI_EXIT_USAGE;
      }
    struct vi_diags d;
    vi_diags_init(&d);
    struct stat st;
    int bad = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
    struct vi_out *o = bad ? NULL : vi_out_open(paths[i], &d);
    if (!o) {
      /* vi_out_open said "error: cannot write 'PATH': reason": name the option too */
      const char *msg = d.buf && d.len ? d.buf : "cannot write\n";
      if (!strncmp(msg, "error: ", 7)) msg += 7;
      if (bad)
        fprintf(err_f, "error: %s: cannot write '%s': it is a directory\n", opts[i], paths[i]);
      else
        fprintf(err_f, "error: %s: %s", opts[i], msg);
      fprintf(err_f, "note: nothing was fitted\n");
      vi_diags_free(&d);
      return VI_EXIT_IO;
    }
    vi_out_abort(o);
    vi_diags_free(&d);
  }
  return VI_EXIT_OK;
}

/* Under mpirun every rank runs the same program on the same arguments; rank
 * 0 alone prints and writes files (docs/large.md). */
int vi_cli_main(int argc, char **argv) {
  if (vi_mpi_start(&argc, &argv)) {
    fprintf(stderr, "error: MPI could not be initialised\n");
    return VI_EXIT_USAGE;
  }
  if (vi_mpi_rank() > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))) {
    vi_mpi_end();
    return VI_EXIT_IO;
  }
  int rc = vi_cli_run(argc, (const char *const *)argv, NULL);
  vi_mpi_end();
  return rc;
}

int vi_cli_run(int argc, const char *const *argv, const struct vi_cli_hooks *h) {
  hooks = h;
  out_f = h && h->out ? h->out : stdout;
  err_f = h && h->err ? h->err : stderr;
  struct vi_table *table = h ? h->table : NULL; /* ours until the model takes it */
  struct cli a;
  int r = parse_args(argc, argv, &a);
  if (r) vi_table_free(table);
  if (r) {
    free(a.files);
    free(a.assigns);
    return r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_USAGE;
  }
  if (a.help || a.version) {
    if (a.help) fputs(usage, out_f);
    else fprintf(out_f, "vi-run %s\n", VI_VERSION);
    vi_table_free(table);
    free(a.files);
    free(a.assigns);
    return VI_EXIT_OK;
  }
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  double *init = NULL, *pinned = NULL;
  int rc = VI_EXIT_OK;
  r = h && h->model_src ? vi_model_load_string(a.model, h->model_src, h->model_len, &m, &d)
                        : vi_model_load(a.model, &m, &d);
  if (!r && table && (r = vi_model_add_table(m, table)) == VI_OK) table = NULL;
  if (r == VI_ERR_IO) { /* the model file cannot be read: a model error, not bad data */
    fputs(d.buf ? d.buf : "error: cannot read the model file\n", err_f);
    rc = VI_EXIT_MODEL;
    goto out;
  }
  if (!r && !a.check && !a.logdens && !a.time_grad && (rc = check_outputs(&a)) != VI_EXIT_OK) goto out;
  if (vi_mpi_size() > 1) {
    if (!a.batch && !a.chunk) a.chunk = 4096; /* the work is spread as chunks of rows */
    if (vi_mpi_rank() > 0) {
      a.summary = a.draws = a.params = NULL;
      a.quiet = 1;
    }
  }
  if (!r) {
    struct vi_data_inputs in = {a.files, a.nfiles, a.assigns, a.nassigns, a.seed};
    vi_model_set_cache_dir(m, a.cache);
    r = vi_model_bind(m, &in, &d);
  }
  if (r) {
    fputs(d.buf ? d.buf : "error: failed\n", err_f);
    rc = vi_cli_exit_code(r);
    if (rc == VI_EXIT_OK) rc = VI_EXIT_DATA;
    goto out;
  }
  if (d.buf && d.len) fputs(d.buf, err_f); /* warnings */
  vi_model_set_threads(m, a.threads);
  vi_diags_clear(&d);
  if (a.init_file && !a.check && !a.logdens && !a.time_grad) {
    init = calloc(vi_model_dim(m) + 1, sizeof *init);
    r = init ? vi_model_init_json(m, a.init_file, a.opt.init_radius, a.seed, init, &d) : VI_ERR_NOMEM;
    if (d.buf && d.len) fputs(d.buf, err_f);
    if (r) {
      if (r == VI_ERR_NOMEM && !(d.buf && d.len)) fprintf(err_f, "error: out of memory\n");
      rc = r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_DATA;
      goto out;
    }
    a.opt.init = init;
  }
  for (const char *s = a.point; s && *s;) { /* --point a,b,c */
    char name[256];
    size_t k = strcspn(s, ",");
    snprintf(name, sizeof name, "%.*s", (int)(k < 255 ? k : 255), s);
    if (vi_model_set_point(m, name, VI_POINT_MAP, &d)) {
      fputs(d.buf, err_f);
      rc = VI_EXIT_USAGE;
      goto out;
    }
    s += k + (s[k] == ',');
  }
  if (a.pin_file) {
    pinned = calloc(vi_model_dim(m) + 1, sizeof *pinned);
    r = pinned ? vi_model_pin_json(m, a.pin_file, pinned, &d) : VI_ERR_NOMEM;
    if (r) {
      fputs(d.buf && d.len ? d.buf : "error: out of memory\n", err_f);
      rc = r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_DATA;
      goto out;
    }
  }
  if (a.check) {
    vi_model_print_layout(m, out_f);
    rc = vi_rows_print_plate(m, out_f) ? VI_EXIT_EVAL : VI_EXIT_OK;
  } else if (a.logdens) {
    rc = log_density_mode(m, a.logdens);
  } else if (a.time_grad) {
    rc = a.chunk ? time_rows_mode(m, a.time_grad, a.threads, (size_t)a.chunk) : time_gradient_mode(m, a.time_grad);
  } else {
    rc = fit_mode(&a, m, pinned);
  }
out:
  free(init);
  free(pinned);
  vi_table_free(table);
  if (!a.model_kept) vi_model_free(m);
  vi_diags_free(&d);
  free(a.files);
  free(a.assigns);
  return rc;
}
