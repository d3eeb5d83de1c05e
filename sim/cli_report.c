/* cli_report.c — `alignsim report DIR`: DIR/report.html from the files
 * `alignsim run` wrote there (as_report.h). */
#include <stdio.h>
#include <string.h>

#include "as_report.h"
#include "cli.h"

static void usage(FILE *f)
{
  fprintf(f,
          "usage: alignsim report DIR\n\n"
          "Writes DIR/report.html, one self-contained page (no network, no\n"
          "script) for the run in DIR, a directory written by\n"
          "'alignsim run CONFIG --out DIR' (or use 'alignsim run --report'):\n"
          "a claims table with each check the experiment makes, marked held\n"
          "or not held with its numbers; the figures (DIR/*.svg, inlined);\n"
          "the summary and rate tables; the first rows of results.csv;\n"
          "table.txt; the configuration and the manifest.  'na' in a table\n"
          "marks a metric the method does not have (docs/reference.md §4).\n");
}

int cli_report_main(int argc, char **argv)
{
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return CLI_EXIT_OK;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      return cli_usage_error("report: unknown option '%s' (try 'alignsim "
                             "report --help')", argv[i]);
    if (dir != NULL)
      return cli_usage_error("report: more than one directory ('%s', '%s')",
                             dir, argv[i]);
    dir = argv[i];
  }
  if (dir == NULL)
    return cli_usage_error("report: no directory (try 'alignsim report "
                           "--help')");
  as_err err;
  as_err_clear(&err);
  int rc = as_report_write(dir, &err);
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: %s\n", err.msg);
    return rc == AS_EIO || rc == AS_EPARSE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
  }
  printf("report: %s/report.html\n", dir);
  return CLI_EXIT_OK;
}
