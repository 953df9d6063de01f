/* minibatch.c: row-restricted evaluation over a row plate and stochastic VI
 * on minibatches (include/vi/minibatch.h). */
#include "vi/minibatch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "vi/optim.h"
#include "vi/point.h"
#include "vi/pool.h"

struct rowvar {
  int slot;
  struct vi_val full; /* the parent's value */
  size_t block;       /* numbers per row (array elements), or 0 for a matrix with N rows */
  size_t cols;        /* matrix: columns */
};

struct evaluator {
  struct vi_model *e;
  struct vi_param *params; /* the unit's layout: per-row parameters have the unit's rows */
  double *ut;    /* the unit's coordinates (per-row parameters) */
  double **buf;  /* per row variable: gathered values (ints in ibuf) */
  int **ibuf;
  int nsize;     /* the N slot's storage */
};

struct unit {
  const uint32_t *rows; /* NULL: rows start .. start + count - 1 */
  size_t start, count;
  double row_w, glob_w;
};

struct vi_rows {
  struct vi_model *m;
  /* per-row parameters: per model parameter, its numbers per row (0: a
   * global parameter); the unit's layout has count rows of each */
  size_t *prow;
  size_t dimg, rdim, udim; /* global coordinates, per-row coordinates of one row, a unit's most */
  struct vi_plate plate;
  struct vi_arena arena;
  size_t n, chunk, dim;
  struct rowvar *vars;
  int nvars;
  struct evaluator *ev;
  int nev;
  struct vi_pool *pool;
  struct vi_rows_share share;
  /* one run */
  const struct unit *units;
  size_t nunits, M;
  const double *theta;
  double *res; /* nunits blocks of M (lp, status, grad[dim]) */
};

/* The int data variable that counts a table's rows: the leading size of a
 * data declaration read from a table's columns. The table with the most
 * rows wins. */
static int find_size_slot(const struct vi_model *m, size_t *nrows, const char **table) {
  int best = -1;
  *nrows = 0;
  *table = NULL;
  const struct vi_program *p = m->prog;
  for (int i = 0; i < p->nbody[VI_BLK_DATA]; i++) {
    const struct vi_decl *dc = p->body[VI_BLK_DATA][i]->u.decl;
    const struct vi_expr *lead = dc->type.ndims ? dc->dims[0] : dc->rows;
    if (!lead || lead->kind != VI_E_VAR || m->st.block[lead->u.var.slot] != VI_BLK_DATA) continue;
    int s = lead->u.var.slot;
    const struct vi_val *sv = &m->I.slots[s];
    if (!sv->ix || sv->n != 1) continue;
    char buf[512];
    for (int t = 0; t < m->ntables; t++) {
      size_t rows = vi_table_nrows(m->tables[t]);
      snprintf(buf, sizeof buf, "%s.1", dc->name);
      int has = vi_table_find(m->tables[t], dc->name) >= 0 || vi_table_find(m->tables[t], buf) >= 0;
      snprintf(buf, sizeof buf, "%s[1]", dc->name);
      has |= vi_table_find(m->tables[t], buf) >= 0;
      if (has && (size_t)sv->ix[0] == rows && rows > *nrows) {
        best = s;
        *nrows = rows;
        *table = vi_table_file(m->tables[t]);
      }
    }
  }
  return best;
}

int vi_rows_print_plate(struct vi_model *m, FILE *f) {
  struct vi_arena a;
  vi_arena_init(&a);
  size_t nrows;
  const char *table;
  int s = find_size_slot(m, &nrows, &table);
  struct vi_plate pl;
  int r = vi_plate_analyse(m->prog, &m->st, s, &a, &pl);
  if (!r) vi_plate_print(&pl, &m->st, table, nrows, f);
  vi_arena_free(&a);
  return r;
}

static void free_evaluators(struct vi_rows *r) {
  for (int i = 0; i < r->nev; i++) {
    struct evaluator *ev = &r->ev[i];
    for (int k = 0; k < r->nvars; k++) {
      if (ev->buf) free(ev->buf[k]);
      if (ev->ibuf) free(ev->ibuf[k]);
    }
    free(ev->buf);
    free(ev->ibuf);
    free(ev->params);
    free(ev->ut);
    vi_model_free_evaluator(ev->e);
  }
  free(r->ev);
  r->ev = NULL;
  r->nev = 0;
}

void vi_rows_free(struct vi_rows *r) {
  if (!r) return;
  vi_pool_free(r->pool);
  free_evaluators(r);
  free(r->vars);
  free(r->prow);
  free(r->res);
  vi_arena_free(&r->arena);
  free(r);
}

const struct vi_plate *vi_rows_plate(const struct vi_rows *r) { return &r->plate; }
size_t vi_rows_n(const struct vi_rows *r) { return r->n; }
size_t vi_rows_chunk(const struct vi_rows *r) { return r->chunk; }
void vi_rows_set_share(struct vi_rows *r, const struct vi_rows_share *s) { r->share = *s; }

static int make_evaluator(struct vi_rows *r, struct evaluator *ev) {
  memset(ev, 0, sizeof *ev);
  ev->e = vi_model_clone_evaluator(r->m);
  ev->buf = calloc((size_t)r->nvars + 1, sizeof *ev->buf);
  ev->ibuf = calloc((size_t)r->nvars + 1, sizeof *ev->ibuf);
  if (!ev->e || !ev->buf || !ev->ibuf) return -1;
  ev->e->dynamic = 1; /* the data change between evaluations: record every time */
  if (r->rdim) { /* its own layout, and theta and grad of a unit's size */
    ev->params = malloc((size_t)(r->m->nparams + 1) * sizeof *ev->params);
    free(ev->e->theta);
    free(ev->e->grad);
    ev->e->theta = calloc(r->udim + 1, sizeof(double));
    ev->e->grad = calloc(r->udim + 1, sizeof(double));
    if (!ev->params || !ev->e->theta || !ev->e->grad) return -1;
    memcpy(ev->params, r->m->params, (size_t)r->m->nparams * sizeof *ev->params);
    ev->e->params = ev->params;
    if (!(ev->ut = calloc(r->udim + 1, sizeof *ev->ut))) return -1;
  }
  ev->e->plate = &r->plate;
  for (int k = 0; k < r->nvars; k++) {
    const struct rowvar *v = &r->vars[k];
    size_t per = v->block ? v->block : v->cols;
    if (v->full.ix) ev->ibuf[k] = malloc((r->chunk * per + 1) * sizeof(int));
    else ev->buf[k] = malloc((r->chunk * per + 1) * sizeof(double));
    if (!ev->ibuf[k] && !ev->buf[k]) return -1;
  }
  return 0;
}

int vi_rows_new(struct vi_model *m, int threads, size_t chunk_rows, struct vi_rows **out, struct vi_diags *d) {
  *out = NULL;
  struct vi_rows *r = calloc(1, sizeof *r);
  if (!r) return VI_ERR_NOMEM;
  vi_arena_init(&r->arena);
  r->m = m;
  r->dim = m->dim;
  r->share.size = 1;
  const char *table;
  int s = find_size_slot(m, &r->n, &table);
  int st = vi_plate_analyse(m->prog, &m->st, s, &r->arena, &r->plate);
  if (st) {
    vi_rows_free(r);
    return st;
  }
  if (s < 0) {
    vi_error(d, (struct vi_srcloc){m->file, 0, 0},
             "--batch-size needs a model with a table of rows (a data variable whose size is a CSV table's rows)");
    vi_rows_free(r);
    return VI_ERR_USAGE;
  }
  if (r->plate.coupled) {
    struct vi_srcloc l = r->plate.couple_loc;
    vi_error(d, l, "--batch-size: %s; the model is not a sum over the rows of %s", r->plate.couple_msg, table);
    vi_rows_free(r);
    return VI_ERR_USAGE;
  }
  r->prow = calloc((size_t)m->nparams + 1, sizeof *r->prow);
  if (!r->prow) {
    vi_rows_free(r);
    return VI_ERR_NOMEM;
  }
  for (int i = 0; i < m->nparams; i++) {
    const struct vi_param *pp = &m->params[i];
    int per_row = 0;
    for (int k = 0; k < r->plate.nrow_params; k++) per_row |= r->plate.row_params[k] == pp->decl->slot;
    if (!per_row || !r->n) {
      r->dimg += pp->size;
      continue;
    }
    /* array[N] T: row n is a contiguous block; vector[N] (row_vector[N]):
     * one number per row; matrix[N, K] is column-major (not yet) */
    if (pp->decl->type.ndims == 0 && pp->decl->type.base == VI_T_MATRIX) {
      vi_error(d, pp->decl->loc, "--batch-size: per-row parameter '%s' is a matrix[%s, K]; declare it as "
               "array[%s] vector[K] (row n is z[n])", pp->decl->name, r->plate.size_name, r->plate.size_name);
      vi_rows_free(r);
      return VI_ERR_USAGE;
    }
    r->prow[i] = pp->size / r->n;
    r->rdim += r->prow[i];
  }
  if (r->rdim) {
    /* a per-row parameter's log-Jacobian is a row term (added at its
     * declaration): weighed with the rows */
    int nt = r->plate.nterm_locs + r->plate.nrow_params;
    struct vi_srcloc *tl = vi_arena_array(&r->arena, (size_t)nt, sizeof *tl);
    if (!tl) {
      vi_rows_free(r);
      return VI_ERR_NOMEM;
    }
    if (r->plate.nterm_locs) memcpy(tl, r->plate.term_locs, (size_t)r->plate.nterm_locs * sizeof *tl);
    for (int k = 0; k < r->plate.nrow_params; k++) tl[r->plate.nterm_locs + k] = m->st.decl[r->plate.row_params[k]]->loc;
    r->plate.term_locs = tl;
    r->plate.nterm_locs = nt;
  }
  if (m->nevals == 0 && threads <= 0) threads = vi_pool_cores();
  if (threads < 1) threads = 1;
  if (chunk_rows < 1) chunk_rows = 1;
  if (chunk_rows > r->n) chunk_rows = r->n ? r->n : 1;
  r->chunk = chunk_rows;
  r->udim = r->dimg + r->chunk * r->rdim;
  r->vars = calloc((size_t)m->st.nslots + 1, sizeof *r->vars);
  if (!r->vars) {
    vi_rows_free(r);
    return VI_ERR_NOMEM;
  }
  for (int k = 0; k < m->st.nslots; k++) {
    int blk = m->st.block[k];
    if (!r->plate.row_slot[k] || (blk != VI_BLK_DATA && blk != VI_BLK_TDATA) || !m->st.decl[k] ||
        m->st.decl[k]->is_local)
      continue;
    struct rowvar *v = &r->vars[r->nvars++];
    v->slot = k;
    v->full = m->I.slots[k];
    if (v->full.t.ndims == 0 && v->full.t.base == VI_T_MATRIX) {
      v->block = 0;
      v->cols = (size_t)v->full.dim[1];
    } else {
      v->block = r->n ? v->full.n / r->n : 0;
    }
  }
  for (int i = 0; i < threads; i++) {
    struct evaluator *p = realloc(r->ev, (size_t)(r->nev + 1) * sizeof *p);
    if (!p) break;
    r->ev = p;
    if (make_evaluator(r, &r->ev[r->nev])) {
      r->nev++;
      free_evaluators(r);
      vi_rows_free(r);
      return VI_ERR_NOMEM;
    }
    r->nev++;
  }
  r->pool = vi_pool_new(r->nev);
  if (!r->pool) {
    vi_rows_free(r);
    return VI_ERR_NOMEM;
  }
  *out = r;
  return VI_OK;
}

/* Points evaluator ev at the unit's rows. */
static void gather(struct vi_rows *r, struct evaluator *ev, const struct unit *u) {
  struct vi_model *e = ev->e;
  size_t B = u->count, N = r->n;
  for (int k = 0; k < r->nvars; k++) {
    const struct rowvar *v = &r->vars[k];
    struct vi_val nv = v->full;
    nv.dim[0] = (int)B;
    nv.dx = NULL;
    nv.ref = NULL;
    if (v->block) {
      size_t b = v->block;
      nv.n = B * b;
      for (size_t i = 0; i < B; i++) {
        size_t row = u->rows ? u->rows[i] : u->start + i;
        if (v->full.ix) memcpy(ev->ibuf[k] + i * b, v->full.ix + row * b, b * sizeof(int));
        else memcpy(ev->buf[k] + i * b, v->full.x + row * b, b * sizeof(double));
      }
    } else { /* matrix[N, K], column-major */
      nv.n = B * v->cols;
      for (size_t c = 0; c < v->cols; c++)
        for (size_t i = 0; i < B; i++) {
          size_t row = u->rows ? u->rows[i] : u->start + i;
          ev->buf[k][c * B + i] = v->full.x[c * N + row];
        }
    }
    if (v->full.ix) nv.ix = ev->ibuf[k];
    else nv.x = ev->buf[k];
    e->I.slots[v->slot] = nv;
  }
  ev->nsize = (int)B;
  struct vi_val sv = r->m->I.slots[r->plate.size_slot];
  sv.ix = &ev->nsize;
  e->I.slots[r->plate.size_slot] = sv;
  e->row_w = u->row_w;
  e->glob_w = u->glob_w;
  if (r->rdim) { /* the unit's layout: per-row parameters with B rows */
    size_t off = 0;
    for (int i = 0; i < r->m->nparams; i++) {
      const struct vi_param *pp = &r->m->params[i];
      struct vi_param *q = &ev->params[i];
      *q = *pp;
      q->off = off;
      if (r->prow[i]) {
        q->dims[0] = (int)B;
        if (pp->decl->type.ndims) q->count = pp->count / N * B;
        else if (pp->decl->type.base == VI_T_ROW_VECTOR) q->cols = (int)B;
        else q->rows = (int)B;
        q->size = r->prow[i] * B;
      }
      off += q->size;
    }
    e->dim = off;
  }
}

/* Between the full theta and a unit's coordinates (global parameters as
 * they are, per-row ones for the unit's rows): back = 0 copies the unit's
 * coordinates of the full vector src into dst; back = 1 adds the unit's
 * gradient src into the full gradient dst. */
static void unit_map(const struct vi_rows *r, const struct unit *u, const double *src, double *dst, int back) {
  size_t off = 0;
  for (int i = 0; i < r->m->nparams; i++) {
    const struct vi_param *pp = &r->m->params[i];
    size_t b = r->prow[i] ? r->prow[i] : pp->size, nb = r->prow[i] ? u->count : 1;
    for (size_t k = 0; k < nb; k++, off += b) {
      size_t row = !r->prow[i] ? 0 : u->rows ? u->rows[k] : u->start + k;
      size_t fo = pp->off + row * b;
      if (back)
        for (size_t j = 0; j < b; j++) dst[fo + j] += src[off + j];
      else
        memcpy(dst + off, src + fo, b * sizeof *dst);
    }
  }
}

static void run_unit(void *ctx, size_t task, int worker) {
  struct vi_rows *r = ctx;
  struct evaluator *ev = &r->ev[worker];
  size_t k = (size_t)r->share.rank * r->nunits / (size_t)r->share.size + task;
  const struct unit *u = &r->units[k];
  size_t blk = 2 + (r->rdim ? r->udim : r->dim);
  double *out = r->res + k * r->M * blk;
  gather(r, ev, u);
  double *ut = r->rdim ? ev->ut : NULL;
  for (size_t m = 0; m < r->M; m++) {
    double *o = out + m * blk;
    if (ut) unit_map(r, u, r->theta + m * r->dim, ut, 0);
    int st = vi_model_log_density(ev->e, ut ? ut : r->theta + m * r->dim, &o[0], o + 2);
    o[1] = st || !isfinite(o[0]) ? 1.0 : 0.0;
  }
}

/* Evaluates the units at M points and reduces them in unit order. */
static int run_units(struct vi_rows *r, const struct unit *units, size_t nunits, size_t M, const double *theta,
                     double *lp, double *grad, int *status) {
  size_t blk = 2 + (r->rdim ? r->udim : r->dim);
  free(r->res);
  r->res = calloc(nunits * M * blk + 1, sizeof *r->res);
  if (!r->res) return -1;
  r->units = units;
  r->nunits = nunits;
  r->M = M;
  r->theta = theta;
  size_t lo = (size_t)r->share.rank * nunits / (size_t)r->share.size;
  size_t hi = (size_t)(r->share.rank + 1) * nunits / (size_t)r->share.size;
  vi_pool_run(r->pool, hi - lo, run_unit, r);
  if (r->share.size > 1 && r->share.share(r->share.ctx, r->res, nunits, M * blk)) return -1;
  for (size_t m = 0; m < M; m++) {
    double s = 0;
    int bad = 0;
    if (grad) memset(grad + m * r->dim, 0, r->dim * sizeof *grad);
    for (size_t k = 0; k < nunits; k++) {
      const double *o = r->res + (k * M + m) * blk;
      s += o[0];
      bad |= o[1] != 0;
      if (grad && r->rdim) unit_map(r, &units[k], o + 2, grad + m * r->dim, 1);
      else if (grad)
        for (size_t i = 0; i < r->dim; i++) grad[m * r->dim + i] += o[2 + i];
    }
    lp[m] = s;
    status[m] = bad;
  }
  return 0;
}

int vi_rows_full(struct vi_rows *r, size_t M, const double *theta, double *lp, double *grad, int *status) {
  size_t nu = (r->n + r->chunk - 1) / r->chunk;
  if (!nu) nu = 1;
  struct unit *u = calloc(nu, sizeof *u);
  if (!u) return -1;
  for (size_t k = 0; k < nu; k++) {
    u[k].start = k * r->chunk;
    u[k].count = k + 1 < nu ? r->chunk : r->n - k * r->chunk;
    u[k].row_w = 1;
    u[k].glob_w = k == 0;
  }
  int rc = run_units(r, u, nu, M, theta, lp, grad, status);
  free(u);
  return rc;
}

int vi_rows_batch(struct vi_rows *r, const uint32_t *rows, size_t B, size_t M, const double *theta, double *lp,
                  double *grad, int *status) {
  size_t nu = (B + r->chunk - 1) / r->chunk;
  if (!nu) nu = 1;
  struct unit *u = calloc(nu, sizeof *u);
  if (!u) return -1;
  double w = B ? (double)r->n / (double)B : 0;
  for (size_t k = 0; k < nu; k++) {
    u[k].rows = rows + k * r->chunk;
    u[k].count = k + 1 < nu ? r->chunk : B - k * r->chunk;
    u[k].row_w = w;
    u[k].glob_w = k == 0;
  }
  int rc = run_units(r, u, nu, M, theta, lp, grad, status);
  free(u);
  return rc;
}

/* ---- the fit ---- */

static void shuffle(uint32_t *p, size_t n, struct vi_rng *rng) {
  for (size_t i = 0; i < n; i++) p[i] = (uint32_t)i;
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(vi_rng_uniform(rng) * (double)i);
    if (j >= i) j = i - 1;
    uint32_t t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
}

/* K antithetic pairs of standard-normal draws (z and -z, M = 2K rows of
 * dim) whose second moment is exactly the identity when K >= dim (whitened
 * by the Cholesky factor of their moment), else per coordinate. */
static int fixed_draws(struct vi_rng *rng, double *z, size_t K, size_t d) {
  for (size_t k = 0; k < K; k++)
    for (size_t i = 0; i < d; i++) z[2 * k * d + i] = vi_rng_normal(rng);
  if (K >= d && d <= 200) {
    double *S = calloc(d * d + 1, sizeof *S);
    if (!S) return -1;
    for (size_t k = 0; k < K; k++)
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) S[i * d + j] += z[2 * k * d + i] * z[2 * k * d + j] / (double)K;
    for (size_t j = 0; j < d; j++) { /* Cholesky, lower, in place */
      double v = S[j * d + j];
      for (size_t k = 0; k < j; k++) v -= S[j * d + k] * S[j * d + k];
      if (!(v > 0)) {
        free(S);
        return -1;
      }
      S[j * d + j] = sqrt(v);
      for (size_t i = j + 1; i < d; i++) {
        double w = S[i * d + j];
        for (size_t k = 0; k < j; k++) w -= S[i * d + k] * S[j * d + k];
        S[i * d + j] = w / S[j * d + j];
      }
    }
    for (size_t k = 0; k < K; k++) { /* z <- L^{-1} z */
      double *x = z + 2 * k * d;
      for (size_t i = 0; i < d; i++) {
        double w = x[i];
        for (size_t j = 0; j < i; j++) w -= S[i * d + j] * x[j];
        x[i] = w / S[i * d + i];
      }
    }
    free(S);
  } else {
    for (size_t i = 0; i < d; i++) {
      double m2 = 0;
      for (size_t k = 0; k < K; k++) m2 += z[2 * k * d + i] * z[2 * k * d + i] / (double)K;
      for (size_t k = 0; k < K; k++) z[2 * k * d + i] /= sqrt(m2);
    }
  }
  for (size_t k = 0; k < K; k++)
    for (size_t i = 0; i < d; i++) z[(2 * k + 1) * d + i] = -z[2 * k * d + i];
  return 0;
}

/* The mean-field ELBO at (mu, omega) on the fixed draws z (S x dim), full
 * data; -inf when a draw cannot be evaluated. */
static double full_elbo(struct vi_rows *r, const double *mu, const double *omega, const uint8_t *pt, const double *z,
                        size_t S, double *theta, double *lp, int *status) {
  size_t d = r->dim, dq = 0;
  for (size_t s = 0; s < S; s++)
    for (size_t i = 0; i < d; i++) theta[s * d + i] = pt[i] ? mu[i] : mu[i] + exp(omega[i]) * z[s * d + i];
  if (vi_rows_full(r, S, theta, lp, NULL, status)) return -INFINITY;
  double e = 0;
  for (size_t s = 0; s < S; s++) {
    if (status[s]) return -INFINITY;
    e += lp[s];
  }
  e /= (double)S;
  for (size_t i = 0; i < d; i++)
    if (!pt[i]) {
      e += omega[i];
      dq++;
    }
  return e + 0.5 * (double)dq * (1 + log(2 * M_PI));
}

/* Gradient of the fixed-draw ELBO in the coordinates (u, v) of an epoch,
 * mu = ref + scale u and omega = ref_omega + v, at the point x (mu, omega)
 * from the M per-draw gradients gr of log p. entropy: add d/dv of the
 * entropy (1 each). Point coordinates (pt[i], @point) have a value only:
 * their omega does not move and adds no entropy. */
static void elbo_grad(size_t dim, size_t M, const double *x, const uint8_t *pt, const double *scale, const double *z,
                      const double *gr, int entropy, double *g) {
  for (size_t i = 0; i < dim; i++) {
    double gm = 0, gw = 0;
    for (size_t s = 0; s < M; s++) {
      gm += gr[s * dim + i];
      gw += gr[s * dim + i] * z[s * dim + i];
    }
    g[i] = gm / (double)M * scale[i];
    g[dim + i] = pt[i] ? 0 : gw / (double)M * exp(x[dim + i]) + (entropy ? 1 : 0);
  }
}

static void draw_points(size_t dim, size_t M, const double *x, const uint8_t *pt, const double *z, double *th) {
  for (size_t s = 0; s < M; s++)
    for (size_t i = 0; i < dim; i++) th[s * dim + i] = pt[i] ? x[i] : x[i] + exp(x[dim + i]) * z[s * dim + i];
}

enum vi_advi_stop vi_minibatch_fit(struct vi_rows *r, const struct vi_minibatch_options *o, struct vi_arena *arena,
                                   struct vi_advi_result *res, struct vi_diags *d) {
  size_t dim = r->dim, N = r->n, B = o->batch;
  size_t K = o->grad_samples > 1 ? (size_t)o->grad_samples : dim > 32 ? 32 : dim ? dim : 1;
  size_t M = 2 * K; /* fixed antithetic draws: every step and every ELBO uses all of them */
  memset(res, 0, sizeof *res);
  res->algorithm = VI_ALGO_MEANFIELD;
  res->optimizer = VI_OPT_ADAM;
  res->dim = dim;
  res->mc_change = NAN;
  res->eta = o->lr;
  if (B < 1 || B > N) {
    vi_error(d, (struct vi_srcloc){0}, "--batch-size %zu: the table has %zu rows", B, N);
    snprintf(res->reason, sizeof res->reason, "bad batch size");
    return VI_ADVI_ERROR;
  }
  size_t n2 = dim ? 2 * dim : 1;
  res->mu = vi_arena_array(arena, dim ? dim : 1, sizeof(double));
  res->omega = vi_arena_array(arena, dim ? dim : 1, sizeof(double));
  double *x = calloc(n2, sizeof *x), *g = calloc(n2, sizeof *g), *avg = calloc(n2, sizeof *avg);
  double *ref = calloc(n2, sizeof *ref), *u = calloc(n2, sizeof *u), *scale = calloc(n2, sizeof *scale);
  double *gfull = calloc(n2, sizeof *gfull), *gref = calloc(n2, sizeof *gref), *last = calloc(n2, sizeof *last);
  double *th = calloc(2 * M * dim + 1, sizeof *th), *gr = calloc(2 * M * dim + 1, sizeof *gr);
  double *z = calloc(M * dim + 1, sizeof *z), *zt = calloc(2 * dim + 1, sizeof *zt);
  double *lp = calloc(2 * M + 1, sizeof *lp);
  int *st = calloc(2 * M + 1, sizeof *st);
  uint32_t *perm = malloc((N ? N : 1) * sizeof *perm);
  uint8_t *pt = calloc(dim + 1, 1); /* @point coordinates: a value, no q */
  struct vi_adam adam = {n2, o->lr, 0, 0, 0, 0, calloc(n2, sizeof(double)), calloc(n2, sizeof(double))};
  enum vi_advi_stop stop = VI_ADVI_MAX_ITER;
  if (!res->mu || !res->omega || !x || !g || !avg || !ref || !u || !scale || !gfull || !gref || !last || !th ||
      !gr || !z || !zt || !lp || !st || !perm || !pt || !adam.m || !adam.v) {
    vi_error(d, (struct vi_srcloc){0}, "out of memory");
    stop = VI_ADVI_ERROR;
    goto done;
  }
  size_t npt = vi_model_point_kinds(r->m, pt);
  struct vi_rng rng;
  vi_rng_seed(&rng, o->seed, 0x6d62);
  for (size_t i = 0; i < dim; i++)
    x[i] = o->init ? o->init[i] : o->init_radius > 0 ? o->init_radius * (2 * vi_rng_uniform(&rng) - 1) : 0;
  /* the travelling phase uses one antithetic pair (its optimum is near the
   * fit's, at a tenth of the cost for ten parameters) */
  if (fixed_draws(&rng, z, K, dim) || fixed_draws(&rng, zt, 1, dim)) {
    vi_error(d, (struct vi_srcloc){0}, "out of memory");
    stop = VI_ADVI_ERROR;
    goto done;
  }
  double prev = full_elbo(r, x, x + dim, pt, zt, 2, th, lp, st);
  if (!isfinite(prev)) {
    vi_error(d, (struct vi_srcloc){0}, "the log density cannot be evaluated at the initial point");
    snprintf(res->reason, sizeof res->reason, "the initial point cannot be evaluated");
    stop = VI_ADVI_ERROR;
    goto done;
  }
  double lr = o->lr, step = 0.2, per = (double)(dim > npt ? dim - npt : 1), last_e = -INFINITY;
  int near = 0;
  size_t nb = (N + B - 1) / B;
  for (int ep = 1; ep <= o->epochs; ep++) {
    struct vi_rng prng;
    vi_rng_seed(&prng, o->seed, 0x5e00 + (uint64_t)ep);
    shuffle(perm, N, &prng);
    memcpy(ref, x, n2 * sizeof *x);
    memset(u, 0, n2 * sizeof *u);
    res->draws_m = ep; /* epochs run */
    if (near) {
      /* Variance-reduced steps (SVRG, Johnson & Zhang 2013) in posterior
       * sds: batch gradient at x, minus the same batch's at ref, plus the
       * full-data gradient at ref. Over a reshuffled epoch the batch terms
       * sum to the full data's, and the noise vanishes as x nears ref. */
      /* a point coordinate has no sd: 1/sqrt(N) stands for it (the scale of
       * a parameter that every row informs alike) */
      for (size_t i = 0; i < dim; i++) scale[i] = pt[i] ? 1 / sqrt((double)(N ? N : 1)) : exp(ref[dim + i]);
      draw_points(dim, M, ref, pt, z, th);
      if (vi_rows_full(r, M, th, lp, gr, st)) goto nomem;
      double e = 0;
      int bad = 0;
      for (size_t s = 0; s < M; s++) {
        e += lp[s] / (double)M;
        bad |= st[s];
      }
      for (size_t i = 0; i < dim; i++) e += pt[i] ? 0 : ref[dim + i];
      e += 0.5 * (double)(dim - npt) * (1 + log(2 * M_PI));
      res->grad_evals += (long)M;
      if (bad || !(e >= last_e)) { /* the last epoch went downhill: back, with half the step */
        memcpy(x, last, n2 * sizeof *x);
        step *= 0.5;
        if (step < 1e-4) {
          snprintf(res->reason, sizeof res->reason, "the step became too small");
          break;
        }
        continue;
      }
      elbo_grad(dim, M, ref, pt, scale, z, gr, 1, gfull);
      if (o->progress) o->progress(o->progress_ctx, ep, e, vi_optim_gmax(gfull, n2));
      prev = last_e = e;
      memcpy(last, ref, n2 * sizeof *ref);
      if (vi_optim_gmax(gfull, n2) < 1e-3 * sqrt(per) + 1e-3) {
        stop = VI_ADVI_CONVERGED;
        snprintf(res->reason, sizeof res->reason, "full-data gradient %.2g in posterior sds after %d epochs",
                 vi_optim_gmax(gfull, n2), ep - 1);
        break;
      }
      for (size_t k = 0; k < nb; k++) {
        if (o->cancel && *o->cancel) {
          stop = VI_ADVI_INTERRUPTED;
          goto out;
        }
        size_t b = k + 1 < nb ? B : N - k * B;
        for (size_t i = 0; i < dim; i++) {
          x[i] = ref[i] + scale[i] * u[i];
          x[dim + i] = ref[dim + i] + u[dim + i];
        }
        draw_points(dim, M, x, pt, z, th);
        draw_points(dim, M, ref, pt, z, th + M * dim);
        if (vi_rows_batch(r, perm + k * B, b, 2 * M, th, lp, gr, st)) goto nomem;
        res->grad_evals += (long)(2 * M);
        bad = 0;
        for (size_t s = 0; s < 2 * M; s++) bad |= st[s];
        if (bad) continue;
        elbo_grad(dim, M, x, pt, scale, z, gr, 0, g);
        elbo_grad(dim, M, ref, pt, scale, z, gr + M * dim, 0, gref);
        for (size_t i = 0; i < n2; i++) {
          double dv = step * (g[i] - gref[i] + gfull[i]);
          u[i] += dv > 1 ? 1 : dv < -1 ? -1 : dv; /* at most one sd per step */
        }
        res->iterations++;
      }
      for (size_t i = 0; i < dim; i++) {
        x[i] = ref[i] + scale[i] * u[i];
        x[dim + i] = ref[dim + i] + u[dim + i];
      }
      continue;
    }
    /* Far from the optimum: Adam in the model's own coordinates, the
     * epoch's average iterate. */
    for (size_t i = 0; i < dim; i++) scale[i] = 1;
    memset(avg, 0, n2 * sizeof *avg);
    adam.lr = lr;
    vi_adam_init(&adam);
    size_t steps = 0;
    for (size_t k = 0; k < nb; k++) {
      if (o->cancel && *o->cancel) {
        stop = VI_ADVI_INTERRUPTED;
        goto out;
      }
      size_t b = k + 1 < nb ? B : N - k * B;
      for (size_t i = 0; i < n2; i++) x[i] = ref[i] + u[i];
      draw_points(dim, 2, x, pt, zt, th);
      if (vi_rows_batch(r, perm + k * B, b, 2, th, lp, gr, st)) goto nomem;
      res->grad_evals += 2;
      int bad = 0;
      for (size_t s = 0; s < 2; s++) bad |= st[s];
      if (bad) continue;
      elbo_grad(dim, 2, x, pt, scale, zt, gr, 1, g);
      vi_adam_step(&adam, u, g);
      res->iterations++;
      steps++;
      for (size_t i = 0; i < n2; i++) avg[i] += (u[i] - avg[i]) / (double)steps;
    }
    for (size_t i = 0; i < n2; i++) x[i] = ref[i] + avg[i];
    double e = full_elbo(r, x, x + dim, pt, zt, 2, th, lp, st);
    if (o->progress) o->progress(o->progress_ctx, ep, e, fabs((e - prev) / e));
    if (!isfinite(e) || e < prev) {
      memcpy(x, ref, n2 * sizeof *x);
      near = 1;
    } else {
      near = e - prev < per;
      prev = e;
    }
    memcpy(last, x, n2 * sizeof *x);
  }
  goto out;
nomem:
  vi_error(d, (struct vi_srcloc){0}, "out of memory");
  stop = VI_ADVI_ERROR;
  goto done;
out:
  memcpy(res->mu, stop == VI_ADVI_CONVERGED ? ref : x, dim * sizeof *x);
  memcpy(res->omega, (stop == VI_ADVI_CONVERGED ? ref : x) + dim, dim * sizeof *x);
  for (size_t i = 0; i < dim; i++)
    if (pt[i]) res->omega[i] = -INFINITY; /* as runtime/point.c reports a point value */
  res->elbo = prev;
  res->converged = stop == VI_ADVI_CONVERGED;
  if (stop == VI_ADVI_MAX_ITER && !res->reason[0]) snprintf(res->reason, sizeof res->reason, "%d epochs run", o->epochs);
  if (stop == VI_ADVI_INTERRUPTED) snprintf(res->reason, sizeof res->reason, "interrupted");
done:
  free(x);
  free(g);
  free(avg);
  free(ref);
  free(u);
  free(scale);
  free(gfull);
  free(gref);
  free(last);
  free(th);
  free(gr);
  free(z);
  free(zt);
  free(lp);
  free(st);
  free(perm);
  free(pt);
  free(adam.m);
  free(adam.v);
  res->stop = stop;
  return stop;
}
