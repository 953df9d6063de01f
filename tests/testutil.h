/* testutil.h: small helpers shared by the end-to-end tests. */
#ifndef VI_TESTUTIL_H
#define VI_TESTUTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

/* The environment variable name, or fallback when unset or empty. */
static inline const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* The whole file, NUL-terminated (malloc'd; the caller frees), or NULL. */
static inline char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!buf) {
    fclose(f);
    return NULL;
  }
  size_t got = fread(buf, 1, (size_t)n, f);
  buf[got] = 0;
  fclose(f);
  return buf;
}

/* Reads and removes a run's captured stdout and stderr files; a missing one
 * reads as "" (both malloc'd; the caller frees). */
static inline void take_output(const char *outp, const char *errp, char **out, char **err) {
  *out = slurp(outp);
  *err = slurp(errp);
  unlink(outp);
  unlink(errp);
  if (!*out) *out = calloc(1, 1);
  if (!*err) *err = calloc(1, 1);
}

static inline int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The public benchmark cases (../shared/bench/cases beside the source tree):
 * fills root with their folder and opens it; NULL when it is not there. */
static inline DIR *bench_cases_open(char *root, size_t n) {
  snprintf(root, n, "%s/../shared/bench/cases", env_or("VI_SOURCE_ROOT", "."));
  return opendir(root);
}

#endif
