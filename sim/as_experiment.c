/* as_experiment.c — the experiment runner (see as_experiment.h): the table
 * of experiment kinds, units over pthreads, outputs in unit order. */
#include "as_experiment.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "as_io.h"
#include "as_progress.h"
#include "as_results.h"

/* ---- the kinds: one line per kind (its definition is in its own file) */
extern const as_experiment_kind as_kind_tabular;   /* as_kind_tabular.c   */
extern const as_experiment_kind as_kind_smoothing; /* as_kind_smoothing.c */
extern const as_experiment_kind as_kind_finite;    /* as_kind_finite.c    */
extern const as_experiment_kind as_kind_mu2;       /* as_kind_mu2.c (E7)  */
extern const as_experiment_kind as_kind_coverage;  /* as_kind_coverage.c  */
extern const as_experiment_kind as_kind_dpo;       /* as_kind_dpo.c       */
extern const as_experiment_kind as_kind_atlas;     /* as_kind_atlas.c E11 */

static const as_experiment_kind *const kinds[] = {
  &as_kind_tabular,
  &as_kind_smoothing,
  &as_kind_finite,
  &as_kind_mu2,
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

/* ---- scheduling */

typedef struct pool {
  const as_config *cfg;
  const as_experiment_kind *kind;
  size_t total, next, done;
  long R;
  as_rows *unit_rows; /* one list per unit, by unit index */
  size_t err_unit;    /* lowest failing unit (SIZE_MAX: none) */
  as_err err;
  pthread_mutex_t lock;
  as_progress progress;
} pool;

static void *worker(void *arg)
{
  pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t u = p->next;
    /* stop handing out work after a failure; a unit below the failing one
     * still runs so the reported error is the lowest unit's, whatever the
     * thread count */
    int stop = u >= p->total || u > p->err_unit;
    if (!stop)
      p->next++;
    pthread_mutex_unlock(&p->lock);
    if (stop)
      return NULL;
    size_t cell = u / (size_t)p->R;
    long rep = (long)(u % (size_t)p->R);
    as_err e;
    as_err_clear(&e);
    int rc = p->kind->run_unit(p->cfg, cell, rep, &p->unit_rows[u], &e);
    pthread_mutex_lock(&p->lock);
    if (rc != AS_OK && u < p->err_unit) {
      p->err_unit = u;
      p->err = e;
      if (p->err.code == AS_OK)
        as_err_set(&p->err, rc, "unit %zu failed", u);
    }
    p->done++;
    as_progress_update(&p->progress, p->done);
    pthread_mutex_unlock(&p->lock);
  }
}

int as_experiment_compute(const as_config *cfg, int threads, int progress,
                          as_rows *rows, as_err *err)
{
  memset(rows, 0, sizeof *rows);
  const as_experiment_kind *kind = as_experiment_kind_find(cfg->kind);
  if (kind == NULL) {
    char known[256] = "";
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
      if (i)
        strncat(known, ", ", sizeof known - strlen(known) - 1);
      strncat(known, kinds[i]->name, sizeof known - strlen(known) - 1);
    }
    return as_err_set(err, AS_ENOTSUP, "%s: experiment kind '%s' is not "
                      "known (known kinds: %s)", cfg->path, cfg->kind,
                      known);
  }
  int rc = kind->check(cfg, err);
  if (rc != AS_OK)
    return rc;
  if (cfg->bounds != AS_CONFIG_BOUNDS_NONE && kind->aux_label == NULL)
    return as_err_set(err, AS_ENOTSUP, "%s: 'bounds = \"%s\"' is reported by "
                      "kind 'tabular' only, not by kind '%s'", cfg->path,
                      as_config_bounds_name(cfg->bounds), kind->name);
  if (threads < 1 || threads > 1024)
    return as_err_set(err, AS_EINVAL, "threads = %d must be in [1, 1024]",
                      threads);
  pool p;
  memset(&p, 0, sizeof p);
  p.cfg = cfg;
  p.kind = kind;
  p.R = cfg->replicates;
  size_t cells = kind->n_cells(cfg);
  if (cells == 0 || cells > SIZE_MAX / (size_t)p.R)
    return as_err_set(err, AS_EINVAL, "%s: %zu cells", cfg->path, cells);
  p.total = cells * (size_t)p.R;
  p.err_unit = SIZE_MAX;
  p.unit_rows = calloc(p.total, sizeof *p.unit_rows);
  if (p.unit_rows == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  pthread_mutex_init(&p.lock, NULL);
  as_progress_start(&p.progress, cfg->experiment, p.total, progress);
  if ((size_t)threads > p.total)
    threads = (int)p.total;
  pthread_t *tid = malloc((size_t)threads * sizeof *tid);
  int started = 0;
  if (tid != NULL)
    for (; started < threads; started++)
      if (pthread_create(&tid[started], NULL, worker, &p) != 0)
        break;
  if (started == 0) /* no thread could start: run here */
    worker(&p);
  for (int i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  free(tid);
  as_progress_finish(&p.progress);
  pthread_mutex_destroy(&p.lock);
  rc = AS_OK;
  if (p.err_unit != SIZE_MAX) {
    size_t cell = p.err_unit / (size_t)p.R;
    rc = as_err_set(err, p.err.code, "cell %zu, replicate %ld: %s", cell,
                    (long)(p.err_unit % (size_t)p.R), p.err.msg);
  }
  /* concatenate in unit order: identical for every thread count */
  for (size_t u = 0; u < p.total && rc == AS_OK; u++)
    for (size_t i = 0; i < p.unit_rows[u].count && rc == AS_OK; i++)
      if (as_rows_push(rows, &p.unit_rows[u].row[i]) != AS_OK)
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
  for (size_t u = 0; u < p.total; u++)
    as_rows_clear(&p.unit_rows[u]);
  free(p.unit_rows);
  if (rc != AS_OK)
    as_rows_clear(rows);
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

int as_experiment_run(const as_config *cfg, const as_run_opts *o,
                      as_err *err)
{
  if (strchr(o->out_dir, '\'') != NULL)
    return as_err_set(err, AS_EINVAL, "--out: '%s' contains a quote",
                      o->out_dir);
  /* A missing figure script is found before the computation, not after
   * it (when the results would already be in place): bad input, exit 2. */
  for (size_t i = 0; o->plots && i < cfg->n_figures; i++) {
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
  as_rows rows;
  int rc = as_experiment_compute(cfg, o->threads, o->progress, &rows, err);
  if (rc != AS_OK)
    return rc;
  if ((rc = as_io_mkdir_p(o->out_dir, NULL, err)) != AS_OK) {
    as_rows_clear(&rows);
    return rc;
  }
  as_io_outset set;
  memset(&set, 0, sizeof set);
  const as_experiment_kind *kind = as_experiment_kind_find(cfg->kind);
  rc = as_results_write(&set, o->out_dir, cfg, kind, &rows, err);
  if (rc == AS_OK)
    rc = write_manifest(&set, cfg, o, &rows, err);
  if (rc == AS_OK)
    rc = as_io_outset_commit(&set, err);
  as_io_outset_free(&set);
  as_rows_clear(&rows);
  if (rc != AS_OK || !o->plots)
    return rc;
  for (size_t i = 0; i < cfg->n_figures; i++)
    if ((rc = draw_figure(o, cfg->figures[i], err)) != AS_OK)
      return rc;
  return AS_OK;
}
