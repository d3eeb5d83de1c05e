/* as_hparam.h — the declaration of every atlas method's hyperparameters
 * (docs/reference.md §3.2): name, default, valid range, help line, config key and CLI
 * flag, once.  `alignsim fit --help`, its option parsing and "not used by
 * this method" notes, the config keys of the runner, the validation
 * messages (with FILE:LINE from the config reader), the manifests and the
 * results columns all derive from these tables, so a new method is one
 * objective file plus one as_method_decl.
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
} as_hparam;

/* The upper bound of every scale hyperparameter: beyond it the closed
 * forms and KL terms overflow (`--lambda 1e308` once gave -inf
 * log-probabilities). */
#define AS_HP_MAX_SCALE 1e12

#define AS_HPARAM_MAX 3

typedef struct as_method_decl {
  const char *method;                      /* as_method_name()         */
  int id;                                  /* as_method, or ≥ AS_METHOD_COUNT
                                              for a method declared outside */
  const char *summary;                     /* --help line              */
  const as_hparam *hp[AS_HPARAM_MAX + 1];  /* NULL-terminated          */
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

/* 1 when method m declares h. */
int as_hparam_used_by(const as_method_decl *m, const as_hparam *h);

/* Parses text into h's field of o, checking type and range; AS_EINVAL
 * with "WHERE: KEY = 'text' must be ..." (WHERE: a flag or FILE:LINE). */
int as_hparam_parse(const as_hparam *h, const char *text, const char *where,
                    struct as_fit_opts *o, as_err *err);
/* The same for a number already read (config files). */
int as_hparam_set(const as_hparam *h, double v, const char *where,
                  struct as_fit_opts *o, as_err *err);
/* Range check of h's current value in o. */
int as_hparam_check(const as_hparam *h, const char *where,
                    const struct as_fit_opts *o, as_err *err);

/* h's value in o as a double (a choice: its index), and as text (%.17g,
 * or the choice's name) into buf. */
double as_hparam_get(const as_hparam *h, const struct as_fit_opts *o);
void as_hparam_format(const as_hparam *h, const struct as_fit_opts *o,
                      char *buf, size_t size);

/* `--help` block: per method its summary and each hyperparameter's flag,
 * range, default and help line. */
void as_hparam_print_help(FILE *f, const as_hparam_table *t);
/* Manifest lines `key = value` of method m's hyperparameters. */
void as_hparam_write_manifest(FILE *f, const as_method_decl *m,
                              const struct as_fit_opts *o);

#endif
