/* cli_bounds.c — `alignsim bounds CONFIG`: the theory quantities of docs/reference.md §5
 * for one instance and one finite class, and the explicit bounds of
 * Theorems 4, 6, 7, 14 (as_bounds.h) for every n of the configuration.
 * Parsing and printing only: the quantities come from as_theory.c, the
 * constants from as_bounds.c. */
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_bounds.h"
#include "as_config.h"
#include "as_finite.h"
#include "as_instance.h"
#include "as_rng.h"
#include "as_theory.h"
#include "cli.h"

#define DEFAULT_DELTA 0.05

static void usage(FILE *f)
{
  fprintf(f,
"usage: alignsim bounds CONFIG [OPTIONS]\n"
"\n"
"Reads an experiment configuration with a finite class, e.g.\n"
"  class = { type = \"finite\"; distances = [0.01, 0.1, 1.0]; size = 7; };\n"
"(|Pi| = size = 1 + per_distance * #distances, pi* is member 0), or\n"
"  class = { type = \"finite\"; file = \"members.tsv\"; };\n"
"(format 'member context response log_prob', a relative path is taken\n"
"from the configuration's directory).  Draws the instance of replicate R\n"
"(pcg32 from as_rng_derive(seed, 0, R)); a generated class continues with\n"
"the same generator.  Prints, for every beta of the configuration:\n"
"  R_max, B_sigma, B_v      Assumption 2 and the measured ranges\n"
"  C_Pi                     Definition 3 (coverage of Pi under mu)\n"
"  C_Pi_R                   coverage of the reward-induced class (Thm 7)\n"
"  C_prime                  Theorem 14's coefficient (mu' = instance mu2)\n"
"  prop15_gamma             Proposition 15's Gamma(4 R_max/beta)\n"
"  class_ratio_Pi(_R)       max over the class of KL(pi*||pi)/h^2 (class-exact)\n"
"then a table of every bound by form (rows) and theorem (columns):\n"
"  paper-theorem, paper-instance   the published chain (kept for comparison)\n"
"  sharp-theorem, sharp-instance   the sharp chain (Hellinger -> logit in one\n"
"                                  step, exact tail of Prop. 12, one-sided B_v)\n"
"  class-exact                     by enumeration over the class\n"
"and one row per (theorem kind, n) with the bound and its factors:\n"
"  bound = rate * c1 * lemma8 * coverage * lemma9 for the single-stage\n"
"  kinds; thm6 and thm14 add the m-term (see proofs/).\n"
"\n"
"options [default]:\n"
"  --delta D        failure probability, 0 < D < 1 [the config's delta,\n"
"                   default %g]\n"
"  --reward-size K  reward class Pi_R = the first K members of Pi\n"
"                   (Assumption 5: Pi_R within Pi), 1 <= K <= |Pi| [|Pi|]\n"
"  --replicate R    replicate whose instance is drawn, >= 0 [0]\n"
"  -h, --help       this text\n"
"\n"
"Theorems 6 and 14 need a finite m (the 'm' key); with m = \"population\"\n"
"their rows are omitted.\n"
"Exit status: 0 success, 1 a computation failed, 2 bad usage or input.\n",
          DEFAULT_DELTA);
}

enum { OPT_DELTA = 256, OPT_RSIZE, OPT_REP };

/* Resolves a class file relative to the configuration's directory. */
static char *resolve(const char *cfg_path, const char *file)
{
  if (file[0] == '/')
    return strdup(file);
  char *tmp = strdup(cfg_path);
  if (tmp == NULL)
    return NULL;
  const char *dir = dirname(tmp);
  size_t len = strlen(dir) + strlen(file) + 2;
  char *out = malloc(len);
  if (out != NULL)
    snprintf(out, len, "%s/%s", dir, file);
  free(tmp);
  return out;
}

static int build_class(const as_config *cfg, const as_instance *inst,
                       gsl_rng *r, as_finite_class **out, as_err *err)
{
  const as_config_class *cc = &cfg->cls;
  if (cc->type != AS_CLASS_FINITE)
    return as_err_set(err, AS_EPARSE,
                      "%s:%d: 'bounds' needs class.type = \"finite\" (got "
                      "\"%s\")", cfg->path, cc->line,
                      as_class_type_name(cc->type));
  if (cc->file != NULL) {
    if (cc->distances != NULL)
      return as_err_set(err, AS_EPARSE,
                        "%s:%d: class: give either 'file' or 'distances', "
                        "not both", cfg->path, cc->line);
    char *path = resolve(cfg->path, cc->file);
    if (path == NULL)
      return as_err_set(err, AS_ENOMEM, "out of memory");
    size_t K = inst->K, V = inst->V;
    int rc = as_finite_read(path, &K, &V, out, err);
    free(path);
    if (rc == AS_OK && cc->size > 0 && (size_t)cc->size != (*out)->M) {
      rc = as_err_set(err, AS_EPARSE,
                      "%s:%d: class.size = %ld but the file holds %zu members",
                      cfg->path, cc->line, cc->size, (*out)->M);
      as_finite_free(*out);
      *out = NULL;
    }
    if (rc != AS_OK)
      return rc == AS_ENOMEM ? rc : AS_EPARSE;
    /* Assumption 2 needs r = beta log pi finite wherever rho > 0; the file
     * format allows -inf, so say which member and where (before anything
     * is printed). */
    const as_finite_class *c = *out;
    for (size_t m = 0; m < c->M; m++)
      for (size_t x = 0; x < K; x++) {
        if (inst->log_rho[x] == -INFINITY)
          continue;
        for (size_t y = 0; y < V; y++) {
          double v = c->log_pi[(m * K + x) * V + y];
          if (!isfinite(v)) {
            rc = as_err_set(err, AS_EPARSE,
                            "%s:%d: class file '%s': member %zu has log "
                            "pi(%zu|%zu) = %g: its reward beta log pi is "
                            "undefined (Assumption 2 needs full support)",
                            cfg->path, cc->line, cc->file, m, y, x, v);
            as_finite_free(*out);
            *out = NULL;
            return rc;
          }
        }
      }
    return AS_OK;
  }
  if (cc->distances == NULL || cc->n_distances == 0)
    return as_err_set(err, AS_EPARSE,
                      "%s:%d: a finite class needs 'distances' or 'file'",
                      cfg->path, cc->line);
  size_t nd = cc->n_distances, per = 1;
  if (cc->size > 0) {
    if (cc->size < 2 || (size_t)(cc->size - 1) % nd != 0)
      return as_err_set(err, AS_EPARSE,
                        "%s:%d: class.size = %ld must be 1 + k * %zu "
                        "(pi* plus k members per distance)",
                        cfg->path, cc->line, cc->size, nd);
    per = (size_t)(cc->size - 1) / nd;
  }
  return as_finite_generate(inst, cc->distances, nd, per, r, out, err);
}

/* The two-stage kinds (Theorems 6 and 14) need a finite m. */
static int needs_m(int k)
{
  return k == AS_THEORY_THM6 || k == AS_THEORY_THM14 ||
         k == AS_THEORY_THM6_SHARP || k == AS_THEORY_THM6_INSTANCE_SHARP ||
         k == AS_THEORY_THM14_SHARP || k == AS_THEORY_THM14_INSTANCE_SHARP;
}

static void print_row(const char *thm, const as_bounds_chain *b)
{
  printf("%s\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g"
         "\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\n",
         thm, b->n, b->m, b->kl, b->rate, b->c1, b->lemma8, b->coverage,
         b->lemma9, b->coverage_R, b->B_sigma, b->B_v, b->kappa, b->phi,
         b->pref_sq, b->reward_sq_mu);
}

/* The compact table: one row per (form, n), one column per theorem.  A
 * form's kinds per theorem (thm4, thm7, thm6, thm14); -1 = the class-exact
 * two-stage form, computed by as_theory_two_stage_ball. */
#define BALL (-1)
static const struct {
  const char *name;
  int kind[4];
} forms[] = {
    {"paper-theorem", {AS_THEORY_THM4, AS_THEORY_THM7, AS_THEORY_THM6,
                       AS_THEORY_THM14}},
    {"paper-instance", {AS_THEORY_THM4_INSTANCE, AS_THEORY_THM7_INSTANCE, -2,
                        -2}},
    {"sharp-theorem", {AS_THEORY_THM4_SHARP, AS_THEORY_THM7_SHARP,
                       AS_THEORY_THM6_SHARP, AS_THEORY_THM14_SHARP}},
    {"sharp-instance", {AS_THEORY_THM4_INSTANCE_SHARP,
                        AS_THEORY_THM7_INSTANCE_SHARP,
                        AS_THEORY_THM6_INSTANCE_SHARP,
                        AS_THEORY_THM14_INSTANCE_SHARP}},
    {"class-exact", {AS_THEORY_THM4_CLASS, AS_THEORY_THM7_CLASS, BALL,
                     BALL}},
};

/* One cell of the compact table: NAN where the form does not exist (the
 * paper chain has no instance form of 6/14) or m is not finite. */
static int form_value(const as_instance *inst, const as_finite_class *Pi,
                      const as_finite_class *R, const as_theory_summary *s,
                      int kind, int thm, double delta, double n, double m,
                      double *out, as_err *err)
{
  *out = NAN;
  if (kind == -2 || (thm >= 2 && isnan(m)))
    return AS_OK;
  if (kind == BALL) {
    const as_finite_class *PR = R != NULL ? R : Pi;
    double en = as_bounds_tail_sharp((double)PR->M, delta / 2.0, n);
    double em = as_bounds_tail_sharp((double)Pi->M, delta / 2.0, m);
    return as_theory_two_stage_ball(inst, Pi, PR,
                                    thm == 3 ? inst->log_mu2 : NULL, s->beta,
                                    en, em, out, err);
  }
  as_bounds_chain ch;
  int rc = as_theory_bound(s, (as_theory_bound_kind)kind, delta, n, m, &ch,
                           err);
  *out = ch.kl;
  return rc;
}

static int print_forms(const as_instance *inst, const as_finite_class *Pi,
                       const as_finite_class *R, const as_theory_summary *s,
                       const as_config *cfg, double delta, as_err *err)
{
  double m = cfg->m_population ? NAN : (double)cfg->m;
  printf("# E KL(pi*||pi_hat) <= bound, w.p. >= 1 - delta; paper = the "
         "published chain, sharp = proofs/hellinger-logit.md;\n"
         "# theorem: R_max only; instance: measured ranges; class-exact: "
         "by enumeration over the class\n");
  printf("form\tn\tthm4\tthm7\tthm6\tthm14\n");
  for (size_t i = 0; i < cfg->n_n; i++)
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
      double v[4];
      for (int t = 0; t < 4; t++) {
        int rc = form_value(inst, Pi, R, s, forms[f].kind[t], t, delta,
                            (double)cfg->n[i], m, &v[t], err);
        if (rc != AS_OK)
          return rc;
      }
      printf("%s\t%.6g", forms[f].name, (double)cfg->n[i]);
      for (int t = 0; t < 4; t++) /* "-": no such form */
        isnan(v[t]) ? printf("\t-") : printf("\t%.4g", v[t]);
      putchar('\n');
    }
  return AS_OK;
}

int cli_bounds_main(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"delta", required_argument, NULL, OPT_DELTA},
      {"reward-size", required_argument, NULL, OPT_RSIZE},
      {"replicate", required_argument, NULL, OPT_REP},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  double delta = NAN; /* NAN: take the config's `delta` */
  long rsize = 0, rep = 0;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_DELTA:
      if (cli_parse_double("--delta", optarg, &delta) != 0)
        return CLI_EXIT_USAGE;
      if (!(delta > 0.0 && delta < 1.0))
        return cli_usage_error("--delta: '%s' must lie in (0, 1)", optarg);
      break;
    case OPT_RSIZE:
      if (cli_parse_long("--reward-size", optarg, 1, 100000000, &rsize) != 0)
        return CLI_EXIT_USAGE;
      break;
    case OPT_REP:
      if (cli_parse_long("--replicate", optarg, 0, 2147483647L, &rep) != 0)
        return CLI_EXIT_USAGE;
      break;
    case 'h':
      usage(stdout);
      return CLI_EXIT_OK;
    default:
      usage(stderr);
      return CLI_EXIT_USAGE;
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("bounds: expected one CONFIG file (try 'alignsim "
                           "bounds --help')");
  as_err e;
  as_err_clear(&e);
  as_config *cfg = NULL;
  int rc = as_config_read(argv[optind], &cfg, &e);
  if (rc != AS_OK) {
    fprintf(stderr, "alignsim: %s\n", e.msg);
    return rc == AS_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
  }
  if (isnan(delta))
    delta = cfg->delta;
  int status = CLI_EXIT_OK;
  as_instance *inst = as_instance_new(cfg->instance.K, cfg->instance.V);
  as_finite_class *Pi = NULL, *R = NULL;
  as_theory_summary *sums = NULL;
  uint64_t s0, s1;
  as_rng_derive(cfg->seed, 0, (uint64_t)rep, &s0, &s1);
  gsl_rng *r = as_rng_new(s0, s1);
  if (inst == NULL || r == NULL) {
    fprintf(stderr, "alignsim: out of memory\n");
    status = CLI_EXIT_FAIL;
    goto out;
  }
  if ((rc = as_instance_draw(inst, &cfg->instance, r, &e)) != AS_OK) {
    fprintf(stderr, "alignsim: %s: %s\n", cfg->path, e.msg);
    status = CLI_EXIT_USAGE;
    goto out;
  }
  if ((rc = build_class(cfg, inst, r, &Pi, &e)) != AS_OK) {
    fprintf(stderr, "alignsim: %s\n", e.msg);
    status = rc == AS_ENOMEM || rc == AS_ENOCONV ? CLI_EXIT_FAIL
                                                 : CLI_EXIT_USAGE;
    goto out;
  }
  if (rsize > 0) {
    if ((size_t)rsize > Pi->M) {
      status = cli_usage_error("--reward-size: %ld exceeds |Pi| = %zu", rsize,
                               Pi->M);
      goto out;
    }
    R = as_finite_new((size_t)rsize, Pi->K, Pi->V);
    if (R == NULL) {
      fprintf(stderr, "alignsim: out of memory\n");
      status = CLI_EXIT_FAIL;
      goto out;
    }
    memcpy(R->log_pi, Pi->log_pi, R->M * R->K * R->V * sizeof(double));
  }
  /* Everything is computed before anything is printed, so a failure
   * leaves no partial report on stdout. */
  sums = calloc(cfg->n_beta, sizeof *sums);
  if (sums == NULL) {
    fprintf(stderr, "alignsim: out of memory\n");
    status = CLI_EXIT_FAIL;
    goto out;
  }
  for (size_t b = 0; b < cfg->n_beta; b++) {
    if ((rc = as_theory_summarise(inst, Pi, R, cfg->beta[b], &sums[b], &e))
        != AS_OK) {
      fprintf(stderr, "alignsim: %s\n", e.msg);
      status = rc == AS_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
      goto out;
    }
    for (size_t i = 0; i < cfg->n_n; i++)
      for (int k = 0; k < AS_THEORY_BOUND_COUNT; k++) {
        if (needs_m(k) && cfg->m_population)
          continue;
        as_bounds_chain ch;
        if ((rc = as_theory_bound(&sums[b], (as_theory_bound_kind)k, delta,
                                  (double)cfg->n[i],
                                  cfg->m_population ? NAN : (double)cfg->m,
                                  &ch, &e)) != AS_OK) {
          fprintf(stderr, "alignsim: %s: %s\n",
                  as_theory_bound_name((as_theory_bound_kind)k), e.msg);
          status = CLI_EXIT_FAIL;
          goto out;
        }
      }
  }
  size_t star = as_finite_find_star(inst, Pi, 1e-12);
  printf("# alignsim bounds %s (replicate %ld, seed %" PRIu64 ")\n",
         cfg->path, rep, cfg->seed);
  printf("K\t%zu\nV\t%zu\n|Pi|\t%zu\n|Pi_R|\t%zu\ndelta\t%g\n", inst->K,
         inst->V, Pi->M, R ? R->M : Pi->M, delta);
  if (star < Pi->M)
    printf("pi_star_member\t%zu\n", star);
  else
    printf("pi_star_member\tnone\t# Assumption 1 fails: the bounds below "
           "assume pi* in Pi\n");
  /* Assumption 5 (pi* in Pi_R) is what thm6, thm7 and thm14 need; with
   * --reward-size it can fail while Assumption 1 holds. */
  size_t star_R = R != NULL ? as_finite_find_star(inst, R, 1e-12) : star;
  if (star_R < (R != NULL ? R->M : Pi->M))
    printf("pi_star_in_Pi_R\tyes\n");
  else
    printf("pi_star_in_Pi_R\tno\t# Assumption 5 fails: the thm6, thm7 and "
           "thm14 rows assume pi* in Pi_R\n");
  for (size_t b = 0; b < cfg->n_beta; b++) {
    double beta = cfg->beta[b];
    const as_theory_summary s = sums[b];
    printf("\n# beta = %g\n", beta);
    printf("beta\t%.17g\n", beta);
    printf("R_max\t%.17g\n", s.ranges.R_max);
    printf("B_sigma\t%.17g\t# instance range of preference logits; "
           "theorem uses 2 R_max = %.17g\n", s.ranges_Pi.B_sigma,
           2 * s.ranges.R_max);
    printf("B_v\t%.17g\t# instance range of v; theorem uses 2 R_max/beta = "
           "%.17g\n", s.ranges_Pi.B_v, 2 * s.ranges.R_max / beta);
    printf("C_Pi\t%.17g\t# Definition 3, attained by member %zu\n", s.C_Pi,
           s.C_Pi_argmax);
    printf("C_Pi_R\t%.17g\t# reward-induced class (Theorem 7), member %zu\n",
           s.C_R, s.C_R_argmax);
    printf("C_prime\t%.17g\t# Theorem 14 (mu'), pair (%zu, %zu)\n", s.C_prime,
           s.C_prime_argmax_pi, s.C_prime_argmax_r);
    /* Proposition 15 (proofs/prop15-fwd-rev.md): |log(pi_hat/pi*)| <=
     * 4 R_max/beta under Assumption 2, so the reverse KL is bounded by
     * Gamma times any forward-KL bound below over the same class. */
    printf("prop15_gamma\t%.17g\t# Gamma(4 R_max/beta): KL(pi_hat||pi*) <= "
           "Gamma * KL(pi*||pi_hat); reverse-KL bound = Gamma * bound\n",
           as_bounds_prop15_gamma(4.0 * s.ranges.R_max / beta));
    printf("B_v_up\t%.17g\t# one-sided range of v (sharp instance forms)\n",
           s.ranges_Pi.B_v_up);
    printf("class_ratio_Pi\t%.17g\t# max KL/h^2 over Pi (class-exact)\n",
           s.ratio_Pi);
    printf("class_ratio_Pi_R\t%.17g\t# max KL/h^2 over Pi_R\n", s.ratio_R);
    if ((rc = print_forms(inst, Pi, R, &s, cfg, delta, &e)) != AS_OK) {
      fprintf(stderr, "alignsim: %s\n", e.msg);
      status = CLI_EXIT_FAIL;
      goto out;
    }
    printf("# every bound with its factors (bound = rate * c1 * lemma8 * "
           "coverage * lemma9 for the single-stage kinds;\n# sharp kinds: "
           "rate = Prop. 12's exact tail, c1 = 1, lemma8 = 8(1 + cosh "
           "B_sigma); class: lemma8 = max KL/h^2)\n");
    printf("theorem\tn\tm\tbound\trate\tc1\tlemma8\tcoverage\tlemma9"
           "\tcoverage_R\tB_sigma\tB_v\tkappa\tphi\tpref_sq\treward_sq_mu\n");
    for (size_t i = 0; i < cfg->n_n; i++) {
      double n = (double)cfg->n[i];
      double m = cfg->m_population ? NAN : (double)cfg->m;
      for (int k = 0; k < AS_THEORY_BOUND_COUNT; k++) {
        if (needs_m(k) && cfg->m_population)
          continue; /* two-stage bounds need a finite m */
        as_bounds_chain ch;
        if ((rc = as_theory_bound(&s, (as_theory_bound_kind)k, delta, n, m,
                                  &ch, &e)) != AS_OK) {
          fprintf(stderr, "alignsim: %s: %s\n",
                  as_theory_bound_name((as_theory_bound_kind)k), e.msg);
          status = CLI_EXIT_FAIL;
          goto out;
        }
        print_row(as_theory_bound_name((as_theory_bound_kind)k), &ch);
      }
    }
  }
out:
  if (fflush(stdout) != 0 && status == CLI_EXIT_OK) {
    fprintf(stderr, "alignsim: writing the output failed\n");
    status = CLI_EXIT_FAIL;
  }
  gsl_rng_free(r);
  free(sums);
  as_finite_free(Pi);
  as_finite_free(R);
  as_instance_free(inst);
  as_config_free(cfg);
  return status;
}
