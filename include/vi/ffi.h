/* ffi.h: foreign functions. A model declares a C function from a shared
 * library in its functions block,
 *   real hill(real x, real k, real n) = extern("libpharma.so", "hill", grad = "hill_grad");
 * and calls it like any function. The library is opened with dlopen and the
 * function called through libffi with a call interface built once from the
 * declared signature.
 *
 * C conventions (documented for users in the README and docs/):
 *   value:    double f(double x, double k, double n);
 *             vector arguments are passed as (const double *v, int len);
 *             int arguments as int; a vector result is written by
 *             void f(args..., double *out, int len).
 *   gradient: void f_grad(same args as the value function..., double *grad);
 *             grad receives d f / d (each real argument element), in argument
 *             order (a vector argument contributes len entries); for a vector
 *             result, grad is row-major [output element][input element].
 *   status:   the value function may return NaN to signal failure; it is then
 *             treated like any non-finite density (the draw is rejected). */
#ifndef VI_FFI_H
#define VI_FFI_H
#include "vi/ast.h"
#include "vi/tape.h"

struct vi_ffi_fn;

/* Opens fd->ext_lib (first relative to model_dir, then the system search
 * path), resolves fd->ext_sym and fd->ext_grad (if given), checks the
 * declared signature is one it can call, and prepares the call interface.
 * Errors (missing library, missing symbol, unsupported signature) are
 * reported at fd->ext_loc. Returns VI_OK or VI_ERR_TYPE. */
int vi_ffi_open(const struct vi_fundef *fd, const char *model_dir, struct vi_ffi_fn **out, struct vi_diags *d);
void vi_ffi_close(struct vi_ffi_fn *f); /* NULL-safe; dlcloses the library */
int vi_ffi_has_grad(const struct vi_ffi_fn *f);
/* Calls f with evaluated arguments (as a stdlib impl receives them): records
 * one node whose backward step uses the gradient function when an argument is
 * differentiable (an error if f has no gradient). */
int vi_ffi_call(struct vi_ctx *c, const struct vi_ffi_fn *f, struct vi_val *args, int nargs, struct vi_val *out,
                struct vi_srcloc loc);

#endif
