/* test_kind_mu2.c — E7's kind (sim/as_kind_mu2.c), its unit groups:
 * a replicate's cells are one group that fits the reward r̂ once
 * (run_group), where each unit alone (run_unit) draws the same labelled
 * counts and fits the same r̂ again.  Independent routes to the same rows:
 *   - every group against each of its units alone, byte for byte;
 *   - a resumed run (some units present, so no group is whole and every
 *     unit runs alone) against a fresh run (whole groups), through the
 *     runner, with 2 threads;
 *   - the rows do not depend on the number of threads;
 *   - a group failing at its third cell reports that cell's unit and keeps
 *     the cells before it, as the units alone do;
 *   - oracle tuning, which gives candidates up once they cannot be chosen,
 *     against tuning "fixed" (every λ in full) reduced by the oracle rule.
 * The end-to-end checks of E7's statistics are in test_kind_finite.sh. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_config.h"
#include "as_experiment.h"
#include "test_rows.h"

/* Two μ' by two m, three λ (oracle), two replicates, a class for the
 * summary's coefficients. */
static as_config *make_cfg(void)
{
  const char *txt =
    "experiment = \"e7g\"; kind = \"distill-mu2\";\n"
    "instance = { K = 3; V = 5; logit_scale = 2.0; ref_sharpness = 0.5;\n"
    "  ref_noise = 0.5; mu = { sharpness = -0.5; noise = 0.5; }; };\n"
    "beta = 1.0; n = [1000]; lambda = [1e-3, 0.1, 1.0];\n"
    "methods = [\"distill\"]; mu2_sweep = [\"same\", \"uniform\"];\n"
    "m_sweep = [5, 200]; replicates = 2; seed = 3; tuning = \"oracle\";\n"
    "class = { type = \"tabular\"; distances = [0.1]; size = 3; };\n";
  as_config *cfg;
  as_err e;
  ck_assert_int_eq(as_config_parse_string(txt, "e7g.cfg", &cfg, &e), AS_OK);
  return cfg;
}

/* The same unit at tuning `tuning` over a 9-point λ grid. */
static as_config *grid_cfg(const char *tuning)
{
  char text[1024];
  snprintf(text, sizeof text,
           "experiment = \"e7o\"; kind = \"distill-mu2\";\n"
           "instance = { K = 4; V = 6; logit_scale = 2.0; ref_sharpness = "
           "0.5;\n  ref_noise = 0.5; mu = { sharpness = -0.5; noise = 0.5; "
           "}; };\n"
           "beta = 1.0; n = [100000];\n"
           "lambda = { from = 1e-4; to = 10.0; points = 9; };\n"
           "methods = [\"distill\"]; mu2_sweep = [\"same\", \"uniform\"];\n"
           "m_sweep = [10, 300, 10000]; replicates = 3; seed = 9;\n"
           "tuning = \"%s\";\n", tuning);
  as_config *cfg;
  as_err e;
  ck_assert_int_eq(as_config_parse_string(text, "e7o.cfg", &cfg, &e), AS_OK);
  return cfg;
}

/* Oracle tuning gives candidates up context by context once they cannot
 * be chosen (sim/as_kind_mu2.c, `lazy`); independent route: tuning
 * "fixed" fits every λ in full, and its rows, reduced by the oracle rule
 * (least forward KL among ok rows, the first on ties; all rows when none
 * is ok), must give the oracle run's row of every unit. */
START_TEST(test_oracle_is_fixed_argmin)
{
  as_config *oc = grid_cfg("oracle"), *fc = grid_cfg("fixed");
  as_rows orow, frow;
  as_err e;
  ck_assert_int_eq(as_experiment_compute(oc, 2, 0, &orow, &e), AS_OK);
  ck_assert_int_eq(as_experiment_compute(fc, 2, 0, &frow, &e), AS_OK);
  size_t L = fc->n_lambda;
  ck_assert_uint_eq(frow.count, orow.count * L);
  for (size_t u = 0; u < orow.count; u++) {
    const as_result_row *f = &frow.row[u * L], *o = &orow.row[u];
    size_t best = SIZE_MAX;
    for (int pass = 0; pass < 2 && best == SIZE_MAX; pass++)
      for (size_t i = 0; i < L; i++)
        if ((pass == 1 || f[i].status == AS_OK) && !isnan(f[i].metrics[0]) &&
            (best == SIZE_MAX || f[i].metrics[0] < f[best].metrics[0]))
          best = i;
    ck_assert_uint_ne(best, SIZE_MAX);
    const as_result_row *w = &f[best];
    ck_assert_msg(o->lambda == w->lambda, "unit %zu: lambda %g vs %g", u,
                  o->lambda, w->lambda);
    ck_assert(memcmp(o->metrics, w->metrics, sizeof o->metrics) == 0);
    ck_assert_int_eq(o->iterations, w->iterations);
    ck_assert_int_eq(o->status, w->status);
    ck_assert_int_eq(o->not_converged, w->not_converged);
    ck_assert(memcmp(&o->theta_norm, &w->theta_norm, sizeof(double)) == 0);
    ck_assert(memcmp(&o->aux, &w->aux, sizeof(double)) == 0);
  }
  as_rows_clear(&orow);
  as_rows_clear(&frow);
  as_config_free(oc);
  as_config_free(fc);
}
END_TEST

START_TEST(test_group_equals_units)
{
  as_config *cfg = make_cfg();
  const as_experiment_kind *k = as_experiment_kind_find("distill-mu2");
  ck_assert(k->group_of != NULL && k->run_group != NULL);
  size_t cells = k->n_cells(cfg), first;
  ck_assert_uint_eq(cells, 4);
  for (size_t c = 0; c < cells; c++) {
    ck_assert_uint_eq(k->group_of(cfg, c, &first), cells);
    ck_assert_uint_eq(first, 0);
  }
  for (long rep = 0; rep < 2; rep++) {
    as_rows r0 = group_equals_units(k, cfg, 0, cells, rep);
    ck_assert_uint_eq(r0.count, 1); /* oracle: one row per unit */
    as_rows_clear(&r0);
  }
  as_config_free(cfg);
}
END_TEST

/* With units of replicate 1 present (a resumed run), its group is not
 * whole: its other units run alone, replicate 0's as a group. */
START_TEST(test_partial_groups)
{
  as_config *cfg = make_cfg();
  resumed_same(cfg, 2);
  as_rows full, one;
  as_err e;
  ck_assert_int_eq(as_experiment_compute(cfg, 2, 0, &full, &e), AS_OK);
  ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &one, &e), AS_OK);
  rows_same(&full, &one, "2 threads vs 1");
  as_rows_clear(&one);
  as_rows_clear(&full);
  as_config_free(cfg);
}
END_TEST

/* A copy of the kind whose units (cell 2, replicate 0) fail (AS_EIO), alone
 * and inside a group (after cells 0 and 1 are complete). */
static as_experiment_kind failing;
static const as_experiment_kind *real;

static int failing_unit(const as_config *cfg, size_t cell, long rep,
                        as_rows *out, as_err *err)
{
  if (cell == 2 && rep == 0)
    return as_err_set(err, AS_EIO, "injected failure");
  return real->run_unit(cfg, cell, rep, out, err);
}

static int failing_group(const as_config *cfg, size_t first, size_t count,
                         long rep, as_rows *outs, double *secs, size_t *done,
                         as_err *err)
{
  if (rep != 0 || first + count <= 2)
    return real->run_group(cfg, first, count, rep, outs, secs, done, err);
  int rc = real->run_group(cfg, first, 2 - first, rep, outs, secs, done,
                           err);
  if (rc != AS_OK)
    return rc;
  ck_assert_uint_eq(*done, 2 - first);
  return failing_unit(cfg, 2, rep, &outs[*done], err);
}

/* A group failing at its third cell reports that cell's unit, as the units
 * alone do (and as a shard that splits the group does), and keeps the
 * cells before it: the group's run stores (and would journal) them. */
START_TEST(test_group_failure_names_its_cell)
{
  as_config *cfg = make_cfg();
  real = as_experiment_kind_find("distill-mu2");
  failing = *real;
  failing.run_unit = failing_unit;
  char msg[2][sizeof ((as_err *)0)->msg];
  for (int grouped = 0; grouped < 2; grouped++) {
    failing.run_group = grouped ? failing_group : NULL;
    as_units u;
    as_err e;
    ck_assert_int_eq(as_units_init(&u, cfg, 1, 1, &e), AS_OK);
    u.kind = &failing;
    ck_assert_int_eq(as_units_compute(&u, cfg, 1, 0, NULL, &e), AS_EIO);
    ck_assert_msg(strstr(e.msg, "cell 2, replicate 0") != NULL, "%s",
                  e.msg);
    memcpy(msg[grouped], e.msg, sizeof msg[grouped]);
    size_t R = (size_t)u.R;
    for (size_t cell = 0; cell < 2; cell++)
      ck_assert_msg(u.have[cell * R + 0], "grouped %d: cell %zu lost",
                    grouped, cell);
    ck_assert(!u.have[2 * R + 0]);
    as_units_free(&u);
  }
  ck_assert_str_eq(msg[0], msg[1]);
  as_config_free(cfg);
}
END_TEST

static Suite *kind_mu2_suite(void)
{
  Suite *s = suite_create("kind_mu2");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_group_equals_units);
  tcase_add_test(tc, test_partial_groups);
  tcase_add_test(tc, test_group_failure_names_its_cell);
  tcase_add_test(tc, test_oracle_is_fixed_argmin);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(kind_mu2_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
