/* fuzz_model.c: libFuzzer harness for the model compiler (lexer, parser,
 * checker). Any input must give a model or diagnostics, never a crash. */
#include <stddef.h>
#include <stdint.h>

#include "vi/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_model *m = NULL;
  vi_model_load_string("fuzz.vim", (const char *)data, size, &m, &d);
  vi_model_free(m);
  vi_diags_free(&d);
  return 0;
}
