/* test_rows.h — rows compared byte for byte, for the kinds' suites that
 * check one route of computing units against another (groups against
 * units alone, a resumed run against a fresh one). */
#ifndef TEST_ROWS_H
#define TEST_ROWS_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "as_experiment.h"

/* Rows a and b equal byte for byte (method names compared as strings). */
static inline void rows_same(const as_rows *a, const as_rows *b,
                             const char *what)
{
  ck_assert_msg(a->count == b->count, "%s: %zu vs %zu rows", what, a->count,
                b->count);
  for (size_t i = 0; i < a->count; i++) {
    as_result_row x = a->row[i], y = b->row[i];
    ck_assert_str_eq(x.method, y.method);
    x.method = y.method = NULL;
    ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "%s: row %zu differs",
                  what, i);
  }
}

/* Group (first, count) of replicate rep computed at once (run_group)
 * gives each of its units the rows run_unit gives it alone, every cell
 * complete (*done = count) with a cost >= 0; returns the rows of the
 * group's first unit, for the caller's own checks (free them). */
static inline as_rows group_equals_units(const as_experiment_kind *k,
                                         const as_config *cfg, size_t first,
                                         size_t count, long rep)
{
  as_rows *outs = calloc(count, sizeof *outs);
  double *secs = calloc(count, sizeof *secs);
  ck_assert(outs != NULL && secs != NULL);
  as_err e;
  size_t done = count + 1;
  ck_assert_int_eq(k->run_group(cfg, first, count, rep, outs, secs, &done,
                                &e), AS_OK);
  ck_assert_uint_eq(done, count);
  for (size_t i = 0; i < count; i++) {
    as_rows one = {0};
    ck_assert_int_eq(k->run_unit(cfg, first + i, rep, &one, &e), AS_OK);
    rows_same(&outs[i], &one, "group vs unit");
    ck_assert(secs[i] >= 0.0);
    as_rows_clear(&one);
    if (i > 0)
      as_rows_clear(&outs[i]);
  }
  as_rows r = outs[0];
  free(outs);
  free(secs);
  return r;
}

/* A run resumed with the units (cell, replicate 1) of every cell_step-th
 * cell already present (copied from a fresh run) completes the fresh
 * run's rows, 2 threads each: with unit groups, the groups those units
 * belong to are no longer whole, so their other units run alone. */
static inline void resumed_same(const as_config *cfg, size_t cell_step)
{
  as_rows full, got;
  as_err e;
  ck_assert_int_eq(as_experiment_compute(cfg, 2, 0, &full, &e), AS_OK);
  as_units u;
  ck_assert_int_eq(as_units_init(&u, cfg, 1, 1, &e), AS_OK);
  for (size_t unit = 0; unit < u.total; unit++) {
    size_t cell = unit / (size_t)u.R;
    if (unit % (size_t)u.R != 1 || cell % cell_step != 0)
      continue;
    as_rows mine = {0};
    for (size_t i = 0; i < full.count; i++)
      if (full.row[i].cell == cell && full.row[i].replicate == 1)
        ck_assert_int_eq(as_rows_push(&mine, &full.row[i]), AS_OK);
    ck_assert_int_eq(as_units_set(&u, unit, 0.0, &mine, &e), AS_OK);
    as_rows_clear(&mine);
  }
  ck_assert_int_eq(as_units_compute(&u, cfg, 2, 0, NULL, &e), AS_OK);
  ck_assert_int_eq(as_units_gather(&u, &got, &e), AS_OK);
  rows_same(&full, &got, "resumed vs fresh");
  as_rows_clear(&full);
  as_rows_clear(&got);
  as_units_free(&u);
}

#endif
