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
#include "vi/model.h"
#include "vi/summary.h"
#include "vi/writer.h"

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
  struct vi_advi_options opt;
  const char *draws, *summary, *params;
  const char *init_file; /* --init FILE.json */
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
    "  --rank R                lowrank's rank (default by cost, 2 to 10)\n"
    "  --optimizer O           sgd (CmdStan's stochastic gradient ascent; meanfield's default),\n"
    "                          adam (Adam on the same gradients; meanfield, fullrank)\n"
    "                          or lbfgs (fixed draws + L-BFGS; fullrank's default)\n"
    "  --lr X                  adam's step size (default 0.001)\n"
    "  --estimator E           sgd/adam gradients: reparam (default) or stl (sticking the landing)\n"
    "  --iter N --grad-samples N --elbo-samples N --eval-elbo N --eta X --adapt-engaged 0|1\n"
    "  --adapt-iter N --tol-rel-obj X --output-samples N\n"
    "  --init 0|R|FILE.json    zero, uniform(-R, R) on the unconstrained scale (default 2), or\n"
    "                          CmdStan's init file (constrained values by parameter name)\n"
    "  --summary FILE.csv      write param,mean,sd,q5,q50,q95\n"
    "  --draws FILE.csv        write the draws in CmdStan's CSV layout\n"
    "  --params FILE.csv       write the variational parameters (unconstrained scale)\n"
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
                                          "params", "threads", NULL};
static const char *const flag_opts[] = {"check", "quiet", "help", "version", NULL};

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

static int status_exit(int st) {
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
    fprintf(stderr, "error: --%s takes %s in [%g, %g], not '%s'\n", opt, integer ? "an integer" : "a number", lo, hi,
            val);
    return VI_ERR_USAGE;
  }
  *out = v;
  return VI_OK;
}

static int parse_args(int argc, char **argv, struct cli *a) {
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
      fprintf(stderr, "error: unknown option '%s' (options start with '--'; see vi-run --help)\n", s);
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
    if (!strcmp(opt, "version")) {
      a->version = 1;
      continue;
    }
    int known = 0;
    for (int k = 0; valued_opts[k]; k++) known |= !strcmp(opt, valued_opts[k]);
    if (!known) {
      const char *sug = closest_option(opt);
      if (sug)
        fprintf(stderr, "error: unknown option '%s' (did you mean '--%s'?)\n", s, sug);
      else
        fprintf(stderr, "error: unknown option '%s' (see vi-run --help)\n", s);
      return VI_ERR_USAGE;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "error: option --%s needs a value\n", opt);
      return VI_ERR_USAGE;
    }
    const char *val = argv[++i];
    double v = 0;
    int r = VI_OK;
    if (!strcmp(opt, "log-density")) a->logdens = val;
    else if (!strcmp(opt, "draws")) a->draws = val;
    else if (!strcmp(opt, "summary")) a->summary = val;
    else if (!strcmp(opt, "params")) a->params = val;
    else if (!strcmp(opt, "algorithm")) {
      if (vi_algo_parse(val, &a->opt.algorithm)) {
        fprintf(stderr, "error: --algorithm takes auto, dadvi, meanfield, fullrank or lowrank, not '%s'\n",
                val);
        return VI_ERR_USAGE;
      }
    } else if (!strcmp(opt, "optimizer")) {
      if (vi_optimizer_parse(val, &a->opt.optimizer) || a->opt.optimizer == VI_OPT_AUTO) {
        fprintf(stderr, "error: --optimizer takes sgd or lbfgs, not '%s' (or adam, with --algorithm "
                        "meanfield or fullrank)\n", val);
        return VI_ERR_USAGE;
      }
    } else if (!strcmp(opt, "estimator")) {
      if (!strcmp(val, "stl")) a->opt.estimator = VI_EST_STL;
      else if (!strcmp(val, "reparam")) a->opt.estimator = VI_EST_REPARAM;
      else {
        fprintf(stderr, "error: --estimator takes reparam or stl, not '%s'\n", val);
        return VI_ERR_USAGE;
      }
    } else if (!strcmp(opt, "rank")) {
      if (!(r = parse_num(opt, val, 1, 1e4, 1, &v))) a->opt.rank = (int)v;
    } else if (!strcmp(opt, "lr")) {
      if (!(r = parse_num(opt, val, 1e-12, 1e6, 0, &v))) a->opt.lr = v;
    } else if (!strcmp(opt, "time-gradient")) {
      if (!(r = parse_num(opt, val, 1, 1e9, 1, &v))) a->time_grad = (long)v;
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
      size_t n = strlen(val);
      if (n > 5 && !strcmp(val + n - 5, ".json")) a->init_file = val;
      else if (!(r = parse_num(opt, val, 0, 1e6, 0, &v))) a->opt.init_radius = v;
    }
    if (r) return r;
  }
  a->opt.seed = a->seed;
  if (a->help || a->version) return VI_OK;
  if (!a->model) {
    fputs(usage, stderr);
    return VI_ERR_USAGE;
  }
  if ((a->opt.algorithm == VI_ALGO_DADVI || a->opt.algorithm == VI_ALGO_AUTO) &&
      (a->opt.optimizer == VI_OPT_SGD || a->opt.optimizer == VI_OPT_ADAM)) {
    fprintf(stderr, "error: --optimizer %s needs --algorithm meanfield or fullrank (dadvi is "
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
    fputs(d.buf, stderr);
    vi_diags_free(&d);
    return VI_EXIT_DATA;
  }
  size_t dim = vi_model_dim(m), rows = vi_table_nrows(t), nc = vi_table_ncols(t);
  if (nc != dim) {
    fprintf(stderr, "%s: error: %zu columns, but the model has %zu unconstrained parameters\n", path, nc, dim);
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
    fprintf(stderr, "%s: error: no column '%s' (the columns are read by name when some are named as the "
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
    fprintf(stderr, "error: out of memory\n");
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
      fprintf(stderr, "%s:%d:%d: error: %s value '%s' in %s (a point must be numbers)\n", path, l.line - shift, l.col,
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
      fprintf(stderr, "%s: error: cannot evaluate the log density at point %zu: %s\n", path, r + 1,
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
  if (rc == VI_EXIT_OK && buf) fwrite(buf, 1, bufsize, stdout);
  free(buf);
  free(theta);
  free(grad);
  free(col);
  vi_table_free(t);
  vi_diags_free(&d);
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
    fprintf(stderr, "error: cannot evaluate the log density: %s\n", vi_model_error(m));
    free(theta);
    free(grad);
    return VI_EXIT_EVAL;
  }
  double t0 = now();
  for (long e = 0; e < n; e++) {
    theta[0] += 1e-9;
    if (vi_model_log_density(m, theta, &lp, grad)) {
      fprintf(stderr, "error: cannot evaluate the log density: %s\n", vi_model_error(m));
      free(theta);
      free(grad);
      return VI_EXIT_EVAL;
    }
  }
  double dt = now() - t0;
  printf("lp=%.10g dim=%zu static_tape=%d work=%zu tape_bytes=%zu lowered_loops=%d\nper_gradient_us=%.3f\n", lp, dim,
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
  fprintf(stderr, "\r  iteration %6d   ELBO %14.6g   relative change %10.4g   %6.1f s ", iter, elbo, rel,
          now() - p->t0);
  fflush(stderr);
}

static const char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

static size_t work_cb(void *ctx) { return vi_model_work(ctx); }

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

static int fit_mode(struct cli *a, struct vi_model *m) {
  double t0 = now();
  size_t dim = vi_model_dim(m), P = vi_model_nout(m), S = (size_t)a->opt.output_samples;
  struct vi_density den = {dim, m, density_cb, density_batch_cb};
  struct vi_arena arena;
  vi_arena_init(&arena);
  struct vi_diags d;
  vi_diags_init(&d);
  struct progress prog = {!a->quiet && isatty(2), t0};
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
  enum vi_advi_stop stop = vi_advi_fit(&den, &a->opt, &arena, &res, &d);
  if (prog.tty) fprintf(stderr, "\r%90s\r", "");
  if (stop == VI_ADVI_INTERRUPTED || interrupted) {
    fprintf(stderr, "interrupted: no output written\n");
    rc = VI_EXIT_INTERRUPTED;
    goto done;
  }
  if (stop == VI_ADVI_ERROR) {
    fputs(d.buf && d.len ? d.buf : "error: the fit failed\n", stderr);
    if (vi_model_error(m)[0]) fprintf(stderr, "%s\n", vi_model_error(m));
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
    fprintf(stderr, "error: out of memory for %zu draws of %zu quantities\n", S, P);
    rc = VI_EXIT_EVAL;
    goto done;
  }
  if (vi_advi_draw(&res, &den, a->seed, S, theta, log_p, log_q, &d)) {
    fputs(d.buf && d.len ? d.buf : "error: drawing from the approximation failed\n", stderr);
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
    fprintf(stderr, "interrupted: no output written\n");
    rc = VI_EXIT_INTERRUPTED;
    goto done;
  }
  vi_summary_compute(draws, S, P, st);
  struct vi_psis_check chk;
  if (vi_psis_check(theta, S, dim, log_p, log_q, &chk)) {
    chk.khat = vi_psis_khat(log_p, log_q, S);
    chk.verdict = VI_VERDICT_UNKNOWN;
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
  printf("model:       %s\n", vi_model_file(m));
  if (a->nfiles) printf("data:        %s (%zu rows)\n", a->files[0], vi_model_data_rows(m));
  printf("algorithm:   %s%s", a->opt.algorithm == VI_ALGO_AUTO ? "auto: " : "",
         vi_algo_name(res.algorithm));
  if (res.algorithm != VI_ALGO_DADVI) printf(" (%s)", vi_optimizer_name(res.optimizer));
  printf(", %zu unconstrained parameters, seed %llu\n", dim, a->seed);
  if (a->opt.algorithm == VI_ALGO_AUTO && res.fits[0])
    printf("fits run:    %s; reported: %s\n", res.fits, vi_algo_name(res.algorithm));
  if (dim > 0) {
    if (res.B && res.lr_cov) printf("covariance:  linear response (dadvi; rank %d plus diagonal, Lanczos)\n", res.rank);
    else if (res.B) printf("covariance:  low rank %d plus diagonal\n", res.rank);
    else if (res.lr_cov) printf("covariance:  linear response (dadvi)\n");
    else if (res.L) printf("covariance:  full rank\n");
    else printf("covariance:  mean-field (sds are too small where parameters are correlated)\n");
  }
  printf("iterations:  %d (%ld gradient evaluations)", res.iterations, res.grad_evals);
  if (res.optimizer == VI_OPT_LBFGS) printf(", %d fixed draws", res.draws_m);
  printf("\nconverged:   %s (%s)\n", res.converged ? "yes" : "NO", res.reason);
  printf("ELBO:        %.6g\n", res.elbo);
  printf("Pareto k:    %.2f\n", khat);
  printf("verdict:     %s", vi_verdict_name(chk.verdict));
  if (isfinite(chk.mean_shift))
    printf(" (reweighting by p/q moves the means by up to %.2g sd and the sds by up to %.0f%%)",
           chk.mean_shift, 100 * (exp(chk.sd_shift) - 1));
  printf("\n");
  printf("time:        %.3f s\n", secs);
  if (!res.converged) {
    if (a->opt.algorithm == VI_ALGO_AUTO && res.algorithm == VI_ALGO_LOWRANK)
      fprintf(stderr, "warning: the fit did not converge (%s)\n", res.reason); /* says what to run */
    else if (res.optimizer == VI_OPT_LBFGS)
      fprintf(stderr, "warning: the fit did not converge (%s); try more iterations (--iter)\n", res.reason);
    else
      fprintf(stderr, "warning: the fit did not converge (%s); try more iterations (--iter), a smaller "
                      "--tol-rel-obj, or the default algorithm (leave out --algorithm)\n", res.reason);
  }
  if (chk.verdict == VI_VERDICT_UNRELIABLE) {
    /* advice that runs on this model: full rank is limited to 1000 parameters */
    const char *advice =
        res.algorithm == VI_ALGO_FULLRANK || res.algorithm == VI_ALGO_LOWRANK
            ? "; the posterior is far from Gaussian on the unconstrained scale: try "
              "reparameterising the model (e.g. non-centred) or use MCMC"
        : dim <= 1000 && !strstr(res.fits, "fullrank") ? "; try --algorithm fullrank"
        : dim <= 1000 ? "; auto's full-rank fit did not do better: try reparameterising the "
                        "model (e.g. non-centred) or use MCMC"
        : !strstr(res.fits, "lowrank") ? "; try --algorithm lowrank"
                      : "; the low-rank fit did not do better: try reparameterising the model "
                        "(e.g. non-centred) or use MCMC";
    fprintf(stderr, "warning: Pareto k = %.2f and reweighting moves the means by up to %.2g sd: the "
                    "approximation is poor and the summaries may be unreliable%s\n",
            khat, chk.mean_shift, advice);
  }
  if (failed)
    fprintf(stderr, "warning: %zu of %zu draws could not be evaluated (transformed parameters or generated quantities "
                    "failed); they are NaN in the output\n", failed, S);
  printf("\n");
  vi_summary_print(stdout, P, labels, st);
  free(labels);
  free(names);
  free(unames);
  if (wr) {
    fflush(stdout);
    fputs(d.buf && d.len ? d.buf : "error: could not write an output file\n", stderr);
    rc = VI_EXIT_IO;
  }
done:
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
  const char *paths[3] = {a->summary, a->draws, a->params};
  const char *opts[3] = {"--summary", "--draws", "--params"};
  for (int i = 0; i < 3; i++) {
    if (!paths[i]) continue;
    for (int j = 0; j < i; j++)
      if (paths[j] && !strcmp(paths[i], paths[j])) {
        fprintf(stderr, "error: %s and %s name the same file '%s'\n", opts[j], opts[i], paths[i]);
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
        fprintf(stderr, "error: %s: cannot write '%s': it is a directory\n", opts[i], paths[i]);
      else
        fprintf(stderr, "error: %s: %s", opts[i], msg);
      fprintf(stderr, "note: nothing was fitted\n");
      vi_diags_free(&d);
      return VI_EXIT_IO;
    }
    vi_out_abort(o);
    vi_diags_free(&d);
  }
  return VI_EXIT_OK;
}

int vi_cli_main(int argc, char **argv) {
  struct cli a;
  int r = parse_args(argc, argv, &a);
  if (r) {
    free(a.files);
    free(a.assigns);
    return r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_USAGE;
  }
  if (a.help || a.version) {
    if (a.help) fputs(usage, stdout);
    else printf("vi-run %s\n", VI_VERSION);
    free(a.files);
    free(a.assigns);
    return VI_EXIT_OK;
  }
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  double *init = NULL;
  int rc = VI_EXIT_OK;
  r = vi_model_load(a.model, &m, &d);
  if (r == VI_ERR_IO) { /* the model file cannot be read: a model error, not bad data */
    fputs(d.buf ? d.buf : "error: cannot read the model file\n", stderr);
    rc = VI_EXIT_MODEL;
    goto out;
  }
  if (!r && !a.check && !a.logdens && !a.time_grad && (rc = check_outputs(&a)) != VI_EXIT_OK) goto out;
  if (!r) {
    struct vi_data_inputs in = {a.files, a.nfiles, a.assigns, a.nassigns, a.seed};
    r = vi_model_bind(m, &in, &d);
  }
  if (r) {
    fputs(d.buf ? d.buf : "error: failed\n", stderr);
    rc = status_exit(r);
    if (rc == VI_EXIT_OK) rc = VI_EXIT_DATA;
    goto out;
  }
  if (d.buf && d.len) fputs(d.buf, stderr); /* warnings */
  vi_model_set_threads(m, a.threads);
  vi_diags_clear(&d);
  if (a.init_file && !a.check && !a.logdens && !a.time_grad) {
    init = calloc(vi_model_dim(m) + 1, sizeof *init);
    r = init ? vi_model_init_json(m, a.init_file, a.opt.init_radius, a.seed, init, &d) : VI_ERR_NOMEM;
    if (d.buf && d.len) fputs(d.buf, stderr);
    if (r) {
      if (r == VI_ERR_NOMEM && !(d.buf && d.len)) fprintf(stderr, "error: out of memory\n");
      rc = r == VI_ERR_NOMEM ? VI_EXIT_EVAL : VI_EXIT_DATA;
      goto out;
    }
    a.opt.init = init;
  }
  if (a.check) {
    vi_model_print_layout(m, stdout);
    rc = VI_EXIT_OK;
  } else if (a.logdens) {
    rc = log_density_mode(m, a.logdens);
  } else if (a.time_grad) {
    rc = time_gradient_mode(m, a.time_grad);
  } else {
    rc = fit_mode(&a, m);
  }
out:
  free(init);
  vi_model_free(m);
  vi_diags_free(&d);
  free(a.files);
  free(a.assigns);
  return rc;
}
