/* point.c: point-estimated parameters (variational EM, include/vi/point.h):
 * dropping the prior terms of @point(ml) parameters, marking --point and
 * --pin parameters, and the fit of q jointly with (or alternating with) the
 * point values on fixed draws. */
#include "vi/point.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "vi/family.h"
#include "vi/optim.h"
#include "vi/rng.h"

/* ---- @point(ml): separating the prior terms ---- */

struct dropper {
  const struct vi_symtab *st;
  struct vi_diags *d;
  int nerr;
};

/* The @point(ml) parameter e names (bare), or NULL. */
static const struct vi_decl *ml_param(const struct dropper *k, const struct vi_expr *e) {
  if (e->kind == VI_E_PAREN) return ml_param(k, e->u.un.a);
  if (e->kind != VI_E_VAR || e->u.var.slot < 0 || e->u.var.slot >= k->st->nslots) return NULL;
  const struct vi_decl *dc = k->st->decl[e->u.var.slot];
  return dc && k->st->block[e->u.var.slot] == VI_BLK_PARAMS && dc->point == VI_POINT_ML ? dc : NULL;
}

/* P or P[data indices]: the @point(ml) parameter, else NULL. */
static const struct vi_decl *ml_target(const struct dropper *k, const struct vi_expr *e) {
  if (e->kind == VI_E_INDEX) {
    for (int i = 0; i < e->u.index.nix; i++) {
      const struct vi_index *ix = &e->u.index.ix[i];
      if ((ix->lo && !ix->lo->is_data) || (ix->hi && !ix->hi->is_data)) return NULL;
    }
    return ml_param(k, e->u.index.a);
  }
  return ml_param(k, e);
}

/* How e depends on parameters: 1 bit: an @point(ml) parameter directly
 * (*which set to it); 2 bit: a transformed parameter or a model-block local
 * (which may be computed from any parameter); 4 bit: another parameter. */
static int deps(const struct dropper *k, const struct vi_expr *e, const struct vi_decl **which) {
  if (!e || e->is_data) return 0;
  int r = 0;
  switch (e->kind) {
  case VI_E_VAR: {
    const struct vi_decl *p = ml_param(k, e);
    if (p) {
      if (which && !*which) *which = p;
      return 1;
    }
    int s = e->u.var.slot;
    return s >= 0 && s < k->st->nslots && k->st->block[s] == VI_BLK_PARAMS ? 4 : 2;
  }
  case VI_E_BINARY: return deps(k, e->u.bin.a, which) | deps(k, e->u.bin.b, which);
  case VI_E_UNARY:
  case VI_E_PAREN: return deps(k, e->u.un.a, which);
  case VI_E_COND:
    return deps(k, e->u.cond.c, which) | deps(k, e->u.cond.a, which) | deps(k, e->u.cond.b, which);
  case VI_E_CALL:
    for (int i = 0; i < e->u.call.nargs; i++) r |= deps(k, e->u.call.args[i], which);
    return r;
  case VI_E_INDEX:
    r = deps(k, e->u.index.a, which);
    for (int i = 0; i < e->u.index.nix; i++)
      r |= deps(k, e->u.index.ix[i].lo, which) | deps(k, e->u.index.ix[i].hi, which);
    return r;
  case VI_E_ARRAY:
  case VI_E_ROWVEC:
    for (int i = 0; i < e->u.list.n; i++) r |= deps(k, e->u.list.elems[i], which);
    return r;
  default: return 0;
  }
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && !strcmp(s + n - m, suf);
}

static int is_density_call(const struct vi_expr *e) {
  return e->kind == VI_E_CALL && e->u.call.nargs >= 1 &&
         (ends_with(e->u.call.name, "_lpdf") || ends_with(e->u.call.name, "_lupdf") ||
          ends_with(e->u.call.name, "_lpmf") || ends_with(e->u.call.name, "_lupmf"));
}

/* User `_lp` functions called with arguments that depend on parameters add
 * to the target where we cannot see: an error when any @point(ml) exists. */
static void check_lp_calls(struct dropper *k, const struct vi_expr *e) {
  if (!e) return;
  switch (e->kind) {
  case VI_E_CALL:
    if (ends_with(e->u.call.name, "_lp"))
      for (int i = 0; i < e->u.call.nargs; i++)
        if (deps(k, e->u.call.args[i], NULL)) {
          vi_error(k->d, e->loc, "'%s' adds to the target with arguments that depend on parameters: vi cannot "
                   "separate the prior terms of the @point(ml) parameters (use @point)", e->u.call.name);
          k->nerr++;
          return;
        }
    for (int i = 0; i < e->u.call.nargs; i++) check_lp_calls(k, e->u.call.args[i]);
    return;
  case VI_E_BINARY:
    check_lp_calls(k, e->u.bin.a);
    check_lp_calls(k, e->u.bin.b);
    return;
  case VI_E_UNARY:
  case VI_E_PAREN: check_lp_calls(k, e->u.un.a); return;
  case VI_E_COND:
    check_lp_calls(k, e->u.cond.c);
    check_lp_calls(k, e->u.cond.a);
    check_lp_calls(k, e->u.cond.b);
    return;
  default: return;
  }
}

/* One additive term of a `target +=`: returns 1 when it is a prior term to
 * drop, 0 to keep it; errors where it cannot be told. */
static int target_term(struct dropper *k, const struct vi_expr *t) {
  static const struct vi_decl unknown = {.name = "(through a transformed parameter or local)"};
  const struct vi_decl *p = NULL;
  if (is_density_call(t)) {
    const struct vi_decl *lhs = ml_target(k, t->u.call.args[0]);
    if (lhs) {
      for (int i = 1; i < t->u.call.nargs; i++)
        if (!t->u.call.args[i]->is_data) {
          vi_error(k->d, t->loc, "cannot drop the prior of @point(ml) parameter '%s': the arguments of '%s' "
                   "depend on parameters (give it data-only arguments, or use @point)", lhs->name, t->u.call.name);
          k->nerr++;
          return 0;
        }
      return 1;
    }
    if (deps(k, t->u.call.args[0], &p) & 3) {
      if (!p) p = &unknown;
      vi_error(k->d, t->loc, "the first argument of '%s' depends on @point(ml) parameter '%s': vi cannot tell "
               "whether this term is its prior (write 'target += dist_lpdf(%s | ...)', or use @point)",
               t->u.call.name, p->name, p->name);
      k->nerr++;
    }
    return 0;
  }
  if (deps(k, t, &p) & 3) {
    if (!p) p = &unknown;
    vi_error(k->d, t->loc, "this 'target +=' term depends on @point(ml) parameter '%s' but is not a density "
             "call: vi cannot tell whether it is its prior (write it as a '~' statement or a _lpdf call "
             "with data as the first argument, or use @point)", p->name);
    k->nerr++;
  }
  return 0;
}

/* Walks the additive terms of *ep (through + and parentheses); dropped
 * terms become the literal 0. Returns 1 when every term was dropped. */
static int target_sum(struct dropper *k, struct vi_expr **ep) {
  struct vi_expr *e = *ep;
  if (e->kind == VI_E_PAREN) return target_sum(k, &e->u.un.a);
  if (e->kind == VI_E_BINARY && e->u.bin.op == VI_OP_ADD) {
    int a = target_sum(k, &e->u.bin.a);
    int b = target_sum(k, &e->u.bin.b);
    return a && b;
  }
  if (!target_term(k, e)) return 0;
  e->kind = VI_E_REAL; /* the lpdf returned a real: so does the literal */
  e->u.rval = 0;
  e->is_data = 1;
  e->type = (struct vi_type){VI_T_REAL, 0};
  e->depth = 1;
  return 1;
}

static void drop_stmt(struct dropper *k, struct vi_stmt *s) {
  if (!s) return;
  switch (s->kind) {
  case VI_S_TILDE: {
    const struct vi_decl *p = NULL;
    const struct vi_decl *lhs = ml_target(k, s->u.tilde.lhs);
    for (int i = 0; i < s->u.tilde.nargs; i++) check_lp_calls(k, s->u.tilde.args[i]);
    if (lhs) {
      int ok = 1;
      for (int i = 0; i < s->u.tilde.nargs; i++) ok &= s->u.tilde.args[i]->is_data;
      if (s->u.tilde.trunc_lo) ok &= s->u.tilde.trunc_lo->is_data;
      if (s->u.tilde.trunc_hi) ok &= s->u.tilde.trunc_hi->is_data;
      if (!ok) {
        vi_error(k->d, s->loc, "cannot drop the prior of @point(ml) parameter '%s': its distribution's "
                 "arguments depend on parameters (give it data-only arguments, or use @point)", lhs->name);
        k->nerr++;
        return;
      }
      s->kind = VI_S_EMPTY;
      return;
    }
    int dl = deps(k, s->u.tilde.lhs, &p);
    if (dl & 1) {
      vi_error(k->d, s->loc, "the left side of this '~' is an expression of @point(ml) parameter '%s': vi "
               "cannot tell whether it is its prior (write '%s ~ ...' with data-only arguments, or use @point)",
               p->name, p->name);
      k->nerr++;
    } else if (dl & 2) { /* a transformed parameter or local: it may be computed from an ML parameter */
      vi_error(k->d, s->loc, "the left side of this '~' is computed from parameters, and may depend on a "
               "@point(ml) parameter: vi cannot separate its prior terms (use @point)");
      k->nerr++;
    }
    return;
  }
  case VI_S_TARGET:
    check_lp_calls(k, s->u.expr);
    if (target_sum(k, &s->u.expr)) s->kind = VI_S_EMPTY;
    return;
  case VI_S_EXPR:
  case VI_S_DECL:
  case VI_S_ASSIGN:
    check_lp_calls(k, s->kind == VI_S_EXPR ? s->u.expr : s->kind == VI_S_ASSIGN ? s->u.assign.rhs
                                                                                  : s->u.decl->init);
    return;
  case VI_S_FOR:
  case VI_S_FOREACH:
  case VI_S_WHILE: drop_stmt(k, s->u.loop.body); return;
  case VI_S_IF:
    drop_stmt(k, s->u.ifs.then);
    drop_stmt(k, s->u.ifs.els);
    return;
  case VI_S_BLOCK:
    for (int i = 0; i < s->u.block.n; i++) drop_stmt(k, s->u.block.stmts[i]);
    return;
  default: return;
  }
}

int vi_point_drop_priors(struct vi_program *p, const struct vi_symtab *st, struct vi_diags *d) {
  int any = 0;
  for (int i = 0; i < p->nbody[VI_BLK_PARAMS]; i++) {
    const struct vi_stmt *s = p->body[VI_BLK_PARAMS][i];
    any |= s->kind == VI_S_DECL && s->u.decl->point == VI_POINT_ML;
  }
  if (!any) return VI_OK;
  struct dropper k = {st, d, 0};
  for (int i = 0; i < p->nbody[VI_BLK_MODEL]; i++) drop_stmt(&k, p->body[VI_BLK_MODEL][i]);
  return k.nerr ? VI_ERR_TYPE : VI_OK;
}

/* ---- marking parameters ---- */

int vi_model_set_point(struct vi_model *m, const char *name, int kind, struct vi_diags *d) {
  for (int i = 0; i < m->nparams; i++)
    if (!strcmp(m->params[i].decl->name, name)) {
      if (m->params[i].point != VI_POINT_ML || kind == VI_POINT_PIN) m->params[i].point = (uint8_t)kind;
      m->recorded = 0; /* the Jacobian terms change: record again */
      for (int k = 0; k < m->nevals; k++) m->evals[k]->recorded = 0;
      return VI_OK;
    }
  char names[512] = "";
  size_t n = 0;
  for (int i = 0; i < m->nparams && n < sizeof names - 64; i++)
    n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", m->params[i].decl->name);
  vi_error(d, (struct vi_srcloc){0}, "--point: '%s' is not a parameter of the model (its parameters: %s)", name,
           m->nparams ? names : "none");
  return VI_ERR_USAGE;
}

int vi_model_pin_json(struct vi_model *m, const char *path, double *theta, struct vi_diags *d) {
  unsigned char *given = calloc((size_t)m->nparams + 1, 1);
  double *tmp = calloc(m->dim + 1, sizeof *tmp);
  if (!given || !tmp) {
    free(given);
    free(tmp);
    return VI_ERR_NOMEM;
  }
  int r = vi_bind_param_json(m, path, "pinned", 0, 0, tmp, given, d);
  for (int i = 0; !r && i < m->nparams; i++) {
    if (!given[i]) continue;
    const struct vi_param *pp = &m->params[i];
    memcpy(theta + pp->off, tmp + pp->off, pp->size * sizeof *tmp);
    vi_model_set_point(m, pp->decl->name, VI_POINT_PIN, d);
  }
  free(given);
  free(tmp);
  return r;
}

size_t vi_model_point_kinds(const struct vi_model *m, uint8_t *kind) {
  size_t n = 0;
  for (int i = 0; i < m->nparams; i++) {
    const struct vi_param *pp = &m->params[i];
    for (size_t k = 0; k < pp->size; k++) kind[pp->off + k] = pp->point;
    if (pp->point) n += pp->size;
  }
  return n;
}

/* ---- the fit ---- */

void vi_point_options_default(struct vi_point_options *o, const struct vi_advi_options *advi) {
  memset(o, 0, sizeof *o);
  o->advi = advi;
  o->em = VI_EM_JOINT;
  o->max_sweeps = 500;
  o->grad_tol = 1e-6;
}

struct pfit {
  struct vi_model *m;
  size_t dim, dq, nu, npar, M;
  size_t *qi, *ui;     /* coordinates of q (dq) and of the point values (nu) */
  double *base;        /* dim: pinned values (and the point values in mode 1) */
  struct vi_q q;
  double *eta;         /* M x dq: fixed draws */
  double *theta, *lp, *grad, *acc; /* M x dim, M, M x dim, npar */
  int *status;
  double *x;           /* npar + nu: the joint vector (phi, u) */
  int mode;            /* 0: x is (phi, u); 1: x is phi (u fixed); 2: x is u (phi fixed) */
  volatile sig_atomic_t *cancel; /* may be NULL */
  long evals;
};

/* F at the joint vector j (phi, u) and its gradient gj; returns 0 or 1
 * (cannot evaluate). */
static int joint_eval(struct pfit *f, const double *j, double *F, double *gj) {
  if (f->npar) {
    memcpy(f->q.phi, j, f->npar * sizeof *j);
    vi_q_prepare(&f->q);
  }
  double *tq = f->acc + f->npar; /* scratch dq */
  for (size_t s = 0; s < f->M; s++) {
    double *th = f->theta + s * f->dim;
    memcpy(th, f->base, f->dim * sizeof *th);
    if (f->dq) {
      vi_q_draw(&f->q, f->eta + s * f->dq, tq);
      for (size_t i = 0; i < f->dq; i++) th[f->qi[i]] = tq[i];
    }
    for (size_t i = 0; i < f->nu; i++) th[f->ui[i]] = j[f->npar + i];
  }
  f->evals += (long)f->M;
  if (vi_model_log_density_batch(f->m, f->M, f->theta, f->lp, f->grad, f->status)) return 1;
  double mean = 0;
  for (size_t s = 0; s < f->M; s++) {
    if (!isfinite(f->lp[s])) return 1;
    mean += f->lp[s];
  }
  mean /= (double)f->M;
  memset(f->acc, 0, f->npar * sizeof *f->acc);
  memset(gj + f->npar, 0, f->nu * sizeof *gj);
  for (size_t s = 0; s < f->M; s++) {
    const double *g = f->grad + s * f->dim;
    if (f->dq) {
      for (size_t i = 0; i < f->dq; i++) tq[i] = g[f->qi[i]];
      vi_q_pull(&f->q, f->eta + s * f->dq, tq, f->acc);
    }
    for (size_t i = 0; i < f->nu; i++) gj[f->npar + i] += g[f->ui[i]] / (double)f->M;
  }
  double H = 0;
  if (f->dq) {
    vi_q_finish(&f->q, (double)f->M, f->acc);
    H = f->q.fam->entropy(&f->q);
  }
  memcpy(gj, f->acc, f->npar * sizeof *gj);
  *F = mean + H;
  return isfinite(*F) ? 0 : 1;
}

/* The L-BFGS callback: minimises -F over the block the mode selects. */
static int pfit_eval(void *ctx, const double *x, double *fx, double *gx) {
  struct pfit *f = ctx;
  size_t n = f->npar + f->nu;
  double *j = f->x + n, *gj = f->x + 2 * n; /* scratch copies */
  memcpy(j, f->x, n * sizeof *j);
  if (f->mode == 0) memcpy(j, x, n * sizeof *j);
  else if (f->mode == 1) memcpy(j, x, f->npar * sizeof *j);
  else memcpy(j + f->npar, x, f->nu * sizeof *j);
  double F;
  if (joint_eval(f, j, &F, gj)) return 1;
  *fx = -F;
  const double *g = f->mode == 2 ? gj + f->npar : gj;
  size_t k = f->mode == 0 ? n : f->mode == 1 ? f->npar : f->nu;
  for (size_t i = 0; i < k; i++) gx[i] = -g[i];
  return 0;
}

static int pfit_cancelled(void *ctx) {
  const struct pfit *f = ctx;
  return f->cancel && *f->cancel;
}

/* One L-BFGS run over the mode's block of f->x; updates f->x. */
static enum vi_lbfgs_end pfit_run(struct pfit *f, int mode, double tol, int max_it, int *iters, double *F,
                                  struct vi_arena *work) {
  f->mode = mode;
  size_t n = f->npar + f->nu;
  size_t off = mode == 2 ? f->npar : 0, k = mode == 0 ? n : mode == 1 ? f->npar : f->nu;
  if (!k) {
    double *gj = f->x + 2 * n;
    if (joint_eval(f, f->x, F, gj)) return VI_LBFGS_STALLED;
    return VI_LBFGS_OK;
  }
  double *x = vi_arena_array(work, k, sizeof *x), *g = vi_arena_array(work, k, sizeof *g), fx;
  if (!x || !g) return VI_LBFGS_STALLED;
  memcpy(x, f->x + off, k * sizeof *x);
  if (pfit_eval(f, x, &fx, g)) return VI_LBFGS_STALLED;
  struct vi_lbfgs_problem p = {k, pfit_eval, f, NULL, pfit_cancelled, f};
  enum vi_lbfgs_end e = vi_lbfgs_minimize(&p, x, &fx, g, tol, max_it, iters, work);
  memcpy(f->x + off, x, k * sizeof *x);
  *F = -fx;
  return e;
}

/* M fixed draws: antithetic pairs, whitened to an exact identity second
 * moment when there are at least dq pairs (so the expectation of any
 * quadratic in the q coordinates is exact), else scaled per coordinate. */
static int make_draws(struct pfit *f, uint64_t seed, struct vi_arena *a) {
  size_t dq = f->dq, half = f->M / 2;
  f->eta = vi_arena_array(a, f->M * dq + 1, sizeof *f->eta);
  double *S = vi_arena_array(a, dq * dq + 1, sizeof *S);
  if (!f->eta || !S) return VI_ERR_NOMEM;
  struct vi_rng r;
  vi_rng_seed(&r, seed, 0x7017 + f->M);
  for (size_t s = 0; s < half; s++)
    for (size_t i = 0; i < dq; i++) f->eta[2 * s * dq + i] = vi_rng_normal(&r);
  if (half >= dq) {
    memset(S, 0, dq * dq * sizeof *S);
    for (size_t s = 0; s < half; s++) {
      const double *e = f->eta + 2 * s * dq;
      for (size_t i = 0; i < dq; i++)
        for (size_t j = 0; j <= i; j++) S[i * dq + j] += e[i] * e[j] / (double)half;
    }
    for (size_t j = 0; j < dq; j++) { /* Cholesky in place, lower */
      double v = S[j * dq + j];
      for (size_t k = 0; k < j; k++) v -= S[j * dq + k] * S[j * dq + k];
      if (!(v > 0)) return VI_ERR_EVAL;
      S[j * dq + j] = sqrt(v);
      for (size_t i = j + 1; i < dq; i++) {
        double w = S[i * dq + j];
        for (size_t k = 0; k < j; k++) w -= S[i * dq + k] * S[j * dq + k];
        S[i * dq + j] = w / S[j * dq + j];
      }
    }
    for (size_t s = 0; s < half; s++) { /* e = C^{-1} e */
      double *e = f->eta + 2 * s * dq;
      for (size_t i = 0; i < dq; i++) {
        double w = e[i];
        for (size_t k = 0; k < i; k++) w -= S[i * dq + k] * e[k];
        e[i] = w / S[i * dq + i];
      }
    }
  } else {
    for (size_t i = 0; i < dq; i++) {
      double v = 0;
      for (size_t s = 0; s < half; s++) v += f->eta[2 * s * dq + i] * f->eta[2 * s * dq + i] / (double)half;
      for (size_t s = 0; s < half; s++) f->eta[2 * s * dq + i] /= sqrt(v);
    }
  }
  for (size_t s = 0; s < half; s++)
    for (size_t i = 0; i < dq; i++) f->eta[(2 * s + 1) * dq + i] = -f->eta[2 * s * dq + i];
  return VI_OK;
}

static int alloc_batch(struct pfit *f, struct vi_arena *a) {
  f->theta = vi_arena_array(a, f->M * f->dim + 1, sizeof *f->theta);
  f->grad = vi_arena_array(a, f->M * f->dim + 1, sizeof *f->grad);
  f->lp = vi_arena_array(a, f->M + 1, sizeof *f->lp);
  f->status = vi_arena_array(a, f->M + 1, sizeof *f->status);
  return f->theta && f->grad && f->lp && f->status ? VI_OK : VI_ERR_NOMEM;
}

/* The sd of q coordinate i (for the Monte Carlo check). */
static double q_sd(const struct pfit *f, size_t i) {
  if (f->q.fam == &vi_families[VI_FAMILY_MEANFIELD]) return exp(f->q.phi[f->dq + i]);
  const double *L = f->q.scratch;
  double v = 0;
  for (size_t j = 0; j <= i; j++) v += L[i * f->dq + j] * L[i * f->dq + j];
  return sqrt(v);
}

static enum vi_advi_stop fail(struct vi_advi_result *res, struct vi_diags *d, const char *msg) {
  snprintf(res->reason, sizeof res->reason, "%s", msg);
  res->stop = VI_ADVI_ERROR;
  vi_error(d, (struct vi_srcloc){0}, "%s", msg);
  return VI_ADVI_ERROR;
}

enum vi_advi_stop vi_point_fit(struct vi_model *m, const struct vi_point_options *o, struct vi_arena *arena,
                               struct vi_advi_result *res, struct vi_diags *d) {
  const struct vi_advi_options *ao = o->advi;
  struct pfit f;
  memset(&f, 0, sizeof f);
  memset(res, 0, sizeof *res);
  f.m = m;
  f.cancel = ao->cancel;
  f.dim = vi_model_dim(m);
  size_t dim = f.dim;
  uint8_t *kind = vi_arena_array(arena, dim + 1, 1);
  f.qi = vi_arena_array(arena, dim + 1, sizeof *f.qi);
  f.ui = vi_arena_array(arena, dim + 1, sizeof *f.ui);
  f.base = vi_arena_array(arena, dim + 1, sizeof *f.base);
  if (!kind || !f.qi || !f.ui || !f.base) return fail(res, d, "out of memory");
  vi_model_point_kinds(m, kind);
  struct vi_rng r;
  vi_rng_seed(&r, ao->seed, 0x1a17);
  for (size_t i = 0; i < dim; i++) {
    f.base[i] = ao->init ? ao->init[i] : ao->init_radius * (2 * vi_rng_uniform(&r) - 1);
    if (kind[i] == VI_POINT_PIN && o->pinned) f.base[i] = o->pinned[i];
    if (kind[i] == VI_POINT_NONE) f.qi[f.dq++] = i;
    else if (kind[i] != VI_POINT_PIN) f.ui[f.nu++] = i;
  }
  int full = ao->algorithm == VI_ALGO_FULLRANK || (ao->algorithm == VI_ALGO_AUTO && f.dq <= 100);
  if (ao->algorithm == VI_ALGO_LOWRANK) return fail(res, d, "--algorithm lowrank does not fit point parameters; "
                                                            "use auto, meanfield or fullrank");
  enum vi_family_id fam = full ? VI_FAMILY_CHOLESKY : VI_FAMILY_MEANFIELD;
  f.npar = f.dq ? vi_family_nparams(fam, f.dq, 0) : 0;
  size_t nsc = f.dq ? vi_family_nscratch(fam, f.dq, 0) : 0;
  size_t n = f.npar + f.nu;
  double *phi = vi_arena_array(arena, f.npar + 1, sizeof *phi), *sc = vi_arena_array(arena, nsc + 1, sizeof *sc);
  f.x = vi_arena_array(arena, 3 * n + 1, sizeof *f.x);
  f.acc = vi_arena_array(arena, f.npar + f.dq + 1, sizeof *f.acc);
  double *prev = vi_arena_array(arena, n + 1, sizeof *prev), *mu0 = vi_arena_array(arena, f.dq + 1, sizeof *mu0);
  if (f.npar == (size_t)-1 || !phi || !sc || !f.x || !f.acc || !prev || !mu0) return fail(res, d, "out of memory");
  if (f.dq) {
    vi_q_init(&f.q, fam, f.dq, 0, phi, sc);
    for (size_t i = 0; i < f.dq; i++) mu0[i] = f.base[f.qi[i]];
    f.q.fam->reset(&f.q, mu0);
    vi_q_prepare(&f.q);
    memcpy(f.x, phi, f.npar * sizeof *phi);
  }
  for (size_t i = 0; i < f.nu; i++) f.x[f.npar + i] = f.base[f.ui[i]];
  int draws_start = ao->draws_start > 0 ? ao->draws_start : 16, draws_max = ao->draws_max > 0 ? ao->draws_max : 2048;
  size_t M = f.dq ? (size_t)draws_start : 1;
  if (f.dq && M < 2 * f.dq) M = 2 * f.dq;
  if (f.dq) M += M & 1;
  int max_it = ao->iter > 0 ? ao->iter : 1000, iters = 0, converged = 0, sweeps = 0;
  double F = -INFINITY, mc = NAN;
  const char *why = "";
  for (int stage = 0;; stage++) {
    f.M = M;
    if ((f.dq && make_draws(&f, ao->seed, arena)) || alloc_batch(&f, arena))
      return fail(res, d, "out of memory for the fixed draws");
    memcpy(prev, f.x, n * sizeof *prev);
    enum vi_lbfgs_end e;
    if (o->em == VI_EM_JOINT || !f.dq || !f.nu) {
      /* L-BFGS restarted (its curvature memory dropped) while a run stalls
       * and still gains: the scales of q and of the points differ widely */
      double Fprev = -INFINITY;
      for (int rs = 0; rs < 50; rs++) {
        e = pfit_run(&f, 0, o->grad_tol, max_it, &iters, &F, arena);
        if (e != VI_LBFGS_STALLED || !(F - Fprev > 1e-12 * (1 + fabs(F)))) break;
        Fprev = F;
      }
    } else {
      /* classic EM: q with the points fixed, then the points with q fixed;
       * each run starts where the last ended, so F never decreases */
      double Fprev = -INFINITY;
      e = VI_LBFGS_MAXIT;
      for (int s = 0; s < o->max_sweeps; s++) {
        double F1;
        enum vi_lbfgs_end e1 = pfit_run(&f, 1, o->grad_tol, max_it, &iters, &F1, arena);
        enum vi_lbfgs_end e2 = pfit_run(&f, 2, o->grad_tol, max_it, &iters, &F, arena);
        sweeps++;
        if (o->on_sweep) o->on_sweep(o->sweep_ctx, sweeps, F);
        if (e1 == VI_LBFGS_CANCEL || e2 == VI_LBFGS_CANCEL || (ao->cancel && *ao->cancel)) {
          e = VI_LBFGS_CANCEL;
          break;
        }
        if (F - Fprev <= 1e-10 * (1 + fabs(F))) {
          e = VI_LBFGS_OK;
          break;
        }
        Fprev = F;
      }
    }
    if (ao->cancel && *ao->cancel) {
      res->stop = VI_ADVI_INTERRUPTED;
      return VI_ADVI_INTERRUPTED;
    }
    if (!isfinite(F)) return fail(res, d, "the log density cannot be evaluated at the initial point or along the fit");
    converged = e == VI_LBFGS_OK || e == VI_LBFGS_STALLED;
    why = e == VI_LBFGS_OK ? "gradient below tolerance" : e == VI_LBFGS_STALLED ? "no further decrease"
                                                                             : "iteration limit";
    if (!f.dq) break;
    if (stage > 0) {
      /* the Monte Carlo check: how far the fit moved when M doubled */
      double ch = 0;
      for (size_t i = 0; i < f.dq; i++) {
        double c = fabs(f.x[i] - prev[i]) / q_sd(&f, i);
        if (c > ch) ch = c;
      }
      for (size_t i = 0; i < f.nu; i++) {
        double c = fabs(f.x[f.npar + i] - prev[f.npar + i]) / (1 + fabs(prev[f.npar + i]));
        if (c > ch) ch = c;
      }
      mc = ch;
      if (ch < (ao->mc_tol > 0 ? ao->mc_tol : 0.05)) break;
    }
    if (M * 2 > (size_t)draws_max) {
      if (stage > 0) converged = 0, why = "the fit still moves when the draws double (at --draws-max)";
      break;
    }
    M *= 2;
  }
  /* the result, in vi_advi_result's layout */
  res->algorithm = full ? VI_ALGO_FULLRANK : VI_ALGO_MEANFIELD;
  res->optimizer = VI_OPT_LBFGS;
  res->dim = dim;
  res->iterations = iters;
  res->grad_evals = f.evals;
  res->elbo = F;
  res->draws_m = (int)f.M;
  res->mc_change = mc;
  res->converged = converged;
  res->stop = converged ? VI_ADVI_CONVERGED : VI_ADVI_MAX_ITER;
  if (o->em == VI_EM_ALTERNATE && f.dq && f.nu)
    snprintf(res->reason, sizeof res->reason, "%d EM sweeps, %s", sweeps, why);
  else
    snprintf(res->reason, sizeof res->reason, "%s", why);
  snprintf(res->fits, sizeof res->fits, "%s", o->em == VI_EM_ALTERNATE ? "point (EM sweeps)" : "point (joint)");
  res->mu = vi_arena_array(arena, dim + 1, sizeof *res->mu);
  if (!res->mu) return fail(res, d, "out of memory");
  memcpy(res->mu, f.base, dim * sizeof *res->mu);
  for (size_t i = 0; i < f.nu; i++) res->mu[f.ui[i]] = f.x[f.npar + i];
  if (f.dq) {
    memcpy(f.q.phi, f.x, f.npar * sizeof *f.x);
    vi_q_prepare(&f.q);
    for (size_t i = 0; i < f.dq; i++) res->mu[f.qi[i]] = f.q.phi[i];
  }
  if (full) {
    res->L = vi_arena_array(arena, dim * dim + 1, sizeof *res->L);
    if (!res->L) return fail(res, d, "out of memory");
    memset(res->L, 0, dim * dim * sizeof *res->L);
    for (size_t i = 0; i < f.dq; i++)
      for (size_t j = 0; j <= i; j++) res->L[f.qi[i] * dim + f.qi[j]] = f.q.scratch[i * f.dq + j];
  } else {
    res->omega = vi_arena_array(arena, dim + 1, sizeof *res->omega);
    if (!res->omega) return fail(res, d, "out of memory");
    for (size_t i = 0; i < dim; i++) res->omega[i] = -INFINITY;
    for (size_t i = 0; i < f.dq; i++) res->omega[f.qi[i]] = f.q.phi[f.dq + i];
  }
  return res->stop;
}

int vi_point_draw(const struct vi_advi_result *res, const struct vi_model *m, struct vi_model *eval, uint64_t seed,
                  size_t S, double *theta, double *log_p, double *log_q, struct vi_diags *d) {
  size_t dim = res->dim;
  uint8_t *kind = calloc(dim + 1, 1);
  double *eta = calloc(dim + 1, sizeof *eta);
  int *status = calloc(S + 1, sizeof *status);
  if (!kind || !eta || !status) {
    free(kind);
    free(eta);
    free(status);
    vi_error(d, (struct vi_srcloc){0}, "out of memory for the draws");
    return VI_ERR_NOMEM;
  }
  vi_model_point_kinds(m, kind);
  double logdet = 0;
  size_t dq = 0;
  for (size_t i = 0; i < dim; i++)
    if (!kind[i]) {
      dq++;
      logdet += res->L ? log(res->L[i * dim + i]) : res->omega[i];
    }
  struct vi_rng r;
  vi_rng_seed(&r, seed, 0xd7a);
  for (size_t s = 0; s < S; s++) {
    double *th = theta + s * dim, sq = 0;
    for (size_t i = 0; i < dim; i++) {
      eta[i] = kind[i] ? 0 : vi_rng_normal(&r);
      sq += eta[i] * eta[i];
    }
    for (size_t i = 0; i < dim; i++) {
      double t = res->mu[i];
      if (!kind[i] && res->L)
        for (size_t j = 0; j <= i; j++) t += res->L[i * dim + j] * eta[j];
      else if (!kind[i])
        t += exp(res->omega[i]) * eta[i];
      th[i] = t;
    }
    if (log_q) log_q[s] = -0.5 * sq - 0.5 * (double)dq * VI_LOG_2PI - logdet;
  }
  if (log_p) {
    vi_model_log_density_batch(eval, S, theta, log_p, NULL, status);
    for (size_t s = 0; s < S; s++)
      if (status[s]) log_p[s] = -INFINITY;
  }
  free(kind);
  free(eta);
  free(status);
  return VI_OK;
}
