/* ffi.h: foreign functions. A model declares a C function from a shared
 * library in its functions block,
 *   real hill(real x, real k, real n) = extern("libpharma.so", "hill", grad = "hill_grad");
 * and calls it like any function. The library is opened with dlopen and the
 * function called through libffi with a call interface built once from the
 * declared signature. Each call is one tape node; replays of the tape call
 * the C function again with the new values and allocate nothing.
 *
 * C conventions (documented for users in docs/ffi.md and the README):
 *   arguments: real -> double; int -> int; vector, row_vector, array[] real
 *             -> (const double *v, int len); array[] int -> (const int *v, int len).
 *             Matrices, arrays of containers and multi-dimensional arrays are
 *             refused when the model loads.
 *   value:    real result:   double f(args...);
 *             int result:    int f(args...) (a constant: no gradient);
 *             vector, row_vector or array[] real result:
 *                            void f(args..., double *out, int m), where m is
 *                            the length of the first container argument.
 *   gradient: void f_grad(the value function's arguments..., double *grad);
 *             for a container result the arguments include (out, m), and out
 *             holds the values the value function just computed.
 *             grad receives d f / d (each real argument element), in argument
 *             order (a vector argument contributes len entries, int arguments
 *             none): P entries for a real result; for a container result an
 *             m x P row-major matrix [output element][input element]. Every
 *             entry is written (vi zeroes grad before the call).
 *   status:   the value function may return NaN (in any output element) to
 *             signal failure; the evaluation then fails with "hill returned
 *             NaN" at the call, like any non-finite density (the draw is rejected).
 *   signature (optional): the library may export
 *                            const char *hill_signature = "real(real, real, real)";
 *             (types as the model writes them, spaces ignored); vi_ffi_open
 *             then refuses a declaration that disagrees. */
#ifndef VI_FFI_H
#define VI_FFI_H
#include "vi/ast.h"
#include "vi/tape.h"

struct vi_ffi_fn;

/* Opens fd->ext_lib (first relative to model_dir, when that file exists,
 * then dlopen's own search: LD_LIBRARY_PATH, the system directories),
 * resolves fd->ext_sym and fd->ext_grad (if given), checks the declared
 * signature is one it can call (and matches <sym>_signature if the library
 * exports one), and prepares the call interfaces. Errors (missing library,
 * missing symbol or gradient symbol, unsupported type, signature mismatch)
 * are reported at fd->ext_loc. Returns VI_OK with *out set (the caller owns
 * it: vi_ffi_close), or VI_ERR_TYPE (VI_ERR_NOMEM) with *out NULL. fd is
 * not kept. */
int vi_ffi_open(const struct vi_fundef *fd, const char *model_dir, struct vi_ffi_fn **out, struct vi_diags *d);
void vi_ffi_close(struct vi_ffi_fn *f); /* NULL-safe; dlcloses the library */
int vi_ffi_has_grad(const struct vi_ffi_fn *f);
/* Calls f with evaluated arguments (as a stdlib impl receives them; real
 * arguments are made contiguous in place): records one node whose backward
 * step uses the gradient function when an argument is differentiable (an
 * error if f has no gradient). Fills *out (type, shape, values). Returns
 * VI_OK, or reports at loc and returns VI_ERR_EVAL (NaN result, wrong
 * arguments) or VI_ERR_NOMEM. An int result records nothing. */
int vi_ffi_call(struct vi_ctx *c, const struct vi_ffi_fn *f, struct vi_val *args, int nargs, struct vi_val *out,
                struct vi_srcloc loc);

#endif
