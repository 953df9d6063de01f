/* table.c: lookup over the merged standard-library tables. */
#include <string.h>

#include "lib.h"

struct part {
  const struct vi_func *f;
  const size_t *n;
};

#define VI_STDLIB_PART_ROW(part) {vi_stdlib_##part, &vi_stdlib_##part##_n},
static const struct part parts[] = {VI_STDLIB_PARTS(VI_STDLIB_PART_ROW)};

const struct vi_func *vi_stdlib_lookup(const char *name) {
  for (size_t p = 0; p < VI_COUNTOF(parts); p++)
    for (size_t i = 0; i < *parts[p].n; i++)
      if (strcmp(parts[p].f[i].name, name) == 0) return &parts[p].f[i];
  return NULL;
}

const char *vi_stdlib_suggest(const char *name) {
  const char *best = NULL;
  int bd = 3;
  for (size_t p = 0; p < VI_COUNTOF(parts); p++)
    for (size_t i = 0; i < *parts[p].n; i++) {
      int d = vi_edit_distance(name, parts[p].f[i].name, 2);
      if (d < bd) {
        bd = d;
        best = parts[p].f[i].name;
      }
    }
  return best;
}

/* vi_stdlib_table: callers iterate part by part through vi_stdlib_foreach. */
size_t vi_stdlib_count(void) {
  size_t n = 0;
  for (size_t p = 0; p < VI_COUNTOF(parts); p++) n += *parts[p].n;
  return n;
}

const struct vi_func *vi_stdlib_at(size_t k) {
  for (size_t p = 0; p < VI_COUNTOF(parts); p++) {
    if (k < *parts[p].n) return &parts[p].f[k];
    k -= *parts[p].n;
  }
  return NULL;
}
