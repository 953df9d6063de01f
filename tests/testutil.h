/* testutil.h: small helpers shared by the end-to-end tests. */
#ifndef VI_TESTUTIL_H
#define VI_TESTUTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/wait.h>

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

/* A finished run of vi-run: exit code (1000 + signal), stdout and stderr. */
struct shell_run {
  int status;
  char *out, *err;
};

/* Runs vi-run ($VI_RUN) with args (a shell-quoted string) in dir, stdin from
 * /dev/null, for at most 120 s; the output goes through files named by the pid. */
static inline struct shell_run run_vi_shell(const char *dir, const char *args) {
  char cmd[4096], outp[256], errp[256];
  snprintf(outp, sizeof outp, "/tmp/vi-test-%d.out", (int)getpid());
  snprintf(errp, sizeof errp, "/tmp/vi-test-%d.err", (int)getpid());
  snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 '%s' %s </dev/null >%s 2>%s", dir,
           env_or("VI_RUN", "build/vi-run"), args, outp, errp);
  int st = system(cmd);
  struct shell_run r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
  take_output(outp, errp, &r.out, &r.err);
  return r;
}

static inline void shell_run_free(struct shell_run *r) {
  free(r->out);
  free(r->err);
}

/* The rows of CSV text with a header line, as doubles: row r's columns at
 * rows[r * stride ..] (at most stride of them); returns the row count (at
 * most maxrows) and the last row's column count in *ncols. */
static inline int csv_rows(const char *text, double *rows, int maxrows, int stride, int *ncols) {
  const char *p = strchr(text, '\n');
  int nr = 0;
  *ncols = 0;
  while (p && *++p && nr < maxrows) {
    int nc = 0;
    char *end;
    for (;;) {
      rows[nr * stride + nc++] = strtod(p, &end);
      p = end;
      if (*p != ',' || nc == stride) break;
      p++;
    }
    *ncols = nc;
    nr++;
    p = strchr(p, '\n');
  }
  return nr;
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
