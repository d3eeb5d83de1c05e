/* alignsim.c — entry point: dispatches to the subcommands in cli_*.c. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

#ifndef ALIGNSIM_VERSION
#define ALIGNSIM_VERSION "unknown"
#endif

static const struct {
  const char *name;
  int (*main)(int, char **);
  const char *summary;
} commands[] = {
  {"sample", cli_sample_main, "draw an instance and Bradley-Terry comparisons"},
  {"fit", cli_fit_main, "fit an alignment objective to comparisons"},
  {"run", cli_run_main, "run an experiment from a config file"},
  {"bounds", cli_bounds_main, "theory quantities and explicit bounds"},
  {"merge", cli_merge_main, "join the shards of a run (run --shard I/N)"},
};

static void usage(FILE *f)
{
  fprintf(f, "usage: alignsim COMMAND [OPTIONS]\n"
             "       alignsim --help | --version\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n'alignsim COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
  /* GSL's default error handler aborts the process; libalignsim checks and
   * returns every GSL status as an error code instead.  The handler is
   * process-global state, so it is set here, once, before any thread
   * starts — never inside the library. */
  gsl_set_error_handler_off();
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("alignsim %s\n", ALIGNSIM_VERSION);
    return CLI_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].main(argc - 1, argv + 1);
  fprintf(stderr, "alignsim: unknown command '%s' (try 'alignsim --help')\n",
          argv[1]);
  return CLI_EXIT_USAGE;
}
