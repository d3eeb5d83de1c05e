/* cli_run.c — `alignsim run FILE --out DIR [--threads T] [--seed S]`:
 * runs an experiment from a config file (as_experiment.h), resumable from
 * its journal, as one shard of a job array, or under mpirun (as_mpi.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_config.h"
#include "as_experiment.h"
#include "as_mpi.h"
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
          "                    [--no-plots] [--quiet] [--report] [--resume]\n"
          "                    [--shard I/N] [--unit-times FILE]\n"
          "       mpirun -np N alignsim run CONFIG --out DIR ...\n\n"
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
          "  --report       also write DIR/report.html (alignsim report)\n"
          "  --resume       continue the run interrupted in DIR: the units in\n"
          "                 DIR/journal are kept, the others computed; the\n"
          "                 outputs are byte-identical to an uninterrupted run\n"
          "                 (a journal of another config or seed is refused)\n"
          "  --shard I/N    compute only units u with u mod N = I-1 and write\n"
          "                 a shard directory (journal + manifest); join the\n"
          "                 shards with 'alignsim merge' (docs/cluster.md)\n"
          "  --unit-times FILE  write each unit's cost in seconds to FILE\n\n"
          "Under mpirun (or srun) the units are shared among the ranks, each\n"
          "using --threads threads, and rank 0 writes the outputs (this build:\n"
          "MPI %s).\n",
          plots, as_mpi_built() ? "enabled" : "disabled");
}

/* Reads the config and runs it with the options of the command line. */
static int run_config(const char *file, const char *out,
                      const uint64_t *seed, int argc, char **argv,
                      const as_run_opts *flags, int report, int rank)
{
  as_config *cfg;
  as_err err;
  as_err_clear(&err);
  int rc = as_config_read(file, &cfg, &err);
  if (rc != AS_OK) {
    if (rank == 0) /* every rank reads the same file: one message */
      cli_usage_error("%s", err.msg);   /* one prefix (issue 12) */
    if (flags->dist != NULL) /* the ranks that could read it stop too */
      flags->dist->agree(flags->dist, rc, "", &err);
    return CLI_EXIT_USAGE;
  }
  if (seed != NULL)
    cfg->seed = *seed;

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
  o.threads = flags->threads;
  o.progress = flags->progress;
  o.plots = flags->plots;
  o.resume = flags->resume;
  o.shard_i = flags->shard_i;
  o.shard_n = flags->shard_n;
  o.unit_times = flags->unit_times;
  o.dist = flags->dist;
  char plots_buf[PATH_MAX];
  o.plots_dir = cli_plots_dir(plots_buf, sizeof plots_buf);
  o.version = ALIGNSIM_VERSION;
  o.command_line = cmd;

  rc = as_experiment_run(cfg, &o, &err);
  int status = CLI_EXIT_OK;
  if (rc != AS_OK) {
    /* ranks > 0 print only what is theirs alone; rank 0 the rest */
    if (err.msg[0] != '\0' && (rank == 0 || strncmp(err.msg, "rank ", 5) == 0))
      fprintf(stderr, "alignsim: %s\n", err.msg);
    /* a config the runner cannot run is bad input; a failed computation
     * or an unwritable directory is a failure */
    status = rc == AS_ENOTSUP || rc == AS_EINVAL || rc == AS_EPARSE
                 ? CLI_EXIT_USAGE
                 : CLI_EXIT_FAIL;
  } else if (rank != 0) {
    /* rank 0 reports */
  } else if (o.shard_n > 0) {
    printf("shard %lu/%lu: %s/manifest and %s/%s; join the shards with "
           "'alignsim merge --out DIR SHARD_DIR...'\n", o.shard_i, o.shard_n,
           out, out, AS_JOURNAL_NAME);
  } else {
    printf("results: %s/results.csv, %s/summary.csv, %s/table.txt\n", out,
           out, out);
    for (size_t i = 0; i < cfg->n_figures && o.plots; i++)
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

/* "I/N" with 1 <= I <= N: plain decimal integers, nothing else. */
static int parse_shard(const char *v, unsigned long *i, unsigned long *n)
{
  char *end;
  const char *slash = strchr(v, '/');
  if (slash != NULL && v[0] >= '0' && v[0] <= '9' && slash[1] >= '0'
      && slash[1] <= '9') {
    *i = strtoul(v, &end, 10);
    if (end == slash) {
      *n = strtoul(slash + 1, &end, 10);
      if (*end == '\0' && *i >= 1 && *i <= *n && *n <= 1000000)
        return 0;
    }
  }
  return cli_usage_error("run: --shard: '%s' must be I/N with "
                         "1 <= I <= N <= 1000000", v);
}

int cli_run_main(int argc, char **argv)
{
  const char *file = NULL, *out = NULL;
  long threads = cli_online_cpus();
  uint64_t seed = 0;
  int have_seed = 0, plots = 1, quiet = 0, report = 0, resume = 0;
  unsigned long shard_i = 0, shard_n = 0;
  const char *unit_times = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return CLI_EXIT_OK;
    } else if (strcmp(a, "--out") == 0 || strcmp(a, "--threads") == 0
               || strcmp(a, "--seed") == 0 || strcmp(a, "--shard") == 0
               || strcmp(a, "--unit-times") == 0) {
      if (i + 1 >= argc)
        return cli_usage_error("run: %s needs a value", a);
      const char *v = argv[++i];
      if (strcmp(a, "--shard") == 0) {
        if (parse_shard(v, &shard_i, &shard_n) != 0)
          return CLI_EXIT_USAGE;
      } else if (strcmp(a, "--unit-times") == 0) {
        unit_times = v;
      } else if (strcmp(a, "--out") == 0) {
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
    } else if (strcmp(a, "--resume") == 0) {
      resume = 1;
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

  as_err err;
  as_err_clear(&err);
  as_run_dist dist;
  int distributed = 0;
  int rc = as_mpi_start(&argc, &argv, &dist, &distributed, &err);
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: %s\n", err.msg);
    as_mpi_stop();
    return CLI_EXIT_USAGE;
  }
  int rank = distributed ? dist.rank : 0;
  int status = run_config(file, out, have_seed ? &seed : NULL, argc, argv,
                          &(as_run_opts){.threads = (int)threads,
                                         .progress = !quiet && rank == 0,
                                         .plots = plots,
                                         .resume = resume,
                                         .shard_i = shard_i,
                                         .shard_n = shard_n,
                                         .unit_times = unit_times,
                                         .dist = distributed ? &dist : NULL},
                          report, rank);
  as_mpi_stop();
  return status;
}
