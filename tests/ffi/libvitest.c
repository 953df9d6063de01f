/* libvitest.c: foreign functions for tests/test_ffi.c, built as a shared
 * library (tests/meson.build). Each follows the conventions of
 * include/vi/ffi.h; a few break them on purpose (no gradient, a wrong
 * signature string, NaN results). */
#include <math.h>

/* hill(x, k, n) = x^n / (k^n + x^n) for x, k > 0 */
double vt_hill(double x, double k, double n);
void vt_hill_grad(double x, double k, double n, double *grad);
const char *vt_hill_signature = "real(real, real, real)";

double vt_hill(double x, double k, double n) {
  double xn = pow(x, n), kn = pow(k, n);
  return xn / (kn + xn);
}

void vt_hill_grad(double x, double k, double n, double *grad) {
  double xn = pow(x, n), kn = pow(k, n), s = kn + xn, h = xn * kn / (s * s);
  grad[0] = h * n / x;                 /* d/dx */
  grad[1] = -h * n / k;                /* d/dk */
  grad[2] = h * (log(x) - log(k));     /* d/dn */
}

/* sumsq(v, s) = s * sum v_i^2 */
double vt_sumsq(const double *v, int len, double s);
void vt_sumsq_grad(const double *v, int len, double s, double *grad);

double vt_sumsq(const double *v, int len, double s) {
  double t = 0;
  for (int i = 0; i < len; i++) t += v[i] * v[i];
  return s * t;
}

void vt_sumsq_grad(const double *v, int len, double s, double *grad) {
  double t = 0;
  for (int i = 0; i < len; i++) {
    grad[i] = 2 * s * v[i];
    t += v[i] * v[i];
  }
  grad[len] = t;
}

/* scale_exp(v, a)_i = exp(a v_i): a vector result */
void vt_scale_exp(const double *v, int len, double a, double *out, int m);
void vt_scale_exp_grad(const double *v, int len, double a, double *out, int m, double *grad);
const char *vt_scale_exp_signature = "vector(vector, real)";

void vt_scale_exp(const double *v, int len, double a, double *out, int m) {
  for (int i = 0; i < m && i < len; i++) out[i] = exp(a * v[i]);
}

void vt_scale_exp_grad(const double *v, int len, double a, double *out, int m, double *grad) {
  int p = len + 1; /* columns: v[0..len-1], a */
  for (int i = 0; i < m; i++) {
    for (int k = 0; k < len; k++) grad[i * p + k] = k == i ? a * out[i] : 0.0;
    grad[i * p + len] = v[i] * out[i];
  }
}

/* powi(x, k) = x^k with an int exponent */
double vt_powi(double x, int k);
void vt_powi_grad(double x, int k, double *grad);

double vt_powi(double x, int k) { return pow(x, k); }
void vt_powi_grad(double x, int k, double *grad) { grad[0] = k * pow(x, k - 1); }

/* wsum(w, v) = sum w_i v_i with int weights */
double vt_wsum(const int *w, int nw, const double *v, int len);
void vt_wsum_grad(const int *w, int nw, const double *v, int len, double *grad);

double vt_wsum(const int *w, int nw, const double *v, int len) {
  double t = 0;
  for (int i = 0; i < len && i < nw; i++) t += w[i] * v[i];
  return t;
}

void vt_wsum_grad(const int *w, int nw, const double *v, int len, double *grad) {
  (void)v;
  for (int i = 0; i < len; i++) grad[i] = i < nw ? w[i] : 0;
}

/* count_pos(v): an int result */
int vt_count_pos(const double *v, int len);
int vt_count_pos(const double *v, int len) {
  int c = 0;
  for (int i = 0; i < len; i++) c += v[i] > 0;
  return c;
}

/* root(x) = sqrt(x), NaN for x < 0 (the failure convention) */
double vt_root(double x);
void vt_root_grad(double x, double *grad);
double vt_root(double x) { return x < 0 ? NAN : sqrt(x); }
void vt_root_grad(double x, double *grad) { grad[0] = 0.5 / sqrt(x); }

/* twice(x) = 2x, no gradient function */
double vt_twice(double x);
double vt_twice(double x) { return 2 * x; }

/* add1(x) = x + 1 and its signature string that disagrees with any
 * one-argument declaration */
double vt_add1(double x);
const char *vt_add1_signature = "real(real, real)";
double vt_add1(double x) { return x + 1; }

/* lin5(a, b, c, d, e) = a + 2b + 3c + 4d + 5e + a b: five real scalars, more
 * than vi calls directly, so it goes through libffi */
double vt_lin5(double a, double b, double c, double d, double e);
void vt_lin5_grad(double a, double b, double c, double d, double e, double *grad);

double vt_lin5(double a, double b, double c, double d, double e) { return a + 2 * b + 3 * c + 4 * d + 5 * e + a * b; }

void vt_lin5_grad(double a, double b, double c, double d, double e, double *grad) {
  (void)c, (void)d, (void)e;
  grad[0] = 1 + b;
  grad[1] = 2 + a;
  grad[2] = 3;
  grad[3] = 4;
  grad[4] = 5;
}
