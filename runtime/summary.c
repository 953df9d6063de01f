/* summary.c: summaries, the summary/draws/parameter CSV files
 * (include/vi/summary.h). */
#include "vi/summary.h"

#include "vi/flow.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vi/writer.h"

double vi_summary_quantile(const double *sorted, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  if (lo >= n - 1) return sorted[n - 1];
  return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* Moves the k-th smallest of x[0..n) (no NaN) to x[k], the smaller ones
 * before it and the larger after (Hoare's selection, median-of-three pivot):
 * O(n) on average, where a sort is O(n log n). */
static void select_kth(double *x, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (hi > lo) {
    size_t mid = lo + (hi - lo) / 2;
    double a = x[lo], b = x[mid], c = x[hi];
    double piv = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    size_t i = lo, j = hi;
    while (i <= j) {
      while (x[i] < piv) i++;
      while (x[j] > piv) j--;
      if (i <= j) {
        double t = x[i];
        x[i] = x[j];
        x[j] = t;
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/* The p-quantile of x[lo0..n) as vi_summary_quantile gives it on the sorted
 * values; x is reordered, and stays partitioned around every order
 * statistic found, so quantiles asked in increasing p reuse the work. */
static double quantile_select(double *x, size_t n, size_t *from, double p) {
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  if (lo >= n - 1) lo = n - 1;
  select_kth(x + *from, n - *from, lo - *from);
  double v = x[lo];
  *from = lo;
  if (lo == n - 1) return v;
  double next = x[lo + 1]; /* the smallest of the part above x[lo] */
  for (size_t i = lo + 2; i < n; i++) next = x[i] < next ? x[i] : next;
  return v + (h - (double)lo) * (next - v);
}

int vi_summary_compute(const double *draws, size_t S, size_t P, struct vi_summary_stats *out) {
  if (S == 0) return VI_ERR_USAGE;
  double *col = malloc(S * sizeof *col);
  if (!col) return VI_ERR_NOMEM;
  for (size_t p = 0; p < P; p++) {
    int has_nan = 0;
    double sum = 0;
    for (size_t s = 0; s < S; s++) {
      col[s] = draws[s * P + p];
      has_nan |= isnan(col[s]);
      sum += col[s];
    }
    struct vi_summary_stats *o = &out[p];
    if (has_nan) {
      o->mean = o->sd = o->q5 = o->q50 = o->q95 = NAN;
      continue;
    }
    double mean = sum / (double)S, ss = 0;
    for (size_t s = 0; s < S; s++) ss += (col[s] - mean) * (col[s] - mean);
    o->mean = mean;
    o->sd = S > 1 ? sqrt(ss / (double)(S - 1)) : NAN;
    size_t from = 0;
    o->q5 = quantile_select(col, S, &from, 0.05);
    o->q50 = quantile_select(col, S, &from, 0.50);
    o->q95 = quantile_select(col, S, &from, 0.95);
  }
  free(col);
  return VI_OK;
}

/* About 4 significant digits without an exponent for 1e-3 <= |x| < 1e6,
 * else %.3e; "nan", "inf", "-inf" as such. */
static void fmt_num(char *buf, size_t n, double x) {
  double ax = fabs(x);
  if (isnan(x)) snprintf(buf, n, "nan");
  else if (isinf(x)) snprintf(buf, n, x > 0 ? "inf" : "-inf");
  else if (x == 0) snprintf(buf, n, "0");
  else if (ax < 1e-3 || ax >= 1e6) snprintf(buf, n, "%.3e", x);
  else {
    int dec = 3 - (int)floor(log10(ax));
    if (dec < 0) dec = 0;
    snprintf(buf, n, "%.*f", dec, x);
  }
}

void vi_summary_print(FILE *f, size_t P, const char *const *names,
                      const struct vi_summary_stats *st) {
  int w = 4;
  for (size_t p = 0; p < P; p++) {
    size_t l = strlen(names[p]);
    if ((int)l > w) w = l > 200 ? 200 : (int)l;
  }
  fprintf(f, "%-*s  %9s  %9s  %9s  %9s  %9s\n", w, "name", "mean", "sd", "5%", "50%", "95%");
  for (size_t p = 0; p < P; p++) {
    const double v[5] = {st[p].mean, st[p].sd, st[p].q5, st[p].q50, st[p].q95};
    fprintf(f, "%-*s", w, names[p]);
    for (int k = 0; k < 5; k++) {
      char b[40];
      fmt_num(b, sizeof b, v[k]);
      fprintf(f, "  %9s", b);
    }
    fputc('\n', f);
  }
}

/* CSV number: shortest round-trip-safe enough form, R's spellings for non-finite. */
static void csv_num(FILE *f, double x) {
  if (isnan(x)) fputs("NaN", f);
  else if (isinf(x)) fputs(x > 0 ? "Inf" : "-Inf", f);
  else fprintf(f, "%.9g", x);
}

static void csv_name(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* CmdStan's header form of an element name: beta[2,1] -> beta.2.1 */
static void cmdstan_name(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '[' || *s == ',') fputc('.', f);
    else if (*s != ']') fputc(*s, f);
  }
}

/* Whether some label differs from its name. */
static int has_labels(size_t P, const char *const *names, const char *const *labels) {
  for (size_t p = 0; labels && p < P; p++)
    if (labels[p] && strcmp(labels[p], names[p])) return 1;
  return 0;
}

int vi_summary_fprint_csv(FILE *f, size_t P, const char *const *names, const char *const *labels,
                          const struct vi_summary_stats *st) {
  int lab = has_labels(P, names, labels);
  fputs(lab ? "param,mean,sd,q5,q50,q95,label\n" : "param,mean,sd,q5,q50,q95\n", f);
  for (size_t p = 0; p < P; p++) {
    const double v[5] = {st[p].mean, st[p].sd, st[p].q5, st[p].q50, st[p].q95};
    csv_name(f, names[p]);
    for (int k = 0; k < 5; k++) {
      fputc(',', f);
      csv_num(f, v[k]);
    }
    if (lab) {
      fputc(',', f);
      csv_name(f, labels[p] ? labels[p] : names[p]);
    }
    fputc('\n', f);
  }
  return ferror(f) ? VI_ERR_IO : VI_OK;
}

/* Opens path atomically, runs the printer, commits or aborts. */
#define WRITE_ATOMIC(path, d, CALL)                         \
  do {                                                      \
    struct vi_out *o_ = vi_out_open((path), (d));           \
    if (!o_) return VI_ERR_IO;                              \
    FILE *f = vi_out_file(o_);                              \
    if ((CALL) != VI_OK) {                                  \
      int e_ = errno;                                       \
      vi_out_abort(o_);                                     \
      vi_error((d), (struct vi_srcloc){NULL, 0, 0},         \
               "cannot write '%s': %s", (path),             \
               e_ ? strerror(e_) : "write failed");         \
      return VI_ERR_IO;                                     \
    }                                                       \
    return vi_out_commit(o_);                               \
  } while (0)

int vi_summary_write_csv(const char *path, size_t P, const char *const *names, const char *const *labels,
                         const struct vi_summary_stats *st, struct vi_diags *d) {
  WRITE_ATOMIC(path, d, vi_summary_fprint_csv(f, P, names, labels, st));
}

int vi_summary_fprint_draws(FILE *f, const struct vi_draws_info *info, size_t P,
                            const char *const *names, const double *mean_row, size_t S,
                            const double *draws, const double *log_p, const double *log_q) {
  const struct vi_advi_options *o = info->opt;
  const struct vi_advi_result *r = info->res;
  enum vi_optimizer opt = r && r->optimizer != VI_OPT_AUTO ? r->optimizer : vi_optimizer_of(o);
  int stan = opt == VI_OPT_SGD || opt == VI_OPT_ADAM;
  fprintf(f, "# Written by vi in CmdStan's variational CSV layout\n");
  /* rstan::read_stan_csv keeps the first 'method' key of the comments and
   * cmdstanr's reader keeps the last one with a single '='. rstan 2.21
   * cannot print() a fit whose method is variational (its summary then
   * needs Pareto k values that only rstan::vb computes), so this line, with
   * two '=', gives rstan independent draws and cmdstanr skips it. */
  fprintf(f, "# method = draws = independent draws from the approximation (for rstan; CmdStan's method "
             "is below)\n");
  fprintf(f, "# stan_version_major = 2\n# stan_version_minor = 33\n# stan_version_patch = 0\n");
  fprintf(f, "# model = %s\n", info->model ? info->model : "model");
  fprintf(f, "# method = variational\n#   variational\n");
  enum vi_algo algo = r && o->algorithm == VI_ALGO_AUTO ? r->algorithm : o->algorithm;
  fprintf(f, "#     algorithm = %s\n#       %s\n", vi_algo_name(algo), vi_algo_name(algo));
  if (o->algorithm == VI_ALGO_AUTO) fprintf(f, "#     chosen_automatically = 1\n");
  fprintf(f, "#     optimizer = %s\n", vi_optimizer_name(opt));
  fprintf(f, "#     iter = %d\n", o->iter);
  if (stan) {
    fprintf(f, "#     grad_samples = %d\n#     elbo_samples = %d\n", o->grad_samples,
            o->elbo_samples);
    if (opt == VI_OPT_ADAM) fprintf(f, "#     lr = %.9g\n", o->lr);
    else fprintf(f, "#     eta = %.9g\n", o->eta);
    fprintf(f, "#     adapt\n#       engaged = %d\n#       iter = %d\n", o->adapt_engaged ? 1 : 0,
            o->adapt_iter);
    fprintf(f, "#     tol_rel_obj = %.9g\n#     eval_elbo = %d\n", o->tol_rel_obj, o->eval_elbo);
  } else {
    fprintf(f, "#     draws_start = %d\n#     draws_max = %d\n", o->draws_start, o->draws_max);
    fprintf(f, "#     mc_tol = %.9g\n#     grad_tol = %.9g\n", o->mc_tol, o->grad_tol);
  }
  fprintf(f, "#     output_samples = %zu\n", S);
  fprintf(f, "# id = 1\n# data\n#   file = %s\n", info->data_file ? info->data_file : "");
  if (o->init) fprintf(f, "# init = user\n");
  else fprintf(f, "# init = %.9g\n", o->init_radius);
  fprintf(f, "# random\n#   seed = %llu\n", (unsigned long long)o->seed);
  fprintf(f, "# output\n#   file = %s\n", info->output_file ? info->output_file : "");
  if (r) {
    fprintf(f, "# fit: iterations = %d, gradient_evaluations = %ld, converged = %d\n",
            r->iterations, r->grad_evals, r->converged);
    fprintf(f, "# fit: ELBO = %.9g\n", r->elbo);
    if (!stan) fprintf(f, "# fit: draws_M = %d\n", r->draws_m);
    fprintf(f, "# fit: %s\n", r->reason);
  }
  if (has_labels(P, names, info->labels)) {
    fputs("# text levels: the elements indexed by a text column's codes 1..L\n", f);
    for (size_t p = 0; p < P; p++) {
      const char *l = info->labels[p];
      if (!l || !strcmp(l, names[p])) continue;
      fputs("#   ", f);
      cmdstan_name(f, names[p]);
      fputs(": ", f);
      for (; *l; l++) {
        unsigned char c = (unsigned char)*l;
        if (c == '=' || c == '%' || c < 0x20 || c == 0x7f) fprintf(f, "%%%02X", c);
        else fputc(c, f);
      }
      fputc('\n', f);
    }
  }
  fputs("lp__,log_p__,log_g__", f);
  for (size_t p = 0; p < P; p++) {
    fputc(',', f);
    cmdstan_name(f, names[p]);
  }
  fputc('\n', f);
  if (opt == VI_OPT_SGD && o->adapt_engaged)
    fprintf(f, "# Stepsize adaptation complete.\n# eta = %.9g\n", r ? r->eta : o->eta);
  fputs("0,0,0", f);
  for (size_t p = 0; p < P; p++) {
    fputc(',', f);
    csv_num(f, mean_row[p]);
  }
  fputc('\n', f);
  for (size_t s = 0; s < S; s++) {
    fputs("0,", f);
    csv_num(f, log_p ? log_p[s] : 0);
    fputc(',', f);
    csv_num(f, log_q ? log_q[s] : 0);
    for (size_t p = 0; p < P; p++) {
      fputc(',', f);
      csv_num(f, draws[s * P + p]);
    }
    fputc('\n', f);
  }
  return ferror(f) ? VI_ERR_IO : VI_OK;
}

int vi_summary_write_draws(const char *path, const struct vi_draws_info *info, size_t P,
                           const char *const *names, const double *mean_row, size_t S,
                           const double *draws, const double *log_p, const double *log_q,
                           struct vi_diags *d) {
  WRITE_ATOMIC(path, d,
               vi_summary_fprint_draws(f, info, P, names, mean_row, S, draws, log_p, log_q));
}

int vi_summary_fprint_params(FILE *f, const struct vi_advi_result *res,
                             const char *const *unames, const char *const *ulabels) {
  size_t n = res->dim;
  int lab = has_labels(n, unames, ulabels);
  if (res->L) {
    fputs("param,mean", f);
    for (size_t j = 0; j < n; j++) fprintf(f, ",L_%zu", j + 1);
  } else {
    fputs("param,mean,omega,sd", f);
    for (int j = 0; res->B && j < res->rank; j++) fprintf(f, ",B_%d", j + 1);
  }
  fputs(lab ? ",label\n" : "\n", f);
  for (size_t i = 0; i < n; i++) {
    csv_name(f, unames[i]);
    fputc(',', f);
    csv_num(f, res->mu[i]);
    if (res->L) {
      for (size_t j = 0; j < n; j++) {
        fputc(',', f);
        csv_num(f, j <= i ? res->L[i * n + j] : 0);
      }
    } else {
      fputc(',', f);
      csv_num(f, res->omega[i]);
      fputc(',', f);
      csv_num(f, exp(res->omega[i])); /* the diagonal part's sd (lowrank: plus B B^T) */
      for (int j = 0; res->B && j < res->rank; j++) {
        fputc(',', f);
        csv_num(f, res->B[i * (size_t)res->rank + (size_t)j]);
      }
    }
    if (lab) {
      fputc(',', f);
      csv_name(f, ulabels[i] ? ulabels[i] : unames[i]);
    }
    fputc('\n', f);
  }
  if (res->flow && vi_flow_fprint(f, res->flow) != VI_OK) return VI_ERR_IO;
  return ferror(f) ? VI_ERR_IO : VI_OK;
}

int vi_summary_write_params(const char *path, const struct vi_advi_result *res,
                            const char *const *unames, const char *const *ulabels, struct vi_diags *d) {
  WRITE_ATOMIC(path, d, vi_summary_fprint_params(f, res, unames, ulabels));
}
