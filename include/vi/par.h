/* par.h: two-way data parallelism for the few kernels whose operands are
 * too large for one core's memory bandwidth (a 100,000 x 10 data matrix
 * times a coefficient vector).
 *
 * vi_par_run(n, fn, ctx) calls fn(ctx, lo, hi) on [0, n) split at n / 2,
 * the second half on a helper thread when one is available (else both
 * halves on the caller's thread, in order). A kernel whose halves write
 * disjoint outputs computes the same bits either way, so results do not
 * depend on the machine's core count.
 *
 * The helper is one thread, started on first use; VI_THREADS=1 in the
 * environment (or a single-core machine) turns it off. Calls from several
 * threads at once are safe: a caller that finds the helper busy runs both
 * halves itself. */
#ifndef VI_PAR_H
#define VI_PAR_H
#include <stddef.h>

typedef void (*vi_par_fn)(void *ctx, size_t lo, size_t hi);

void vi_par_run(size_t n, vi_par_fn fn, void *ctx);

/* Below this many multiply-adds a kernel should not bother (the hand-off
 * costs a few microseconds). */
enum { VI_PAR_MIN_WORK = 1 << 17 };

#endif
