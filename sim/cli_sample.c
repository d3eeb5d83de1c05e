/* cli_sample.c — `alignsim sample`: draw an instance (docs/reference.md §1.1) and
 * Bradley–Terry comparisons (docs/reference.md §2) and write them in the formats of
 * docs/reference.md §7, with a manifest.  Parsing and printing only: the mathematics is
 * in as_instance.c and as_pref.c, the formats in as_io.c.
 *
 * All files are written to temporary names first and renamed only once
 * every one of them was written completely (as_io_outset), so a failure
 * leaves no result file behind (and a directory this command created is
 * removed again). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_instance.h"
#include "as_io.h"
#include "as_pref.h"
#include "as_progress.h"
#include "as_rng.h"
#include "cli.h"

#ifndef ALIGNSIM_VERSION
#define ALIGNSIM_VERSION "unknown"
#endif

#define DEFAULT_N 1000u
#define DEFAULT_SEED 1u

static void usage(FILE *f)
{
  fprintf(f,
"usage: alignsim sample --out DIR [OPTIONS]\n"
"\n"
"Draws a random instance (pi*, pi_ref, mu; docs/reference.md §1.1) and n Bradley-Terry\n"
"comparisons (docs/reference.md §2) and writes, in DIR (created if needed):\n"
"  instance.tsv     context response log_pi_star log_pi_ref log_mu\n"
"  comparisons.tsv  context winner loser count  (aggregated; zero cells\n"
"                   omitted; counts sum to n).  Rows with winner =\n"
"                   loser are the draws y = y': legal records that count\n"
"                   in n and carry no information (docs/reference.md §2)\n"
"  unlabelled.tsv   context first second count  (only with --m)\n"
"  manifest         key = value: version, command line, every parameter\n"
"                   as parsed, seed, stream, date (UTC)\n"
"The files appear together or not at all.  One generator, pcg32 seeded with\n"
"(--seed, --stream), draws the instance first, then the comparisons, then\n"
"the unlabelled pairs.\n"
"\n"
"options [default]:\n"
"  --out DIR            output directory (required)\n"
"  --K N                number of contexts, >= 1 [10]\n"
"  --V N                number of responses, >= 2 [10]\n"
"                       (K*V*V must not exceed 2^26)\n"
"  --beta B             Bradley-Terry temperature, > 0 [1]\n"
"  --logit-scale S      s: z_x ~ N(0, s^2 I), pi* = softmax(z_x), >= 0 [1]\n"
"  --ref-sharpness A    a: pi_ref = softmax(a z_x + tau xi_x) [0.5]\n"
"  --ref-noise TAU      tau, >= 0 [0.5]\n"
"  --flip E             label noise: each label flipped independently\n"
"                       with probability E, 0 <= E < 0.5 (docs/reference.md §2) [0]\n"
"  --mu ref|uniform|star\n"
"                       generator of the labelled pairs [ref]\n"
"  --n N                number of comparisons, 0 <= N < 2^64 [%u]\n"
"  --mode counts|records\n"
"                       counts: N ~ Multinomial(n, p) drawn in O(K V^2)\n"
"                       whatever n; records: the literal process, one\n"
"                       record at a time, O(n), with a progress bar on\n"
"                       stderr when it is a terminal [counts]\n"
"  --m M                also draw M unlabelled pairs from mu' = mu\n"
"                       (multinomial) into unlabelled.tsv [none]\n"
"  --seed S             generator seed, 0 <= S < 2^64 [%u]\n"
"  --stream S           generator stream, 0 <= S < 2^63 [%u]\n"
"  -h, --help           this text\n"
"      --version        print the version\n"
"\n"
"Exit status: 0 success, 1 sampling or writing failed, 2 bad usage.\n",
          DEFAULT_N, DEFAULT_SEED, AS_RNG_DEFAULT_STREAM);
}

enum { OPT_K = 256, OPT_V, OPT_BETA, OPT_SCALE, OPT_SHARP, OPT_NOISE, OPT_N,
       OPT_SEED, OPT_STREAM, OPT_OUT, OPT_MODE, OPT_MU, OPT_M, OPT_VERSION,
       OPT_FLIP };

typedef struct sample_opts {
  as_instance_params ip;
  double beta, flip;
  uint64_t n, m, seed, stream;
  int have_m, records;
  const char *out;
  const char *mu_name, *mode_name;
} sample_opts;

static int write_manifest(FILE *f, const sample_opts *o, int argc,
                          char **argv)
{
  char date[AS_IO_DATE_MAX];
  as_io_format_date_utc(date, sizeof date);
  cli_manifest_fprint_header(f, "alignsim sample: everything needed to "
                                "regenerate the files in this directory",
                             argc, argv);
  /* %.17g: the values exactly as parsed. */
  fprintf(f, "K = %zu\nV = %zu\nbeta = %.17g\nlogit_scale = %.17g\n"
             "ref_sharpness = %.17g\nref_noise = %.17g\nrho = uniform\n"
             "mu = %s\nmu2 = mu\nn = %" PRIu64 "\nmode = %s\nlabel_flip = %.17g\n",
          o->ip.K, o->ip.V, o->beta, o->ip.logit_scale, o->ip.ref_sharpness,
          o->ip.ref_noise, o->mu_name, o->n, o->mode_name, o->flip);
  if (o->have_m)
    fprintf(f, "m = %" PRIu64 "\n", o->m);
  fprintf(f, "rng = pcg32\nseed = %" PRIu64 "\nstream = %" PRIu64 "\n"
             "date = %s\nfiles = instance.tsv comparisons.tsv%s\n",
          o->seed, o->stream, date, o->have_m ? " unlabelled.tsv" : "");
  return ferror(f) ? AS_EIO : AS_OK;
}

static int parse_args(int argc, char **argv, sample_opts *o, int *done)
{
  static const struct option longopts[] = {
    {"K", required_argument, NULL, OPT_K},
    {"V", required_argument, NULL, OPT_V},
    {"beta", required_argument, NULL, OPT_BETA},
    {"logit-scale", required_argument, NULL, OPT_SCALE},
    {"ref-sharpness", required_argument, NULL, OPT_SHARP},
    {"ref-noise", required_argument, NULL, OPT_NOISE},
    {"n", required_argument, NULL, OPT_N},
    {"seed", required_argument, NULL, OPT_SEED},
    {"stream", required_argument, NULL, OPT_STREAM},
    {"out", required_argument, NULL, OPT_OUT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"mu", required_argument, NULL, OPT_MU},
    {"m", required_argument, NULL, OPT_M},
    {"flip", required_argument, NULL, OPT_FLIP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
  };
  long l;
  int c;
  *done = 0;
  opterr = 0;
  optind = 0;          /* glibc: full re-initialisation */
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    const char *a = optarg;
    switch (c) {
    case OPT_K:
      if (cli_parse_long("--K", a, 1, (long)AS_IO_MAX_CELLS / 4, &l))
        return CLI_EXIT_USAGE;
      o->ip.K = (size_t)l;
      break;
    case OPT_V:
      if (cli_parse_long("--V", a, 2, 1L << 13, &l))
        return CLI_EXIT_USAGE;
      o->ip.V = (size_t)l;
      break;
    case OPT_BETA:
      if (cli_parse_positive_double("--beta", a, &o->beta))
        return CLI_EXIT_USAGE;
      break;
    case OPT_FLIP:
      if (cli_parse_double("--flip", a, &o->flip))
        return CLI_EXIT_USAGE;
      if (!(o->flip >= 0.0 && o->flip < 0.5))
        return cli_usage_error("--flip: '%s' must be in [0, 0.5)", a);
      break;
    case OPT_SCALE:
      if (cli_parse_double("--logit-scale", a, &o->ip.logit_scale))
        return CLI_EXIT_USAGE;
      if (o->ip.logit_scale < 0)
        return cli_usage_error("--logit-scale: '%s' must be >= 0", a);
      break;
    case OPT_SHARP:
      if (cli_parse_double("--ref-sharpness", a, &o->ip.ref_sharpness))
        return CLI_EXIT_USAGE;
      break;
    case OPT_NOISE:
      if (cli_parse_double("--ref-noise", a, &o->ip.ref_noise))
        return CLI_EXIT_USAGE;
      if (o->ip.ref_noise < 0)
        return cli_usage_error("--ref-noise: '%s' must be >= 0", a);
      break;
    case OPT_N:
      if (cli_parse_u64("--n", a, &o->n))
        return CLI_EXIT_USAGE;
      break;
    case OPT_M:
      if (cli_parse_u64("--m", a, &o->m))
        return CLI_EXIT_USAGE;
      o->have_m = 1;
      break;
    case OPT_SEED:
      if (cli_parse_u64("--seed", a, &o->seed))
        return CLI_EXIT_USAGE;
      break;
    case OPT_STREAM:
      if (cli_parse_u64("--stream", a, &o->stream))
        return CLI_EXIT_USAGE;
      /* pcg32's increment is 2S + 1 mod 2^64: S and S + 2^63 are one
       * stream, so a larger S would silently alias another. */
      if (o->stream >> 63)
        return cli_usage_error("--stream: '%s' must be below 2^63 (pcg32 "
                               "has 2^63 streams; S and S + 2^63 coincide)",
                               a);
      break;
    case OPT_OUT:
      if (a[0] == '\0')
        return cli_usage_error("--out: empty directory name");
      o->out = a;
      break;
    case OPT_MODE:
      if (strcmp(a, "counts") == 0)
        o->records = 0;
      else if (strcmp(a, "records") == 0)
        o->records = 1;
      else
        return cli_usage_error("--mode: '%s' is not one of counts, records",
                               a);
      o->mode_name = o->records ? "records" : "counts";
      break;
    case OPT_MU:
      if (strcmp(a, "ref") == 0)
        o->ip.mu = AS_MU_REF;
      else if (strcmp(a, "uniform") == 0)
        o->ip.mu = AS_MU_UNIFORM;
      else if (strcmp(a, "star") == 0)
        o->ip.mu = AS_MU_STAR;
      else
        return cli_usage_error("--mu: '%s' is not one of ref, uniform, star",
                               a);
      o->mu_name = o->ip.mu == AS_MU_REF ? "ref"
                   : o->ip.mu == AS_MU_UNIFORM ? "uniform" : "star";
      break;
    case 'h':
      usage(stdout);
      *done = 1;
      return CLI_EXIT_OK;
    case OPT_VERSION:
      printf("alignsim %s\n", ALIGNSIM_VERSION);
      *done = 1;
      return CLI_EXIT_OK;
    default: /* ':' (missing value) or '?' */
      return cli_getopt_error("sample", c, argv[optind - 1]);
    }
  }
  if (optind < argc)
    return cli_usage_error("sample: unexpected argument '%s'", argv[optind]);
  if (o->out == NULL)
    return cli_usage_error("sample: --out DIR is required");
  if ((uint64_t)o->ip.K * o->ip.V * o->ip.V > AS_IO_MAX_CELLS)
    return cli_usage_error("sample: K*V*V = %zu cells exceeds the limit 2^26",
                           o->ip.K * o->ip.V * o->ip.V);
  as_err e;
  if (as_instance_params_check(&o->ip, &e) != AS_OK)
    return cli_usage_error("sample: %s", e.msg);
  return CLI_EXIT_OK;
}

#define NFILES 4

/* Records mode is O(n): from this n on it draws a progress bar on stderr
 * (as_progress.h: only when stderr is a terminal).  ~0.2 s at 2^22. */
#define PROGRESS_MIN_N ((uint64_t)1 << 22)

static void records_progress(uint64_t done, uint64_t total, void *user)
{
  if (done < total)            /* the last one is as_progress_finish's */
    as_progress_update(user, (size_t)done);
}

/* as_pref_sample_records with a bar for a large n. */
static int sample_records(const as_instance *inst, const sample_opts *o,
                          gsl_rng *r, as_counts *cnt, as_err *e)
{
  if (o->n < PROGRESS_MIN_N || o->n > SIZE_MAX)
    return as_pref_sample_records_flip(inst, o->beta, o->flip, o->n, r, cnt,
                                       NULL, NULL, e);
  as_progress bar;
  as_progress_start(&bar, "sample", (size_t)o->n, 1);
  int rc = as_pref_sample_records_flip(inst, o->beta, o->flip, o->n, r, cnt,
                                       records_progress, &bar, e);
  as_progress_finish(&bar);
  return rc;
}

int cli_sample_main(int argc, char **argv)
{
  sample_opts o;
  memset(&o, 0, sizeof o);
  as_instance_params_default(&o.ip);
  o.beta = 1.0;
  o.n = DEFAULT_N;
  o.seed = DEFAULT_SEED;
  o.stream = AS_RNG_DEFAULT_STREAM;
  o.mu_name = "ref";
  o.mode_name = "counts";
  int done, status = parse_args(argc, argv, &o, &done);
  if (status != CLI_EXIT_OK || done)
    return status;

  as_err e;
  as_err_clear(&e);
  /* an unusable --out is refused before anything is drawn (issue 12),
   * a disk without room for the largest possible files too (every cell of
   * K·V² present, ≤ 64 bytes a row; instance rows ≤ 100 bytes) */
  double K = (double)o.ip.K, V = (double)o.ip.V;
  double most = K * V * V * 64.0 * (o.have_m ? 2 : 1) + K * V * 100.0;
  if (as_io_check_output(o.out, 1, most, &e) != AS_OK)
    return cli_usage_error("--out: %s", e.msg);
  as_instance *inst = as_instance_new(o.ip.K, o.ip.V);
  as_counts *cnt = as_counts_new(o.ip.K, o.ip.V);
  as_counts *unl = o.have_m ? as_counts_new(o.ip.K, o.ip.V) : NULL;
  gsl_rng *r = as_rng_new(o.seed, o.stream);
  char *created = NULL;
  status = CLI_EXIT_FAIL;
  if (inst == NULL || cnt == NULL || r == NULL || (o.have_m && unl == NULL)) {
    fprintf(stderr, "alignsim: sample: out of memory\n");
    goto out;
  }
  /* One generator, in a fixed order: instance, comparisons, unlabelled. */
  int rc = as_instance_draw(inst, &o.ip, r, &e);
  if (rc == AS_OK)
    rc = o.records ? sample_records(inst, &o, r, cnt, &e)
                   : as_pref_sample_counts_flip(inst, o.beta, o.flip, o.n, r,
                                                cnt, &e);
  if (rc == AS_OK && o.have_m)
    rc = as_pref_sample_unlabelled(inst, o.m, r, unl, &e);
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: sample: %s\n", e.msg);
    goto out;
  }

  if (as_io_mkdir_p(o.out, &created, &e) != AS_OK) {
    status = cli_usage_error("--out: %s", e.msg);
    goto out;
  }
  static const char *const names[NFILES] = {"instance.tsv", "comparisons.tsv",
                                            "unlabelled.tsv", "manifest"};
  as_io_outset set;
  memset(&set, 0, sizeof set);
  for (int i = 0; i < NFILES && rc == AS_OK; i++) {
    if (i == 2 && !o.have_m)
      continue;
    FILE *f = as_io_outset_open(&set, o.out, names[i], &e);
    if (f == NULL) {
      rc = e.code;
      break;
    }
    switch (i) {
    case 0: rc = as_io_fprint_instance(f, inst, &e); break;
    case 1: rc = as_io_fprint_comparisons(f, cnt, &e); break;
    case 2:
      rc = as_io_fprint_counts(f, unl, "context\tfirst\tsecond\tcount", &e);
      break;
    default:
      if (write_manifest(f, &o, argc, argv) != AS_OK)
        rc = as_err_set(&e, AS_EIO, "write error: %s", strerror(errno));
    }
    if (rc != AS_OK) {                /* name the file in the message */
      char m[AS_ERR_MSG_MAX];
      snprintf(m, sizeof m, "%s", e.msg);
      as_err_set(&e, rc, "%s: %s", set.path[set.count - 1], m);
      as_io_outset_close(&set, f, NULL);
    } else {
      rc = as_io_outset_close(&set, f, &e);
    }
  }
  if (rc == AS_OK)
    rc = as_io_outset_commit(&set, &e);
  as_io_outset_free(&set);
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: sample: %s\n", e.msg);
    status = CLI_EXIT_FAIL;
    goto out;
  }
  free(created);
  created = NULL;
  status = CLI_EXIT_OK;
out:
  /* Remove what this command created (empty by now). */
  as_io_rmdir_created(o.out, created);
  free(created);
  gsl_rng_free(r);
  as_counts_free(unl);
  as_counts_free(cnt);
  as_instance_free(inst);
  return status;
}
