/* psis.c: Pareto-smoothed importance sampling diagnostics of a fitted
 * approximation (Yao et al. 2018; see include/vi/advi.h). */
#include <math.h>
#include <stdlib.h>

#include "vi/advi.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Zhang & Stephens (2009) estimate of the generalized Pareto shape k for
 * sorted exceedances x[0..n-1] >= 0, with loo's prior adjustment toward 0.5. */
static double gpd_fit_k(const double *x, size_t n, double *theta, double *lth) {
  const double prior = 3;
  size_t m = 30 + (size_t)floor(sqrt((double)n));
  size_t qi = (size_t)floor((double)n / 4 + 0.5);
  double xstar = x[qi > 0 ? qi - 1 : 0];
  if (!(x[n - 1] > 0)) return 0; /* a flat tail: nothing heavy about it */
  if (!(xstar > 0)) xstar = x[n - 1] * 1e-6;
  double lmax = -INFINITY;
  for (size_t j = 0; j < m; j++) {
    theta[j] = 1 / x[n - 1] + (1 - sqrt((double)m / ((double)j + 0.5))) / prior / xstar;
    double a = -theta[j], k = 0;
    for (size_t i = 0; i < n; i++) k += log1p(a * x[i]);
    k /= (double)n;
    double l = (double)n * (log(a / k) - k - 1);
    lth[j] = isnan(l) ? -INFINITY : l;
    lmax = fmax(lmax, lth[j]);
  }
  if (!isfinite(lmax)) return NAN;
  double wsum = 0, th = 0;
  for (size_t j = 0; j < m; j++) {
    double w = exp(lth[j] - lmax);
    wsum += w;
    th += theta[j] * w;
  }
  th /= wsum;
  double k = 0;
  for (size_t i = 0; i < n; i++) k += log1p(-th * x[i]);
  k /= (double)n;
  return (k * (double)n + 10 * 0.5) / ((double)n + 10);
}

double vi_psis_khat(const double *log_p, const double *log_q, size_t S) {
  if (S < 25) return NAN;
  double *lr = malloc(S * sizeof *lr);
  size_t tail = (size_t)ceil(fmin(0.2 * (double)S, 3 * sqrt((double)S)));
  size_t m = 30 + (size_t)floor(sqrt((double)tail));
  double *work = malloc((tail + 2 * m) * sizeof *work);
  if (!lr || !work) {
    free(lr);
    free(work);
    return NAN;
  }
  double mx = -INFINITY;
  for (size_t s = 0; s < S; s++) {
    double v = log_p[s] - log_q[s];
    if (isnan(v)) v = -INFINITY;
    lr[s] = v;
    mx = fmax(mx, v);
  }
  double k;
  if (mx == INFINITY) k = INFINITY;
  else if (mx == -INFINITY) k = NAN;
  else {
    qsort(lr, S, sizeof *lr, cmp_double);
    double cut = exp(lr[S - tail - 1] - mx);
    for (size_t i = 0; i < tail; i++) work[i] = exp(lr[S - tail + i] - mx) - cut;
    k = gpd_fit_k(work, tail, work + tail, work + tail + m);
  }
  free(lr);
  free(work);
  return k;
}

const char *vi_psis_verdict(double khat) {
  if (isnan(khat)) return "unknown";
  if (khat < 0.5) return "good";
  if (khat <= 0.7) return "ok";
  return "unreliable: the approximation is poor";
}

