/* alignsim.c — entry point: dispatches to the subcommands in cli_*.c. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <stdint.h>
#include <stdlib.h>

#include "as_io.h"
#include "as_limits.h"
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
  {"report", cli_report_main, "one self-contained HTML page of a run's results"},
  {"merge", cli_merge_main, "join the shards of a run (run --shard I/N)"},
};

static void usage(FILE *f)
{
  fprintf(f, "usage: alignsim COMMAND [OPTIONS]\n"
             "       alignsim --help | --version\n"
             "       alignsim --mem-limit SIZE COMMAND ...  (what readers "
             "may allocate,\n"
             "         e.g. 8G; default ALIGNSIM_MEM_LIMIT, else half the "
             "memory)\n\ncommands:\n");
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
  /* Temporary files and staging directories go on SIGINT/SIGTERM (as_io.h);
   * process-global like the GSL handler, so set here, once. */
  as_io_cleanup_on_signals();
  /* `alignsim --mem-limit SIZE COMMAND ...`: the readers' memory limit
   * (as_limits.h) for this command, passed on through the environment. */
  if (argc >= 2 && strcmp(argv[1], "--mem-limit") == 0) {
    uint64_t b;
    if (argc < 3 || as_limits_parse_bytes(argv[2], &b) != 0) {
      fprintf(stderr, "alignsim: --mem-limit: '%s' is not a size in bytes "
              "(e.g. 512M, 8G)\n", argc < 3 ? "" : argv[2]);
      return CLI_EXIT_USAGE;
    }
    setenv(AS_MEM_LIMIT_ENV, argv[2], 1);
    argc -= 2;
    argv += 2;
  } else {
    as_err e;
    uint64_t b;
    if (as_limits_mem(&b, &e) != AS_OK) {
      fprintf(stderr, "alignsim: %s\n", e.msg);
      return CLI_EXIT_USAGE;
    }
  }
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
