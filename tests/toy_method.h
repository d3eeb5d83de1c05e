/* toy_method.h — the test-only method "toy" and its one option
 * --toy-weight, declared outside the library as a user's new method would
 * be (sim/as_hparam.h); test_hparam.c and test_cli_hparam.c register it. */
#ifndef TOY_METHOD_H
#define TOY_METHOD_H

#include <stddef.h>
#include <string.h>

#include "as_fit.h"
#include "as_hparam.h"
#include "as_objective.h"

static const as_hparam hp_toy = {
    "toy_weight", "--toy-weight", AS_HP_REAL, 0.25, 0.0, 1.0, 1, 0, NULL,
    "weight of the toy term", offsetof(as_fit_opts, user), NULL, 0, NULL,
    NULL};
static const as_method_decl d_toy = {"toy", AS_METHOD_COUNT + 1,
                                     "a test-only method", {&hp_toy, NULL},
                                     NULL};

/* The library's table plus d_toy, with the library's declaration of
 * replace->method swapped for `replace` (NULL: none); *st (64 entries)
 * must outlive the table. */
static as_hparam_table toy_table(const as_method_decl **st,
                                 const as_method_decl *replace)
{
  const as_hparam_table *t = as_hparam_table_default();
  for (size_t i = 0; i < t->n; i++)
    st[i] = replace && strcmp(t->decl[i]->method, replace->method) == 0
                ? replace : t->decl[i];
  st[t->n] = &d_toy;
  return (as_hparam_table){st, t->n + 1};
}

#endif
