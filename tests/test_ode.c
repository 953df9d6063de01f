/* test_ode.c: the ODE solvers (stdlib/ode.c) and their checker rules.
 *
 * - posteriordb's four ODE models (tests/models/ode, the model text
 *   unchanged) against Stan 2.21: log density and gradient at 5 points
 *   each, tests/reference/ode/NAME.{points,stan}.csv, made by
 *   tools/ode-stan-reference.R;
 * - gradients of every solver by central finite differences of the log
 *   density, with respect to the initial state, the parameters, the
 *   output times and the initial time;
 * - values of a linear system against its closed form;
 * - errors: the user function's signature, arguments that must be data,
 *   solver failures (max_num_steps, f rejecting), each with line:col. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vi/model.h"
#include "testutil.h"

static void write_temp(char *buf, size_t size, const char *name, const char *text) {
  char dir[] = "/tmp/vi_test_ode_XXXXXX";
  cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
  snprintf(buf, size, "%s/%s", dir, name);
  FILE *f = fopen(buf, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

/* Loads src and binds the JSON data text (NULL: no data). */
static struct vi_model *load(const char *src, const char *json) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("model.vim", src, strlen(src), &m, &d);
  cr_assert_eq(r, 0, "load failed: %s", d.buf ? d.buf : "");
  char path[256];
  write_temp(path, sizeof path, "data.json", json ? json : "{}");
  const char *files[1] = {path};
  struct vi_data_inputs in = {files, 1, NULL, 0, 7};
  r = vi_model_bind(m, &in, &d);
  cr_assert_eq(r, 0, "bind failed: %s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

static void expect_load_error(const char *src, const char *want) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int r = vi_model_load_string("model.vim", src, strlen(src), &m, &d);
  cr_assert_neq(r, 0, "the model loaded");
  cr_assert_null(m);
  cr_assert(d.buf && strstr(d.buf, want), "want\n  %s\ngot\n%s", want, d.buf ? d.buf : "");
  vi_diags_free(&d);
}

/* ---- against Stan 2.21 ---- */

/* Rows of a CSV file with a header line. */
static int read_rows(const char *path, double rows[][16], int maxrows, int *ncols) {
  char *text = slurp(path);
  cr_assert_not_null(text, "cannot read %s", path);
  int nr = csv_rows(text, rows[0], maxrows, 16, ncols);
  free(text);
  return nr;
}

/* Relative difference, scaled by max(|want|, 1). */
static double rel(double got, double want) { return fabs(got - want) / fmax(fabs(want), 1.0); }

static void against_stan(const char *name) {
  const char *root = getenv("VI_SOURCE_ROOT");
  cr_assert_not_null(root, "VI_SOURCE_ROOT must be set (tests/meson.build)");
  char path[1024], data[1024];
  snprintf(path, sizeof path, "%s/tests/models/ode/%s.vim", root, name);
  snprintf(data, sizeof data, "%s/tests/models/ode/%s.json", root, name);
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  cr_assert_eq(vi_model_load(path, &m, &d), 0, "%s", d.buf ? d.buf : "");
  const char *files[1] = {data};
  struct vi_data_inputs in = {files, 1, NULL, 0, 7};
  cr_assert_eq(vi_model_bind(m, &in, &d), 0, "%s", d.buf ? d.buf : "");
  vi_diags_free(&d);
  static double pts[8][16], want[8][16];
  int pc, wc;
  snprintf(path, sizeof path, "%s/tests/reference/ode/%s.points.csv", root, name);
  int np = read_rows(path, pts, 8, &pc);
  snprintf(path, sizeof path, "%s/tests/reference/ode/%s.stan.csv", root, name);
  int nw = read_rows(path, want, 8, &wc);
  size_t dim = vi_model_dim(m);
  cr_assert_eq(np, 5, "%s: %d points", name, np);
  cr_assert_eq(nw, 5, "%s: %d reference rows", name, nw);
  cr_assert_eq((size_t)pc, dim, "%s: points have %d coordinates, the model %zu", name, pc, dim);
  cr_assert_eq((size_t)wc, dim + 1);
  double lp[5], grad[5][16], worst = 0;
  for (int i = 0; i < 5; i++)
    cr_assert_eq(vi_model_log_density(m, pts[i], &lp[i], grad[i]), 0, "%s point %d: %s", name, i + 1,
                 vi_model_error(m));
  for (int i = 0; i < 5; i++) {
    /* lp up to the constants Stan drops under ~: compare differences from point 1 */
    double e = fabs((lp[i] - lp[0]) - (want[i][0] - want[0][0])) / fmax(fabs(want[i][0]), 1.0);
    worst = fmax(worst, e);
    cr_expect(e <= 1e-6, "%s point %d: lp - lp[1] = %.17g, Stan %.17g", name, i + 1, lp[i] - lp[0],
              want[i][0] - want[0][0]);
    for (size_t j = 0; j < dim; j++) {
      e = rel(grad[i][j], want[i][j + 1]);
      worst = fmax(worst, e);
      cr_expect(e <= 1e-6, "%s point %d: grad[%zu] %.17g, Stan %.17g", name, i + 1, j + 1, grad[i][j],
                want[i][j + 1]);
    }
  }
  cr_log_info("%s: worst relative difference from Stan 2.21 over 5 points: %.2e", name, worst);
  vi_model_free(m);
}

Test(ode, lotka_volterra_matches_stan) { against_stan("lotka_volterra"); }
Test(ode, one_compartment_pk_matches_stan) { against_stan("one_comp_mm_elim_abs"); }
Test(ode, sir_matches_stan) { against_stan("sir"); }
Test(ode, soil_carbon_matches_stan) { against_stan("soil_incubation"); }

/* ---- finite differences ---- */

/* Central differences of the log density against its gradient at theta. */
static void fd_check(struct vi_model *m, const double *theta0, double h, double tol) {
  size_t dim = vi_model_dim(m);
  double theta[16], g[16], g2[16], lp, lp1, lp2;
  cr_assert(dim <= 16);
  memcpy(theta, theta0, dim * sizeof *theta);
  cr_assert_eq(vi_model_log_density(m, theta, &lp, g), 0, "%s", vi_model_error(m));
  cr_assert(isfinite(lp));
  for (size_t j = 0; j < dim; j++) {
    theta[j] = theta0[j] + h;
    cr_assert_eq(vi_model_log_density(m, theta, &lp1, g2), 0, "%s", vi_model_error(m));
    theta[j] = theta0[j] - h;
    cr_assert_eq(vi_model_log_density(m, theta, &lp2, g2), 0, "%s", vi_model_error(m));
    theta[j] = theta0[j];
    double fd = (lp1 - lp2) / (2 * h);
    cr_expect(fabs(fd - g[j]) <= tol * fmax(fabs(fd), 1.0), "coordinate %zu: gradient %.12g, finite difference %.12g",
              j + 1, g[j], fd);
  }
}

/* A damped oscillator with a forcing term read from a trailing argument:
 * every solver, parameters in y0, in the trailing arguments and in the
 * output times (and t0 for integrate_ode_*, whose t0 Stan allows to vary). */
static const char *OSC =
    "functions {\n"
    "  vector osc(real t, vector y, real k, array[] real c, data real w) {\n"
    "    vector[2] dy;\n"
    "    dy[1] = y[2];\n"
    "    dy[2] = -k * y[1] - c[1] * y[2] + c[2] * sin(w * t);\n"
    "    return dy;\n"
    "  }\n"
    "  array[] real osc_old(real t, array[] real y, array[] real th, array[] real xr, array[] int xi) {\n"
    "    return {y[2], -th[1] * y[1] - th[2] * y[2] + xr[1] * xi[1] * cos(t)};\n"
    "  }\n"
    "}\n"
    "data { real w; }\n"
    "parameters { real<lower=0> k; vector[2] y0; array[2] real<lower=0> c; real<lower=0, upper=1> dt; }\n"
    "transformed parameters {\n"
    "  array[3] real ts = {0.5, 1.0 + dt, 2.5};\n"
    "  array[3] vector[2] a = ode_%s_tol(osc, y0, 0.0, ts, 1e-12, 1e-12, 100000, k, c, w);\n"
    "  array[3] vector[2] b = ode_%s(osc, y0, 0.2 * dt, ts, k, c, w);\n"
    "  array[3, 2] real e = integrate_ode_%s(osc_old, to_array_1d(y0), dt - 1, ts, {k, c[1]}, {w}, {2}, 1e-12, 1e-12, 1e5);\n"
    "}\n"
    "model {\n"
    "  k ~ lognormal(0, 1); y0 ~ normal(0, 1); c ~ lognormal(0, 1);\n"
    "  for (i in 1:3) { a[i] ~ normal(0.3 * i, 1); b[i] ~ normal(-0.2, 2); to_vector(e[i]) ~ normal(0.1, 1.5); }\n"
    "}\n";

static void fd_solver(const char *method) {
  char src[4096];
  snprintf(src, sizeof src, OSC, method, method, strcmp(method, "ckrk") ? method : "rk45");
  struct vi_model *m = load(src, "{\"w\": 1.3}");
  cr_assert_eq(vi_model_dim(m), 6);
  const double theta[6] = {0.3, 0.8, -0.4, -0.5, 0.2, 0.1};
  /* ode_X (default tolerances, 1e-6 for rk45) limits the finite differences' accuracy */
  fd_check(m, theta, 1e-4, strcmp(method, "bdf") && strcmp(method, "adams") ? 2e-3 : 1e-5);
  vi_model_free(m);
}

Test(ode, rk45_gradients_match_finite_differences) { fd_solver("rk45"); }
Test(ode, bdf_gradients_match_finite_differences) { fd_solver("bdf"); }
Test(ode, adams_gradients_match_finite_differences) { fd_solver("adams"); }
Test(ode, ckrk_gradients_match_finite_differences) { fd_solver("ckrk"); }

/* The tight-tolerance solvers alone: 1e-6 agreement with finite differences. */
Test(ode, tight_tolerance_gradients_are_accurate) {
  static const char *src =
      "functions {\n"
      "  vector f(real t, vector y, vector p) { return [p[1] * y[2] - y[1] * y[1], -p[2] * y[1] * y[2]]'; }\n"
      "}\n"
      "parameters { vector<lower=0>[2] p; vector<lower=0>[2] y0; real<lower=1, upper=2> t1; }\n"
      "transformed parameters {\n"
      "  array[2] vector[2] r = ode_rk45_tol(f, y0, 0, {0.5, t1}, 1e-12, 1e-12, 100000, p);\n"
      "  array[2] vector[2] s = ode_bdf_tol(f, y0, 0, {0.5, t1}, 1e-12, 1e-12, 100000, p);\n"
      "  array[2] vector[2] u = ode_adams_tol(f, y0, 0, {0.5, t1}, 1e-12, 1e-12, 100000, p);\n"
      "}\n"
      "model { for (i in 1:2) { r[i] ~ normal(1, 1); s[i] ~ normal(0.5, 1); u[i] ~ normal(0, 2); } }\n";
  struct vi_model *m = load(src, NULL);
  const double theta[5] = {0.1, -0.3, 0.2, 0.4, 0.3};
  fd_check(m, theta, 1e-5, 1e-6);
  vi_model_free(m);
}

/* y' = A y with A = [[-1, 2], [0, -3]]: y(t) in closed form, every solver. */
Test(ode, linear_system_matches_closed_form) {
  static const char *src =
      "functions { vector f(real t, vector y) { return [-y[1] + 2 * y[2], -3 * y[2]]'; } }\n"
      "data { array[3] real ts; }\n"
      "parameters { real x; }\n"
      "model { x ~ normal(0, 1); }\n"
      "generated quantities {\n"
      "  array[3] vector[2] a = ode_rk45_tol(f, [1, 1]', 0, ts, 1e-10, 1e-10, 100000);\n"
      "  array[3] vector[2] b = ode_bdf(f, [1, 1]', 0, ts);\n"
      "  array[3] vector[2] c = ode_adams(f, [1, 1]', 0, ts);\n"
      "  array[3] vector[2] d = ode_ckrk_tol(f, [1, 1]', 0, ts, 1e-10, 1e-10, 100000);\n"
      "}\n";
  struct vi_model *m = load(src, "{\"ts\": [0.1, 1, 4]}");
  double theta[1] = {0}, out[64];
  cr_assert_eq(vi_model_write(m, theta, out, NULL), 0, "%s", vi_model_error(m));
  const double ts[3] = {0.1, 1, 4};
  /* y2 = e^{-3t}; y1 = 2 e^{-t} - e^{-3t} */
  for (int s = 0; s < 4; s++)
    for (int i = 0; i < 3; i++) {
      double y1 = 2 * exp(-ts[i]) - exp(-3 * ts[i]), y2 = exp(-3 * ts[i]);
      const double *v = out + 1 + s * 6 + i; /* column-major, as Stan's CSV: a[1][1], a[2][1], ... */
      cr_expect(fabs(v[0] - y1) <= 1e-8 && fabs(v[3] - y2) <= 1e-8, "solver %d time %g: (%.15g, %.15g), want (%.15g, %.15g)",
                s, ts[i], v[0], v[3], y1, y2);
    }
  vi_model_free(m);
}

/* ---- errors ---- */

static const char *ODE_HEAD =
    "functions {\n"
    "  vector f(real t, vector y, real k) { return -k * y; }\n"
    "  array[] real g(real t, array[] real y, array[] real th, array[] real xr, array[] int xi) { return y; }\n"
    "}\n";

static void expect_model_error(const char *body, const char *want) {
  char src[4096];
  snprintf(src, sizeof src, "%s%s", ODE_HEAD, body);
  expect_load_error(src, want);
}

Test(ode, wrong_user_function_signature_is_reported) {
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1] vector[1] y = ode_rk45(g, [1]', 0, {1.0}, k); }\n",
                     "model.vim:6:58: error: 'g' must have the signature (real t, vector y, ...) => vector");
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1, 1] real y = integrate_ode_bdf(f, {1.0}, 0, {1.0}, {k}, {0.0}, {0}); }\n",
                     "model.vim:6:65: error: 'f' must have the signature (real t, array[] real y, array[] real theta");
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1] vector[1] y = ode_bdf(f, [1]', 0, {1.0}, k, k); }\n",
                     "model.vim:6:57: error: 'f' must have the signature (real t, vector y, ...) => vector, its trailing "
                     "arguments those passed after the output times of 'ode_bdf' (2 here)");
}

Test(ode, wrong_argument_types_are_reported) {
  expect_model_error("parameters { vector[2] k; }\n"
                     "transformed parameters { array[1] vector[1] y = ode_rk45(f, [1]', 0, {1.0}, k); }\n",
                     "model.vim:6:77: error: argument 5 of 'ode_rk45' is vector, but parameter 'k' of 'f' is real");
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1] vector[1] y = ode_rk45(f, {1.0}, 0, {1.0}, k); }\n",
                     "model.vim:6:61: error: argument 2 of 'ode_rk45' (the initial state) must be vector, not array[] real");
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1] vector[1] y = ode_rk45(h, [1]', 0, {1.0}, k); }\n",
                     "model.vim:6:58: error: 'h' (first argument of 'ode_rk45') is not a user-defined function");
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1] vector[1] y = ode_rk45_tol(f, [1]', 0, {1.0}, k, 1e-6, 100, k); }\n",
                     "model.vim:6:81: error: argument 5 of 'ode_rk45_tol' (the relative tolerance) must be data");
  expect_model_error("parameters { real k; }\n"
                     "transformed parameters { array[1, 1] real y = integrate_ode_rk45(g, {1.0}, 0, {1.0}, {k}, {k}, {0}); }\n",
                     "model.vim:6:91: error: argument 6 of 'integrate_ode_rk45' (x_r) must be data");
}

/* The log density at theta must fail with a message containing want. */
static void expect_eval_error(const char *src, const char *json, const double *theta, const char *want) {
  struct vi_model *m = load(src, json);
  double lp, g[8];
  cr_assert_neq(vi_model_log_density(m, theta, &lp, g), 0, "the log density evaluated: %g", lp);
  cr_assert(strstr(vi_model_error(m), want), "want\n  %s\ngot\n%s", want, vi_model_error(m));
  vi_model_free(m);
}

Test(ode, max_num_steps_rejects_the_draw_with_the_line) {
  static const char *stiff =
      "functions { vector f(real t, vector y, real k) { return [-k * (y[1] - cos(t))]'; } }\n"
      "parameters { real<lower=0> k; }\n"
      "transformed parameters { array[1] vector[1] y = ode_%s_tol(f, [0]', 0, {10.0}, 1e-8, 1e-8, 50, k); }\n"
      "model { k ~ lognormal(0, 1); }\n";
  char src[1024];
  double theta[1] = {6.0}; /* k = e^6: stiff, and 10 time units: rk45 needs thousands of steps */
  snprintf(src, sizeof src, stiff, "rk45");
  expect_eval_error(src, NULL, theta,
                    "model.vim:3:49: error: ode_rk45_tol: failed to integrate to the next output time (10) in less "
                    "than max_num_steps (50) steps");
  snprintf(src, sizeof src, stiff, "adams");
  expect_eval_error(src, NULL, theta,
                    "model.vim:3:49: error: ode_adams_tol: failed to integrate to the next output time (10) in less "
                    "than max_num_steps (50) steps");
}

Test(ode, a_rejection_in_the_user_function_is_reported) {
  static const char *src =
      "functions { vector f(real t, vector y, real k) { if (t > 0.5) reject(\"t is \", t); return -k * y; } }\n"
      "parameters { real<lower=0> k; }\n"
      "transformed parameters { array[1] vector[1] y = ode_bdf(f, [1]', 0, {1.0}, k); }\n"
      "model { k ~ lognormal(0, 1); }\n";
  double theta[1] = {0};
  expect_eval_error(src, NULL, theta, "model.vim:1:63: error: reject: t is 0.5");
}

Test(ode, bad_times_and_states_are_reported) {
  static const char *src =
      "functions { vector f(real t, vector y, real k) { return -k * y; } }\n"
      "data { array[2] real ts; real t0; }\n"
      "parameters { real<lower=0> k; }\n"
      "transformed parameters { array[2] vector[1] y = ode_rk45(f, [1]', t0, ts, k); }\n"
      "model { k ~ lognormal(0, 1); }\n";
  double theta[1] = {0};
  expect_eval_error(src, "{\"ts\": [2, 1], \"t0\": 0}", theta,
                    "model.vim:4:49: error: ode_rk45: the output times must be sorted (times[1] = 2, times[2] = 1)");
  expect_eval_error(src, "{\"ts\": [1, 2], \"t0\": 1.5}", theta,
                    "model.vim:4:49: error: ode_rk45: the initial time is 1.5, but must be less than or equal to the "
                    "first output time 1");
}

/* ---- statement forms of posteriordb's models ---- */

/* a[i][j] = ..., v[i][j], m[i][j], am[k][i][j], am[k][i, j], am[k][i] =
 * row: chained indices on the left of an assignment write the element. */
Test(ode, chained_index_assignment_writes_the_element) {
  static const char *src =
      "parameters { real mu; }\n"
      "transformed parameters {\n"
      "  array[2, 3] real a;\n"
      "  array[2] vector[3] v;\n"
      "  matrix[2, 2] m;\n"
      "  array[2] matrix[2, 2] am;\n"
      "  for (i in 1:2) for (j in 1:3) { a[i][j] = mu * i + j; v[i][j] = mu + i * j; }\n"
      "  m[1][2] = mu; m[1][1] = 1; m[2][1] = 2; m[2][2] = 3 * mu;\n"
      "  for (k in 1:2) { am[k][1][1] = mu; am[k][1, 2] = k; am[k][2] = [1, mu]; }\n"
      "}\n"
      "model { mu ~ normal(0, 1); target += sum(to_array_1d(a)) + sum(v[1]) + sum(v[2]) + sum(m) + sum(am[1]) + sum(am[2]); }\n"
      "generated quantities { real a23 = a[2][3]; real v23 = v[2][3]; real m12 = m[1, 2]; real am222 = am[2][2, 2]; }\n";
  struct vi_model *m = load(src, NULL);
  double theta[1] = {0.5}, lp, g[1], out[64];
  cr_assert_eq(vi_model_log_density(m, theta, &lp, g), 0, "%s", vi_model_error(m));
  /* the sums: 9 mu + 12, 6 mu + 18, 4 mu + 3, 2 mu + 2, 2 mu + 3: 23 mu + 38; prior -mu^2/2 */
  cr_expect(fabs(lp - (23 * 0.5 + 38 - 0.125)) < 1e-12, "lp %.17g", lp);
  cr_expect(fabs(g[0] - (23 - 0.5)) < 1e-12, "gradient %.17g", g[0]);
  cr_assert_eq(vi_model_write(m, theta, out, NULL), 0, "%s", vi_model_error(m));
  size_t n = 1 + 6 + 6 + 4 + 8; /* mu, a, v, m, am */
  cr_expect(out[n] == 0.5 * 2 + 3 && out[n + 1] == 0.5 + 6 && out[n + 2] == 0.5 && out[n + 3] == 0.5,
            "a[2][3] %g, v[2][3] %g, m[1, 2] %g, am[2][2, 2] %g", out[n], out[n + 1], out[n + 2], out[n + 3]);
  vi_model_free(m);
}
