/* test_report.c: vi-run --report writes one self-contained HTML page with
 * every plot (include/vi/report.h), atomically; the Pareto-smoothed weights. */
#include <criterion/criterion.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"
#include "vi/report.h"

static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* Fits an example with --report and returns the page (malloc'd). */
static char *report_of(const char *model, const char *data, const char *extra, struct shell_run *r) {
  char dir[1024], args[2048], path[256];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  snprintf(path, sizeof path, "/tmp/vi-report-%d.html", (int)getpid());
  snprintf(args, sizeof args, "%s %s --quiet --report %s %s", model, data, path, extra);
  *r = run_vi_shell(dir, args);
  char *html = slurp(path);
  unlink(path);
  return html;
}

/* No URL and no attribute that could fetch anything. */
static void expect_self_contained(const char *html) {
  cr_expect(strstr(html, "http:") == NULL, "the page names an http: URL");
  cr_expect(strstr(html, "https:") == NULL, "the page names an https: URL");
  cr_expect(strstr(html, "//") == NULL, "the page has a //-URL (or //)");
  cr_expect(strstr(html, "src=") == NULL, "the page has a src attribute");
  cr_expect(strstr(html, "href=") == NULL, "the page has an href attribute");
  cr_expect(strstr(html, "url(") == NULL, "the page's CSS loads a url()");
  cr_expect(strstr(html, "@import") == NULL, "the page's CSS imports");
  cr_expect(strstr(html, "default-src 'none'") != NULL, "no Content-Security-Policy forbidding fetches");
  cr_expect(strncmp(html, "<!DOCTYPE html>", 15) == 0);
  cr_expect(strstr(html, "</html>\n") != NULL, "the page is cut short");
}

Test(report, prediction_page_is_self_contained_and_has_every_plot) {
  struct shell_run r;
  char *html = report_of("prediction.vim", "prediction.csv", "--seed 2", &r);
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_assert(html, "no report written");
  expect_self_contained(html);
  for (const char *const *id = (const char *const[]){"header", "trace", "marginals", "pairs", "pareto", "ppc", NULL};
       *id; id++) {
    char needle[64];
    snprintf(needle, sizeof needle, "<section id=\"%s\">", *id);
    cr_expect_eq(count(html, needle), 1, "section %s", *id);
  }
  /* alpha, beta, sigma, y_new[1..3], y_rep_mean: the replicates y_rep[1..60]
   * are in the predictive check, not in the marginals */
  cr_expect_eq(count(html, "class=\"plot marginal\""), 7);
  cr_expect(strstr(html, "data-name=\"y_new[3]\"") != NULL);
  cr_expect(strstr(html, "data-name=\"y_rep[1]\"") == NULL);
  cr_expect_eq(count(html, "class=\"plot pair\""), 6, "six most correlated pairs of seven quantities");
  cr_expect_eq(count(html, "<svg class=\"plot ppc\" data-name=\"y\""), 1, "the check of y_rep against y");
  cr_expect_eq(count(html, "class=\"plot ppc-stat\""), 2, "mean and sd of the replicates");
  cr_expect_eq(count(html, "<path class=\"rep\""), 20, "twenty replicate histograms");
  cr_expect(count(html, "<polyline class=\"line") >= 1, "no objective trace");
  /* the page's numbers are the header's */
  const char *k = strstr(r.out, "\nPareto k:    ");
  cr_assert(k);
  char want[64];
  snprintf(want, sizeof want, "k = %.4s:", k + 14);
  cr_expect(strstr(html, want) != NULL, "the page lacks '%s'", want);
  const char *elbo = strstr(r.out, "\nELBO:        ");
  cr_assert(elbo);
  char ew[64];
  snprintf(ew, sizeof ew, "<td>%.*s</td>", (int)strcspn(elbo + 14, "\n"), elbo + 14);
  cr_expect(strstr(html, ew) != NULL, "the page lacks the ELBO %s", ew);
  free(html);
  shell_run_free(&r);
}

Test(report, eight_schools_trace_marks_the_doublings_of_the_draws) {
  struct shell_run r;
  char *html = report_of("eight_schools.vim", "eight_schools.csv", "", &r);
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_assert(html);
  expect_self_contained(html);
  cr_expect(count(html, "<line class=\"doubling\"") >= 2, "the fixed draws doubled at least twice");
  cr_expect(strstr(html, "<polyline class=\"line dadvi\"") != NULL);
  cr_expect(strstr(html, "<polyline class=\"line fullrank\"") != NULL, "auto's full-rank refinement");
  cr_expect(strstr(html, "<td>dadvi, fullrank; reported: fullrank</td>") != NULL);
  cr_expect_eq(count(html, "class=\"plot marginal\""), 18, "mu, tau, eta[8], theta[8]");
  cr_expect(strstr(html, "id=\"ppc\"") == NULL, "no replicates, no check");
  free(html);
  shell_run_free(&r);
}

Test(report, text_levels_are_escaped) {
  char dir[] = "/tmp/vi-report-esc-XXXXXX";
  cr_assert(mkdtemp(dir));
  char p[256];
  snprintf(p, sizeof p, "%s/m.vim", dir);
  FILE *f = fopen(p, "w");
  fputs("data { int N; int J; array[N] int<lower=1, upper=J> g; vector[N] y; }\n"
        "parameters { vector[J] a; real<lower=0> s; }\n"
        "model { a ~ normal(0, 5); s ~ exponential(1); y ~ normal(a[g], s); }\n", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/d.csv", dir);
  f = fopen(p, "w");
  fputs("g,y\n\"<b>&x\",1.2\nplain,0.3\n\"<b>&x\",1.5\nplain,-0.2\n", f);
  fclose(f);
  struct shell_run r = run_vi_shell(dir, "m.vim d.csv --quiet --report r.html");
  cr_assert_eq(r.status, 0, "%s", r.err);
  snprintf(p, sizeof p, "%s/r.html", dir);
  char *html = slurp(p);
  cr_assert(html);
  cr_expect(strstr(html, "a[&lt;b&gt;&amp;x]") != NULL, "the label is not escaped");
  cr_expect(strstr(html, "<b>") == NULL, "a level became markup");
  free(html);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_expect_eq(system(cmd), 0);
  shell_run_free(&r);
}

Test(report, an_unwritable_report_is_refused_before_the_fit) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/examples", env_or("VI_SOURCE_ROOT", "."));
  struct shell_run r = run_vi_shell(dir, "eight_schools.vim eight_schools.csv --quiet --report /nonexistent-dir/r.html");
  cr_expect_eq(r.status, 5, "exit %d: %s", r.status, r.err);
  cr_expect(strstr(r.err, "error: --report: cannot write '/nonexistent-dir/r.html'") != NULL, "%s", r.err);
  cr_expect(strstr(r.err, "nothing was fitted") != NULL, "%s", r.err);
  cr_expect(strstr(r.out, "ELBO") == NULL);
  shell_run_free(&r);
}

Test(report, psis_weights_are_uniform_for_a_constant_ratio_and_smooth_the_tail) {
  enum { S = 1000 };
  static double lp[S], lq[S], w[S];
  for (int s = 0; s < S; s++) lp[s] = 3.5, lq[s] = 1.0;
  cr_assert_eq(vi_report_psis_weights(lp, lq, S, w), 0);
  for (int s = 0; s < S; s++) cr_expect_float_eq(w[s], 1.0 / S, 1e-15);
  /* a Pareto tail (k = 0.6) with a wiggle: the weights of R's
   * loo::psis(lw, r_eff = 1) (loo 2.5.1), normalised:
   *   S <- 1000; u <- (seq(0, S - 1) + 0.5) / S
   *   lw <- -0.6 * log(1 - u) + 0.1 * sin(1:S) */
  for (int s = 0; s < S; s++) {
    double u = (s + 0.5) / S;
    lp[s] = -0.6 * log(1 - u) + 0.1 * sin(s + 1.0);
    lq[s] = 0;
  }
  cr_assert_eq(vi_report_psis_weights(lp, lq, S, w), 0);
  const struct { int s; double w; } loo[] = {{999, 0.038686784188339089}, {998, 0.020019979711438367},
                                            {949, 0.0026909866432457269}, {0, 0.00044737023630576076},
                                            {499, 0.0005943395416715642}};
  double sum = 0;
  for (int s = 0; s < S; s++) sum += w[s];
  cr_expect_float_eq(sum, 1.0, 1e-12);
  for (size_t i = 0; i < sizeof loo / sizeof *loo; i++)
    cr_expect(fabs(w[loo[i].s] - loo[i].w) <= 1e-9 * loo[i].w, "w[%d] = %.17g, loo %.17g", loo[i].s + 1, w[loo[i].s],
              loo[i].w);
  /* nothing finite: an error */
  for (int s = 0; s < S; s++) lp[s] = -INFINITY;
  cr_expect_eq(vi_report_psis_weights(lp, lq, S, w), VI_ERR_EVAL);
}
