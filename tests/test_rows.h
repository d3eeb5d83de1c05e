/* test_rows.h — rows compared byte for byte, for the kinds' suites that
 * check one route of computing units against another (groups against
 * units alone, a resumed run against a fresh one). */
#ifndef TEST_ROWS_H
#define TEST_ROWS_H

#include <check.h>
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

#endif
