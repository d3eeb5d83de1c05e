/* as_experiment.h — running an experiment from a configuration (docs/reference.md §6).
 *
 * An experiment is split into work units (cell, replicate).  What a cell is
 * and what a unit computes is decided by the experiment *kind*, a value of
 * type as_experiment_kind (a struct of function pointers, as GSL's
 * gsl_rng_type); the runner only schedules units over threads, stores their
 * rows by unit index and writes the outputs in unit order, so the output
 * never depends on the number of threads.  Adding a kind is one file that
 * defines an as_experiment_kind plus one line in the table of
 * as_experiment.c (kinds[]).
 *
 * Seeds (documented in experiments/README.md): unit (cell, replicate) of a
 * run with base seed S draws
 *   - its instance from as_rng_derive(S, 0, replicate) — the same instance
 *     for a replicate in every cell, so curves over n (or λ, β) are paired;
 *   - its labelled data from as_rng_derive(S, 1 + 4·cell + 0, replicate),
 *     unlabelled pairs from ... + 1, the held-out sample from ... + 2. */
#ifndef AS_EXPERIMENT_H
#define AS_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "as_config.h"
#include "as_error.h"
#include "as_metrics.h"

/* Derived stream numbers (the `cell` argument of as_rng_derive). */
#define AS_STREAM_INSTANCE 0u
#define AS_STREAM_DATA 0u
#define AS_STREAM_UNLABELLED 1u
#define AS_STREAM_HELDOUT 2u
uint64_t as_experiment_stream(size_t cell, unsigned which);

/* One row of results.csv: one (cell, method, replicate) — and one λ when
 * the tuning is "fixed". */
typedef struct as_result_row {
  size_t cell;
  long replicate;
  const char *method;    /* a static name                                   */
  double n;              /* labelled records; INFINITY: population limit    */
  double m;              /* unlabelled pairs; INFINITY: population; NAN: none */
  double beta, lambda, gamma, beta_dpo; /* NAN where not used               */
  double metrics[AS_METRICS_COUNT]; /* order of as_metrics_names          */
  double rlhf_floor;     /* F_RLHF of the unit's instance (as_dilemma.h)     */
  double rlhf_floor_lambda;
  double heldout_score;  /* validation log-likelihood per record, or NAN     */
  long reward_no_mle;    /* contexts whose ridge-free BT MLE does not exist  */
  long not_converged;    /* contexts whose solve did not converge            */
  long iterations;
  double theta_norm;
  int status;            /* AS_OK, AS_ENOCONV or AS_EDIVERGE                 */
  double aux;            /* kind-specific column (kind->aux_name)            */
} as_result_row;

/* A growable list of rows. */
typedef struct as_rows {
  as_result_row *row;
  size_t count, cap;
} as_rows;

int as_rows_push(as_rows *r, const as_result_row *row);
/* A row of unit (cell, replicate) zeroed (padding too: rows compare with
 * memcmp), with method, n and β set and m, λ, γ, β_d, the RLHF floor and
 * its λ, heldout_score and aux NAN ("not used"); the kind fills the rest. */
void as_result_row_init(as_result_row *row, size_t cell, long replicate,
                        const char *method, double n, double beta);
void as_rows_clear(as_rows *r); /* frees the storage */

/* A unit's team (issue 8): the pool's threads with no unit of their own
 * left may work inside a unit still running.  The budget: the pool starts
 * --threads threads and no more, and a thread helping a unit is one of
 * them, so at most --threads threads are busy however the units share
 * them (a unit runs on its own thread plus the helpers it is offered).
 * NULL is a team of one (the caller's thread alone). */
typedef struct as_team as_team;
/* The most threads that can work on one unit at once: the pool's size. */
int as_team_threads(const as_team *t);
/* Offers work(ctx) to idle pool threads until as_team_close: each thread
 * that joins calls it once and goes back to the pool when it returns.
 * work must return once nothing is left for it to take (no thread joins
 * after the first return).  One offer per unit at a time; no-op on NULL. */
void as_team_open(as_team *t, void (*work)(void *ctx), void *ctx);
/* Withdraws the offer and returns once no thread is inside work(ctx); the
 * CPU seconds the helpers spent there count to the unit's cost. */
void as_team_close(as_team *t);

/* An experiment kind. */
typedef struct as_experiment_kind {
  const char *name;      /* matched against the config's `kind`             */
  const char *aux_name;  /* header of the aux column                        */
  /* Checks that cfg can be run by this kind (AS_ENOTSUP/AS_EINVAL with a
   * message naming the config file otherwise). */
  int (*check)(const as_config *cfg, as_err *err);
  size_t (*n_cells)(const as_config *cfg);
  /* Computes unit (cell, replicate) and appends its rows to out, in a
   * deterministic order.  Must be thread-safe (no shared mutable state). */
  int (*run_unit)(const as_config *cfg, size_t cell, long replicate,
                  as_rows *out, as_err *err);
  /* Optional (NULL: run_unit): run_unit with the unit's team, which it may
   * offer work to (as_team_open); the rows must not depend on how many
   * threads joined. */
  int (*run_unit_team)(const as_config *cfg, size_t cell, long replicate,
                       as_team *team, as_rows *out, as_err *err);
  /* Optional (NULL: the standard statistics of as_results.c): writes
   * summary.csv's content for this kind from the rows in unit order
   * (E3's bound-vs-quantile rows, E7's per-μ' rows). */
  int (*write_summary)(FILE *f, const as_config *cfg, const as_rows *rows,
                       as_err *err);
  /* Optional (NULL: aux_name always, and the config key `bounds` is
   * rejected): the aux column's header under cfg, for a kind whose aux
   * column depends on the configuration (E9's `bounds`). */
  const char *(*aux_label)(const as_config *cfg);
  /* Optional (NULL: every unit alone): cells whose units share one
   * computation (E6: the step cells of a (β, n) pair are one training run,
   * issue 8).  group_of(cfg, cell, &first) is the number of cells in
   * cell's group, first ... first + count − 1.  run_group computes the
   * units (first + i, replicate) at once: cell first + i's rows — those
   * run_unit gives — to outs[i] (empty lists on entry) and the CPU seconds
   * spent on them to secs[i].  The runner calls it when every unit of the
   * group is due, it hands out the units itself (not under MPI) and as
   * many whole groups are due as it has threads (else units run alone:
   * the same rows).  On
   * failure *done is the number of cells complete before it (outs[0 ..
   * *done − 1] final): the error is cell first + *done's, as run_unit
   * would report it there. */
  size_t (*group_of)(const as_config *cfg, size_t cell, size_t *first);
  int (*run_group)(const as_config *cfg, size_t first, size_t count,
                   long replicate, as_rows *outs, double *secs,
                   size_t *done, as_err *err);
} as_experiment_kind;

/* CPU seconds of the calling thread: the cost of a unit (see
 * as_units.seconds), for a kind's run_group to split its time. */
double as_experiment_thread_seconds(void);

/* The aux column's header of kind under cfg: kind->aux_label(cfg) when the
 * kind has one, else kind->aux_name. */
const char *as_experiment_aux_name(const as_experiment_kind *kind,
                                   const as_config *cfg);

/* The kind registered under `name`, or NULL. */
const as_experiment_kind *as_experiment_kind_find(const char *name);

/* ---- units: the lower layer of the runner, shared by threaded, resumed,
 * sharded (`--shard I/N`) and MPI runs (as_journal.h, as_mpi.h).  Unit u is
 * (cell u / R, replicate u mod R); a run's share is the units with
 * u mod shard_n = shard_i − 1 (round-robin, so every shard gets every cell
 * alike). */
/* Method names of rows decoded from bytes (as_unitrec.h): a row holds a
 * `const char *method` that must outlive it, so each name is interned once
 * here.  Zero-initialise; free after the rows are no longer used. */
typedef struct as_names {
  char **name;
  size_t count, cap;
} as_names;

void as_names_free(as_names *n);

typedef struct as_units {
  const as_experiment_kind *kind;
  size_t cells, total;
  long R;
  unsigned long shard_i, shard_n; /* 1/1: every unit                      */
  as_rows *rows;                  /* per unit                             */
  double *seconds;                /* per unit: CPU seconds of its thread  */
  unsigned char *have;            /* per unit: rows present               */
  as_names names;                 /* of rows stored from bytes            */
} as_units;

/* Finds cfg's kind, checks cfg against it and allocates the per-unit
 * storage (the kind-check errors of as_experiment_compute). */
int as_units_init(as_units *u, const as_config *cfg, unsigned long shard_i,
                  unsigned long shard_n, as_err *err);
void as_units_free(as_units *u);
int as_units_in_share(const as_units *u, size_t unit);
/* Stores a unit computed elsewhere (rows are copied); AS_EINVAL for a unit
 * out of range, outside the share, or already present. */
int as_units_set(as_units *u, size_t unit, double seconds,
                 const as_rows *rows, as_err *err);
/* The share's units still missing. */
size_t as_units_missing(const as_units *u);
/* Concatenates every unit's rows in unit order (all must be present). */
int as_units_gather(const as_units *u, as_rows *rows, as_err *err);

/* How a unit source and sink plug into the threaded loop.  Both are called
 * with the runner's lock held. */
typedef struct as_unit_hooks {
  /* The next unit to compute, SIZE_MAX when none is left.  NULL: the
   * share's missing units in increasing order, none after a failure. */
  size_t (*next)(void *ctx);
  /* After unit `unit` ran: rc AS_OK and its rows (already stored in u), or
   * its error in uerr.  A non-OK return fails the run with err. */
  int (*done)(void *ctx, size_t unit, int rc, const as_err *uerr,
              double seconds, const as_rows *rows, as_err *err);
  void *ctx;
} as_unit_hooks;

/* Computes the units hooks->next hands out (default: the share's missing
 * units) with `threads` threads and stores them in u.  The error reported
 * is the lowest failing unit's, whatever the thread count. */
int as_units_compute(as_units *u, const as_config *cfg, int threads,
                     int progress, const as_unit_hooks *hooks, as_err *err);

/* A run spread over processes (as_mpi.h implements it over MPI). */
typedef struct as_run_dist {
  int rank; /* only rank 0 journals and writes outputs */
  void *ctx;
  /* Collective, once per run before computing: AS_OK when every rank's rc
   * is AS_OK and every rank parsed the same configuration text. */
  int (*agree)(const struct as_run_dist *d, int rc, const char *config,
               as_err *err);
  /* Collective: every rank computes units handed out by rank 0; on rank 0
   * u ends up holding every unit of the share and sink->done is called for
   * each unit finished on any rank (sink->next is unused). */
  int (*compute)(const struct as_run_dist *d, as_units *u,
                 const as_config *cfg, int threads, int progress,
                 const as_unit_hooks *sink, as_err *err);
} as_run_dist;

/* Options of a run. */
typedef struct as_run_opts {
  const char *out_dir;      /* created if missing                           */
  int threads;              /* ≥ 1                                           */
  int progress;             /* draw a progress bar on stderr                 */
  int plots;                /* invoke gnuplot for cfg->figures               */
  const char *plots_dir;    /* where eN.gp live                              */
  const char *version;      /* for the manifest                              */
  const char *command_line; /* for the manifest                              */
  int resume;               /* continue DIR/journal (as_journal.h)           */
  unsigned long shard_i, shard_n; /* 0/0: the whole run; else a shard I/N  */
  const char *unit_times;   /* NULL, or a file: each unit's CPU seconds    */
  const as_run_dist *dist;  /* NULL: this process only                       */
} as_run_opts;

void as_run_opts_default(as_run_opts *o);

/* Runs every unit of cfg's kind with `threads` threads and returns the rows
 * in unit order (cell-major, then replicate) in *rows (caller clears). */
int as_experiment_compute(const as_config *cfg, int threads, int progress,
                          as_rows *rows, as_err *err);

/* The whole run: compute, then write DIR/results.csv, DIR/summary.csv,
 * DIR/table.txt, the plot data files, DIR/manifest and the figures — each
 * through a temporary file renamed into place, nothing when the
 * computation fails.  While it computes, every finished unit is journaled
 * in DIR/journal (as_journal.h), removed once the outputs are in place;
 * with o->resume the units of an interrupted run's journal are reused.
 * A shard (o->shard_n > 1) computes its share only and writes DIR/manifest
 * ("# shard: I/N") next to its journal, for `alignsim merge`. */
int as_experiment_run(const as_config *cfg, const as_run_opts *o,
                      as_err *err);

/* Checks before computing that the outputs can be written: --out has no
 * quote, every figure of cfg has its script (AS_EINVAL naming FILE:LINE). */
int as_experiment_check_outputs(const as_config *cfg, const as_run_opts *o,
                                as_err *err);

/* The outputs of a finished run from its rows in unit order (used by
 * as_experiment_run and by `alignsim merge`). */
int as_experiment_write(const as_config *cfg, const as_run_opts *o,
                        const as_rows *rows, as_err *err);

/* The name of the journal inside a run's directory, and the shard line
 * of a shard's manifest ("# shard: I/N\n"). */
#define AS_JOURNAL_NAME "journal"
#define AS_SHARD_LINE "# shard: "

#endif
