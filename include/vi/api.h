/* api.h: a small interface for other languages (the Python package in
 * python/ calls it through ctypes): compile a model, give it data from
 * memory, fit, and read the summaries, draws and diagnostics back.
 *
 * A fit is a run of `vi-run` itself (vi_cli_run, runtime/cli.c): the same
 * options, seeds, draws and summaries, so for the same data, options and
 * seed its numbers are the CLI's to the last bit.
 *
 *   struct vi_api_error e;
 *   struct vi_api_model *m = vi_api_model_load("eight_schools.vim", &e);
 *   struct vi_api_data *d = vi_api_data_new();
 *   vi_api_data_column(d, "y", y, 8, &e); vi_api_data_column(d, "sigma", s, 8, &e);
 *   const char *k[] = {"seed"}, *v[] = {"3"};
 *   struct vi_api_fit *f = vi_api_fit_run(m, d, 1, k, v, &e);
 *   if (!f) fputs(e.message, stderr);
 *   ... vi_api_fit_summary(f, out) ...
 *   vi_api_fit_free(f); vi_api_data_free(d); vi_api_model_free(m);
 *
 * Data columns in memory become one table, bound exactly as a CSV file's
 * columns are (LANGUAGE.md section 6): the table is written as CSV text
 * (numbers with 17 significant digits, which read back to the same double)
 * and read by the CSV reader, named "data" in messages; line 2 is the first
 * row. Every function that can fail takes a struct vi_api_error. */
#ifndef VI_API_H
#define VI_API_H
#include <stddef.h>

struct vi_api_model;
struct vi_api_data;
struct vi_api_fit;

struct vi_api_error {
  int status;          /* enum vi_status; VI_OK when nothing failed */
  int exit_code;       /* what vi-run would exit with (cli.h) */
  char message[16384]; /* the diagnostics as vi-run prints them ("model.vim:7:7: error: ...") */
};

/* Reads, parses and checks a model file; NULL on error (e filled). */
struct vi_api_model *vi_api_model_load(const char *path, struct vi_api_error *e);
void vi_api_model_free(struct vi_api_model *m); /* NULL-safe */

/* Data for one fit. Columns of one table must have the same length. */
struct vi_api_data *vi_api_data_new(void);
void vi_api_data_free(struct vi_api_data *d); /* NULL-safe */
/* A numeric column (NaN = missing). 0, or -1 with e filled. */
int vi_api_data_column(struct vi_api_data *d, const char *name, const double *x, size_t n,
                       struct vi_api_error *e);
/* A text column (cells[i] NULL = missing): bound as a CSV text column. */
int vi_api_data_text(struct vi_api_data *d, const char *name, const char *const *cells, size_t n,
                     struct vi_api_error *e);
/* A scalar, as NAME=VALUE on the command line. */
int vi_api_data_scalar(struct vi_api_data *d, const char *name, double v, struct vi_api_error *e);
/* A CSV or JSON file, as on the command line. */
int vi_api_data_file(struct vi_api_data *d, const char *path, struct vi_api_error *e);

/* Fits with options named as vi-run's (without "--": "algorithm", "seed",
 * "iter", "output-samples", "threads", ... ; "_" may stand for "-"), values
 * as strings. NULL on error (e filled; e->exit_code as vi-run's). */
struct vi_api_fit *vi_api_fit_run(const struct vi_api_model *m, const struct vi_api_data *d, int nopt,
                                  const char *const *keys, const char *const *values, struct vi_api_error *e);
void vi_api_fit_free(struct vi_api_fit *f); /* NULL-safe */

/* The outputs: P quantities (Stan's element names, labels with text levels,
 * enum vi_block of each), S draws. */
size_t vi_api_fit_nout(const struct vi_api_fit *f);
const char *vi_api_fit_name(const struct vi_api_fit *f, size_t i);
const char *vi_api_fit_label(const struct vi_api_fit *f, size_t i);
int vi_api_fit_block(const struct vi_api_fit *f, size_t i);
size_t vi_api_fit_ndraws(const struct vi_api_fit *f);
/* S x P row-major, borrowed from f. */
const double *vi_api_fit_draws(const struct vi_api_fit *f);
/* P x 5 (mean, sd, q5, q50, q95) into out. */
void vi_api_fit_summary(const struct vi_api_fit *f, double *out);
/* The summary CSV and the variational parameters CSV, as --summary and
 * --params write them (NUL-terminated, borrowed from f; NULL when out of memory). */
const char *vi_api_fit_summary_csv(struct vi_api_fit *f);
const char *vi_api_fit_params_csv(struct vi_api_fit *f);
/* Warnings vi-run would print (not converged, unreliable, failed draws); "" when none. */
const char *vi_api_fit_warnings(const struct vi_api_fit *f);

struct vi_api_diagnostics {
  double elbo, khat, mean_shift, sd_shift, seconds, mc_change;
  long grad_evals;
  int converged, iterations, draws_m, verdict; /* verdict: enum vi_verdict */
  size_t dim, trace_n;                         /* unconstrained parameters, trace points */
  const int *trace_iter, *trace_draws;         /* trace_n each (borrowed) */
  const double *trace_elbo;
  char algorithm[32], optimizer[32], verdict_text[128], reason[256], fits[192];
};
void vi_api_fit_diagnostics(const struct vi_api_fit *f, struct vi_api_diagnostics *out);

/* Writes the HTML report (report.h) atomically. 0, or -1 with e filled. */
int vi_api_fit_report(const struct vi_api_fit *f, const char *path, struct vi_api_error *e);

#endif
