/* cli_fit.c — placeholder until the 'fit' subcommand lands. */
#include <stdio.h>

#include "cli.h"

int cli_fit_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "alignsim: 'fit' is not implemented yet\n");
  return CLI_EXIT_USAGE;
}
