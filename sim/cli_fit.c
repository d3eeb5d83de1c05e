/* cli_fit.c — `alignsim fit`: fit one SPEC §3 objective to comparison
 * counts and write the learned log-policy (or reward) as a
 * `context response value` table.  Parsing and printing only: the
 * mathematics is in as_fit.c, the formats in as_io.c, the metrics in
 * as_metrics.c.
 *
 * Documented choices:
 * - ρ is uniform: none of the input formats carries ρ (SPEC §7);
 * - π_ref comes from --instance (log_pi_ref) or --ref, else uniform;
 * - distill and rebel use the POPULATION unlabelled pairs ρ μ'μ' with μ' =
 *   the instance's log_mu column (the format has no μ' column; as_io reads
 *   μ' = μ), or μ' = π_ref from --ref, or uniform;
 * - an option a method does not use is accepted and reported on stderr as
 *   ignored, so one command line (say with --lambda) can be reused for every
 *   method; it never changes the fit;
 * - FILE.manifest (cli.h) is written with FILE, atomically, and neither is
 *   written when the command fails (exit 1 or 2). */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_fit.h"
#include "as_instance.h"
#include "as_io.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_pref.h"
#include "cli.h"

enum {
  U_BETA = 1 << 0, U_LAMBDA = 1 << 1, U_GAMMA = 1 << 2, U_BDPO = 1 << 3,
  U_RIDGE = 1 << 4, U_ETA = 1 << 5, U_ITER = 1 << 6, U_STEPS = 1 << 7
};

/* Options each method uses (--beta is used by all: BT temperature of the
 * data, metrics, and the reward-LM temperature). */
static const unsigned method_uses[AS_METHOD_COUNT] = {
    [AS_METHOD_PMLE] = U_BETA | U_LAMBDA,
    [AS_METHOD_DPO] = U_BETA | U_BDPO | U_STEPS,
    [AS_METHOD_REWARD] = U_BETA | U_RIDGE,
    [AS_METHOD_DISTILL] = U_BETA | U_LAMBDA | U_RIDGE,
    [AS_METHOD_REBEL] = U_BETA | U_LAMBDA | U_RIDGE,
    [AS_METHOD_REBEL_ITER] = U_BETA | U_LAMBDA | U_ETA | U_ITER | U_RIDGE,
    [AS_METHOD_RLHF] = U_BETA | U_LAMBDA | U_RIDGE,
    [AS_METHOD_RKL] = U_BETA | U_LAMBDA | U_GAMMA | U_RIDGE,
};

static const char *const use_names[] = {"--beta", "--lambda", "--gamma",
                                        "--beta-dpo", "--ridge", "--eta",
                                        "--iterations", "--steps/--lr"};

static void usage(FILE *f)
{
  fprintf(f,
"usage: alignsim fit --method M --comparisons FILE [--instance FILE | --ref FILE]\n"
"                    [--K K] [--V V] [--beta B] [--lambda L] [--gamma G]\n"
"                    [--beta-dpo B] [--ridge R] [--eta E] [--iterations T]\n"
"                    [--steps S --lr A] [--strict] --out FILE\n"
"\n"
"Fits one objective of SPEC 3 (tabular class, exact Newton per context) to\n"
"comparison counts (context winner loser [count]) and writes\n"
"'context response value' rows to FILE (atomically): the learned\n"
"log-probability, or for 'reward' the learned reward (sum 0 per context),\n"
"and FILE.manifest (key = value: version, date, command line, method, every\n"
"option as parsed with its default, input paths, K, V, n, status); the two\n"
"appear together, and neither when the command fails.\n"
"\n"
"methods and the options each uses (--beta: all, default 1; an option a\n"
"method does not use is ignored, with a note on stderr):\n"
"  pmle        --lambda (KL_ref weight, default 0)\n"
"  dpo         --beta-dpo (default beta); --steps S --lr A: S gradient\n"
"              steps from log pi_ref instead of solving (SPEC E6)\n"
"  reward      --ridge (eta_r, default 1/n: a N(0,1) prior per reward)\n"
"  distill     --lambda --ridge   (reward model, then distillation)\n"
"  rebel       --lambda --ridge   (paper form, eq. 10)\n"
"  rebel-iter  --lambda --eta (default 1/lambda; needs 0 < eta*lambda < 2)\n"
"              --iterations (cap on outer steps, default 1000) --ridge\n"
"  rlhf        --lambda --ridge   (closed form with the fitted reward)\n"
"  rkl         --lambda --gamma (entropy weight, default beta) --ridge\n"
"\n"
"inputs:\n"
"  --instance FILE  context response log_pi_star log_pi_ref log_mu: gives\n"
"                   K, V, pi_ref, mu' = mu, and prints SPEC 4 metrics\n"
"  --ref FILE       context response log_prob: pi_ref (and mu' = pi_ref)\n"
"  neither          pi_ref and mu' uniform; K, V from the data or --K/--V\n"
"  rho is uniform (no format carries it); distill/rebel use the population\n"
"  unlabelled pairs rho mu' mu'.\n"
"\n"
"stdout: 'name value' lines: the metrics (with --instance), then status,\n"
"converged, iterations, criterion, contexts_not_converged, reward_no_mle\n"
"(contexts failing the win-graph criterion), reward_unidentified,\n"
"theta_norm, no_mle_contexts (their list, comma-separated, or -).\n"
"A fit that did not converge is reported there and on stderr; with\n"
"--strict it exits 1 and writes nothing.\n"
"exit status: 0 ok, 1 failed computation (--strict), 2 bad usage or input.\n");
}

enum {
  OPT_METHOD = 256, OPT_COMP, OPT_INST, OPT_REF, OPT_K, OPT_V, OPT_BETA,
  OPT_LAMBDA, OPT_GAMMA, OPT_BDPO, OPT_RIDGE, OPT_ETA, OPT_ITER, OPT_STEPS,
  OPT_LR, OPT_OUT, OPT_STRICT
};

static const struct option long_opts[] = {
    {"method", required_argument, NULL, OPT_METHOD},
    {"comparisons", required_argument, NULL, OPT_COMP},
    {"instance", required_argument, NULL, OPT_INST},
    {"ref", required_argument, NULL, OPT_REF},
    {"K", required_argument, NULL, OPT_K},
    {"V", required_argument, NULL, OPT_V},
    {"beta", required_argument, NULL, OPT_BETA},
    {"lambda", required_argument, NULL, OPT_LAMBDA},
    {"gamma", required_argument, NULL, OPT_GAMMA},
    {"beta-dpo", required_argument, NULL, OPT_BDPO},
    {"ridge", required_argument, NULL, OPT_RIDGE},
    {"eta", required_argument, NULL, OPT_ETA},
    {"iterations", required_argument, NULL, OPT_ITER},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"lr", required_argument, NULL, OPT_LR},
    {"out", required_argument, NULL, OPT_OUT},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct {
  as_fit_opts fo;
  const char *comp, *inst, *ref, *out, *method;
  long K, V;
  unsigned given;
  int strict, have_lr;
} fit_args;

static int nonneg(const char *flag, const char *a, double *v)
{
  if (cli_parse_double(flag, a, v))
    return CLI_EXIT_USAGE;
  if (!(*v >= 0.0))
    return cli_usage_error("%s: '%s' must be >= 0", flag, a);
  return 0;
}

static int parse(int argc, char **argv, fit_args *o, int *done)
{
  memset(o, 0, sizeof *o);
  as_fit_opts_default(&o->fo);
  *done = 0;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
    const char *a = optarg;
    int bad = 0;
    switch (c) {
    case OPT_METHOD: o->method = a; break;
    case OPT_COMP: o->comp = a; break;
    case OPT_INST: o->inst = a; break;
    case OPT_REF: o->ref = a; break;
    case OPT_OUT: o->out = a; break;
    case OPT_STRICT: o->strict = 1; break;
    case OPT_K: bad = cli_parse_long("--K", a, 1, 1L << 26, &o->K); break;
    case OPT_V: bad = cli_parse_long("--V", a, 2, 1L << 13, &o->V); break;
    case OPT_BETA:
      bad = cli_parse_positive_double("--beta", a, &o->fo.beta);
      o->given |= U_BETA;
      break;
    case OPT_LAMBDA:
      bad = nonneg("--lambda", a, &o->fo.lambda);
      o->given |= U_LAMBDA;
      break;
    case OPT_GAMMA:
      bad = nonneg("--gamma", a, &o->fo.gamma);
      o->given |= U_GAMMA;
      break;
    case OPT_BDPO:
      bad = cli_parse_positive_double("--beta-dpo", a, &o->fo.beta_dpo);
      o->given |= U_BDPO;
      break;
    case OPT_RIDGE:
      bad = nonneg("--ridge", a, &o->fo.ridge);
      o->given |= U_RIDGE;
      break;
    case OPT_ETA:
      bad = cli_parse_positive_double("--eta", a, &o->fo.eta);
      o->given |= U_ETA;
      break;
    case OPT_ITER:
      bad = cli_parse_long("--iterations", a, 1, 100000000L,
                           &o->fo.iterations);
      o->given |= U_ITER;
      break;
    case OPT_STEPS:
      bad = cli_parse_long("--steps", a, 1, 100000000L, &o->fo.dpo_steps);
      o->given |= U_STEPS;
      break;
    case OPT_LR:
      bad = cli_parse_positive_double("--lr", a, &o->fo.dpo_lr);
      o->given |= U_STEPS;
      o->have_lr = 1;
      break;
    case 'h':
      usage(stdout);
      *done = 1;
      return CLI_EXIT_OK;
    default: /* ':' (missing value) or '?' */
      return cli_getopt_error("fit", c, argv[optind - 1]);
    }
    if (bad)
      return CLI_EXIT_USAGE;
  }
  if (optind < argc)
    return cli_usage_error("fit: unexpected argument '%s'", argv[optind]);
  if (o->method == NULL)
    return cli_usage_error("fit: --method M is required (pmle dpo reward "
                           "distill rebel rebel-iter rlhf rkl)");
  as_method m;
  if (as_method_parse(o->method, &m) != AS_OK)
    return cli_usage_error("--method: '%s' is not one of pmle dpo reward "
                           "distill rebel rebel-iter rlhf rkl", o->method);
  o->fo.method = m;
  if (o->comp == NULL)
    return cli_usage_error("fit: --comparisons FILE is required");
  if (o->out == NULL || o->out[0] == '\0')
    return cli_usage_error("fit: --out FILE is required");
  if (o->inst != NULL && o->ref != NULL)
    return cli_usage_error("fit: give --instance or --ref, not both");
  unsigned extra = o->given & ~method_uses[m];
  for (int i = 0; i < 8; i++)
    if (extra & (1u << i))
      fprintf(stderr, "alignsim: fit: note: %s is not used by method %s "
                      "(ignored; see 'alignsim fit --help')\n",
              use_names[i], o->method);
  if ((o->given & U_STEPS) && (o->fo.dpo_steps == 0 || !o->have_lr))
    return cli_usage_error("fit: --steps and --lr go together");
  return CLI_EXIT_OK;
}

/* `no_mle_contexts 0,3,7` (or `-`): the contexts whose ridge-free BT MLE
 * does not exist (win-graph criterion, SPEC §3). */
static int print_no_mle(const as_data *d)
{
  int *ok = malloc(d->K * sizeof *ok);
  if (ok == NULL || as_reward_graph_report(d, ok, NULL, NULL) != AS_OK) {
    free(ok);
    return -1;
  }
  int any = 0;
  printf("no_mle_contexts ");
  for (size_t x = 0; x < d->K; x++)
    if (!ok[x]) {
      printf(any ? ",%zu" : "%zu", x);
      any = 1;
    }
  printf(any ? "\n" : "-\n");
  free(ok);
  return 0;
}

/* A sentinel default (NAN, 0) is written as the rule it stands for (as_fit.h),
 * anything given or fixed as the number parsed, "%.17g" (exactly). */
static void manifest_value(FILE *f, const char *key, double v,
                           const char *rule)
{
  if (isnan(v))
    fprintf(f, "%s = %s\n", key, rule);
  else
    fprintf(f, "%s = %.17g\n", key, v);
}

/* FILE.manifest (cli.h): what produced FILE — every option as parsed,
 * defaults included, the inputs, the data's size and the fit's status. */
static int write_manifest(FILE *f, const fit_args *o, int argc, char **argv,
                          const as_counts *cnt, const as_fit_result *res)
{
  const as_fit_opts *fo = &o->fo;
  char date[AS_IO_DATE_MAX];
  as_io_format_date_utc(date, sizeof date);
  cli_manifest_fprint_header(f, "alignsim fit: the inputs and options that "
                                "produced the table next to this file",
                             argc, argv);
  fprintf(f, "date = %s\nmethod = %s\n", date, as_method_name(fo->method));
  manifest_value(f, "beta", fo->beta, "");
  manifest_value(f, "lambda", fo->lambda, "");
  manifest_value(f, "gamma", fo->gamma, "beta");
  manifest_value(f, "beta_dpo", fo->beta_dpo, "beta");
  manifest_value(f, "ridge", fo->ridge, "1/n");
  manifest_value(f, "eta", fo->eta, "1/lambda");
  if (fo->iterations > 0)
    fprintf(f, "iterations = %ld\n", fo->iterations);
  else
    fprintf(f, "iterations = default (1000)\n");
  fprintf(f, "dpo_steps = %ld\n", fo->dpo_steps);
  manifest_value(f, "dpo_lr", fo->dpo_lr, "");
  manifest_value(f, "tol", fo->tol, "");
  fprintf(f, "max_iter = %ld\nstrict = %d\n", fo->max_iter, o->strict);
  fprintf(f, "comparisons = %s\ninstance = %s\nref = %s\nrho = uniform\n"
             "output = %s\n",
          o->comp, o->inst ? o->inst : "-", o->ref ? o->ref : "-", o->out);
  fprintf(f, "K = %zu\nV = %zu\nn = %" PRIu64 "\nstatus = %s\n", cnt->K,
          cnt->V, cnt->n, as_strerror(res->status));
  return ferror(f) ? AS_EIO : AS_OK;
}

/* Writes the table and FILE.manifest together: both temp files are
 * finished before either is renamed, so a failure leaves neither behind
 * (and an existing FILE untouched). */
static int write_outputs(const fit_args *o, int argc, char **argv,
                         const as_counts *cnt, const as_fit_result *res,
                         as_err *e)
{
  int is_reward = o->fo.method == AS_METHOD_REWARD;
  char mpath[4096], tmp[2][4200];
  int len = snprintf(mpath, sizeof mpath, "%s.manifest", o->out);
  if (len < 0 || (size_t)len >= sizeof mpath)
    return as_err_set(e, AS_EINVAL, "%s: path too long", o->out);
  const char *path[2] = {o->out, mpath};
  FILE *f[2] = {NULL, NULL};
  int rc = AS_OK;
  for (int i = 0; i < 2 && rc == AS_OK; i++)
    if ((f[i] = as_io_open_tmp(path[i], tmp[i], sizeof tmp[i], e)) == NULL)
      rc = AS_EIO;
  if (rc == AS_OK &&
      (rc = as_io_fprint_table(f[0], res->K, res->V,
                               is_reward ? res->reward : res->log_pi,
                               is_reward ? "reward" : "log_prob", e)) !=
          AS_OK) {
    char m[AS_ERR_MSG_MAX];            /* name the file in the message */
    snprintf(m, sizeof m, "%s", e->msg);
    as_err_set(e, rc, "%s: %s", o->out, m);
  }
  if (rc == AS_OK && write_manifest(f[1], o, argc, argv, cnt, res) != AS_OK)
    rc = as_err_set(e, AS_EIO, "%s: write error", mpath);
  for (int i = 0; i < 2; i++) {      /* finish (or drop) every temp file */
    if (f[i] == NULL)
      continue;
    if (rc == AS_OK) {
      rc = as_io_finish_tmp(f[i], tmp[i], e);
      if (rc != AS_OK && i == 1)
        remove(tmp[0]);
    } else {
      fclose(f[i]);
      remove(tmp[i]);
    }
  }
  if (rc != AS_OK)
    return rc;
  if ((rc = as_io_rename_tmp(tmp[0], path[0], e)) != AS_OK) {
    remove(tmp[1]);
    return rc;
  }
  if ((rc = as_io_rename_tmp(tmp[1], path[1], e)) != AS_OK)
    remove(path[0]);   /* not expected in the same directory: no table alone */
  return rc;
}

static void print_status(const as_fit_result *r)
{
  printf("status %s\n", as_strerror(r->status));
  printf("converged %d\n", r->status == AS_OK);
  printf("iterations %ld\n", r->iterations);
  printf("criterion %.17g\n", r->criterion);
  printf("contexts_not_converged %zu\n", r->contexts_not_converged);
  printf("reward_no_mle %zu\n", r->reward_no_mle);
  printf("reward_unidentified %zu\n", r->reward_unidentified);
  printf("theta_norm %.17g\n", r->theta_norm);
}

int cli_fit_main(int argc, char **argv)
{
  fit_args o;
  int done, rc = parse(argc, argv, &o, &done);
  if (rc != CLI_EXIT_OK || done)
    return rc;
  as_err e;
  as_err_clear(&e);
  as_instance *inst = NULL;
  as_counts *cnt = NULL;
  double *ref = NULL, *P = NULL, *Q = NULL;
  as_fit_result res;
  memset(&res, 0, sizeof res);
  int status = CLI_EXIT_USAGE, have_res = 0;
  size_t K = (size_t)o.K, V = (size_t)o.V;

  if (o.inst != NULL) {
    if (as_io_read_instance(o.inst, &inst, &e) != AS_OK) {
      cli_usage_error("%s", e.msg);
      goto out;
    }
    if ((o.K && (size_t)o.K != inst->K) || (o.V && (size_t)o.V != inst->V)) {
      cli_usage_error("fit: --K/--V (%ld, %ld) disagree with %s (K = %zu, "
                      "V = %zu)", o.K, o.V, o.inst, inst->K, inst->V);
      goto out;
    }
    K = inst->K;
    V = inst->V;
  } else if (o.ref != NULL) {
    size_t rk = 0, rv = 0;
    if (as_io_read_table(o.ref, &rk, &rv, &ref, 1, &e) != AS_OK) {
      cli_usage_error("%s", e.msg);
      goto out;
    }
    if ((o.K && (size_t)o.K != rk) || (o.V && (size_t)o.V != rv)) {
      cli_usage_error("fit: --K/--V (%ld, %ld) disagree with %s (K = %zu, "
                      "V = %zu)", o.K, o.V, o.ref, rk, rv);
      goto out;
    }
    K = rk;
    V = rv;
  }
  if (as_io_read_comparisons(o.comp, K, V, &cnt, &e) != AS_OK) {
    cli_usage_error("%s", e.msg);
    goto out;
  }
  K = cnt->K;
  V = cnt->V;
  if (cnt->n == 0) {
    cli_usage_error("%s: no comparisons (all counts are 0)", o.comp);
    goto out;
  }
  const double *log_ref = inst ? inst->log_pi_ref : ref;
  if (log_ref != NULL && o.fo.method == AS_METHOD_DPO)
    for (size_t i = 0; i < K * V; i++)
      if (!isfinite(log_ref[i])) {
        cli_usage_error("%s: dpo needs pi_ref of full support (context "
                        "%zu, response %zu has log pi_ref = -inf)",
                        o.inst ? o.inst : o.ref, i / V, i % V);
        goto out;
      }
  P = malloc(K * V * V * sizeof *P);
  if (P == NULL) {
    cli_usage_error("out of memory");
    goto out;
  }
  for (size_t i = 0; i < K * V * V; i++)
    P[i] = (double)cnt->N[i] / (double)cnt->n;
  if (o.fo.method == AS_METHOD_DISTILL || o.fo.method == AS_METHOD_REBEL) {
    /* population pairs ρ μ'μ', ρ uniform (see the top of this file) */
    Q = malloc(K * V * V * sizeof *Q);
    if (Q == NULL) {
      cli_usage_error("out of memory");
      goto out;
    }
    const double *lm = inst ? inst->log_mu : ref;
    for (size_t x = 0; x < K; x++)
      for (size_t a = 0; a < V; a++)
        for (size_t b = 0; b < V; b++)
          Q[(x * V + a) * V + b] =
              lm ? exp(lm[x * V + a] + lm[x * V + b]) / (double)K
                 : 1.0 / ((double)K * (double)V * (double)V);
  }
  as_data d = {.K = K, .V = V, .n = (double)cnt->n, .P = P, .Q = Q,
               .log_rho = NULL, .log_ref = log_ref};
  rc = as_fit(&o.fo, &d, &res, &e);
  if (rc != AS_OK) {
    cli_usage_error("fit: %s", e.msg);
    status = rc == AS_EINVAL || rc == AS_ENOTSUP ? CLI_EXIT_USAGE
                                                 : CLI_EXIT_FAIL;
    goto out;
  }
  have_res = 1;
  if (res.status != AS_OK) {
    fprintf(stderr, "alignsim: %s: %s\n",
            o.strict ? "error" : "warning", e.msg);
    if (o.strict) {
      status = CLI_EXIT_FAIL;
      goto out;
    }
  }
  /* metrics first, so a failure there leaves no output file */
  double mv[AS_METRICS_COUNT];
  if (inst != NULL) {
    as_metrics met;
    if (as_metrics_compute(inst, o.fo.beta, res.log_pi, res.reward, &met,
                           &e) != AS_OK) {
      cli_usage_error("metrics: %s", e.msg);
      status = CLI_EXIT_FAIL;
      goto out;
    }
    as_metrics_to_array(&met, mv);
  }
  if (write_outputs(&o, argc, argv, cnt, &res, &e) != AS_OK) {
    cli_usage_error("%s", e.msg);
    status = CLI_EXIT_FAIL;
    goto out;
  }
  if (inst != NULL)
    for (int i = 0; i < AS_METRICS_COUNT; i++)
      printf("%s %.17g\n", as_metrics_names[i], mv[i]);
  print_status(&res);
  if (print_no_mle(&d) != 0) {
    cli_usage_error("out of memory");
    status = CLI_EXIT_FAIL;
    goto out;
  }
  status = CLI_EXIT_OK;
out:
  if (have_res)
    as_fit_result_free(&res);
  as_instance_free(inst);
  as_counts_free(cnt);
  free(ref);
  free(P);
  free(Q);
  return status;
}
