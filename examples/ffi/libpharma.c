/* libpharma.c: a one-compartment pharmacokinetic model with first-order
 * absorption, for pk.vim, and a Hill (sigmoid Emax) function for
 * concentration-effect models. Build it next to the model:
 *   cc -O2 -shared -fPIC -o libpharma.so libpharma.c -lm
 *
 * After an oral dose D at time 0, the concentration at time t is
 *   c(t) = D ka / (V (ka - ke)) * (exp(-ke t) - exp(-ka t))
 * with absorption rate ka, elimination rate ke and volume V (ka != ke;
 * ka == ke gives NaN, which vi treats as a rejected draw).
 *
 * vi's calling conventions (docs/ffi.md): a vector argument arrives as a
 * pointer and a length, a vector result is written through (out, m), where m
 * is the length of the first vector argument, and the gradient function takes
 * the value function's arguments (out then holds the values just computed)
 * followed by grad, an m x P row-major matrix: row i holds d c_i / d (every
 * real argument element), in argument order: t[0..n-1], dose, ka, ke, V. */
#include <math.h>

void one_cpt(const double *t, int n, double dose, double ka, double ke, double v, double *out, int m);
void one_cpt_grad(const double *t, int n, double dose, double ka, double ke, double v, double *out, int m,
                  double *grad);
/* Optional: vi compares this with the model's declaration. */
const char *one_cpt_signature = "vector(vector, real, real, real, real)";

void one_cpt(const double *t, int n, double dose, double ka, double ke, double v, double *out, int m) {
  double a = dose * ka / (v * (ka - ke));
  for (int i = 0; i < m && i < n; i++) out[i] = a * (exp(-ke * t[i]) - exp(-ka * t[i]));
}

void one_cpt_grad(const double *t, int n, double dose, double ka, double ke, double v, double *out, int m,
                  double *grad) {
  int p = n + 4; /* columns: t[0..n-1], dose, ka, ke, v */
  double d = ka - ke;
  double a = dose * ka / (v * d);
  double da_dka = -dose * ke / (v * d * d), da_dke = dose * ka / (v * d * d);
  for (int i = 0; i < m; i++) {
    double e = exp(-ke * t[i]), b = exp(-ka * t[i]);
    double *g = grad + (long)i * p;
    for (int k = 0; k < n; k++) g[k] = 0;
    g[i] = a * (ka * b - ke * e);                  /* d c_i / d t_i */
    g[n] = out[i] / dose;                           /* d / d dose */
    g[n + 1] = da_dka * (e - b) + a * t[i] * b;     /* d / d ka */
    g[n + 2] = da_dke * (e - b) - a * t[i] * e;     /* d / d ke */
    g[n + 3] = -out[i] / v;                         /* d / d V */
  }
}

/* hill(c, ec50, n) = c^n / (ec50^n + c^n): the fraction of the maximal effect
 * at concentration c > 0, with half-maximal concentration ec50 > 0 and Hill
 * coefficient n. Declared in a model as
 *   real hill(real c, real ec50, real n) = extern("libpharma.so", "hill", grad = "hill_grad");
 * With h = hill(c, ec50, n), s = h (1 - h):
 *   d h / d c = n s / c,  d h / d ec50 = -n s / ec50,  d h / d n = s log(c / ec50). */
double hill(double c, double ec50, double n);
void hill_grad(double c, double ec50, double n, double *grad);
const char *hill_signature = "real(real, real, real)";

double hill(double c, double ec50, double n) {
  if (!(c > 0) || !(ec50 > 0)) return c == 0 && ec50 > 0 ? 0.0 : NAN;
  return 1 / (1 + pow(ec50 / c, n)); /* no overflow of c^n for large n */
}

void hill_grad(double c, double ec50, double n, double *grad) {
  double h = hill(c, ec50, n), s = h * (1 - h);
  grad[0] = c > 0 ? n * s / c : 0;
  grad[1] = -n * s / ec50;
  grad[2] = c > 0 ? s * log(c / ec50) : 0;
}
