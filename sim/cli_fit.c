/* cli_fit.c — `alignsim fit`: fit one docs/reference.md §3 objective to comparison
 * counts over a policy class (docs/reference.md §3.1: tabular, finite, features) and
 * write the learned log-policy (or reward) as a `context response value`
 * table.  Parsing and printing only: the mathematics is in as_fit.c
 * (tabular), as_finite.c (finite classes, exact argmin by enumeration) and
 * as_features.c (log-linear class), the formats in as_io.c, as_finite.c and
 * as_features.c, the metrics in as_metrics.c.
 *
 * Documented choices:
 * - ρ is uniform: none of the input formats carries ρ (docs/reference.md §7);
 * - π_ref comes from --instance (log_pi_ref) or --ref, else uniform;
 * - distill and rebel need unlabelled pairs (docs/reference.md §2).  Precedence:
 *     1. --unlabelled FILE: the counts M of FILE (comparisons format, as
 *        `alignsim sample --m` writes unlabelled.tsv), Q = M/m;
 *     2. --mu2 FILE: the population limit ρ μ'μ' with μ' = FILE;
 *     3. the population limit with μ' = the instance's log_mu column (the
 *        format has no μ' column; as_io reads μ' = μ), or μ' = π_ref from
 *        --ref, or uniform;
 *   --unlabelled and --mu2 together are a usage error;
 * - classes (--class, default tabular) and the methods each supports
 *   (table in --help); an unsupported pair is a usage error.  The reward
 *   model of the reward-based methods is fitted over the reward class
 *   (--reward-class, default: the policy class; for finite, the induced
 *   class {β log π : π ∈ Π}, no ridge); `--method reward` writes that
 *   reward and its policy is softmax(r̂/β).  A feature reward is written
 *   centred (Σ_y r = 0 per context, as the tabular one); a finite one in
 *   the class's gauge, β log π̂;
 * - an option a method does not use is accepted and reported on stderr as
 *   ignored, so one command line (say with --lambda) can be reused for every
 *   method; it never changes the fit;
 * - FILE.manifest (cli.h) is written with FILE, atomically, and neither is
 *   written when the command fails (exit 1 or 2). */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_features.h"
#include "as_finite.h"
#include "as_fit.h"
#include "as_hparam.h"
#include "as_instance.h"
#include "as_io.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_pref.h"
#include "cli.h"

/* The hyperparameters (--lambda, --gamma, --beta-dpo, --ridge, --steps,
 * --lr, --eta, --smoothing, ...) are declared, with the methods that use
 * them, in as_hparam.c and parsed, documented, checked and written from
 * there.  What remains here are the inputs some methods use. */
enum { U_BETA = 1 << 0, U_PAIRS = 1 << 1, U_RCLASS = 1 << 2 };
#define N_USES 3

/* Inputs each method uses (--beta is used by all: BT temperature of the
 * data, metrics, and the reward-LM temperature).  U_RCLASS marks the
 * methods that fit a reward model, U_PAIRS those that need unlabelled
 * pairs. */
static const unsigned method_uses[AS_METHOD_COUNT] = {
    [AS_METHOD_PMLE] = U_BETA,
    [AS_METHOD_DPO] = U_BETA,
    [AS_METHOD_REWARD] = U_BETA | U_RCLASS,
    [AS_METHOD_DISTILL] = U_BETA | U_PAIRS | U_RCLASS,
    [AS_METHOD_REBEL] = U_BETA | U_PAIRS | U_RCLASS,
    [AS_METHOD_REBEL_ITER] = U_BETA | U_RCLASS,
    [AS_METHOD_RLHF] = U_BETA | U_RCLASS,
    [AS_METHOD_RKL] = U_BETA | U_RCLASS,
    [AS_METHOD_CDPO] = U_BETA,
    [AS_METHOD_RDPO] = U_BETA,
    [AS_METHOD_IPO] = U_BETA,
    [AS_METHOD_GPO] = U_BETA,
    [AS_METHOD_SLIC] = U_BETA,
    [AS_METHOD_SIMPO] = U_BETA,
    [AS_METHOD_ORPO] = U_BETA,
    [AS_METHOD_CHIPO] = U_BETA,
    [AS_METHOD_SPPO] = U_BETA | U_RCLASS,
    [AS_METHOD_NASH] = U_BETA | U_RCLASS,
};

static const char *const use_names[N_USES] = {
    "--beta", "--mu2/--unlabelled", "--reward-class"};

/* Policy and reward classes (docs/reference.md §3.1). */
typedef enum { CLS_TABULAR = 0, CLS_FINITE, CLS_FEATURES, CLS_COUNT } cls_id;
static const char *const cls_names[CLS_COUNT] = {"tabular", "finite",
                                                 "features"};
#define MB(m) (1u << (m))
/* The methods of docs/reference.md §3 (the atlas methods of §3.2 are tabular only). */
#define SPEC3_METHODS (MB(AS_METHOD_RKL + 1) - 1u)
/* The methods each policy class supports (the table of --help): finite
 * has the enumeration estimators of as_finite.h (rlhf = rkl at γ = 0);
 * features has everything as_features_fit solves (no rebel-iter, dpo
 * solved only). */
static const unsigned cls_methods[CLS_COUNT] = {
    [CLS_TABULAR] = MB(AS_METHOD_COUNT) - 1u,
    [CLS_FINITE] = MB(AS_METHOD_PMLE) | MB(AS_METHOD_REWARD)
                   | MB(AS_METHOD_DISTILL) | MB(AS_METHOD_RLHF)
                   | MB(AS_METHOD_RKL),
    [CLS_FEATURES] = SPEC3_METHODS & ~MB(AS_METHOD_REBEL_ITER),
};

static void usage(FILE *f, const as_hparam_table *t)
{
  fprintf(f,
"usage: alignsim fit --method M --comparisons FILE [--instance FILE | --ref FILE]\n"
"                    [--class tabular|finite|features] [--class-file FILE]\n"
"                    [--features FILE] [--reward-class tabular|finite|features]\n"
"                    [--mu2 FILE | --unlabelled FILE]\n"
"                    [--K K] [--V V] [--beta B] [shared options]\n"
"                    [--starts N] [--strict] [method options] --out FILE\n"
"\n"
"Fits one objective of docs/reference.md §3 over a policy class (docs/reference.md §3.1) to\n"
"comparison counts (context winner loser [count]) and writes\n"
"'context response value' rows to FILE (atomically): the learned\n"
"log-probability, or for 'reward' the learned reward, and FILE.manifest\n"
"(key = value: version, date, command line, method, class, every option as\n"
"parsed with its default, input paths, K, V, n, status); the two appear\n"
"together, and neither when the command fails.  Rows with winner = loser\n"
"(the same response drawn twice) are legal: they count in n and carry no\n"
"information, every loss being constant in theta on them\n"
"(docs/reference.md §2).\n"
"\n"
"shared options (X: a number; [default; valid range]; beyond a range's\n"
"end the arithmetic overflows):\n"
  );
  as_hparam_print_shared(f, t);
  fprintf(f,
"methods and the options each uses (--beta: all, default 1; an option a\n"
"method does not use is ignored, with a note on stderr):\n"
  );
  as_hparam_print_uses(f, t);
  fprintf(f,
"  reward, distill, rebel, rebel-iter, rlhf, rkl, sppo, nash also use\n"
"  --reward-class.\n"
"methods with their own options (FLAG X: a number, F: a name;\n"
"[default; valid range]); the objective atlas of docs/reference.md §3.2 (tabular class\n"
"only; --beta-dpo is the DPO-family temperature, default beta):\n"
  );
  as_hparam_print_help(f, t);
  fputs("\n", f);
  fputs(
"policy classes (--class, default tabular) and the methods each supports\n"
"(x: available; -: not, a usage error, exit 2):\n"
"              pmle  dpo  reward  distill  rebel  rebel-iter  rlhf  rkl\n"
"  tabular      x     x     x       x       x         x        x     x\n"
"  finite       x     -     x       x       -         -        x     x\n"
"  features     x     x     x       x       x         -        x     x\n"
"  cdpo rdpo ipo gpo slic simpo orpo chipo sppo nash: tabular only.\n"
"  tabular   theta in R^{KxV} free; exact Newton per context.\n"
"  finite    --class-file FILE: members, 'member context response\n"
"            log_prob' (every row a log-distribution); the estimate is the\n"
"            exact argmin over the members by enumeration (Assumption 1;\n"
"            ties: lowest index); rlhf is rkl with gamma = 0.\n"
"  features  --features FILE: 'context response f_1 ... f_d' (d inferred,\n"
"            every (x,y) once): pi_w(y|x) ~ exp(w.phi(x,y)), Newton over w\n"
"            (chain rule); dpo is solved (no --steps).\n"
"reward classes (--reward-class, default: the policy class): the class of\n"
"the reward model r^ that reward, distill, rebel, rebel-iter, rlhf and rkl\n"
"fit first; any policy class takes any reward class.\n"
"  tabular   r in R^{KxV}, ridge --ridge (default 1/n)\n"
"  features  r_w = w.phi (--features FILE), ridge --ridge on the rewards\n"
"            Phi w (default 1/n); --class tabular --reward-class features\n"
"            is the E5 configuration (docs/reference.md §3.1)\n"
"  finite    {beta log pi : pi in the class} (--class-file FILE), exact\n"
"            argmin, no ridge (--ridge ignored)\n"
"  'reward' writes r^ (tabular, features: sum 0 per context; finite:\n"
"  beta log pi^) and its policy softmax(r^/beta) gives the metrics.\n"
"\n"
"inputs:\n"
"  --instance FILE  context response log_pi_star log_pi_ref log_mu: gives\n"
"                   K, V, pi_ref, mu' = mu, and prints docs/reference.md §4 metrics\n"
"  --ref FILE       context response log_prob: pi_ref (and mu' = pi_ref)\n"
"  neither          pi_ref and mu' uniform; K, V from the data or --K/--V\n"
"  rho is uniform (no format carries it).\n"
"unlabelled pairs of distill and rebel (docs/reference.md §2), first that applies:\n"
"  --unlabelled FILE  counts M in the comparisons format 'context a b\n"
"                     [count]' (as 'alignsim sample --m' writes\n"
"                     unlabelled.tsv): the finite-m objective with M/m\n"
"  --mu2 FILE         context response log_prob (rows normalised): the\n"
"                     population limit rho mu' mu' with this mu'\n"
"  otherwise          the population limit with mu' = the instance's\n"
"                     log_mu, else --ref, else uniform\n"
"  (--unlabelled and --mu2 together are a usage error.)\n"
"\n"
  , f);
  fputs(
"stdout: 'name value' lines: the metrics (with --instance), then status,\n"
"converged, iterations, criterion, contexts_not_converged (features: all K\n"
"when the joint fit over w did not converge), reward_no_mle (contexts\n"
"failing the win-graph criterion), reward_unidentified,\n"
"pairs_unidentified (distill, rebel at lambda 0: contexts whose unlabelled\n"
"pairs do not connect every response; the policy there is not identified\n"
"and keeps pi_ref's offsets), pmle_escapes (pmle at lambda > 0: contexts\n"
"where a lower objective was found by sending responses towards 0 - the\n"
"fit is then not the minimiser and is reported not converged),\n"
"theta_norm,\n"
"no_mle_contexts (their list, comma-separated, or -), class, reward_class\n"
"(- when the method fits no reward); finite: class_size and class_member\n"
"(the member returned) and, for a finite reward class, reward_member;\n"
"features: features_d; and for the policy fit starts, local_minima,\n"
"best_hits, starts_failed, minima_gap: objectives not convex in w (rlhf,\n"
"rkl; pmle, distill, rebel at lambda > 0) run w = 0, the projection of the\n"
"tabular solution and --starts N seeded random starts (default 4) and keep\n"
"the lowest F; local_minima counts the distinct minima the converged\n"
"starts reached, best_hits those that reached the kept one (a note on\n"
"stderr when they disagree, failed or hit it once: never a certified\n"
"global minimum).\n"
"status is ok, no-convergence, diverged or non-finite (a NaN or infinite\n"
"log-probability, reward, metric or theta_norm: never ok).  A fit that is\n"
"not ok is reported there and on stderr; with --strict it exits 1 and\n"
"writes nothing.  --beta must be <= 1e6 (beyond, the arithmetic\n"
"overflows); the other options' ranges are given above.\n"
"exit status: 0 ok, 1 failed computation (--strict), 2 bad usage or input.\n",
        f);
}

enum {
  OPT_METHOD = 256, OPT_COMP, OPT_INST, OPT_REF, OPT_K, OPT_V, OPT_BETA,
  OPT_OUT, OPT_STRICT, OPT_CLASS, OPT_CLASS_FILE, OPT_FEATURES,
  OPT_RCLASS, OPT_MU2, OPT_UNL, OPT_STARTS,
  OPT_HPARAM = 1024 /* + index into the table's distinct flags */
};

static const struct option long_opts[] = {
    {"method", required_argument, NULL, OPT_METHOD},
    {"comparisons", required_argument, NULL, OPT_COMP},
    {"instance", required_argument, NULL, OPT_INST},
    {"ref", required_argument, NULL, OPT_REF},
    {"K", required_argument, NULL, OPT_K},
    {"V", required_argument, NULL, OPT_V},
    {"beta", required_argument, NULL, OPT_BETA},
    {"out", required_argument, NULL, OPT_OUT},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"class", required_argument, NULL, OPT_CLASS},
    {"class-file", required_argument, NULL, OPT_CLASS_FILE},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"reward-class", required_argument, NULL, OPT_RCLASS},
    {"mu2", required_argument, NULL, OPT_MU2},
    {"unlabelled", required_argument, NULL, OPT_UNL},
    {"starts", required_argument, NULL, OPT_STARTS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
#define N_STATIC_OPTS (sizeof long_opts / sizeof long_opts[0] - 1)

/* The declared hyperparameters with distinct flags (several methods may
 * share one flag, e.g. --eta, and so one field), in field order. */
#define MAX_HP 32
typedef struct {
  const as_hparam *hp[MAX_HP];
  size_t n;
  struct option opts[N_STATIC_OPTS + MAX_HP + 1];
} hp_opts;

static void hp_opts_build(const as_hparam_table *t, hp_opts *h)
{
  memcpy(h->opts, long_opts, N_STATIC_OPTS * sizeof long_opts[0]);
  h->n = as_hparam_list(t, h->hp, MAX_HP);
  for (size_t k = 0; k < h->n; k++)
    h->opts[N_STATIC_OPTS + k] = (struct option){
        h->hp[k]->flag + 2, required_argument, NULL, OPT_HPARAM + (int)k};
  h->opts[N_STATIC_OPTS + h->n] = (struct option){NULL, 0, NULL, 0};
}

/* 1 when the option whose field is at `offset` was given. */
static int hp_given_at(const hp_opts *h, const unsigned char *given,
                       size_t offset)
{
  for (size_t k = 0; k < h->n; k++)
    if (h->hp[k]->offset == offset)
      return given[k];
  return 0;
}

typedef struct {
  as_fit_opts fo;
  const char *comp, *inst, *ref, *out, *method;
  const char *class_file, *features, *mu2, *unl;
  long K, V;
  unsigned given;
  int strict;
  int cls;   /* policy class                                            */
  int rcls;  /* reward class as given (default: the policy class)        */
  int rused; /* reward class the method uses, or -1 (no reward model)    */
  const as_hparam_table *hpt; /* the hyperparameter declarations        */
  hp_opts hpo;             /* declared hyperparameter flags                */
  unsigned char hp_given[MAX_HP];
} fit_args;

/* What the class fits add to the report (stdout and the manifest). */
typedef struct {
  size_t class_size, member, rmember, d; /* SIZE_MAX / 0: not applicable */
  uint64_t m;                            /* unlabelled pairs read, or 0  */
  const char *pairs;                     /* where Q came from, or NULL   */
  /* Feature-class policy fit: the multi-start record (as_features_info;
   * starts = 0: not a feature policy fit). */
  int starts, starts_failed, local_minima, best_hits;
  double minima_gap;
} fit_extra;


static int parse_class(const char *flag, const char *a, int *out)
{
  for (int i = 0; i < CLS_COUNT; i++)
    if (strcmp(a, cls_names[i]) == 0) {
      *out = i;
      return 0;
    }
  return cli_usage_error("%s: '%s' is not one of tabular finite features",
                         flag, a);
}

/* "pmle reward distill rlhf rkl": the methods of class c. */
static void class_method_list(int c, char *buf, size_t size)
{
  buf[0] = '\0';
  size_t len = 0;
  for (int m = 0; m < AS_METHOD_COUNT; m++)
    if (cls_methods[c] & MB(m)) {
      int k = snprintf(buf + len, size - len, "%s%s", len ? " " : "",
                       as_method_name((as_method)m));
      if (k < 0 || (size_t)k >= size - len)
        return;
      len += (size_t)k;
    }
}

static void note_unused(const char *flag, const char *method,
                        const char *why)
{
  fprintf(stderr, "alignsim: fit: note: %s is not used by method %s%s "
                  "(ignored; see 'alignsim fit --help')\n",
          flag, method, why);
}

/* The inputs in `extra` (U_ bits) given to a method that does not use
 * them. */
static void note_unused_inputs(const fit_args *o, unsigned extra)
{
  for (int i = 0; i < N_USES; i++)
    if (extra & (1u << i))
      note_unused(use_names[i], o->method, "");
}

/* The declared options given to a method that does not declare them (the
 * shared ones, or the methods' own): the finite reward class has no
 * ridge. */
static void note_unused_hparams(const fit_args *o, int shared)
{
  const as_method_decl *decl = as_hparam_find(o->hpt, o->method);
  for (size_t i = 0; i < o->hpo.n; i++) {
    const as_hparam *h = o->hpo.hp[i];
    if (!o->hp_given[i] || ((h->flags & AS_HP_SHARED) != 0) != shared)
      continue;
    int finite_ridge = o->rused == CLS_FINITE &&
                       h->offset == offsetof(as_fit_opts, ridge);
    if (as_hparam_of_method(decl, h) == NULL || finite_ridge)
      note_unused(h->flag, o->method,
                  finite_ridge ? " with reward class finite" : "");
  }
}

static int parse(const as_hparam_table *t, int argc, char **argv,
                 fit_args *o, int *done)
{
  memset(o, 0, sizeof *o);
  o->hpt = t;
  as_fit_opts_default(&o->fo);
  as_hparam_unset(t, &o->fo); /* t's own methods' fields too */
  o->cls = CLS_TABULAR;
  o->rcls = -1;
  o->rused = -1;
  *done = 0;
  optind = 1;
  opterr = 0;
  int c;
  hp_opts_build(o->hpt, &o->hpo);
  while ((c = getopt_long(argc, argv, ":h", o->hpo.opts, NULL)) != -1) {
    const char *a = optarg;
    int bad = 0;
    if (c >= OPT_HPARAM && c < OPT_HPARAM + (int)o->hpo.n) {
      const as_hparam *h = o->hpo.hp[c - OPT_HPARAM];
      as_err e;
      if (as_hparam_parse(h, a, h->flag, &o->fo, &e) != AS_OK)
        return cli_usage_error("%s", e.msg);
      o->hp_given[c - OPT_HPARAM] = 1;
      continue;
    }
    switch (c) {
    case OPT_METHOD: o->method = a; break;
    case OPT_COMP: o->comp = a; break;
    case OPT_INST: o->inst = a; break;
    case OPT_REF: o->ref = a; break;
    case OPT_OUT: o->out = a; break;
    case OPT_STRICT: o->strict = 1; break;
    case OPT_CLASS_FILE: o->class_file = a; break;
    case OPT_FEATURES: o->features = a; break;
    case OPT_MU2: o->mu2 = a; o->given |= U_PAIRS; break;
    case OPT_UNL: o->unl = a; o->given |= U_PAIRS; break;
    case OPT_CLASS: bad = parse_class("--class", a, &o->cls); break;
    case OPT_RCLASS:
      bad = parse_class("--reward-class", a, &o->rcls);
      o->given |= U_RCLASS;
      break;
    case OPT_STARTS: { /* random starts; 0: none (as_fit_opts: < 0) */
      long n = 0;
      bad = cli_parse_long("--starts", a, 0, 1000, &n);
      o->fo.random_starts = n > 0 ? n : -1;
      break;
    }
    case OPT_K: bad = cli_parse_long("--K", a, 1, 1L << 26, &o->K); break;
    case OPT_V: bad = cli_parse_long("--V", a, 2, 1L << 13, &o->V); break;
    case OPT_BETA:
      bad = cli_parse_bounded("--beta", a, 0, 1, CLI_MAX_TEMP, AS_HP_TEMP_WHY,
                              &o->fo.beta);
      o->given |= U_BETA;
      break;
    case 'h':
      usage(stdout, o->hpt);
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
  char all[256];
  class_method_list(CLS_TABULAR, all, sizeof all);
  if (o->method == NULL)
    return cli_usage_error("fit: --method M is required (%s)", all);
  as_method m;
  if (as_method_parse(o->method, &m) != AS_OK)
    return cli_usage_error("--method: '%s' is not one of %s", o->method, all);
  o->fo.method = m;
  if (o->comp == NULL)
    return cli_usage_error("fit: --comparisons FILE is required");
  if (o->out == NULL || o->out[0] == '\0')
    return cli_usage_error("fit: --out FILE is required");
  if (o->inst != NULL && o->ref != NULL)
    return cli_usage_error("fit: give --instance or --ref, not both");
  if (!(cls_methods[o->cls] & MB(m))) {
    char list[128];
    class_method_list(o->cls, list, sizeof list);
    return cli_usage_error("fit: method %s does not exist in class %s (it "
                           "supports: %s; see 'alignsim fit --help')",
                           o->method, cls_names[o->cls], list);
  }
  if (o->rcls < 0)
    o->rcls = o->cls;
  if (method_uses[m] & U_RCLASS)
    o->rused = o->rcls;
  int steps = hp_given_at(&o->hpo, o->hp_given, offsetof(as_fit_opts,
                                                         dpo_steps));
  int lr = hp_given_at(&o->hpo, o->hp_given, offsetof(as_fit_opts, dpo_lr));
  if (o->cls != CLS_TABULAR && (steps || lr) && m == AS_METHOD_DPO)
    return cli_usage_error("fit: --steps/--lr (dpo gradient steps) exist "
                           "only in class tabular; class %s solves dpo",
                           cls_names[o->cls]);
  if ((o->cls == CLS_FINITE || o->rused == CLS_FINITE) &&
      o->class_file == NULL)
    return cli_usage_error("fit: class finite needs --class-file FILE");
  if ((o->cls == CLS_FEATURES || o->rused == CLS_FEATURES) &&
      o->features == NULL)
    return cli_usage_error("fit: class features needs --features FILE");
  if (o->class_file != NULL && o->cls != CLS_FINITE &&
      o->rused != CLS_FINITE)
    fprintf(stderr, "alignsim: fit: note: --class-file is not used by "
                    "method %s in class %s (ignored)\n", o->method,
            cls_names[o->cls]);
  if (o->features != NULL && o->cls != CLS_FEATURES &&
      o->rused != CLS_FEATURES)
    fprintf(stderr, "alignsim: fit: note: --features is not used by "
                    "method %s in class %s (ignored)\n", o->method,
            cls_names[o->cls]);
  if (o->mu2 != NULL && o->unl != NULL)
    return cli_usage_error("fit: give --mu2 (population pairs) or "
                           "--unlabelled (counts), not both");
  /* the notes in a fixed order: --beta, the shared options, the inputs,
   * the methods' own options */
  unsigned extra = o->given & ~method_uses[m];
  note_unused_inputs(o, extra & U_BETA);
  note_unused_hparams(o, 1);
  note_unused_inputs(o, extra & ~(unsigned)U_BETA);
  note_unused_hparams(o, 0);
  if ((steps || lr) && !(steps && lr))
    return cli_usage_error("fit: --steps and --lr go together");
  if (steps && o->fo.dpo_steps == 0) /* the declared 0 means "solve" */
    return cli_usage_error("fit: --steps 0 takes no steps: leave out --steps "
                           "and --lr to solve");
  return CLI_EXIT_OK;
}

/* `no_mle_contexts 0,3,7` (or `-`): the contexts whose ridge-free BT MLE
 * does not exist (win-graph criterion, docs/reference.md §3). */
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

static void manifest_index(FILE *f, const char *key, size_t v)
{
  if (v == SIZE_MAX)
    fprintf(f, "%s = -\n", key);
  else
    fprintf(f, "%s = %zu\n", key, v);
}

/* Every declared hyperparameter flag, in field order: a shared one's
 * value (or the rule its NAN stands for, e.g. gamma = beta) whatever the
 * method; a method's own, its value resolved to its declared default (the
 * RULE of a documented one such as rebel-iter's 1/lambda), "-" when the
 * method does not use it. */
static void manifest_hparams(FILE *f, const fit_args *o)
{
  as_fit_opts r = o->fo;
  const as_method_decl *decl =
      as_hparam_find(o->hpt, o->method);
  if (decl != NULL)
    as_hparam_resolve(decl, &r);
  for (size_t i = 0; i < o->hpo.n; i++) {
    const as_hparam *h = o->hpo.hp[i];
    const as_hparam *own = (h->flags & AS_HP_SHARED)
                               ? h : as_hparam_of_method(decl, h);
    char buf[64];
    if (own == NULL)
      snprintf(buf, sizeof buf, "-");
    else if ((own->flags & AS_HP_SHARED) && own->type == AS_HP_REAL &&
             isnan(as_hparam_get(own, &r)))
      snprintf(buf, sizeof buf, "%s", own->rule ? own->rule : "");
    else if (!(own->flags & AS_HP_SHARED) && as_hparam_is_unset(own, &r))
      snprintf(buf, sizeof buf, "%s", own->rule);
    else
      as_hparam_format(own, &r, buf, sizeof buf);
    fprintf(f, "%s = %s\n", h->key, buf);
  }
}

/* FILE.manifest (cli.h): what produced FILE — every option as parsed,
 * defaults included, the inputs, the class, the data's size and the fit's
 * status. */
static int write_manifest(FILE *f, const fit_args *o, int argc, char **argv,
                          const as_counts *cnt, const as_fit_result *res,
                          const fit_extra *x)
{
  const as_fit_opts *fo = &o->fo;
  char date[AS_IO_DATE_MAX];
  as_io_format_date_utc(date, sizeof date);
  cli_manifest_fprint_header(f, "alignsim fit: the inputs and options that "
                                "produced the table next to this file",
                             argc, argv);
  fprintf(f, "date = %s\nmethod = %s\n", date, as_method_name(fo->method));
  manifest_value(f, "beta", fo->beta, "");
  manifest_hparams(f, o);
  manifest_value(f, "tol", fo->tol, "");
  fprintf(f, "max_iter = %ld\nstrict = %d\n", fo->max_iter, o->strict);
  if (fo->random_starts == 0)
    fprintf(f, "starts = default (%d)\n", AS_FEATURES_RANDOM_STARTS);
  else
    fprintf(f, "starts = %ld\n", fo->random_starts > 0 ? fo->random_starts
                                                       : 0L);
  fprintf(f, "comparisons = %s\ninstance = %s\nref = %s\nrho = uniform\n"
             "output = %s\n",
          o->comp, o->inst ? o->inst : "-", o->ref ? o->ref : "-", o->out);
  fprintf(f, "class = %s\nreward_class = %s\nclass_file = %s\n"
             "features = %s\n",
          cls_names[o->cls], o->rused >= 0 ? cls_names[o->rused] : "-",
          o->class_file ? o->class_file : "-",
          o->features ? o->features : "-");
  manifest_index(f, "class_size", x->class_size);
  manifest_index(f, "class_member", x->member);
  manifest_index(f, "reward_member", x->rmember);
  manifest_index(f, "features_d", x->d);
  fprintf(f, "mu2 = %s\nunlabelled = %s\n", o->mu2 ? o->mu2 : "-",
          o->unl ? o->unl : "-");
  if (x->m > 0)
    fprintf(f, "m = %" PRIu64 "\n", x->m);
  else
    fprintf(f, "m = -\n");
  fprintf(f, "unlabelled_pairs = %s\n", x->pairs ? x->pairs : "-");
  fprintf(f, "K = %zu\nV = %zu\nn = %" PRIu64 "\nstatus = %s\n", cnt->K,
          cnt->V, cnt->n, as_strerror(res->status));
  return ferror(f) ? AS_EIO : AS_OK;
}

/* Writes the table and FILE.manifest together: both temp files are
 * finished before either is renamed, so a failure leaves neither behind
 * (and an existing FILE untouched). */
static int write_outputs(const fit_args *o, int argc, char **argv,
                         const as_counts *cnt, const as_fit_result *res,
                         const fit_extra *x, as_err *e)
{
  int is_reward = o->fo.method == AS_METHOD_REWARD;
  char mpath[4096];
  int len = snprintf(mpath, sizeof mpath, "%s.manifest", o->out);
  if (len < 0 || (size_t)len >= sizeof mpath)
    return as_err_set(e, AS_EINVAL, "%s: path too long", o->out);
  as_io_outset s = {0};
  int rc;
  FILE *f = as_io_outset_open(&s, NULL, o->out, e);
  if (f == NULL) {
    rc = e->code != AS_OK ? e->code : AS_EIO;
  } else if ((rc = as_io_fprint_table(f, res->K, res->V,
                                      is_reward ? res->reward : res->log_pi,
                                      is_reward ? "reward" : "log_prob", e)) !=
             AS_OK) {
    char m[AS_ERR_MSG_MAX];            /* name the file in the message */
    snprintf(m, sizeof m, "%s", e->msg);
    as_err_set(e, rc, "%s: %s", o->out, m);
    as_io_outset_close(&s, f, NULL);
  } else {
    rc = as_io_outset_close(&s, f, e);
  }
  if (rc == AS_OK) {
    if ((f = as_io_outset_open(&s, NULL, mpath, e)) == NULL) {
      rc = e->code != AS_OK ? e->code : AS_EIO;
    } else if (write_manifest(f, o, argc, argv, cnt, res, x) != AS_OK) {
      as_io_outset_close(&s, f, NULL);
      rc = as_err_set(e, AS_EIO, "%s: write error", mpath);
    } else {
      rc = as_io_outset_close(&s, f, e);
    }
  }
  if (rc == AS_OK)
    rc = as_io_outset_commit(&s, e);
  as_io_outset_free(&s);
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
  printf("pairs_unidentified %zu\n", r->pairs_unidentified);
  printf("pmle_escapes %zu\n", r->pmle_escapes);
  printf("not_unique %zu\n", r->not_unique);
  printf("unbounded %zu\n", r->unbounded);
  printf("collapsed %zu\n", r->collapsed);
  printf("theta_norm %.17g\n", r->theta_norm);
}

static void print_extra(const fit_args *o, const fit_extra *x)
{
  printf("class %s\n", cls_names[o->cls]);
  printf("reward_class %s\n", o->rused >= 0 ? cls_names[o->rused] : "-");
  if (x->class_size != SIZE_MAX)
    printf("class_size %zu\n", x->class_size);
  if (x->member != SIZE_MAX)
    printf("class_member %zu\n", x->member);
  if (x->rmember != SIZE_MAX)
    printf("reward_member %zu\n", x->rmember);
  if (x->d != SIZE_MAX)
    printf("features_d %zu\n", x->d);
  if (x->starts > 0) { /* as_features.h "Local minima": evidence only */
    printf("starts %d\n", x->starts);
    printf("local_minima %d\n", x->local_minima);
    printf("best_hits %d\n", x->best_hits);
    printf("starts_failed %d\n", x->starts_failed);
    printf("minima_gap %.17g\n", x->minima_gap);
  }
}

/* Frobenius norm of the K×V table centred per context (gauge-free, as
 * as_fit reports θ); +inf when a row holds -inf. */
static double centred_norm(size_t K, size_t V, const double *t)
{
  double s = 0.0;
  for (size_t x = 0; x < K; x++) {
    double mean = 0.0;
    for (size_t y = 0; y < V; y++)
      mean += t[x * V + y] / (double)V;
    if (!isfinite(mean))
      return INFINITY;
    for (size_t y = 0; y < V; y++)
      s += (t[x * V + y] - mean) * (t[x * V + y] - mean);
  }
  return sqrt(s);
}

/* The first failure is the one reported (never AS_OK silently). */
static int worse(int a, int b)
{
  return a != AS_OK ? a : b;
}

static int is_status(int rc)
{
  return rc == AS_OK || rc == AS_ENOCONV || rc == AS_EDIVERGE ||
         rc == AS_ENONFINITE;
}

/* Every fit except tabular policy with a tabular reward (that is as_fit):
 * the reward model over the reward class, then the policy over the policy
 * class (docs/reference.md §3.1).  Fills res (arrays owned by it) and x; returns AS_OK
 * with the fit's status in res->status, or an error code. */
static int fit_class(const fit_args *o, const as_data *d,
                     const as_finite_class *C, const as_features *F,
                     as_fit_result *res, fit_extra *x, as_err *e)
{
  size_t K = d->K, V = d->V;
  as_method m = o->fo.method;
  int rc = AS_OK, st = AS_OK;
  memset(res, 0, sizeof *res);
  res->K = K;
  res->V = V;
  res->log_pi = malloc(K * V * sizeof *res->log_pi);
  res->reward = o->rused >= 0 ? malloc(K * V * sizeof *res->reward) : NULL;
  double *w = F != NULL ? calloc(F->d, sizeof *w) : NULL;
  if (res->log_pi == NULL || (o->rused >= 0 && res->reward == NULL) ||
      (F != NULL && w == NULL)) {
    free(w);
    return as_err_set(e, AS_ENOMEM, "out of memory");
  }
  /* 1. the reward model over the reward class */
  if (o->rused == CLS_TABULAR) {
    double ridge = isnan(o->fo.ridge) ? 1.0 / d->n : o->fo.ridge;
    as_fit_result info;
    memset(&info, 0, sizeof info);
    if ((rc = as_reward_fit_tol(d, ridge, o->fo.tol, o->fo.max_iter,
                                res->reward, &info, e)) != AS_OK)
      goto done;
    st = info.status;
    res->iterations = info.iterations;
    res->criterion = info.criterion;
    res->contexts_not_converged = info.contexts_not_converged;
  } else if (o->rused == CLS_FEATURES) {
    as_features_info fi;
    memset(&fi, 0, sizeof fi);
    rc = as_features_fit_reward(F, d, o->fo.ridge, w, res->reward, &fi, e);
    if (!is_status(rc))
      goto done;
    st = rc;
    rc = AS_OK;
    res->iterations = fi.iterations;
    res->criterion = fi.criterion;
    res->contexts_not_converged = st == AS_OK ? 0 : K;
    for (size_t c = 0; c < K; c++) { /* gauge Σ_y r = 0, as tabular */
      double mean = 0.0;
      for (size_t y = 0; y < V; y++)
        mean += res->reward[c * V + y] / (double)V;
      for (size_t y = 0; y < V; y++)
        res->reward[c * V + y] -= mean;
    }
  } else if (o->rused == CLS_FINITE) {
    if ((rc = as_finite_reward(C, d, o->fo.beta, NULL, &x->rmember,
                               res->reward, e)) != AS_OK)
      goto done;
  }
  /* 2. the policy over the policy class */
  if (m == AS_METHOD_REWARD) {
    for (size_t c = 0; c < K; c++) { /* the reward LM, softmax(r̂/β) */
      for (size_t y = 0; y < V; y++)
        res->log_pi[c * V + y] = res->reward[c * V + y] / o->fo.beta;
      as_log_softmax(res->log_pi + c * V, V, res->log_pi + c * V);
    }
    if (o->rused == CLS_FINITE) {
      x->member = x->rmember;
      x->rmember = SIZE_MAX;
    }
    res->theta_norm = centred_norm(K, V, res->reward);
  } else if (o->cls == CLS_TABULAR) {
    as_fit_result t;
    memset(&t, 0, sizeof t);
    if ((rc = as_fit_with_reward(&o->fo, d, res->reward, &t, e)) != AS_OK)
      goto done;
    memcpy(res->log_pi, t.log_pi, K * V * sizeof *res->log_pi);
    st = worse(st, t.status);
    if (t.iterations > res->iterations)
      res->iterations = t.iterations;
    if (t.criterion > res->criterion)
      res->criterion = t.criterion;
    if (t.contexts_not_converged > res->contexts_not_converged)
      res->contexts_not_converged = t.contexts_not_converged;
    res->theta_norm = t.theta_norm;
    res->pairs_unidentified = t.pairs_unidentified;
    as_fit_result_free(&t);
  } else if (o->cls == CLS_FEATURES) {
    as_features_info fi;
    memset(&fi, 0, sizeof fi);
    memset(w, 0, F->d * sizeof *w);
    rc = as_features_fit(F, &o->fo, d, o->rused >= 0 ? res->reward : NULL,
                         w, &fi, e);
    if (!is_status(rc))
      goto done;
    st = worse(st, rc);
    rc = AS_OK;
    as_features_log_policy(F, w, res->log_pi);
    x->starts = fi.starts;
    x->starts_failed = fi.starts_failed;
    x->local_minima = fi.local_minima;
    x->best_hits = fi.best_hits;
    x->minima_gap = fi.minima_gap;
    if (fi.iterations > res->iterations)
      res->iterations = fi.iterations;
    if (fi.criterion > res->criterion)
      res->criterion = fi.criterion;
    if (st != AS_OK)
      res->contexts_not_converged = K; /* one w for every context */
    res->theta_norm = centred_norm(K, V, res->log_pi);
  } else { /* finite: exact argmin by enumeration (as_finite.h) */
    double beta = o->fo.beta, lambda = o->fo.lambda;
    switch (m) {
    case AS_METHOD_PMLE:
      rc = as_finite_pmle(C, d, beta, lambda, NULL, &x->member, e);
      break;
    case AS_METHOD_DISTILL:
      rc = as_finite_distill(C, d, res->reward, beta, lambda, NULL,
                             &x->member, e);
      break;
    case AS_METHOD_RLHF: /* RLHF is RKL with γ = 0 (docs/reference.md §3) */
      rc = as_finite_rkl(C, d, res->reward, lambda, 0.0, NULL, &x->member,
                         e);
      break;
    default: /* AS_METHOD_RKL (cls_methods) */
      rc = as_finite_rkl(C, d, res->reward, lambda,
                         isnan(o->fo.gamma) ? beta : o->fo.gamma, NULL,
                         &x->member, e);
      break;
    }
    if (rc != AS_OK)
      goto done;
    memcpy(res->log_pi, as_finite_member(C, x->member),
           K * V * sizeof *res->log_pi);
    res->theta_norm = centred_norm(K, V, res->log_pi);
  }
  /* the win-graph counts of the data, as as_fit reports them */
  int *ok = malloc(K * sizeof *ok), *id = malloc(K * sizeof *id);
  if (ok == NULL || id == NULL ||
      (rc = as_reward_graph_report(d, ok, id, e)) != AS_OK) {
    if (ok == NULL || id == NULL)
      rc = as_err_set(e, AS_ENOMEM, "out of memory");
  } else {
    for (size_t c = 0; c < K; c++) {
      res->reward_no_mle += !ok[c];
      res->reward_unidentified += !id[c];
    }
  }
  free(ok);
  free(id);
  res->status = st;
  if (rc == AS_OK && st != AS_OK && e->code == AS_OK)
    as_err_set(e, st, "%s in class %s (reward class %s): %s (criterion "
               "%.3g after %ld iterations)", as_method_name(m),
               cls_names[o->cls], o->rused >= 0 ? cls_names[o->rused] : "-",
               st == AS_EDIVERGE ? "no finite minimiser (diverged)"
                                 : "did not converge",
               res->criterion, res->iterations);
done:
  free(w);
  if (rc != AS_OK)
    as_fit_result_free(res);
  return rc;
}

/* K, V of a file read after the instance/--ref/--K/--V must agree. */
static int check_size(const char *what, size_t k, size_t v, size_t K,
                      size_t V)
{
  if ((K && k != K) || (V && v != V))
    return cli_usage_error("fit: %s is %zu x %zu, the other inputs %zu x "
                           "%zu (K x V)", what, k, v, K, V);
  return CLI_EXIT_OK;
}

int cli_fit_main(int argc, char **argv)
{
  return cli_fit_main_table(as_hparam_table_default(), argc, argv);
}

int cli_fit_main_table(const as_hparam_table *t, int argc, char **argv)
{
  fit_args o;
  int done, rc = parse(t, argc, argv, &o, &done);
  if (rc != CLI_EXIT_OK || done)
    return rc;
  as_err e;
  as_err_clear(&e);
  as_instance *inst = NULL;
  as_counts *cnt = NULL, *unl = NULL;
  as_finite_class *C = NULL;
  as_features *F = NULL;
  double *ref = NULL, *P = NULL, *Q = NULL, *mu2 = NULL;
  as_fit_result res;
  memset(&res, 0, sizeof res);
  fit_extra x = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, 0, NULL, 0, 0, 0, 0,
                 0.0};
  int status = CLI_EXIT_USAGE, have_res = 0;
  size_t K = (size_t)o.K, V = (size_t)o.V;
  as_method method = o.fo.method;
  int uses_pairs = (method_uses[method] & U_PAIRS) != 0;

  /* an unusable --out is refused before the fit (issue 12) */
  if (as_io_check_output(o.out, 0, 0.0, &e) != AS_OK) {
    cli_usage_error("--out: %s", e.msg);
    goto out;
  }
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
  /* The class files fix K, V before the comparisons when nothing else
   * did, so an index of the data outside the class is an error there. */
  if (o.cls == CLS_FINITE || o.rused == CLS_FINITE) {
    size_t ck = K, cv = V;
    if (as_finite_read(o.class_file, &ck, &cv, &C, &e) != AS_OK) {
      cli_usage_error("%s", e.msg);
      goto out;
    }
    K = ck;
    V = cv;
    x.class_size = C->M;
  }
  if (o.cls == CLS_FEATURES || o.rused == CLS_FEATURES) {
    size_t fk = K, fv = V;
    if (as_features_read(o.features, &fk, &fv, &F, &e) != AS_OK) {
      cli_usage_error("%s", e.msg);
      goto out;
    }
    K = fk;
    V = fv;
    x.d = F->d;
  }
  /* "FILE:LINE: no comparisons (all counts are 0)" from the reader */
  if (as_io_read_counts(o.comp, K, V, "comparisons", &cnt, &e) != AS_OK) {
    cli_usage_error("%s", e.msg);
    goto out;
  }
  K = cnt->K;
  V = cnt->V;
  if (uses_pairs && o.mu2 != NULL) {
    size_t mk = 0, mv = 0;
    if (as_io_read_table(o.mu2, &mk, &mv, &mu2, 1, &e) != AS_OK) {
      cli_usage_error("%s", e.msg);
      goto out;
    }
    if (check_size(o.mu2, mk, mv, K, V) != CLI_EXIT_OK)
      goto out;
  }
  if (uses_pairs && o.unl != NULL) {
    if (as_io_read_counts(o.unl, K, V, "unlabelled pairs", &unl, &e) !=
        AS_OK) {
      cli_usage_error("%s", e.msg);
      goto out;
    }
    x.m = unl->n;
  }
  const double *log_ref = inst ? inst->log_pi_ref : ref;
  if (log_ref != NULL && method == AS_METHOD_DPO)
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
  if (uses_pairs) {
    /* unlabelled pairs, precedence at the top of this file */
    Q = malloc(K * V * V * sizeof *Q);
    if (Q == NULL) {
      cli_usage_error("out of memory");
      goto out;
    }
    if (unl != NULL) {
      for (size_t i = 0; i < K * V * V; i++)
        Q[i] = (double)unl->N[i] / (double)unl->n;
      x.pairs = "counts M/m (--unlabelled)";
    } else {
      const double *lm = mu2 ? mu2 : inst ? inst->log_mu : ref;
      x.pairs = mu2    ? "population rho mu' mu', mu' = --mu2"
                : inst ? "population rho mu' mu', mu' = instance log_mu"
                : ref  ? "population rho mu' mu', mu' = --ref"
                       : "population rho mu' mu', mu' = uniform";
      for (size_t c = 0; c < K; c++)
        for (size_t a = 0; a < V; a++)
          for (size_t b = 0; b < V; b++)
            Q[(c * V + a) * V + b] =
                lm ? exp(lm[c * V + a] + lm[c * V + b]) / (double)K
                   : 1.0 / ((double)K * (double)V * (double)V);
    }
  }
  as_data d = {.K = K, .V = V, .n = (double)cnt->n, .P = P, .Q = Q,
               .log_rho = NULL, .log_ref = log_ref};
  if (o.cls == CLS_TABULAR && o.rused != CLS_FINITE &&
      o.rused != CLS_FEATURES)
    rc = as_fit(&o.fo, &d, &res, &e);
  else
    rc = fit_class(&o, &d, C, F, &res, &x, &e);
  if (rc != AS_OK) {
    cli_usage_error("fit: %s", e.msg);
    status = rc == AS_EINVAL || rc == AS_ENOTSUP ? CLI_EXIT_USAGE
                                                 : CLI_EXIT_FAIL;
    goto out;
  }
  have_res = 1;
  /* The win graph decides existence only per free context (docs/reference.md §3); the
   * feature class couples contexts through w and decides existence of the
   * BT-type minimisers with its own exact test (as_features_separation:
   * a separated fit is AS_EDIVERGE), so a failing graph is a note here. */
  if (res.status == AS_OK && res.reward_no_mle > 0 &&
      (o.cls == CLS_FEATURES || o.rused == CLS_FEATURES)) {
    as_method fm = o.fo.method;
    int tested = (o.cls == CLS_FEATURES &&
                  (fm == AS_METHOD_DPO ||
                   (fm == AS_METHOD_PMLE && o.fo.lambda == 0.0))) ||
                 (o.rused == CLS_FEATURES && o.fo.ridge == 0.0);
    fprintf(stderr, "alignsim: fit: note: %zu context(s) fail the tabular "
                    "win-graph criterion, which does not decide existence in "
                    "the feature class (w couples contexts); %s (theta_norm "
                    "%.6g)\n", res.reward_no_mle,
            tested ? "its separation test found no separating direction"
                   : "this fit is regularised (lambda or ridge > 0)",
            res.theta_norm);
  }
  /* Feature class, objective not convex in w (as_features.h): the kept
   * minimum is the best of several starts, never certified global; say so
   * when the starts disagree, failed, or reached it only once. */
  if (x.starts > 1 && (x.local_minima > 1 || x.starts_failed > 0 ||
                       x.best_hits < 2))
    fprintf(stderr, "alignsim: fit: note: the objective is not convex in w: "
                    "%d starts found %d distinct local minim%s (F gap %.6g), "
                    "%d failed, the kept (lowest) F reached by %d; it is the "
                    "best found, not a certified global minimum\n",
            x.starts, x.local_minima, x.local_minima == 1 ? "um" : "a",
            x.minima_gap, x.starts_failed, x.best_hits);
  /* A fixed step budget has no convergence to report; where the win graph
   * says no finite minimiser exists the run-away is what the steps show
   * (docs/reference.md §3, E6), so it is said, not left to a count. */
  if (method == AS_METHOD_DPO && o.fo.dpo_steps > 0 && res.reward_no_mle > 0)
    fprintf(stderr, "alignsim: fit: warning: dpo --steps: %zu context(s) "
                    "have no finite minimiser (win graph, docs/reference.md §3): theta "
                    "runs away along the steps (theta_norm %.6g after %ld "
                    "steps; more steps go further)\n", res.reward_no_mle,
            res.theta_norm, res.iterations);
  if (res.pairs_unidentified > 0)
    fprintf(stderr, "alignsim: fit: warning: in %zu context(s) the "
                    "unlabelled pairs do not connect every response and "
                    "lambda = 0: the policy there is not identified (it "
                    "keeps pi_ref's offsets between the unconnected "
                    "responses)\n", res.pairs_unidentified);
  if (res.not_unique > 0)
    fprintf(stderr, "alignsim: fit: note: in %zu context(s) the hinge "
                    "(LP) minimiser is not unique; the policy written is "
                    "one optimal vertex (docs/reference.md §3.2)\n", res.not_unique);
  if (res.unbounded > 0) { /* no point exists: nothing to write */
    print_status(&res);
    fprintf(stderr, "alignsim: fit: error: in %zu context(s) the rdpo "
                    "loss is unbounded below (some pair's win fraction is "
                    "outside [flip, 1 - flip]): no policy exists; nothing "
                    "written (docs/reference.md §3.2)\n", res.unbounded);
    status = CLI_EXIT_FAIL;
    goto out;
  }
  if (res.collapsed > 0)
    fprintf(stderr, "alignsim: fit: warning: sppo collapsed onto one "
                    "response in %zu context(s) (T rounds too many for eta: "
                    "docs/reference.md §3.2)\n", res.collapsed);
  /* every fit path, not only as_fit's: non-finite is never ok */
  as_fit_finite_status(&res, inst ? inst->log_pi_ref : ref, &e);
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
    /* reward_score is NaN by definition without a learned reward */
    for (int i = 0; i < AS_METRICS_COUNT && res.status != AS_ENONFINITE; i++)
      if (isnan(mv[i]) && (res.reward != NULL ||
                           strcmp(as_metrics_names[i], "reward_score") != 0)) {
        res.status = AS_ENONFINITE;
        fprintf(stderr, "alignsim: %s: non-finite result: %s = nan\n",
                o.strict ? "error" : "warning", as_metrics_names[i]);
        if (o.strict) {
          status = CLI_EXIT_FAIL;
          goto out;
        }
      }
  }
  if (write_outputs(&o, argc, argv, cnt, &res, &x, &e) != AS_OK) {
    cli_usage_error("%s", e.msg);
    status = CLI_EXIT_FAIL;
    goto out;
  }
  if (inst != NULL)
    for (int i = 0; i < AS_METRICS_COUNT; i++) {
      /* a method without a reward model has no reward score: "na", not
       * "nan" (docs/reference.md §4) */
      if (isnan(mv[i]) && res.reward == NULL)
        printf("%s na\n", as_metrics_names[i]);
      else
        printf("%s %.17g\n", as_metrics_names[i], mv[i]);
    }
  print_status(&res);
  if (print_no_mle(&d) != 0) {
    cli_usage_error("out of memory");
    status = CLI_EXIT_FAIL;
    goto out;
  }
  print_extra(&o, &x);
  status = CLI_EXIT_OK;
out:
  if (have_res)
    as_fit_result_free(&res);
  as_instance_free(inst);
  as_counts_free(cnt);
  as_counts_free(unl);
  as_finite_free(C);
  as_features_free(F);
  free(ref);
  free(mu2);
  free(P);
  free(Q);
  return status;
}
