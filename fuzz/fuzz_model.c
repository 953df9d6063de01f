/* fuzz_model.c: libFuzzer harness for the model compiler (lexer, parser,
 * checker). Any input must give a model or diagnostics, never a crash:
 * a failure without an error message, or a model with one, traps. */
#include <stddef.h>
#include <stdint.h>

#include "vi/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  int rc = vi_model_load_string("fuzz.vim", (const char *)data, size, &m, &d);
  if ((rc != 0) != (d.nerrors > 0) || (rc != 0 && m) || (rc == 0 && !m)) __builtin_trap();
  vi_model_free(m);
  vi_diags_free(&d);
  return 0;
}
