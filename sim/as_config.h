/* as_config.h — experiment configuration files (docs/reference.md §6; schema in
 * experiments/README.md).
 *
 * Files are read with libconfig, which gives typed values, lists and
 * groups, and the source line of every setting, so every error is reported
 * as "FILE:LINE: what is wrong (value)".  Unknown keys, wrong types, empty
 * ranges and impossible values are errors (AS_EPARSE); nothing is silently
 * clamped or defaulted except the optional keys documented in the schema.
 *
 * A parsed configuration is plain data owned by the as_config struct: the
 * runner (as_experiment.h), `alignsim bounds` and the tests read its fields
 * directly. */
#ifndef AS_CONFIG_H
#define AS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "as_error.h"
#include "as_fit.h"
#include "as_hparam.h"
#include "as_instance.h"

/* How λ is chosen per work unit. */
typedef enum {
  AS_TUNING_ORACLE = 0, /* λ in the grid with the least forward KL (paper)  */
  AS_TUNING_HELDOUT,    /* λ maximising a held-out preference likelihood     */
  AS_TUNING_FIXED       /* no choice: every λ of the grid is reported        */
} as_tuning;

const char *as_tuning_name(as_tuning t);

/* The policy / reward class (docs/reference.md §3.1).  Only `type` and the fields below
 * are interpreted here; the finite and feature experiments read them. */
typedef enum {
  AS_CLASS_TABULAR = 0,
  AS_CLASS_FINITE,
  AS_CLASS_FEATURES
} as_class_type;

const char *as_class_type_name(as_class_type t);

typedef struct as_config_class {
  as_class_type type;
  long size;          /* finite: |Π| (0 when not given)                     */
  double *distances;  /* finite: perturbation distances (owned), or NULL     */
  size_t n_distances;
  long d;             /* features: dimension (0 when not given)             */
  int realizable;     /* features: 1 / 0, or -1 when not given              */
  char *file;         /* finite: class read from a file (owned), or NULL     */
  int line;           /* source line of the group (0: defaulted)            */
  /* finite, generated: `size` and every entry of `sizes` is
   * 1 + k·n_distances with k ≥ 1 (π* plus k members per distance, the
   * layout of as_finite_generate) */
  long *sizes;        /* `sizes`: |Π| swept by E3 (owned), or NULL           */
  size_t n_sizes;
} as_config_class;

/* `bounds`: which bound quantity a kind reports per row (E9).
 *   NONE                 nothing (default; the aux column stays NaN)
 *   THM4_CONSTANT_TAB    "theorem4-constant": the factor multiplying
 *                        log(|Π|/δ)/n in Theorem 4, with C = C_tab and
 *                        R_max = R_max({π*}) of the unit's instance
 *                        (proofs/README.md, "E9"). */
typedef enum {
  AS_CONFIG_BOUNDS_NONE = 0,
  AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB
} as_config_bounds;

/* "none", "theorem4-constant". */
const char *as_config_bounds_name(as_config_bounds b);

typedef struct as_config {
  char *path;           /* file name as given (owned)                        */
  char *experiment;     /* `experiment`: id, e.g. "e1" (owned)               */
  char *description;    /* `description` (owned; "" when absent)             */
  char *kind;           /* `kind`: runner kind; defaults to the class type   */

  as_instance_params instance;

  double *beta;         /* `beta`: one value or a list (sweep), each > 0     */
  size_t n_beta;
  uint64_t *n;          /* `n`: labelled sample sizes, each ≥ 1, increasing  */
  size_t n_n;
  int population;       /* `population`: also run n = ∞ (exact p)           */
  double *lambda;       /* `lambda`: KL_ref weights, each ≥ 0, increasing    */
  size_t n_lambda;
  int m_population;     /* `m = "population"` (default): Q = ρμ'μ' exactly   */
  uint64_t m;           /* otherwise the number of unlabelled pairs (≥ 1)    */
  as_method *methods;   /* `methods`: names from as_fit.h                    */
  size_t n_methods;
  long replicates;      /* ≥ 1                                               */
  uint64_t seed;        /* base seed (default 1)                             */
  as_tuning tuning;     /* default oracle                                    */
  double heldout_fraction; /* in (0, 1]; default 0.2                         */
  char **metrics;       /* `metrics`: names to report (default: all)         */
  size_t n_metrics;
  char **figures;       /* `figures`: gnuplot script stems, e.g. "e1"        */
  size_t n_figures;
  double rate_fit_min_n;/* rate fits use n ≥ this (default 1e4)              */

  as_config_class cls;  /* `class` group (default tabular)                   */

  /* theory experiments (E3, E7) */
  double delta;         /* `delta`: failure probability of the bounds, in
                           (0, 1); default 0.05                             */
  uint64_t *m_sweep;    /* `m_sweep`: unlabelled pair counts swept by E7,
                           each ≥ 1, increasing (owned), or NULL            */
  size_t n_m_sweep;
  as_mu_kind *mu2_sweep;/* `mu2_sweep`: μ' choices swept by E7 ("same",
                           "ref", "uniform", "star"), or NULL               */
  size_t n_mu2_sweep;
  /* coverage experiment (E5, as_kind_coverage.c) */
  double *mu_power;     /* `mu_power`: powers t, one cell each, for
                           μ ∝ π*^t (t = 1: μ = π*; t < 0: anti-aligned),
                           each finite (owned), or NULL                     */
  size_t n_mu_power;
  /* E9: a bound quantity reported by the tabular kind in its aux column
   * (`bounds`, as_kind_tabular.c; default "none") */
  as_config_bounds bounds;
  /* `label_flip`: docs/reference.md §2's label noise ε_flip ∈ [0, ½) in every labelled
   * sample and population p of the tabular kinds (default 0) */
  double label_flip;
  /* the methods' hyperparameters (as_hparam.h: top-level keys named as
   * declared there, e.g. `tau`, `smoothing`, `gamma`, `ridge`); a
   * method's own unset fields are "not given" and resolve to the declared
   * defaults; the shared ones hold their value, NAN standing for their
   * word (hp.gamma, hp.beta_dpo: "beta", γ = β in each cell; hp.ridge:
   * "default", 1/n), hp.dpo_steps 0 and hp.dpo_lr NAN for "not given".
   * `lambda` is a sweep axis (the `lambda` list above), not read here. */
  as_fit_opts hp;
  /* the declarations hp was read with, and is written with
   * (as_hparam_table_default(), or a caller's: a test's own method) */
  const as_hparam_table *hpt;
  /* source line of `figures` (0: absent), for the runner's check that
   * every figure has a script before it computes anything */
  int figures_line;
  /* source line of `kind` (0: defaulted), for "unknown kind" */
  int kind_line;
} as_config;

/* Reads and validates PATH.  On error returns AS_EPARSE (or AS_EIO when the
 * file cannot be opened, AS_ENOMEM) with "PATH:LINE: message" in err, and
 * *out is NULL. */
int as_config_read(const char *path, as_config **out, as_err *err);

/* Same from a string; `name` stands for the file name in messages. */
int as_config_parse_string(const char *text, const char *name,
                           as_config **out, as_err *err);
/* The same with the hyperparameter declarations t (as_hparam.h) in place
 * of the library's: the keys of t's methods are read into cfg->hp. */
int as_config_parse_string_table(const char *text, const char *name,
                                 const as_hparam_table *t, as_config **out,
                                 as_err *err);

void as_config_free(as_config *cfg);

/* Writes the configuration as parsed (every default filled in) in libconfig
 * syntax; reading the output back gives the same configuration.  Doubles
 * are printed with %.17g so they round-trip. */
int as_config_write(FILE *f, const as_config *cfg);

/* 1 when cfg asks for metric `name` (all when `metrics` was not given). */
int as_config_wants_metric(const as_config *cfg, const char *name);

#endif
