/* ode.h: ODE solvers with sensitivities (stdlib/ode.c), Stan's
 * integrate_ode_rk45/bdf/adams(f, y0, t0, ts, theta, x_r, x_i [, rtol, atol,
 * max_num_steps]) and the variadic ode_rk45/bdf/adams/ckrk[_tol](f, y0, t0,
 * ts, [rtol, atol, max_num_steps,] ...).
 *
 * The right-hand side is a user function; the solver calls it back through
 * struct vi_ode_rhs, so this module knows nothing of the interpreter. */
#ifndef VI_ODE_H
#define VI_ODE_H
#include "vi/tape.h"

enum vi_ode_kind {
  VI_ODE_RK45,  /* Dormand-Prince 5(4), the step control of Boost.odeint's dense-output dopri5 (Stan's rk45) */
  VI_ODE_CKRK,  /* solved as VI_ODE_RK45 (Stan uses Cash-Karp: the same tolerances, other steps) */
  VI_ODE_BDF,   /* SUNDIALS CVODES, backward differentiation formulas, dense Newton */
  VI_ODE_ADAMS  /* SUNDIALS CVODES, Adams-Moulton, dense Newton */
};

/* What a call name means: VI_OK with *kind, *legacy (integrate_ode_*) and
 * *tol (takes rtol, atol, max_num_steps; for integrate_ode_* they are
 * optional), or -1 when name is no ODE solver. */
int vi_ode_lookup(const char *name, int *kind, int *legacy, int *tol);

/* The right-hand side f(t, y, args...): evaluates into *out in context c
 * (whose tape, when set, records the evaluation). args[0] is t (real),
 * args[1] y (real array for integrate_ode_*, else vector), then the
 * trailing arguments. Returns VI_OK or an error already reported. */
struct vi_ode_rhs {
  int (*call)(void *env, struct vi_ctx *c, struct vi_val *args, int nargs, struct vi_val *out, struct vi_srcloc loc);
  void *env;
};

/* Solves the call `name(f, args...)` (args without f, evaluated). legacy,
 * tol, kind as vi_ode_lookup; fname is the name for messages. On success
 * *out is the solution at the output times (array[T, N] real or
 * array[T] vector[N]); with a tape, one node carries the forward
 * sensitivities to the initial state, the trailing arguments and the
 * output times (the model is then recorded afresh at every point). A
 * solver failure is an evaluation error at loc naming the reason. */
int vi_ode_solve(struct vi_ctx *c, const struct vi_ode_rhs *f, const char *fname, int kind, int legacy, int tol,
                 struct vi_val *args, int nargs, struct vi_val *out, struct vi_srcloc loc);

#endif
