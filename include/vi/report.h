/* report.h: a fit as one self-contained HTML page (vi-run --report).
 *
 * The page holds inline CSS and inline SVG only (a Content-Security-Policy
 * forbids every fetch, and the tiny inline script only records a JavaScript
 * error in the DOM, for tools/check-report). Sections, each found by its id:
 *   #header    the facts the CLI's header prints
 *   #trace     the objective over the iterations of every fit that ran, the
 *              fixed draws' doublings marked (struct vi_advi_trace)
 *   #marginals one svg.marginal per quantity: a histogram of the draws, with
 *              the Pareto-smoothed importance-reweighted histogram (path.psis)
 *              overlaid where reweighting moves the mean or sd by more than
 *              VI_SHIFT_TOL
 *   #pairs     svg.pair scatter plots of the most correlated pairs
 *   #pareto    Pareto k on its scale (0.5, 0.7, 1) and the verdict
 *   #ppc       when a generated quantity `<col>_rep` has as many elements as
 *              the data column `<col>`: svg.ppc, the data's histogram against
 *              replicates', and the replicates' means and sds against the data's
 *
 *   struct vi_report r = {...};
 *   if (vi_report_write("fit.html", &r, &diags)) ... diags say why ...
 */
#ifndef VI_REPORT_H
#define VI_REPORT_H
#include <stddef.h>
#include <stdio.h>

#include "vi/advi.h"
#include "vi/diag.h"
#include "vi/summary.h"

/* Everything the page shows; all pointers borrowed. */
struct vi_report {
  const char *model_file;             /* as the header names it */
  const char *data_file;              /* may be NULL */
  size_t data_rows;
  const struct vi_advi_options *opt;  /* the options used */
  const struct vi_advi_result *res;   /* the fit (res->trace: the objective's trace) */
  const struct vi_psis_check *chk;    /* Pareto k, shifts, verdict */
  unsigned long long seed;
  double seconds;                     /* the fit's time */
  size_t P, S;                        /* quantities, draws */
  const char *const *labels;          /* P names as printed ("a[Aitkin]") */
  const int *blocks;                  /* P: enum vi_block of each, or NULL */
  const double *draws;                /* S x P constrained draws, row-major */
  const double *log_p, *log_q;        /* S: log densities of the model and of q at the draws */
  const struct vi_summary_stats *st;  /* P */
  /* the data column `name` (n values), for the predictive check: 0 and
   * *x, *n set, or -1 when there is none; NULL: no check */
  int (*data)(void *ctx, const char *name, const double **x, size_t *n);
  void *data_ctx;
};

/* Writes the page to f. VI_OK, or VI_ERR_NOMEM. */
int vi_report_fprint(FILE *f, const struct vi_report *r);
/* Writes the page atomically to path (writer.h). VI_OK, VI_ERR_IO or
 * VI_ERR_NOMEM, recorded in d. */
int vi_report_write(const char *path, const struct vi_report *r, struct vi_diags *d);

/* A data lookup for struct vi_report over a bound struct vi_model (ctx): a
 * numeric column of its CSV tables, or a one-dimensional variable of its
 * JSON files, by name. */
int vi_report_model_data(void *ctx, const char *name, const double **x, size_t *n);

/* Pareto-smoothed importance weights (Vehtari et al. 2024) of the draws
 * with log ratios log_p - log_q: w[S], summing to 1 (0 where the ratio is
 * not finite). The largest min(S/5, 3 sqrt(S)) are replaced by the quantiles
 * of a generalized Pareto fitted to them (raw weights when the fit fails or
 * S < 25). VI_OK, VI_ERR_NOMEM, or VI_ERR_EVAL when no ratio is finite. */
int vi_report_psis_weights(const double *log_p, const double *log_q, size_t S, double *w);

#endif
