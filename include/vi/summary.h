/* summary.h: posterior summaries and the files a fit writes.
 *
 * Draws come as a row-major S x P matrix of constrained quantities, one
 * column per scalar element, named as Stan writes them ("beta[1]",
 * "Sigma[2,1]"). Files go through the atomic writer (writer.h): they are
 * written completely or not at all. Non-finite values are written "NaN",
 * "Inf", "-Inf" in CSV files (as R reads them). */
#ifndef VI_SUMMARY_H
#define VI_SUMMARY_H
#include <stddef.h>
#include <stdio.h>

#include "vi/advi.h"
#include "vi/diag.h"

struct vi_summary_stats {
  double mean, sd;      /* sd with the n - 1 denominator */
  double q5, q50, q95;  /* type-7 quantiles (R's default) */
};

/* Type-7 quantile (R's quantile(type = 7)) of n >= 1 ascending values:
 * h = (n - 1) p, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). */
double vi_summary_quantile(const double *sorted, size_t n, double p);

/* Per-column statistics of the S x P draws into out[P]. A column containing
 * NaN gets NaN statistics; S = 1 gives sd NaN. Returns VI_OK, or VI_ERR_NOMEM
 * (S doubles of scratch are allocated) or VI_ERR_USAGE when S = 0. */
int vi_summary_compute(const double *draws, size_t S, size_t P, struct vi_summary_stats *out);

/* Prints the table `name  mean  sd  5%  50%  95%`, one row per quantity,
 * names left-aligned, numbers right-aligned with about 4 significant digits. */
void vi_summary_print(FILE *f, size_t P, const char *const *names,
                      const struct vi_summary_stats *st);

/* Writes the summary CSV: header `param,mean,sd,q5,q50,q95`, one row per
 * quantity (names quoted when they contain a comma or quote). When labels is
 * not NULL and some label differs from its name (text levels in place of
 * indices, "a[Aitkin]" for "a[1]") a last column `label` follows. fprint
 * writes to a stream; write goes atomically to path. Return VI_OK or
 * VI_ERR_IO. */
int vi_summary_fprint_csv(FILE *f, size_t P, const char *const *names, const char *const *labels,
                          const struct vi_summary_stats *st);
int vi_summary_write_csv(const char *path, size_t P, const char *const *names, const char *const *labels,
                         const struct vi_summary_stats *st, struct vi_diags *d);

/* What the draws file's comment lines record. */
struct vi_draws_info {
  const char *model;                 /* model name, e.g. "eight_schools" */
  const char *data_file;             /* may be NULL */
  const char *output_file;           /* may be NULL */
  const struct vi_advi_options *opt; /* the options used */
  const struct vi_advi_result *res;  /* the fit */
  const char *const *labels;         /* P labels (vi_model_out_label), or NULL */
};

/* Writes the draws in CmdStan's variational CSV layout: '#' configuration
 * lines, the header `lp__,log_p__,log_g__,<names>`, (when eta was adapted)
 * "# Stepsize adaptation complete." / "# eta = X", the mean row (0,0,0 then
 * mean_row[P], the constrained values at the approximation's mean), then S
 * rows `0,log_p[s],log_q[s],draws[s,*]`. log_g__ is the normalised log density
 * of the approximation at the draw (CmdStan drops its constant; ratios
 * log_p__ - log_g__ differ from CmdStan's by a constant only). log_p/log_q
 * may be NULL (written as 0). When info->labels has labels that differ from
 * the names, a comment block before the header lists them:
 *   # text levels: the elements indexed by a text column's codes 1..L
 *   #   a.1: a[Aitkin]
 * ('=', '%' and control characters in a label written as %XX, so that
 * rstan and cmdstanr, which read 'key = value' comment lines, skip them).
 * Return VI_OK or VI_ERR_IO. */
int vi_summary_fprint_draws(FILE *f, const struct vi_draws_info *info, size_t P,
                            const char *const *names, const double *mean_row, size_t S,
                            const double *draws, const double *log_p, const double *log_q);
int vi_summary_write_draws(const char *path, const struct vi_draws_info *info, size_t P,
                           const char *const *names, const double *mean_row, size_t S,
                           const double *draws, const double *log_p, const double *log_q,
                           struct vi_diags *d);

/* Writes the variational parameters on the unconstrained scale, one row per
 * unconstrained coordinate (unames[dim], e.g. "sigma" for log sigma):
 * meanfield/dadvi: `param,mean,omega,sd` (omega = log sd, sd = exp(omega));
 * fullrank: `param,mean,L_1,...,L_dim`, row i holding row i of the Cholesky
 * factor L (zeros above the diagonal). When ulabels (dim labels, or NULL)
 * has a label that differs from its name, a last column `label` follows.
 * Return VI_OK or VI_ERR_IO. */
int vi_summary_fprint_params(FILE *f, const struct vi_advi_result *res,
                             const char *const *unames, const char *const *ulabels);
int vi_summary_write_params(const char *path, const struct vi_advi_result *res,
                            const char *const *unames, const char *const *ulabels, struct vi_diags *d);

#endif
