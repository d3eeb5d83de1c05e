/* cli_bounds.c — placeholder until the 'bounds' subcommand lands. */
#include <stdio.h>

#include "cli.h"

int cli_bounds_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "alignsim: 'bounds' is not implemented yet\n");
  return CLI_EXIT_USAGE;
}
