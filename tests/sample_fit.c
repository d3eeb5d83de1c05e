/* sample_fit.c — statistical end-to-end check of `alignsim sample`, run by
 * test_cli_sample.sh:  sample_fit DIR BETA N [power]
 *
 * Reads DIR/instance.tsv and DIR/comparisons.tsv back with the library
 * readers, checks the counts sum to N exactly, and tests the cell
 * frequencies against p(x,a,b) of docs/reference.md §2 computed from the instance that
 * was read (as_pref_cell_probs) with Pearson's chi-square: cells with
 * expected count < 5 are pooled into one, df = cells − 1, and the statistic
 * must stay below the 1 − 1e-3 quantile (gsl_cdf_chisq_Qinv).  The seed is
 * fixed by the caller, so the check is deterministic; for a correct sampler
 * a failure at that seed had probability 1e-3.  With "power", the same
 * counts must FAIL against p computed with β·1.25 (showing the test can
 * tell).  If DIR/unlabelled.tsv exists it is tested against ρ μ' μ' the same
 * way (its size M is its own total).  flip=E tests against the
 * label-noise probabilities of docs/reference.md §2 (as_pref_cell_probs_flip); with
 * power it must then also FAIL against the noiseless law.  Exit 0 on success, 1 on failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "as_instance.h"
#include "as_io.h"
#include "as_pref.h"

#define ALPHA 1e-3

/* Pearson chi-square of counts N (total n) against probabilities p, with
 * cells of expected count < 5 pooled; a pool that itself expects < 5 is
 * folded into the smallest regular cell (the usual validity rule: a bin
 * expecting, say, 0.01 would make one stray count look like a misfit);
 * returns statistic, sets *df. */
static double chisq(const uint64_t *N, const double *p, size_t C, uint64_t n,
                    size_t *df)
{
  double stat = 0.0, pool_o = 0.0, pool_e = 0.0;
  size_t cells = 0, smallest = C;
  for (size_t i = 0; i < C; i++) {
    double e = (double)n * p[i];
    if (e < 5.0) {
      pool_o += (double)N[i];
      pool_e += e;
      continue;
    }
    stat += ((double)N[i] - e) * ((double)N[i] - e) / e;
    cells++;
    if (smallest == C || p[i] < p[smallest])
      smallest = i;
  }
  if (pool_e > 0.0 && pool_e < 5.0 && smallest < C) {
    double o = (double)N[smallest], e = (double)n * p[smallest];
    stat -= (o - e) * (o - e) / e;
    o += pool_o;
    e += pool_e;
    stat += (o - e) * (o - e) / e;
  } else if (pool_e > 0.0) {
    stat += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
    cells++;
  }
  *df = cells - 1;
  return stat;
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: sample_fit DIR BETA N [power] [flip=E]\n");
    return 2;
  }
  const char *dir = argv[1];
  double beta = strtod(argv[2], NULL);
  uint64_t n = strtoull(argv[3], NULL, 10);
  int power = 0;
  double flip = 0.0;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "power") == 0)
      power = 1;
    else if (strncmp(argv[i], "flip=", 5) == 0)
      flip = strtod(argv[i] + 5, NULL);
  }
  char path[4096];
  as_err e;
  as_instance *inst = NULL;
  snprintf(path, sizeof path, "%s/instance.tsv", dir);
  if (as_io_read_instance(path, &inst, &e) != AS_OK) {
    fprintf(stderr, "FAIL: %s\n", e.msg);
    return 1;
  }
  size_t K = inst->K, V = inst->V, C = K * V * V;
  as_counts *c = NULL;
  snprintf(path, sizeof path, "%s/comparisons.tsv", dir);
  if (as_io_read_comparisons(path, K, V, &c, &e) != AS_OK) {
    fprintf(stderr, "FAIL: %s\n", e.msg);
    return 1;
  }
  int ok = 1;
  if (c->n != n) {
    fprintf(stderr, "FAIL: counts sum to %llu, expected %llu\n",
            (unsigned long long)c->n, (unsigned long long)n);
    ok = 0;
  }
  double *p = malloc(C * sizeof *p);
  size_t df;
  if (as_pref_cell_probs_flip(inst, beta, flip, p, &e) != AS_OK) {
    fprintf(stderr, "FAIL: %s\n", e.msg);
    return 1;
  }
  double stat = chisq(c->N, p, C, c->n, &df);
  double thr = gsl_cdf_chisq_Qinv(ALPHA, (double)df);
  printf("comparisons: chi2 = %.2f, df = %zu, threshold (alpha %g) = %.2f\n",
         stat, df, ALPHA, thr);
  if (!(stat <= thr)) {
    fprintf(stderr, "FAIL: cell frequencies do not fit p(x,a,b)\n");
    ok = 0;
  }
  if (power) {
    as_pref_cell_probs_flip(inst, 1.25 * beta, flip, p, &e);
    size_t df2;
    double s2 = chisq(c->N, p, C, c->n, &df2);
    double t2 = gsl_cdf_chisq_Qinv(ALPHA, (double)df2);
    printf("power: against beta*1.25 chi2 = %.2f, threshold %.2f\n", s2, t2);
    if (!(s2 > t2)) {
      fprintf(stderr, "FAIL: the test cannot tell beta from 1.25 beta\n");
      ok = 0;
    }
    if (flip > 0.0) {
      as_pref_cell_probs(inst, beta, p, &e);
      s2 = chisq(c->N, p, C, c->n, &df2);
      t2 = gsl_cdf_chisq_Qinv(ALPHA, (double)df2);
      printf("power: against flip 0 chi2 = %.2f, threshold %.2f\n", s2, t2);
      if (!(s2 > t2)) {
        fprintf(stderr, "FAIL: the test cannot tell flip %g from 0\n", flip);
        ok = 0;
      }
    }
  }
  snprintf(path, sizeof path, "%s/unlabelled.tsv", dir);
  if (access(path, F_OK) == 0) {
    as_counts *u = NULL;
    if (as_io_read_comparisons(path, K, V, &u, &e) != AS_OK) {
      fprintf(stderr, "FAIL: %s\n", e.msg);
      return 1;
    }
    as_pref_pair_probs(inst, p, &e);
    stat = chisq(u->N, p, C, u->n, &df);
    thr = gsl_cdf_chisq_Qinv(ALPHA, (double)df);
    printf("unlabelled: m = %llu, chi2 = %.2f, df = %zu, threshold %.2f\n",
           (unsigned long long)u->n, stat, df, thr);
    if (!(stat <= thr)) {
      fprintf(stderr, "FAIL: unlabelled pairs do not fit rho mu' mu'\n");
      ok = 0;
    }
    as_counts_free(u);
  }
  free(p);
  as_counts_free(c);
  as_instance_free(inst);
  return ok ? 0 : 1;
}
