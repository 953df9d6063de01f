/* report.c: the HTML report of a fit (include/vi/report.h). Plots are drawn
 * here as inline SVG: histograms as one path each, scatter plots as circles. */
#include "vi/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "vi/ast.h"
#include "vi/writer.h"

enum { NBINS = 30, MAX_MARGINALS = 500, MAX_PAIR_COLS = 200, NPAIRS = 6, PAIR_POINTS = 600,
       PPC_REPLICATES = 20 };

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Text with &, <, >, " and ' escaped. */
static void esc(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fputc(*s, f);
    }
  }
}

/* ---- Pareto-smoothed weights ---- */

/* the normalised Pareto-smoothed weights of runtime/psis.c */
int vi_report_psis_weights(const double *log_p, const double *log_q, size_t S, double *w) {
  if (vi_psis_smooth(log_p, log_q, S, w) != VI_OK) return VI_ERR_NOMEM;
  double mx = -INFINITY, sum = 0;
  for (size_t s = 0; s < S; s++) mx = fmax(mx, isnan(w[s]) ? -INFINITY : w[s]);
  if (!isfinite(mx)) return VI_ERR_EVAL;
  for (size_t s = 0; s < S; s++) sum += w[s] = isnan(w[s]) ? 0 : exp(w[s] - mx);
  for (size_t s = 0; s < S; s++) w[s] /= sum;
  return VI_OK;
}

/* ---- data lookup ---- */

int vi_report_model_data(void *ctx, const char *name, const double **x, size_t *n) {
  const struct vi_model *m = ctx;
  for (int i = 0; m && i < m->ntables; i++) {
    long c = vi_table_find(m->tables[i], name);
    if (c < 0) continue;
    struct vi_column col;
    vi_table_column(m->tables[i], (size_t)c, &col);
    if (col.n_text) continue;
    *x = col.num;
    *n = col.n;
    return 0;
  }
  for (int i = 0; m && i < m->njsons; i++) {
    struct vi_jvar v;
    if (vi_json_find(m->jsons[i], name, &v) == 0 && v.ndims == 1) {
      *x = v.x;
      *n = v.n;
      return 0;
    }
  }
  return -1;
}

/* ---- plotting helpers ---- */

struct axis {
  double lo, hi;  /* data range */
  double p0, p1;  /* pixel range */
};

static double ax_map(const struct axis *a, double v) {
  double t = a->hi > a->lo ? (v - a->lo) / (a->hi - a->lo) : 0.5;
  return a->p0 + t * (a->p1 - a->p0);
}

/* A tick step near (hi - lo) / n: 1, 2 or 5 times a power of ten. */
static double nice_step(double lo, double hi, int n) {
  double r = (hi - lo) / n;
  if (!(r > 0) || !isfinite(r)) return 1;
  double p = pow(10, floor(log10(r))), f = r / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* Ticks and labels along a horizontal (vertical = 0) or vertical axis. */
static void ticks(FILE *f, const struct axis *a, double at, int vertical, int n) {
  double st = nice_step(a->lo, a->hi, n);
  if (!(a->hi > a->lo)) return;
  for (double v = ceil(a->lo / st) * st; v <= a->hi + 1e-9 * st; v += st) {
    double p = ax_map(a, v), shown = fabs(v) < 1e-12 * st ? 0 : v;
    if (!vertical)
      fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text class=\"tl\" "
                 "x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g</text>",
              p, at, p, at + 4, p, at + 14, shown);
    else
      fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text class=\"tl\" "
                 "x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>",
              at - 4, p, at, p, at - 6, p + 3, shown);
  }
}

/* Histogram counts (weighted when w is not NULL) of column col of the S x P
 * draws over [lo, hi) in nb bins, normalised to a density. */
static void histogram(const double *x, size_t stride, size_t S, const double *w, double lo, double hi, int nb,
                      double *h) {
  double tot = 0, bw = (hi - lo) / nb;
  for (int b = 0; b < nb; b++) h[b] = 0;
  for (size_t s = 0; s < S; s++) {
    double v = x[s * stride];
    if (!isfinite(v)) continue;
    double wt = w ? w[s] : 1;
    tot += wt;
    if (v < lo || v > hi) continue;
    int b = bw > 0 ? (int)((v - lo) / bw) : 0;
    if (b >= nb) b = nb - 1;
    if (b < 0) b = 0;
    h[b] += wt;
  }
  for (int b = 0; b < nb; b++) h[b] = tot > 0 && bw > 0 ? h[b] / (tot * bw) : 0;
}

/* A histogram as one closed path (fill) or a step line (outline). */
static void hist_path(FILE *f, const double *h, int nb, const struct axis *X, const struct axis *Y, const char *cls,
                      int closed) {
  double bw = (X->hi - X->lo) / nb;
  fprintf(f, "<path class=\"%s\" d=\"M%.1f,%.1f", cls, ax_map(X, X->lo), ax_map(Y, 0));
  for (int b = 0; b < nb; b++) {
    double y = ax_map(Y, fmin(h[b], Y->hi));
    fprintf(f, "L%.1f,%.1fL%.1f,%.1f", ax_map(X, X->lo + b * bw), y, ax_map(X, X->lo + (b + 1) * bw), y);
  }
  fprintf(f, "L%.1f,%.1f%s\"/>", ax_map(X, X->hi), ax_map(Y, 0), closed ? "Z" : "");
}

/* ---- sections ---- */

static void section_header(FILE *f, const struct vi_report *r) {
  const struct vi_advi_result *res = r->res;
  fprintf(f, "<section id=\"header\"><h1>");
  esc(f, r->model_file);
  fprintf(f, "</h1><table class=\"facts\">");
  fprintf(f, "<tr><th>model</th><td>");
  esc(f, r->model_file);
  fprintf(f, "</td></tr>");
  if (r->data_file) {
    fprintf(f, "<tr><th>data</th><td>");
    esc(f, r->data_file);
    fprintf(f, " (%zu rows)</td></tr>", r->data_rows);
  }
  fprintf(f, "<tr><th>algorithm</th><td>%s%s", r->opt->algorithm == VI_ALGO_AUTO ? "auto: " : "",
          vi_algo_name(res->algorithm));
  if (res->algorithm != VI_ALGO_DADVI) fprintf(f, " (%s)", vi_optimizer_name(res->optimizer));
  fprintf(f, ", %zu unconstrained parameters, seed %llu</td></tr>", res->dim, r->seed);
  if (res->fits[0]) {
    fprintf(f, "<tr><th>fits run</th><td>");
    esc(f, res->fits);
    fprintf(f, "; reported: %s</td></tr>", vi_algo_name(res->algorithm));
  }
  fprintf(f, "<tr><th>iterations</th><td>%d (%ld gradient evaluations)", res->iterations, res->grad_evals);
  if (res->optimizer == VI_OPT_LBFGS) fprintf(f, ", %d fixed draws", res->draws_m);
  fprintf(f, "</td></tr><tr><th>converged</th><td class=\"%s\">%s (", res->converged ? "good" : "bad",
          res->converged ? "yes" : "NO");
  esc(f, res->reason);
  fprintf(f, ")</td></tr><tr><th>ELBO</th><td>%.6g</td></tr>", res->elbo);
  fprintf(f, "<tr><th>Pareto k</th><td>%.2f: %s</td></tr>", r->chk->khat, vi_verdict_name(r->chk->verdict));
  fprintf(f, "<tr><th>time</th><td>%.3f s</td></tr><tr><th>draws</th><td>%zu</td></tr></table></section>\n",
          r->seconds, r->S);
}

static const char *fit_class(int fit) {
  switch (fit) {
  case VI_ALGO_FULLRANK: return "fullrank";
  case VI_ALGO_LOWRANK: return "lowrank";
  case VI_ALGO_MEANFIELD: return "meanfield";
  default: return "dadvi";
  }
}

static void section_trace(FILE *f, const struct vi_report *r) {
  const struct vi_advi_trace *t = &r->res->trace;
  fprintf(f, "<section id=\"trace\"><h2>Objective</h2>");
  size_t n = t->iter ? t->n : 0, nf = 0;
  double *v = malloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; v && i < n; i++)
    if (isfinite(t->elbo[i])) v[nf++] = t->elbo[i];
  if (!v || nf < 1) {
    fprintf(f, "<p class=\"note\">No iterations were recorded.</p><svg class=\"plot trace\" width=\"10\" "
               "height=\"10\"></svg></section>\n");
    free(v);
    return;
  }
  qsort(v, nf, sizeof *v, cmp_double);
  /* the first iterations are often far below: clip below the 10% quantile */
  double lo = v[(size_t)(0.1 * (double)(nf - 1))], hi = v[nf - 1];
  int clipped = lo > v[0];
  free(v);
  if (!(hi > lo)) lo = hi - 1, hi = hi + 1;
  double pad = 0.05 * (hi - lo);
  const int W = 760, H = 280;
  struct axis X = {t->iter[0], t->iter[n - 1] > t->iter[0] ? t->iter[n - 1] : t->iter[0] + 1, 70, W - 20};
  struct axis Y = {lo - pad, hi + pad, H - 40, 20};
  fprintf(f, "<p class=\"note\">The ELBO at each recorded iteration%s; colours name the fit, dashed lines mark "
             "where the fixed draws M doubled.%s</p>",
          r->res->optimizer == VI_OPT_LBFGS || r->opt->algorithm == VI_ALGO_AUTO
              ? " (the fixed-draw fits: on their draws)" : "",
          clipped ? " Values below the 10% quantile are drawn at the bottom edge." : "");
  fprintf(f, "<svg class=\"plot trace\" id=\"trace-plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W,
          H);
  fprintf(f, "<rect class=\"frame\" x=\"70\" y=\"20\" width=\"%d\" height=\"%d\"/>", W - 90, H - 60);
  ticks(f, &X, H - 40, 0, 8);
  ticks(f, &Y, 70, 1, 5);
  fprintf(f, "<text class=\"al\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">iteration</text>", W / 2, H - 6);
  /* one polyline per run of the same fit */
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    fprintf(f, "<polyline class=\"line %s\" points=\"", fit_class(t->fit[i]));
    while (j < n && t->fit[j] == t->fit[i]) {
      double e = isfinite(t->elbo[j]) ? fmax(t->elbo[j], Y.lo) : Y.lo;
      fprintf(f, "%.1f,%.1f ", ax_map(&X, t->iter[j]), ax_map(&Y, e));
      j++;
    }
    fprintf(f, "\"><title>%s</title></polyline>", fit_class(t->fit[i]));
    i = j;
  }
  double last_label = -1e9; /* labels that would overlap go one line lower */
  int row = 0;
  if (t->draws[0] > 0) {
    last_label = ax_map(&X, t->iter[0]);
    fprintf(f, "<text class=\"tl\" x=\"%.1f\" y=\"32\">M=%d</text>", last_label + 2, t->draws[0]);
  }
  for (size_t k = 1; k < n; k++)
    if (t->draws[k] != t->draws[k - 1] && t->draws[k] > 0) {
      double x = ax_map(&X, t->iter[k]);
      row = x - last_label < 44 ? (row + 1) % 3 : 0;
      last_label = x;
      fprintf(f, "<line class=\"doubling\" x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\"/><text class=\"tl\" "
                 "x=\"%.1f\" y=\"%d\">M=%d</text>",
              x, x, H - 40, x + 2, 32 + 11 * row, t->draws[k]);
    }
  /* legend */
  int seen[8] = {0}, lx = 80;
  for (size_t k = 0; k < n; k++) {
    int c = t->fit[k] & 7;
    if (seen[c]) continue;
    seen[c] = 1;
    fprintf(f, "<rect class=\"key %s\" x=\"%d\" y=\"%d\" width=\"12\" height=\"4\"/><text class=\"tl\" x=\"%d\" "
               "y=\"%d\">%s</text>",
            fit_class(c), lx, H - 58, lx + 16, H - 54, fit_class(c));
    lx += 90;
  }
  fprintf(f, "</svg></section>\n");
}

/* Which quantities get a marginal: parameters and transformed parameters,
 * and generated quantities that are not replicates (`*_rep`). */
static int shown(const struct vi_report *r, size_t k) {
  if (!r->blocks || r->blocks[k] != VI_BLK_GQ) return 1;
  const char *b = strchr(r->labels[k], '[');
  size_t len = b ? (size_t)(b - r->labels[k]) : strlen(r->labels[k]);
  return !(len >= 4 && !strncmp(r->labels[k] + len - 4, "_rep", 4));
}

static void weighted_moments(const double *x, size_t stride, size_t S, const double *w, double *m, double *sd) {
  double sw = 0, s1 = 0, s2 = 0;
  for (size_t s = 0; s < S; s++) {
    double v = x[s * stride], wt = w ? w[s] : 1;
    if (!isfinite(v)) continue;
    sw += wt;
    s1 += wt * v;
  }
  *m = sw > 0 ? s1 / sw : NAN;
  for (size_t s = 0; s < S; s++) {
    double v = x[s * stride], wt = w ? w[s] : 1;
    if (isfinite(v)) s2 += wt * (v - *m) * (v - *m);
  }
  *sd = sw > 0 ? sqrt(s2 / sw) : NAN;
}

static void section_marginals(FILE *f, const struct vi_report *r, const double *w, double *col) {
  size_t P = r->P, S = r->S, nshow = 0, total = 0, nover = 0;
  for (size_t k = 0; k < P; k++) total += (size_t)shown(r, k);
  fprintf(f, "<section id=\"marginals\"><h2>Marginals</h2>");
  if (total > MAX_MARGINALS)
    fprintf(f, "<p class=\"note\">The first %d of %zu quantities.</p>", MAX_MARGINALS, total);
  fprintf(f, "<div class=\"grid\">");
  const int W = 230, H = 130;
  for (size_t k = 0; k < P && nshow < MAX_MARGINALS; k++) {
    if (!shown(r, k)) continue;
    nshow++;
    size_t n = 0;
    for (size_t s = 0; s < S; s++)
      if (isfinite(r->draws[s * P + k])) col[n++] = r->draws[s * P + k];
    fprintf(f, "<figure><svg class=\"plot marginal\" data-name=\"");
    esc(f, r->labels[k]);
    fprintf(f, "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W, H);
    if (n < 2) {
      fprintf(f, "<text class=\"tl\" x=\"10\" y=\"60\">no finite draws</text></svg><figcaption>");
      esc(f, r->labels[k]);
      fprintf(f, "</figcaption></figure>");
      continue;
    }
    qsort(col, n, sizeof *col, cmp_double);
    double lo = vi_summary_quantile(col, n, 0.005), hi = vi_summary_quantile(col, n, 0.995);
    if (!(hi > lo)) lo -= 0.5 + fabs(lo) * 0.01, hi += 0.5 + fabs(hi) * 0.01;
    double hq[NBINS], hw[NBINS], ymax = 0;
    histogram(r->draws + k, P, S, NULL, lo, hi, NBINS, hq);
    int over = 0;
    if (w) {
      double m0, s0, m1, s1;
      weighted_moments(r->draws + k, P, S, NULL, &m0, &s0);
      weighted_moments(r->draws + k, P, S, w, &m1, &s1);
      over = s0 > 0 && (fabs(m1 - m0) / s0 > VI_SHIFT_TOL || fabs(log(s1 / s0)) > VI_SHIFT_TOL);
      if (over) histogram(r->draws + k, P, S, w, lo, hi, NBINS, hw);
    }
    nover += (size_t)over;
    for (int b = 0; b < NBINS; b++) ymax = fmax(ymax, fmax(hq[b], over ? hw[b] : 0));
    struct axis X = {lo, hi, 10, W - 10}, Y = {0, ymax > 0 ? ymax * 1.05 : 1, H - 24, 6};
    hist_path(f, hq, NBINS, &X, &Y, "q", 1);
    if (over) hist_path(f, hw, NBINS, &X, &Y, "psis", 0);
    double mx = ax_map(&X, r->st[k].mean);
    fprintf(f, "<line class=\"mean\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"6\"/>", mx, H - 24, mx);
    fprintf(f, "<line class=\"axis\" x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", H - 24, W - 10, H - 24);
    ticks(f, &X, H - 24, 0, 4);
    fprintf(f, "<title>");
    esc(f, r->labels[k]);
    fprintf(f, ": mean %.4g, sd %.4g, 5%% %.4g, 95%% %.4g</title></svg><figcaption>", r->st[k].mean, r->st[k].sd,
            r->st[k].q5, r->st[k].q95);
    esc(f, r->labels[k]);
    fprintf(f, " <span class=\"num\">%.3g &#177; %.3g</span>%s</figcaption></figure>", r->st[k].mean, r->st[k].sd,
            over ? " <span class=\"psis-note\">reweighted differs</span>" : "");
  }
  fprintf(f, "</div><p class=\"note\">Filled: histogram of the %zu draws from the approximation; dashed orange "
             "(%zu of %zu): the Pareto-smoothed importance-reweighted histogram, drawn where reweighting by p/q "
             "moves the mean or the sd by more than %.1f sd. The vertical line is the mean.</p></section>\n",
          S, nover, nshow, VI_SHIFT_TOL);
}

struct pair {
  double r;
  size_t a, b;
};

static void section_pairs(FILE *f, const struct vi_report *r) {
  size_t P = r->P, S = r->S, nc = 0;
  size_t *cols = malloc((P ? P : 1) * sizeof *cols);
  fprintf(f, "<section id=\"pairs\"><h2>Most correlated pairs</h2>");
  for (size_t k = 0; cols && k < P && nc < MAX_PAIR_COLS; k++)
    if (shown(r, k) && r->st[k].sd > 0 && isfinite(r->st[k].sd)) cols[nc++] = k;
  struct pair best[NPAIRS];
  int nb = 0;
  for (size_t i = 0; i < nc; i++)
    for (size_t j = i + 1; j < nc; j++) {
      size_t a = cols[i], b = cols[j];
      double ma = r->st[a].mean, mb = r->st[b].mean, sab = 0;
      for (size_t s = 0; s < S; s++) sab += (r->draws[s * P + a] - ma) * (r->draws[s * P + b] - mb);
      double c = sab / ((double)(S - 1) * r->st[a].sd * r->st[b].sd);
      if (!isfinite(c)) continue;
      int pos = nb;
      while (pos > 0 && fabs(best[pos - 1].r) < fabs(c)) pos--;
      if (pos >= NPAIRS) continue;
      if (nb < NPAIRS) nb++;
      memmove(best + pos + 1, best + pos, (size_t)(nb - 1 - pos) * sizeof *best);
      best[pos] = (struct pair){c, a, b};
    }
  free(cols);
  if (!nb) fprintf(f, "<p class=\"note\">Fewer than two quantities vary.</p>");
  fprintf(f, "<div class=\"grid\">");
  const int W = 250;
  size_t step = S > PAIR_POINTS ? (S + PAIR_POINTS - 1) / PAIR_POINTS : 1;
  for (int p = 0; p < nb; p++) {
    size_t a = best[p].a, b = best[p].b;
    double xa = r->st[a].mean, sa = r->st[a].sd, xb = r->st[b].mean, sb = r->st[b].sd;
    struct axis X = {xa - 3.5 * sa, xa + 3.5 * sa, 40, W - 10}, Y = {xb - 3.5 * sb, xb + 3.5 * sb, W - 30, 10};
    fprintf(f, "<figure><svg class=\"plot pair\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, W, W, W);
    fprintf(f, "<rect class=\"frame\" x=\"40\" y=\"10\" width=\"%d\" height=\"%d\"/>", W - 50, W - 40);
    ticks(f, &X, W - 30, 0, 4);
    ticks(f, &Y, 40, 1, 4);
    for (size_t s = 0; s < S; s += step) {
      double u = r->draws[s * P + a], v = r->draws[s * P + b];
      if (!isfinite(u) || !isfinite(v) || u < X.lo || u > X.hi || v < Y.lo || v > Y.hi) continue;
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>", ax_map(&X, u), ax_map(&Y, v));
    }
    fprintf(f, "</svg><figcaption>");
    esc(f, r->labels[a]);
    fprintf(f, " (x) and ");
    esc(f, r->labels[b]);
    fprintf(f, " (y): r = %.2f</figcaption></figure>", best[p].r);
  }
  fprintf(f, "</div></section>\n");
}

static void section_pareto(FILE *f, const struct vi_report *r) {
  const struct vi_psis_check *c = r->chk;
  const int W = 520, H = 70;
  struct axis X = {0, 1.5, 20, W - 20};
  fprintf(f, "<section id=\"pareto\"><h2>Pareto k</h2><svg class=\"plot pareto\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\">", W, H, W, H);
  double z[5] = {0, 0.5, 0.7, 1, 1.5};
  const char *zc[4] = {"zgood", "zok", "zbad", "zworse"};
  for (int i = 0; i < 4; i++)
    fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"14\" width=\"%.1f\" height=\"22\"/>", zc[i], ax_map(&X, z[i]),
            ax_map(&X, z[i + 1]) - ax_map(&X, z[i]));
  ticks(f, &X, 36, 0, 6);
  if (isfinite(c->khat)) {
    double kx = ax_map(&X, fmin(fmax(c->khat, 0), 1.5));
    fprintf(f, "<path class=\"kmark\" d=\"M%.1f,14L%.1f,6L%.1f,6Z\"/><line class=\"kline\" x1=\"%.1f\" y1=\"14\" "
               "x2=\"%.1f\" y2=\"36\"/>", kx, kx - 6, kx + 6, kx, kx);
  }
  fprintf(f, "</svg><p class=\"verdict %s\">k = %.2f: %s", c->verdict == VI_VERDICT_UNRELIABLE ? "bad" : "good",
          c->khat, vi_verdict_name(c->verdict));
  if (isfinite(c->mean_shift))
    fprintf(f, " (reweighting by p/q moves the means by up to %.2g sd and the sds by up to %.0f%%)", c->mean_shift,
            100 * (exp(c->sd_shift) - 1));
  fprintf(f, "</p><p class=\"note\">Below 0.7 the importance ratios p/q have a light enough tail for the "
             "approximation to be trusted; above 1 they have no finite mean.</p></section>\n");
}

/* The predictive checks: every `<col>_rep` whose element count is that of a
 * data column `<col>`. Returns how many were drawn. */
static int section_ppc(FILE *f, const struct vi_report *r, double *col) {
  size_t P = r->P, S = r->S;
  int drawn = 0;
  for (size_t k = 0; k < P && r->data; k++) {
    if (!r->blocks || r->blocks[k] != VI_BLK_GQ) continue;
    const char *lb = r->labels[k], *br = strchr(lb, '[');
    size_t len = br ? (size_t)(br - lb) : strlen(lb);
    if (len < 5 || strncmp(lb + len - 4, "_rep", 4)) continue;
    if (k > 0 && !strncmp(r->labels[k - 1], lb, len) && (r->labels[k - 1][len] == '[' || !r->labels[k - 1][len]))
      continue; /* not the group's first element */
    size_t n = 1;
    while (k + n < P && !strncmp(r->labels[k + n], lb, len) && r->labels[k + n][len] == '[') n++;
    char name[256];
    if (len - 4 >= sizeof name) continue;
    memcpy(name, lb, len - 4);
    name[len - 4] = 0;
    const double *y;
    size_t ny;
    if (r->data(r->data_ctx, name, &y, &ny) || ny != n) continue;
    if (!drawn) fprintf(f, "<section id=\"ppc\"><h2>Posterior predictive checks</h2>");
    drawn++;
    /* range over the data and the replicates */
    size_t m = 0;
    double lo = INFINITY, hi = -INFINITY, ym = 0, ys = 0;
    for (size_t i = 0; i < n; i++)
      if (isfinite(y[i])) lo = fmin(lo, y[i]), hi = fmax(hi, y[i]), ym += y[i], m++;
    ym /= m ? (double)m : 1;
    for (size_t i = 0; i < n; i++)
      if (isfinite(y[i])) ys += (y[i] - ym) * (y[i] - ym);
    ys = m > 1 ? sqrt(ys / (double)(m - 1)) : NAN;
    size_t reps = S < PPC_REPLICATES ? S : PPC_REPLICATES;
    for (size_t s = 0; s < reps; s++)
      for (size_t i = 0; i < n; i++) {
        double v = r->draws[s * P + k + i];
        if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
      }
    if (!(hi > lo)) lo -= 0.5, hi += 0.5;
    /* about 1.5 sqrt(n) bins: a histogram of n values, not of S draws */
    int nb = (int)fmin(NBINS, fmax(6, floor(1.5 * sqrt((double)n))));
    double hy[NBINS], hr[PPC_REPLICATES][NBINS], ymax = 0;
    histogram(y, 1, n, NULL, lo, hi, nb, hy);
    for (size_t s = 0; s < reps; s++) {
      histogram(r->draws + s * P + k, 1, n, NULL, lo, hi, nb, hr[s]);
      for (int b = 0; b < nb; b++) ymax = fmax(ymax, hr[s][b]);
    }
    for (int b = 0; b < nb; b++) ymax = fmax(ymax, hy[b]);
    const int W = 420, H = 220;
    struct axis X = {lo, hi, 20, W - 20}, Y = {0, ymax * 1.05, H - 30, 10};
    fprintf(f, "<div class=\"grid\"><figure><svg class=\"plot ppc\" data-name=\"");
    esc(f, name);
    fprintf(f, "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W, H);
    hist_path(f, hy, nb, &X, &Y, "q", 1);
    for (size_t s = 0; s < reps; s++) hist_path(f, hr[s], nb, &X, &Y, "rep", 0);
    fprintf(f, "<line class=\"axis\" x1=\"20\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", H - 30, W - 20, H - 30);
    ticks(f, &X, H - 30, 0, 6);
    fprintf(f, "</svg><figcaption>data ");
    esc(f, name);
    fprintf(f, " (filled) and %zu replicates ", reps);
    esc(f, name);
    fprintf(f, "_rep (lines)</figcaption></figure>");
    /* test statistics: mean and sd of each replicate */
    double *tm = col, *ts = col + S;
    for (int stat = 0; stat < 2; stat++) {
      double *t = stat ? ts : tm, tobs = stat ? ys : ym, ge = 0;
      size_t nt = 0;
      for (size_t s = 0; s < S; s++) {
        double a = 0, b = 0;
        for (size_t i = 0; i < n; i++) a += r->draws[s * P + k + i];
        a /= (double)n;
        for (size_t i = 0; i < n; i++) b += (r->draws[s * P + k + i] - a) * (r->draws[s * P + k + i] - a);
        b = n > 1 ? sqrt(b / (double)(n - 1)) : NAN;
        double v = stat ? b : a;
        if (isfinite(v)) t[nt++] = v, ge += v >= tobs;
      }
      if (nt < 2) continue;
      double tlo = tobs, thi = tobs;
      for (size_t s = 0; s < nt; s++) tlo = fmin(tlo, t[s]), thi = fmax(thi, t[s]);
      if (!(thi > tlo)) tlo -= 0.5, thi += 0.5;
      double pad = 0.05 * (thi - tlo), ht[NBINS], hmax = 0;
      tlo -= pad, thi += pad;
      histogram(t, 1, nt, NULL, tlo, thi, NBINS, ht);
      for (int b = 0; b < NBINS; b++) hmax = fmax(hmax, ht[b]);
      const int W2 = 260;
      struct axis X2 = {tlo, thi, 15, W2 - 15}, Y2 = {0, hmax * 1.05, H - 30, 10};
      fprintf(f, "<figure><svg class=\"plot ppc-stat\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W2, H, W2,
              H);
      hist_path(f, ht, NBINS, &X2, &Y2, "q", 1);
      double ox = ax_map(&X2, tobs);
      fprintf(f, "<line class=\"obs\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"10\"/>", ox, H - 30, ox);
      fprintf(f, "<line class=\"axis\" x1=\"15\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", H - 30, W2 - 15, H - 30);
      ticks(f, &X2, H - 30, 0, 4);
      fprintf(f, "</svg><figcaption>%s of ", stat ? "sd" : "mean");
      esc(f, name);
      fprintf(f, "_rep over %zu draws; data: %.4g (P(rep &#8805; data) = %.2f)</figcaption></figure>", nt, tobs,
              ge / (double)nt);
    }
    fprintf(f, "</div>");
  }
  if (drawn) fprintf(f, "</section>\n");
  return drawn;
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}"
    "h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 6px;border-bottom:1px solid #ddd}"
    "table.facts th{text-align:left;padding:1px 12px 1px 0;color:#555;font-weight:600}"
    ".good{color:#1a7f37}.bad{color:#c0262d;font-weight:600}.note{color:#555;font-size:12px}"
    ".grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}figcaption{font-size:12px;text-align:center;"
    "max-width:250px;overflow-wrap:anywhere}"
    ".num{color:#555}.psis-note{color:#d9730d}svg{background:#fff}"
    ".frame{fill:none;stroke:#bbb}.axis{stroke:#888}.tick{stroke:#888}.tl{font-size:10px;fill:#555}"
    ".al{font-size:11px;fill:#333}path.q{fill:#9ab8db;stroke:#4a78b0;stroke-width:.8}"
    "path.psis{fill:none;stroke:#e8710a;stroke-width:1.6;stroke-dasharray:4 2}"
    "path.rep{fill:none;stroke:#333;stroke-opacity:.35;stroke-width:.8}"
    ".mean{stroke:#1f3b63;stroke-width:1.2}.obs{stroke:#c0262d;stroke-width:2}"
    "circle{fill:#4a78b0;fill-opacity:.45}"
    "polyline.line{fill:none;stroke-width:1.6}.dadvi{stroke:#4a78b0;fill:#4a78b0}"
    ".fullrank{stroke:#2e9d4e;fill:#2e9d4e}.lowrank{stroke:#8e44ad;fill:#8e44ad}"
    ".meanfield{stroke:#d9730d;fill:#d9730d}"
    ".doubling{stroke:#999;stroke-dasharray:3 3}.zgood{fill:#cde9d4}.zok{fill:#f5e7b8}.zbad{fill:#f6c9c0}"
    ".zworse{fill:#e99b8f}.kmark{fill:#222}.kline{stroke:#222;stroke-width:2}";

/* Records a JavaScript error in the DOM (tools/check-report reads it) and
 * counts the plots once the page has loaded. */
static const char script[] =
    "window.onerror=function(m){document.documentElement.setAttribute('data-js-error',String(m));};"
    "document.addEventListener('DOMContentLoaded',function(){document.documentElement.setAttribute("
    "'data-plots',String(document.querySelectorAll('svg.plot').length));});";

int vi_report_fprint(FILE *f, const struct vi_report *r) {
  size_t S = r->S;
  double *w = malloc((S ? S : 1) * sizeof *w), *col = malloc(2 * (S ? S : 1) * sizeof *col);
  if (!w || !col) {
    free(w);
    free(col);
    return VI_ERR_NOMEM;
  }
  int have_w = r->log_p && r->log_q && vi_report_psis_weights(r->log_p, r->log_q, S, w) == VI_OK;
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
             "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
             "<meta name=\"viewport\" content=\"width=device-width\"><title>vi: ");
  esc(f, r->model_file);
  fprintf(f, "</title><style>%s</style><script>%s</script></head><body>\n", style, script);
  section_header(f, r);
  section_trace(f, r);
  section_marginals(f, r, have_w ? w : NULL, col);
  section_pairs(f, r);
  section_pareto(f, r);
  section_ppc(f, r, col);
  fprintf(f, "<p class=\"note\">Written by vi %s.</p></body></html>\n",
#ifdef VI_VERSION
          VI_VERSION
#else
          ""
#endif
  );
  free(w);
  free(col);
  return VI_OK;
}

int vi_report_write(const char *path, const struct vi_report *r, struct vi_diags *d) {
  struct vi_out *o = vi_out_open(path, d);
  if (!o) return VI_ERR_IO;
  int st = vi_report_fprint(vi_out_file(o), r);
  if (st) {
    vi_out_abort(o);
    vi_error(d, (struct vi_srcloc){NULL, 0, 0}, "cannot write '%s': out of memory", path);
    return st;
  }
  return vi_out_commit(o);
}
