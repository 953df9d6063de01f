/* cli.h: the vi-run command line (LANGUAGE.md sections 6-8).
 * Exit codes: 0 success; 1 the model file cannot be read or does not
 * compile; 2 bad data or arguments of the data (an --init file too); 3 the
 * model cannot be evaluated (at the initial point, a --log-density point,
 * ...); 4 usage error; 5 an output file cannot be written (checked before
 * the fit); 130 interrupted (Ctrl-C). */
#ifndef VI_CLI_H
#define VI_CLI_H

enum {
  VI_EXIT_OK = 0,
  VI_EXIT_MODEL = 1,
  VI_EXIT_DATA = 2,
  VI_EXIT_EVAL = 3,
  VI_EXIT_USAGE = 4,
  VI_EXIT_IO = 5,
  VI_EXIT_INTERRUPTED = 130
};

#include <stdio.h>

struct vi_model;
struct vi_table;
struct vi_arena;
struct vi_advi_options;
struct vi_advi_result;
struct vi_psis_check;
struct vi_summary_stats;

/* What a fit produced, handed to vi_cli_hooks.on_fit before vi-run frees it. */
struct vi_cli_fit {
  struct vi_model *m;
  const struct vi_advi_options *opt;
  const struct vi_advi_result *res; /* allocated in *arena */
  const struct vi_psis_check *chk;
  unsigned long long seed;
  double secs;
  size_t dim, P, S;
  double *theta, *log_p, *log_q; /* S x dim unconstrained draws; S */
  double *draws, *mean_row;      /* S x P constrained draws; P */
  struct vi_summary_stats *st;   /* P */
  struct vi_arena *arena;
};

/* A run of vi-run inside another program (the Python package, through
 * runtime/api.c): the same options, steps and numbers as the command line. */
struct vi_cli_hooks {
  FILE *out, *err;                   /* instead of stdout and stderr */
  const char *model_src;             /* the model's text, read already (NULL: read the file) */
  size_t model_len;
  struct vi_table *table;            /* bound before the data files; vi_cli_run takes it */
  /* called after a fit whose outputs were all written; returning nonzero
   * keeps the model, the arena and the arrays (malloc'ed: the callee
   * frees them, the arena with vi_arena_free) */
  int (*on_fit)(void *ctx, const struct vi_cli_fit *f);
  void *ctx;
};

int vi_cli_main(int argc, char **argv);
/* The exit code vi-run gives for a status (enum vi_status). */
int vi_cli_exit_code(int status);
/* vi-run with argv (argv[0] the program name); h may be NULL. Returns the
 * exit code. */
int vi_cli_run(int argc, const char *const *argv, const struct vi_cli_hooks *h);

#endif
