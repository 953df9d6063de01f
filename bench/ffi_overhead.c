/* ffi_overhead.c: the cost of one foreign-function call on the tape.
 *
 * Records a chain of N multiplications y <- y * x (x a parameter) three
 * times: through the foreign function fb_mul(a, b) (bench/libffibench.c; two
 * real scalars: called through a typed function pointer), through
 * fb_mul5(a, b, 0, 0, 0) (five arguments: called through libffi's ffi_call),
 * and through the built-in `multiply`, then times
 *   record:  evaluating the chain eagerly and recording it (vi_ffi_call /
 *            the stdlib impl), per call;
 *   replay:  vi_tape_forward + vi_tape_reverse of the recorded chain, per
 *            call (what every later gradient of a static model costs).
 * The differences from the built-in are the foreign call's overhead per call.
 *
 *   bench/ffi_overhead [LIBDIR] [N] [REPS]
 * LIBDIR holds libffibench.so (default: the build directory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vi/ast.h"
#include "vi/ffi.h"
#include "vi/stdlib.h"
#include "vi/tape.h"

#ifndef VI_BENCH_LIB_DIR
#define VI_BENCH_LIB_DIR "."
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct bench {
  struct vi_arena arena;
  struct vi_tape tape;
  struct vi_diags d;
  struct vi_ctx c;
  double x, dx, y0;
};

/* Records y = y0 * x * x * ... (n multiplications) through one of the two
 * routes; returns the final value's reference, or .x == NULL on error. */
static struct vi_ref record(struct bench *b, const struct vi_ffi_fn *f, int nargs, const struct vi_func *mul,
                            int n) {
  struct vi_ref none = {0, 0};
  vi_arena_reset(&b->arena);
  vi_tape_clear(&b->tape);
  struct vi_val y, x, zero;
  if (vi_val_real_scalar(&b->c, &y, b->y0) || vi_val_real_scalar(&b->c, &x, 0) ||
      vi_val_real_scalar(&b->c, &zero, 0))
    return none;
  x.x = &b->x;
  x.dx = &b->dx;
  struct vi_srcloc loc = {"bench", 1, 1};
  for (int i = 0; i < n; i++) {
    struct vi_val args[5] = {y, x, zero, zero, zero}, out;
    memset(&out, 0, sizeof out);
    int st = f ? vi_ffi_call(&b->c, f, args, nargs, &out, loc) : mul->impl(&b->c, &out, args, 2, 0, loc);
    if (st) return none;
    y = out;
  }
  return vi_val_ref(&y, 0);
}

static int run(struct bench *b, const char *what, const struct vi_ffi_fn *f, int nargs, const struct vi_func *mul,
               int n, int reps, double *rec_ns, double *rep_ns) {
  double t0 = now();
  struct vi_ref r = {0, 0};
  for (int k = 0; k < reps; k++) r = record(b, f, nargs, mul, n);
  double t1 = now();
  if (!r.x) {
    fprintf(stderr, "%s: recording failed\n%s", what, b->d.buf ? b->d.buf : "");
    return 1;
  }
  vi_tape_add_term(&b->tape, r);
  double *zero[1] = {&b->dx};
  size_t nz[1] = {1};
  double t2 = now();
  for (int k = 0; k < reps; k++) {
    b->x = 1.0 + 1e-9 * k;
    if (vi_tape_forward(&b->tape)) {
      fprintf(stderr, "%s: replay failed: %s\n", what, b->tape.err.msg);
      return 1;
    }
    vi_tape_reverse(&b->tape, zero, nz, 1);
  }
  double t3 = now();
  *rec_ns = (t1 - t0) / reps / n * 1e9;
  *rep_ns = (t3 - t2) / reps / n * 1e9;
  printf("%-28s record %7.1f ns/call   replay (forward+reverse) %7.1f ns/call   (nodes %zu, dy/dx %.6g)\n",
         what, *rec_ns, *rep_ns, b->tape.n, b->dx);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : VI_BENCH_LIB_DIR;
  int n = argc > 2 ? atoi(argv[2]) : 1000;
  int reps = argc > 3 ? atoi(argv[3]) : 2000;
  if (n < 1 || reps < 1) {
    fprintf(stderr, "usage: ffi_overhead [LIBDIR] [N >= 1] [REPS >= 1]\n");
    return 2;
  }
  struct bench b;
  memset(&b, 0, sizeof b);
  vi_arena_init(&b.arena);
  vi_tape_init(&b.tape);
  vi_diags_init(&b.d);
  b.c.arena = &b.arena;
  b.c.tape = &b.tape;
  b.c.diags = &b.d;
  b.x = 1.0;
  b.y0 = 1.0;

  static const char src[] =
      "functions {\n"
      "  real mul(real a, real b) = extern(\"libffibench.so\", \"fb_mul\", grad = \"fb_mul_grad\");\n"
      "  real mul5(real a, real b, real c, real d, real e) = extern(\"libffibench.so\", \"fb_mul5\", grad = \"fb_mul5_grad\");\n"
      "}\n";
  struct vi_arena ast;
  vi_arena_init(&ast);
  struct vi_program *p = vi_parse(&ast, "bench.vim", src, sizeof src - 1, &b.d);
  struct vi_ffi_fn *f = NULL, *f5 = NULL;
  if (!p || vi_ffi_open(p->funs[0], dir, &f, &b.d) || vi_ffi_open(p->funs[1], dir, &f5, &b.d)) {
    fprintf(stderr, "%s", b.d.buf ? b.d.buf : "cannot parse the declarations\n");
    return 1;
  }
  const struct vi_func *mul = vi_stdlib_lookup("multiply");
  double frec, frep, f5rec, f5rep, brec, brep;
  printf("chain of %d multiplications, %d repetitions\n", n, reps);
  int st = run(&b, "foreign fb_mul (direct)", f, 2, NULL, n, reps, &frec, &frep) ||
           run(&b, "foreign fb_mul5 (ffi_call)", f5, 5, NULL, n, reps, &f5rec, &f5rep) ||
           run(&b, "built-in multiply", NULL, 0, mul, n, reps, &brec, &brep);
  if (!st) {
    printf("ffi_overhead_ns_per_call direct: record=%.1f replay=%.1f\n", frec - brec, frep - brep);
    printf("ffi_overhead_ns_per_call ffi_call: record=%.1f replay=%.1f\n", f5rec - brec, f5rep - brep);
  }
  vi_ffi_close(f5);
  vi_ffi_close(f);
  vi_arena_free(&ast);
  vi_tape_free(&b.tape);
  vi_diags_free(&b.d);
  vi_arena_free(&b.arena);
  return st;
}
