/* fuse.c: fused elementwise expressions (runtime/fuse.h).
 *
 * A vector-valued expression tree over + - .* ./, scalar * and /, unary
 * minus and multi-indexing v[idx] is compiled into a small program: one
 * instruction per operation, each writing a "register" (a block of FZ_B
 * doubles). Every other subexpression is a leaf, evaluated normally; the
 * leaves are the operands of the ONE node that is recorded. Forward runs the
 * program block by block, so no intermediate vector of length N exists.
 * Backward recomputes a block's registers, then runs the instructions in
 * reverse with block-local adjoints, accumulating into the leaves' adjoints
 * (a scalar leaf gets one sum per block). A multi-indexed leaf x[idx] is an
 * operand read in place (x[idx[i]]) and its adjoint is scattered straight
 * into the leaf's (dx[idx[i]] += g[i]): gathers cost no pass of their own.
 * A product consumed by a sum is lowered to one FMA instruction (y = a + b c:
 * `alpha + beta * x`, `a[g] + b[g] .* x`), one loop instead of two.
 *
 * A density over a fused location (`y ~ normal(a[g] + b[g] .* x, sigma)`,
 * `y ~ bernoulli_logit(alpha + x * beta)`, and their _lpdf/_lpmf calls) makes the density the program's final reduction: forward computes the
 * summed log density and, in the same pass, seeds the program's reverse
 * sweep with d lp / d mu_i, so that the partials of lp with respect to every
 * operand are in aux when the pass ends (as the stdlib density nodes keep
 * them); backward only scales them by dy.
 *
 * Fusability is decided from the typed AST before anything is evaluated; the
 * leaves are then evaluated in the interpreter's order, with its size and
 * index checks and messages, so that a fused and an unfused evaluation fail
 * alike. */
#include "vi/ops.h"
#include "fuse.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum {
  FZ_B = 256,      /* elements per block */
  FZ_MAXINS = 32,  /* instructions per program */
  FZ_MAXLEAF = 32, /* leaves per program */
  FZ_MINLEN = 32   /* shorter vectors are not worth a program */
};

#define FZ_LOG_SQRT_2PI 0.91893853320467274178032973640562 /* log(sqrt(2 pi)) */

enum fz_op { FZ_ADD, FZ_SUB, FZ_MUL, FZ_DIV, FZ_NEG, FZ_COPY, FZ_FMA /* y = a + b c */ };
enum fz_kind {
  FZ_REG,  /* register k: the output of instruction k */
  FZ_VEC,  /* leaf k: a vector of the program's length */
  FZ_SCAL, /* leaf k: a scalar, broadcast */
  FZ_GATH  /* leaf k multi-indexed: element i is x[ix[i]] (ix per leaf) */
};

struct fz_opd {
  uint8_t kind; /* enum fz_kind */
  uint8_t k;    /* register or leaf */
};

struct fz_ins {
  uint8_t op;         /* enum fz_op; the result is register <index of the instruction> */
  uint8_t var;        /* the result depends on a differentiable leaf */
  struct fz_opd a, b, c; /* b unused by NEG and COPY; c only by FMA */
};

/* Everything a fused node's kernels need; arena-allocated at record time. */
struct fz_prog {
  int nins, nleaf;
  int lb;                      /* node operand holding leaf 0 */
  size_t len;                  /* elements of the result (N) */
  struct fz_ins ins[FZ_MAXINS];
  const int *lix[FZ_MAXLEAF];  /* multi-indexed leaves: 0-based positions, len of them */
  int brow[FZ_MAXLEAF];        /* scalar leaf -> its row of bc, else -1 */
  double *sink[FZ_MAXLEAF];    /* where leaf adjoints accumulate (dx, or density partials); NULL: constant */
  double ssum[FZ_MAXLEAF];     /* scalar leaves: adjoint sum over the blocks of one sweep */
  const double *adjp[FZ_MAXINS]; /* adjoint block of each register during a reverse block */
  double *val;                 /* nins * FZ_B register values */
  double *adj;                 /* nins * FZ_B register adjoints */
  double *bc;                  /* FZ_B per scalar leaf: its value broadcast */
  double *tmp;                 /* FZ_B: contributions on their way to a scalar leaf */
  /* densities: node operands y (normal_lpdf: and sigma), then the leaves */
  int propto;                  /* VI_CALL_PROPTO */
  int sig_vec;                 /* sigma is a container (one per element) */
  int checked;                 /* the constant operands passed their checks */
  double *part[FZ_MAXLEAF + 2];/* partials of lp per node operand (NULL: constant) */
};

static int is_scal_t(struct vi_type t) { return t.ndims == 0 && (t.base == VI_T_INT || t.base == VI_T_REAL); }
static int is_vec_t(struct vi_type t) { return t.ndims == 0 && (t.base == VI_T_VECTOR || t.base == VI_T_ROW_VECTOR); }

/* ---- kernels ---- */

/* Where operand o's elements [off, ...) are: element j is p[j], or p[ix[j]]
 * when *ix is set. */
static const double *fz_src(const struct fz_prog *P, const struct vi_arg *L, struct fz_opd o, size_t off,
                            const int **ix) {
  *ix = NULL;
  switch (o.kind) {
  case FZ_REG: return P->val + (size_t)o.k * FZ_B;
  case FZ_VEC: return L[o.k].x + off;
  case FZ_SCAL: return P->bc + (size_t)P->brow[o.k] * FZ_B;
  default: *ix = P->lix[o.k] + off; return L[o.k].x;
  }
}

/* Fills the broadcast rows of the scalar leaves (their values change per replay). */
static void fz_bcast(struct fz_prog *P, const struct vi_arg *L) {
  for (int k = 0; k < P->nleaf; k++) {
    if (P->brow[k] < 0) continue;
    double v = L[k].x[0], *r = P->bc + (size_t)P->brow[k] * FZ_B;
    for (size_t i = 0; i < FZ_B; i++) r[i] = v;
  }
}

/* Runs DECL; BODY for j in [0, m) with av, bv the operands' element j, one
 * loop per combination of gathered (ai/bi set) and contiguous operands. */
#define FZ_EACH2(m, ap, ai, bp, bi, DECL, BODY)                                               \
  do {                                                                                        \
    if (ai && bi)                                                                             \
      for (size_t j = 0; j < (m); j++) {                                                      \
        const double av = ap[ai[j]], bv = bp[bi[j]];                                          \
        DECL;                                                                                 \
        BODY;                                                                                 \
      }                                                                                       \
    else if (ai)                                                                              \
      for (size_t j = 0; j < (m); j++) {                                                      \
        const double av = ap[ai[j]], bv = bp[j];                                              \
        DECL;                                                                                 \
        BODY;                                                                                 \
      }                                                                                       \
    else if (bi)                                                                              \
      for (size_t j = 0; j < (m); j++) {                                                      \
        const double av = ap[j], bv = bp[bi[j]];                                              \
        DECL;                                                                                 \
        BODY;                                                                                 \
      }                                                                                       \
    else                                                                                      \
      for (size_t j = 0; j < (m); j++) {                                                      \
        const double av = ap[j], bv = bp[j];                                                  \
        DECL;                                                                                 \
        BODY;                                                                                 \
      }                                                                                       \
  } while (0)

/* Runs the program over elements [off, off + m) into the registers; the last
 * instruction writes to out instead when out != NULL. */
static void fz_forward(const struct fz_prog *P, const struct vi_arg *L, size_t off, size_t m, double *out) {
  for (int i = 0; i < P->nins; i++) {
    const struct fz_ins *in = &P->ins[i];
    double *restrict y = out && i == P->nins - 1 ? out : P->val + (size_t)i * FZ_B;
    const int *ai, *bi;
    const double *restrict a = fz_src(P, L, in->a, off, &ai);
    if (in->op == FZ_NEG || in->op == FZ_COPY) {
      double sgn = in->op == FZ_NEG ? -1 : 1;
      if (ai)
        for (size_t j = 0; j < m; j++) y[j] = sgn * a[ai[j]];
      else
        for (size_t j = 0; j < m; j++) y[j] = sgn * a[j];
      continue;
    }
    const double *restrict b = fz_src(P, L, in->b, off, &bi);
    switch (in->op) {
    case FZ_ADD: FZ_EACH2(m, a, ai, b, bi, (void)0, y[j] = av + bv); break;
    case FZ_SUB: FZ_EACH2(m, a, ai, b, bi, (void)0, y[j] = av - bv); break;
    case FZ_MUL: FZ_EACH2(m, a, ai, b, bi, (void)0, y[j] = av * bv); break;
    case FZ_DIV: FZ_EACH2(m, a, ai, b, bi, (void)0, y[j] = av / bv); break;
    case FZ_FMA: { /* (b, c) as (av, bv); a as x */
      const int *ci;
      const double *restrict c = fz_src(P, L, in->c, off, &ci);
      if (ai)
        FZ_EACH2(m, b, bi, c, ci, const double x = a[ai[j]], y[j] = x + av * bv);
      else
        FZ_EACH2(m, b, bi, c, ci, const double x = a[j], y[j] = x + av * bv);
      break;
    }
    default: break;
    }
  }
}

/* Sum of t[0..m) with independent accumulators (no serial add chain). */
static double fz_sum(const double *restrict t, size_t m) {
  double acc[8] = {0};
  size_t j = 0;
  for (; j + 8 <= m; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += t[j + k];
  double s = 0;
  for (; j < m; j++) s += t[j];
  for (int k = 0; k < 8; k++) s += acc[k];
  return s;
}

/* Where an adjoint flowing into an operand goes. */
enum fz_dest {
  FZ_D_NONE, /* nowhere: constant */
  FZ_D_REG,  /* the operand's adjoint register (written, not accumulated: one consumer) */
  FZ_D_VEC,  /* a vector leaf's sink, element by element */
  FZ_D_SCAL, /* a scalar leaf: summed */
  FZ_D_GATH  /* a multi-indexed leaf: scattered into its sink */
};

static int fz_dest(const struct fz_prog *P, struct fz_opd o) {
  if (o.kind == FZ_REG) return P->ins[o.k].var ? FZ_D_REG : FZ_D_NONE;
  if (!P->sink[o.k]) return FZ_D_NONE;
  return o.kind == FZ_VEC ? FZ_D_VEC : o.kind == FZ_SCAL ? FZ_D_SCAL : FZ_D_GATH;
}

/* Delivers the adjoint contribution EXPR of element j to operand o; DECL
 * declares what EXPR reads besides j. */
#define FZ_DELIVER1(P, o, off, m, DECL, EXPR)                                                 \
  do {                                                                                        \
    switch (fz_dest(P, o)) {                                                                  \
    case FZ_D_REG: {                                                                          \
      double *restrict t_ = (P)->adj + (size_t)(o).k * FZ_B;                                  \
      (P)->adjp[(o).k] = t_;                                                                  \
      for (size_t j = 0; j < (m); j++) {                                                      \
        DECL;                                                                                 \
        t_[j] = (EXPR);                                                                       \
      }                                                                                       \
      break;                                                                                  \
    }                                                                                         \
    case FZ_D_VEC: {                                                                          \
      double *restrict s_ = (P)->sink[(o).k] + (off);                                         \
      for (size_t j = 0; j < (m); j++) {                                                      \
        DECL;                                                                                 \
        s_[j] += (EXPR);                                                                      \
      }                                                                                       \
      break;                                                                                  \
    }                                                                                         \
    case FZ_D_SCAL: {                                                                         \
      double *restrict t_ = (P)->tmp;                                                         \
      for (size_t j = 0; j < (m); j++) {                                                      \
        DECL;                                                                                 \
        t_[j] = (EXPR);                                                                       \
      }                                                                                       \
      (P)->ssum[(o).k] += fz_sum(t_, (m));                                                    \
      break;                                                                                  \
    }                                                                                         \
    case FZ_D_GATH: {                                                                         \
      double *s_ = (P)->sink[(o).k];                                                          \
      const int *restrict ix_ = (P)->lix[(o).k] + (off);                                      \
      for (size_t j = 0; j < (m); j++) {                                                      \
        DECL;                                                                                 \
        s_[ix_[j]] += (EXPR);                                                                 \
      }                                                                                       \
      break;                                                                                  \
    }                                                                                         \
    default: break;                                                                           \
    }                                                                                         \
  } while (0)

/* The same where EXPR reads v, the element of an operand at (vp, vi) (see fz_src). */
#define FZ_DELIVER(P, o, off, m, vp, vi, EXPR)                                                \
  do {                                                                                        \
    const double *restrict vp_ = (vp);                                                        \
    const int *restrict vi_ = (vi);                                                           \
    if (vi_)                                                                                  \
      FZ_DELIVER1(P, o, off, m, const double v = vp_[vi_[j]], EXPR);                          \
    else                                                                                      \
      FZ_DELIVER1(P, o, off, m, const double v = vp_[j], EXPR);                               \
  } while (0)

/* Passes adjoint g on to o unchanged: a register shares the block. */
static void fz_pass(struct fz_prog *P, struct fz_opd o, const double *restrict g, size_t off, size_t m) {
  if (fz_dest(P, o) == FZ_D_REG)
    P->adjp[o.k] = g; /* each register has one consumer */
  else
    FZ_DELIVER1(P, o, off, m, (void)0, g[j]);
}

/* Reverse sweep over elements [off, off + m) after fz_forward (out == NULL):
 * seed is the adjoint of the result. */
static void fz_backward(struct fz_prog *P, const struct vi_arg *L, size_t off, size_t m, const double *seed) {
  P->adjp[P->nins - 1] = seed;
  for (int i = P->nins; i-- > 0;) {
    const struct fz_ins *in = &P->ins[i];
    if (!in->var) continue;
    const double *restrict g = P->adjp[i];
    switch (in->op) {
    case FZ_ADD: /* y = a + b;  da += g;  db += g */
      fz_pass(P, in->a, g, off, m);
      fz_pass(P, in->b, g, off, m);
      break;
    case FZ_SUB: /* y = a - b;  da += g;  db -= g */
      fz_pass(P, in->a, g, off, m);
      FZ_DELIVER1(P, in->b, off, m, (void)0, -g[j]);
      break;
    case FZ_NEG: FZ_DELIVER1(P, in->a, off, m, (void)0, -g[j]); break; /* y = -a;  da -= g */
    case FZ_COPY: fz_pass(P, in->a, g, off, m); break;                 /* y = a;  da += g */
    case FZ_MUL: { /* y = a * b;  da += g b;  db += g a */
      const int *ai, *bi;
      const double *a = fz_src(P, L, in->a, off, &ai), *b = fz_src(P, L, in->b, off, &bi);
      FZ_DELIVER(P, in->a, off, m, b, bi, g[j] * v);
      FZ_DELIVER(P, in->b, off, m, a, ai, g[j] * v);
      break;
    }
    case FZ_FMA: { /* y = a + b c;  da += g;  db += g c;  dc += g b */
      const int *bi, *ci;
      const double *b = fz_src(P, L, in->b, off, &bi), *c = fz_src(P, L, in->c, off, &ci);
      fz_pass(P, in->a, g, off, m);
      FZ_DELIVER(P, in->b, off, m, c, ci, g[j] * v);
      FZ_DELIVER(P, in->c, off, m, b, bi, g[j] * v);
      break;
    }
    case FZ_DIV: { /* y = a / b;  da += g / b;  db -= g y / b */
      const int *bi;
      const double *b = fz_src(P, L, in->b, off, &bi), *restrict y = P->val + (size_t)i * FZ_B;
      FZ_DELIVER(P, in->a, off, m, b, bi, g[j] / v);
      FZ_DELIVER(P, in->b, off, m, b, bi, -g[j] * y[j] / v);
      break;
    }
    default: break;
    }
  }
}

/* Adds the scalar leaves' sums into their sinks and clears them. */
static void fz_flush_sums(struct fz_prog *P) {
  for (int k = 0; k < P->nleaf; k++) {
    if (P->brow[k] >= 0 && P->sink[k]) *P->sink[k] += P->ssum[k];
    P->ssum[k] = 0;
  }
}

/* The fused expression node: y = program(leaves). */
int vi_k_fused_expr_fwd(struct vi_node *n) {
  struct fz_prog *P = (struct fz_prog *)n->p;
  const struct vi_arg *L = n->a + P->lb;
  fz_bcast(P, L);
  for (size_t off = 0; off < P->len; off += FZ_B)
    fz_forward(P, L, off, P->len - off < FZ_B ? P->len - off : FZ_B, n->y + off);
  return 0;
}

void vi_k_fused_expr_bwd(struct vi_node *n) {
  struct fz_prog *P = (struct fz_prog *)n->p;
  const struct vi_arg *L = n->a + P->lb;
  if (!P->ins[P->nins - 1].var) return;
  fz_bcast(P, L);
  for (size_t off = 0; off < P->len; off += FZ_B) {
    size_t m = P->len - off < FZ_B ? P->len - off : FZ_B;
    fz_forward(P, L, off, m, NULL);
    fz_backward(P, L, off, m, n->dy + off);
  }
  fz_flush_sums(P);
}


/* ---- normal_lpdf(y | program, sigma) ----
 * lp = sum_i -0.5 z_i^2 - log sigma_i - 0.5 log(2 pi), z_i = (y_i - mu_i) / sigma_i;
 * dmu_i = z_i / sigma_i, dy_i = -dmu_i, dsigma_i = (z_i^2 - 1) / sigma_i.
 * Checks as the stdlib's normal_lpdf, in its order: the random variable not
 * NaN, the location finite, the scale positive. */

/* Finds the first element of the location that is not finite (recomputing
 * it); reports it. 0 if there is none. */
static int fz_check_loc(struct vi_node *n, struct fz_prog *P, const struct vi_arg *L) {
  for (size_t off = 0; off < P->len; off += FZ_B) {
    size_t m = P->len - off < FZ_B ? P->len - off : FZ_B;
    fz_forward(P, L, off, m, NULL);
    const double *mu = P->val + (size_t)(P->nins - 1) * FZ_B;
    for (size_t j = 0; j < m; j++)
      if (!isfinite(mu[j]))
        return vi_node_fail(n, "location parameter[%zu] is %.17g, must be finite", off + j + 1, mu[j]);
  }
  return 0;
}

int vi_k_fused_normal_fwd(struct vi_node *n) {
  struct fz_prog *P = (struct fz_prog *)n->p;
  const struct vi_arg *L = n->a + P->lb, *ya = &n->a[0], *sa = &n->a[1];
  const size_t N = P->len;
  const double *y = ya->x, *sg = sa->x;
  if (!P->checked || ya->dx)
    for (size_t i = 0; i < N; i++)
      if (isnan(y[i])) return vi_node_fail(n, "random variable[%zu] is %.17g, must not be nan", i + 1, y[i]);
  int bad_sigma = 0;
  if (!P->checked || sa->dx)
    for (size_t i = 0; i < sa->n; i++) bad_sigma |= !(sg[i] > 0);
  int mu_var = P->ins[P->nins - 1].var;
  int keep_sigma = !P->propto || sa->dx, keep_const = !P->propto;
  for (int k = 0; k < n->na; k++)
    if (P->part[k]) memset(P->part[k], 0, n->a[k].n * sizeof(double));
  double *py = P->part[0], *ps = P->part[1];
  fz_bcast(P, L);
  double ss = 0, slog = 0;
  const double is0 = 1 / sg[0];
  for (size_t off = 0; off < N; off += FZ_B) {
    size_t m = N - off < FZ_B ? N - off : FZ_B;
    fz_forward(P, L, off, m, NULL);
    const double *restrict mu = P->val + (size_t)(P->nins - 1) * FZ_B, *restrict yb = y + off;
    double *restrict w = P->adj + (size_t)(P->nins - 1) * FZ_B;
    double acc[8] = {0}; /* sum z^2 in independent lanes (no serial add chain) */
    size_t j = 0;
    if (!P->sig_vec) {
      for (; j + 8 <= m; j += 8)
        for (int k = 0; k < 8; k++) {
          double z = (yb[j + k] - mu[j + k]) * is0;
          acc[k] += z * z;
          w[j + k] = z * is0;
        }
      for (; j < m; j++) {
        double z = (yb[j] - mu[j]) * is0;
        ss += z * z;
        w[j] = z * is0;
      }
    } else {
      const double *restrict sb = sg + off;
      for (; j + 8 <= m; j += 8)
        for (int k = 0; k < 8; k++) {
          double is = 1 / sb[j + k], z = (yb[j + k] - mu[j + k]) * is;
          acc[k] += z * z;
          w[j + k] = z * is;
          if (ps) ps[off + j + k] = (z * z - 1) * is;
        }
      for (; j < m; j++) {
        double is = 1 / sb[j], z = (yb[j] - mu[j]) * is;
        ss += z * z;
        w[j] = z * is;
        if (ps) ps[off + j] = (z * z - 1) * is;
      }
      if (keep_sigma)
        for (j = 0; j < m; j++) slog += log(sb[j]);
    }
    for (int k = 0; k < 8; k++) ss += acc[k];
    if (py)
      for (j = 0; j < m; j++) py[off + j] = -w[j];
    if (mu_var) fz_backward(P, L, off, m, w);
  }
  fz_flush_sums(P);
  if (bad_sigma || !isfinite(ss)) {
    if (fz_check_loc(n, P, L)) return 1;
    for (size_t i = 0; i < sa->n; i++) {
      if (sg[i] > 0) continue;
      if (P->sig_vec) return vi_node_fail(n, "scale parameter[%zu] is %.17g, must be positive", i + 1, sg[i]);
      return vi_node_fail(n, "scale parameter is %.17g, must be positive", sg[i]);
    }
  }
  P->checked = 1;
  double lp = -0.5 * ss;
  if (keep_sigma) lp -= P->sig_vec ? slog : (double)N * log(sg[0]);
  if (keep_const) lp -= (double)N * FZ_LOG_SQRT_2PI;
  if (ps && !P->sig_vec) ps[0] = (ss - (double)N) * is0;
  if (P->propto && !vi_node_is_var(n)) lp = 0;
  n->y[0] = lp;
  return 0;
}

/* Scales the partials from forward: a[k].dx[i] += dy * part[k][i]. */
void vi_k_fused_density_bwd(struct vi_node *n) {
  const struct fz_prog *P = (const struct fz_prog *)n->p;
  const double g = n->dy[0];
  for (int k = 0; k < n->na; k++) {
    double *restrict dx = n->a[k].dx;
    const double *restrict q = P->part[k];
    if (!dx || !q) continue;
    for (size_t i = 0; i < n->a[k].n; i++) dx[i] += g * q[i];
  }
}


/* ---- bernoulli_logit_lpmf(n | program) ----
 * with s = 2 n - 1, t = s alpha: lp = log inv_logit(t) = min(t, 0) - log1p(exp(-|t|)),
 * dalpha = s inv_logit(-t). Checks as the stdlib's: the outcomes are 0 or 1
 * (once: they are data), then a NaN log density names the NaN element of
 * the location. No constant terms: under `~` the value is 0 (and nothing
 * more is checked) only when nothing is differentiable. */
int vi_k_fused_bernoulli_logit_fwd(struct vi_node *n) {
  struct fz_prog *P = (struct fz_prog *)n->p;
  const struct vi_arg *L = n->a + P->lb;
  const size_t N = P->len;
  const double *y = n->a[0].x;
  if (!P->checked)
    for (size_t i = 0; i < N; i++)
      if (y[i] != 0 && y[i] != 1) return vi_node_fail(n, "n[%zu] is %.17g, must be 0 or 1", i + 1, y[i]);
  P->checked = 1;
  n->y[0] = 0;
  if (P->propto && !vi_node_is_var(n)) return 0; /* nothing kept (and the location is not checked) */
  int mu_var = P->ins[P->nins - 1].var;
  for (int k = 0; k < n->na; k++)
    if (P->part[k]) memset(P->part[k], 0, n->a[k].n * sizeof(double));
  fz_bcast(P, L);
  double lp = 0;
  for (size_t off = 0; off < N; off += FZ_B) {
    size_t m = N - off < FZ_B ? N - off : FZ_B;
    fz_forward(P, L, off, m, NULL);
    const double *restrict al = P->val + (size_t)(P->nins - 1) * FZ_B, *restrict yb = y + off;
    double *restrict w = P->adj + (size_t)(P->nins - 1) * FZ_B;
    for (size_t j = 0; j < m; j++) {
      double sg = 2 * yb[j] - 1, t = sg * al[j], e = exp(-fabs(t));
      lp += (t < 0 ? t : 0) - log1p(e);
      w[j] = sg * (t > 0 ? e : 1) / (1 + e);
    }
    if (mu_var) fz_backward(P, L, off, m, w);
  }
  fz_flush_sums(P);
  if (isnan(lp))
    for (size_t off = 0; off < N; off += FZ_B) {
      size_t m = N - off < FZ_B ? N - off : FZ_B;
      fz_forward(P, L, off, m, NULL);
      const double *al = P->val + (size_t)(P->nins - 1) * FZ_B;
      for (size_t j = 0; j < m; j++)
        if (isnan(al[j])) {
          if (N == 1) return vi_node_fail(n, "logit probability parameter is nan, must not be nan");
          return vi_node_fail(n, "logit probability parameter[%zu] is nan, must not be nan", off + j + 1);
        }
    }
  n->y[0] = lp;
  return 0;
}


/* ---- recording ---- */

/* The program being compiled from the AST, and the order in which the
 * interpreter would evaluate its parts. */
struct fz_build {
  struct fz_ins ins[FZ_MAXINS];
  const struct vi_expr *iex[FZ_MAXINS];   /* expression of each instruction */
  const struct vi_expr *leaf[FZ_MAXLEAF];
  const struct vi_expr *gex[FZ_MAXLEAF];  /* multi-indexed leaf: the index expression x[idx] */
  uint8_t lkind[FZ_MAXLEAF];              /* FZ_VEC, FZ_SCAL or FZ_GATH */
  const int *lix[FZ_MAXLEAF];             /* after evaluation: 0-based positions (FZ_GATH) */
  struct fz_opd step[FZ_MAXINS + 2 * FZ_MAXLEAF]; /* FZ_REG: check instruction k; FZ_GATH: index
                                                     of leaf k; else evaluate leaf k */
  int nins, nleaf, nstep, nops, fail;
};

static const struct vi_expr *fz_strip(const struct vi_expr *e) {
  while (e->kind == VI_E_PAREN || (e->kind == VI_E_UNARY && e->u.un.op == VI_OP_PLUS)) e = e->u.un.a;
  return e;
}

/* Is e an operation the program computes (rather than a leaf)? */
static int fz_fusable(const struct vi_expr *e) {
  if (!is_vec_t(e->type)) return 0;
  switch (e->kind) {
  case VI_E_BINARY: {
    struct vi_type a = e->u.bin.a->type, b = e->u.bin.b->type;
    switch (e->u.bin.op) {
    case VI_OP_ADD:
    case VI_OP_SUB:
    case VI_OP_EMUL:
    case VI_OP_EDIV: return 1;
    case VI_OP_MUL: return is_scal_t(a) || is_scal_t(b);
    case VI_OP_DIV: return is_scal_t(b);
    default: return 0;
    }
  }
  case VI_E_UNARY: return e->u.un.op == VI_OP_NEG;
  case VI_E_INDEX: {
    const struct vi_index *x = e->u.index.ix;
    return e->u.index.nix == 1 && x[0].kind == VI_IX_SINGLE && x[0].multi && x[0].lo &&
           x[0].lo->type.base == VI_T_INT && x[0].lo->type.ndims == 1 && is_vec_t(e->u.index.a->type);
  }
  default: return 0;
  }
}

/* A leaf: e evaluated normally; gex != NULL: e multi-indexed by gex. */
static struct fz_opd fz_leaf(struct fz_build *b, const struct vi_expr *e, const struct vi_expr *gex) {
  struct fz_opd o = {FZ_VEC, 0};
  if (b->nleaf == FZ_MAXLEAF || !(is_vec_t(e->type) || (is_scal_t(e->type) && !gex))) {
    b->fail = 1;
    return o;
  }
  o.kind = gex ? FZ_GATH : is_scal_t(e->type) ? FZ_SCAL : FZ_VEC;
  o.k = (uint8_t)b->nleaf;
  b->lkind[b->nleaf] = o.kind;
  b->gex[b->nleaf] = gex;
  b->leaf[b->nleaf++] = e;
  b->step[b->nstep++] = (struct fz_opd){FZ_VEC, o.k};
  if (gex) {
    b->step[b->nstep++] = o;
    b->nops++;
  }
  return o;
}

static void fz_emit(struct fz_build *b, struct fz_ins in, const struct vi_expr *e, struct fz_opd *o) {
  if (b->fail || b->nins == FZ_MAXINS) {
    b->fail = 1;
    return;
  }
  b->ins[b->nins] = in;
  b->iex[b->nins] = e;
  *o = (struct fz_opd){FZ_REG, (uint8_t)b->nins++};
  b->step[b->nstep++] = *o;
}

/* Compiles e (post-order, left to right: the interpreter's order). */
static struct fz_opd fz_compile(struct fz_build *b, const struct vi_expr *e) {
  struct fz_opd o = {FZ_REG, 0};
  e = fz_strip(e);
  if (b->fail) return o;
  if (!fz_fusable(e)) return fz_leaf(b, e, NULL);
  if (e->kind == VI_E_INDEX) return fz_leaf(b, fz_strip(e->u.index.a), e);
  struct fz_ins in;
  memset(&in, 0, sizeof in);
  if (e->kind == VI_E_BINARY) {
    static const uint8_t map[] = {[VI_OP_ADD] = FZ_ADD, [VI_OP_SUB] = FZ_SUB, [VI_OP_MUL] = FZ_MUL,
                                  [VI_OP_DIV] = FZ_DIV, [VI_OP_EMUL] = FZ_MUL, [VI_OP_EDIV] = FZ_DIV};
    in.op = map[e->u.bin.op];
    in.a = fz_compile(b, e->u.bin.a);
    in.b = fz_compile(b, e->u.bin.b);
  } else {
    in.op = FZ_NEG;
    in.a = fz_compile(b, e->u.un.a);
  }
  b->nops++;
  fz_emit(b, in, e, &o);
  return o;
}

/* Compiles a whole tree; its result is always a register. */
static struct fz_opd fz_compile_root(struct fz_build *b, const struct vi_expr *e) {
  struct fz_opd o = fz_compile(b, e);
  if (!b->fail && o.kind != FZ_REG) {
    struct fz_ins in = {FZ_COPY, 0, o, {0, 0}, {0, 0}};
    fz_emit(b, in, e, &o);
  }
  return o;
}

/* Length of the result read from a variable without evaluating anything
 * (SIZE_MAX when no plain variable tells it). */
static size_t fz_peek_len(const struct vi_fuse_env *I, const struct fz_build *b) {
  for (int k = 0; k < b->nleaf; k++) {
    const struct vi_expr *x = b->gex[k] ? b->gex[k]->u.index.ix[0].lo : b->leaf[k];
    if (x->kind == VI_E_VAR && !is_scal_t(x->type)) return I->var_len(I->ctx, x->u.var.slot);
  }
  return SIZE_MAX;
}

static const char *fz_expr_name(const struct vi_expr *e) {
  while (e->kind == VI_E_INDEX) e = e->u.index.a;
  return e->kind == VI_E_VAR ? e->u.var.name : "the value";
}

static int fz_oom(struct vi_ctx *c, struct vi_srcloc loc) {
  vi_ctx_error(c, loc, "out of memory");
  return VI_ERR_NOMEM;
}

/* Evaluates a multi-index of leaf k (already evaluated into lv[k]) with the
 * interpreter's checks; sets b->lix[k] and *count. */
static int fz_eval_index(const struct vi_fuse_env *I, struct vi_ctx *c, struct fz_build *b, int k, const struct vi_val *lv,
                         const int **src, size_t *count) {
  const struct vi_expr *e = b->gex[k];
  const struct vi_index *x = &e->u.index.ix[0];
  struct vi_val v;
  int r = I->eval(I->ctx, c, x->lo, &v);
  if (r) return r;
  if (!v.ix) return vi_ctx_error(c, x->lo->loc, "a multi-index must be an int array");
  int size = (int)lv[k].n;
  for (size_t i = 0; i < v.n; i++)
    if (v.ix[i] < 1 || v.ix[i] > size)
      return vi_ctx_error(c, x->lo->loc,
                          "index %d out of range: %s has size %d at this position (element %zu of the multi-index)",
                          v.ix[i], fz_expr_name(e), size, i + 1);
  *count = v.n;
  src[k] = v.ix;
  for (int j = 0; j < k; j++) /* the same index array: share the 0-based copy */
    if (src[j] == v.ix && b->lix[j]) {
      b->lix[k] = b->lix[j];
      return VI_OK;
    }
  int *ix = vi_arena_array(c->arena, v.n ? v.n : 1, sizeof *ix);
  if (!ix) return fz_oom(c, e->loc);
  for (size_t i = 0; i < v.n; i++) ix[i] = v.ix[i] - 1;
  b->lix[k] = ix;
  return VI_OK;
}

/* Evaluates the leaves and multi-indices in the interpreter's order, with its
 * checks; fills lv (leaf values), b->lix and *len. */
static int fz_eval(const struct vi_fuse_env *I, struct vi_ctx *c, struct fz_build *b, struct vi_val *lv, size_t *len) {
  size_t sz[FZ_MAXINS], gsz[FZ_MAXLEAF];
  const int *src[FZ_MAXLEAF] = {0}; /* multi-index values as evaluated */
  int r;
  for (int s = 0; s < b->nstep; s++) {
    struct fz_opd st = b->step[s];
    if (st.kind == FZ_VEC) {
      if ((r = I->eval(I->ctx, c, b->leaf[st.k], &lv[st.k]))) return r;
      if ((r = vi_val_contig(c, &lv[st.k], b->leaf[st.k]->loc))) return r;
      continue;
    }
    if (st.kind == FZ_GATH) {
      if ((r = fz_eval_index(I, c, b, st.k, lv, src, &gsz[st.k]))) return r;
      continue;
    }
    struct fz_ins *in = &b->ins[st.k];
    const struct vi_expr *e = b->iex[st.k];
    size_t n[2] = {0, 0};
    int scal[2] = {0, 0};
    struct fz_opd o[2] = {in->a, in->b};
    for (int i = 0; i < (in->op == FZ_NEG || in->op == FZ_COPY ? 1 : 2); i++) {
      n[i] = o[i].kind == FZ_REG ? sz[o[i].k] : o[i].kind == FZ_GATH ? gsz[o[i].k] : lv[o[i].k].n;
      scal[i] = o[i].kind == FZ_SCAL;
    }
    if (in->op == FZ_NEG || in->op == FZ_COPY) {
      sz[st.k] = n[0];
      continue;
    }
    if (!scal[0] && !scal[1] && n[0] != n[1]) {
      static const char *const names[] = {[VI_OP_ADD] = "add", [VI_OP_SUB] = "subtract",
                                          [VI_OP_MUL] = "multiply", [VI_OP_DIV] = "divide",
                                          [VI_OP_EMUL] = "elt_multiply", [VI_OP_EDIV] = "elt_divide"};
      return vi_ctx_error(c, e->loc, "%s: sizes do not match (%zu and %zu elements)", names[e->u.bin.op], n[0], n[1]);
    }
    sz[st.k] = scal[0] ? n[1] : n[0];
  }
  *len = sz[b->nins - 1];
  return VI_OK;
}

/* Makes the program of node n (operands from lb on are the leaves). */
static struct fz_prog *fz_prog_new(struct vi_ctx *c, const struct fz_build *b, struct vi_node *n, int lb,
                                   size_t len) {
  struct fz_prog *P = vi_arena_alloc(c->arena, sizeof *P);
  if (!P) return NULL;
  P->nleaf = b->nleaf;
  P->lb = lb;
  P->len = len;
  /* lowering: a product consumed by a sum becomes one FMA instruction */
  int map[FZ_MAXINS], fma[FZ_MAXINS], gone[FZ_MAXINS] = {0};
  for (int i = 0; i < b->nins; i++) {
    const struct fz_ins *in = &b->ins[i];
    fma[i] = -1;
    if (in->op != FZ_ADD) continue;
    if (in->b.kind == FZ_REG && b->ins[in->b.k].op == FZ_MUL)
      fma[i] = 1;
    else if (in->a.kind == FZ_REG && b->ins[in->a.k].op == FZ_MUL)
      fma[i] = 0;
    if (fma[i] >= 0) gone[fma[i] ? in->b.k : in->a.k] = 1;
  }
  for (int i = 0; i < b->nins; i++) {
    if (gone[i]) continue;
    struct fz_ins in = b->ins[i];
    if (fma[i] >= 0) {
      const struct fz_ins *mul = &b->ins[fma[i] ? in.b.k : in.a.k];
      in.op = FZ_FMA;
      in.a = fma[i] ? in.a : in.b;
      in.b = mul->a;
      in.c = mul->b;
    }
    struct fz_opd *o[3] = {&in.a, &in.b, &in.c};
    for (int j = 0; j < 3; j++)
      if (o[j]->kind == FZ_REG) o[j]->k = (uint8_t)map[o[j]->k];
    map[i] = P->nins;
    P->ins[P->nins++] = in;
  }
  int nb = 0;
  for (int k = 0; k < b->nleaf; k++) {
    P->brow[k] = b->lkind[k] == FZ_SCAL ? nb++ : -1;
    P->lix[k] = b->lix[k];
    P->sink[k] = n->a[lb + k].dx;
  }
  for (int i = 0; i < P->nins; i++) {
    struct fz_ins *in = &P->ins[i];
    struct fz_opd o[3] = {in->a, in->b, in->c};
    int no = in->op == FZ_NEG || in->op == FZ_COPY ? 1 : in->op == FZ_FMA ? 3 : 2;
    for (int j = 0; j < no; j++) in->var |= o[j].kind == FZ_REG ? P->ins[o[j].k].var : P->sink[o[j].k] != NULL;
  }
  size_t nreg = (size_t)P->nins * FZ_B;
  P->val = vi_arena_array(c->arena, nreg, sizeof(double));
  P->adj = vi_arena_array(c->arena, nreg, sizeof(double));
  P->bc = vi_arena_array(c->arena, (size_t)(nb ? nb : 1) * FZ_B, sizeof(double));
  P->tmp = vi_arena_array(c->arena, FZ_B, sizeof(double));
  if (!P->val || !P->adj || !P->bc || !P->tmp) return NULL;
  return P;
}

int vi_fuse_expr(const struct vi_fuse_env *I, struct vi_ctx *c, const struct vi_expr *e, struct vi_val *out) {
  if (!c->tape || !is_vec_t(e->type)) return VI_FUSE_NO;
  struct fz_build b;
  memset(&b, 0, sizeof b);
  fz_compile_root(&b, e);
  if (b.fail || b.nops < 2 || fz_peek_len(I, &b) < FZ_MINLEN) return VI_FUSE_NO;
  struct vi_val lv[FZ_MAXLEAF];
  size_t len;
  int r = fz_eval(I, c, &b, lv, &len);
  if (r) return r;
  struct vi_node *n = vi_node_new(c, VI_OPDEF(FUSED_EXPR), b.nleaf, len, e->loc);
  if (!n) return VI_ERR_NOMEM;
  for (int k = 0; k < b.nleaf; k++) vi_node_arg(n, k, &lv[k]);
  struct fz_prog *P = fz_prog_new(c, &b, n, 0, len);
  if (!P) return fz_oom(c, e->loc);
  n->p = P;
  memset(out, 0, sizeof *out);
  int dims[1] = {(int)len};
  struct vi_type t = {e->type.base, 0};
  vi_val_set_shape(out, t, dims);
  return vi_node_run(c, n, out);
}

static int fz_is_reals(struct vi_type t) {
  return is_scal_t(t) || is_vec_t(t) || (t.ndims == 1 && (t.base == VI_T_INT || t.base == VI_T_REAL));
}

int vi_fuse_density(const struct vi_fuse_env *I, struct vi_ctx *c, const struct vi_func *f, const struct vi_expr *lhs,
                    struct vi_expr *const *args, int nargs, int flags, struct vi_srcloc loc, struct vi_val *out) {
  if (!c->tape || !f || !f->name) return VI_FUSE_NO;
  const struct vi_opdef *op;
  int lb; /* node operands before the leaves: y (and sigma) */
  if (strcmp(f->name, "normal_lpdf") == 0 && nargs == 2 && fz_is_reals(lhs->type) && !is_scal_t(lhs->type) &&
      fz_is_reals(args[1]->type)) {
    op = VI_OPDEF(FUSED_NORMAL);
    lb = 2;
  } else if (strcmp(f->name, "bernoulli_logit_lpmf") == 0 && nargs == 1 && lhs->type.base == VI_T_INT &&
             lhs->type.ndims == 1) {
    op = VI_OPDEF(FUSED_BERNOULLI_LOGIT);
    lb = 1;
  } else {
    return VI_FUSE_NO;
  }
  struct fz_build b;
  memset(&b, 0, sizeof b);
  fz_compile_root(&b, args[0]);
  if (b.fail || b.nops < 1 || fz_peek_len(I, &b) < FZ_MINLEN) return VI_FUSE_NO;
  struct vi_val yv, sv, lv[FZ_MAXLEAF];
  size_t len;
  int r;
  if ((r = I->eval(I->ctx, c, lhs, &yv)) || (r = fz_eval(I, c, &b, lv, &len)) ||
      (lb == 2 && (r = I->eval(I->ctx, c, args[1], &sv))))
    return r;
  if ((r = vi_val_contig(c, &yv, loc)) || (lb == 2 && (r = vi_val_contig(c, &sv, loc)))) return r;
  const char *what = lb == 2 ? "location" : "logit probability";
  if (len != yv.n)
    return vi_ctx_error(c, loc, "%s: size of %s (%zu) does not match size of the variate (%zu)", f->name, what, len,
                        yv.n);
  int sig_vec = lb == 2 && !is_scal_t(sv.t);
  if (sig_vec && sv.n != yv.n)
    return vi_ctx_error(c, loc, "%s: size of scale (%zu) does not match size of the variate (%zu)", f->name, sv.n,
                        yv.n);
  struct vi_node *n = vi_node_new(c, op, b.nleaf + lb, 1, loc);
  if (!n) return VI_ERR_NOMEM;
  vi_node_arg(n, 0, &yv);
  if (lb == 2) vi_node_arg(n, 1, &sv);
  for (int k = 0; k < b.nleaf; k++) vi_node_arg(n, k + lb, &lv[k]);
  size_t naux = 0;
  for (int k = 0; k < n->na; k++) naux += n->a[k].dx ? n->a[k].n : 0;
  if (naux && vi_node_aux(c, n, naux)) return VI_ERR_NOMEM;
  struct fz_prog *P = fz_prog_new(c, &b, n, lb, len);
  if (!P) return fz_oom(c, loc);
  double *q = n->aux;
  for (int k = 0; k < n->na; k++) { /* partials, laid out as the stdlib densities do */
    if (!n->a[k].dx) continue;
    P->part[k] = q;
    q += n->a[k].n;
  }
  for (int k = 0; k < b.nleaf; k++) P->sink[k] = P->part[k + lb]; /* the program accumulates into them */
  P->propto = flags & VI_CALL_PROPTO;
  P->sig_vec = sig_vec;
  n->p = P;
  memset(out, 0, sizeof *out);
  out->t.base = VI_T_REAL;
  out->n = 1;
  return vi_node_run(c, n, out);
}
