/* test_stream.c — the tabular unit streamed context by context (issue 8,
 * sim/as_stream.c and the streamed unit of sim/as_kind_tabular.c): the
 * blocks are the whole tables' bit for bit (population and sampled, Q and
 * held-out, label noise), the streamed unit's rows equal the dense unit's
 * bit for bit under every tuning rule (also where oracle tuning gives up
 * failed fits, and fits again where none converged), and a unit whose
 * whole tables would not fit in the address space runs streamed. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "as_config.h"
#include "as_experiment.h"
#include "as_instance.h"
#include "as_stream.h"
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

/* A small config: sampled n and the population, finite m, label noise,
 * ρ and μ' drawn; `extra` appends keys. */
static as_config *small_cfg(const char *methods, const char *extra)
{
  char text[2048];
  snprintf(text, sizeof text,
           "experiment = \"t\";\n"
           "instance = { K = 4; V = 5; rho = \"dirichlet\"; "
           "mu2 = { sharpness = 0.7; noise = 1.0; }; };\n"
           "beta = [0.5, 2.0];\nn = [30, 3000];\npopulation = true;\n"
           "lambda = [0.1, 1.0, 10.0];\nm = 50;\nlabel_flip = 0.1;\n"
           "methods = [%s];\nreplicates = 2;\nseed = 5;\n%s",
           methods, extra);
  return parse(text);
}

/* as_stream's blocks against as_tab_cell_data and the held-out draw of
 * as_tab_unit_setup, every cell. */
START_TEST(test_stream_blocks)
{
  as_config *cfg = small_cfg("\"distill\"", "tuning = \"heldout\";\n");
  for (size_t cell = 0; cell < as_tab_n_cells(cfg); cell++) {
    double beta, n, m1, m2;
    as_tab_cell(cfg, cell, &beta, &n);
    as_instance *inst = NULL;
    as_err e;
    ck_assert_int_eq(as_tab_draw_instance(cfg, 1, &inst, NULL, &e), AS_OK);
    size_t K = inst->K, C = inst->V * inst->V;
    double *P = NULL, *Q = NULL, *Pv = malloc(K * C * sizeof *Pv);
    ck_assert_int_eq(as_tab_cell_data(cfg, cell, 1, inst, beta, n, 1, &P,
                                      &Q, &m1, &e), AS_OK);
    double nval = isinf(n) ? INFINITY : ceil(cfg->heldout_fraction * n);
    ck_assert_int_eq(as_tab_labelled(cfg, as_experiment_stream(
                                         cell, AS_STREAM_HELDOUT),
                                     1, inst, beta, nval, Pv, &e), AS_OK);
    as_stream *s = NULL;
    ck_assert_int_eq(as_stream_new(cfg, cell, 1, inst, beta, n, 1, 1, &s,
                                   &m2, &e), AS_OK);
    ck_assert(memcmp(&m1, &m2, sizeof m1) == 0);
    double *b = malloc(3 * C * sizeof *b);
    for (size_t x = 0; x < K; x++) {
      ck_assert_int_eq(as_stream_next(s, b, b + C, b + 2 * C, &e), AS_OK);
      ck_assert_msg(memcmp(b, P + x * C, C * sizeof *b) == 0 &&
                        memcmp(b + C, Q + x * C, C * sizeof *b) == 0 &&
                        memcmp(b + 2 * C, Pv + x * C, C * sizeof *b) == 0,
                    "cell %zu context %zu: blocks differ", cell, x);
    }
    ck_assert_int_eq(as_stream_next(s, b, b + C, b + 2 * C, &e), AS_EINVAL);
    as_stream_free(s);
    free(b);
    free(P);
    free(Q);
    free(Pv);
    as_instance_free(inst);
  }
  as_config_free(cfg);
}
END_TEST

/* Every unit of cfg, streamed and dense: the same rows, bit for bit. */
static void same_rows(const as_config *cfg, int want_streamed)
{
  for (size_t cell = 0; cell < as_tab_n_cells(cfg); cell++)
    for (long rep = 0; rep < cfg->replicates; rep++) {
      as_rows a = {0}, b = {0};
      as_err e;
      int streamed = -1;
      int rc = as_tab_run_unit_streamed(cfg, cell, rep, &a, &streamed, &e);
      ck_assert_msg(rc == AS_OK, "streamed unit: %s", e.msg);
      ck_assert_int_eq(streamed, want_streamed);
      rc = as_tab_run_unit_dense(cfg, cell, rep, &b, &e);
      ck_assert_msg(rc == AS_OK, "dense unit: %s", e.msg);
      ck_assert_uint_eq(a.count, b.count);
      for (size_t i = 0; i < a.count; i++)
        ck_assert_msg(memcmp(&a.row[i], &b.row[i], sizeof a.row[i]) == 0,
                      "cell %zu rep %ld row %zu (%s) differs", cell, rep, i,
                      a.row[i].method);
      as_rows_clear(&a);
      as_rows_clear(&b);
    }
}

/* Oracle tuning gives up a candidate at its first failed context
 * (as_fit_stream_skip) and, where no candidate of a grid converged, fits
 * the unit again without giving up: PMLE at β = 0.5 on 30 records runs
 * off where a context has no MLE.  With λ ∈ {1e-6, 1e-3, 1}, a unit
 * with some candidates given up; with λ ∈ {1e-7, 1e-6}, units where
 * none converged (the rows then come from the second fit).  Either way
 * the streamed rows are the dense unit's (which gives up nothing), and
 * 1 and 2 threads agree. */
START_TEST(test_abandoned_fits_same_rows)
{
  static const char *grids[] = {"[1e-6, 1e-3, 1.0]", "[1e-7, 1e-6]"};
  for (size_t i = 0; i < 2; i++) {
    char text[512];
    snprintf(text, sizeof text,
             "experiment = \"t\";\ninstance = { K = 4; V = 5; };\n"
             "beta = 0.5;\nn = [30, 3000];\nlambda = %s;\n"
             "methods = [\"pmle\", \"distill\", \"rkl\"];\n"
             "replicates = 2;\nseed = 5;\ntuning = \"oracle\";\n",
             grids[i]);
    as_config *cfg = parse(text);
    same_rows(cfg, 1);
    as_rows a, b;
    as_err e;
    ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &a, &e), AS_OK);
    ck_assert_int_eq(as_experiment_compute(cfg, 2, 0, &b, &e), AS_OK);
    ck_assert_uint_eq(a.count, b.count);
    size_t not_ok = 0;
    for (size_t r = 0; r < a.count; r++) {
      ck_assert(memcmp(&a.row[r], &b.row[r], sizeof a.row[r]) == 0);
      not_ok += a.row[r].status != AS_OK;
    }
    /* the second grid has units where no candidate converged */
    ck_assert(i == 0 || not_ok > 0);
    as_rows_clear(&a);
    as_rows_clear(&b);
    as_config_free(cfg);
  }
}
END_TEST

#define ALL_METHODS "\"pmle\", \"distill\", \"rkl\", \"rlhf\", \"dpo\", " \
                    "\"rebel\", \"rebel-iter\", \"reward\", \"ipo\""

START_TEST(test_units_same_rows)
{
  static const char *tuning[] = {"tuning = \"heldout\";\n",
                                 "tuning = \"oracle\";\n",
                                 "tuning = \"fixed\";\n"};
  for (size_t i = 0; i < 3; i++) {
    as_config *cfg = small_cfg(ALL_METHODS, tuning[i]);
    same_rows(cfg, 1);
    as_config_free(cfg);
  }
  /* population pairs, no label noise, E9's bound column */
  as_config *cfg = parse(
      "experiment = \"t\";\ninstance = { K = 3; V = 4; };\nbeta = 1.0;\n"
      "n = [200];\npopulation = true;\nlambda = [0.0, 0.5];\n"
      "m = \"population\";\nmethods = [\"pmle\", \"distill\", \"rkl\"];\n"
      "replicates = 1;\nbounds = \"theorem4-constant\";\n");
  same_rows(cfg, 1);
  as_config_free(cfg);
}
END_TEST

/* DPO run as gradient steps on the total loss is not streamed: the unit
 * falls back to whole tables (same rows). */
START_TEST(test_unit_dense_fallback)
{
  as_config *cfg = small_cfg("\"dpo\", \"pmle\"",
                             "dpo_steps = 5;\ndpo_lr = 0.1;\n"
                             "tuning = \"fixed\";\n");
  same_rows(cfg, 0);
  as_config_free(cfg);
}
END_TEST

/* A unit whose K·V² tables alone exceed the address space runs streamed
 * (K = 2000, V = 60: 57.6 MB per table, limit 48 MB above what the
 * process has mapped).  Skipped under AddressSanitizer, whose shadow
 * memory does not live under RLIMIT_AS. */
START_TEST(test_memory_bound)
{
#if defined(__SANITIZE_ADDRESS__)
  return;
#else
  as_config *cfg = parse(
      "experiment = \"t\";\ninstance = { K = 2000; V = 60; };\n"
      "beta = 1.0;\nn = [100000];\nlambda = [1.0];\n"
      "methods = [\"rlhf\"];\nreplicates = 1;\ntuning = \"fixed\";\n");
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  ck_assert(f != NULL && fscanf(f, "%lu", &pages) == 1);
  fclose(f);
  struct rlimit rl;
  rl.rlim_cur = rl.rlim_max = (rlim_t)pages * 4096 + (48u << 20);
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
  as_rows a = {0};
  as_err e;
  int streamed = 0;
  int rc = as_tab_run_unit_streamed(cfg, 0, 0, &a, &streamed, &e);
  ck_assert_msg(rc == AS_OK, "streamed unit under the limit: %s", e.msg);
  ck_assert_int_eq(streamed, 1);
  ck_assert_uint_eq(a.count, 1);
  as_rows_clear(&a);
  /* the dense unit does not fit */
  rc = as_tab_run_unit_dense(cfg, 0, 0, &a, &e);
  ck_assert_int_eq(rc, AS_ENOMEM);
  as_rows_clear(&a);
  as_config_free(cfg);
#endif
}
END_TEST

static Suite *stream_suite(void)
{
  Suite *s = suite_create("stream");
  TCase *tc = tcase_create("stream");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_stream_blocks);
  tcase_add_test(tc, test_units_same_rows);
  tcase_add_test(tc, test_abandoned_fits_same_rows);
  tcase_add_test(tc, test_unit_dense_fallback);
  tcase_add_test(tc, test_memory_bound);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(stream_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
