/* test_limits.c: vi-run meets oversized and hostile input with a clear
 * error naming the limit it hit, an exit code in 1..127 and within a time
 * bound: never a crash, an allocation attempt the machine cannot satisfy
 * or a hang. The small cases are files in tests/models/limits/ (first line
 * `// expect: TEXT`, optional second line `// args: ARGS`); the large ones
 * (100000-level nesting, 200000 CSV columns, a 100 MB CSV line) are written
 * to a temporary directory here. Endless loops: vi has no iteration limit
 * (Stan has none), so Ctrl-C must stop them promptly in every block. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

enum { MAX_ARGS = 16 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct run {
  int status;     /* exit code; 1000 + signal; 2000 when killed at the time bound */
  double seconds; /* from start, or from the Ctrl-C when one was sent */
  char *out, *err;
};

/* Runs vi-run with argv (NULL-terminated, without the program) in dir with
 * SIGINT at its default, stdin from /dev/null. Sends SIGINT after
 * interrupt_after seconds when that is > 0; kills it after limit seconds. */
/* When nonzero, the address-space limit (bytes) of the next runs, so that a
 * test's cost does not depend on the machine's memory or load. */
static size_t child_as_limit;

static struct run run_vi(const char *dir, const char *const *argv, double interrupt_after,
                         double limit) {
  char outp[256], errp[256];
  snprintf(outp, sizeof outp, "/tmp/vi-limits-%d.out", (int)getpid());
  snprintf(errp, sizeof errp, "/tmp/vi-limits-%d.err", (int)getpid());
  const char *prog = env_or("VI_RUN", "build/vi-run");
  char *args[MAX_ARGS + 2];
  int n = 0;
  args[n++] = (char *)prog;
  for (; argv[n - 1] && n <= MAX_ARGS; n++) args[n] = (char *)argv[n - 1];
  args[n] = NULL;
  double t0 = now();
  pid_t pid = fork();
  cr_assert(pid >= 0, "fork failed");
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    if (child_as_limit) {
      struct rlimit rl = {child_as_limit, child_as_limit};
      setrlimit(RLIMIT_AS, &rl);
    }
    int in = open("/dev/null", O_RDONLY);
    int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0 || chdir(dir) != 0) _exit(126);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    execv(prog, args);
    _exit(127);
  }
  int st = 0, sent = 0, killed = 0;
  double t_int = t0;
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    double t = now();
    if (interrupt_after > 0 && !sent && t - t0 >= interrupt_after) {
      kill(pid, SIGINT);
      sent = 1;
      t_int = t;
    }
    if (!killed && t - (sent ? t_int : t0) >= limit) {
      kill(pid, SIGKILL);
      killed = 1;
    }
    usleep(10000);
  }
  struct run r;
  r.seconds = now() - (sent ? t_int : t0);
  r.status = killed ? 2000 : WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
  take_output(outp, errp, &r.out, &r.err);
  return r;
}

static void run_free(struct run *r) {
  free(r->out);
  free(r->err);
}

/* A fresh scratch directory; removed by scratch_remove. */
static void scratch_make(char *dir, size_t n) {
  snprintf(dir, n, "/tmp/vi-limits-%d-XXXXXX", (int)getpid());
  cr_assert(mkdtemp(dir), "mkdtemp failed");
}

static void scratch_remove(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[1200];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

/* Writes prefix, then unit repeated n times, then middle, then tail
 * repeated n times, then suffix into dir/name. */
static void write_repeated(const char *dir, const char *name, const char *prefix, const char *unit,
                           const char *middle, const char *tail, long n, const char *suffix) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert(f, "cannot write %s", path);
  fputs(prefix, f);
  for (long i = 0; i < n; i++) fputs(unit, f);
  fputs(middle, f);
  for (long i = 0; i < n; i++) fputs(tail, f);
  fputs(suffix, f);
  cr_assert(fclose(f) == 0, "cannot write %s", path);
}

/* The common verdict: an error that names the limit, exit 1..127, in time. */
static void expect_limit_error(const char *what, const struct run *r, const char *want,
                               double bound) {
  cr_expect(r->status != 2000, "%s: still running after %.0f s (killed)", what, bound);
  cr_expect(r->status >= 1 && r->status <= 127, "%s: exit status %d (want 1..127; 1000+ is a signal)\n%s",
            what, r->status, r->err);
  cr_expect(strstr(r->err, "error:") != NULL, "%s: no 'error:' line in\n%s", what, r->err);
  cr_expect(strstr(r->err, want) != NULL, "%s: stderr lacks\n  %s\ngot:\n%.2000s", what, want, r->err);
}

Test(limits, each_model_in_the_limits_folder_fails_with_an_error_naming_its_limit) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/models/limits", env_or("VI_SOURCE_ROOT", "."));
  DIR *d = opendir(dir);
  cr_assert(d, "cannot open %s", dir);
  struct dirent *e;
  int cases = 0;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, ".vim")) continue;
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *src = slurp(path);
    cr_assert(src);
    cr_assert(strncmp(src, "// expect: ", 11) == 0, "%s: first line must be '// expect: TEXT'", e->d_name);
    char want[512], extra[512] = "";
    snprintf(want, sizeof want, "%.*s", (int)strcspn(src + 11, "\n"), src + 11);
    const char *a = strstr(src, "\n// args: ");
    if (a) snprintf(extra, sizeof extra, "%.*s", (int)strcspn(a + 10, "\n"), a + 10);
    const char *argv[MAX_ARGS] = {e->d_name, "--check"};
    int n = 2;
    for (char *tok = strtok(extra, " "); tok && n < MAX_ARGS - 1; tok = strtok(NULL, " ")) argv[n++] = tok;
    argv[n] = NULL;
    struct run r = run_vi(dir, argv, 0, 30);
    expect_limit_error(e->d_name, &r, want, 30);
    cr_expect(r.seconds < 20, "%s: took %.1f s", e->d_name, r.seconds);
    run_free(&r);
    free(src);
    cases++;
  }
  closedir(d);
  cr_assert(cases >= 15, "only %d cases in %s", cases, dir);
}

Test(limits, nesting_100000_levels_deep_is_an_error_naming_the_depth_limit) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "parens.vim", "transformed data {\n  real x = ", "(", "1", ")", 100000, ";\n}\n");
  write_repeated(dir, "blocks.vim", "transformed data {\n", "{", "", "}", 100000, "\n}\n");
  write_repeated(dir, "ifs.vim", "transformed data {\n  real x = 0;\n", "if (1) ", "x = 1;", "", 100000,
                 "\n}\n");
  write_repeated(dir, "calls.vim", "parameters {\n  real mu;\n}\nmodel {\n  target += ", "exp(", "mu", ")",
                 100000, ";\n}\n");
  write_repeated(dir, "arrays.vim", "transformed data {\n  real x = ", "{", "1", "}", 100000, ";\n}\n");
  const char *files[] = {"parens.vim", "blocks.vim", "ifs.vim", "calls.vim", "arrays.vim"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    const char *argv[] = {files[i], "--check", NULL};
    struct run r = run_vi(dir, argv, 0, 30);
    expect_limit_error(files[i], &r, "nesting too deep (limit 256)", 30);
    cr_expect(r.seconds < 10, "%s: took %.1f s", files[i], r.seconds);
    run_free(&r);
  }
  scratch_remove(dir);
}

/* `1 + 1 + ... + 1` and `a[1][1]...` are parsed by loops, not recursion,
 * but every later pass walks the tree they build recursively: a chain of
 * 100000 operators must be refused with a named limit, not overflow the
 * stack. */
Test(limits, long_operator_chains_are_an_error_naming_a_limit_not_a_stack_overflow) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "sum.vim", "transformed data {\n  real x = 1", " + 1", "", "", 100000, ";\n}\n");
  write_repeated(dir, "product.vim", "parameters {\n  real mu;\n}\nmodel {\n  target += -mu", " * mu", "", "",
                 100000, ";\n}\n");
  write_repeated(dir, "compare.vim", "transformed data {\n  int x = 1", " < 1", "", "", 100000, ";\n}\n");
  write_repeated(dir, "index.vim", "transformed data {\n  array[1] real a = {1.0};\n  real x = a", "[1]", "", "",
                 100000, ";\n}\n");
  write_repeated(dir, "transpose.vim", "transformed data {\n  matrix[2, 2] m = rep_matrix(1, 2, 2);\n  matrix[2, 2] t = m",
                 "'", "", "", 100000, ";\n}\n");
  const char *files[] = {"sum.vim", "product.vim", "compare.vim", "index.vim", "transpose.vim"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    const char *argv[] = {files[i], "--check", NULL};
    struct run r = run_vi(dir, argv, 0, 30);
    expect_limit_error(files[i], &r, "limit", 30);
    run_free(&r);
  }
  scratch_remove(dir);
}

static const char y_model[] = "data {\n  int N;\n  vector[N] y;\n}\nparameters {\n  real mu;\n}\n"
                             "model {\n  y ~ normal(mu, 1);\n}\n";

Test(limits, a_csv_with_200000_columns_is_an_error_naming_the_column_limit) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "y.vim", y_model, "", "", "", 0, "");
  char path[400];
  snprintf(path, sizeof path, "%s/wide.csv", dir);
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  fputs("y", f);
  for (int i = 1; i < 200000; i++) fprintf(f, ",c%d", i);
  for (int row = 0; row < 3; row++) {
    fputs("\n1", f);
    for (int i = 1; i < 200000; i++) fputs(",1", f);
  }
  fputs("\n", f);
  cr_assert(fclose(f) == 0);
  const char *argv[] = {"y.vim", "wide.csv", "--check", NULL};
  struct run r = run_vi(dir, argv, 0, 30);
  expect_limit_error("wide.csv", &r, "columns (the limit)", 30);
  cr_expect(strstr(r.err, "wide.csv:1:") != NULL, "the error does not name the header line:\n%s", r.err);
  cr_expect(r.seconds < 10, "took %.1f s", r.seconds);
  run_free(&r);
  scratch_remove(dir);
}

/* No limit on the length of a line: a 100 MB quoted text cell in an unused
 * column is read, in bounded time, and the data checks. */
Test(limits, a_csv_line_of_100_megabytes_is_read_in_bounded_time) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "y.vim", y_model, "", "", "", 0, "");
  write_repeated(dir, "long.csv", "y,note\n1,\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "",
                 "", 100L * 1024 * 1024 / 64, "\"\n2,short\n");
  const char *argv[] = {"y.vim", "long.csv", "--check", NULL};
  struct run r = run_vi(dir, argv, 0, 60);
  cr_expect(r.status == 0, "exit status %d (want 0; 1000+ is a signal, 2000 the time bound)\n%.2000s", r.status,
            r.err);
  cr_expect(strstr(r.out, "total unconstrained dimension: 1") != NULL, "no layout printed:\n%s", r.out);
  run_free(&r);
  scratch_remove(dir);
}

/* Transformed data runs before any fit: Ctrl-C there must end the process
 * at once (by the signal or with exit 130) and write nothing. */
Test(limits, ctrl_c_stops_an_endless_loop_in_transformed_data) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "loop.vim", "transformed data {\n  int i = 0;\n  while (1) {\n    i = 1 - i;\n  }\n}\n",
                 "", "", "", 0, "");
  const char *argv[] = {"loop.vim", "--summary", "out.csv", "--quiet", NULL};
  struct run r = run_vi(dir, argv, 1.5, 20);
  cr_expect(r.status == 130 || r.status == 1000 + SIGINT,
            "exit status %d after Ctrl-C (want 130 or the signal; 2000 is the time bound)\n%s", r.status, r.err);
  cr_expect(r.seconds < 5, "stopped %.1f s after Ctrl-C", r.seconds);
  char path[400];
  snprintf(path, sizeof path, "%s/out.csv", dir);
  cr_expect(access(path, F_OK) != 0, "an output file was written");
  run_free(&r);
  scratch_remove(dir);
}

/* Generated quantities run inside the fit's SIGINT handler: the endless loop
 * must still notice Ctrl-C, exit 130 and write nothing. */
Test(limits, ctrl_c_stops_an_endless_loop_in_generated_quantities_with_exit_130) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "loop.vim",
                 "parameters {\n  real mu;\n}\nmodel {\n  mu ~ normal(0, 1);\n}\n"
                 "generated quantities {\n  real z = 0;\n  while (1) {\n    z += 1;\n  }\n}\n",
                 "", "", "", 0, "");
  const char *argv[] = {"loop.vim", "--summary", "out.csv", "--quiet", NULL};
  struct run r = run_vi(dir, argv, 3, 60);
  cr_expect(r.status == 130, "exit status %d after Ctrl-C (want 130; 2000 is the time bound)\n%s", r.status, r.err);
  cr_expect(r.seconds < 2, "stopped %.1f s after Ctrl-C", r.seconds);
  cr_expect(strstr(r.err, "interrupted") != NULL, "stderr does not say 'interrupted':\n%s", r.err);
  char path[400];
  snprintf(path, sizeof path, "%s/out.csv", dir);
  cr_expect(access(path, F_OK) != 0, "an output file was written");
  run_free(&r);
  scratch_remove(dir);
}

/* 500 million parameters are under the element limit (10^9) but their
 * bookkeeping (names, layout) must be refused against the memory limit, or
 * done within bounded time, never grown until the machine kills it. */
/* Under a 1 GB address-space limit, so that nothing can touch gigabytes
 * whatever the allocator does (MALLOC_PERTURB_ fills every malloc); not
 * under AddressSanitizer, whose allocator does not fill and whose shadow
 * needs the address space. */
Test(limits, a_huge_parameter_vector_is_refused_quickly_or_checked_quickly) {
  char dir[256];
  scratch_make(dir, sizeof dir);
  write_repeated(dir, "big.vim", "parameters {\n  vector[500000000] x;\n}\nmodel {\n  x ~ normal(0, 1);\n}\n", "",
                 "", "", 0, "");
  write_repeated(dir, "huge.vim", "parameters {\n  vector[2000000000] x;\n}\nmodel {\n  x ~ normal(0, 1);\n}\n", "",
                 "", "", 0, "");
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer reserves terabytes of address space for its shadow */
  child_as_limit = (size_t)1 << 30;
#endif
  const char *argv[] = {"big.vim", "--check", NULL};
  struct run r = run_vi(dir, argv, 0, 30);
  cr_expect(r.status != 2000, "still running after 30 s (killed)");
  cr_expect(r.status >= 0 && r.status <= 127, "exit status %d (1000+ is a signal)\n%s", r.status, r.err);
  if (r.status != 0 && r.status != 2000)
    cr_expect(strstr(r.err, "limit") != NULL || strstr(r.err, "big.vim: error: out of memory") != NULL,
              "the error names neither a limit nor memory:\n%s", r.err);
  run_free(&r);
  const char *argv2[] = {"huge.vim", "--check", NULL};
  r = run_vi(dir, argv2, 0, 30);
  cr_expect(r.status >= 1 && r.status <= 127, "exit status %d\n%s", r.status, r.err);
  cr_expect(strstr(r.err, "huge.vim:2:10: error: size 2000000000 exceeds the limit 1000000000") != NULL, "%s", r.err);
  run_free(&r);
  child_as_limit = 0;
  scratch_remove(dir);
}
