/* cli_merge.c — `alignsim merge --out DIR SHARD_DIR...`: joins the shard
 * directories of `alignsim run --shard I/N` (their journals, as_journal.h)
 * into the outputs an unsharded run writes, byte for byte.  Every check —
 * a shard not finished, from another configuration or seed, missing,
 * given twice, or with a damaged journal — comes before anything is
 * written: exit 2 and no output. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_config.h"
#include "as_experiment.h"
#include "as_io.h"
#include "as_journal.h"
#include "as_unitrec.h"
#include "cli.h"

#ifndef ALIGNSIM_VERSION
#define ALIGNSIM_VERSION "unknown"
#endif
#ifndef ALIGNSIM_PLOTS_DIR
#define ALIGNSIM_PLOTS_DIR "plots"
#endif

static void usage(FILE *f)
{
  fprintf(f,
          "usage: alignsim merge --out DIR [--no-plots] SHARD_DIR...\n\n"
          "Joins the shard directories written by 'alignsim run CONFIG --out\n"
          "SHARD_DIR --shard I/N' (I = 1..N) into DIR/results.csv,\n"
          "summary.csv, table.txt, the plot data, the figures and the\n"
          "manifest, byte-identical to 'alignsim run CONFIG --out DIR'.\n"
          "All N shards must be given, once each, from the same\n"
          "configuration and seed; otherwise nothing is written (exit 2).\n\n"
          "  --out DIR      output directory (created if missing)\n"
          "  --no-plots     do not run gnuplot\n");
}

/* The "I/N" of SHARD_DIR/manifest's shard line, and (when path != NULL)
 * the config file the shard was run from, its "# config file: " line. */
static int read_shard_line(const char *manifest, unsigned long *i,
                           unsigned long *n, char **path, as_err *err)
{
  FILE *f = fopen(manifest, "r");
  if (f == NULL)
    return as_err_set(err, AS_EINVAL, "%s: %s (a shard directory gets its "
                      "manifest when its run finishes; resume an unfinished "
                      "one with 'alignsim run ... --shard I/N --resume')",
                      manifest, strerror(errno));
  char line[512];
  int found = 0;
  static const char cf[] = "# config file: ";
  while (!found && fgets(line, sizeof line, f) != NULL) {
    found = strncmp(line, AS_SHARD_LINE, strlen(AS_SHARD_LINE)) == 0
            && sscanf(line + strlen(AS_SHARD_LINE), "%lu/%lu", i, n) == 2;
    if (path != NULL && *path == NULL
        && strncmp(line, cf, sizeof cf - 1) == 0) {
      line[strcspn(line, "\n")] = '\0';
      *path = strdup(line + sizeof cf - 1);
    }
  }
  fclose(f);
  if (!found || *i < 1 || *i > *n)
    return as_err_set(err, AS_EINVAL, "%s: not the manifest of a shard (no "
                      "valid '%sI/N' line)", manifest, AS_SHARD_LINE);
  return AS_OK;
}

typedef struct shard {
  const char *dir;
  unsigned long i, n;
} shard;

/* Every shard names the same N, and each I = 1..N comes exactly once. */
static int check_cover(const shard *s, size_t count, as_err *err)
{
  unsigned long n = s[0].n;
  for (size_t k = 0; k < count; k++)
    if (s[k].n != n)
      return as_err_set(err, AS_EINVAL, "%s is shard %lu/%lu but %s is "
                        "shard %lu/%lu: shards of different splits",
                        s[k].dir, s[k].i, s[k].n, s[0].dir, s[0].i, n);
  for (size_t k = 0; k < count; k++)
    for (size_t l = 0; l < k; l++)
      if (s[l].i == s[k].i)
        return as_err_set(err, AS_EINVAL, "shard %lu/%lu given twice (%s "
                          "and %s)", s[k].i, n, s[l].dir, s[k].dir);
  if (count != n) /* no duplicates, all ≤ n: some I is absent */
    for (unsigned long i = 1; i <= n; i++) {
      size_t k = 0;
      while (k < count && s[k].i != i)
        k++;
      if (k == count)
        return as_err_set(err, AS_EINVAL, "shard %lu/%lu is missing (%zu "
                          "of %lu shards given)", i, n, count, n);
    }
  return AS_OK;
}

static int skip_unit(void *ctx, const unsigned char *p, size_t len,
                     as_err *err)
{
  (void)ctx, (void)p, (void)len, (void)err;
  return AS_OK;
}

/* Loads shard s's journal into u (whose share is set to s for the check
 * that every record belongs there), after checking its identity. */
static int load_shard(as_units *u, const as_journal_id *want,
                      const shard *s, as_err *err)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", s->dir, AS_JOURNAL_NAME);
  as_journal_id have;
  size_t before = u->total - as_units_missing(u);
  u->shard_i = s->i;
  u->shard_n = s->n;
  /* identity first (a foreign journal's units mean nothing here), then
   * the units */
  int rc = as_journal_read(path, &have, skip_unit, NULL, 1, NULL, err);
  if (rc == AS_OK) {
    rc = as_journal_id_match(path, want, &have, 1, err);
    if (rc == AS_OK && (have.shard_i != s->i || have.shard_n != s->n))
      rc = as_err_set(err, AS_EINVAL, "%s: a journal of shard %lu/%lu in "
                      "the directory of shard %lu/%lu", path, have.shard_i,
                      have.shard_n, s->i, s->n);
    as_journal_id_free(&have);
  }
  if (rc == AS_OK) {
    rc = as_journal_read(path, &have, as_unitrec_load, u, 1, NULL, err);
    as_journal_id_free(&have);
  }
  size_t share = as_units_missing(u); /* the share's units not loaded */
  u->shard_i = u->shard_n = 1;
  if (rc != AS_OK)
    return rc == AS_ENOMEM ? rc : AS_EINVAL;
  if (share != 0)
    rc = as_err_set(err, AS_EINVAL, "%s: %zu of the shard's units are "
                    "missing (%zu present)", path, share,
                    u->total - as_units_missing(u) - before);
  return rc;
}

static int merge(shard *s, size_t count, const as_run_opts *o, as_err *err)
{
  for (size_t k = 0; k < count; k++) {
    char manifest[4200];
    snprintf(manifest, sizeof manifest, "%s/manifest", s[k].dir);
    int rc = read_shard_line(manifest, &s[k].i, &s[k].n, NULL, err);
    if (rc != AS_OK)
      return rc;
  }
  int rc = check_cover(s, count, err);
  if (rc != AS_OK)
    return rc;
  /* the configuration as parsed, from the first shard's manifest */
  char manifest[4200];
  snprintf(manifest, sizeof manifest, "%s/manifest", s[0].dir);
  as_config *cfg;
  if ((rc = as_config_read(manifest, &cfg, err)) != AS_OK)
    return rc;
  /* the merged manifest names the config file the shards were run from,
   * as the unsharded run's does */
  char *orig = NULL;
  read_shard_line(manifest, &s[0].i, &s[0].n, &orig, NULL);
  if (orig != NULL) {
    free(cfg->path);
    cfg->path = orig;
  }
  as_units u;
  as_journal_id want;
  memset(&want, 0, sizeof want);
  rc = as_units_init(&u, cfg, 1, 1, err);
  if (rc == AS_OK)
    rc = as_journal_id_make(&want, cfg, o->version, u.total, 0, 0, err);
  for (size_t k = 0; k < count && rc == AS_OK; k++)
    rc = load_shard(&u, &want, &s[k], err);
  if (rc == AS_OK)
    rc = as_experiment_check_outputs(cfg, o, err);
  as_rows rows = {0};
  if (rc == AS_OK)
    rc = as_units_gather(&u, &rows, err);
  if (rc == AS_OK && (rc = as_io_mkdir_p(o->out_dir, NULL, err)) == AS_OK)
    rc = as_experiment_write(cfg, o, &rows, err) == AS_OK ? AS_OK : AS_EIO;
  as_rows_clear(&rows);
  as_journal_id_free(&want);
  as_units_free(&u);
  as_config_free(cfg);
  return rc;
}

int cli_merge_main(int argc, char **argv)
{
  static const struct option longopts[] = {
    {"out", required_argument, NULL, 'o'},
    {"no-plots", no_argument, NULL, 'P'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *out = NULL;
  int plots = 1, c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (c == 'o')
      out = optarg;
    else if (c == 'P')
      plots = 0;
    else if (c == 'h') {
      usage(stdout);
      return CLI_EXIT_OK;
    } else
      return cli_getopt_error("merge", c, argv[optind - 1]);
  }
  if (out == NULL || out[0] == '\0')
    return cli_usage_error("merge: --out DIR is required");
  if (optind >= argc)
    return cli_usage_error("merge: no shard directories (try 'alignsim "
                           "merge --help')");
  size_t count = (size_t)(argc - optind);
  shard *s = calloc(count, sizeof *s);
  char *cmd = cli_command_line_new(argc, argv);
  if (s == NULL || cmd == NULL) {
    free(s);
    free(cmd);
    fprintf(stderr, "alignsim: out of memory\n");
    return CLI_EXIT_FAIL;
  }
  for (size_t k = 0; k < count; k++)
    s[k].dir = argv[optind + (int)k];
  as_run_opts o;
  as_run_opts_default(&o);
  o.out_dir = out;
  o.plots = plots;
  const char *pd = getenv("ALIGNSIM_PLOTS");
  o.plots_dir = pd != NULL && pd[0] != '\0' ? pd : ALIGNSIM_PLOTS_DIR;
  o.version = ALIGNSIM_VERSION;
  o.command_line = cmd;
  as_err err;
  as_err_clear(&err);
  int rc = merge(s, count, &o, &err);
  free(s);
  free(cmd);
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: merge: %s\n", err.msg);
    return rc == AS_EIO || rc == AS_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
  }
  printf("results: %s/results.csv, %s/summary.csv, %s/table.txt\n", out, out,
         out);
  return CLI_EXIT_OK;
}
