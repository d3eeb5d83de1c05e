/* as_tabular.h — the work unit shared by the tabular experiment kinds
 * (as_kind_tabular.c, as_kind_smoothing.c): one replicate's instance, its
 * data at one cell (β, n), the reward fitted once and reused over the λ
 * grid, and the RLHF floor.  Internal to the runner. */
#ifndef AS_TABULAR_H
#define AS_TABULAR_H

#include <stddef.h>

#include "as_config.h"
#include "as_dilemma.h"
#include "as_error.h"
#include "as_fit.h"
#include "as_instance.h"

/* Cells of a tabular kind: β-major, then n (the population limit last when
 * `population = true`). */
size_t as_tab_n_cells(const as_config *cfg);
void as_tab_cell(const as_config *cfg, size_t cell, double *beta, double *n);

typedef struct as_tab_unit {
  const as_config *cfg;
  size_t cell;
  long replicate;
  double beta, n, m;     /* n, m = INFINITY: population limits             */
  double gamma, beta_dpo;
  as_instance *inst;
  double *P, *Q, *Pval;  /* K·V·V weights; Q, Pval NULL when not wanted     */
  as_data d;
  double *reward;        /* K·V, NULL when no method needs it               */
  as_fit_result rinfo;   /* status and graph counts of the reward fit       */
  as_dilemma floor;
} as_tab_unit;

enum { AS_TAB_NEED_REWARD = 1, AS_TAB_NEED_Q = 2, AS_TAB_NEED_HELDOUT = 4 };

/* Draws the instance, data and (by `need`) reward, Q and held-out sample of
 * unit (cell, replicate) from the streams of as_experiment.h. */
int as_tab_unit_setup(const as_config *cfg, size_t cell, long replicate,
                      int need, as_tab_unit *u, as_err *err);
void as_tab_unit_free(as_tab_unit *u);

/* as_fit options of the configuration at the unit's β. */
void as_tab_fit_opts(const as_tab_unit *u, as_method m, double lambda,
                     as_fit_opts *o);

/* Does method m have a λ (KL_ref weight)?  DPO and the reward model's
 * policy do not. */
int as_tab_method_has_lambda(as_method m);
int as_tab_method_needs_reward(as_method m);
int as_tab_method_needs_q(as_method m);

#endif
