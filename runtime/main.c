/* main.c: the vi-run program. */
#include "vi/cli.h"

int main(int argc, char **argv) { return vi_cli_main(argc, argv); }
