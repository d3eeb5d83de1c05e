/* as_experiment.c — the experiment runner (see as_experiment.h): the table
 * of experiment kinds, units over pthreads, outputs in unit order. */
#include "as_experiment.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "as_io.h"
#include "as_journal.h"
#include "as_progress.h"
#include "as_results.h"
#include "as_unitrec.h"

/* ---- the kinds: one line per kind (its definition is in its own file) */
extern const as_experiment_kind as_kind_tabular;   /* as_kind_tabular.c   */
extern const as_experiment_kind as_kind_smoothing; /* as_kind_smoothing.c */
extern const as_experiment_kind as_kind_finite;    /* as_kind_finite.c    */
extern const as_experiment_kind as_kind_mu2;       /* as_kind_mu2.c (E7)  */
extern const as_experiment_kind as_kind_two_stage; /* as_kind_two_stage.c */
extern const as_experiment_kind as_kind_coverage;  /* as_kind_coverage.c  */
extern const as_experiment_kind as_kind_dpo;       /* as_kind_dpo.c       */
extern const as_experiment_kind as_kind_atlas;     /* as_kind_atlas.c E11 */

static const as_experiment_kind *const kinds[] = {
  &as_kind_tabular,
  &as_kind_smoothing,
  &as_kind_finite,
  &as_kind_mu2,
  &as_kind_two_stage,
  &as_kind_coverage,
  &as_kind_dpo,
  &as_kind_atlas,
};

const as_experiment_kind *as_experiment_kind_find(const char *name)
{
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i]->name, name) == 0)
      return kinds[i];
  return NULL;
}

const char *as_experiment_aux_name(const as_experiment_kind *kind,
                                   const as_config *cfg)
{
  return kind->aux_label != NULL ? kind->aux_label(cfg) : kind->aux_name;
}

uint64_t as_experiment_stream(size_t cell, unsigned which)
{
  return 1u + 4u * (uint64_t)cell + which;
}

/* ---- rows */

int as_rows_push(as_rows *r, const as_result_row *row)
{
  if (r->count == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 8;
    as_result_row *p = realloc(r->row, cap * sizeof *p);
    if (p == NULL)
      return AS_ENOMEM;
    r->row = p;
    r->cap = cap;
  }
  /* memcpy keeps the (zeroed) padding: rows compare with memcmp */
  memcpy(&r->row[r->count++], row, sizeof *row);
  return AS_OK;
}

void as_result_row_init(as_result_row *row, size_t cell, long replicate,
                        const char *method, double n, double beta)
{
  memset(row, 0, sizeof *row);
  row->cell = cell;
  row->replicate = replicate;
  row->method = method;
  row->n = n;
  row->m = NAN;
  row->beta = beta;
  row->lambda = NAN;
  row->gamma = NAN;
  row->beta_dpo = NAN;
  row->rlhf_floor = NAN;
  row->rlhf_floor_lambda = NAN;
  row->heldout_score = NAN;
  row->aux = NAN;
}

void as_rows_clear(as_rows *r)
{
  free(r->row);
  memset(r, 0, sizeof *r);
}

void as_run_opts_default(as_run_opts *o)
{
  memset(o, 0, sizeof *o);
  o->out_dir = "results";
  o->threads = 1;
  o->progress = 1;
  o->plots = 1;
  o->plots_dir = "plots";
  o->version = "unknown";
  o->command_line = "";
}

/* ---- units */

static int kind_for(const as_config *cfg, const as_experiment_kind **out,
                    as_err *err)
{
  const as_experiment_kind *kind = as_experiment_kind_find(cfg->kind);
  if (kind == NULL) {
    char known[256] = "";
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
      if (i)
        strncat(known, ", ", sizeof known - strlen(known) - 1);
      strncat(known, kinds[i]->name, sizeof known - strlen(known) - 1);
    }
    return as_err_set(err, AS_ENOTSUP, "%s:%d: experiment kind '%s' is not "
                      "known (known kinds: %s)", cfg->path, cfg->kind_line,
                      cfg->kind, known);
  }
  int rc = kind->check(cfg, err);
  if (rc != AS_OK)
    return rc;
  if (cfg->bounds != AS_CONFIG_BOUNDS_NONE && kind->aux_label == NULL)
    return as_err_set(err, AS_ENOTSUP, "%s: 'bounds = \"%s\"' is reported by "
                      "kind 'tabular' only, not by kind '%s'", cfg->path,
                      as_config_bounds_name(cfg->bounds), kind->name);
  *out = kind;
  return AS_OK;
}

int as_units_init(as_units *u, const as_config *cfg, unsigned long shard_i,
                  unsigned long shard_n, as_err *err)
{
  memset(u, 0, sizeof *u);
  int rc = kind_for(cfg, &u->kind, err);
  if (rc != AS_OK)
    return rc;
  u->R = cfg->replicates;
  u->cells = u->kind->n_cells(cfg);
  if (u->cells == 0 || u->cells > SIZE_MAX / (size_t)u->R)
    return as_err_set(err, AS_EINVAL, "%s: %zu cells", cfg->path, u->cells);
  u->total = u->cells * (size_t)u->R;
  if (shard_n < 1 || shard_i < 1 || shard_i > shard_n)
    return as_err_set(err, AS_EINVAL, "shard %lu/%lu: need 1 <= I <= N",
                      shard_i, shard_n);
  if (shard_n > u->total)
    return as_err_set(err, AS_EINVAL, "shard %lu/%lu: the run has only %zu "
                      "units, so some shards would be empty", shard_i,
                      shard_n, u->total);
  u->shard_i = shard_i;
  u->shard_n = shard_n;
  u->rows = calloc(u->total, sizeof *u->rows);
  u->seconds = calloc(u->total, sizeof *u->seconds);
  u->have = calloc(u->total, 1);
  if (u->rows == NULL || u->seconds == NULL || u->have == NULL) {
    as_units_free(u);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  return AS_OK;
}

void as_units_free(as_units *u)
{
  for (size_t i = 0; u->rows != NULL && i < u->total; i++)
    as_rows_clear(&u->rows[i]);
  free(u->rows);
  free(u->seconds);
  free(u->have);
  as_names_free(&u->names);
  memset(u, 0, sizeof *u);
}

int as_units_in_share(const as_units *u, size_t unit)
{
  return unit < u->total && unit % u->shard_n == u->shard_i - 1;
}

int as_units_set(as_units *u, size_t unit, double seconds,
                 const as_rows *rows, as_err *err)
{
  if (!as_units_in_share(u, unit))
    return as_err_set(err, AS_EINVAL, "unit %zu is not one of shard "
                      "%lu/%lu's %zu units", unit, u->shard_i, u->shard_n,
                      u->total);
  if (u->have[unit])
    return as_err_set(err, AS_EINVAL, "unit %zu (cell %zu, replicate %ld) "
                      "appears twice", unit, unit / (size_t)u->R,
                      (long)(unit % (size_t)u->R));
  for (size_t i = 0; i < rows->count; i++)
    if (as_rows_push(&u->rows[unit], &rows->row[i]) != AS_OK) {
      as_rows_clear(&u->rows[unit]);
      return as_err_set(err, AS_ENOMEM, "out of memory");
    }
  u->seconds[unit] = seconds;
  u->have[unit] = 1;
  return AS_OK;
}

size_t as_units_missing(const as_units *u)
{
  size_t n = 0;
  for (size_t i = 0; i < u->total; i++)
    n += as_units_in_share(u, i) && !u->have[i];
  return n;
}

int as_units_gather(const as_units *u, as_rows *rows, as_err *err)
{
  memset(rows, 0, sizeof *rows);
  for (size_t i = 0; i < u->total; i++) {
    if (!u->have[i]) {
      as_rows_clear(rows);
      return as_err_set(err, AS_EINVAL, "unit %zu (cell %zu, replicate %ld) "
                        "is missing", i, i / (size_t)u->R,
                        (long)(i % (size_t)u->R));
    }
    for (size_t k = 0; k < u->rows[i].count; k++)
      if (as_rows_push(rows, &u->rows[i].row[k]) != AS_OK) {
        as_rows_clear(rows);
        return as_err_set(err, AS_ENOMEM, "out of memory");
      }
  }
  return AS_OK;
}

/* ---- scheduling */

/* Work a running unit offers to the pool's idle threads (as_team_open). */
typedef struct pool_offer {
  void (*work)(void *ctx);
  void *ctx;
  int open;       /* idle threads may join                          */
  int inside;     /* threads in work(ctx)                           */
  double seconds; /* their CPU time there                           */
} pool_offer;

typedef struct pool {
  const as_config *cfg;
  as_units *u;
  const as_unit_hooks *hooks; /* may be NULL */
  size_t scan, done, todo;
  size_t err_unit; /* lowest failing unit (SIZE_MAX: none) */
  as_err err;
  pthread_mutex_t lock;
  pthread_cond_t cond; /* a unit ended, an offer opened or emptied      */
  int threads;         /* the pool's size                               */
  int running;         /* units being computed                          */
  int exhausted;       /* pool_next said no unit is left                */
  pool_offer *board;   /* one per thread: the offer of its unit         */
  as_progress progress;
  /* per unit, when the kind groups units (else NULL): handed out with its
   * group's first unit */
  unsigned char *taken;
} pool;

/* A thread of the pool and the team of the unit it runs. */
struct as_team {
  pool *p;
  pool_offer *offer;
};

/* A unit's cost is the CPU time of the thread that ran it: unlike the
 * wall clock it does not grow when other processes share the cores, so
 * the costs of a run on a busy machine still model a cluster's
 * (docs/cluster.md). */
double as_experiment_thread_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int as_team_threads(const as_team *t)
{
  return t != NULL ? t->p->threads : 1;
}

void as_team_open(as_team *t, void (*work)(void *ctx), void *ctx)
{
  if (t == NULL || t->p->threads < 2)
    return;
  pthread_mutex_lock(&t->p->lock);
  /* the helpers' CPU time is the unit's (pool_run zeroes it): a unit
   * that opens its offer twice (a refit) keeps the first helpers' */
  *t->offer = (pool_offer){.work = work, .ctx = ctx, .open = 1,
                           .seconds = t->offer->seconds};
  pthread_cond_broadcast(&t->p->cond);
  pthread_mutex_unlock(&t->p->lock);
}

void as_team_close(as_team *t)
{
  if (t == NULL)
    return;
  pthread_mutex_lock(&t->p->lock);
  t->offer->open = 0;
  while (t->offer->inside > 0)
    pthread_cond_wait(&t->p->cond, &t->p->lock);
  pthread_mutex_unlock(&t->p->lock);
}

/* The next unit, under the lock: the hook's, or the share's next missing
 * unit; after a failure a unit below the failing one still runs, so the
 * reported error is the lowest unit's whatever the thread count. */
static size_t pool_next(pool *p)
{
  if (p->hooks != NULL && p->hooks->next != NULL)
    return p->hooks->next(p->hooks->ctx);
  while (p->scan < p->u->total
         && (!as_units_in_share(p->u, p->scan) || p->u->have[p->scan]
             || (p->taken != NULL && p->taken[p->scan])))
    p->scan++;
  if (p->scan >= p->u->total || p->scan > p->err_unit)
    return SIZE_MAX;
  return p->scan++;
}

/* The number of whole unit groups due: every unit in the share and
 * missing (a resumed run may have few left). */
static size_t pool_groups(const as_config *cfg, const as_units *u)
{
  size_t n = 0, R = (size_t)u->R, first;
  for (size_t cell = 0; cell < u->cells; cell++) {
    size_t count = u->kind->group_of(cfg, cell, &first);
    if (first != cell || count < 2 || first + count > u->cells)
      continue;
    for (size_t rep = 0; rep < R; rep++) {
      int due = 1;
      for (size_t i = 0; i < count && due; i++) {
        size_t v = (cell + i) * R + rep;
        due = as_units_in_share(u, v) && !u->have[v];
      }
      n += (size_t)due;
    }
  }
  return n;
}

/* Under the lock: the number of cells computed with unit u — its group's,
 * marked taken, when u is in the group's first cell and every unit of the
 * group is due; else 1. */
static size_t pool_claim_group(pool *p, size_t u)
{
  if (p->taken == NULL)
    return 1;
  size_t R = (size_t)p->u->R, cell = u / R, first;
  size_t count = p->u->kind->group_of(p->cfg, cell, &first);
  if (first != cell || count < 2 || first + count > p->u->cells)
    return 1;
  for (size_t i = 1; i < count; i++) {
    size_t v = u + i * R;
    if (!as_units_in_share(p->u, v) || p->u->have[v] || p->taken[v])
      return 1;
  }
  for (size_t i = 1; i < count; i++)
    p->taken[u + i * R] = 1;
  return count;
}

static void pool_fail(pool *p, size_t u, int rc, const as_err *e)
{
  if (u >= p->err_unit)
    return;
  p->err_unit = u;
  p->err = *e;
  if (p->err.code == AS_OK)
    as_err_set(&p->err, rc, "unit %zu failed", u);
}

/* Under the lock: unit u's outcome into u's storage and the sink hook. */
static void pool_store(pool *p, size_t u, int rc, const as_err *e,
                       double dt, as_rows *rows)
{
  if (rc == AS_OK) {
    /* the list moves into u: each unit's slot is its own */
    p->u->rows[u] = *rows;
    p->u->seconds[u] = dt;
    p->u->have[u] = 1;
  } else {
    as_rows_clear(rows);
    pool_fail(p, u, rc, e);
  }
  if (p->hooks != NULL && p->hooks->done != NULL) {
    as_err he;
    as_err_clear(&he);
    int hrc = p->hooks->done(p->hooks->ctx, u, rc, e, dt,
                             rc == AS_OK ? &p->u->rows[u] : NULL, &he);
    if (hrc != AS_OK)
      pool_fail(p, u, hrc, &he);
  }
  p->done++;
  as_progress_update(&p->progress, p->done);
}

/* Units u, u + R, ... (count cells of one group, or u alone) computed and
 * stored.  A single unit runs on
 * its team (the calling thread, whose offer slot is o, and the helpers it
 * offers work to), its cost the CPU time of all of them. */
static void pool_run(pool *p, pool_offer *o, size_t u, size_t count)
{
  size_t R = (size_t)p->u->R, cell = u / R;
  long rep = (long)(u % R);
  const as_experiment_kind *k = p->u->kind;
  as_err e;
  as_err_clear(&e);
  as_rows one = {0}, *rows = count > 1 ? calloc(count, sizeof *rows) : &one;
  double dt1, *secs = count > 1 ? calloc(count, sizeof *secs) : &dt1;
  size_t ok = 0; /* a group's cells complete before its failure */
  int rc;
  if (rows == NULL || secs == NULL) {
    rc = as_err_set(&e, AS_ENOMEM, "out of memory");
  } else if (count > 1) {
    rc = k->run_group(p->cfg, cell, count, rep, rows, secs, &ok, &e);
    if (rc == AS_OK)
      ok = count;
    else if (ok >= count) /* a failure names a cell of the group */
      ok = 0;
  } else {
    as_team team = {p, o};
    pthread_mutex_lock(&p->lock);
    o->seconds = 0.0; /* this unit's helpers, from now on */
    pthread_mutex_unlock(&p->lock);
    double t0 = as_experiment_thread_seconds();
    rc = k->run_unit_team != NULL
             ? k->run_unit_team(p->cfg, cell, rep, &team, rows, &e)
             : k->run_unit(p->cfg, cell, rep, rows, &e);
    as_team_close(&team); /* a unit that left its offer open */
    dt1 = as_experiment_thread_seconds() - t0;
  }
  pthread_mutex_lock(&p->lock);
  if (count <= 1)
    dt1 += o->seconds;
  if (rows == NULL || secs == NULL)
    pool_fail(p, u, rc, &e);
  /* A group's failure is its failing cell's unit (as if each unit ran
   * alone); the cells before it are stored (and journaled), those after
   * it were not computed — higher units, which a failed run never needs. */
  as_err none;
  as_err_clear(&none);
  for (size_t i = 0; rows != NULL && secs != NULL && i < count; i++)
    if (count == 1 || i <= ok)
      pool_store(p, u + i * R, count > 1 && i < ok ? AS_OK : rc,
                 count > 1 && i < ok ? &none : &e, secs[i], &rows[i]);
    else
      as_rows_clear(&rows[i]);
  p->running--;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  if (count > 1) {
    free(rows);
    free(secs);
  }
}

/* An open offer (the one with the fewest helpers), or NULL. */
static pool_offer *pool_offer_find(pool *p)
{
  pool_offer *best = NULL;
  for (int i = 0; i < p->threads; i++)
    if (p->board[i].open &&
        (best == NULL || p->board[i].inside < best->inside))
      best = &p->board[i];
  return best;
}

/* The calling thread helps offer o until its work returns (under the lock
 * on entry and exit). */
static void pool_help(pool *p, pool_offer *o)
{
  void (*work)(void *) = o->work;
  void *ctx = o->ctx;
  o->inside++;
  pthread_mutex_unlock(&p->lock);
  double t0 = as_experiment_thread_seconds();
  work(ctx);
  double dt = as_experiment_thread_seconds() - t0;
  pthread_mutex_lock(&p->lock);
  o->open = 0; /* its work is taken: nobody else joins */
  o->seconds += dt;
  o->inside--;
  pthread_cond_broadcast(&p->cond);
}

typedef struct pool_thread {
  pool *p;
  pool_offer *offer; /* its slot of the board */
} pool_thread;

/* Units (or groups) while there are any; then help running units; leave
 * when no unit is left to start or running. */
static void *worker(void *arg)
{
  pool_thread *th = arg;
  pool *p = th->p;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    size_t u = p->exhausted ? SIZE_MAX : pool_next(p);
    pool_offer *o;
    p->exhausted = u == SIZE_MAX; /* final: never asked again */
    if (u != SIZE_MAX) {
      size_t count = pool_claim_group(p, u);
      p->running++;
      *th->offer = (pool_offer){0};
      pthread_mutex_unlock(&p->lock);
      pool_run(p, th->offer, u, count);
      pthread_mutex_lock(&p->lock);
    } else if ((o = pool_offer_find(p)) != NULL) {
      pool_help(p, o);
    } else if (p->running == 0) {
      break;
    } else {
      pthread_cond_wait(&p->cond, &p->lock);
    }
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

/* threads threads (or the calling one, alone, when none can start). */
static void pool_start(pool *p, int threads)
{
  pthread_t *tid = malloc((size_t)threads * sizeof *tid);
  pool_thread *th = malloc((size_t)threads * sizeof *th);
  pool_offer solo = {0};
  p->board = calloc((size_t)threads, sizeof *p->board);
  /* fixed before any thread reads it: a slot whose thread did not start
   * is never opened */
  p->threads = threads;
  int started = 0;
  if (tid != NULL && th != NULL && p->board != NULL)
    for (; started < threads; started++) {
      th[started] = (pool_thread){p, &p->board[started]};
      if (pthread_create(&tid[started], NULL, worker, &th[started]) != 0)
        break;
    }
  if (started == 0) { /* no other thread exists */
    pool_thread me = {p, &solo};
    p->threads = 1;
    free(p->board);
    p->board = &solo;
    worker(&me);
    p->board = NULL;
  }
  for (int i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  free(tid);
  free(th);
  free(p->board);
  p->board = NULL;
}

int as_units_compute(as_units *u, const as_config *cfg, int threads,
                     int progress, const as_unit_hooks *hooks, as_err *err)
{
  if (threads < 1 || threads > 1024)
    return as_err_set(err, AS_EINVAL, "threads = %d must be in [1, 1024]",
                      threads);
  pool p;
  memset(&p, 0, sizeof p);
  p.cfg = cfg;
  p.u = u;
  p.hooks = hooks;
  p.err_unit = SIZE_MAX;
  /* groups only where this loop hands out the units (no memory: none),
   * and only when as many whole groups are due as there are threads:
   * fewer (E7 with one replicate: one group of 32 cells; a resumed run
   * with one group left) would leave threads idle that the units alone
   * use, at the price of their shared work done again (the rows are the
   * same either way) */
  if (u->kind->group_of != NULL && u->kind->run_group != NULL &&
      (hooks == NULL || hooks->next == NULL) &&
      pool_groups(cfg, u) >= (size_t)threads)
    p.taken = calloc(u->total, 1);
  size_t missing = as_units_missing(u);
  size_t share = 0;
  for (size_t i = 0; i < u->total; i++)
    share += as_units_in_share(u, i);
  pthread_mutex_init(&p.lock, NULL);
  pthread_cond_init(&p.cond, NULL);
  p.done = share - missing;
  as_progress_start(&p.progress, cfg->experiment, share, progress);
  as_progress_update(&p.progress, p.done);
  /* more threads than units only where a unit can use them (a team) */
  if ((hooks == NULL || hooks->next == NULL) && (size_t)threads > missing &&
      u->kind->run_unit_team == NULL)
    threads = missing > 0 ? (int)missing : 1;
  pool_start(&p, threads);
  free(p.taken);
  as_progress_finish(&p.progress);
  pthread_cond_destroy(&p.cond);
  pthread_mutex_destroy(&p.lock);
  if (p.err_unit != SIZE_MAX)
    return as_err_set(err, p.err.code, "cell %zu, replicate %ld: %s",
                      p.err_unit / (size_t)u->R,
                      (long)(p.err_unit % (size_t)u->R), p.err.msg);
  return AS_OK;
}

int as_experiment_compute(const as_config *cfg, int threads, int progress,
                          as_rows *rows, as_err *err)
{
  memset(rows, 0, sizeof *rows);
  as_units u;
  int rc = as_units_init(&u, cfg, 1, 1, err);
  if (rc != AS_OK)
    return rc;
  rc = as_units_compute(&u, cfg, threads, progress, NULL, err);
  if (rc == AS_OK)
    rc = as_units_gather(&u, rows, err);
  as_units_free(&u);
  return rc;
}

/* ---- the whole run */

static int write_manifest(as_io_outset *s, const as_config *cfg,
                          const as_run_opts *o, const as_rows *rows,
                          as_err *err)
{
  FILE *f = as_io_outset_open(s, o->out_dir, "manifest", err);
  if (f == NULL)
    return err ? err->code : AS_EIO;
  char date[AS_IO_DATE_MAX];
  as_io_format_date_utc(date, sizeof date);
  const as_experiment_kind *kind = as_experiment_kind_find(cfg->kind);
  fprintf(f,
          "# alignsim run manifest.  The lines below the header are the\n"
          "# configuration as parsed (every default filled in), in the\n"
          "# config-file syntax: 'alignsim run THIS_FILE --out DIR' redoes\n"
          "# the run and reproduces results.csv byte for byte.\n"
          "# version: %s\n# date: %s\n# command: %s\n# threads: %d\n"
          "# config file: %s\n# base seed: %llu\n"
          "# seeds: unit (cell, replicate) draws its instance from\n"
          "#   as_rng_derive(seed, 0, replicate) (same instance for a\n"
          "#   replicate in every cell: paired curves), labelled data from\n"
          "#   as_rng_derive(seed, 1 + 4*cell, replicate), unlabelled pairs\n"
          "#   from 1 + 4*cell + 1, the held-out sample from 1 + 4*cell + 2;\n"
          "#   rate-fit bootstrap: pcg32(seed ^ 0xb0075712a9 ^ curve, 54).\n"
          "#   That is the tabular kinds' rule; a kind that shares streams\n"
          "#   across cells (dpo-degeneracy: one data stream per (beta, n)\n"
          "#   for all its step cells) or draws more on the instance stream\n"
          "#   (coverage: features first; finite: the class after the\n"
          "#   instance) says so in the header of sim/as_kind_*.c.\n"
          "# kind: %s; cells: %zu; units: %zu; rows: %zu\n",
          o->version, date, o->command_line, o->threads, cfg->path,
          (unsigned long long)cfg->seed, cfg->kind, kind->n_cells(cfg),
          kind->n_cells(cfg) * (size_t)cfg->replicates, rows->count);
  if (o->shard_n > 0) /* read back by `alignsim merge` */
    fprintf(f, AS_SHARD_LINE "%lu/%lu\n# This directory holds the units u "
            "with u mod %lu = %lu in\n# its journal; 'alignsim merge --out "
            "DIR SHARD_DIR...' joins the shards.\n", o->shard_i, o->shard_n,
            o->shard_n, o->shard_i - 1);
  as_config_write(f, cfg);
  return as_io_outset_close(s, f, err);
}

/* Runs gnuplot on plots/NAME.gp, output to temporary names renamed into
 * place when gnuplot succeeded. */
static int draw_figure(const as_run_opts *o, const char *name, as_err *err)
{
  char script[4096], png[4096], svg[4096], tpng[4200], tsvg[4200];
  char expr[16384];
  snprintf(script, sizeof script, "%s/%s.gp", o->plots_dir, name);
  if (access(script, R_OK) != 0)
    return as_err_set(err, AS_EIO, "%s: figure script not found (set "
                      "ALIGNSIM_PLOTS to the plots/ directory)", script);
  snprintf(png, sizeof png, "%s/%s.png", o->out_dir, name);
  snprintf(svg, sizeof svg, "%s/%s.svg", o->out_dir, name);
  snprintf(tpng, sizeof tpng, "%s.tmp.%ld", png, (long)getpid());
  snprintf(tsvg, sizeof tsvg, "%s.tmp.%ld", svg, (long)getpid());
  snprintf(expr, sizeof expr, "indir='%s'; outpng='%s'; outsvg='%s'",
           o->out_dir, tpng, tsvg);
  pid_t pid = fork();
  if (pid < 0)
    return as_err_set(err, AS_EIO, "cannot start gnuplot: %s",
                      strerror(errno));
  if (pid == 0) {
    execlp("gnuplot", "gnuplot", "-e", expr, script, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    remove(tpng);
    remove(tsvg);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
      return as_err_set(err, AS_EIO, "gnuplot not found (Debian package "
                        "gnuplot-nox); results are written, figure %s is not",
                        name);
    return as_err_set(err, AS_EIO, "gnuplot failed on %s (status %d)", script,
                      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  }
  if (rename(tpng, png) != 0 || rename(tsvg, svg) != 0) {
    int e = errno;
    remove(tpng);
    remove(tsvg);
    return as_err_set(err, AS_EIO, "%s: cannot rename figure: %s", png,
                      strerror(e));
  }
  return AS_OK;
}

int as_experiment_check_outputs(const as_config *cfg,
                                const as_run_opts *o, as_err *err)
{
  if (strchr(o->out_dir, '\'') != NULL)
    return as_err_set(err, AS_EINVAL, "--out: '%s' contains a quote",
                      o->out_dir);
  /* A missing figure script is found before the computation, not after
   * it (when the results would already be in place): bad input, exit 2. */
  for (size_t i = 0; o->plots && o->shard_n == 0 && i < cfg->n_figures;
       i++) {
    char script[4096];
    snprintf(script, sizeof script, "%s/%s.gp", o->plots_dir,
             cfg->figures[i]);
    if (access(script, R_OK) != 0)
      return as_err_set(err, AS_EINVAL, "%s:%d: figure \"%s\" has no "
                        "script (%s: %s; set ALIGNSIM_PLOTS to the plots/ "
                        "directory, or run with --no-plots)", cfg->path,
                        cfg->figures_line, cfg->figures[i], script,
                        strerror(errno));
  }
  /* An unusable --out is found before the computation (issue 12); the
   * output set creates the directory when it commits (as_io.h). */
  return as_io_check_output(o->out_dir, 1, 0.0, err);
}

int as_experiment_write(const as_config *cfg, const as_run_opts *o,
                        const as_rows *rows, as_err *err)
{
  as_io_outset set;
  memset(&set, 0, sizeof set);
  const as_experiment_kind *kind = as_experiment_kind_find(cfg->kind);
  int rc = as_results_write(&set, o->out_dir, cfg, kind, rows, err);
  if (rc == AS_OK)
    rc = write_manifest(&set, cfg, o, rows, err);
  if (rc == AS_OK)
    rc = as_io_outset_commit(&set, err);
  as_io_outset_free(&set);
  if (rc != AS_OK || !o->plots)
    return rc;
  for (size_t i = 0; i < cfg->n_figures; i++)
    if ((rc = draw_figure(o, cfg->figures[i], err)) != AS_OK)
      return rc;
  return AS_OK;
}

/* ---- journal plumbing */

typedef struct run_state {
  as_units u;
  as_journal_id id;
  as_journal *j;
  as_buf buf;
  char path[4200]; /* DIR/journal */
  char *created;   /* outermost directory this run made (as_io_mkdir_p) */
  int fresh;       /* the journal was started by this run */
} run_state;

/* The sink of a run: every finished unit is journaled before it counts. */
static int sink_done(void *ctx, size_t unit, int rc, const as_err *uerr,
                     double seconds, const as_rows *rows, as_err *err)
{
  (void)uerr;
  run_state *s = ctx;
  if (rc != AS_OK || s->j == NULL)
    return AS_OK;
  s->buf.len = 0;
  if (as_unitrec_encode(&s->buf, unit, seconds, rows) != AS_OK)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  return as_journal_append(s->j, s->buf.p, s->buf.len, err);
}

/* Opens DIR/journal: a fresh one, or (resume) the existing one whose units
 * are loaded into s->u after its header was checked against this run. */
static int journal_start(run_state *s, const as_run_opts *o, as_err *err)
{
  int exists = access(s->path, F_OK) == 0;
  if (!o->resume || !exists) {
    s->fresh = 1;
    if (o->resume)
      fprintf(stderr, "alignsim: --resume: %s does not exist; computing "
              "every unit\n", s->path);
    else if (exists)
      fprintf(stderr, "alignsim: replacing the journal of an earlier run "
              "in %s (--resume continues one)\n", o->out_dir);
    return as_journal_create(&s->j, s->path, &s->id, err);
  }
  as_journal_id have;
  uint64_t good_end;
  int rc = as_journal_read(s->path, &have, as_unitrec_load, &s->u, 0,
                           &good_end, err);
  if (rc != AS_OK)
    return rc == AS_EIO || rc == AS_ENOMEM ? rc : AS_EINVAL;
  rc = as_journal_id_match(s->path, &s->id, &have, 0, err);
  as_journal_id_free(&have);
  if (rc != AS_OK)
    return rc;
  struct stat st;
  if (stat(s->path, &st) == 0 && (uint64_t)st.st_size > good_end)
    fprintf(stderr, "alignsim: %s: the last %llu bytes are a damaged "
            "record (checksum or length); their unit is recomputed\n",
            s->path, (unsigned long long)((uint64_t)st.st_size - good_end));
  size_t share = 0;
  for (size_t i = 0; i < s->u.total; i++)
    share += as_units_in_share(&s->u, i);
  fprintf(stderr, "alignsim: resuming: %zu of %zu units from %s\n",
          share - as_units_missing(&s->u), share, s->path);
  return as_journal_reopen(&s->j, s->path, good_end, err);
}

/* Each unit's cost: `unit cell replicate seconds`, for the scaling model
 * of docs/cluster.md. */
static int write_unit_times(const as_units *u, const char *path, as_err *err)
{
  char tmp[4200];
  FILE *f = as_io_open_tmp(path, tmp, sizeof tmp, err);
  if (f == NULL)
    return err ? err->code : AS_EIO;
  fprintf(f, "unit\tcell\treplicate\tseconds\n");
  for (size_t i = 0; i < u->total; i++)
    if (u->have[i])
      fprintf(f, "%zu\t%zu\t%ld\t%.6g\n", i, i / (size_t)u->R,
              (long)(i % (size_t)u->R), u->seconds[i]);
  return as_io_commit(f, tmp, path, 1, err);
}

/* Rank 0 (or a lone process): directory and journal. */
static int run_prepare(run_state *s, const as_config *cfg,
                       const as_run_opts *o, as_err *err)
{
  int rc = as_experiment_check_outputs(cfg, o, err);
  if (rc == AS_OK)
    rc = as_units_init(&s->u, cfg, o->shard_n ? o->shard_i : 1,
                       o->shard_n ? o->shard_n : 1, err);
  if (rc == AS_OK)
    rc = as_journal_id_make(&s->id, cfg, o->version, s->u.total,
                            s->u.shard_i, s->u.shard_n, err);
  if (rc != AS_OK)
    return rc;
  snprintf(s->path, sizeof s->path, "%s/%s", o->out_dir, AS_JOURNAL_NAME);
  if ((rc = as_io_mkdir_p(o->out_dir, &s->created, err)) != AS_OK)
    return rc;
  return journal_start(s, o, err);
}

static int run_compute(run_state *s, const as_config *cfg,
                       const as_run_opts *o, as_err *err)
{
  as_unit_hooks sink = {NULL, sink_done, s};
  if (o->dist != NULL)
    return o->dist->compute(o->dist, &s->u, cfg, o->threads, o->progress,
                            &sink, err);
  return as_units_compute(&s->u, cfg, o->threads, o->progress, &sink, err);
}

/* The outputs of a finished computation: a shard's manifest, or the whole
 * run's files (then the journal has served its purpose). */
static int run_finish(run_state *s, const as_config *cfg,
                      const as_run_opts *o, as_err *err)
{
  int rc = as_journal_close(s->j, err);
  s->j = NULL;
  if (rc == AS_OK && o->unit_times != NULL)
    rc = write_unit_times(&s->u, o->unit_times, err);
  if (rc != AS_OK)
    return rc;
  as_rows rows = {0};
  if (o->shard_n > 0) {
    for (size_t i = 0; i < s->u.total; i++)
      rows.count += s->u.rows[i].count; /* the manifest's row count */
    as_io_outset set;
    memset(&set, 0, sizeof set);
    /* the shard's set is its journal and its manifest (the commit
     * replaces the directory as a whole: as_io.h) */
    rc = as_io_outset_link(&set, o->out_dir, AS_JOURNAL_NAME, s->path, err);
    if (rc == AS_OK)
      rc = write_manifest(&set, cfg, o, &rows, err);
    if (rc == AS_OK)
      rc = as_io_outset_commit(&set, err);
    as_io_outset_free(&set);
    return rc;
  }
  rc = as_units_gather(&s->u, &rows, err);
  if (rc == AS_OK)
    rc = as_experiment_write(cfg, o, &rows, err);
  as_rows_clear(&rows);
  if (rc == AS_OK)
    remove(s->path);
  return rc;
}

int as_experiment_run(const as_config *cfg, const as_run_opts *o,
                      as_err *err)
{
  run_state s;
  memset(&s, 0, sizeof s);
  int rank = o->dist != NULL ? o->dist->rank : 0;
  int rc = rank == 0 ? run_prepare(&s, cfg, o, err)
                     : as_units_init(&s.u, cfg, o->shard_n ? o->shard_i : 1,
                                     o->shard_n ? o->shard_n : 1, err);
  if (o->dist != NULL) {
    as_journal_id id;
    int irc = as_journal_id_make(&id, cfg, o->version, 0, 0, 0, NULL);
    rc = o->dist->agree(o->dist, rc, irc == AS_OK ? id.config : "", err);
    if (irc == AS_OK)
      as_journal_id_free(&id);
  }
  if (rc == AS_OK)
    rc = run_compute(&s, cfg, o, err);
  if (rc == AS_OK && rank == 0)
    rc = run_finish(&s, cfg, o, err);
  as_journal_close(s.j, NULL);
  if (rc != AS_OK && s.fresh) {
    /* a failed run leaves nothing behind (only a killed one keeps its
     * journal, for --resume); a resumed journal is kept as it was */
    remove(s.path);
    if (s.created != NULL)
      as_io_rmdir_created(o->out_dir, s.created);
  }
  as_units_free(&s.u);
  as_journal_id_free(&s.id);
  as_buf_free(&s.buf);
  free(s.created);
  return rc;
}
