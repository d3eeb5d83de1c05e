/* cli_run.c — `alignsim run FILE --out DIR [--threads T] [--seed S]`:
 * runs an experiment from a config file (as_experiment.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_config.h"
#include "as_experiment.h"
#include "cli.h"

#ifndef ALIGNSIM_VERSION
#define ALIGNSIM_VERSION "unknown"
#endif
#include <limits.h>

#include "as_report.h"

static void usage(FILE *f)
{
  char buf[PATH_MAX];
  const char *plots = cli_plots_dir(buf, sizeof buf);
  fprintf(f,
          "usage: alignsim run CONFIG --out DIR [--threads T] [--seed S]\n"
          "                    [--no-plots] [--quiet] [--report]\n\n"
          "Runs the experiment described by CONFIG (experiments/README.md\n"
          "documents the format) and writes DIR/results.csv, summary.csv,\n"
          "table.txt, manifest, the plot data and the figures listed in the\n"
          "config (gnuplot scripts from $ALIGNSIM_PLOTS if set, else from\n"
          "share/alignsim/plots of the installation; here: %s).\n\n"
          "  --out DIR      output directory (created if missing)\n"
          "  --threads T    worker threads (default: the number of online\n"
          "                 CPUs); results do not depend on T\n"
          "  --seed S       base seed, overriding the config's `seed`\n"
          "  --no-plots     do not run gnuplot\n"
          "  --quiet        no progress bar\n"
          "  --report       also write DIR/report.html (alignsim report)\n",
          plots);
}

int cli_run_main(int argc, char **argv)
{
  const char *file = NULL, *out = NULL;
  long threads = cli_online_cpus();
  uint64_t seed = 0;
  int have_seed = 0, plots = 1, quiet = 0, report = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return CLI_EXIT_OK;
    } else if (strcmp(a, "--out") == 0 || strcmp(a, "--threads") == 0
               || strcmp(a, "--seed") == 0) {
      if (i + 1 >= argc)
        return cli_usage_error("run: %s needs a value", a);
      const char *v = argv[++i];
      if (strcmp(a, "--out") == 0) {
        if (v[0] == '\0')
          return cli_usage_error("run: --out: empty directory name");
        out = v;
      } else if (strcmp(a, "--threads") == 0) {
        if (cli_parse_long("--threads", v, 1, 1024, &threads) != 0)
          return CLI_EXIT_USAGE;
      } else {
        if (cli_parse_u64("--seed", v, &seed) != 0)
          return CLI_EXIT_USAGE;
        if (seed > (uint64_t)INT64_MAX)
          return cli_usage_error("--seed: '%s' must be below 2^63", v);
        have_seed = 1;
      }
    } else if (strcmp(a, "--no-plots") == 0) {
      plots = 0;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
    } else if (strcmp(a, "--report") == 0) {
      report = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      return cli_usage_error("run: unknown option '%s' (try 'alignsim run "
                             "--help')", a);
    } else if (file == NULL) {
      file = a;
    } else {
      return cli_usage_error("run: more than one config file ('%s', '%s')",
                             file, a);
    }
  }
  if (file == NULL)
    return cli_usage_error("run: no config file (try 'alignsim run --help')");
  if (out == NULL)
    return cli_usage_error("run: --out DIR is required");

  as_config *cfg;
  as_err err;
  as_err_clear(&err);
  int rc = as_config_read(file, &cfg, &err);
  if (rc != AS_OK)
    return cli_usage_error("%s", err.msg);   /* one prefix (issue 12) */
  if (have_seed)
    cfg->seed = seed;

  /* The command line, for the manifest (argv[0] is "run"). */
  char *cmd = cli_command_line_new(argc, argv);
  if (cmd == NULL) {
    as_config_free(cfg);
    fprintf(stderr, "alignsim: out of memory\n");
    return CLI_EXIT_FAIL;
  }

  as_run_opts o;
  as_run_opts_default(&o);
  o.out_dir = out;
  o.threads = (int)threads;
  o.progress = !quiet;
  o.plots = plots;
  char plots_buf[PATH_MAX];
  o.plots_dir = cli_plots_dir(plots_buf, sizeof plots_buf);
  o.version = ALIGNSIM_VERSION;
  o.command_line = cmd;

  rc = as_experiment_run(cfg, &o, &err);
  int status = CLI_EXIT_OK;
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: %s\n", err.msg);
    /* a config the runner cannot run is bad input; a failed computation
     * or an unwritable directory is a failure */
    status = rc == AS_ENOTSUP || rc == AS_EINVAL || rc == AS_EPARSE
                 ? CLI_EXIT_USAGE
                 : CLI_EXIT_FAIL;
  } else {
    printf("results: %s/results.csv, %s/summary.csv, %s/table.txt\n", out,
           out, out);
    for (size_t i = 0; i < cfg->n_figures && plots; i++)
      printf("figure: %s/%s.png (and .svg)\n", out, cfg->figures[i]);
    if (report && as_report_write(out, &err) != AS_OK) {
      fprintf(stderr, "alignsim: %s\n", err.msg);
      status = CLI_EXIT_FAIL;
    } else if (report) {
      printf("report: %s/report.html\n", out);
    }
  }
  free(cmd);
  as_config_free(cfg);
  return status;
}
