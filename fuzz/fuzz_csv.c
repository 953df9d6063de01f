/* fuzz_csv.c: libFuzzer harness for the CSV reader; also reads every column
 * and cell location so the lookups are exercised. A failure must come with
 * an error message and success without one (else it traps). */
#include <stddef.h>
#include <stdint.h>

#include "vi/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct vi_diags d;
  vi_diags_init(&d);
  struct vi_table *t = NULL;
  int rc = vi_csv_parse("fuzz.csv", (const char *)data, size, &t, &d);
  if ((rc != VI_OK) != (d.nerrors > 0)) __builtin_trap();
  if (rc == VI_OK) {
    size_t nc = vi_table_ncols(t), nr = vi_table_nrows(t);
    for (size_t c = 0; c < nc; c++) {
      struct vi_column col;
      vi_table_column(t, c, &col);
      char buf[32];
      if (nr) {
        vi_table_loc(t, nr - 1, c);
        vi_table_cell(t, nr - 1, c, buf, sizeof buf);
      }
    }
  }
  vi_table_free(t);
  vi_diags_free(&d);
  return 0;
}
