/* test_team.c — a streamed tabular unit on a team of threads (issue 8,
 * sim/as_kind_tabular.c's pipeline and as_experiment.c's offers): the
 * rows of a run with 1, 2 and 3 threads are the one-thread rows and the
 * dense unit's, bit for bit, for a single unit (every idle thread helps
 * it) and for several units (helpers join whichever unit is left). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_config.h"
#include "as_experiment.h"
#include "as_tabular.h"

static as_config *parse(const char *text)
{
  as_config *c = NULL;
  as_err e;
  as_err_clear(&e);
  int rc = as_config_parse_string(text, "t.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "config: %s", e.msg);
  return c;
}

/* Every unit of cfg computed with `threads` threads. */
static void run_units(const as_config *cfg, int threads, as_units *u)
{
  as_err e;
  as_err_clear(&e);
  ck_assert_int_eq(as_units_init(u, cfg, 1, 1, &e), AS_OK);
  int rc = as_units_compute(u, cfg, threads, 0, NULL, &e);
  ck_assert_msg(rc == AS_OK, "%d threads: %s", threads, e.msg);
}

static void same_rows(const as_rows *a, const as_rows *b, int threads,
                      size_t unit)
{
  ck_assert_uint_eq(a->count, b->count);
  for (size_t k = 0; k < a->count; k++)
    ck_assert_msg(memcmp(&a->row[k], &b->row[k], sizeof a->row[k]) == 0,
                  "%d threads: unit %zu row %zu (%s) differs", threads, unit,
                  k, a->row[k].method);
}

/* cfg with 1, 2 and 3 threads, against the dense units (threads 0). */
static void check_threads(const as_config *cfg)
{
  as_units one;
  run_units(cfg, 1, &one);
  for (size_t i = 0; i < one.total; i++) {
    as_rows d = {0};
    as_err e;
    int rc = as_tab_run_unit_dense(cfg, i / (size_t)one.R,
                                   (long)(i % (size_t)one.R), &d, &e);
    ck_assert_msg(rc == AS_OK, "dense unit: %s", e.msg);
    same_rows(&d, &one.rows[i], 0, i);
    as_rows_clear(&d);
  }
  for (int threads = 2; threads <= 3; threads++) {
    as_units many;
    run_units(cfg, threads, &many);
    ck_assert_uint_eq(one.total, many.total);
    for (size_t i = 0; i < one.total; i++)
      same_rows(&one.rows[i], &many.rows[i], threads, i);
    as_units_free(&many);
  }
  as_units_free(&one);
}

/* One unit: the pool's other threads all help it.  Sampled n (the chain),
 * Q drawn, label noise, held-out scores summed in context order, every
 * streamed method, more contexts than jobs in flight. */
START_TEST(test_team_one_unit)
{
  static const char *tuning[] = {"heldout", "oracle"};
  for (size_t i = 0; i < 2; i++) {
    char text[1024];
    snprintf(text, sizeof text,
             "experiment = \"t\";\n"
             "instance = { K = 40; V = 7; rho = \"dirichlet\"; };\n"
             "beta = 1.0;\nn = [5000];\nlambda = [0.1, 1.0];\nm = 400;\n"
             "label_flip = 0.05;\n"
             "methods = [\"pmle\", \"distill\", \"rkl\", \"rlhf\", \"dpo\", "
             "\"rebel\", \"reward\"];\n"
             "replicates = 1;\nseed = 3;\ntuning = \"%s\";\n", tuning[i]);
    as_config *cfg = parse(text);
    check_threads(cfg);
    as_config_free(cfg);
  }
}
END_TEST

/* Several units, population and sampled: a thread done with its units
 * joins one still running. */
START_TEST(test_team_units)
{
  as_config *cfg = parse(
      "experiment = \"t\";\ninstance = { K = 30; V = 6; };\n"
      "beta = [0.5, 2.0];\nn = [300, 30000];\npopulation = true;\n"
      "lambda = [0.0, 0.5];\nm = \"population\";\n"
      "methods = [\"pmle\", \"distill\", \"rkl\"];\n"
      "replicates = 2;\nseed = 9;\ntuning = \"fixed\";\n");
  check_threads(cfg);
  as_config_free(cfg);
}
END_TEST

static Suite *team_suite(void)
{
  Suite *s = suite_create("team");
  TCase *tc = tcase_create("team");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_team_one_unit);
  tcase_add_test(tc, test_team_units);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(team_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
