/* gradcheck.h: the table-driven value and gradient checker for standard
 * library rows (the `test` field format is in stdlib/README.md).
 *
 * For each signature of a row's test spec, with arguments drawn from a
 * fixed seed (derived from the function name and the signature's index):
 *  1. evaluates the impl without a tape and with a tape on which every
 *     non-`d:` real argument is a leaf; both must succeed (or, for a `!`
 *     signature, both must fail with the same message);
 *  2. the result type must equal the row's rule() for the argument types,
 *     and (unless `@1`, VI_CALL_PROPTO) both values must agree to 1e-12;
 *  3. seeds random weights w on the output's adjoints, runs the recorded
 *     backward kernels in reverse, and compares each leaf's adjoint with a
 *     central finite difference of sum(w * y) (step 1e-6 * max(1, |x|),
 *     tolerance max(1e-6 |g|, 1e-7));
 *  4. replays the tape (vi_tape_forward) at a second draw of the leaves and
 *     compares with a fresh evaluation there (skipped when the call set
 *     ctx.dynamic).
 * Structured arguments are perturbed along directions that keep them
 * valid: spd/corr symmetrically (x_ij and x_ji together), simplex along
 * e_i - e_N (stoch: within each row), cholcorr along L_rc with L_rr rescaled to keep unit rows, chol
 * on the lower triangle only.
 * Defaults: reals uniform in [-2, 2], ints in 0..5, sizes 3. */
#ifndef VI_TESTS_GRADCHECK_H
#define VI_TESTS_GRADCHECK_H
#include <stddef.h>

#include "vi/ops.h"
#include "vi/stdlib.h"

/* Checks every signature of f->test. Failure descriptions ("name(sig):
 * what went wrong") are appended to msg (NUL-terminated, truncated to
 * cap). Returns the number of failing signatures (a malformed spec counts
 * as one); *nsig receives the number of signatures checked. f->test NULL:
 * returns 0 with *nsig = 0. */
int vi_gradcheck_row(const struct vi_func *f, int *nsig, char *msg, size_t cap);

/* Like vi_gradcheck_row, for a spec other than f->test (extra checks in a
 * module's own tests). */
int vi_gradcheck_spec(const struct vi_func *f, const char *spec, int *nsig, char *msg, size_t cap);

/* Like vi_gradcheck_row, and credits the op table: cover[code] (enum
 * vi_opcode, VI_OPCODE_COUNT entries) is incremented for every op recorded
 * on the tape of a signature whose gradient check passed. This is how the
 * test suite proves every row of include/vi/ops.def is gradient-checked. */
int vi_gradcheck_row_cover(const struct vi_func *f, unsigned *cover, int *nsig, char *msg, size_t cap);

#endif
