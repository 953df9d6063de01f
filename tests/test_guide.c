/* test_guide.c: the guide block (compiler/guide.c): every rule's message
 * with its place, and the rewritten program's log density at eps = 0 (one
 * reparameterised ELBO term per row) against the hand-computed value. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static const char *HEAD = "data { int<lower=1> N; vector[N] x; }\n"
                          "parameters { @local vector[N] z; @point real a; }\n"
                          "guide parameters { real c; real s; }\n"
                          "model { for (n in 1:N) { z[n] ~ std_normal(); x[n] ~ normal(a * z[n], 1); } }\n"
                          "guide {\n";

static char dir[64];

/* Writes m.vim (HEAD + body + "}") and d.csv (x = 0.5, -1, 2) in a fresh
 * directory and runs vi-run there with args. */
static struct shell_run run_guide(const char *body, const char *args) {
  snprintf(dir, sizeof dir, "/tmp/vi-guide-XXXXXX");
  cr_assert(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/m.vim", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fprintf(f, "%s%s\n}\n", HEAD, body);
  fclose(f);
  snprintf(path, sizeof path, "%s/d.csv", dir);
  f = fopen(path, "w");
  cr_assert(f);
  fputs("x\n0.5\n-1\n2\n", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/p.csv", dir);
  f = fopen(path, "w");
  cr_assert(f);
  fputs("a,c,s\n1.5,0.6,-0.5\n", f);
  fclose(f);
  struct shell_run r = run_vi_shell(dir, args);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  return r;
}

static void expect_error(const char *body, const char *msg) {
  struct shell_run r = run_guide(body, "m.vim d.csv --check");
  cr_expect_neq(r.status, 0);
  cr_expect(strstr(r.err, msg), "wanted '%s' in:\n%s", msg, r.err);
  shell_run_free(&r);
}

Test(guide, reading_a_model_parameter_is_refused_at_its_place) {
  expect_error("  for (n in 1:N) z[n] ~ normal(a * x[n], exp(s));",
               "m.vim:6:32: error: the guide reads the model parameter 'a'");
}

Test(guide, a_local_sampled_twice_is_refused_at_the_second_sample) {
  expect_error("  for (n in 1:N) z[n] ~ normal(c * x[n], exp(s));\n  for (n in 1:N) z[n] ~ normal(c * x[n], exp(s));",
               "m.vim:7:18: error: the guide samples 'z' a second time (the first sample is at line 6, column 18)");
}

Test(guide, a_local_never_sampled_is_refused_at_the_guide_block) {
  expect_error("  real q = 1;", "m.vim:5:1: error: the guide does not sample the local 'z'");
}

Test(guide, a_sample_at_another_row_is_refused) {
  expect_error("  for (n in 2:N) z[n] ~ normal(c * x[n - 1], exp(s));", "m.vim:6:19: error: the guide samples 'z' at another row");
}

Test(guide, a_sample_from_another_family_is_refused) {
  expect_error("  for (n in 1:N) z[n] ~ student_t(3, c * x[n], exp(s));",
               "m.vim:6:25: error: the guide samples 'z' from 'student_t': a guide sample is 'normal(mean, sd)'");
}

/* z_n = c x_n at eps = 0: sum_n log N(z_n | 0, 1) + log N(x_n | a z_n, 1)
 * (the ~ statements drop their constants, as Stan's do) + s + (1 + log 2 pi)
 * / 2 (the entropy of q, constant kept), and its gradient in (a, c, s) */
Test(guide, the_rewritten_log_density_is_one_elbo_term_per_row) {
  struct shell_run r = run_guide("  for (n in 1:N) z[n] ~ normal(c * x[n], exp(s));", "m.vim d.csv --log-density p.csv");
  cr_assert_eq(r.status, 0, "%s", r.err);
  double a = 1.5, c = 0.6, s = -0.5, xs[3] = {0.5, -1, 2}, lp = 0, ga = 0, gc = 0, l2 = log(2 * M_PI);
  for (int n = 0; n < 3; n++) {
    double x = xs[n], z = c * x;
    lp += -0.5 * z * z - 0.5 * (x - a * z) * (x - a * z) + s + 0.5 * (1 + l2);
    ga += (x - a * z) * z;
    gc += -z * x + (x - a * z) * a * x;
  }
  double v[4];
  int nc = 0;
  cr_assert_eq(csv_rows(r.out, v, 1, 4, &nc), 1, "%s", r.out);
  cr_expect_eq(nc, 4);
  cr_expect(fabs(v[0] - lp) < 1e-12, "lp %.17g, wanted %.17g", v[0], lp);
  cr_expect_float_eq(v[1], ga, 1e-12);
  cr_expect_float_eq(v[2], gc, 1e-12);
  cr_expect_float_eq(v[3], 3.0, 1e-12); /* d/ds: N */
  shell_run_free(&r);
}

Test(guide, fitting_a_guide_model_is_refused_until_training_exists) {
  struct shell_run r = run_guide("  for (n in 1:N) z[n] ~ normal(c * x[n], exp(s));", "m.vim d.csv");
  cr_expect_eq(r.status, 4, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.err, "m.vim:5:1: error: fitting a model with a guide block (amortised inference) is not built yet"),
            "%s", r.err);
  shell_run_free(&r);
}
