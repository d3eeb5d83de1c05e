/* test_progress.c — the progress bar's text (as_progress_format): units,
 * elapsed time and ETA = elapsed × remaining ÷ done, in M:SS and H:MM:SS,
 * checked against values worked out by hand. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "as_progress.h"

static void expect(size_t done, size_t total, double elapsed,
                   const char *want)
{
  char buf[128];
  as_progress_format(buf, sizeof buf, done, total, elapsed);
  ck_assert_msg(strcmp(buf, want) == 0, "(%zu, %zu, %g): got '%s', want '%s'",
                done, total, elapsed, buf, want);
}

START_TEST(test_eta_is_proportional)
{
  /* 10 of 40 in 30 s: 30 more units at 3 s each = 90 s */
  expect(10, 40, 30.0, "10/40 units, 0:30 elapsed, ETA 1:30");
  /* 1 of 3 in 1 h: 2 h left, hours shown */
  expect(1, 3, 3600.0, "1/3 units, 1:00:00 elapsed, ETA 2:00:00");
  /* rounding to the nearest second: 59.6 s is 1:00 */
  expect(1, 2, 59.6, "1/2 units, 1:00 elapsed, ETA 1:00");
}
END_TEST

START_TEST(test_start_and_end)
{
  expect(0, 5, 0.2, "0/5 units, 0:00 elapsed, ETA --:--");
  expect(5, 5, 125.0, "5/5 units, 2:05 elapsed");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("progress");
  TCase *tc = tcase_create("format");
  tcase_add_test(tc, test_eta_is_proportional);
  tcase_add_test(tc, test_start_and_end);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
