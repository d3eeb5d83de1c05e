/* test_obj_log.c — obj_log_normal (sim/obj_log.h) against an independent
 * route, long double logl (64-bit significand, so its own error is ~2⁻⁶⁴,
 * negligible next to the 6u bound): the relative error stays within
 * OBJ_LOG_REL_BOUND over random doubles spread across the whole normal
 * range, near 1 (where log x → 0 and only a relative bound means
 * anything), around the split points √½ and √2, at powers of two and at
 * the ends of the range; log 1 is exactly 0. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obj_log.h"

/* A 64-bit xorshift* step: inputs independent of the library's rng. */
static uint64_t next_bits(uint64_t *st)
{
  *st ^= *st >> 12;
  *st ^= *st << 25;
  *st ^= *st >> 27;
  return *st * UINT64_C(2685821657736338717);
}

/* |obj_log_normal(x) − log x| / |log x|, log x from logl. */
static double rel_err(double x)
{
  long double ref = logl((long double)x);
  long double got = obj_log_normal(x);
  if (ref == 0.0L)
    return got == 0.0L ? 0.0 : INFINITY;
  return (double)fabsl((got - ref) / ref);
}

static void check_at(double x, double *worst)
{
  double r = rel_err(x);
  ck_assert_msg(r <= OBJ_LOG_REL_BOUND, "x = %a: relative error %g > %g", x,
                r, OBJ_LOG_REL_BOUND);
  if (r > *worst)
    *worst = r;
}

/* Random normal doubles: uniform bit patterns (every exponent alike). */
START_TEST(test_log_whole_range)
{
  uint64_t st = UINT64_C(0x9e3779b97f4a7c15);
  double worst = 0.0;
  for (long i = 0; i < 1000000; i++) {
    uint64_t u = next_bits(&st) & UINT64_C(0x7fffffffffffffff);
    double x;
    memcpy(&x, &u, sizeof x);
    if (!(x >= DBL_MIN) || !(x <= DBL_MAX))
      continue;
    check_at(x, &worst);
  }
  ck_assert(worst > 0.0); /* the comparison did run */
}
END_TEST

/* Where the error is largest relative to log x: near 1, near the split
 * points (k changes sign there and log m is largest), and the range of
 * e_a + e_b in obj_btw.c (up to V·e^0 after the max shift). */
START_TEST(test_log_hard_places)
{
  uint64_t st = 12345;
  double worst = 0.0;
  const double centre[] = {1.0, M_SQRT1_2, M_SQRT2, 2.0, 0.5, 1000.0};
  for (size_t c = 0; c < sizeof centre / sizeof centre[0]; c++)
    for (long i = 0; i < 200000; i++) {
      /* offsets from 1 ulp to 2^-4, log-uniform, both sides */
      double t = ldexp(1.0, -(int)(next_bits(&st) % 49) - 4);
      double f = (double)(next_bits(&st) >> 11) * 0x1p-53;
      double x = centre[c] * (1.0 + ((i & 1) ? t * f : -t * f));
      if (x != 1.0)
        check_at(x, &worst);
    }
  for (int k = -1022; k <= 1023; k++)
    check_at(ldexp(1.0, k), &worst);
  check_at(DBL_MIN, &worst);
  check_at(DBL_MAX, &worst);
  check_at(nextafter(1.0, 2.0), &worst);
  check_at(nextafter(1.0, 0.0), &worst);
  ck_assert(obj_log_normal(1.0) == 0.0);
}
END_TEST

static Suite *log_suite(void)
{
  Suite *s = suite_create("obj_log");
  TCase *tc = tcase_create("obj_log");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_log_whole_range);
  tcase_add_test(tc, test_log_hard_places);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(log_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
