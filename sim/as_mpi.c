/* as_mpi.c — as_mpi.h over MPI (Open MPI, Debian libopenmpi-dev).
 *
 * Messages (MPI_BYTE payloads, tags below): a thread of rank r > 0 asks
 * with REQ (empty) and gets UNIT (a u64 unit index, UINT64_MAX: none left);
 * after computing it sends ROWS (as_unitrec.h's encoding) or FAIL (u64
 * unit, i32 code, message); rank r sends BYE when its threads are done.
 * On rank 0 only the main thread calls MPI; on other ranks every call is
 * made under the runner's lock (as_units_compute's hooks), so
 * MPI_THREAD_SERIALIZED suffices. */
#include "as_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "as_progress.h"
#include "as_unitrec.h"

enum { TAG_REQ = 1, TAG_UNIT, TAG_ROWS, TAG_FAIL, TAG_BYE };

int as_mpi_built(void) { return 1; }

static int launched(void)
{
  return getenv("OMPI_COMM_WORLD_SIZE") != NULL
         || getenv("PMIX_RANK") != NULL || getenv("PMI_SIZE") != NULL;
}

/* Waiting without spinning a core the compute threads need (Open MPI's
 * blocking calls busy-poll): a short sleep that grows while nothing
 * arrives, 25 µs … 250 µs, so a request waits 125 µs on average for an
 * idle master — small next to units of milliseconds to seconds — while
 * the polling costs a few thousand wake-ups a second. */
#define BACKOFF_MIN 25000L
#define BACKOFF_MAX 250000L
static void backoff(long *ns)
{
  struct timespec t = {0, *ns};
  nanosleep(&t, NULL);
  if (*ns < BACKOFF_MAX)
    *ns = *ns * 2 < BACKOFF_MAX ? *ns * 2 : BACKOFF_MAX;
}

/* ---- agreement before computing */

static int dist_agree(const as_run_dist *d, int rc, const char *config,
                      as_err *err)
{
  unsigned long len = (unsigned long)strlen(config);
  MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG, 0, MPI_COMM_WORLD);
  char *root = malloc(len + 1);
  if (root == NULL) /* a collective cannot be left half done: end the job */
    MPI_Abort(MPI_COMM_WORLD, 1);
  if (d->rank == 0)
    memcpy(root, config, len + 1);
  MPI_Bcast(root, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
  int differs = d->rank != 0
                && (strlen(config) != len || memcmp(root, config, len) != 0);
  free(root);
  int flags[2] = {rc != AS_OK, differs}, all[2];
  MPI_Allreduce(flags, all, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rc != AS_OK)
    return rc; /* this rank's own message */
  if (differs)
    return as_err_set(err, AS_EINVAL, "rank %d parsed another configuration "
                      "than rank 0 (every rank must read the same config "
                      "file and --seed)", d->rank);
  if (all[0] || all[1]) {
    if (d->rank == 0 && !all[0])
      return as_err_set(err, AS_EINVAL, "the ranks parsed different "
                        "configurations (every rank must read the same "
                        "config file and --seed)");
    as_err_set(err, AS_EINVAL, "%s", ""); /* the failing rank says why */
    return AS_EINVAL;
  }
  return AS_OK;
}

/* ---- rank 0 */

typedef struct master {
  pthread_mutex_t lock;
  as_units *u;
  const as_config *cfg;
  const as_unit_hooks *sink;
  int threads;
  size_t scan, done;
  size_t err_unit; /* lowest failing unit, SIZE_MAX: none */
  as_err err;
  as_progress progress;
  int local_finished;
  as_err local_err;
  int local_rc;
} master;

static size_t master_next_locked(master *m)
{
  while (m->scan < m->u->total
         && (!as_units_in_share(m->u, m->scan) || m->u->have[m->scan]))
    m->scan++;
  /* units go out in increasing order: after a failure every unit below it
   * is out already, so the error reported is the lowest unit's */
  if (m->scan >= m->u->total || m->err_unit != SIZE_MAX)
    return SIZE_MAX;
  return m->scan++;
}

static void master_fail_locked(master *m, size_t unit, int rc,
                               const char *msg)
{
  if (unit >= m->err_unit)
    return;
  m->err_unit = unit;
  as_err_set(&m->err, rc, "%s", msg[0] ? msg : as_strerror(rc));
}

/* A unit finished here or on another rank: journal it, count it. */
static void master_done_locked(master *m, size_t unit, int rc,
                               const char *msg, double seconds)
{
  if (rc != AS_OK) {
    master_fail_locked(m, unit, rc, msg);
  } else if (m->sink != NULL && m->sink->done != NULL) {
    as_err e;
    as_err_clear(&e);
    int src = m->sink->done(m->sink->ctx, unit, AS_OK, NULL, seconds,
                            &m->u->rows[unit], &e);
    if (src != AS_OK)
      master_fail_locked(m, unit, src, e.msg);
  }
  as_progress_update(&m->progress, ++m->done);
}

static size_t local_next(void *ctx)
{
  master *m = ctx;
  pthread_mutex_lock(&m->lock);
  size_t u = master_next_locked(m);
  pthread_mutex_unlock(&m->lock);
  return u;
}

static int local_done(void *ctx, size_t unit, int rc, const as_err *uerr,
                      double seconds, const as_rows *rows, as_err *err)
{
  (void)rows;
  (void)err;
  master *m = ctx;
  pthread_mutex_lock(&m->lock);
  master_done_locked(m, unit, rc, rc == AS_OK ? "" : uerr->msg, seconds);
  pthread_mutex_unlock(&m->lock);
  return AS_OK; /* the master keeps the error (lowest unit wins) */
}

static void *local_main(void *arg)
{
  master *m = arg;
  as_unit_hooks h = {local_next, local_done, m};
  int rc = as_units_compute(m->u, m->cfg, m->threads, 0, &h, &m->local_err);
  pthread_mutex_lock(&m->lock);
  m->local_rc = rc;
  m->local_finished = 1;
  pthread_mutex_unlock(&m->lock);
  return NULL;
}

static void master_rows(master *m, const unsigned char *p, size_t len)
{
  uint64_t unit;
  double seconds;
  as_rows rows = {0};
  as_err e;
  as_err_clear(&e);
  pthread_mutex_lock(&m->lock);
  int rc = as_unitrec_decode(p, len, &unit, &seconds, &rows, &m->u->names,
                             &e);
  size_t u = unit < m->u->total ? (size_t)unit : 0;
  if (rc == AS_OK && (rc = as_units_set(m->u, u, seconds, &rows, &e))
      == AS_OK)
    master_done_locked(m, u, AS_OK, "", seconds);
  else
    master_fail_locked(m, u, rc, e.msg);
  pthread_mutex_unlock(&m->lock);
  as_rows_clear(&rows);
}

static void master_failed_unit(master *m, const unsigned char *p, size_t n)
{
  uint64_t unit = 0;
  int32_t code = AS_EINVAL;
  char msg[AS_ERR_MSG_MAX] = "";
  if (n >= 12) {
    memcpy(&unit, p, 8);
    memcpy(&code, p + 8, 4);
    size_t k = n - 12 < sizeof msg - 1 ? n - 12 : sizeof msg - 1;
    memcpy(msg, p + 12, k);
    msg[k] = '\0';
  }
  pthread_mutex_lock(&m->lock);
  master_done_locked(m, unit < m->u->total ? (size_t)unit : 0, code, msg,
                     0.0);
  pthread_mutex_unlock(&m->lock);
}

/* Serves requests and gathers rows until every rank said BYE and the
 * local threads are done. */
static void master_serve(master *m, int size)
{
  int byes = 0, local = 0;
  long ns = BACKOFF_MIN;
  as_buf b = {0};
  while (byes < size - 1 || !local) {
    int flag;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) {
      pthread_mutex_lock(&m->lock);
      local = m->local_finished;
      pthread_mutex_unlock(&m->lock);
      if (byes < size - 1 || !local)
        backoff(&ns);
      continue;
    }
    ns = BACKOFF_MIN;
    int n;
    MPI_Get_count(&st, MPI_BYTE, &n);
    unsigned char z = 0;
    if ((size_t)n > b.cap) {
      unsigned char *p = realloc(b.p, (size_t)n);
      if (p == NULL)
        MPI_Abort(MPI_COMM_WORLD, 1); /* the job cannot go on: end it */
      b.p = p;
      b.cap = (size_t)n;
    }
    MPI_Recv(n > 0 ? b.p : &z, n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st.MPI_TAG == TAG_REQ) {
      pthread_mutex_lock(&m->lock);
      size_t u = master_next_locked(m);
      pthread_mutex_unlock(&m->lock);
      uint64_t v = u == SIZE_MAX ? UINT64_MAX : (uint64_t)u;
      MPI_Send(&v, 1, MPI_UINT64_T, st.MPI_SOURCE, TAG_UNIT, MPI_COMM_WORLD);
    } else if (st.MPI_TAG == TAG_ROWS) {
      master_rows(m, b.p, (size_t)n);
    } else if (st.MPI_TAG == TAG_FAIL) {
      master_failed_unit(m, b.p, (size_t)n);
    } else if (st.MPI_TAG == TAG_BYE) {
      byes++;
    }
  }
  as_buf_free(&b);
}

static int run_master(as_units *u, const as_config *cfg, int threads,
                      int progress, const as_unit_hooks *sink, int size,
                      as_err *err)
{
  master m;
  memset(&m, 0, sizeof m);
  pthread_mutex_init(&m.lock, NULL);
  m.u = u;
  m.cfg = cfg;
  m.sink = sink;
  m.threads = threads;
  m.err_unit = SIZE_MAX;
  size_t share = 0;
  for (size_t i = 0; i < u->total; i++)
    share += as_units_in_share(u, i);
  m.done = share - as_units_missing(u);
  as_progress_start(&m.progress, cfg->experiment, share, progress);
  as_progress_update(&m.progress, m.done);
  pthread_t local;
  int have_local = pthread_create(&local, NULL, local_main, &m) == 0;
  if (!have_local)
    m.local_finished = 1; /* the other ranks still do every unit */
  master_serve(&m, size);
  if (have_local)
    pthread_join(local, NULL);
  as_progress_finish(&m.progress);
  pthread_mutex_destroy(&m.lock);
  if (m.err_unit != SIZE_MAX)
    return as_err_set(err, m.err.code, "cell %zu, replicate %ld: %s",
                      m.err_unit / (size_t)u->R,
                      (long)(m.err_unit % (size_t)u->R), m.err.msg);
  if (m.local_rc != AS_OK)
    return as_err_set(err, m.local_rc, "%s", m.local_err.msg);
  if (as_units_missing(u) != 0)
    return as_err_set(err, AS_EIO, "%zu units were handed out but never "
                      "came back", as_units_missing(u));
  return AS_OK;
}

/* ---- ranks > 0 */

typedef struct worker {
  as_units *u;
  as_buf buf;
} worker;

static size_t remote_next(void *ctx)
{
  worker *w = ctx;
  MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_REQ, MPI_COMM_WORLD);
  uint64_t v = UINT64_MAX;
  MPI_Request req;
  MPI_Irecv(&v, 1, MPI_UINT64_T, 0, TAG_UNIT, MPI_COMM_WORLD, &req);
  int flag = 0;
  long ns = BACKOFF_MIN;
  for (;;) {
    MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
    if (flag)
      break;
    backoff(&ns);
  }
  return v < w->u->total ? (size_t)v : SIZE_MAX;
}

static int remote_done(void *ctx, size_t unit, int rc, const as_err *uerr,
                       double seconds, const as_rows *rows, as_err *err)
{
  worker *w = ctx;
  w->buf.len = 0;
  if (rc == AS_OK) {
    if (as_unitrec_encode(&w->buf, unit, seconds, rows) != AS_OK)
      return as_err_set(err, AS_ENOMEM, "out of memory");
  } else {
    uint64_t u64 = unit;
    int32_t code = rc;
    if (as_buf_put(&w->buf, &u64, 8) != AS_OK
        || as_buf_put(&w->buf, &code, 4) != AS_OK
        || as_buf_put(&w->buf, uerr->msg, strlen(uerr->msg)) != AS_OK)
      return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  MPI_Send(w->buf.p, (int)w->buf.len, MPI_BYTE, 0,
           rc == AS_OK ? TAG_ROWS : TAG_FAIL, MPI_COMM_WORLD);
  return AS_OK;
}

static int run_worker(as_units *u, const as_config *cfg, int threads)
{
  worker w = {u, {0}};
  as_unit_hooks h = {remote_next, remote_done, &w};
  as_err e;
  /* a unit's failure went to rank 0, which reports the run's error */
  as_units_compute(u, cfg, threads, 0, &h, &e);
  MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_BYE, MPI_COMM_WORLD);
  as_buf_free(&w.buf);
  return AS_OK;
}

static int dist_compute(const as_run_dist *d, as_units *u,
                        const as_config *cfg, int threads, int progress,
                        const as_unit_hooks *sink, as_err *err)
{
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (d->rank == 0)
    return run_master(u, cfg, threads, progress, sink, size, err);
  return run_worker(u, cfg, threads);
}

/* ---- start and stop */

int as_mpi_start(int *argc, char ***argv, as_run_dist *d, int *active,
                 as_err *err)
{
  *active = 0;
  if (!launched())
    return AS_OK;
  int provided;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided)
      != MPI_SUCCESS)
    return as_err_set(err, AS_EIO, "MPI_Init_thread failed");
  if (provided < MPI_THREAD_SERIALIZED)
    return as_err_set(err, AS_ENOTSUP, "this MPI library does not provide "
                      "MPI_THREAD_SERIALIZED");
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2)
    return AS_OK;
  memset(d, 0, sizeof *d);
  d->rank = rank;
  d->agree = dist_agree;
  d->compute = dist_compute;
  *active = 1;
  return AS_OK;
}

void as_mpi_stop(void)
{
  int started = 0, finished = 0;
  MPI_Initialized(&started);
  MPI_Finalized(&finished);
  if (started && !finished)
    MPI_Finalize();
}
