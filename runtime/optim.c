/* optim.c: L-BFGS with a strong-Wolfe line search, Stan's adaptive
 * stochastic step, Adam, and Stan's relative-ELBO stopping rule (see
 * include/vi/optim.h). */
#include "vi/optim.h"

#include <math.h>
#include <string.h>

enum { LBFGS_MEM = 8 };

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

double vi_optim_gmax(const double *g, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs(g[i]));
  return m;
}

/* Minimiser of the cubic interpolating (a, fa, da), (b, fb, db), kept inside
 * [lo + 0.1 w, hi - 0.1 w] of the bracket; bisection when unusable. */
static double cubic_step(double a, double fa, double da, double b, double fb, double db) {
  double lo = fmin(a, b), hi = fmax(a, b), w = hi - lo, t = 0.5 * (a + b);
  if (isfinite(fb) && isfinite(db)) {
    double d1 = da + db - 3 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    if (disc >= 0) {
      double d2 = (b > a ? 1 : -1) * sqrt(disc);
      double den = db - da + 2 * d2;
      if (den != 0) t = b - (b - a) * (db + d2 - d1) / den;
    }
  }
  if (!isfinite(t) || t < lo + 0.1 * w || t > hi - 0.1 * w) t = 0.5 * (a + b);
  return t;
}

/* Line search along dir from x (f0, g0) for the strong Wolfe conditions
 * (c1 = 1e-4, c2 = 0.9), treating non-finite F as too far. On success
 * (returns 0) xn, fn, gn hold the accepted point; a point with sufficient
 * decrease is accepted when the bracket cannot be refined further. */
static int line_search(const struct vi_lbfgs_problem *p, const double *x, double f0,
                       const double *g0, const double *dir, double a1, double *xn, double *fn,
                       double *gn, double *gtmp, double *xtmp) {
  const double c1 = 1e-4, c2 = 0.9;
  size_t n = p->n;
  double d0 = dot(g0, dir, n);
  if (!(d0 < 0)) return -1;
  double a_prev = 0, f_prev = f0, d_prev = d0, a = a1;
  double lo = 0, f_lo = f0, d_lo = d0, hi = 0, f_hi = 0, d_hi = 0;
  int have_best = 0, bracket = 0;
  for (int it = 0; it < 40 && !bracket; it++) {
    for (size_t i = 0; i < n; i++) xtmp[i] = x[i] + a * dir[i];
    double fa, da = NAN;
    int bad = p->eval(p->ctx, xtmp, &fa, gtmp) != 0;
    if (!bad) da = dot(gtmp, dir, n);
    if (bad || fa > f0 + c1 * a * d0 || (it > 0 && fa >= f_prev)) {
      lo = a_prev, f_lo = f_prev, d_lo = d_prev;
      hi = a, f_hi = bad ? INFINITY : fa, d_hi = da;
      bracket = 1;
      break;
    }
    memcpy(xn, xtmp, n * sizeof *xn);
    memcpy(gn, gtmp, n * sizeof *gn);
    *fn = fa;
    have_best = 1;
    if (fabs(da) <= -c2 * d0) return 0;
    if (da >= 0) {
      lo = a, f_lo = fa, d_lo = da;
      hi = a_prev, f_hi = f_prev, d_hi = d_prev;
      bracket = 1;
      break;
    }
    a_prev = a, f_prev = fa, d_prev = da;
    a *= 4;
  }
  if (!bracket) return have_best ? 0 : -1;
  /* zoom: lo always satisfies sufficient decrease (or is 0) */
  for (int it = 0; it < 40; it++) {
    double a2 = cubic_step(lo, f_lo, d_lo, hi, f_hi, d_hi);
    if (fabs(hi - lo) <= 1e-14 * fmax(1, fabs(lo))) break;
    for (size_t i = 0; i < n; i++) xtmp[i] = x[i] + a2 * dir[i];
    double fa, da = NAN;
    int bad = p->eval(p->ctx, xtmp, &fa, gtmp) != 0;
    if (!bad) da = dot(gtmp, dir, n);
    if (bad || fa > f0 + c1 * a2 * d0 || fa >= f_lo) {
      hi = a2, f_hi = bad ? INFINITY : fa, d_hi = da;
      continue;
    }
    memcpy(xn, xtmp, n * sizeof *xn);
    memcpy(gn, gtmp, n * sizeof *gn);
    *fn = fa;
    have_best = 1;
    if (fabs(da) <= -c2 * d0) return 0;
    if (da * (hi - lo) >= 0) hi = lo, f_hi = f_lo, d_hi = d_lo;
    lo = a2, f_lo = fa, d_lo = da;
  }
  /* xn holds the best sufficient-decrease point seen, if any */
  return have_best && lo > 0 ? 0 : -1;
}

enum vi_lbfgs_end vi_lbfgs_minimize(const struct vi_lbfgs_problem *p, double *x, double *fx,
                                    double *gx, double tol, int max_it, int *iterations,
                                    struct vi_arena *work) {
  size_t n = p->n;
  struct vi_arena_mark mark = vi_arena_save(work);
  double *s = vi_arena_array(work, LBFGS_MEM * n, sizeof *s);
  double *y = vi_arena_array(work, LBFGS_MEM * n, sizeof *y);
  double *dir = vi_arena_array(work, n, sizeof *dir);
  double *xn = vi_arena_array(work, n, sizeof *xn);
  double *gn = vi_arena_array(work, n, sizeof *gn);
  double *gt = vi_arena_array(work, n, sizeof *gt);
  double *xt = vi_arena_array(work, n, sizeof *xt);
  double rho[LBFGS_MEM], alpha[LBFGS_MEM];
  enum vi_lbfgs_end end = VI_LBFGS_MAXIT;
  if (!s || !y || !dir || !xn || !gn || !gt || !xt) {
    vi_arena_restore(work, mark);
    return VI_LBFGS_STALLED;
  }
  int mem = 0, head = 0, flat = 0;
  for (int it = 0; it < max_it; it++) {
    if (vi_optim_gmax(gx, n) < tol) {
      end = VI_LBFGS_OK;
      break;
    }
    if (p->cancelled && p->cancelled(p->hook_ctx)) {
      end = VI_LBFGS_CANCEL;
      break;
    }
    /* two-loop recursion: dir = -H g */
    for (size_t i = 0; i < n; i++) dir[i] = -gx[i];
    for (int k = 0; k < mem; k++) {
      int j = (head - 1 - k + LBFGS_MEM) % LBFGS_MEM;
      alpha[j] = rho[j] * dot(s + (size_t)j * n, dir, n);
      for (size_t i = 0; i < n; i++) dir[i] -= alpha[j] * y[(size_t)j * n + i];
    }
    double a1 = 1;
    if (mem > 0) {
      int j = (head - 1 + LBFGS_MEM) % LBFGS_MEM;
      double gam = dot(s + (size_t)j * n, y + (size_t)j * n, n) /
                   dot(y + (size_t)j * n, y + (size_t)j * n, n);
      for (size_t i = 0; i < n; i++) dir[i] *= gam;
    } else {
      a1 = fmin(1, 1 / vi_optim_gmax(gx, n));
    }
    for (int k = mem - 1; k >= 0; k--) {
      int j = (head - 1 - k + LBFGS_MEM) % LBFGS_MEM;
      double b = rho[j] * dot(y + (size_t)j * n, dir, n);
      for (size_t i = 0; i < n; i++) dir[i] += (alpha[j] - b) * s[(size_t)j * n + i];
    }
    double fn;
    int rc = line_search(p, x, *fx, gx, dir, a1, xn, &fn, gn, gt, xt);
    if (rc != 0 && mem > 0) { /* retry along steepest descent with fresh memory */
      mem = 0;
      for (size_t i = 0; i < n; i++) dir[i] = -gx[i];
      rc = line_search(p, x, *fx, gx, dir, fmin(1, 1 / vi_optim_gmax(gx, n)), xn, &fn, gn, gt,
                       xt);
    }
    if (rc != 0) {
      end = VI_LBFGS_STALLED;
      break;
    }
    ++*iterations;
    double *sj = s + (size_t)head * n, *yj = y + (size_t)head * n;
    for (size_t i = 0; i < n; i++) {
      sj[i] = xn[i] - x[i];
      yj[i] = gn[i] - gx[i];
    }
    double sy = dot(sj, yj, n);
    if (sy > 1e-12 * dot(yj, yj, n)) {
      rho[head] = 1 / sy;
      head = (head + 1) % LBFGS_MEM;
      if (mem < LBFGS_MEM) mem++;
    }
    double rel = fabs((*fx - fn) / fn);
    flat = (*fx - fn <= 1e-14 * fmax(1, fabs(fn))) ? flat + 1 : 0;
    memcpy(x, xn, n * sizeof *x);
    memcpy(gx, gn, n * sizeof *gx);
    *fx = fn;
    if (p->on_iter) p->on_iter(p->hook_ctx, *iterations, fn, rel);
    if (flat >= 3) {
      end = VI_LBFGS_STALLED;
      break;
    }
  }
  if (end == VI_LBFGS_MAXIT && vi_optim_gmax(gx, n) < tol) end = VI_LBFGS_OK;
  vi_arena_restore(work, mark);
  return end;
}

void vi_sgd_step(size_t n, double *x, const double *g, double *s, int first, double eta_k) {
  for (size_t k = 0; k < n; k++) {
    s[k] = first ? s[k] + g[k] * g[k] : 0.9 * s[k] + 0.1 * g[k] * g[k];
    x[k] += eta_k * g[k] / (1.0 + sqrt(s[k]));
  }
}

void vi_adam_init(struct vi_adam *a) {
  if (!(a->lr > 0)) a->lr = 0.001;
  if (!(a->beta1 > 0)) a->beta1 = 0.9;
  if (!(a->beta2 > 0)) a->beta2 = 0.999;
  if (!(a->eps > 0)) a->eps = 1e-8;
  a->t = 0;
  memset(a->m, 0, a->n * sizeof *a->m);
  memset(a->v, 0, a->n * sizeof *a->v);
}

void vi_adam_step(struct vi_adam *a, double *x, const double *g) {
  a->t++;
  double c1 = 1 - pow(a->beta1, (double)a->t), c2 = 1 - pow(a->beta2, (double)a->t);
  for (size_t k = 0; k < a->n; k++) {
    a->m[k] = a->beta1 * a->m[k] + (1 - a->beta1) * g[k];
    a->v[k] = a->beta2 * a->v[k] + (1 - a->beta2) * g[k] * g[k];
    x[k] += a->lr * (a->m[k] / c1) / (sqrt(a->v[k] / c2) + a->eps);
  }
}

/* Stan's circ_buff_median: the element of rank n/2 (upper median). */
static double median_upper(const double *v, int n, double *tmp) {
  memcpy(tmp, v, (size_t)n * sizeof *tmp);
  for (int i = 1; i < n; i++) {
    double x = tmp[i];
    int j = i;
    while (j > 0 && tmp[j - 1] > x) {
      tmp[j] = tmp[j - 1];
      j--;
    }
    tmp[j] = x;
  }
  return tmp[n / 2];
}

int vi_relstop_push(struct vi_relstop *r, double rel, double tol) {
  if (r->n < r->size) r->buf[r->n++] = rel;
  else {
    r->buf[r->head] = rel;
    r->head = (r->head + 1) % r->size;
  }
  double mean = 0;
  for (int k = 0; k < r->n; k++) mean += r->buf[k];
  mean /= r->n;
  if (mean < tol) return 1;
  return median_upper(r->buf, r->n, r->tmp) < tol ? 2 : 0;
}
