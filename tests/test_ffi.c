/* test_ffi.c: foreign functions (runtime/ffi.c, include/vi/ffi.h).
 *
 * The functions live in tests/ffi/libvitest.c, built as a shared library;
 * VI_FFI_LIB_DIR names the directory holding libvitest.so (tests/meson.build).
 * (a) vi_ffi_open / vi_ffi_call on parsed declarations: values against the
 *     same functions written here in C, gradients against central finite
 *     differences, tape replays with new values; (b) every open error with its
 *     message and location; (c) NaN results; (d) end to end through
 *     vi_model_log_density and vi-run (needs the interpreter's integration). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vi/ast.h"
#include "vi/ffi.h"
#include "vi/model.h"
#include "vi/tape.h"
#include "testutil.h"

static const char *lib_dir(void) {
  const char *s = getenv("VI_FFI_LIB_DIR");
  cr_assert(s && *s, "VI_FFI_LIB_DIR must name the directory holding libvitest.so");
  return s;
}

/* ---- fixtures ---- */

struct ev {
  struct vi_arena arena;
  struct vi_tape tape;
  struct vi_diags d;
  struct vi_ctx c;
  struct vi_program *prog;
};

static void ev_init(struct ev *e) {
  memset(e, 0, sizeof *e);
  vi_arena_init(&e->arena);
  vi_tape_init(&e->tape);
  vi_diags_init(&e->d);
  e->c.arena = &e->arena;
  e->c.tape = &e->tape;
  e->c.diags = &e->d;
}

static void ev_free(struct ev *e) {
  vi_tape_free(&e->tape);
  vi_diags_free(&e->d);
  vi_arena_free(&e->arena);
}

/* Parses "functions { <decl> }" (the declaration on line 2) and returns its
 * only function. */
static struct vi_fundef *parse_decl(struct ev *e, const char *decl) {
  char *src = vi_arena_array(&e->arena, strlen(decl) + 32, 1);
  sprintf(src, "functions {\n%s\n}\n", decl);
  e->prog = vi_parse(&e->arena, "t.vim", src, strlen(src), &e->d);
  cr_assert(e->prog, "the declaration parses: %s", e->d.buf ? e->d.buf : "");
  cr_assert_eq(e->prog->nfuns, 1);
  return e->prog->funs[0];
}

static struct vi_ffi_fn *open_decl(struct ev *e, const char *decl) {
  struct vi_ffi_fn *f = NULL;
  const char *dir = lib_dir();
  if (strstr(decl, "libpharma.so")) { /* the example's library */
    dir = getenv("VI_PHARMA_DIR");
    cr_assert(dir, "VI_PHARMA_DIR names the directory holding libpharma.so");
  }
  int st = vi_ffi_open(parse_decl(e, decl), dir, &f, &e->d);
  cr_assert_eq(st, VI_OK, "vi_ffi_open: %s", e->d.buf ? e->d.buf : "");
  cr_assert(f);
  return f;
}

/* Expects vi_ffi_open to fail with exactly `msg` (one diagnostic). */
static void expect_open_error(const char *decl, const char *model_dir, const char *msg) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = (struct vi_ffi_fn *)1;
  int st = vi_ffi_open(parse_decl(&e, decl), model_dir, &f, &e.d);
  cr_assert_eq(st, VI_ERR_TYPE, "open fails for: %s", decl);
  cr_assert_null(f);
  cr_assert_eq(e.d.nerrors, 1, "one error, got: %s", e.d.buf);
  cr_assert(strncmp(e.d.buf, msg, strlen(msg)) == 0, "expected\n  %s\ngot\n  %s", msg, e.d.buf);
  ev_free(&e);
}

/* One argument of a direct call: its type, and its values (reals are leaves
 * with adjoints unless constant). */
struct arg {
  struct vi_type t;
  int len;            /* elements (1 for scalars) */
  double x[6];
  int ix[6];
  int constant;
};

static struct vi_val make_val(struct ev *e, const struct arg *a) {
  struct vi_val v;
  memset(&v, 0, sizeof v);
  int dims[2] = {a->len, 0};
  cr_assert_eq(vi_val_set_shape(&v, a->t, dims), VI_OK);
  if (a->t.base == VI_T_INT) {
    v.ix = vi_arena_array(&e->arena, (size_t)a->len, sizeof(int));
    memcpy(v.ix, a->ix, (size_t)a->len * sizeof(int));
  } else {
    v.x = vi_arena_array(&e->arena, (size_t)a->len, sizeof(double));
    memcpy(v.x, a->x, (size_t)a->len * sizeof(double));
    if (!a->constant) v.dx = vi_arena_array(&e->arena, (size_t)a->len, sizeof(double));
  }
  return v;
}

#define T_REAL ((struct vi_type){VI_T_REAL, 0})
#define T_INT ((struct vi_type){VI_T_INT, 0})
#define T_VEC ((struct vi_type){VI_T_VECTOR, 0})
#define T_REALS ((struct vi_type){VI_T_REAL, 1})
#define T_INTS ((struct vi_type){VI_T_INT, 1})

/* Reference implementations, written here in C: output j at args a. */
typedef double (*ref_fn)(const struct arg *a, int j);

static double ref_hill(const struct arg *a, int j) {
  (void)j;
  double x = a[0].x[0], k = a[1].x[0], n = a[2].x[0];
  return pow(x, n) / (pow(k, n) + pow(x, n));
}
static double ref_sumsq(const struct arg *a, int j) {
  (void)j;
  double t = 0;
  for (int i = 0; i < a[0].len; i++) t += a[0].x[i] * a[0].x[i];
  return a[1].x[0] * t;
}
static double ref_scale_exp(const struct arg *a, int j) { return exp(a[1].x[0] * a[0].x[j]); }
static double ref_powi(const struct arg *a, int j) {
  (void)j;
  return pow(a[0].x[0], a[1].ix[0]);
}
static double ref_wsum(const struct arg *a, int j) {
  (void)j;
  double t = 0;
  for (int i = 0; i < a[1].len; i++) t += a[0].ix[i] * a[1].x[i];
  return t;
}

static double ref_lin5(const struct arg *a, int j) {
  (void)j;
  double x[5];
  for (int i = 0; i < 5; i++) x[i] = a[i].x[0];
  return x[0] + 2 * x[1] + 3 * x[2] + 4 * x[3] + 5 * x[4] + x[0] * x[1];
}

/* Calls the foreign function declared by decl on args, checks every output
 * against ref, then for each output j runs the reverse sweep and compares
 * each real argument's adjoint with central differences of ref, and the
 * tape's replay at the perturbed points with ref there. */
static void check_call(const char *decl, struct arg *args, int nargs, int nout, ref_fn ref) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, decl);
  cr_assert(vi_ffi_has_grad(f));
  struct vi_val v[6], out;
  for (int i = 0; i < nargs; i++) v[i] = make_val(&e, &args[i]);
  struct vi_srcloc loc = {"t.vim", 9, 3};
  int st = vi_ffi_call(&e.c, f, v, nargs, &out, loc);
  cr_assert_eq(st, VI_OK, "%s", e.d.buf ? e.d.buf : "");
  cr_assert_eq(out.n, (size_t)nout);
  cr_assert_eq(e.tape.n, 1, "one node per call");
  for (int j = 0; j < nout; j++)
    cr_assert_float_eq(out.x[j], ref(args, j), 1e-14 * fabs(ref(args, j)) + 1e-300, "value %d", j);
  double *zero[6];
  size_t nzero[6];
  int nz = 0;
  for (int i = 0; i < nargs; i++)
    if (v[i].dx) zero[nz] = v[i].dx, nzero[nz++] = v[i].n;
  for (int j = 0; j < nout; j++) {
    e.tape.nterms = 0;
    vi_tape_add_term(&e.tape, vi_val_ref(&out, (size_t)j));
    vi_tape_reverse(&e.tape, zero, nzero, nz);
    for (int i = 0; i < nargs; i++) {
      if (!v[i].dx) continue;
      for (int k = 0; k < args[i].len; k++) {
        double x0 = args[i].x[k], h = 1e-6 * fmax(1.0, fabs(x0));
        args[i].x[k] = x0 + h;
        double fp = ref(args, j);
        v[i].x[k] = x0 + h;
        cr_assert_eq(vi_tape_forward(&e.tape), VI_OK);
        cr_assert_float_eq(out.x[j], fp, 1e-13 * fabs(fp) + 1e-300, "replay at +h");
        args[i].x[k] = x0 - h;
        double fm = ref(args, j);
        args[i].x[k] = v[i].x[k] = x0;
        cr_assert_eq(vi_tape_forward(&e.tape), VI_OK); /* back at x0 before the next reverse sweep */
        double fd = (fp - fm) / (2 * h);
        cr_assert_float_eq(v[i].dx[k], fd, 1e-6 * fmax(1.0, fabs(fd)),
                           "d out[%d] / d arg %d [%d]: AD %.12g, finite differences %.12g", j, i, k,
                           v[i].dx[k], fd);
      }
    }
  }
  cr_assert_eq(vi_tape_forward(&e.tape), VI_OK);
  vi_ffi_close(f);
  ev_free(&e);
}

/* ---- (a) values and gradients ---- */

Test(ffi, scalar_function_value_and_gradient_match_c_and_finite_differences) {
  struct arg a[3] = {{T_REAL, 1, {1.7}, {0}, 0}, {T_REAL, 1, {2.3}, {0}, 0}, {T_REAL, 1, {3.1}, {0}, 0}};
  check_call("real hill(real x, real k, real n) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grad\");",
             a, 3, 1, ref_hill);
}

Test(ffi, five_scalar_arguments_go_through_libffi) {
  struct arg a[5] = {{T_REAL, 1, {0.3}, {0}, 0}, {T_REAL, 1, {-1.1}, {0}, 0}, {T_REAL, 1, {2.0}, {0}, 1},
                     {T_REAL, 1, {0.7}, {0}, 0}, {T_REAL, 1, {1.9}, {0}, 0}};
  check_call("real lin5(real a, real b, real c, real d, real e) = extern(\"libvitest.so\", \"vt_lin5\", grad = \"vt_lin5_grad\");",
             a, 5, 1, ref_lin5);
}

Test(ffi, example_hill_function_value_and_gradient) {
  struct arg a[3] = {{T_REAL, 1, {3.5}, {0}, 0}, {T_REAL, 1, {2.0}, {0}, 0}, {T_REAL, 1, {1.7}, {0}, 0}};
  check_call("real hill(real c, real ec50, real n) = extern(\"libpharma.so\", \"hill\", grad = \"hill_grad\");",
             a, 3, 1, ref_hill);
  a[0].x[0] = 0.4;
  a[2].x[0] = 25.0;
  check_call("real hill(real c, real ec50, real n) = extern(\"libpharma.so\", \"hill\", grad = \"hill_grad\");",
             a, 3, 1, ref_hill);
}

Test(ffi, vector_argument_passes_pointer_and_length) {
  struct arg a[2] = {{T_VEC, 4, {0.5, -1.25, 2.0, 0.75}, {0}, 0}, {T_REAL, 1, {1.5}, {0}, 0}};
  check_call("real sumsq(vector v, real s) = extern(\"libvitest.so\", \"vt_sumsq\", grad = \"vt_sumsq_grad\");",
             a, 2, 1, ref_sumsq);
}

Test(ffi, real_array_argument_passes_like_a_vector) {
  struct arg a[2] = {{T_REALS, 3, {0.5, -1.25, 2.0}, {0}, 0}, {T_REAL, 1, {-0.5}, {0}, 0}};
  check_call("real sumsq(array[] real v, real s) = extern(\"libvitest.so\", \"vt_sumsq\", grad = \"vt_sumsq_grad\");",
             a, 2, 1, ref_sumsq);
}

Test(ffi, vector_result_jacobian_is_row_major) {
  struct arg a[2] = {{T_VEC, 3, {0.25, -0.5, 1.0}, {0}, 0}, {T_REAL, 1, {0.8}, {0}, 0}};
  check_call("vector scale_exp(vector v, real a) = extern(\"libvitest.so\", \"vt_scale_exp\", grad = \"vt_scale_exp_grad\");",
             a, 2, 3, ref_scale_exp);
}

Test(ffi, int_argument_is_passed_and_not_differentiated) {
  struct arg a[2] = {{T_REAL, 1, {1.3}, {0}, 0}, {T_INT, 1, {0}, {3}, 0}};
  check_call("real powi(real x, int k) = extern(\"libvitest.so\", \"vt_powi\", grad = \"vt_powi_grad\");",
             a, 2, 1, ref_powi);
}

Test(ffi, int_array_argument_passes_pointer_and_length) {
  struct arg a[2] = {{T_INTS, 3, {0}, {2, -1, 5}, 0}, {T_VEC, 3, {0.1, 0.2, 0.3}, {0}, 0}};
  check_call("real wsum(array[] int w, vector v) = extern(\"libvitest.so\", \"vt_wsum\", grad = \"vt_wsum_grad\");",
             a, 2, 1, ref_wsum);
}

Test(ffi, constant_arguments_skip_the_gradient) {
  struct arg a[3] = {{T_REAL, 1, {1.7}, {0}, 0}, {T_REAL, 1, {2.3}, {0}, 1}, {T_REAL, 1, {3.1}, {0}, 1}};
  check_call("real hill(real x, real k, real n) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grad\");",
             a, 3, 1, ref_hill);
}

Test(ffi, int_result_is_a_constant_int) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, "int count_pos(vector v) = extern(\"libvitest.so\", \"vt_count_pos\");");
  struct arg a = {T_VEC, 4, {1, -2, 3, 0}, {0}, 0};
  struct vi_val v = make_val(&e, &a), out;
  cr_assert_eq(vi_ffi_call(&e.c, f, &v, 1, &out, (struct vi_srcloc){"t.vim", 5, 1}), VI_OK);
  cr_assert_eq(out.t.base, VI_T_INT);
  cr_assert_eq(out.ix[0], 2);
  cr_assert_eq(e.tape.n, 0);
  cr_assert_eq(e.c.dynamic, 1, "an int computed from a parameter makes the evaluation dynamic (no replay)");
  vi_ffi_close(f);
  ev_free(&e);
}

Test(ffi, replay_allocates_nothing) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, "real hill(real x, real k, real n) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grad\");");
  struct arg a[3] = {{T_REAL, 1, {1.7}, {0}, 0}, {T_REAL, 1, {2.3}, {0}, 0}, {T_REAL, 1, {3.1}, {0}, 0}};
  struct vi_val v[3], out;
  for (int i = 0; i < 3; i++) v[i] = make_val(&e, &a[i]);
  cr_assert_eq(vi_ffi_call(&e.c, f, v, 3, &out, (struct vi_srcloc){"t.vim", 5, 1}), VI_OK);
  vi_tape_add_term(&e.tape, vi_val_ref(&out, 0));
  size_t used = e.arena.used_total;
  double *zero[3] = {v[0].dx, v[1].dx, v[2].dx};
  size_t nz[3] = {1, 1, 1};
  for (int r = 0; r < 100; r++) {
    v[0].x[0] = 1.0 + r * 0.01;
    cr_assert_eq(vi_tape_forward(&e.tape), VI_OK);
    vi_tape_reverse(&e.tape, zero, nz, 3);
  }
  cr_assert_eq(e.arena.used_total, used);
  a[0].x[0] = v[0].x[0];
  cr_assert_float_eq(out.x[0], ref_hill(a, 0), 1e-15);
  vi_ffi_close(f);
  ev_free(&e);
}

Test(ffi, library_found_through_system_search_with_absolute_path) {
  struct ev e;
  ev_init(&e);
  char decl[1024];
  snprintf(decl, sizeof decl, "real twice(real x) = extern(\"%s/libvitest.so\", \"vt_twice\");", lib_dir());
  struct vi_ffi_fn *f = NULL;
  cr_assert_eq(vi_ffi_open(parse_decl(&e, decl), "/nonexistent", &f, &e.d), VI_OK, "%s", e.d.buf);
  cr_assert_not(vi_ffi_has_grad(f));
  struct arg a = {T_REAL, 1, {4.5}, {0}, 1};
  struct vi_val v = make_val(&e, &a), out;
  cr_assert_eq(vi_ffi_call(&e.c, f, &v, 1, &out, (struct vi_srcloc){"t.vim", 5, 1}), VI_OK);
  cr_assert_float_eq(out.x[0], 9.0, 1e-15);
  cr_assert_eq(e.tape.n, 0, "constant arguments record nothing");
  vi_ffi_close(f);
  ev_free(&e);
}

/* ---- (b) errors: message, line and column ---- */

Test(ffi, missing_library_is_reported_at_extern) {
  expect_open_error("  real f(real x) = extern(\"libnope.so\", \"f\");", lib_dir(),
                    "t.vim:2:20: error: cannot open shared library 'libnope.so': libnope.so: cannot open shared object file");
}

Test(ffi, empty_library_name_is_refused) {
  expect_open_error("real f(real x) = extern(\"\", \"vt_twice\");", lib_dir(),
                    "t.vim:2:18: error: cannot open shared library '': the library name is empty\n");
}

Test(ffi, missing_symbol_is_reported_at_extern) {
  expect_open_error("  real hill(real x, real k, real n) = extern(\"libvitest.so\", \"vt_hll\", grad = \"vt_hill_grad\");",
                    lib_dir(), "t.vim:2:39: error: no symbol 'vt_hll' in 'libvitest.so'\n");
}

Test(ffi, missing_gradient_symbol_is_reported_at_extern) {
  expect_open_error("real hill(real x, real k, real n) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grd\");",
                    lib_dir(), "t.vim:2:37: error: no gradient symbol 'vt_hill_grd' in 'libvitest.so'\n");
}

Test(ffi, signature_string_mismatch_names_both_signatures) {
  expect_open_error("real add1(real x) = extern(\"libvitest.so\", \"vt_add1\");", lib_dir(),
                    "t.vim:2:21: error: signature mismatch for 'add1': the model declares real(real) but "
                    "'libvitest.so' says real(real, real) (vt_add1_signature)\n");
  expect_open_error("real hill(real x, real k, vector n) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grad\");",
                    lib_dir(), "t.vim:2:39: error: signature mismatch for 'hill': the model declares "
                    "real(real, real, vector) but 'libvitest.so' says real(real, real, real)");
}

Test(ffi, matching_signature_string_is_accepted_ignoring_spaces) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, "vector g(vector v, real a) = extern(\"libvitest.so\", \"vt_scale_exp\", grad = \"vt_scale_exp_grad\");");
  vi_ffi_close(f);
  ev_free(&e);
}

Test(ffi, matrix_argument_is_refused) {
  expect_open_error("real f(matrix m) = extern(\"libvitest.so\", \"vt_twice\");", lib_dir(),
                    "t.vim:2:20: error: matrix arguments are not supported for foreign functions "
                    "(argument 'm' of 'f' is matrix)\n");
}

Test(ffi, array_of_vectors_argument_is_refused) {
  expect_open_error("real f(array[] vector m) = extern(\"libvitest.so\", \"vt_twice\");", lib_dir(),
                    "t.vim:2:28: error: arrays of containers and multi-dimensional arrays are not supported "
                    "for foreign functions");
}

Test(ffi, matrix_result_and_void_are_refused) {
  expect_open_error("matrix f(vector v) = extern(\"libvitest.so\", \"vt_twice\");", lib_dir(),
                    "t.vim:2:22: error: matrix results are not supported for foreign functions ('f')\n");
  expect_open_error("void f(real x) = extern(\"libvitest.so\", \"vt_twice\");", lib_dir(),
                    "t.vim:2:18: error: a foreign function must return a value ('f' is declared void)\n");
}

Test(ffi, vector_result_needs_a_container_argument) {
  expect_open_error("vector f(real x) = extern(\"libvitest.so\", \"vt_twice\");", lib_dir(),
                    "t.vim:2:20: error: a foreign function returning a container takes its length from its "
                    "first container argument, and 'f' has none\n");
}

Test(ffi, no_gradient_with_a_differentiable_argument_is_an_error) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, "real twice(real x) = extern(\"libvitest.so\", \"vt_twice\");");
  struct arg a = {T_REAL, 1, {1.0}, {0}, 0};
  struct vi_val v = make_val(&e, &a), out;
  cr_assert_eq(vi_ffi_call(&e.c, f, &v, 1, &out, (struct vi_srcloc){"t.vim", 7, 11}), VI_ERR_EVAL);
  cr_assert(strstr(e.d.buf, "t.vim:7:11: error: twice has no gradient function, but an argument depends on "
                            "the parameters"), "got: %s", e.d.buf);
  vi_ffi_close(f);
  ev_free(&e);
}

/* ---- (c) NaN ---- */

Test(ffi, nan_result_fails_the_call_at_its_location) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, "real root(real x) = extern(\"libvitest.so\", \"vt_root\", grad = \"vt_root_grad\");");
  struct arg a = {T_REAL, 1, {-1.0}, {0}, 0};
  struct vi_val v = make_val(&e, &a), out;
  cr_assert_eq(vi_ffi_call(&e.c, f, &v, 1, &out, (struct vi_srcloc){"t.vim", 7, 11}), VI_ERR_EVAL);
  cr_assert(strstr(e.d.buf, "t.vim:7:11: error: root returned NaN\n"), "got: %s", e.d.buf);
  vi_ffi_close(f);
  ev_free(&e);
}

Test(ffi, nan_result_on_replay_rejects_the_evaluation) {
  struct ev e;
  ev_init(&e);
  struct vi_ffi_fn *f = open_decl(&e, "real root(real x) = extern(\"libvitest.so\", \"vt_root\", grad = \"vt_root_grad\");");
  struct arg a = {T_REAL, 1, {4.0}, {0}, 0};
  struct vi_val v = make_val(&e, &a), out;
  cr_assert_eq(vi_ffi_call(&e.c, f, &v, 1, &out, (struct vi_srcloc){"t.vim", 7, 11}), VI_OK);
  cr_assert_float_eq(out.x[0], 2.0, 1e-15);
  v.x[0] = -4.0;
  cr_assert_eq(vi_tape_forward(&e.tape), VI_ERR_EVAL);
  cr_assert_str_eq(e.tape.err.msg, "root returned NaN");
  cr_assert_eq(e.tape.err.loc.line, 7);
  cr_assert_eq(e.tape.err.loc.col, 11);
  v.x[0] = 9.0;
  cr_assert_eq(vi_tape_forward(&e.tape), VI_OK);
  cr_assert_float_eq(out.x[0], 3.0, 1e-15);
  vi_ffi_close(f);
  ev_free(&e);
}

/* ---- (d) end to end: models calling foreign functions ---- */

/* Links dir/lib to the library of that name in the directory named by the
 * environment variable env. */
static void link_lib(const char *dir, const char *env, const char *lib) {
  const char *from = getenv(env);
  cr_assert(from && *from, "%s must name the directory holding %s", env, lib);
  char src[1024], link[1100];
  if (from[0] == '/') {
    snprintf(src, sizeof src, "%s/%s", from, lib);
  } else {
    char cwd[512];
    cr_assert(getcwd(cwd, sizeof cwd));
    snprintf(src, sizeof src, "%s/%s/%s", cwd, from, lib);
  }
  snprintf(link, sizeof link, "%s/%s", dir, lib);
  cr_assert_eq(symlink(src, link), 0);
}

/* A temporary directory holding a link to libvitest.so. */
static void make_model_dir(char *dir) {
  strcpy(dir, "/tmp/vi_ffi_XXXXXX");
  cr_assert(mkdtemp(dir));
  link_lib(dir, "VI_FFI_LIB_DIR", "libvitest.so");
}

static void write_file(const char *dir, const char *name, const char *text, char *path) {
  sprintf(path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  cr_assert(fp);
  fputs(text, fp);
  fclose(fp);
}

static void remove_dir(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

static struct vi_model *load_model_data(const char *path, const struct vi_data_inputs *data) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  struct vi_data_inputs none = {0};
  const struct vi_data_inputs *in = data ? data : &none;
  int st = vi_model_load(path, &m, &d);
  if (!st) st = vi_model_bind(m, in, &d);
  cr_assert_eq(st, VI_OK, "the model loads (needs the interpreter's foreign-function integration): %s",
               d.buf ? d.buf : "");
  vi_diags_free(&d);
  return m;
}

static struct vi_model *load_model(const char *path) { return load_model_data(path, NULL); }

/* Log density and gradient of two models agree to 1e-10 at the points. */
static void expect_same_density(struct vi_model *a, struct vi_model *b, const double *pts, int npts, int dim) {
  cr_assert_eq(vi_model_dim(a), (size_t)dim);
  cr_assert_eq(vi_model_dim(b), (size_t)dim);
  for (int r = 0; r < npts; r++) {
    double la, lb, ga[16], gb[16];
    const double *th = pts + r * dim;
    cr_assert_eq(vi_model_log_density(a, th, &la, ga), VI_OK, "%s", vi_model_error(a));
    cr_assert_eq(vi_model_log_density(b, th, &lb, gb), VI_OK, "%s", vi_model_error(b));
    cr_assert_float_eq(la, lb, 1e-10 * fmax(1.0, fabs(lb)), "lp at point %d: %.15g vs %.15g", r, la, lb);
    for (int i = 0; i < dim; i++)
      cr_assert_float_eq(ga[i], gb[i], 1e-10 * fmax(1.0, fabs(gb[i])), "grad[%d] at point %d: %.15g vs %.15g",
                         i, r, ga[i], gb[i]);
  }
}

static const char *foreign_model =
    "functions {\n"
    "  real hill(real x, real k, real n) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grad\");\n"
    "  vector scale_exp(vector v, real a) = extern(\"libvitest.so\", \"vt_scale_exp\", grad = \"vt_scale_exp_grad\");\n"
    "  real sumsq(vector v, real s) = extern(\"libvitest.so\", \"vt_sumsq\", grad = \"vt_sumsq_grad\");\n"
    "}\n"
    "parameters {\n"
    "  real<lower=0> x;\n  real<lower=0> k;\n  real<lower=1> n;\n  vector[3] v;\n  real a;\n"
    "}\n"
    "model {\n"
    "  target += log(hill(x, k, n));\n"
    "  target += -sumsq(scale_exp(v, a), 0.5);\n"
    "  x ~ lognormal(0, 1);\n  k ~ lognormal(0, 1);\n  n ~ normal(2, 1);\n  v ~ normal(0, 1);\n  a ~ normal(0, 1);\n"
    "}\n";

static const char *native_model =
    "parameters {\n"
    "  real<lower=0> x;\n  real<lower=0> k;\n  real<lower=1> n;\n  vector[3] v;\n  real a;\n"
    "}\n"
    "model {\n"
    "  target += log(pow(x, n) / (pow(k, n) + pow(x, n)));\n"
    "  target += -0.5 * dot_self(exp(a * v));\n"
    "  x ~ lognormal(0, 1);\n  k ~ lognormal(0, 1);\n  n ~ normal(2, 1);\n  v ~ normal(0, 1);\n  a ~ normal(0, 1);\n"
    "}\n";

Test(ffi, model_with_foreign_functions_matches_the_same_model_in_the_language) {
  char dir[64], pf[200], pn[200];
  make_model_dir(dir);
  write_file(dir, "foreign.vim", foreign_model, pf);
  write_file(dir, "native.vim", native_model, pn);
  struct vi_model *mf = load_model(pf), *mn = load_model(pn);
  const double pts[3][7] = {{0.1, -0.3, 0.2, 0.5, -1.0, 0.25, 0.7},
                            {-1.2, 0.4, -0.5, -0.3, 0.8, 1.1, -0.4},
                            {0.9, 0.9, 1.3, 0.0, 0.0, -2.0, 1.5}};
  expect_same_density(mf, mn, &pts[0][0], 3, 7);
  cr_assert(vi_model_is_static(mf), "the tape with foreign calls is replayed, not recorded again");
  vi_model_free(mf);
  vi_model_free(mn);
  remove_dir(dir);
}

/* Runs vi-run on a model in a directory holding libvitest.so; returns its
 * stderr (malloc'd). */
static char *vi_run_errors(const char *model, int *status) {
  char dir[64], path[200], cmd[1024];
  make_model_dir(dir);
  write_file(dir, "model.vim", model, path);
  const char *vr = getenv("VI_RUN");
  cr_assert(vr, "VI_RUN names the vi-run program");
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' model.vim 2>err.txt >/dev/null", dir, vr);
  *status = system(cmd);
  char epath[200];
  snprintf(epath, sizeof epath, "%s/err.txt", dir);
  FILE *fp = fopen(epath, "r");
  cr_assert(fp);
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, fp);
  buf[n] = 0;
  fclose(fp);
  remove_dir(dir);
  return buf;
}

static void expect_vi_run_error(const char *decl, const char *msg) {
  char model[1024];
  snprintf(model, sizeof model,
           "functions {\n%s\n}\nparameters {\n  real<lower=0> x;\n}\nmodel {\n  target += f(x);\n}\n", decl);
  int st;
  char *err = vi_run_errors(model, &st);
  cr_assert_neq(st, 0, "vi-run fails");
  cr_assert(strstr(err, msg), "expected\n  %s\nin vi-run's errors:\n%s", msg, err);
  free(err);
}

Test(ffi, vi_run_reports_a_missing_library_at_its_line_and_column) {
  expect_vi_run_error("  real f(real x) = extern(\"libnope.so\", \"f\", grad = \"g\");",
                      "model.vim:2:20: error: cannot open shared library 'libnope.so': ");
}

Test(ffi, vi_run_reports_a_missing_symbol_at_its_line_and_column) {
  expect_vi_run_error("  real f(real x) = extern(\"libvitest.so\", \"vt_rot\", grad = \"vt_root_grad\");",
                      "model.vim:2:20: error: no symbol 'vt_rot' in 'libvitest.so'");
}

Test(ffi, vi_run_reports_a_signature_mismatch_at_its_line_and_column) {
  expect_vi_run_error("real f(real x) = extern(\"libvitest.so\", \"vt_hill\", grad = \"vt_hill_grad\");",
                      "model.vim:2:18: error: signature mismatch for 'f': the model declares real(real) but "
                      "'libvitest.so' says real(real, real, real)");
}

Test(ffi, vi_run_reports_a_missing_gradient_symbol_at_its_line_and_column) {
  expect_vi_run_error("real f(real x) = extern(\"libvitest.so\", \"vt_root\", grad = \"vt_rot_grad\");",
                      "model.vim:2:18: error: no gradient symbol 'vt_rot_grad' in 'libvitest.so'");
}

Test(ffi, vi_run_refuses_a_function_without_gradient_where_parameters_reach_it) {
  expect_vi_run_error("real f(real x) = extern(\"libvitest.so\", \"vt_twice\");",
                      "model.vim:8:13: error: 'f' has no gradient function");
}

Test(ffi, vi_run_rejects_a_point_where_the_foreign_function_returns_nan) {
  char dir[64], path[200], cmd[1024];
  make_model_dir(dir);
  write_file(dir, "model.vim",
             "functions {\n  real root(real x) = extern(\"libvitest.so\", \"vt_root\", grad = \"vt_root_grad\");\n}\n"
             "parameters {\n  real x;\n}\nmodel {\n  target += root(x);\n}\n", path);
  write_file(dir, "points.csv", "x\n4\n-1\n", path);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' model.vim --log-density points.csv >out.txt 2>err.txt", dir,
           getenv("VI_RUN"));
  cr_assert_neq(system(cmd), 0, "vi-run fails at the second point");
  char epath[200], err[4096] = "";
  snprintf(epath, sizeof epath, "%s/err.txt", dir);
  FILE *fp = fopen(epath, "r");
  cr_assert(fp);
  err[fread(err, 1, sizeof err - 1, fp)] = 0;
  fclose(fp);
  cr_assert(strstr(err, "at point 2: model.vim:8:13: error: root returned NaN"), "got: %s", err);
  remove_dir(dir);
}

/* The example examples/ffi/pk.vim with its libpharma.so, against the same
 * model with the concentration curve written in the language. */
static const char *pk_native =
    "data {\n  int<lower=1> N;\n  vector<lower=0>[N] time;\n  vector<lower=0>[N] conc;\n  real<lower=0> dose;\n}\n"
    "parameters {\n  real<lower=0> ke;\n  real<lower=0> dk;\n  real<lower=0> v;\n  real<lower=0> sigma;\n}\n"
    "transformed parameters {\n  real ka = ke + dk;\n}\n"
    "model {\n  ke ~ lognormal(-1.5, 1);\n  dk ~ lognormal(0, 1);\n  v ~ lognormal(3, 1);\n  sigma ~ normal(0, 0.5);\n"
    "  conc ~ lognormal(log(dose * ka / (v * (ka - ke)) * (exp(-ke * time) - exp(-ka * time))), sigma);\n}\n";

Test(ffi, pharmacokinetics_example_matches_the_model_written_in_the_language) {
  const char *root = getenv("VI_SOURCE_ROOT");
  cr_assert(root, "VI_SOURCE_ROOT names the source tree");
  char dir[64], src[600], pf[200], pn[200], pd[200];
  strcpy(dir, "/tmp/vi_ffi_XXXXXX");
  cr_assert(mkdtemp(dir));
  link_lib(dir, "VI_PHARMA_DIR", "libpharma.so");
  snprintf(src, sizeof src, "%s/examples/ffi/pk.vim", root);
  char *model = slurp(src);
  cr_assert(model, "cannot read %s", src);
  snprintf(src, sizeof src, "%s/examples/ffi/pk.csv", root);
  char *data = slurp(src);
  cr_assert(data, "cannot read %s", src);
  write_file(dir, "pk.vim", model, pf);
  write_file(dir, "pk_native.vim", pk_native, pn);
  write_file(dir, "pk.csv", data, pd);
  free(model);
  free(data);
  const char *files[1] = {pd}, *assigns[1] = {"dose=100"};
  struct vi_data_inputs in = {files, 1, assigns, 1, 1};
  struct vi_model *mf = load_model_data(pf, &in), *mn = load_model_data(pn, &in);
  const double pts[3][4] = {{-1.4, -0.1, 3.0, -2.3}, {-1.0, 0.5, 2.5, -1.0}, {-2.0, -1.0, 3.5, 0.2}};
  expect_same_density(mf, mn, &pts[0][0], 3, 4);
  vi_model_free(mf);
  vi_model_free(mn);
  remove_dir(dir);
}

/* Reads the posterior mean of `name` from vi-run's summary table. */
static double summary_mean(const char *out, const char *name) {
  size_t len = strlen(name);
  for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    double mean;
    if (strncmp(l, name, len) == 0 && l[len] == ' ' && sscanf(l + len, "%lf", &mean) == 1) return mean;
  }
  cr_assert_fail("no row '%s' in the summary:\n%s", name, out);
  return NAN;
}

Test(ffi, pharmacokinetics_example_fits_the_simulated_values) {
  const char *root = getenv("VI_SOURCE_ROOT"), *vr = getenv("VI_RUN");
  cr_assert(root && vr, "VI_SOURCE_ROOT and VI_RUN are set");
  char dir[64], cmd[2048], path[200];
  strcpy(dir, "/tmp/vi_ffi_XXXXXX");
  cr_assert(mkdtemp(dir));
  link_lib(dir, "VI_PHARMA_DIR", "libpharma.so");
  snprintf(cmd, sizeof cmd,
           "cp '%s/examples/ffi/pk.vim' '%s/examples/ffi/pk.csv' '%s' && cd '%s' && '%s' pk.vim pk.csv dose=100 "
           "--seed 1 >out.txt 2>err.txt",
           root, root, dir, dir, vr);
  int st = system(cmd);
  snprintf(path, sizeof path, "%s/err.txt", dir);
  char *err = slurp(path);
  cr_assert_eq(st, 0, "vi-run fits the example: %s", err);
  free(err);
  snprintf(path, sizeof path, "%s/out.txt", dir);
  char *out = slurp(path);
  cr_assert(out, "cannot read %s", path);
  /* simulated with ka = 1.2, ke = 0.25, V = 20, sigma = 0.1 (12 points) */
  cr_assert(fabs(summary_mean(out, "ka") - 1.2) < 0.2, "%s", out);
  cr_assert(fabs(summary_mean(out, "ke") - 0.25) < 0.03, "%s", out);
  cr_assert(fabs(summary_mean(out, "v") - 20) < 2, "%s", out);
  free(out);
  remove_dir(dir);
}
