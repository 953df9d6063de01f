/* flow.c: the algebra of the normalizing flows (see include/vi/flow.h):
 * masks, forward pass, inverse, log q, and the pullback of a gradient to the
 * flow's parameters (reparameterised or sticking the landing). Everything is
 * sequential and deterministic; the fit driver is flowfit.c. */
#include "vi/flow.h"

#include <math.h>
#include <string.h>

#include "vi/diag.h"
#include "vi/family.h"
#include "vi/rng.h"

#define SMAX VI_FLOW_SMAX

const char *vi_flow_kind_name(enum vi_flow_kind k) {
  return k == VI_FLOW_IAF ? "iaf" : "coupling";
}

int vi_flow_kind_parse(const char *name, enum vi_flow_kind *out) {
  if (!strcmp(name, "coupling") || !strcmp(name, "realnvp")) *out = VI_FLOW_COUPLING;
  else if (!strcmp(name, "iaf")) *out = VI_FLOW_IAF;
  else return -1;
  return 0;
}

/* Values per layer: W1[H][d], b1[H], Ws[d][H], bs[d], Wt[d][H], bt[d], and
 * Vs[d][d] when the layers have the linear skip (dim <= VI_FLOW_SKIP_MAX_DIM). */
static int has_skip(size_t d) { return d <= VI_FLOW_SKIP_MAX_DIM; }
static size_t layer_size(size_t d, size_t H) {
  return 3 * d * H + H + 2 * d + (has_skip(d) ? d * d : 0);
}

size_t vi_flow_nparams(size_t dim, size_t layers, size_t hidden) {
  size_t big = (size_t)1 << (sizeof(size_t) * 4 - 2);
  if (dim >= big || hidden >= big || layers >= big) return (size_t)-1;
  size_t p = layer_size(dim, hidden);
  if (layers && p > ((size_t)-1 / sizeof(double)) / layers) return (size_t)-1;
  return p * layers;
}

/* Views of one layer's parameters. */
struct layer {
  const double *W1, *b1, *Ws, *bs, *Wt, *bt, *Vs; /* Vs NULL without the skip */
  const int *din, *dh;
};

static struct layer layer_of(const struct vi_flow *f, const double *phi, size_t l) {
  size_t d = f->dim, H = f->hidden;
  const double *p = phi + l * layer_size(d, H);
  struct layer L = {p, p + H * d, p + H * d + H, p + 2 * H * d + H, p + 2 * H * d + H + d,
                    p + 3 * H * d + H + d, has_skip(d) ? p + 3 * H * d + H + 2 * d : NULL,
                    f->din + l * d, f->dh + l * H};
  return L;
}

static void shuffle(struct vi_rng *r, int *a, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t k = (size_t)(vi_rng_uniform(r) * (double)i);
    if (k >= i) k = i - 1;
    int t = a[i - 1];
    a[i - 1] = a[k];
    a[k] = t;
  }
}

int vi_flow_init(struct vi_flow *f, enum vi_flow_kind kind, size_t dim, size_t layers,
                 size_t hidden, const double *mu, const double *L, const double *sd,
                 uint64_t seed, struct vi_arena *arena) {
  memset(f, 0, sizeof *f);
  size_t np = vi_flow_nparams(dim, layers, hidden);
  if (np == (size_t)-1 || dim == 0 || layers == 0 || hidden == 0) return -1;
  f->kind = kind;
  f->dim = dim;
  f->layers = layers;
  f->hidden = hidden;
  f->npar = np;
  f->mu = mu;
  f->L = L;
  f->sd = sd;
  f->phi = vi_arena_array(arena, np, sizeof *f->phi);
  f->din = vi_arena_array(arena, layers * dim, sizeof *f->din);
  f->dh = vi_arena_array(arena, layers * hidden, sizeof *f->dh);
  int *perm = vi_arena_array(arena, dim, sizeof *perm);
  if (!f->phi || !f->din || !f->dh || !perm) return -1;
  f->log_det_base = 0;
  for (size_t i = 0; i < dim; i++) f->log_det_base += log(fabs(L ? L[i * dim + i] : sd[i]));
  struct vi_rng r;
  vi_rng_seed(&r, seed, 0xf10);
  for (size_t i = 0; i < dim; i++) perm[i] = (int)i;
  f->depth = kind == VI_FLOW_IAF ? (int)dim : 1;
  for (size_t l = 0; l < layers; l++) {
    int *din = f->din + l * dim, *dh = f->dh + l * hidden;
    if (kind == VI_FLOW_COUPLING) {
      if (l % 2 == 0) shuffle(&r, perm, dim);
      size_t half = dim / 2;
      for (size_t k = 0; k < dim; k++) {
        int cond = k < half;
        if (l % 2) cond = !cond;
        din[perm[k]] = dim == 1 ? 1 : !cond; /* 0: conditions, 1: transformed */
      }
      for (size_t k = 0; k < hidden; k++) dh[k] = 0;
    } else {
      if (l % 2 == 0) shuffle(&r, perm, dim);
      for (size_t k = 0; k < dim; k++)
        din[perm[k]] = l % 2 ? (int)(dim - k) : (int)(k + 1);
      for (size_t k = 0; k < hidden; k++) dh[k] = dim > 1 ? 1 + (int)(k % (dim - 1)) : 0;
    }
  }
  memset(f->phi, 0, np * sizeof *f->phi);
  for (size_t l = 0; l < layers; l++) {
    double *p = f->phi + l * layer_size(dim, hidden);
    const int *din = f->din + l * dim, *dh = f->dh + l * hidden;
    for (size_t k = 0; k < hidden; k++) {
      size_t fan = 0;
      for (size_t j = 0; j < dim; j++) fan += din[j] <= dh[k];
      double sc = 1 / sqrt((double)(fan ? fan : 1));
      for (size_t j = 0; j < dim; j++) p[k * dim + j] = din[j] <= dh[k] ? sc * vi_rng_normal(&r) : 0;
      p[hidden * dim + k] = 0.5 * vi_rng_normal(&r);
    }
  }
  return 0;
}

int vi_flow_work_init(const struct vi_flow *f, struct vi_flow_work *w, struct vi_arena *arena) {
  size_t d = f->dim, H = f->hidden, K = f->layers;
  w->x = vi_arena_array(arena, (K + 1) * d, sizeof *w->x);
  w->h = vi_arena_array(arena, K * H, sizeof *w->h);
  w->s = vi_arena_array(arena, K * d, sizeof *w->s);
  w->ls = vi_arena_array(arena, K * d, sizeof *w->ls);
  w->c = vi_arena_array(arena, d, sizeof *w->c);
  w->u = vi_arena_array(arena, d, sizeof *w->u);
  w->v = vi_arena_array(arena, d, sizeof *w->v);
  w->w = vi_arena_array(arena, d, sizeof *w->w);
  w->z = vi_arena_array(arena, d, sizeof *w->z);
  w->ch = vi_arena_array(arena, H, sizeof *w->ch);
  return w->x && w->h && w->s && w->ls && w->c && w->u && w->v && w->w && w->z && w->ch ? 0 : -1;
}

/* The conditioner of layer L at x: h (H), s (pre-bound, d), ls (d), t (d;
 * may be NULL). */
static void conditioner(const struct layer *L, size_t d, size_t H, const double *x, double *h,
                        double *s, double *ls, double *t) {
  for (size_t k = 0; k < H; k++) {
    double a = L->b1[k];
    const double *w = L->W1 + k * d;
    for (size_t j = 0; j < d; j++)
      if (L->din[j] <= L->dh[k]) a += w[j] * x[j];
    h[k] = tanh(a);
  }
  for (size_t i = 0; i < d; i++) {
    if (L->din[i] == 0) { /* a conditioning coordinate of a coupling layer */
      s[i] = ls[i] = 0;
      if (t) t[i] = 0;
      continue;
    }
    double a = L->bs[i], b = L->bt[i];
    const double *ws = L->Ws + i * H, *wt = L->Wt + i * H;
    if (L->Vs)
      for (size_t j = 0; j < d; j++)
        if (L->din[j] < L->din[i]) a += L->Vs[i * d + j] * x[j];
    for (size_t k = 0; k < H; k++)
      if (L->din[i] > L->dh[k]) {
        a += ws[k] * h[k];
        b += wt[k] * h[k];
      }
    s[i] = a;
    ls[i] = SMAX * tanh(a / SMAX);
    if (t) t[i] = b;
  }
}

/* Reverse sweep of the conditioner at the cached (x, h, s): given the
 * cotangents cls (of ls; may be NULL for 0) and ct (of t; may be NULL), adds
 * the input cotangent to cx (may be NULL) and the parameter gradient to gp
 * (this layer's slice of the gradient; may be NULL). ch: H scratch. */
static void conditioner_vjp(const struct layer *L, size_t d, size_t H, const double *x,
                            const double *h, const double *s, const double *cls, const double *ct,
                            double *cx, double *gp, double *ch) {
  memset(ch, 0, H * sizeof *ch);
  double *gW1 = gp, *gb1 = gp ? gp + H * d : NULL, *gWs = gp ? gp + H * d + H : NULL;
  double *gbs = gp ? gWs + d * H : NULL, *gWt = gp ? gbs + d : NULL, *gbt = gp ? gWt + d * H : NULL;
  double *gVs = gp && L->Vs ? gbt + d : NULL;
  for (size_t i = 0; i < d; i++) {
    if (L->din[i] == 0) continue;
    double th = tanh(s[i] / SMAX);
    double ds = cls ? cls[i] * (1 - th * th) : 0, dt = ct ? ct[i] : 0;
    if (ds == 0 && dt == 0) continue;
    const double *ws = L->Ws + i * H, *wt = L->Wt + i * H;
    if (gp) {
      gbs[i] += ds;
      gbt[i] += dt;
    }
    if (L->Vs && ds != 0)
      for (size_t j = 0; j < d; j++)
        if (L->din[j] < L->din[i]) {
          if (cx) cx[j] += L->Vs[i * d + j] * ds;
          if (gVs) gVs[i * d + j] += ds * x[j];
        }
    for (size_t k = 0; k < H; k++)
      if (L->din[i] > L->dh[k]) {
        ch[k] += ws[k] * ds + wt[k] * dt;
        if (gp) {
          gWs[i * H + k] += ds * h[k];
          gWt[i * H + k] += dt * h[k];
        }
      }
  }
  for (size_t k = 0; k < H; k++) {
    double da = ch[k] * (1 - h[k] * h[k]);
    if (da == 0) continue;
    if (gp) gb1[k] += da;
    const double *w = L->W1 + k * d;
    for (size_t j = 0; j < d; j++)
      if (L->din[j] <= L->dh[k]) {
        if (cx) cx[j] += w[j] * da;
        if (gp) gW1[k * d + j] += da * x[j];
      }
  }
}

/* theta = mu + L y */
static void base_map(const struct vi_flow *f, const double *y, double *theta) {
  size_t d = f->dim;
  for (size_t i = 0; i < d; i++) {
    double v = f->mu[i];
    if (f->L) {
      for (size_t j = 0; j <= i; j++) v += f->L[i * d + j] * y[j];
    } else {
      v += f->sd[i] * y[i];
    }
    theta[i] = v;
  }
}

double vi_flow_draw(const struct vi_flow *f, struct vi_flow_work *w, const double *eta,
                    double *theta) {
  size_t d = f->dim, H = f->hidden;
  double ss = 0, ld = 0;
  for (size_t i = 0; i < d; i++) ss += eta[i] * eta[i];
  memcpy(w->x, eta, d * sizeof *eta);
  for (size_t l = 0; l < f->layers; l++) {
    struct layer L = layer_of(f, f->phi, l);
    const double *x = w->x + l * d;
    double *y = w->x + (l + 1) * d, *ls = w->ls + l * d;
    conditioner(&L, d, H, x, w->h + l * H, w->s + l * d, ls, w->v);
    for (size_t i = 0; i < d; i++) {
      y[i] = x[i] * exp(ls[i]) + w->v[i];
      ld += ls[i];
    }
  }
  base_map(f, w->x + f->layers * d, theta);
  return -0.5 * ss - 0.5 * (double)d * VI_LOG_2PI - ld - f->log_det_base;
}

double vi_flow_log_det_layers(const struct vi_flow *f, const struct vi_flow_work *w) {
  double ld = 0;
  for (size_t i = 0; i < f->layers * f->dim; i++) ld += w->ls[i];
  return ld;
}

double vi_flow_inverse(const struct vi_flow *f, struct vi_flow_work *w, const double *y, double *x) {
  size_t d = f->dim, H = f->hidden;
  double ld = 0;
  memcpy(w->u, y, d * sizeof *y);
  for (size_t l = f->layers; l-- > 0;) {
    struct layer L = layer_of(f, f->phi, l);
    /* x = (y - t(x)) exp(-ls(x)): exact for the coordinates of degree <= p
     * after p passes, as ls and t of a coordinate depend only on lower ones */
    memcpy(w->c, w->u, d * sizeof *w->c);
    for (int p = 0; p < f->depth; p++) {
      conditioner(&L, d, H, w->c, w->ch, w->w, w->ls, w->v);
      for (size_t i = 0; i < d; i++) w->c[i] = (w->u[i] - w->v[i]) * exp(-w->ls[i]);
    }
    conditioner(&L, d, H, w->c, w->ch, w->w, w->ls, w->v);
    for (size_t i = 0; i < d; i++) ld += w->ls[i];
    memcpy(w->u, w->c, d * sizeof *w->c);
  }
  memcpy(x, w->u, d * sizeof *x);
  return ld;
}

double vi_flow_log_q(const struct vi_flow *f, struct vi_flow_work *w, const double *theta) {
  size_t d = f->dim;
  /* y = L^{-1} (theta - mu), into x[0..d) of w (free outside a draw) */
  double *y = w->x, *eta = w->x + d;
  for (size_t i = 0; i < d; i++) {
    double v = theta[i] - f->mu[i];
    if (f->L) {
      for (size_t j = 0; j < i; j++) v -= f->L[i * d + j] * y[j];
      y[i] = v / f->L[i * d + i];
    } else {
      y[i] = v / f->sd[i];
    }
  }
  double ld = vi_flow_inverse(f, w, y, eta), ss = 0;
  for (size_t i = 0; i < d; i++) ss += eta[i] * eta[i];
  return -0.5 * ss - 0.5 * (double)d * VI_LOG_2PI - ld - f->log_det_base;
}

void vi_flow_pull(const struct vi_flow *f, struct vi_flow_work *w, const double *g, int stl,
                  double *acc) {
  size_t d = f->dim, H = f->hidden, K = f->layers, P = layer_size(d, H);
  double *c = w->c, *u = w->u, *r = w->v, *cl = w->w, *z = w->z;
  /* cotangent of y = f(eta): L^T g */
  for (size_t j = 0; j < d; j++) {
    if (f->L) {
      double v = 0;
      for (size_t i = j; i < d; i++) v += f->L[i * d + j] * g[i];
      c[j] = v;
    } else {
      c[j] = f->sd[j] * g[j];
    }
  }
  if (stl) {
    /* u = grad_y log q_f(y), layer by layer: log q_l(x_l) = log q_{l-1}(x_{l-1})
     * - ld_l(x_{l-1}), so u_l = J_l^{-T} (u_{l-1} - grad ld_l), from
     * u_0 = -eta. J_l = diag(e^ls) + N with N strictly triangular in degree
     * order, so J^T u = r is solved by u = e^-ls (r - N^T u) repeated depth
     * times (exact: each pass fixes one more degree); N^T u is the
     * conditioner's reverse sweep with cotangents x e^ls u for ls and u for
     * t. Then c = L^T g - u: the score of log q_{phi'} at theta pulled back to
     * y is L^T grad_theta log q = grad_y log q_f. */
    for (size_t i = 0; i < d; i++) u[i] = -w->x[i];
    for (size_t l = 0; l < K; l++) {
      struct layer L = layer_of(f, f->phi, l);
      const double *x = w->x + l * d, *h = w->h + l * H, *sp = w->s + l * d, *ls = w->ls + l * d;
      for (size_t i = 0; i < d; i++) cl[i] = 1, z[i] = 0;
      conditioner_vjp(&L, d, H, x, h, sp, cl, NULL, z, NULL, w->ch); /* z = grad ld */
      for (size_t i = 0; i < d; i++) {
        r[i] = u[i] - z[i];
        u[i] = r[i] * exp(-ls[i]);
      }
      for (int p = 0; p < f->depth; p++) {
        for (size_t i = 0; i < d; i++) cl[i] = x[i] * exp(ls[i]) * u[i], z[i] = 0;
        conditioner_vjp(&L, d, H, x, h, sp, cl, u, z, NULL, w->ch); /* z = N^T u */
        for (size_t i = 0; i < d; i++) u[i] = (r[i] - z[i]) * exp(-ls[i]);
      }
    }
    for (size_t i = 0; i < d; i++) c[i] -= u[i];
  }
  /* reverse sweep through the layers: y = x e^ls + t */
  for (size_t l = K; l-- > 0;) {
    struct layer L = layer_of(f, f->phi, l);
    const double *x = w->x + l * d, *h = w->h + l * H, *sp = w->s + l * d, *ls = w->ls + l * d;
    for (size_t i = 0; i < d; i++) {
      double e = exp(ls[i]);
      cl[i] = c[i] * x[i] * e + (stl ? 0 : 1); /* + d ld / d ls without STL */
      z[i] = c[i] * e;
    }
    conditioner_vjp(&L, d, H, x, h, sp, cl, c, z, acc + l * P, w->ch);
    memcpy(c, z, d * sizeof *c);
  }
}

int vi_flow_fprint(FILE *out, const struct vi_flow *f) {
  size_t d = f->dim, H = f->hidden;
  fprintf(out, "# flow: %s, %zu layers, %zu hidden units; rows flow[l].NAME[i;j] hold its "
               "parameters (mean column)\n",
          vi_flow_kind_name(f->kind), f->layers, H);
  static const char *const names[7] = {"W1", "b1", "Ws", "bs", "Wt", "bt", "Vs"};
  int nb = has_skip(d) ? 7 : 6;
  for (size_t l = 0; l < f->layers; l++) {
    const double *p = f->phi + l * layer_size(d, H);
    size_t rows[7] = {H, H, d, d, d, d, d}, cols[7] = {d, 1, H, 1, H, 1, d};
    for (int b = 0; b < nb; b++) {
      for (size_t i = 0; i < rows[b]; i++)
        for (size_t j = 0; j < cols[b]; j++) {
          if (cols[b] > 1) fprintf(out, "flow[%zu].%s[%zu;%zu],%.17g\n", l + 1, names[b], i + 1, j + 1, *p++);
          else fprintf(out, "flow[%zu].%s[%zu],%.17g\n", l + 1, names[b], i + 1, *p++);
        }
    }
  }
  return ferror(out) ? VI_ERR_IO : VI_OK;
}
