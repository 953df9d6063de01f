/* ode.c: ODE solvers with forward sensitivities (include/vi/ode.h).
 *
 * The state y(t) solves dy/dt = f(t, y, q) from y(t0) = y0, where q are the
 * trailing arguments. Sensitivities s_p = dy/dp to each parameter p (the
 * elements of y0 and of q that are differentiable) solve
 *   ds_p/dt = J_y s_p + df/dp,   s_p(t0) = dy0/dp,
 * J_y = df/dy; the Jacobians come from reverse-mode sweeps over the user
 * function recorded on a private tape at each (t, y). The output times'
 * adjoint is f(ts_i, y(ts_i)) . dL/dy(ts_i).
 *
 * Non-stiff methods (rk45, ckrk) integrate the coupled system [y; s] with
 * Dormand-Prince 5(4) and its dense output, with the step control of
 * Boost.odeint's controlled dopri5 as Stan's integrate_ode_rk45 uses it
 * (initial step 0.1, error per component |err| / (atol + rtol (|x| + |h|
 * |dx/dt|)), over state and sensitivities), so solutions agree with Stan's
 * to rounding rather than to the tolerance. Stiff and Adams methods use
 * SUNDIALS CVODES (what Stan uses): CVodeSensInit with the staggered
 * corrector, error-estimated sensitivity tolerances, a dense Newton solver
 * with the exact Jacobian, initial step 0.1, 20 error-test and 50
 * convergence failures allowed per step. */
#include "vi/ode.h"

#include <cvodes/cvodes.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <string.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "vi/ops.h"
#include "vi/stdlib.h"

static const struct {
  const char *name;
  int kind, legacy, tol;
} ode_names[] = {
    {"integrate_ode_rk45", VI_ODE_RK45, 1, 0}, {"integrate_ode_bdf", VI_ODE_BDF, 1, 0},
    {"integrate_ode_adams", VI_ODE_ADAMS, 1, 0}, {"ode_rk45", VI_ODE_RK45, 0, 0},
    {"ode_rk45_tol", VI_ODE_RK45, 0, 1},        {"ode_bdf", VI_ODE_BDF, 0, 0},
    {"ode_bdf_tol", VI_ODE_BDF, 0, 1},          {"ode_adams", VI_ODE_ADAMS, 0, 0},
    {"ode_adams_tol", VI_ODE_ADAMS, 0, 1},      {"ode_ckrk", VI_ODE_CKRK, 0, 0},
    {"ode_ckrk_tol", VI_ODE_CKRK, 0, 1},
};

int vi_ode_lookup(const char *name, int *kind, int *legacy, int *tol) {
  for (size_t i = 0; i < sizeof ode_names / sizeof ode_names[0]; i++)
    if (!strcmp(name, ode_names[i].name)) {
      *kind = ode_names[i].kind;
      *legacy = ode_names[i].legacy;
      *tol = ode_names[i].tol;
      return VI_OK;
    }
  return -1;
}

enum { ODE_MAX_ARGS = 32 };

struct ode {
  struct vi_ctx *c;            /* the caller's context: its arena holds each f evaluation's scratch */
  const struct vi_ode_rhs *f;
  const char *fname;           /* the solver's name, for messages */
  struct vi_srcloc loc;        /* the call */
  int legacy;                  /* y is a real array (integrate_ode_*), else a vector */
  int N, P, ny0, Q;            /* states; parameters: ny0 from y0 (0 or N), then Q from the trailing args */
  struct vi_val *extra;        /* trailing arguments */
  int nextra;
  uint8_t var[ODE_MAX_ARGS];   /* per trailing argument: its elements are parameters */
  double *jy, *jq;             /* df/dy (N x N), df/dq (N x Q), column-major */
  double *jac_y, jac_t;        /* the (t, y) where jy, jq were taken (CVODES asks again at the same point) */
  int jac_ok;
  int failed;                  /* f reported an error (already in the diagnostics) */
  char msg[400];               /* the solver's reason for a failure */
};

/* f(t, y) into dydt; with jac also o->jy and o->jq. 0, or 1 when f failed
 * (reported). The evaluation's values live above an arena mark that is
 * restored before returning. */
static int ode_eval(struct ode *o, double t, const double *y, double *dydt, int jac) {
  struct vi_arena *ar = o->c->arena;
  struct vi_arena_mark mk = vi_arena_save(ar);
  struct vi_tape tape;
  vi_tape_init(&tape);
  struct vi_ctx c = *o->c;
  c.tape = jac ? &tape : NULL;
  c.rng = NULL;
  c.dynamic = 0;
  memset(&c.err, 0, sizeof c.err);
  int N = o->N, n = 2 + o->nextra, r = 1, nbuf = 0;
  struct vi_val args[ODE_MAX_ARGS + 2], out;
  double *buf[ODE_MAX_ARGS + 2];
  size_t nb[ODE_MAX_ARGS + 2];
  struct vi_type yt = o->legacy ? (struct vi_type){VI_T_REAL, 1} : (struct vi_type){VI_T_VECTOR, 0};
  if (vi_val_real_scalar(&c, &args[0], t) || vi_val_new_real(&c, &args[1], yt, &N)) goto oom;
  memcpy(args[1].x, y, (size_t)N * sizeof *y);
  if (jac) {
    if (!(args[1].dx = vi_arena_array(ar, (size_t)N, sizeof(double)))) goto oom;
    buf[nbuf] = args[1].dx;
    nb[nbuf++] = (size_t)N;
  }
  for (int j = 0; j < o->nextra; j++) {
    const struct vi_val *v = &o->extra[j];
    if (!jac || !o->var[j]) {
      args[2 + j] = *v;
      continue;
    }
    struct vi_val w = {0};
    vi_val_shape_like(&w, v);
    w.x = vi_arena_array(ar, v->n ? v->n : 1, sizeof(double));
    w.dx = vi_arena_array(ar, v->n ? v->n : 1, sizeof(double));
    if (!w.x || !w.dx) goto oom;
    for (size_t i = 0; i < v->n; i++) w.x[i] = vi_val_get(v, i);
    buf[nbuf] = w.dx;
    nb[nbuf++] = v->n;
    args[2 + j] = w;
  }
  if (o->f->call(o->f->env, &c, args, n, &out, o->loc)) {
    o->failed = 1;
    goto done;
  }
  if (out.n != (size_t)N || out.t.base == VI_T_INT) {
    vi_ctx_error(o->c, o->loc, "%s: the ODE function returned %zu values for a state of size %d", o->fname, out.n, N);
    o->failed = 1;
    goto done;
  }
  for (int i = 0; i < N; i++) dydt[i] = vi_val_get(&out, (size_t)i);
  if (jac) {
    for (int i = 0; i < N; i++) {
      struct vi_ref ri = vi_val_ref(&out, (size_t)i);
      if (ri.dx) {
        tape.nterms = 0;
        if (vi_tape_add_term(&tape, ri)) goto oom;
        vi_tape_reverse(&tape, buf, nb, nbuf);
      } else {
        for (int b = 0; b < nbuf; b++) memset(buf[b], 0, nb[b] * sizeof(double));
      }
      for (int k = 0; k < N; k++) o->jy[(size_t)k * (size_t)N + (size_t)i] = args[1].dx[k];
      int q = 0;
      for (int j = 0; j < o->nextra; j++)
        if (o->var[j])
          for (size_t e = 0; e < o->extra[j].n; e++, q++)
            o->jq[(size_t)q * (size_t)N + (size_t)i] = args[2 + j].dx[e];
    }
  }
  r = 0;
  goto done;
oom:
  vi_ctx_error(o->c, o->loc, "%s: out of memory", o->fname);
  o->failed = 1;
done:
  vi_tape_free(&tape);
  vi_arena_restore(ar, mk);
  return r;
}

/* The coupled system [y; s_1..s_P] (sens) or y alone. */
static int coupled(struct ode *o, double t, const double *z, double *dz, int sens) {
  int N = o->N;
  if (ode_eval(o, t, z, dz, sens && o->P)) return 1;
  if (!sens) return 0;
  for (int p = 0; p < o->P; p++) {
    const double *s = z + (size_t)N * (size_t)(p + 1);
    double *ds = dz + (size_t)N * (size_t)(p + 1);
    for (int i = 0; i < N; i++) {
      double acc = p >= o->ny0 ? o->jq[(size_t)(p - o->ny0) * (size_t)N + (size_t)i] : 0.0;
      for (int k = 0; k < N; k++) acc += o->jy[(size_t)k * (size_t)N + (size_t)i] * s[k];
      ds[i] = acc;
    }
  }
  return 0;
}

/* ---- Dormand-Prince 5(4) with dense output ---- */

struct dp {
  struct ode *o;
  int sens;
  size_t m;                          /* coupled size */
  double *x, *dx, *xo, *dxo;         /* current and previous state and derivative */
  double *k2, *k3, *k4, *k5, *k6, *tmp;
  double atol, rtol;
  double t, to, h;                   /* current time, previous time, next step */
  int deriv_ok;
};

/* One attempt from (x, dx, t) with step *h into (xo, dxo): 0 accepted (t
 * advanced, *h the next step), 1 rejected (*h reduced), -1 f failed. */
static int dp_try(struct dp *d, double *h) {
  static const double a21 = 1.0 / 5, a31 = 3.0 / 40, a32 = 9.0 / 40, a41 = 44.0 / 45, a42 = -56.0 / 15,
                      a43 = 32.0 / 9, a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                      a54 = -212.0 / 729, a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247,
                      a64 = 49.0 / 176, a65 = -5103.0 / 18656, b1 = 35.0 / 384, b3 = 500.0 / 1113,
                      b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84, c2 = 1.0 / 5, c3 = 3.0 / 10,
                      c4 = 4.0 / 5, c5 = 8.0 / 9;
  static const double e1 = 35.0 / 384 - 5179.0 / 57600, e3 = 500.0 / 1113 - 7571.0 / 16695,
                      e4 = 125.0 / 192 - 393.0 / 640, e5 = -2187.0 / 6784 + 92097.0 / 339200,
                      e6 = 11.0 / 84 - 187.0 / 2100, e7 = -1.0 / 40;
  size_t m = d->m;
  double t = d->t, dt = *h;
  const double *x = d->x, *k1 = d->dx;
  for (size_t i = 0; i < m; i++) d->tmp[i] = x[i] + dt * a21 * k1[i];
  if (coupled(d->o, t + dt * c2, d->tmp, d->k2, d->sens)) return -1;
  for (size_t i = 0; i < m; i++) d->tmp[i] = x[i] + dt * (a31 * k1[i] + a32 * d->k2[i]);
  if (coupled(d->o, t + dt * c3, d->tmp, d->k3, d->sens)) return -1;
  for (size_t i = 0; i < m; i++) d->tmp[i] = x[i] + dt * (a41 * k1[i] + a42 * d->k2[i] + a43 * d->k3[i]);
  if (coupled(d->o, t + dt * c4, d->tmp, d->k4, d->sens)) return -1;
  for (size_t i = 0; i < m; i++)
    d->tmp[i] = x[i] + dt * (a51 * k1[i] + a52 * d->k2[i] + a53 * d->k3[i] + a54 * d->k4[i]);
  if (coupled(d->o, t + dt * c5, d->tmp, d->k5, d->sens)) return -1;
  for (size_t i = 0; i < m; i++)
    d->tmp[i] = x[i] + dt * (a61 * k1[i] + a62 * d->k2[i] + a63 * d->k3[i] + a64 * d->k4[i] + a65 * d->k5[i]);
  if (coupled(d->o, t + dt, d->tmp, d->k6, d->sens)) return -1;
  for (size_t i = 0; i < m; i++)
    d->xo[i] = x[i] + dt * (b1 * k1[i] + b3 * d->k3[i] + b4 * d->k4[i] + b5 * d->k5[i] + b6 * d->k6[i]);
  if (coupled(d->o, t + dt, d->xo, d->dxo, d->sens)) return -1;
  double emax = 0;
  for (size_t i = 0; i < m; i++) {
    double e = dt * (e1 * k1[i] + e3 * d->k3[i] + e4 * d->k4[i] + e5 * d->k5[i] + e6 * d->k6[i] + e7 * d->dxo[i]);
    e = fabs(e) / (d->atol + d->rtol * (fabs(x[i]) + fabs(dt) * fabs(k1[i])));
    if (e > emax) emax = e; /* NaN is passed over, as odeint's max norm does */
  }
  if (emax > 1.0) {
    double f = 0.9 * pow(emax, -1.0 / 3.0);
    *h = dt * (f > 0.2 ? f : 0.2);
    return 1;
  }
  d->t = t + dt;
  if (emax < 0.5) {
    double e = emax > pow(5.0, -5.0) ? emax : pow(5.0, -5.0);
    *h = dt * 0.9 * pow(e, -1.0 / 5.0);
  }
  return 0;
}

/* The state at time t in [to, t] of the last step (Hairer's dense output). */
static void dp_dense(const struct dp *d, double t, double *out) {
  const double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84;
  double dt = d->t - d->to, th = (t - d->to) / dt;
  double X1 = 5.0 * (2558722523.0 - 31403016.0 * th) / 11282082432.0;
  double X3 = 100.0 * (882725551.0 - 15701508.0 * th) / 32700410799.0;
  double X4 = 25.0 * (443332067.0 - 31403016.0 * th) / 1880347072.0;
  double X5 = 32805.0 * (23143187.0 - 3489224.0 * th) / 199316789632.0;
  double X6 = 55.0 * (29972135.0 - 7076736.0 * th) / 822651844.0;
  double X7 = 10.0 * (7414447.0 - 829305.0 * th) / 29380423.0;
  double tm1 = th - 1.0, th2 = th * th;
  double A = th2 * (3.0 - 2.0 * th), B = th2 * tm1, C = th2 * tm1 * tm1, D = th * tm1 * tm1;
  double w1 = dt * (A * b1 - C * X1 + D), w3 = dt * (A * b3 + C * X3), w4 = dt * (A * b4 - C * X4),
         w5 = dt * (A * b5 + C * X5), w6 = dt * (A * b6 - C * X6), w7 = dt * (B + C * X7);
  for (size_t i = 0; i < d->m; i++)
    out[i] = d->xo[i] + w1 * d->dxo[i] + w3 * d->k3[i] + w4 * d->k4[i] + w5 * d->k5[i] + w6 * d->k6[i] +
             w7 * d->dx[i];
}

/* After a step: x, dx the new state; xo, dxo the previous one. */
static void dp_swap(struct dp *d) {
  double *a = d->x, *b = d->dx;
  d->x = d->xo, d->dx = d->dxo;
  d->xo = a, d->dxo = b;
}

static int le_sign(double t1, double t2) { return t1 - t2 <= 2.220446049250313e-16; }

/* Integrates z (m values at t0) to the times ts[0..T-1], writing T x m
 * values to zout. 0, or 1 with o->msg set (or o->failed). */
static int rk45(struct ode *o, int sens, double t0, const double *ts, int T, const double *z0, double rtol,
                double atol, long max_steps, double *zout) {
  struct dp d = {.o = o, .sens = sens};
  d.m = (size_t)o->N * (size_t)(sens ? o->P + 1 : 1);
  double *mem = vi_arena_array(o->c->arena, 10 * d.m, sizeof(double));
  if (!mem) {
    snprintf(o->msg, sizeof o->msg, "out of memory");
    return 1;
  }
  double **slot[] = {&d.x, &d.dx, &d.xo, &d.dxo, &d.k2, &d.k3, &d.k4, &d.k5, &d.k6, &d.tmp};
  for (int i = 0; i < 10; i++) *slot[i] = mem + (size_t)i * d.m;
  d.atol = atol, d.rtol = rtol;
  memcpy(d.x, z0, d.m * sizeof *z0);
  d.t = t0;
  d.h = 0.1;
  double last = ts[T - 1];
  int idx = 0;
  long steps = 0;
  while (idx < T) {
    while (idx < T && le_sign(ts[idx], d.t)) {
      dp_dense(&d, ts[idx], zout + (size_t)idx * d.m);
      idx++;
      steps = 0;
    }
    if (idx >= T) break;
    if (!le_sign(d.t + d.h, last)) {
      d.h = last - d.t;
      d.deriv_ok = 0;
    }
    if (steps++ >= max_steps) {
      snprintf(o->msg, sizeof o->msg, "failed to integrate to the next output time (%.17g) in less than max_num_steps (%ld) steps",
               ts[idx], max_steps);
      return 1;
    }
    if (!d.deriv_ok) {
      if (coupled(o, d.t, d.x, d.dx, sens)) return 1;
      d.deriv_ok = 1;
    }
    d.to = d.t;
    int tries = 0, r;
    while ((r = dp_try(&d, &d.h)) == 1)
      if (++tries >= 500) {
        snprintf(o->msg, sizeof o->msg, "the step size could not be adjusted: 500 rejected steps at t = %.17g", d.t);
        return 1;
      }
    if (r < 0) return 1;
    dp_swap(&d);
  }
  return 0;
}

/* ---- CVODES ---- */

static int cv_rhs(sunrealtype t, N_Vector y, N_Vector yd, void *ud) {
  struct ode *o = ud;
  return ode_eval(o, t, N_VGetArrayPointer(y), N_VGetArrayPointer(yd), 0) ? -1 : 0;
}

static int cv_jac(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1, N_Vector t2,
                  N_Vector t3) {
  (void)t1, (void)t2, (void)t3;
  struct ode *o = ud;
  o->jac_ok = 0;
  if (ode_eval(o, t, N_VGetArrayPointer(y), N_VGetArrayPointer(fy), 1)) return -1;
  memcpy(o->jac_y, N_VGetArrayPointer(y), (size_t)o->N * sizeof(double));
  o->jac_t = t;
  o->jac_ok = 1;
  for (int k = 0; k < o->N; k++)
    for (int i = 0; i < o->N; i++) SM_ELEMENT_D(J, i, k) = o->jy[(size_t)k * (size_t)o->N + (size_t)i];
  return 0;
}

static int cv_sens(int ns, sunrealtype t, N_Vector y, N_Vector yd, N_Vector *ys, N_Vector *ysd, void *ud,
                   N_Vector t1, N_Vector t2) {
  (void)t1, (void)t2;
  struct ode *o = ud;
  int N = o->N;
  double *f = N_VGetArrayPointer(t1);
  const double *yv = N_VGetArrayPointer(y);
  (void)yd;
  /* the staggered corrector iterates the sensitivities at a fixed (t, y) */
  if (!(o->jac_ok && o->jac_t == t && !memcmp(o->jac_y, yv, (size_t)N * sizeof *yv))) {
    o->jac_ok = 0;
    if (ode_eval(o, t, yv, f, 1)) return -1;
    memcpy(o->jac_y, yv, (size_t)N * sizeof *yv);
    o->jac_t = t;
    o->jac_ok = 1;
  }
  for (int p = 0; p < ns; p++) {
    const double *s = N_VGetArrayPointer(ys[p]);
    double *ds = N_VGetArrayPointer(ysd[p]);
    for (int i = 0; i < N; i++) {
      double acc = p >= o->ny0 ? o->jq[(size_t)(p - o->ny0) * (size_t)N + (size_t)i] : 0.0;
      for (int k = 0; k < N; k++) acc += o->jy[(size_t)k * (size_t)N + (size_t)i] * s[k];
      ds[i] = acc;
    }
  }
  return 0;
}

static void cv_err(int code, const char *module, const char *function, char *msg, void *ud) {
  struct ode *o = ud;
  (void)module;
  if (code < 0 && !o->msg[0]) snprintf(o->msg, sizeof o->msg, "%s: %s", function, msg);
}

static int cvodes(struct ode *o, int sens, int adams, double t0, const double *ts, int T, const double *z0,
                  double rtol, double atol, long max_steps, double *zout) {
  int N = o->N, P = sens ? o->P : 0, ok = 0;
  size_t m = (size_t)N * (size_t)(P + 1);
  SUNContext sc = NULL;
  N_Vector y = NULL, *ys = NULL;
  SUNMatrix A = NULL;
  SUNLinearSolver LS = NULL;
  void *mem = NULL;
  if (SUNContext_Create(NULL, &sc)) {
    snprintf(o->msg, sizeof o->msg, "SUNDIALS could not start");
    return 1;
  }
  y = N_VNew_Serial(N, sc);
  mem = CVodeCreate(adams ? CV_ADAMS : CV_BDF, sc);
  A = SUNDenseMatrix(N, N, sc);
  if (!y || !mem || !A) goto fail;
  memcpy(N_VGetArrayPointer(y), z0, (size_t)N * sizeof *z0);
  LS = SUNLinSol_Dense(y, A, sc);
  CVodeSetErrHandlerFn(mem, cv_err, o);
  if (!LS || CVodeInit(mem, cv_rhs, t0, y) || CVodeSetUserData(mem, o) || CVodeSStolerances(mem, rtol, atol) ||
      CVodeSetMaxNumSteps(mem, max_steps) || CVodeSetInitStep(mem, 0.1) || CVodeSetMaxErrTestFails(mem, 20) ||
      CVodeSetMaxConvFails(mem, 50) || CVodeSetLinearSolver(mem, LS, A) || CVodeSetJacFn(mem, cv_jac))
    goto fail;
  if (P) {
    ys = N_VCloneVectorArray(P, y);
    if (!ys) goto fail;
    for (int p = 0; p < P; p++) memcpy(N_VGetArrayPointer(ys[p]), z0 + (size_t)N * (size_t)(p + 1), (size_t)N * sizeof *z0);
    if (CVodeSensInit(mem, P, CV_STAGGERED, cv_sens, ys) || CVodeSensEEtolerances(mem)) goto fail;
  }
  double tcur = t0;
  for (int i = 0; i < T; i++) {
    double *zo = zout + (size_t)i * m;
    if (ts[i] != tcur) {
      int flag = CVode(mem, ts[i], y, &tcur, CV_NORMAL);
      if (flag == CV_TOO_MUCH_WORK) {
        o->msg[0] = 0;
        snprintf(o->msg, sizeof o->msg,
                 "failed to integrate to the next output time (%.17g) in less than max_num_steps (%ld) steps", ts[i],
                 max_steps);
        goto fail;
      }
      if (flag < 0) goto fail;
      if (P && CVodeGetSens(mem, &tcur, ys)) goto fail;
    }
    memcpy(zo, N_VGetArrayPointer(y), (size_t)N * sizeof *zo);
    for (int p = 0; p < P; p++) memcpy(zo + (size_t)N * (size_t)(p + 1), N_VGetArrayPointer(ys[p]), (size_t)N * sizeof *zo);
  }
  ok = 1;
fail:
  if (!ok && !o->msg[0]) snprintf(o->msg, sizeof o->msg, "CVODES failed");
  if (ys) N_VDestroyVectorArray(ys, P);
  if (mem) CVodeFree(&mem);
  if (LS) SUNLinSolFree(LS);
  if (A) SUNMatDestroy(A);
  if (y) N_VDestroy(y);
  SUNContext_Free(&sc);
  return !ok;
}

/* ---- the node ---- */

/* The solution is computed when the call is evaluated, and the model is
 * then recorded afresh at every point (vi_ode_solve sets c->dynamic), so
 * this kernel runs only if that contract is broken: it fails rather than
 * return a stale solution. */
int vi_k_ode_fwd(struct vi_node *n) {
  return vi_node_fail(n, "an ODE solution cannot be replayed (the model must be recorded at every point)");
}

/* y[i, k] = y_k(ts_i);  dp += sum_ik dy[i, k] S[i, p, k];  dts_i += sum_k dy[i, k] f_k(ts_i, y(ts_i));
 * dt0 -= sum_ik dy[i, k] sum_j S[i, j, k] f_j(t0, y0)  (j over the y0 parameters, the first N).
 * i[0] = N, i[1] = P, i[2] = T, i[3] = 1 when the times are operands, i[4]
 * = 1 when t0 is (the last); aux holds S (T x P x N), then f at the output
 * times (T x N), then f(t0, y0) (N). */
void vi_k_ode_bwd(struct vi_node *n) {
  int N = n->i[0], P = n->i[1], T = n->i[2];
  const double *S = n->aux, *F = n->aux + (size_t)T * (size_t)P * (size_t)N, *F0 = F + (size_t)T * (size_t)N;
  double *dt0 = n->i[4] ? n->a[n->na - 1].dx : NULL;
  for (int i = 0; i < T; i++) {
    const double *g = n->dy + (size_t)i * (size_t)N;
    for (int p = 0; p < P; p++) {
      if (!n->a[p].dx) continue;
      const double *s = S + ((size_t)i * (size_t)P + (size_t)p) * (size_t)N;
      double acc = 0;
      for (int k = 0; k < N; k++) acc += g[k] * s[k];
      n->a[p].dx[0] += acc;
    }
    if (n->i[3] && n->a[P + i].dx) {
      double acc = 0;
      for (int k = 0; k < N; k++) acc += g[k] * F[(size_t)i * (size_t)N + (size_t)k];
      n->a[P + i].dx[0] += acc;
    }
    if (dt0) {
      double acc = 0;
      for (int j = 0; j < N; j++) {
        const double *s = S + ((size_t)i * (size_t)P + (size_t)j) * (size_t)N;
        for (int k = 0; k < N; k++) acc += g[k] * s[k] * F0[j];
      }
      *dt0 -= acc;
    }
  }
}

static int all_finite(const struct vi_val *v) {
  for (size_t i = 0; i < v->n; i++)
    if (!isfinite(vi_val_get(v, i))) return 0;
  return 1;
}

int vi_ode_solve(struct vi_ctx *c, const struct vi_ode_rhs *f, const char *fname, int kind, int legacy, int tol,
                 struct vi_val *args, int nargs, struct vi_val *out, struct vi_srcloc loc) {
  struct ode o = {.c = c, .f = f, .fname = fname, .loc = loc, .legacy = legacy};
  struct vi_val *y0 = &args[0], *t0v = &args[1], *tsv = &args[2];
  int first = legacy ? 3 : tol ? 6 : 3; /* first trailing argument */
  double rtol = kind == VI_ODE_BDF || kind == VI_ODE_ADAMS ? 1e-10 : 1e-6;
  double atol = rtol, msteps = kind == VI_ODE_BDF || kind == VI_ODE_ADAMS ? 1e8 : 1e6;
  int tat = legacy ? 6 : 3;
  if ((legacy && nargs == 9) || (!legacy && tol)) {
    rtol = vi_val_get(&args[tat], 0);
    atol = vi_val_get(&args[tat + 1], 0);
    msteps = vi_val_get(&args[tat + 2], 0);
  }
  o.extra = args + first;
  o.nextra = legacy ? 3 : nargs - first;
  if (o.nextra > ODE_MAX_ARGS) return vi_ctx_error(c, loc, "%s: too many arguments", fname);
  o.N = (int)y0->n;
  int T = (int)tsv->n;
  double t0 = vi_val_get(t0v, 0);
  if (o.N == 0) return vi_ctx_error(c, loc, "%s: the initial state has size 0, must be positive", fname);
  if (T == 0) return vi_ctx_error(c, loc, "%s: the output times have size 0, must be positive", fname);
  if (!all_finite(y0)) return vi_ctx_error(c, loc, "%s: the initial state is not finite", fname);
  if (!isfinite(t0)) return vi_ctx_error(c, loc, "%s: the initial time is %g, must be finite", fname, t0);
  if (!all_finite(tsv)) return vi_ctx_error(c, loc, "%s: the output times are not finite", fname);
  for (int i = 1; i < T; i++)
    if (legacy ? vi_val_get(tsv, (size_t)i) <= vi_val_get(tsv, (size_t)i - 1)
               : vi_val_get(tsv, (size_t)i) < vi_val_get(tsv, (size_t)i - 1))
      return vi_ctx_error(c, loc, "%s: the output times must be %s (times[%d] = %g, times[%d] = %g)", fname,
                          legacy ? "strictly increasing" : "sorted", i, vi_val_get(tsv, (size_t)i - 1), i + 1,
                          vi_val_get(tsv, (size_t)i));
  if (legacy ? !(vi_val_get(tsv, 0) > t0) : !(vi_val_get(tsv, 0) >= t0))
    return vi_ctx_error(c, loc, "%s: the initial time is %g, but must be less than%s the first output time %g", fname,
                        t0, legacy ? "" : " or equal to", vi_val_get(tsv, 0));
  for (int j = 0; j < o.nextra; j++)
    if (!all_finite(&o.extra[j]))
      return vi_ctx_error(c, loc, "%s: argument %d (%s) is not finite", fname, first + j + 2,
                          legacy ? (j == 0 ? "theta" : j == 1 ? "x_r" : "x_i") : "an ODE argument");
  if (!(rtol > 0) || !isfinite(rtol)) return vi_ctx_error(c, loc, "%s: relative tolerance is %g, must be positive", fname, rtol);
  if (!(atol > 0) || !isfinite(atol)) return vi_ctx_error(c, loc, "%s: absolute tolerance is %g, must be positive", fname, atol);
  if (!(msteps >= 1)) return vi_ctx_error(c, loc, "%s: max_num_steps is %g, must be positive", fname, msteps);
  long max_steps = msteps > 2e9 ? 2000000000L : (long)msteps;

  /* parameters: the differentiable elements of y0 and the trailing arguments */
  int tape = c->tape != NULL;
  int t0var = tape && !vi_val_is_const(t0v);
  /* dy(t)/dt0 = -(dy(t)/dy0) f(t0, y0): a differentiable t0 needs the y0 sensitivities */
  o.ny0 = tape && (t0var || !vi_val_is_const(y0)) ? o.N : 0;
  for (int j = 0; j < o.nextra; j++) {
    o.var[j] = tape && o.extra[j].t.base != VI_T_INT && !vi_val_is_const(&o.extra[j]);
    if (o.var[j]) o.Q += (int)o.extra[j].n;
  }
  o.P = o.ny0 + o.Q;
  int tsvar = tape && !vi_val_is_const(tsv);
  int sens = o.P > 0;
  size_t N = (size_t)o.N, P = (size_t)o.P, m = N * (P + 1), Tn = (size_t)T;
  if (P > 100000 || N > 100000 || m * Tn > ((size_t)1 << 28)) return vi_ctx_error(c, loc, "%s: the system is too large", fname);
  o.jy = vi_arena_array(c->arena, N * N, sizeof(double));
  o.jq = vi_arena_array(c->arena, N * (size_t)(o.Q ? o.Q : 1), sizeof(double));
  double *z0 = vi_arena_array(c->arena, m, sizeof(double));
  double *zout = vi_arena_array(c->arena, m * Tn, sizeof(double));
  o.jac_y = vi_arena_array(c->arena, N, sizeof(double));
  if (!o.jy || !o.jq || !o.jac_y || !z0 || !zout) return vi_ctx_error(c, loc, "%s: out of memory", fname);
  for (size_t k = 0; k < N; k++) z0[k] = vi_val_get(y0, k);
  for (size_t p = 0; p < (size_t)o.ny0; p++) z0[N * (p + 1) + p] = 1.0; /* dy0/dy0 = I */
  double *ts = vi_arena_array(c->arena, Tn, sizeof(double));
  if (!ts) return vi_ctx_error(c, loc, "%s: out of memory", fname);
  for (size_t i = 0; i < Tn; i++) ts[i] = vi_val_get(tsv, i);
  int bad = kind == VI_ODE_RK45 || kind == VI_ODE_CKRK
                ? rk45(&o, sens, t0, ts, T, z0, rtol, atol, max_steps, zout)
                : cvodes(&o, sens, kind == VI_ODE_ADAMS, t0, ts, T, z0, rtol, atol, max_steps, zout);
  if (bad) {
    if (o.failed) return VI_ERR_EVAL;
    return vi_ctx_error(c, loc, "%s: %s", fname, o.msg);
  }

  for (size_t i = 0; i < Tn; i++)
    for (size_t k = 0; k < N; k++)
      if (!isfinite(zout[i * m + k]))
        return vi_ctx_error(c, loc, "%s: the solution is not finite (state %zu is %g at time %g)", fname, k + 1,
                            zout[i * m + k], ts[i]);

  /* the result: array[T, N] real or array[T] vector[N] */
  int dims[2] = {T, o.N};
  struct vi_type rt = legacy ? (struct vi_type){VI_T_REAL, 2} : (struct vi_type){VI_T_VECTOR, 1};
  size_t nops = P + (tsvar ? Tn : 0) + (size_t)t0var;
  if (!tape || nops == 0) {
    if (vi_val_new_real(c, out, rt, dims)) return vi_ctx_error(c, loc, "%s: out of memory", fname);
    for (size_t i = 0; i < Tn; i++) memcpy(out->x + i * N, zout + i * m, N * sizeof(double));
    return VI_OK;
  }
  struct vi_node *n = vi_node_new(c, VI_OPDEF(ODE_SOLUTION), (int)nops, N * Tn, loc);
  if (!n || vi_node_aux(c, n, Tn * P * N + Tn * N + N)) return VI_ERR_NOMEM;
  n->fname = fname;
  n->i[0] = o.N, n->i[1] = o.P, n->i[2] = T, n->i[3] = tsvar, n->i[4] = t0var;
  size_t op = 0;
  for (size_t k = 0; k < (size_t)o.ny0; k++) {
    struct vi_ref r = vi_val_ref(y0, k);
    vi_node_arg_raw(n, (int)op++, r.x, r.dx, 1);
  }
  for (int j = 0; j < o.nextra; j++)
    if (o.var[j])
      for (size_t e = 0; e < o.extra[j].n; e++) {
        struct vi_ref r = vi_val_ref(&o.extra[j], e);
        vi_node_arg_raw(n, (int)op++, r.x, r.dx, 1);
      }
  if (tsvar)
    for (size_t i = 0; i < Tn; i++) {
      struct vi_ref r = vi_val_ref(tsv, i);
      vi_node_arg_raw(n, (int)op++, r.x, r.dx, 1);
    }
  if (t0var) {
    struct vi_ref r = vi_val_ref(t0v, 0);
    vi_node_arg_raw(n, (int)op++, r.x, r.dx, 1);
    if (ode_eval(&o, t0, z0, n->aux + Tn * P * N + Tn * N, 0)) return VI_ERR_EVAL;
  }
  for (size_t i = 0; i < Tn; i++) {
    memcpy(n->y + i * N, zout + i * m, N * sizeof(double));
    for (size_t p = 0; p < P; p++) memcpy(n->aux + (i * P + p) * N, zout + i * m + N * (p + 1), N * sizeof(double));
  }
  if (tsvar)
    for (size_t i = 0; i < Tn; i++)
      if (ode_eval(&o, ts[i], n->y + i * N, n->aux + Tn * P * N + i * N, 0)) return VI_ERR_EVAL;
  n->dy = vi_arena_array(c->arena, N * Tn, sizeof(double));
  if (!n->dy || vi_tape_push(c->tape, n)) return vi_ctx_error(c, loc, "%s: out of memory", fname);
  c->dynamic = 1; /* the node does not replay: record the model afresh at every point */
  vi_val_set_shape(out, rt, dims);
  out->x = n->y;
  out->dx = n->dy;
  out->ref = NULL;
  out->ix = NULL;
  return VI_OK;
}
