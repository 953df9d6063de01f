/* test_fit.c: end-to-end fits against exact posteriors. Tolerances are tight
 * enough that a wrong gradient, transform or optimiser fails them. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* Runs vi-run from tests/fit with args; returns the exit status. */
static int run(const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s/tests/fit' && '%s' %s >/dev/null 2>/tmp/vi-fit-%d.err", env_or("VI_SOURCE_ROOT", "."),
           env_or("VI_RUN", "build/vi-run"), args, (int)getpid());
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

struct row {
  char name[64];
  double mean, sd, q5, q50, q95;
};

static int read_summary(const char *path, struct row *rows, int max) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[512];
  int n = 0;
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return -1;
  }
  cr_assert(strncmp(line, "param,mean,sd,q5,q50,q95", 24) == 0, "summary header: %s", line);
  while (n < max && fgets(line, sizeof line, f)) {
    struct row *r = &rows[n];
    char *c = strchr(line, ',');
    if (!c) break;
    *c = 0;
    snprintf(r->name, sizeof r->name, "%.63s", line);
    if (sscanf(c + 1, "%lf,%lf,%lf,%lf,%lf", &r->mean, &r->sd, &r->q5, &r->q50, &r->q95) == 5) n++;
  }
  fclose(f);
  return n;
}

static double data_sum(int *n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/fit/conjugate_normal.csv", env_or("VI_SOURCE_ROOT", "."));
  FILE *f = fopen(path, "r");
  cr_assert(f);
  char line[128];
  double s = 0;
  *n = 0;
  cr_assert(fgets(line, sizeof line, f));
  while (fgets(line, sizeof line, f)) {
    s += atof(line);
    (*n)++;
  }
  fclose(f);
  return s;
}

Test(fit, conjugate_normal_mean_and_sd_match_the_exact_posterior) {
  int n;
  double s = data_sum(&n);
  double prec = n / 4.0 + 1 / 9.0, mean = (s / 4.0 + 1 / 9.0) / prec, sd = 1 / sqrt(prec);
  char out[256], args[512];
  snprintf(out, sizeof out, "/tmp/vi-fit-normal-%d.csv", (int)getpid());
  snprintf(args, sizeof args, "conjugate_normal.vim conjugate_normal.csv --seed 3 --output-samples 4000 --summary %s", out);
  cr_assert_eq(run(args), 0);
  struct row rows[4];
  cr_assert_eq(read_summary(out, rows, 4), 1);
  unlink(out);
  cr_expect_str_eq(rows[0].name, "mu");
  cr_expect(fabs(rows[0].mean - mean) < 0.05 * sd, "mean %g, exact %g (sd %g)", rows[0].mean, mean, sd);
  cr_expect(fabs(rows[0].sd / sd - 1) < 0.05, "sd %g, exact %g", rows[0].sd, sd);
  /* 5% and 95% quantiles of a normal: mean -+ 1.6449 sd */
  cr_expect(fabs(rows[0].q5 - (mean - 1.6448536 * sd)) < 0.1 * sd, "q5 %g", rows[0].q5);
  cr_expect(fabs(rows[0].q95 - (mean + 1.6448536 * sd)) < 0.1 * sd, "q95 %g", rows[0].q95);
}

Test(fit, stan_meanfield_also_recovers_the_conjugate_normal_posterior) {
  int n;
  double s = data_sum(&n);
  double prec = n / 4.0 + 1 / 9.0, mean = (s / 4.0 + 1 / 9.0) / prec, sd = 1 / sqrt(prec);
  char out[256], args[512];
  snprintf(out, sizeof out, "/tmp/vi-fit-mf-%d.csv", (int)getpid());
  snprintf(args, sizeof args,
           "conjugate_normal.vim conjugate_normal.csv --algorithm meanfield --seed 2 --output-samples 4000 --summary %s",
           out);
  cr_assert_eq(run(args), 0);
  struct row rows[4];
  cr_assert_eq(read_summary(out, rows, 4), 1);
  unlink(out);
  /* Stan's stochastic ADVI stops on a noisy rule: it lands near, not on, the answer */
  cr_expect(fabs(rows[0].mean - mean) < 0.6 * sd, "mean %g, exact %g (sd %g)", rows[0].mean, mean, sd);
  cr_expect(fabs(rows[0].sd / sd - 1) < 0.5, "sd %g, exact %g", rows[0].sd, sd);
}

Test(fit, beta_binomial_matches_the_exact_beta_posterior) {
  /* k = 13 of n = 40: posterior beta(15, 30), mean 1/3, sd sqrt(15*30/(45^2*46)) */
  double a = 15, b = 30, mean = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
  char out[256], args[512];
  snprintf(out, sizeof out, "/tmp/vi-fit-bb-%d.csv", (int)getpid());
  snprintf(args, sizeof args, "beta_binomial.vim n=40 k=13 --seed 1 --output-samples 4000 --summary %s", out);
  cr_assert_eq(run(args), 0);
  struct row rows[4];
  cr_assert_eq(read_summary(out, rows, 4), 1);
  unlink(out);
  cr_expect_str_eq(rows[0].name, "theta");
  /* a Gaussian on the logit scale is close to, not exactly, a beta */
  cr_expect(fabs(rows[0].mean - mean) < 0.1 * sd, "mean %g, exact %g (sd %g)", rows[0].mean, mean, sd);
  cr_expect(fabs(rows[0].sd / sd - 1) < 0.1, "sd %g, exact %g", rows[0].sd, sd);
}

/* Least squares for tests/fit/correlated_regression.csv: the exact
 * posterior means and sds of (alpha, beta) for noise sd sigma. */
static void least_squares(double sigma, double mean[2], double sd[2], double *rho) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/fit/correlated_regression.csv", env_or("VI_SOURCE_ROOT", "."));
  FILE *f = fopen(path, "r");
  cr_assert(f);
  char line[128];
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, x, y;
  cr_assert(fgets(line, sizeof line, f));
  while (fgets(line, sizeof line, f) && sscanf(line, "%lf,%lf", &x, &y) == 2) {
    n++, sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  fclose(f);
  double det = n * sxx - sx * sx;
  mean[1] = (n * sxy - sx * sy) / det;
  mean[0] = (sy - mean[1] * sx) / n;
  /* sigma^2 (X'X)^-1 = sigma^2 / det [[sxx, -sx], [-sx, n]] */
  sd[0] = sigma * sqrt(sxx / det);
  sd[1] = sigma * sqrt(n / det);
  *rho = -sx / sqrt(sxx * n);
}

Test(fit, fullrank_recovers_a_strongly_correlated_gaussian_posterior) {
  double mean[2], sd[2], rho;
  least_squares(18, mean, sd, &rho);
  cr_assert(rho < -0.98, "the test needs a strong correlation (%g)", rho);
  for (int seed = 1; seed <= 3; seed++) {
    char out[256], args[512];
    snprintf(out, sizeof out, "/tmp/vi-fit-fr-%d.csv", (int)getpid());
    snprintf(args, sizeof args,
             "correlated_regression.vim correlated_regression.csv sigma=18 --algorithm fullrank "
             "--seed %d --summary %s",
             seed, out);
    cr_assert_eq(run(args), 0);
    struct row rows[4];
    cr_assert_eq(read_summary(out, rows, 4), 2);
    unlink(out);
    for (int i = 0; i < 2; i++) {
      cr_expect(fabs(rows[i].mean - mean[i]) < 0.02 * sd[i], "seed %d %s: mean %g, exact %g (sd %g)",
                seed, rows[i].name, rows[i].mean, mean[i], sd[i]);
      cr_expect(fabs(rows[i].sd / sd[i] - 1) < 0.02, "seed %d %s: sd %g, exact %g", seed,
                rows[i].name, rows[i].sd, sd[i]);
    }
  }
}

Test(fit, lowrank_recovers_a_strongly_correlated_gaussian_posterior) {
  /* two parameters, rank 1: D + b b^T covers every 2 x 2 covariance, so the
   * low-rank family contains the exact posterior */
  double mean[2], sd[2], rho;
  least_squares(18, mean, sd, &rho);
  for (int seed = 1; seed <= 3; seed++) {
    char out[256], args[512];
    snprintf(out, sizeof out, "/tmp/vi-fit-lr-%d.csv", (int)getpid());
    snprintf(args, sizeof args,
             "correlated_regression.vim correlated_regression.csv sigma=18 --algorithm lowrank "
             "--rank 1 --seed %d --summary %s",
             seed, out);
    cr_assert_eq(run(args), 0);
    struct row rows[4];
    cr_assert_eq(read_summary(out, rows, 4), 2);
    unlink(out);
    for (int i = 0; i < 2; i++) {
      cr_expect(fabs(rows[i].mean - mean[i]) < 0.02 * sd[i], "seed %d %s: mean %g, exact %g (sd %g)",
                seed, rows[i].name, rows[i].mean, mean[i], sd[i]);
      cr_expect(fabs(rows[i].sd / sd[i] - 1) < 0.03, "seed %d %s: sd %g, exact %g", seed,
                rows[i].name, rows[i].sd, sd[i]);
    }
  }
}

Test(fit, draws_file_has_cmdstan_layout) {
  char out[256], args[512];
  snprintf(out, sizeof out, "/tmp/vi-fit-draws-%d.csv", (int)getpid());
  snprintf(args, sizeof args, "beta_binomial.vim n=40 k=13 --output-samples 50 --draws %s", out);
  cr_assert_eq(run(args), 0);
  FILE *f = fopen(out, "r");
  cr_assert(f);
  char line[1024];
  int comments = 0, header = 0, rows = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') {
      comments++;
      continue;
    }
    if (!header) {
      cr_expect_str_eq(line, "lp__,log_p__,log_g__,theta\n");
      header = 1;
      continue;
    }
    double lp, logp, logg, th;
    cr_expect_eq(sscanf(line, "%lf,%lf,%lf,%lf", &lp, &logp, &logg, &th), 4, "row: %s", line);
    cr_expect(th > 0 && th < 1, "theta %g outside (0,1)", th);
    if (rows == 0) cr_expect(lp == 0 && logp == 0 && logg == 0, "the first row is the mean: %s", line);
    rows++;
  }
  fclose(f);
  unlink(out);
  cr_expect(comments >= 5, "only %d comment lines", comments);
  cr_expect_eq(rows, 51, "mean row plus 50 draws, got %d rows", rows);
}

Test(fit, the_same_seed_gives_the_same_output_bit_for_bit) {
  char a[256], b[256], args[600];
  snprintf(a, sizeof a, "/tmp/vi-fit-a-%d.csv", (int)getpid());
  snprintf(b, sizeof b, "/tmp/vi-fit-b-%d.csv", (int)getpid());
  snprintf(args, sizeof args, "conjugate_normal.vim conjugate_normal.csv --seed 11 --summary %s", a);
  cr_assert_eq(run(args), 0);
  snprintf(args, sizeof args, "conjugate_normal.vim conjugate_normal.csv --seed 11 --summary %s", b);
  cr_assert_eq(run(args), 0);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
  cr_expect_eq(system(cmd), 0, "two runs with --seed 11 differ");
  unlink(a);
  unlink(b);
}

Test(fit, every_example_fits) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd '%s/examples' && for m in *.vim; do b=${m%%.vim}; "
           "timeout 120 '%s' $m $b.csv --quiet --output-samples 200 >/tmp/vi-ex-%d.out 2>&1 || { echo \"$b failed\"; cat /tmp/vi-ex-%d.out; exit 1; }; "
           "grep -q '^converged:' /tmp/vi-ex-%d.out || { echo \"$b printed no header\"; exit 1; }; done",
           env_or("VI_SOURCE_ROOT", "."), env_or("VI_RUN", "build/vi-run"), (int)getpid(), (int)getpid(), (int)getpid());
  cr_expect_eq(system(cmd), 0, "an example failed (see the output above)");
  char rm[128];
  snprintf(rm, sizeof rm, "/tmp/vi-ex-%d.out", (int)getpid());
  unlink(rm);
}

Test(fit, draws_header_uses_cmdstan_dotted_element_names) {
  char out[256], cmd[2048];
  snprintf(out, sizeof out, "/tmp/vi-fit-es-%d.csv", (int)getpid());
  snprintf(cmd, sizeof cmd, "cd '%s/examples' && '%s' eight_schools.vim eight_schools.csv --quiet --output-samples 20 --draws %s >/dev/null",
           env_or("VI_SOURCE_ROOT", "."), env_or("VI_RUN", "build/vi-run"), out);
  cr_assert_eq(system(cmd), 0);
  FILE *f = fopen(out, "r");
  cr_assert(f);
  char line[4096];
  while (fgets(line, sizeof line, f) && line[0] == '#') {
  }
  fclose(f);
  unlink(out);
  cr_expect(strncmp(line, "lp__,log_p__,log_g__,mu,tau,eta.1,eta.2,", 40) == 0, "header: %s", line);
  cr_expect(strstr(line, ",theta.8\n") != NULL, "header: %s", line);
}
