/* cli_run.c — placeholder until the 'run' subcommand lands. */
#include <stdio.h>

#include "cli.h"

int cli_run_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "alignsim: 'run' is not implemented yet\n");
  return CLI_EXIT_USAGE;
}
