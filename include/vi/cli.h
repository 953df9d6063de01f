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

int vi_cli_main(int argc, char **argv);

#endif
