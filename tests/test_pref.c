/* test_pref.c — preference data as counts (sim/as_pref.h, docs/reference.md §2).
 *
 * Independent routes: the cell probabilities against the linear-space
 * closed form π*^β/(π*^β + π*'^β) and a hand-computed two-response case;
 * the multinomial sampler (conditional binomials) and the literal
 * record-by-record process, each tested for goodness of fit against p and
 * against each other.  All statistical tests use fixed seeds and
 * thresholds from the null distribution at level 1e-4 (chi-square
 * quantiles from gsl_cdf_chisq_Qinv, or 5–6 standard deviations), so a
 * pass is not luck; a power check shows the same test rejects a wrong law. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_cdf.h>

#include "as_instance.h"
#include "as_math.h"
#include "as_pref.h"
#include "as_rng.h"

#define ALPHA 1e-4

static as_instance *drawn(size_t K, size_t V, double s, uint64_t seed)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = K;
  p.V = V;
  p.logit_scale = s;
  p.rho_uniform = 0;
  p.mu2 = AS_MU_DRAWN;
  p.mu2_sharpness = 0.8;
  p.mu2_noise = 1.0;
  as_instance *inst = as_instance_new(K, V);
  gsl_rng *r = as_rng_new(seed, 3);
  as_err e;
  ck_assert_msg(as_instance_draw(inst, &p, r, &e) == AS_OK, "%s", e.msg);
  gsl_rng_free(r);
  return inst;
}

static double *cell_probs(const as_instance *inst, double beta)
{
  double *p = malloc(inst->K * inst->V * inst->V * sizeof(double));
  as_err e;
  ck_assert_msg(as_pref_cell_probs(inst, beta, p, &e) == AS_OK, "%s", e.msg);
  return p;
}

/* ------------------------------------------------------------ chi-square */

/* Bins: every cell with expected count ≥ 5 alone; the others pooled into
 * one bin, which is itself folded into the smallest regular bin if its
 * expectation is < 5 (the usual validity rule of Pearson's test).
 * bin[i] is the bin of cell i; returns the number of bins. */
static size_t make_bins(const double *p, size_t C, double n, size_t *bin)
{
  size_t nb = 0, smallest = SIZE_MAX;
  double pooled = 0.0;
  for (size_t i = 0; i < C; i++)
    if (p[i] * n >= 5.0) {
      if (smallest == SIZE_MAX || p[i] < p[smallest])
        smallest = i;
      bin[i] = nb++;
    } else {
      pooled += p[i];
    }
  size_t other = nb;
  if (pooled * n >= 5.0 || smallest == SIZE_MAX)
    nb++;
  else
    other = bin[smallest];
  for (size_t i = 0; i < C; i++)
    if (p[i] * n < 5.0)
      bin[i] = other;
  return nb;
}

/* Pearson goodness of fit of counts N (total n) against p; *dof out. */
static double chisq_gof(const uint64_t *N, const double *p, size_t C,
                        uint64_t n, size_t *dof)
{
  size_t *bin = malloc(C * sizeof *bin);
  size_t nb = make_bins(p, C, (double)n, bin);
  double *o = calloc(nb, sizeof *o), *e = calloc(nb, sizeof *e);
  for (size_t i = 0; i < C; i++) {
    o[bin[i]] += (double)N[i];
    e[bin[i]] += p[i] * (double)n;
  }
  double chi2 = 0.0;
  for (size_t k = 0; k < nb; k++)
    chi2 += (o[k] - e[k]) * (o[k] - e[k]) / e[k];
  *dof = nb - 1;
  free(bin);
  free(o);
  free(e);
  return chi2;
}

/* Two-sample (homogeneity) chi-square between N1 and N2 on the bins of p:
 * expected counts from the pooled sample, dof = bins − 1. */
static double chisq_two_sample(const uint64_t *N1, uint64_t n1,
                               const uint64_t *N2, uint64_t n2,
                               const double *p, size_t C, size_t *dof)
{
  size_t *bin = malloc(C * sizeof *bin);
  size_t nb = make_bins(p, C, (double)(n1 < n2 ? n1 : n2), bin);
  double *a = calloc(nb, sizeof *a), *b = calloc(nb, sizeof *b);
  for (size_t i = 0; i < C; i++) {
    a[bin[i]] += (double)N1[i];
    b[bin[i]] += (double)N2[i];
  }
  double tot = (double)n1 + (double)n2, chi2 = 0.0;
  for (size_t k = 0; k < nb; k++) {
    double col = a[k] + b[k];
    double ea = col * (double)n1 / tot, eb = col * (double)n2 / tot;
    chi2 += (a[k] - ea) * (a[k] - ea) / ea + (b[k] - eb) * (b[k] - eb) / eb;
  }
  *dof = nb - 1;
  free(bin);
  free(a);
  free(b);
  return chi2;
}

/* ----------------------------------------------------------------- tests */

START_TEST(test_counts_basics)
{
  as_counts *c = as_counts_new(2, 3);
  ck_assert_ptr_nonnull(c);
  ck_assert_uint_eq(c->n, 0);
  for (size_t i = 0; i < 18; i++)
    ck_assert_uint_eq(c->N[i], 0);
  c->N[0] = 5;
  c->N[17] = 7;
  as_err e;
  ck_assert_int_eq(as_counts_total(c, &e), AS_OK);
  ck_assert_uint_eq(c->n, 12);
  c->N[3] = UINT64_MAX - 10;
  ck_assert_int_eq(as_counts_total(c, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "2^64") != NULL, "%s", e.msg);
  as_counts_free(c);
  as_counts_free(NULL);
  ck_assert_ptr_null(as_counts_new(0, 3));
  ck_assert_ptr_null(as_counts_new(SIZE_MAX / 4, 4));
}
END_TEST

/* p(x,a,b) against the linear-space formula of docs/reference.md §2 (eq. 2–3 written
 * as π*_a^β / (π*_a^β + π*_b^β)), and Σ p = 1, for several β. */
START_TEST(test_cell_probs_closed_form)
{
  as_instance *inst = drawn(6, 5, 1.0, 17);
  const double betas[] = {0.1, 1.0, 3.0, 10.0};
  size_t K = 6, V = 5;
  for (int k = 0; k < 4; k++) {
    double beta = betas[k];
    double *p = cell_probs(inst, beta);
    double tot = 0.0;
    for (size_t x = 0; x < K; x++) {
      double rho = exp(inst->log_rho[x]);
      for (size_t a = 0; a < V; a++)
        for (size_t b = 0; b < V; b++) {
          double ma = exp(inst->log_mu[x * V + a]);
          double mb = exp(inst->log_mu[x * V + b]);
          double sa = pow(exp(inst->log_pi_star[x * V + a]), beta);
          double sb = pow(exp(inst->log_pi_star[x * V + b]), beta);
          double want = a == b ? rho * ma * ma : 2 * rho * ma * mb * sa / (sa + sb);
          double got = p[(x * V + a) * V + b];
          ck_assert_msg(fabs(got - want) <= 1e-12 * want,
                        "beta %g p(%zu,%zu,%zu) = %.17g, closed form %.17g",
                        beta, x, a, b, got, want);
          tot += got;
        }
    }
    ck_assert_msg(fabs(tot - 1.0) < 1e-12, "beta %g: sum p = %.17g", beta, tot);
    free(p);
  }
  as_instance_free(inst);
}
END_TEST

/* K = 1, V = 2, μ = (0.3, 0.7), π* = (0.8, 0.2), β = 2: by hand,
 * p(0,0) = 0.09, p(1,1) = 0.49, p(0,1) = 0.42·0.64/0.68, p(1,0) = 0.42·0.04/0.68. */
START_TEST(test_cell_probs_two_point)
{
  as_instance *inst = as_instance_new(1, 2);
  inst->log_mu[0] = log(0.3);
  inst->log_mu[1] = log(0.7);
  inst->log_pi_star[0] = log(0.8);
  inst->log_pi_star[1] = log(0.2);
  double p[4];
  ck_assert_int_eq(as_pref_cell_probs(inst, 2.0, p, NULL), AS_OK);
  const double want[4] = {0.09, 0.42 * 0.64 / 0.68, 0.42 * 0.04 / 0.68, 0.49};
  for (int i = 0; i < 4; i++)
    ck_assert_msg(fabs(p[i] - want[i]) < 1e-15, "p[%d] = %.17g want %.17g", i,
                  p[i], want[i]);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_pair_probs)
{
  as_instance *inst = drawn(4, 6, 1.0, 3);
  size_t K = 4, V = 6;
  double *q = malloc(K * V * V * sizeof(double));
  ck_assert_int_eq(as_pref_pair_probs(inst, q, NULL), AS_OK);
  double tot = 0.0;
  for (size_t x = 0; x < K; x++)
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < V; b++) {
        double want = exp(inst->log_rho[x]) * exp(inst->log_mu2[x * V + a])
                      * exp(inst->log_mu2[x * V + b]);
        double got = q[(x * V + a) * V + b];
        ck_assert_msg(fabs(got - want) <= 1e-13 * want, "q = %g want %g", got,
                      want);
        tot += got;
      }
  ck_assert_msg(fabs(tot - 1.0) < 1e-12, "sum q = %.17g", tot);
  /* μ' differs from μ here, so q is not the labelled design. */
  ck_assert(memcmp(inst->log_mu, inst->log_mu2, K * V * sizeof(double)) != 0);
  free(q);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_bad_input)
{
  as_instance *inst = drawn(2, 3, 1.0, 1);
  as_counts *c = as_counts_new(2, 3), *wrong = as_counts_new(2, 4);
  gsl_rng *r = as_rng_new(1, 1);
  as_err e;
  double p[18];
  ck_assert_int_eq(as_pref_cell_probs(inst, 0.0, p, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "beta = 0") != NULL, "%s", e.msg);
  ck_assert_int_eq(as_pref_cell_probs(inst, NAN, p, &e), AS_EINVAL);
  ck_assert_int_eq(as_pref_sample_counts(inst, -1.0, 10, r, c, &e), AS_EINVAL);
  ck_assert_int_eq(as_pref_sample_records(inst, INFINITY, 10, r, c, &e),
                   AS_EINVAL);
  ck_assert_int_eq(as_pref_sample_counts(inst, 1.0, 10, r, wrong, &e),
                   AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "2 x 4") != NULL, "%s", e.msg);
  ck_assert_int_eq(as_pref_sample_records(inst, 1.0, 10, r, wrong, &e),
                   AS_EINVAL);
  ck_assert_int_eq(as_pref_sample_unlabelled(inst, 10, r, wrong, &e),
                   AS_EINVAL);
  /* Nothing is written on error. */
  for (size_t i = 0; i < 32; i++)
    ck_assert_uint_eq(wrong->N[i], 0);
  inst->log_mu[0] = NAN;
  ck_assert_int_eq(as_pref_sample_counts(inst, 1.0, 10, r, c, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "log_mu") != NULL, "%s", e.msg);
  uint64_t out[3];
  const double bad[3][3] = {{0.5, -0.1, 0.6}, {0.5, NAN, 0.5}, {0, 0, 0}};
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(as_pref_multinomial(r, 5, bad[i], 3, out, &e), AS_EINVAL);
  gsl_rng_free(r);
  as_counts_free(c);
  as_counts_free(wrong);
  as_instance_free(inst);
}
END_TEST

/* The engine: sums to n exactly for n around the 2^30 chunk boundary and
 * far beyond (up to 2^64 − 1); zero-probability cells stay 0 (also trailing ones, where the
 * remainder must go to the last cell with mass). */
START_TEST(test_multinomial_exact_sum)
{
  const uint64_t ns[] = {0, 1, 7, 1000000, 1ULL << 30, (1ULL << 30) + 1,
                         3 * (1ULL << 31) + 5, 1000000000000ULL,
                         UINT64_MAX};
  const double p[6] = {0.25, 0.0, 1e-13, 0.5, 0.25 - 1e-13, 0.0};
  gsl_rng *r = as_rng_new(8, 8);
  for (int k = 0; k < 9; k++) {
    uint64_t out[6], s = 0;
    ck_assert_int_eq(as_pref_multinomial(r, ns[k], p, 6, out, NULL), AS_OK);
    for (int i = 0; i < 6; i++)
      s += out[i];
    ck_assert_msg(s == ns[k], "n = %llu: counts sum to %llu",
                  (unsigned long long)ns[k], (unsigned long long)s);
    ck_assert_uint_eq(out[1], 0);
    ck_assert_uint_eq(out[5], 0);
  }
  gsl_rng_free(r);
}
END_TEST

/* Large-n binomials (n > 2^30 goes through Beta order-statistic halving
 * before gsl_ran_binomial).  R draws of N_0 ~ Bin(n, q) through the
 * two-cell multinomial; sample mean within 5 se (se = √(nq(1−q)/R)) and
 * sample variance within 5 se (se ≈ σ²√(2/(R−1)), the law being normal to
 * O(1/√(nq(1−q))) here).  The cases cover one halving, many halvings, and a
 * tiny/near-one q where the halving must hand a small mean to the
 * inversion branch. */
START_TEST(test_binomial_large_n_moments)
{
  enum { R = 2000 };
  const struct { uint64_t n; double q; } cs[] = {
      {3 * (1ULL << 30) + 12345, 0.3},
      {1000000000000ULL, 0.3},
      {1000000000000ULL, 1e-9},
      {1000000000000ULL, 1.0 - 1e-9},
      {UINT64_MAX, 0.5},
  };
  gsl_rng *r = as_rng_new(77, 1);
  for (int c = 0; c < 5; c++) {
    const double p[2] = {cs[c].q, 1.0 - cs[c].q};
    double n = (double)cs[c].n, mean_want = n * p[0];
    double var_want = n * p[0] * p[1];
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < R; i++) {
      uint64_t out[2];
      ck_assert_int_eq(as_pref_multinomial(r, cs[c].n, p, 2, out, NULL), AS_OK);
      ck_assert_msg(out[0] + out[1] == cs[c].n && out[0] <= cs[c].n,
                    "case %d: counts %llu + %llu", c,
                    (unsigned long long)out[0], (unsigned long long)out[1]);
      double d = (double)out[0] - mean_want;
      s += d;
      s2 += d * d;
    }
    double mean = s / R, var = (s2 - s * s / R) / (R - 1);
    double se_m = sqrt(var_want / R), se_v = var_want * sqrt(2.0 / (R - 1));
    ck_assert_msg(fabs(mean) < 5 * se_m, "case %d: mean offset %g (se %g)", c,
                  mean, se_m);
    ck_assert_msg(fabs(var - var_want) < 5 * se_v,
                  "case %d: variance %g, want %g ± %g", c, var, var_want,
                  5 * se_v);
  }
  gsl_rng_free(r);
}
END_TEST

/* The whole law, not just two moments: Kolmogorov–Smirnov of the
 * standardised N_0 ~ Bin(10^12, 0.3) (normal to ~1e-6) against N(0,1),
 * R = 2000, critical value from the Kolmogorov limit
 * P(√R·D > t) ≈ 2e^{−2t²} at level 1e-4. */
static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

START_TEST(test_binomial_large_n_ks)
{
  enum { R = 2000 };
  const uint64_t n = 1000000000000ULL;
  const double p[2] = {0.3, 0.7};
  double *z = malloc(R * sizeof(double));
  double mu = (double)n * 0.3, sd = sqrt((double)n * 0.21);
  gsl_rng *r = as_rng_new(4, 4);
  for (int i = 0; i < R; i++) {
    uint64_t out[2];
    as_pref_multinomial(r, n, p, 2, out, NULL);
    z[i] = ((double)out[0] - mu) / sd;
  }
  qsort(z, R, sizeof(double), cmp_double);
  double D = 0.0;
  for (int i = 0; i < R; i++) {
    double F = gsl_cdf_ugaussian_P(z[i]);
    D = fmax(D, fmax((i + 1.0) / R - F, F - (double)i / R));
  }
  double crit = sqrt(log(2.0 / ALPHA) / 2.0) / sqrt((double)R);
  ck_assert_msg(D < crit, "KS D = %g >= %g", D, crit);
  gsl_rng_free(r);
  free(z);
}
END_TEST

/* n = 10^12 on the default-size instance: no overflow, Σ = n exactly, and
 * every cell within 6 sd of n·p (N_i ~ Bin(n, p_i); with 1000 cells the
 * chance that any normal-approximate cell leaves ±6 sd is ≈ 1000·2e-9;
 * +1 covers discreteness).  Precondition asserted: n·p_i ≥ 100 everywhere,
 * so the normal approximation behind "6 sd" holds. */
START_TEST(test_counts_huge_n)
{
  const uint64_t n = 1000000000000ULL;
  as_instance *inst = drawn(10, 10, 1.0, 4242);
  double *p = cell_probs(inst, 1.0);
  as_counts *c = as_counts_new(10, 10);
  gsl_rng *r = as_rng_new(4242, 5);
  as_err e;
  ck_assert_msg(as_pref_sample_counts(inst, 1.0, n, r, c, &e) == AS_OK, "%s",
                e.msg);
  ck_assert_uint_eq(c->n, n);
  uint64_t given = c->n;
  ck_assert_int_eq(as_counts_total(c, NULL), AS_OK);
  ck_assert_msg(c->n == given, "cells sum to %llu, not n",
                (unsigned long long)c->n);
  for (size_t i = 0; i < 1000; i++) {
    double np = (double)n * p[i], sd = sqrt(np * (1.0 - p[i]));
    ck_assert_msg(np >= 100.0, "precondition: n p[%zu] = %g < 100", i, np);
    double dev = fabs((double)c->N[i] - np);
    ck_assert_msg(dev <= 6 * sd + 1, "cell %zu: N = %llu, n p = %.1f, sd %.1f",
                  i, (unsigned long long)c->N[i], np, sd);
  }
  gsl_rng_free(r);
  as_counts_free(c);
  free(p);
  as_instance_free(inst);
}
END_TEST

/* Both sampling modes have the law Multinomial(n, p): Pearson GOF of each
 * against p, and a homogeneity test between them, at level 1e-4.  A skewed
 * instance (s = 2) so that some cells are rare and pooling is exercised. */
START_TEST(test_modes_same_law)
{
  const size_t K = 3, V = 4, C = K * V * V;
  const uint64_t n = 200000;
  const double beta = 1.5;
  as_instance *inst = drawn(K, V, 2.0, 99);
  double *p = cell_probs(inst, beta);
  as_counts *cc = as_counts_new(K, V), *cr = as_counts_new(K, V);
  gsl_rng *r = as_rng_new(1001, 7);
  as_err e;
  ck_assert_msg(as_pref_sample_counts(inst, beta, n, r, cc, &e) == AS_OK,
                "%s", e.msg);
  ck_assert_msg(as_pref_sample_records(inst, beta, n, r, cr, &e) == AS_OK,
                "%s", e.msg);
  ck_assert_uint_eq(cc->n, n);
  ck_assert_uint_eq(cr->n, n);
  uint64_t sr = 0;
  for (size_t i = 0; i < C; i++)
    sr += cr->N[i];
  ck_assert_uint_eq(sr, n);

  size_t dof;
  double chi2 = chisq_gof(cc->N, p, C, n, &dof);
  double thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "counts mode: chi2 %g >= %g (%zu dof)", chi2, thr,
                dof);
  chi2 = chisq_gof(cr->N, p, C, n, &dof);
  ck_assert_msg(chi2 < thr, "records mode: chi2 %g >= %g (%zu dof)", chi2,
                thr, dof);
  chi2 = chisq_two_sample(cc->N, n, cr->N, n, p, C, &dof);
  thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "counts vs records: chi2 %g >= %g (%zu dof)", chi2,
                thr, dof);

  /* Power: the same test rejects records drawn at β = 0.5 against p(β). */
  ck_assert_int_eq(as_pref_sample_records(inst, 0.5, n, r, cr, NULL), AS_OK);
  chi2 = chisq_gof(cr->N, p, C, n, &dof);
  thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 > thr, "power: wrong beta not rejected (chi2 %g)", chi2);

  gsl_rng_free(r);
  as_counts_free(cc);
  as_counts_free(cr);
  free(p);
  as_instance_free(inst);
}
END_TEST

/* The same with a larger table (default K = V = 10, 1000 cells) and a
 * different seed, so that the fit is not one lucky configuration. */
START_TEST(test_modes_same_law_default_size)
{
  const size_t K = 10, V = 10, C = K * V * V;
  const uint64_t n = 300000;
  as_instance *inst = drawn(K, V, 1.0, 7);
  double *p = cell_probs(inst, 1.0);
  as_counts *cc = as_counts_new(K, V), *cr = as_counts_new(K, V);
  gsl_rng *r = as_rng_new(31337, 2);
  ck_assert_int_eq(as_pref_sample_counts(inst, 1.0, n, r, cc, NULL), AS_OK);
  ck_assert_int_eq(as_pref_sample_records(inst, 1.0, n, r, cr, NULL), AS_OK);
  size_t dof;
  double chi2 = chisq_gof(cc->N, p, C, n, &dof);
  double thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "counts: chi2 %g >= %g (%zu dof)", chi2, thr, dof);
  chi2 = chisq_gof(cr->N, p, C, n, &dof);
  ck_assert_msg(chi2 < thr, "records: chi2 %g >= %g (%zu dof)", chi2, thr,
                dof);
  chi2 = chisq_two_sample(cc->N, n, cr->N, n, p, C, &dof);
  thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "two-sample: chi2 %g >= %g (%zu dof)", chi2, thr,
                dof);
  gsl_rng_free(r);
  as_counts_free(cc);
  as_counts_free(cr);
  free(p);
  as_instance_free(inst);
}
END_TEST

/* Unlabelled pairs: M ~ Multinomial(m, ρμ'μ'); GOF at level 1e-4, Σ = m,
 * and a power check against the labelled-design probabilities ρμμ. */
START_TEST(test_unlabelled_law)
{
  const size_t K = 4, V = 5, C = K * V * V;
  const uint64_t m = 100000;
  as_instance *inst = drawn(K, V, 1.5, 21);
  double *q = malloc(C * sizeof(double)), *qmu = malloc(C * sizeof(double));
  ck_assert_int_eq(as_pref_pair_probs(inst, q, NULL), AS_OK);
  for (size_t x = 0; x < K; x++)
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < V; b++)
        qmu[(x * V + a) * V + b] = exp(inst->log_rho[x] + inst->log_mu[x * V + a]
                                       + inst->log_mu[x * V + b]);
  as_counts *c = as_counts_new(K, V);
  gsl_rng *r = as_rng_new(55, 5);
  ck_assert_int_eq(as_pref_sample_unlabelled(inst, m, r, c, NULL), AS_OK);
  uint64_t s = 0;
  for (size_t i = 0; i < C; i++)
    s += c->N[i];
  ck_assert_uint_eq(s, m);
  ck_assert_uint_eq(c->n, m);
  size_t dof;
  double chi2 = chisq_gof(c->N, q, C, m, &dof);
  double thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "unlabelled: chi2 %g >= %g (%zu dof)", chi2, thr,
                dof);
  chi2 = chisq_gof(c->N, qmu, C, m, &dof);
  thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 > thr, "power: rho mu mu not rejected (chi2 %g)", chi2);
  gsl_rng_free(r);
  as_counts_free(c);
  free(q);
  free(qmu);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_reproducible)
{
  as_instance *inst = drawn(3, 4, 1.0, 2);
  as_counts *a = as_counts_new(3, 4), *b = as_counts_new(3, 4);
  for (int mode = 0; mode < 2; mode++) {
    gsl_rng *r1 = as_rng_new(9, 9), *r2 = as_rng_new(9, 9);
    if (mode == 0) {
      as_pref_sample_counts(inst, 1.0, 5000, r1, a, NULL);
      as_pref_sample_counts(inst, 1.0, 5000, r2, b, NULL);
    } else {
      as_pref_sample_records(inst, 1.0, 5000, r1, a, NULL);
      as_pref_sample_records(inst, 1.0, 5000, r2, b, NULL);
    }
    ck_assert(memcmp(a->N, b->N, 48 * sizeof(uint64_t)) == 0);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
  }
  as_counts_free(a);
  as_counts_free(b);
  as_instance_free(inst);
}
END_TEST

/* The progress callback of the record sampler: called with 0, every
 * AS_PREF_PROGRESS_EVERY records and n, in increasing order, and it does
 * not change the draws (same counts and same generator state after as the
 * plain as_pref_sample_records from the same seed). */
typedef struct { uint64_t calls, last, total, bad; } progress_log;

static void log_progress(uint64_t done, uint64_t total, void *user)
{
  progress_log *l = user;
  uint64_t want = l->calls == 0 ? 0 : l->last + AS_PREF_PROGRESS_EVERY;
  if (want > total)
    want = total;
  if (done != want || total != l->total)
    l->bad++;
  l->last = done;
  l->calls++;
}

START_TEST(test_records_progress)
{
  as_instance *inst = drawn(2, 3, 1.0, 4);
  as_counts *a = as_counts_new(2, 3), *b = as_counts_new(2, 3);
  const uint64_t ns[] = {0, 1, AS_PREF_PROGRESS_EVERY,
                         2 * AS_PREF_PROGRESS_EVERY + 7};
  for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
    uint64_t n = ns[k];
    gsl_rng *r1 = as_rng_new(21, 1), *r2 = as_rng_new(21, 1);
    progress_log l = {0, 0, n, 0};
    as_err e;
    ck_assert_int_eq(as_pref_sample_records(inst, 1.0, n, r1, a, NULL), AS_OK);
    ck_assert_msg(as_pref_sample_records_progress(inst, 1.0, n, r2, b,
                                                  log_progress, &l, &e) ==
                      AS_OK, "%s", e.msg);
    /* 0, each full chunk's end below n, then n (one call when n = 0) */
    uint64_t want_calls = n == 0 ? 1 : 2 + (n - 1) / AS_PREF_PROGRESS_EVERY;
    ck_assert_msg(l.bad == 0 && l.last == n && l.calls == want_calls,
                  "n = %llu: %llu calls (want %llu), last %llu, %llu out of "
                  "order", (unsigned long long)n,
                  (unsigned long long)l.calls, (unsigned long long)want_calls,
                  (unsigned long long)l.last, (unsigned long long)l.bad);
    ck_assert_msg(a->n == n && b->n == n &&
                      memcmp(a->N, b->N, 18 * sizeof(uint64_t)) == 0,
                  "n = %llu: counts differ with a progress callback",
                  (unsigned long long)n);
    ck_assert_msg(gsl_rng_get(r1) == gsl_rng_get(r2),
                  "n = %llu: generator state differs after the draws",
                  (unsigned long long)n);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
  }
  as_counts_free(a);
  as_counts_free(b);
  as_instance_free(inst);
}
END_TEST


/* Label noise (docs/reference.md §2): the cell probabilities against the linear-space
 * form 2ρμ_aμ_b[(1−ε)π*_a^β + επ*_b^β]/(π*_a^β + π*_b^β), then both sampling
 * modes against them (Pearson at level 1e-4, as above) and against each
 * other; power: the noiseless p is rejected for the noisy records. */
START_TEST(test_label_flip_law)
{
  const size_t K = 3, V = 4, C = K * V * V;
  const uint64_t n = 200000;
  const double beta = 1.5, eps = 0.2;
  as_instance *inst = drawn(K, V, 2.0, 123);
  double *p = malloc(C * sizeof *p), *p0 = cell_probs(inst, beta);
  as_err e;
  ck_assert_msg(as_pref_cell_probs_flip(inst, beta, eps, p, &e) == AS_OK,
                "%s", e.msg);
  double tot = 0.0;
  for (size_t x = 0; x < K; x++)
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < V; b++) {
        double rho = exp(inst->log_rho[x]);
        double ma = exp(inst->log_mu[x * V + a]), mb = exp(inst->log_mu[x * V + b]);
        double sa = pow(exp(inst->log_pi_star[x * V + a]), beta);
        double sb = pow(exp(inst->log_pi_star[x * V + b]), beta);
        double want = a == b ? rho * ma * ma
                             : 2 * rho * ma * mb *
                                   ((1 - eps) * sa + eps * sb) / (sa + sb);
        double got = p[(x * V + a) * V + b];
        tot += got;
        ck_assert_msg(fabs(got - want) <= 1e-13 * (1 + want),
                      "cell (%zu,%zu,%zu): %.17g vs %.17g", x, a, b, got, want);
      }
  ck_assert_double_eq_tol(tot, 1.0, 1e-12);
  /* flip = 0 is the noiseless law exactly. */
  double *pz = malloc(C * sizeof *pz);
  ck_assert_int_eq(as_pref_cell_probs_flip(inst, beta, 0.0, pz, NULL), AS_OK);
  for (size_t i = 0; i < C; i++)
    ck_assert(pz[i] == p0[i]);
  ck_assert_int_eq(as_pref_cell_probs_flip(inst, beta, 0.5, pz, &e), AS_EINVAL);
  ck_assert_int_eq(as_pref_cell_probs_flip(inst, beta, -0.1, pz, &e), AS_EINVAL);
  ck_assert_int_eq(as_pref_cell_probs_flip(inst, beta, NAN, pz, &e), AS_EINVAL);

  as_counts *cc = as_counts_new(K, V), *cr = as_counts_new(K, V);
  gsl_rng *r = as_rng_new(2024, 9);
  ck_assert_msg(as_pref_sample_counts_flip(inst, beta, eps, n, r, cc, &e) ==
                AS_OK, "%s", e.msg);
  ck_assert_msg(as_pref_sample_records_flip(inst, beta, eps, n, r, cr, NULL,
                                            NULL, &e) == AS_OK, "%s", e.msg);
  size_t dof;
  double chi2 = chisq_gof(cc->N, p, C, n, &dof);
  double thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "counts: chi2 %g >= %g (%zu dof)", chi2, thr, dof);
  chi2 = chisq_gof(cr->N, p, C, n, &dof);
  ck_assert_msg(chi2 < thr, "records: chi2 %g >= %g (%zu dof)", chi2, thr, dof);
  chi2 = chisq_two_sample(cc->N, n, cr->N, n, p, C, &dof);
  thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 < thr, "two-sample: chi2 %g >= %g", chi2, thr);
  chi2 = chisq_gof(cr->N, p0, C, n, &dof);
  thr = gsl_cdf_chisq_Qinv(ALPHA, (double)dof);
  ck_assert_msg(chi2 > thr, "power: noiseless law not rejected (chi2 %g)", chi2);
  gsl_rng_free(r);
  as_counts_free(cc);
  as_counts_free(cr);
  free(p);
  free(p0);
  free(pz);
  as_instance_free(inst);
}
END_TEST

/* Issue 8: the multinomial drawn context by context (as_pref_stream) gives
 * the whole-table draws bit for bit — labelled (with label noise) and
 * unlabelled, small and huge n — and leaves the generator where the whole
 * table leaves it. */
START_TEST(test_stream_same_draws)
{
  as_instance *inst = drawn(5, 4, 1.5, 606);
  size_t C = 4 * 4, KC = 5 * C;
  const uint64_t ns[] = {1, 37, 5000, (uint64_t)1 << 40};
  for (int pairs = 0; pairs < 2; pairs++)
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
      gsl_rng *r1 = as_rng_new(99, k), *r2 = as_rng_new(99, k);
      as_counts *c = as_counts_new(5, 4);
      as_err e;
      int rc = pairs ? as_pref_sample_unlabelled(inst, ns[k], r1, c, &e)
                     : as_pref_sample_counts_flip(inst, 0.7, 0.1, ns[k], r1,
                                                  c, &e);
      ck_assert_int_eq(rc, AS_OK);
      as_pref_stream *s = NULL;
      ck_assert_int_eq(as_pref_stream_new(inst, pairs, 0.7, 0.1, ns[k], r2,
                                          &s, &e), AS_OK);
      uint64_t *N = malloc(KC * sizeof *N);
      for (size_t x = 0; x < 5; x++)
        ck_assert_int_eq(as_pref_stream_next(s, N + x * C, &e), AS_OK);
      ck_assert_int_eq(as_pref_stream_next(s, N, &e), AS_EINVAL);
      ck_assert_msg(memcmp(N, c->N, KC * sizeof *N) == 0,
                    "pairs %d n %llu: streamed counts differ", pairs,
                    (unsigned long long)ns[k]);
      ck_assert(gsl_rng_get(r1) == gsl_rng_get(r2));
      free(N);
      as_pref_stream_free(s);
      as_counts_free(c);
      gsl_rng_free(r1);
      gsl_rng_free(r2);
    }
  /* and the per-context probabilities are the table's blocks */
  double *p = cell_probs(inst, 0.7), blk[16];
  for (size_t x = 0; x < 5; x++) {
    as_pref_cell_probs_ctx(inst, 0.7, 0.0, x, blk);
    ck_assert(memcmp(blk, p + x * C, sizeof blk) == 0);
  }
  free(p);
  as_instance_free(inst);
}
END_TEST

/* The cell probabilities bit for bit against the direct formula (one
 * as_log_sigmoid per cell and direction, as before issue 8 shared them
 * between (a, b) and (b, a)), with and without label noise, ties and
 * β of both sizes. */
START_TEST(test_cell_probs_exact)
{
  as_instance *inst = drawn(3, 7, 2.0, 4141);
  inst->log_pi_star[2] = inst->log_pi_star[3]; /* a tie: t = 0 */
  size_t V = 7;
  double p[7 * 7];
  const double flips[] = {0.0, 0.2}, betas[] = {0.3, 1.0, 40.0};
  for (size_t f = 0; f < 2; f++)
    for (size_t bi = 0; bi < 3; bi++)
      for (size_t x = 0; x < 3; x++) {
        double beta = betas[bi], flip = flips[f];
        as_pref_cell_probs_ctx(inst, beta, flip, x, p);
        const double *lmu = inst->log_mu + x * V;
        const double *ls = inst->log_pi_star + x * V;
        double lr = inst->log_rho[x];
        for (size_t a = 0; a < V; a++)
          for (size_t b = 0; b < V; b++) {
            double dl = ls[a] - ls[b], lw = as_log_sigmoid(beta * dl), w = lw;
            if (flip > 0) {
              double ll = as_log_sigmoid(-beta * dl);
              double hi = fmax(lw + log1p(-flip), ll + log(flip));
              double lo = fmin(lw + log1p(-flip), ll + log(flip));
              w = hi + log1p(exp(lo - hi));
            }
            double want = a == b ? exp(lr + 2.0 * lmu[a])
                                 : exp(M_LN2 + lr + lmu[a] + lmu[b] + w);
            ck_assert_msg(memcmp(&want, &p[a * V + b], sizeof want) == 0,
                          "x %zu (%zu, %zu) beta %g flip %g: %.17g vs %.17g",
                          x, a, b, beta, flip, p[a * V + b], want);
          }
      }
  as_instance_free(inst);
}
END_TEST

static Suite *pref_suite(void)
{
  Suite *s = suite_create("pref");
  TCase *tc = tcase_create("pref");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_counts_basics);
  tcase_add_test(tc, test_cell_probs_closed_form);
  tcase_add_test(tc, test_cell_probs_two_point);
  tcase_add_test(tc, test_pair_probs);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_multinomial_exact_sum);
  tcase_add_test(tc, test_binomial_large_n_moments);
  tcase_add_test(tc, test_binomial_large_n_ks);
  tcase_add_test(tc, test_counts_huge_n);
  tcase_add_test(tc, test_modes_same_law);
  tcase_add_test(tc, test_modes_same_law_default_size);
  tcase_add_test(tc, test_label_flip_law);
  tcase_add_test(tc, test_unlabelled_law);
  tcase_add_test(tc, test_reproducible);
  tcase_add_test(tc, test_records_progress);
  tcase_add_test(tc, test_stream_same_draws);
  tcase_add_test(tc, test_cell_probs_exact);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(pref_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
