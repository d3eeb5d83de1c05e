/* test_rng.c — PCG generators as gsl_rng types (sim/as_rng.h).
 *
 * Independent routes: the known answers published with the PCG reference
 * implementation (pcg32-demo / pcg64 demo, seed 42, stream 54), the
 * reference C++ header itself (tests/test_rng_ref.cpp, 10^6 outputs per
 * case), and distributional checks through GSL samplers.  Every statistical
 * check uses a fixed seed and a threshold derived from the null
 * distribution at level ≤ 1e-4, so passing is not luck and a failure is
 * almost surely a bug. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "as_rng.h"

static const gsl_rng_type *gen_type(int i)
{
  return i == 0 ? as_rng_pcg32 : as_rng_pcg64;
}

START_TEST(test_known_answers_pcg32)
{
  static const unsigned long want[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                       0x83d2f293, 0xbfa4784b, 0xcbed606e};
  gsl_rng *r = as_rng_alloc(as_rng_pcg32, 42, 54);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(gsl_rng_name(r), "pcg32");
  ck_assert_uint_eq(gsl_rng_max(r), 0xffffffffUL);
  ck_assert_uint_eq(gsl_rng_min(r), 0);
  for (int i = 0; i < 6; i++) {
    unsigned long got = gsl_rng_get(r);
    ck_assert_msg(got == want[i], "pcg32(42,54) output %d: got %#lx want %#lx",
                  i, got, want[i]);
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_known_answers_pcg64)
{
  static const unsigned long want[] = {0x86b1da1d72062b68UL,
                                       0x1304aa46c9853d39UL,
                                       0xa3670e9e0dd50358UL};
  gsl_rng *r = as_rng_alloc(as_rng_pcg64, 42, 54);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(gsl_rng_name(r), "pcg64");
  ck_assert_uint_eq(gsl_rng_max(r), 0xffffffffffffffffUL);
  for (int i = 0; i < 3; i++) {
    unsigned long got = gsl_rng_get(r);
    ck_assert_msg(got == want[i], "pcg64(42,54) output %d: got %#lx want %#lx",
                  i, got, want[i]);
  }
  gsl_rng_free(r);
}
END_TEST

/* gsl_rng_set(r, s) is documented as (initstate = s, initseq = 54). */
START_TEST(test_gsl_set_is_default_stream)
{
  for (int g = 0; g < 2; g++) {
    gsl_rng *a = gsl_rng_alloc(gen_type(g));
    gsl_rng *b = as_rng_alloc(gen_type(g), 42, AS_RNG_DEFAULT_STREAM);
    gsl_rng_set(a, 42);
    for (int i = 0; i < 100; i++)
      ck_assert_msg(gsl_rng_get(a) == gsl_rng_get(b),
                    "%s: gsl_rng_set(42) differs from seed(42, 54) at %d",
                    gsl_rng_name(a), i);
    gsl_rng_free(a);
    gsl_rng_free(b);
  }
}
END_TEST

START_TEST(test_reseed_reproduces)
{
  for (int g = 0; g < 2; g++) {
    gsl_rng *r = as_rng_alloc(gen_type(g), 0xdeadbeefcafeULL, 12345);
    unsigned long first[50];
    for (int i = 0; i < 50; i++)
      first[i] = gsl_rng_get(r);
    as_rng_seed(r, 0xdeadbeefcafeULL, 12345);
    for (int i = 0; i < 50; i++)
      ck_assert_msg(gsl_rng_get(r) == first[i],
                    "%s: reseeding did not reproduce output %d",
                    gsl_rng_name(r), i);
    gsl_rng *c = gsl_rng_clone(r);
    for (int i = 0; i < 50; i++)
      ck_assert_uint_eq(gsl_rng_get(r), gsl_rng_get(c));
    gsl_rng_free(c);
    gsl_rng_free(r);
  }
}
END_TEST

START_TEST(test_streams_differ)
{
  for (int g = 0; g < 2; g++) {
    gsl_rng *a = as_rng_alloc(gen_type(g), 7, 1);
    gsl_rng *b = as_rng_alloc(gen_type(g), 7, 2);
    int same = 0;
    for (int i = 0; i < 1000; i++)
      same += gsl_rng_get(a) == gsl_rng_get(b);
    /* For 32-bit outputs a coincidence has probability 2^-32 per draw. */
    ck_assert_msg(same == 0, "%s: streams 1 and 2 agree on %d of 1000 outputs",
                  gsl_rng_name(a), same);
    gsl_rng_free(a);
    gsl_rng_free(b);
  }
}
END_TEST

/* get_double is x/2^32 (pcg32) or (x >> 11)/2^53 (pcg64): checked against
 * the raw outputs of a twin generator, and the range [0,1) over 10^6 draws. */
START_TEST(test_uniform_definition_and_range)
{
  for (int g = 0; g < 2; g++) {
    gsl_rng *a = as_rng_alloc(gen_type(g), 99, 3);
    gsl_rng *b = as_rng_alloc(gen_type(g), 99, 3);
    double lo = 1.0, hi = 0.0;
    for (int i = 0; i < 1000000; i++) {
      double u = gsl_rng_uniform(a);
      unsigned long x = gsl_rng_get(b);
      double want = g == 0 ? (double)x * 0x1p-32 : (double)(x >> 11) * 0x1p-53;
      if (u != want)
        ck_abort_msg("%s: uniform %d = %.17g, want %.17g from raw %#lx",
                     gsl_rng_name(a), i, u, want, x);
      lo = u < lo ? u : lo;
      hi = u > hi ? u : hi;
    }
    ck_assert_msg(lo >= 0.0 && hi < 1.0, "%s: uniform range [%g, %g]",
                  gsl_rng_name(a), lo, hi);
    gsl_rng_free(a);
    gsl_rng_free(b);
  }
}
END_TEST

/* Pearson chi-square on 100 equal bins, 10^6 draws, seed fixed; the
 * threshold is the 1 − 1e-4 quantile of χ²(99). */
START_TEST(test_uniform_chisq)
{
  enum { BINS = 100, DRAWS = 1000000 };
  double thr = gsl_cdf_chisq_Qinv(1e-4, BINS - 1);
  for (int g = 0; g < 2; g++) {
    gsl_rng *r = as_rng_alloc(gen_type(g), 2024, 11);
    long cnt[BINS] = {0};
    for (int i = 0; i < DRAWS; i++)
      cnt[(int)(gsl_rng_uniform(r) * BINS)]++;
    double e = (double)DRAWS / BINS, chi2 = 0.0;
    for (int k = 0; k < BINS; k++)
      chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
    ck_assert_msg(chi2 < thr, "%s: chi2 = %g >= %g (99 dof, level 1e-4)",
                  gsl_rng_name(r), chi2, thr);
    gsl_rng_free(r);
  }
}
END_TEST

/* A GSL sampler through our type: sample mean and variance of 10^5
 * N(0, 2²) draws within 5 standard errors (se of the mean 2/√n, of the
 * variance 4·√(2/n)). */
START_TEST(test_gaussian_sampler)
{
  enum { DRAWS = 100000 };
  for (int g = 0; g < 2; g++) {
    gsl_rng *r = as_rng_alloc(gen_type(g), 5, 77);
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < DRAWS; i++) {
      double v = gsl_ran_gaussian(r, 2.0);
      s += v;
      s2 += v * v;
    }
    double mean = s / DRAWS, var = s2 / DRAWS - mean * mean;
    double se_mean = 2.0 / sqrt(DRAWS), se_var = 4.0 * sqrt(2.0 / DRAWS);
    ck_assert_msg(fabs(mean) < 5 * se_mean, "%s: mean %g (se %g)",
                  gsl_rng_name(r), mean, se_mean);
    ck_assert_msg(fabs(var - 4.0) < 5 * se_var, "%s: variance %g (se %g)",
                  gsl_rng_name(r), var, se_var);
    gsl_rng_free(r);
  }
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Distinct (cell, replicate) → distinct stream (initseq mod 2^63, the bit
 * PCG keeps); the same arguments → the same pair. */
START_TEST(test_derive_distinct_deterministic)
{
  enum { CELLS = 200, REPS = 50, N = CELLS * REPS + 4 };
  uint64_t *seq = malloc(N * sizeof *seq), *st = malloc(N * sizeof *st);
  size_t k = 0;
  for (uint64_t c = 0; c < CELLS; c++)
    for (uint64_t rep = 0; rep < REPS; rep++, k++) {
      uint64_t s1, q1, s2, q2;
      as_rng_derive(1234, c, rep, &s1, &q1);
      as_rng_derive(1234, c, rep, &s2, &q2);
      ck_assert_msg(s1 == s2 && q1 == q2, "derive(1234,%llu,%llu) not "
                    "deterministic", (unsigned long long)c,
                    (unsigned long long)rep);
      seq[k] = q1 & 0x7fffffffffffffffULL;
      st[k] = s1;
    }
  /* Extremes of the guaranteed range. */
  uint64_t ext[4][2] = {{(1ULL << 31) - 1, 0}, {0, (1ULL << 32) - 1},
                        {(1ULL << 31) - 1, (1ULL << 32) - 1}, {1, 1ULL << 31}};
  for (int i = 0; i < 4; i++, k++) {
    uint64_t s, q;
    as_rng_derive(1234, ext[i][0], ext[i][1], &s, &q);
    seq[k] = q & 0x7fffffffffffffffULL;
    st[k] = s;
  }
  qsort(seq, N, sizeof *seq, cmp_u64);
  qsort(st, N, sizeof *st, cmp_u64);
  for (size_t i = 1; i < N; i++) {
    ck_assert_msg(seq[i] != seq[i - 1], "two units share stream %#llx",
                  (unsigned long long)seq[i]);
    ck_assert_msg(st[i] != st[i - 1], "two units share initstate %#llx",
                  (unsigned long long)st[i]);
  }
  /* The base seed matters. */
  uint64_t s1, q1, s2, q2;
  as_rng_derive(1, 3, 4, &s1, &q1);
  as_rng_derive(2, 3, 4, &s2, &q2);
  ck_assert(s1 != s2 && q1 != q2);
  /* Derived generators of neighbouring units produce different outputs. */
  as_rng_derive(1, 3, 4, &s1, &q1);
  as_rng_derive(1, 3, 5, &s2, &q2);
  gsl_rng *a = as_rng_new(s1, q1), *b = as_rng_new(s2, q2);
  int same = 0;
  for (int i = 0; i < 1000; i++)
    same += gsl_rng_get(a) == gsl_rng_get(b);
  ck_assert_msg(same == 0, "neighbouring units agree on %d outputs", same);
  gsl_rng_free(a);
  gsl_rng_free(b);
  free(seq);
  free(st);
}
END_TEST

START_TEST(test_alloc_rejects_other_types)
{
  ck_assert_ptr_null(as_rng_alloc(gsl_rng_mt19937, 1, 2));
  gsl_rng *r = as_rng_new(1, 2);
  ck_assert_ptr_nonnull(r);
  ck_assert_ptr_eq(r->type, as_rng_pcg32);
  gsl_rng_free(r);
}
END_TEST

static Suite *rng_suite(void)
{
  Suite *s = suite_create("rng");
  TCase *tc = tcase_create("pcg");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_known_answers_pcg32);
  tcase_add_test(tc, test_known_answers_pcg64);
  tcase_add_test(tc, test_gsl_set_is_default_stream);
  tcase_add_test(tc, test_reseed_reproduces);
  tcase_add_test(tc, test_streams_differ);
  tcase_add_test(tc, test_uniform_definition_and_range);
  tcase_add_test(tc, test_uniform_chisq);
  tcase_add_test(tc, test_gaussian_sampler);
  tcase_add_test(tc, test_derive_distinct_deterministic);
  tcase_add_test(tc, test_alloc_rejects_other_types);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(rng_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
