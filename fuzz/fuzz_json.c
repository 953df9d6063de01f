/* fuzz_json.c: libFuzzer harness for the CmdStan JSON reader; looks up every
 * variable it read. A failure must come with an error message and success
 * without one (else it traps). */
#include <stddef.h>
#include <stdint.h>

#include "vi/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_json *j = NULL;
  int rc = vi_json_parse("fuzz.json", (const char *)data, size, &j, &d);
  if ((rc != VI_OK) != (d.nerrors > 0)) __builtin_trap();
  if (rc == VI_OK) {
    for (size_t i = 0; i < vi_json_nvars(j); i++) {
      struct vi_jvar v;
      vi_json_find(j, vi_json_name(j, i), &v);
    }
  }
  vi_json_free(j);
  vi_diags_free(&d);
  return 0;
}
