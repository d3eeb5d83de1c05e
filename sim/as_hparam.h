/* as_hparam.h — the declaration of every method's hyperparameters
 * (docs/reference.md §3 and the atlas of §3.2): name, default, valid
 * range, help line, config key and CLI flag, once.  `alignsim fit --help`,
 * its option parsing and "not used by this method" notes, the config keys
 * of the runner, the validation messages (with FILE:LINE from the config
 * reader) and the manifests (the fit's and the run's) all derive from
 * these tables, so a new method is one objective file plus one
 * as_method_decl.  (results.csv's lambda, gamma and beta_dpo columns are
 * the per-row values the kinds used, fields of as_result_row and of the
 * journal's unit records, not read from here.)
 *
 * A table is a value (as_hparam_table): the library's is
 * as_hparam_table_default(); a caller (a test) may build a longer one with
 * its own declarations appended and hand it to the same functions. */
#ifndef AS_HPARAM_H
#define AS_HPARAM_H

#include <stddef.h>
#include <stdio.h>

#include "as_error.h"

struct as_fit_opts;

typedef enum {
  AS_HP_REAL = 0, /* a double field                               */
  AS_HP_INT,      /* a long field                                 */
  AS_HP_CHOICE    /* an int field holding an index into choices   */
} as_hp_type;

typedef struct as_hparam {
  const char *key;     /* config key, manifest key, results column     */
  const char *flag;    /* CLI flag, e.g. "--smoothing"                 */
  as_hp_type type;
  double def;          /* default (a choice: its index)                */
  double lo, hi;       /* valid range                                  */
  int lo_open, hi_open;/* 1: the bound itself is excluded              */
  const char *const *choices; /* AS_HP_CHOICE: NULL-terminated names    */
  const char *help;    /* one line                                     */
  size_t offset;       /* offsetof(as_fit_opts, field)                 */
  const char *rule;    /* what a NAN default means, e.g. "1/lambda"    */
  unsigned flags;      /* AS_HP_SHARED ...                             */
  const char *word;    /* a config word that stands for the NAN
                          default, e.g. "beta" (gamma = "beta"), or NULL */
  const char *why;     /* why the range ends where it does, or NULL    */
} as_hparam;

/* A hyperparameter several methods share (lambda, gamma, beta_dpo, ridge,
 * dpo_steps, dpo_lr): its as_fit_opts_default value is its default (NAN
 * meaning its `rule`, e.g. gamma = beta, ridge = 1/n), so unset, copy,
 * resolve and the checks of as_fit leave it alone; the manifest writes its
 * value for every method; --help documents it in the methods' `uses`
 * lines rather than under each method. */
#define AS_HP_SHARED 1u
/* In a configuration the key is a sweep axis (a list the runner sweeps,
 * as_config.h), not one value: the config reader leaves it alone. */
#define AS_HP_GRID 2u

/* The upper bound of every scale hyperparameter: beyond it the closed
 * forms and KL terms overflow (`--lambda 1e308` once gave -inf
 * log-probabilities). */
#define AS_HP_MAX_SCALE 1e12
/* ... of a temperature (β, β_d), and why. */
#define AS_HP_MAX_TEMP 1e6
#define AS_HP_TEMP_WHY "beyond it beta times a log-probability overflows"

#define AS_HPARAM_MAX 6

typedef struct as_method_decl {
  const char *method;                      /* as_method_name()         */
  int id;                                  /* as_method, or ≥ AS_METHOD_COUNT
                                              for a method declared outside */
  const char *summary;                     /* --help line of the atlas
                                              block, or NULL           */
  const as_hparam *hp[AS_HPARAM_MAX + 1];  /* NULL-terminated          */
  const char *uses;                        /* --help text of the shared
                                              options' block, or NULL  */
} as_method_decl;

typedef struct as_hparam_table {
  const as_method_decl *const *decl;
  size_t n;
} as_hparam_table;

const as_hparam_table *as_hparam_table_default(void);

/* The declaration of method `name`, or NULL. */
const as_method_decl *as_hparam_find(const as_hparam_table *t,
                                     const char *name);

/* "Not given": the value every declared field holds after
 * as_fit_opts_default (NAN for a real, 0 for an integer, -1 for a choice);
 * as_hparam_unset sets every field of the table to it. */
void as_hparam_unset(const as_hparam_table *t, struct as_fit_opts *o);
int as_hparam_is_unset(const as_hparam *h, const struct as_fit_opts *o);
/* Copies every hyperparameter that is set in src into dst. */
void as_hparam_copy_set(const as_hparam_table *t,
                        const struct as_fit_opts *src,
                        struct as_fit_opts *dst);
/* Replaces each unset hyperparameter of method m by m's declared default
 * (a NAN default stays NAN: the method documents what it means, e.g.
 * rebel-iter's η = 1/λ). */
void as_hparam_resolve(const as_method_decl *m, struct as_fit_opts *o);
/* as_hparam_resolve followed by as_hparam_check of each; AS_EINVAL with
 * "method M: KEY = V must be ..." otherwise. */
int as_hparam_resolve_check(const as_method_decl *m, struct as_fit_opts *o,
                            as_err *err);

/* The hyperparameter whose flag is `flag` (in any method), or NULL. */
const as_hparam *as_hparam_by_flag(const as_hparam_table *t,
                                   const char *flag);
/* ... whose key is `key`, or NULL. */
const as_hparam *as_hparam_by_key(const as_hparam_table *t, const char *key);

/* 1 when method m declares h (or an option sharing its flag). */
int as_hparam_used_by(const as_method_decl *m, const as_hparam *h);

/* Parses text into h's field of o, checking type and range; AS_EINVAL
 * with "WHERE: KEY = 'text' must be ..." (WHERE: a flag or FILE:LINE). */
int as_hparam_parse(const as_hparam *h, const char *text, const char *where,
                    struct as_fit_opts *o, as_err *err);
/* The same for a number already read (config files). */
int as_hparam_set(const as_hparam *h, double v, const char *where,
                  struct as_fit_opts *o, as_err *err);
/* A word in place of a number (config files: gamma = "beta"): h's word
 * sets its NAN default; anything else is AS_EINVAL. */
int as_hparam_set_word(const as_hparam *h, const char *word,
                       const char *where, struct as_fit_opts *o,
                       as_err *err);
/* Range check of h's current value in o. */
int as_hparam_check(const as_hparam *h, const char *where,
                    const struct as_fit_opts *o, as_err *err);

/* h's value in o as a double (a choice: its index), and as text (%.17g,
 * the choice's name, or h's word for a NAN) into buf: as_hparam_parse
 * reads it back. */
double as_hparam_get(const as_hparam *h, const struct as_fit_opts *o);
void as_hparam_format(const as_hparam *h, const struct as_fit_opts *o,
                      char *buf, size_t size);

/* `--help` block: per method with a summary, the summary and each of its
 * own (not shared) hyperparameters' flag, range, default and help line. */
void as_hparam_print_help(FILE *f, const as_hparam_table *t);
/* `--help` block of the shared options themselves: each one's flag,
 * default (or its rule), range and help line, as in as_hparam_print_help. */
void as_hparam_print_shared(FILE *f, const as_hparam_table *t);
/* `--help` block of the shared options: per method with `uses` text,
 * "  METHOD      USES". */
void as_hparam_print_uses(FILE *f, const as_hparam_table *t);

/* The table's distinct hyperparameters (one per flag: methods sharing a
 * flag share its field), in the order of their fields in as_fit_opts (the
 * order of the manifests); at most `max` into out, returns the count. */
size_t as_hparam_list(const as_hparam_table *t, const as_hparam **out,
                      size_t max);
/* The declaration of h's flag in method m (h itself or one sharing its
 * flag), or NULL when m does not use it. */
const as_hparam *as_hparam_of_method(const as_method_decl *m,
                                     const as_hparam *h);
/* Manifest lines `key = value` of method m's hyperparameters. */
void as_hparam_write_manifest(FILE *f, const as_method_decl *m,
                              const struct as_fit_opts *o);

#endif
