/* cli_sample.c — placeholder until the 'sample' subcommand lands. */
#include <stdio.h>

#include "cli.h"

int cli_sample_main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "alignsim: 'sample' is not implemented yet\n");
  return CLI_EXIT_USAGE;
}
