/* test_summary.c: summary statistics against R's numbers, the printed table,
 * the summary/draws/parameter CSV layouts, and the atomic writer. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/summary.h"
#include "vi/writer.h"

/* Reads a whole stream (rewound) into buf. */
static char *slurp(FILE *f, char *buf, size_t n) {
  rewind(f);
  size_t k = fread(buf, 1, n - 1, f);
  buf[k] = 0;
  return buf;
}

static char *slurp_path(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  slurp(f, buf, n);
  fclose(f);
  return buf;
}

Test(summary, quantiles_match_r_type_7) {
  /* R: quantile(1:10, c(.05, .5, .95)) -> 1.45 5.50 9.55 */
  double x[10];
  for (int i = 0; i < 10; i++) x[i] = i + 1;
  cr_assert_float_eq(vi_summary_quantile(x, 10, 0.05), 1.45, 1e-12);
  cr_assert_float_eq(vi_summary_quantile(x, 10, 0.50), 5.50, 1e-12);
  cr_assert_float_eq(vi_summary_quantile(x, 10, 0.95), 9.55, 1e-12);
  cr_assert_eq(vi_summary_quantile(x, 10, 1.0), 10.0);
  cr_assert_eq(vi_summary_quantile(x, 1, 0.5), 1.0);
}

Test(summary, columns_get_mean_sd_and_quantiles_as_r_computes_them) {
  /* column 1: c(3.1, -2, 7, 0.5, 0.5): mean 1.82, sd 3.4113047..., quantile(type 7)
   * at .05 .5 .95 -> -1.5 0.5 6.22; column 2: 1:5 -> mean 3, sd 1.5811388,
   * quantiles 1.2 3 4.8 */
  const double draws[10] = {3.1, 1, -2, 2, 7, 3, 0.5, 4, 0.5, 5};
  struct vi_summary_stats st[2];
  cr_assert_eq(vi_summary_compute(draws, 5, 2, st), VI_OK);
  cr_assert_float_eq(st[0].mean, 1.82, 1e-12);
  cr_assert_float_eq(st[0].sd, 3.411304736, 1e-8);
  cr_assert_float_eq(st[0].q5, -1.5, 1e-12);
  cr_assert_float_eq(st[0].q50, 0.5, 1e-12);
  cr_assert_float_eq(st[0].q95, 6.22, 1e-12);
  cr_assert_float_eq(st[1].mean, 3, 1e-12);
  cr_assert_float_eq(st[1].sd, 1.58113883, 1e-8);
  cr_assert_float_eq(st[1].q5, 1.2, 1e-12);
  cr_assert_float_eq(st[1].q95, 4.8, 1e-12);
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

Test(summary, quantiles_by_selection_equal_those_of_the_sorted_column) {
  /* random columns of 1..300 values, with many ties and infinities: the
   * three quantiles are bit-for-bit those of the sorted values */
  unsigned long long st = 12345;
  double draws[300], sorted[300];
  for (int trial = 0; trial < 2000; trial++) {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    size_t S = 1 + (size_t)((st >> 33) % 300);
    int levels = 1 + (int)((st >> 20) % 40);
    for (size_t s = 0; s < S; s++) {
      st = st * 6364136223846793005ULL + 1442695040888963407ULL;
      int v = (int)((st >> 33) % (unsigned)levels);
      draws[s] = v == 0 && trial % 7 == 0 ? -INFINITY : v == 1 && trial % 5 == 0 ? INFINITY : v * 0.25 - 3;
      sorted[s] = draws[s];
    }
    qsort(sorted, S, sizeof *sorted, cmp_dbl);
    struct vi_summary_stats o;
    cr_assert_eq(vi_summary_compute(draws, S, 1, &o), VI_OK);
    const double want[3] = {vi_summary_quantile(sorted, S, 0.05), vi_summary_quantile(sorted, S, 0.50),
                            vi_summary_quantile(sorted, S, 0.95)};
    const double got[3] = {o.q5, o.q50, o.q95};
    for (int k = 0; k < 3; k++)
      cr_assert(memcmp(&want[k], &got[k], sizeof got[k]) == 0 || (isnan(want[k]) && isnan(got[k])),
                "trial %d, S %zu, quantile %d: %.17g, sorted gives %.17g", trial, S, k, got[k], want[k]);
  }
}

Test(summary, a_column_with_nan_gets_nan_statistics) {
  const double draws[3] = {1, NAN, 2};
  struct vi_summary_stats st;
  vi_summary_compute(draws, 3, 1, &st);
  cr_assert(isnan(st.mean) && isnan(st.sd) && isnan(st.q50));
}

static const char *const names2[2] = {"beta[1]", "Sigma[2,1]"};

Test(summary, the_table_is_aligned_with_readable_numbers) {
  const struct vi_summary_stats st[2] = {{1.23456, 0.0123456, -0.5, 1.25, 3},
                                         {-1234.5, 1e-5, 2e6, 0, 12.5}};
  FILE *f = tmpfile();
  vi_summary_print(f, 2, names2, st);
  char buf[1024];
  slurp(f, buf, sizeof buf);
  fclose(f);
  cr_assert_str_eq(buf,
                   "name             mean         sd         5%        50%        95%\n"
                   "beta[1]         1.235    0.01235    -0.5000      1.250      3.000\n"
                   "Sigma[2,1]      -1234  1.000e-05  2.000e+06          0      12.50\n");
}

Test(summary, the_summary_csv_has_the_documented_columns) {
  const struct vi_summary_stats st[2] = {{1.5, 0.25, 1, 1.5, 2}, {NAN, INFINITY, 0, 0, 0}};
  FILE *f = tmpfile();
  cr_assert_eq(vi_summary_fprint_csv(f, 2, names2, NULL, st), VI_OK);
  char buf[1024];
  slurp(f, buf, sizeof buf);
  fclose(f);
  cr_assert_str_eq(buf,
                   "param,mean,sd,q5,q50,q95\n"
                   "beta[1],1.5,0.25,1,1.5,2\n"
                   "\"Sigma[2,1]\",NaN,Inf,0,0,0\n");
}

static struct vi_advi_result fake_result(enum vi_algo a, double *mu, double *om, double *L) {
  struct vi_advi_result r = {.algorithm = a, .dim = 2, .mu = mu, .iterations = 42,
                             .grad_evals = 1234, .converged = 1, .elbo = -7.5, .eta = 0.1};
  if (L) r.L = L;
  else r.omega = om;
  snprintf(r.reason, sizeof r.reason, "converged");
  return r;
}

Test(summary, the_draws_csv_follows_cmdstans_variational_layout) {
  double mu[2] = {0.5, 1}, om[2] = {0, 0};
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  o.algorithm = VI_ALGO_MEANFIELD;
  o.seed = 4711;
  struct vi_advi_result r = fake_result(VI_ALGO_MEANFIELD, mu, om, NULL);
  struct vi_draws_info info = {"bernoulli", "data.csv", "out.csv", &o, &r, NULL};
  const double mean_row[2] = {0.25, 2.5};
  const double draws[6] = {0.1, 1, 0.2, 2, 0.3, 3};
  const double lp[3] = {-1.5, -2, -2.5}, lq[3] = {-0.5, -1, -1.25};
  FILE *f = tmpfile();
  cr_assert_eq(vi_summary_fprint_draws(f, &info, 2, names2, mean_row, 3, draws, lp, lq), VI_OK);
  char buf[8192];
  slurp(f, buf, sizeof buf);
  fclose(f);
  cr_assert(strstr(buf, "\n# model = bernoulli\n# method = variational\n#   variational\n"
                        "#     algorithm = meanfield\n"),
            "%s", buf);
  cr_assert(strstr(buf, "#     iter = 10000\n#     grad_samples = 1\n#     elbo_samples = 100\n"
                        "#     eta = 1\n#     adapt\n#       engaged = 1\n#       iter = 50\n"
                        "#     tol_rel_obj = 0.01\n#     eval_elbo = 100\n"
                        "#     output_samples = 3\n"),
            "%s", buf);
  cr_assert(strstr(buf, "# random\n#   seed = 4711\n"), "%s", buf);
  cr_assert(strstr(buf, "#   file = data.csv\n"), "%s", buf);
  /* every line before the header is a comment */
  const char *hdr = strstr(buf, "lp__,");
  cr_assert_not_null(hdr);
  for (const char *p = buf; p < hdr; p = strchr(p, '\n') + 1) cr_assert_eq(*p, '#');
  cr_assert_str_eq(hdr,
                   "lp__,log_p__,log_g__,beta.1,Sigma.2.1\n"
                   "# Stepsize adaptation complete.\n"
                   "# eta = 0.1\n"
                   "0,0,0,0.25,2.5\n"
                   "0,-1.5,-0.5,0.1,1\n"
                   "0,-2,-1,0.2,2\n"
                   "0,-2.5,-1.25,0.3,3\n");
}

Test(summary, dadvi_draws_have_no_stepsize_lines_and_name_the_algorithm) {
  double mu[2] = {0, 0}, om[2] = {0, 0};
  struct vi_advi_options o;
  vi_advi_options_default(&o);
  struct vi_advi_result r = fake_result(VI_ALGO_DADVI, mu, om, NULL);
  struct vi_draws_info info = {"m", NULL, NULL, &o, &r, NULL};
  const double row[2] = {1, 2};
  FILE *f = tmpfile();
  vi_summary_fprint_draws(f, &info, 2, names2, row, 1, row, NULL, NULL);
  char buf[8192];
  slurp(f, buf, sizeof buf);
  fclose(f);
  cr_assert(strstr(buf, "#     algorithm = dadvi\n"), "%s", buf);
  cr_assert_null(strstr(buf, "Stepsize"));
  cr_assert(strstr(buf, "Sigma.2.1\n0,0,0,1,2\n0,0,0,1,2\n"), "%s", buf);
}

Test(summary, variational_parameters_are_written_per_unconstrained_coordinate) {
  static const char *const un[2] = {"mu", "sigma"};
  double mu[2] = {0.5, -1}, om[2] = {0, log(2)}, L[4] = {1, 0, 0.5, 2};
  struct vi_advi_result mf = fake_result(VI_ALGO_DADVI, mu, om, NULL);
  struct vi_advi_result fr = fake_result(VI_ALGO_FULLRANK, mu, NULL, L);
  char buf[1024];
  FILE *f = tmpfile();
  vi_summary_fprint_params(f, &mf, un, NULL);
  cr_assert_str_eq(slurp(f, buf, sizeof buf),
                   "param,mean,omega,sd\nmu,0.5,0,1\nsigma,-1,0.693147181,2\n");
  fclose(f);
  f = tmpfile();
  vi_summary_fprint_params(f, &fr, un, NULL);
  cr_assert_str_eq(slurp(f, buf, sizeof buf), "param,mean,L_1,L_2\nmu,0.5,1,0\nsigma,-1,0.5,2\n");
  fclose(f);
}

/* ---- atomic writer ---------------------------------------------------------- */

static char dir[64];

static void mkdir_tmp(void) {
  strcpy(dir, "/tmp/vi_test_summary_XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static int count_files(void) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void rm_dir(void) {
  DIR *d = opendir(dir);
  char p[512];
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
  closedir(d);
  rmdir(dir);
}

Test(writer, commit_replaces_the_target_and_leaves_no_temporary) {
  mkdir_tmp();
  char path[128], buf[256];
  snprintf(path, sizeof path, "%s/out.csv", dir);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_out *o = vi_out_open(path, &d);
  cr_assert_not_null(o);
  fputs("a,b\n1,2\n", vi_out_file(o));
  cr_assert_eq(count_files(), 1); /* only the temporary so far */
  cr_assert_null(slurp_path(path, buf, sizeof buf), "target exists before commit");
  cr_assert_eq(vi_out_commit(o), VI_OK);
  cr_assert_str_eq(slurp_path(path, buf, sizeof buf), "a,b\n1,2\n");
  cr_assert_eq(count_files(), 1);
  vi_diags_free(&d);
  rm_dir();
}

Test(writer, abort_removes_the_temporary_and_keeps_the_old_file) {
  mkdir_tmp();
  char path[128], buf[256];
  snprintf(path, sizeof path, "%s/out.csv", dir);
  FILE *f = fopen(path, "w");
  fputs("old\n", f);
  fclose(f);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_out *o = vi_out_open(path, &d);
  fputs("new, half written", vi_out_file(o));
  vi_out_abort(o);
  cr_assert_str_eq(slurp_path(path, buf, sizeof buf), "old\n");
  cr_assert_eq(count_files(), 1);
  vi_diags_free(&d);
  rm_dir();
}

Test(writer, abort_without_an_old_file_leaves_nothing) {
  mkdir_tmp();
  char path[128];
  snprintf(path, sizeof path, "%s/draws.csv", dir);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_out *o = vi_out_open(path, &d);
  fputs("partial", vi_out_file(o));
  vi_out_abort(o);
  cr_assert_eq(count_files(), 0);
  vi_out_abort(NULL);
  vi_diags_free(&d);
  rm_dir();
}

Test(writer, an_unwritable_folder_is_a_diagnostic) {
  struct vi_diags d;
  vi_diags_init(&d);
  cr_assert_null(vi_out_open("/nonexistent_dir_vi/x.csv", &d));
  cr_assert(strstr(d.buf, "error: cannot write '/nonexistent_dir_vi/x.csv': No such file or "
                          "directory"),
            "%s", d.buf);
  vi_diags_free(&d);
}

Test(writer, summary_files_are_written_through_the_atomic_writer) {
  mkdir_tmp();
  char path[128], buf[256];
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  const struct vi_summary_stats st[1] = {{1, 2, 3, 4, 5}};
  static const char *const nm[1] = {"theta"};
  struct vi_diags d;
  vi_diags_init(&d);
  cr_assert_eq(vi_summary_write_csv(path, 1, nm, NULL, st, &d), VI_OK);
  cr_assert_str_eq(slurp_path(path, buf, sizeof buf), "param,mean,sd,q5,q50,q95\ntheta,1,2,3,4,5\n");
  cr_assert_eq(count_files(), 1);
  vi_diags_free(&d);
  rm_dir();
}
