/* as_io.c — plain-text interchange formats of docs/reference.md §7; see as_io.h.
 *
 * Readers parse with strtoull/strtod and check the end pointer, errno and
 * the sign by hand (strtoull accepts "-1" and wraps it), so nothing is ever
 * read as a silently different number.  Messages have the form
 * "FILE:LINE: what is wrong (the value)". */
#include "as_io.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "as_limits.h"
#include "as_math.h"

#define MAX_FIELDS 8

/* Rows are within 1e-6 of normalised (docs/reference.md §7 contract).  A row further
 * than 1e-12 from 0 (e.g. printed with few digits) is renormalised so the
 * object is normalised to double precision; a row already that close is
 * kept bit for bit, so write → read round-trips exactly. */
#define NORM_TOL 1e-6
#define RENORM_TOL 1e-12

/* ---------------------------------------------------------------- atomic */

FILE *as_io_open_tmp(const char *path, char *tmp_path, size_t tmp_size,
                     as_err *err)
{
  int len = snprintf(tmp_path, tmp_size, "%s.tmp.%ld", path, (long)getpid());
  if (len < 0 || (size_t)len >= tmp_size) {
    as_err_set(err, AS_EINVAL, "%s: path too long", path);
    return NULL;
  }
  FILE *f = fopen(tmp_path, "w");
  if (f == NULL)
    as_err_set(err, AS_EIO, "%s: cannot open for writing: %s", tmp_path,
               strerror(errno));
  else
    as_io_track_tmp(tmp_path);   /* removed on SIGINT/SIGTERM */
  return f;
}

/* The reason of a failed write: stdio keeps only the error flag, and a
 * full disk must be reported as such, not as "Input/output error". */
static int write_errno(FILE *f, int e)
{
  struct statvfs vfs;
  if (e == ENOSPC || e == EDQUOT)
    return e;
  if (fstatvfs(fileno(f), &vfs) == 0 && vfs.f_bavail == 0)
    return ENOSPC;
  return e != 0 ? e : EIO;
}

int as_io_finish_tmp(FILE *f, const char *tmp_path, as_err *err)
{
  int bad = ferror(f) != 0;
  int e = bad ? write_errno(f, 0) : 0;
  if (fflush(f) != 0 && !bad) {
    bad = 1;
    e = write_errno(f, errno);
  }
  /* Data must reach the disk before the rename makes it visible (ext4 and
   * xfs may otherwise show an empty file after a crash); fsync is also
   * where a delayed ENOSPC surfaces. */
  if (!bad && fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS) {
    bad = 1;
    e = write_errno(f, errno);
  }
  if (fclose(f) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  if (bad) {
    remove(tmp_path);
    as_io_untrack_tmp(tmp_path);
    return as_err_set(err, AS_EIO, "%s: write failed: %s%s", tmp_path,
                      strerror(e), e == ENOSPC ? " (the disk is full)" : "");
  }
  return AS_OK;
}

int as_io_rename_tmp(const char *tmp_path, const char *path, as_err *err)
{
  if (rename(tmp_path, path) != 0) {
    int e = errno;
    remove(tmp_path);
    as_io_untrack_tmp(tmp_path);
    return as_err_set(err, AS_EIO, "%s: cannot rename %s onto it: %s", path,
                      tmp_path, strerror(e));
  }
  as_io_untrack_tmp(tmp_path);
  return AS_OK;
}

int as_io_commit(FILE *f, const char *tmp_path, const char *path, int ok,
                 as_err *err)
{
  if (!ok) {
    /* Callers write `return as_io_commit(f, tmp, path, ok, err)`, so a
     * failed write must come back as an error, never as AS_OK. */
    fclose(f);
    remove(tmp_path);
    as_io_untrack_tmp(tmp_path);
    return as_err_set(err, AS_EIO, "%s: write failed, nothing written", path);
  }
  int rc = as_io_finish_tmp(f, tmp_path, err);
  if (rc != AS_OK)
    return rc;
  return as_io_rename_tmp(tmp_path, path, err);
}

void as_io_format_date_utc(char *buf, size_t size)
{
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL ||
      strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buf, size, "unknown");
}

/* ----------------------------------------------------------- directories */

int as_io_mkdir_p(const char *dir, char **created, as_err *err)
{
  if (created != NULL)
    *created = NULL;
  char *p = strdup(dir);
  if (p == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  size_t len = strlen(p);
  for (size_t i = 1; i <= len; i++) {
    if (p[i] != '/' && p[i] != '\0')
      continue;
    char save = p[i];
    p[i] = '\0';
    if (mkdir(p, 0777) == 0) {
      if (created != NULL && *created == NULL &&
          (*created = strdup(p)) == NULL) {
        free(p);
        return as_err_set(err, AS_ENOMEM, "out of memory");
      }
    } else if (errno != EEXIST) {
      int e = errno;
      free(p);
      return as_err_set(err, AS_EIO, "%s: cannot create directory: %s", dir,
                        strerror(e));
    }
    p[i] = save;
  }
  free(p);
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return as_err_set(err, AS_EIO, "%s: not a directory", dir);
  return AS_OK;
}

void as_io_rmdir_created(const char *dir, const char *created)
{
  if (created == NULL)
    return;
  size_t keep = strlen(created);
  char *p = strdup(dir);
  while (p != NULL && strlen(p) >= keep) {
    rmdir(p);
    char *slash = strrchr(p, '/');
    if (slash == NULL)
      break;
    *slash = '\0';
  }
  free(p);
}

/* A writer body, wrapped in the temp-file-and-rename protocol. */
static int write_atomic(const char *path, int (*body)(FILE *, const void *,
                                                      as_err *),
                        const void *arg, as_err *err)
{
  char tmp[4096];
  FILE *f = as_io_open_tmp(path, tmp, sizeof tmp, err);
  if (f == NULL)
    return err != NULL ? err->code : AS_EIO;
  int rc = body(f, arg, err);
  if (rc != AS_OK) {
    as_io_commit(f, tmp, path, 0, NULL);
    if (err != NULL) {               /* name the file in the message */
      char m[AS_ERR_MSG_MAX];
      snprintf(m, sizeof m, "%s", err->msg);
      as_err_set(err, rc, "%s: %s", path, m);
    }
    return rc;
  }
  return as_io_commit(f, tmp, path, 1, err);
}

/* --------------------------------------------------------------- writers */

int as_io_fprint_instance(FILE *f, const as_instance *inst, as_err *err)
{
  size_t K = inst->K, V = inst->V;
  for (size_t i = 0; i < K * V; i++) {
    double s = inst->log_pi_star[i], r = inst->log_pi_ref[i],
           m = inst->log_mu[i];
    if (!isfinite(s) || isnan(r) || r == INFINITY || isnan(m) ||
        m == INFINITY)
      return as_err_set(err, AS_EINVAL, "instance: invalid entry at (x=%zu, "
                        "y=%zu): %g %g %g", i / V, i % V, s, r, m);
  }
  /* The format has no ρ or μ' column and the reader returns ρ uniform and
   * μ' = μ: an instance that differs from that would be read back as a
   * different instance, so it is refused rather than silently changed.
   * RENORM_TOL is the reader's own "already normalised" tolerance. */
  double lk = -log((double)K);
  for (size_t x = 0; x < K; x++)
    if (!(fabs(inst->log_rho[x] - lk) <= RENORM_TOL))
      return as_err_set(err, AS_EINVAL, "instance: rho is not uniform "
                        "(rho[%zu] = %.17g, 1/K = %.17g) and the instance "
                        "format has no rho column", x, exp(inst->log_rho[x]),
                        1.0 / (double)K);
  for (size_t i = 0; i < K * V; i++) {
    double m = inst->log_mu[i], m2 = inst->log_mu2[i];
    if (!(m == m2 || fabs(m - m2) <= RENORM_TOL))
      return as_err_set(err, AS_EINVAL, "instance: mu' differs from mu at "
                        "(x=%zu, y=%zu): log mu' = %.17g, log mu = %.17g, and "
                        "the instance format has no mu' column", i / V, i % V,
                        m2, m);
  }
  fputs("context\tresponse\tlog_pi_star\tlog_pi_ref\tlog_mu\n", f);
  /* %.17g prints every double so that strtod gives back the same bits. */
  for (size_t x = 0; x < K; x++)
    for (size_t y = 0; y < V; y++) {
      size_t i = x * V + y;
      fprintf(f, "%zu\t%zu\t%.17g\t%.17g\t%.17g\n", x, y,
              inst->log_pi_star[i], inst->log_pi_ref[i], inst->log_mu[i]);
    }
  return ferror(f) ? as_err_set(err, AS_EIO, "instance: write error: %s",
                                  strerror(errno))
                   : AS_OK;
}

int as_io_fprint_comparisons(FILE *f, const as_counts *c, as_err *err)
{
  return as_io_fprint_counts(f, c, "context\twinner\tloser\tcount", err);
}

int as_io_fprint_counts(FILE *f, const as_counts *c, const char *header,
                        as_err *err)
{
  size_t K = c->K, V = c->V;
  fprintf(f, "%s\n", header);
  for (size_t x = 0; x < K; x++)
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < V; b++) {
        uint64_t n = c->N[(x * V + a) * V + b];
        if (n != 0)
          fprintf(f, "%zu\t%zu\t%zu\t%" PRIu64 "\n", x, a, b, n);
      }
  return ferror(f) ? as_err_set(err, AS_EIO, "comparisons: write error: %s",
                                  strerror(errno))
                   : AS_OK;
}

int as_io_fprint_table(FILE *f, size_t K, size_t V, const double *values,
                       const char *value_name, as_err *err)
{
  for (size_t i = 0; i < K * V; i++)
    if (isnan(values[i]) || values[i] == INFINITY)
      return as_err_set(err, AS_EINVAL, "table: invalid value at (x=%zu, "
                        "y=%zu): %g", i / V, i % V, values[i]);
  fprintf(f, "context\tresponse\t%s\n", value_name != NULL ? value_name
                                                             : "value");
  for (size_t x = 0; x < K; x++)
    for (size_t y = 0; y < V; y++)
      fprintf(f, "%zu\t%zu\t%.17g\n", x, y, values[x * V + y]);
  return ferror(f) ? as_err_set(err, AS_EIO, "table: write error: %s",
                                  strerror(errno)) : AS_OK;
}

static int body_instance(FILE *f, const void *arg, as_err *err)
{
  return as_io_fprint_instance(f, arg, err);
}

static int body_comparisons(FILE *f, const void *arg, as_err *err)
{
  return as_io_fprint_comparisons(f, arg, err);
}

struct table_arg {
  size_t K, V;
  const double *values;
  const char *name;
};

static int body_table(FILE *f, const void *arg, as_err *err)
{
  const struct table_arg *t = arg;
  return as_io_fprint_table(f, t->K, t->V, t->values, t->name, err);
}

int as_io_write_instance(const char *path, const as_instance *inst,
                         as_err *err)
{
  if (path == NULL || inst == NULL)
    return as_err_set(err, AS_EINVAL, "write_instance: NULL argument");
  return write_atomic(path, body_instance, inst, err);
}

int as_io_write_comparisons(const char *path, const as_counts *c, as_err *err)
{
  if (path == NULL || c == NULL)
    return as_err_set(err, AS_EINVAL, "write_comparisons: NULL argument");
  return write_atomic(path, body_comparisons, c, err);
}

int as_io_write_table(const char *path, size_t K, size_t V,
                      const double *values, const char *value_name,
                      as_err *err)
{
  if (path == NULL || values == NULL)
    return as_err_set(err, AS_EINVAL, "write_table: NULL argument");
  struct table_arg t = {K, V, values, value_name};
  return write_atomic(path, body_table, &t, err);
}

/* --------------------------------------------------------------- reading */

typedef struct reader {
  const char *path;
  FILE *f;
  size_t line;        /* number of the line last read (1-based)          */
  size_t last_line;   /* number of lines in the file once EOF was hit    */
  int data_seen;      /* a data line (or the header) has been read       */
  char *buf;
  size_t cap;
  char *fld[MAX_FIELDS + 1];
  int nf;             /* number of fields, capped at MAX_FIELDS + 1      */
} reader;

static int reader_open(reader *r, const char *path, as_err *err)
{
  memset(r, 0, sizeof *r);
  r->path = path;
  r->f = as_limits_open_input(path, err);
  return r->f != NULL ? AS_OK : AS_EIO;
}

static void reader_close(reader *r)
{
  as_limits_close_input(r->f);
  free(r->buf);
  r->f = NULL;
  r->buf = NULL;
}

/* Reads the next line that holds fields (comments and blank lines
 * skipped).  Returns 1 with r->fld/r->nf set, 0 at end of file, or an
 * error code < 0 (the error is in err). */
static int reader_next(reader *r, as_err *err)
{
  for (;;) {
    errno = 0;
    ssize_t len = getline(&r->buf, &r->cap, r->f);
    if (len < 0) {
      if (ferror(r->f)) {
        as_err_set(err, AS_EIO, "%s:%zu: read error: %s", r->path,
                   r->line + 1, strerror(errno));
        return -1;
      }
      r->last_line = r->line;
      return 0;
    }
    r->line++;
    if ((size_t)len != strlen(r->buf)) {
      as_err_set(err, AS_EPARSE, "%s:%zu: NUL byte in line", r->path,
                 r->line);
      return -1;
    }
    char *hash = strchr(r->buf, '#');
    if (hash != NULL)
      *hash = '\0';
    r->nf = 0;
    char *s = r->buf;
    for (;;) {
      while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
      if (*s == '\0')
        break;
      if (r->nf <= MAX_FIELDS)
        r->fld[r->nf] = s;
      r->nf += r->nf <= MAX_FIELDS;
      while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
             *s != '\n')
        s++;
      if (*s != '\0')
        *s++ = '\0';
    }
    if (r->nf > 0)
      return 1;
  }
}

/* "FILE:LINE: what (value)", value cut to 64 characters. */
static int perr(const reader *r, const char *what, const char *value,
                as_err *err)
{
  if (value != NULL)
    return as_err_set(err, AS_EPARSE, "%s:%zu: %s (%.64s)", r->path, r->line,
                      what, value);
  return as_err_set(err, AS_EPARSE, "%s:%zu: %s", r->path, r->line, what);
}

static int is_number(const char *s)
{
  char *end;
  errno = 0;
  (void)strtod(s, &end);
  return end != s && *end == '\0';
}

/* The first data line is a header when none of its fields is a number
 * (not merely its first one: "x1 0 1 5" is a data row with a typo, to be
 * reported, not skipped as a header).  Returns 1 if the current line is
 * that header (and should be skipped). */
static int reader_is_header(reader *r)
{
  int first = !r->data_seen;
  r->data_seen = 1;
  if (!first)
    return 0;
  int nf = r->nf <= MAX_FIELDS ? r->nf : MAX_FIELDS;
  return as_io_fields_are_header((const char *const *)r->fld, (size_t)nf);
}

int as_io_fields_are_header(const char *const *fields, size_t nf)
{
  for (size_t j = 0; j < nf; j++)
    if (is_number(fields[j]))
      return 0;
  return 1;
}

/* A non-negative decimal integer below 2^64; what names the field. */
static int parse_u64(const reader *r, const char *s, const char *what,
                     uint64_t *out, as_err *err)
{
  char msg[128];
  if (s[0] == '-' && is_number(s)) {
    snprintf(msg, sizeof msg, "%s is negative", what);
    return perr(r, msg, s, err);
  }
  if (s[0] < '0' || s[0] > '9') {
    snprintf(msg, sizeof msg, "%s is not a non-negative integer", what);
    return perr(r, msg, s, err);
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0') {
    snprintf(msg, sizeof msg, "%s is not a non-negative integer", what);
    return perr(r, msg, s, err);
  }
  if (errno == ERANGE) {
    snprintf(msg, sizeof msg, "%s overflows 64 bits", what);
    return perr(r, msg, s, err);
  }
  *out = (uint64_t)v;
  return AS_OK;
}

/* A real number: NaN and +inf rejected, -inf only when allow_neg_inf. */
static int parse_real(const reader *r, const char *s, const char *what,
                      int allow_neg_inf, double *out, as_err *err)
{
  char msg[128];
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0') {
    snprintf(msg, sizeof msg, "%s is not a number", what);
    return perr(r, msg, s, err);
  }
  if (isnan(v)) {
    snprintf(msg, sizeof msg, "%s is NaN", what);
    return perr(r, msg, s, err);
  }
  if (errno == ERANGE && isinf(v)) {   /* underflow to a subnormal is fine */
    snprintf(msg, sizeof msg, "%s overflows a double", what);
    return perr(r, msg, s, err);
  }
  if (v == INFINITY || (v == -INFINITY && !allow_neg_inf)) {
    snprintf(msg, sizeof msg, "%s is not finite", what);
    return perr(r, msg, s, err);
  }
  *out = v;
  return AS_OK;
}

/* ------------------------------------------------------- K×V grid tables */

#define GRID_MAX_VALS 3
#define GRID_MAX_INDEX ((uint64_t)1 << 31)

typedef struct grid_row {
  uint64_t x, y;
  size_t line;
  double v[GRID_MAX_VALS];
} grid_row;

static int grid_row_cmp(const void *pa, const void *pb)
{
  const grid_row *a = pa, *b = pb;
  if (a->x != b->x)
    return a->x < b->x ? -1 : 1;
  if (a->y != b->y)
    return a->y < b->y ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

typedef struct grid_spec {
  int nvals;
  const char *names[GRID_MAX_VALS];
  int allow_neg_inf[GRID_MAX_VALS];
  int normalised;            /* each column's rows must be log-distributions */
} grid_spec;


/* Reads a complete K×V table with spec->nvals values per (x, y) into
 * vals[j][x*V + y] (each allocated here).  *K / *V are inferred when 0. */
static int grid_read(const char *path, const grid_spec *spec, size_t *Kp,
                     size_t *Vp, double *vals[GRID_MAX_VALS], as_err *err)
{
  reader r;
  int rc = reader_open(&r, path, err);
  if (rc != AS_OK)
    return rc;
  grid_row *rows = NULL;
  size_t n = 0, cap = 0;
  uint64_t maxx = 0, maxy = 0;
  int got;
  char msg[160];
  for (int j = 0; j < spec->nvals; j++)
    vals[j] = NULL;
  while ((got = reader_next(&r, err)) > 0) {
    if (reader_is_header(&r))
      continue;
    if (r.nf != 2 + spec->nvals) {
      char val[32];
      snprintf(msg, sizeof msg, "wrong number of columns, expected %d",
               2 + spec->nvals);
      snprintf(val, sizeof val, "found %s%d",
               r.nf > MAX_FIELDS ? "more than " : "",
               r.nf > MAX_FIELDS ? MAX_FIELDS : r.nf);
      rc = perr(&r, msg, val, err);
      goto fail;
    }
    grid_row row;
    row.line = r.line;
    if ((rc = parse_u64(&r, r.fld[0], "context", &row.x, err)) != AS_OK ||
        (rc = parse_u64(&r, r.fld[1], "response", &row.y, err)) != AS_OK)
      goto fail;
    /* Every (x, y) must be listed, so an index this large cannot be right
     * and would make K·V overflow. */
    if (row.x >= GRID_MAX_INDEX || row.y >= GRID_MAX_INDEX) {
      rc = perr(&r, "index too large (limit 2^31)",
                r.fld[row.x >= GRID_MAX_INDEX ? 0 : 1], err);
      goto fail;
    }
    if (*Kp != 0 && row.x >= *Kp) {
      snprintf(msg, sizeof msg, "context out of range [0, %zu)", *Kp);
      rc = perr(&r, msg, r.fld[0], err);
      goto fail;
    }
    if (*Vp != 0 && row.y >= *Vp) {
      snprintf(msg, sizeof msg, "response out of range [0, %zu)", *Vp);
      rc = perr(&r, msg, r.fld[1], err);
      goto fail;
    }
    for (int j = 0; j < spec->nvals; j++)
      if ((rc = parse_real(&r, r.fld[2 + j], spec->names[j],
                           spec->allow_neg_inf[j], &row.v[j], err)) != AS_OK)
        goto fail;
    if (row.x > maxx)
      maxx = row.x;
    if (row.y > maxy)
      maxy = row.y;
    if (n == cap) {
      size_t nc = cap ? 2 * cap : 64;
      char where[4200];
      snprintf(where, sizeof where, "%s:%zu", path, r.line);
      if ((rc = as_limits_check(where, "the table rows so far",
                                (double)nc * sizeof *rows, err)) != AS_OK)
        goto fail;
      grid_row *t = realloc(rows, nc * sizeof *t);
      if (t == NULL) {
        rc = as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
        goto fail;
      }
      rows = t;
      cap = nc;
    }
    rows[n++] = row;
  }
  if (got < 0) {
    rc = err != NULL ? err->code : AS_EIO;
    goto fail;
  }
  r.line = r.last_line;
  if (n == 0) {
    rc = perr(&r, "no data rows", NULL, err);
    goto fail;
  }
  size_t K = *Kp ? *Kp : (size_t)maxx + 1;
  size_t V = *Vp ? *Vp : (size_t)maxy + 1;
  qsort(rows, n, sizeof *rows, grid_row_cmp);
  for (size_t i = 1; i < n; i++)
    if (rows[i].x == rows[i - 1].x && rows[i].y == rows[i - 1].y) {
      r.line = rows[i].line;
      snprintf(msg, sizeof msg, "duplicate row, first on line %zu",
               rows[i - 1].line);
      char val[64];
      snprintf(val, sizeof val, "context %" PRIu64 ", response %" PRIu64,
               rows[i].x, rows[i].y);
      rc = perr(&r, msg, val, err);
      goto fail;
    }
  /* Distinct rows, all in range (indices < 2^31, so K·V cannot overflow):
   * the table is complete iff there are K·V of them; otherwise the first
   * row out of its place in the enumeration 0..K·V−1 names a missing one. */
  if ((uint64_t)n != (uint64_t)K * V) {
    size_t i = 0;
    while (i < n && rows[i].x == i / V && rows[i].y == i % V)
      i++;
    char val[64];
    snprintf(val, sizeof val, "context %zu, response %zu", i / V, i % V);
    rc = perr(&r, "missing row (at end of file)", val, err);
    goto fail;
  }
  for (int j = 0; j < spec->nvals; j++) {
    vals[j] = malloc(K * V * sizeof **vals);
    if (vals[j] == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
      goto fail;
    }
    for (size_t i = 0; i < n; i++)
      vals[j][i] = rows[i].v[j];
  }
  if (spec->normalised)
    for (size_t x = 0; x < K; x++) {
      size_t first = rows[x * V].line;
      for (size_t y = 1; y < V; y++)
        if (rows[x * V + y].line < first)
          first = rows[x * V + y].line;
      for (int j = 0; j < spec->nvals; j++) {
        double *row = vals[j] + x * V;
        double z = as_logsumexp(row, V);
        if (!(fabs(z) <= NORM_TOL)) {
          r.line = first;
          snprintf(msg, sizeof msg, "%s of context %zu is not normalised: "
                   "logsumexp over its rows is not within 1e-6 of 0",
                   spec->names[j], x);
          char val[48];
          snprintf(val, sizeof val, "%.17g", z);
          rc = perr(&r, msg, val, err);
          goto fail;
        }
        if (fabs(z) > RENORM_TOL)
          for (size_t y = 0; y < V; y++)
            row[y] -= z;
      }
    }
  free(rows);
  reader_close(&r);
  *Kp = K;
  *Vp = V;
  return AS_OK;
fail:
  for (int j = 0; j < spec->nvals; j++) {
    free(vals[j]);
    vals[j] = NULL;
  }
  free(rows);
  reader_close(&r);
  return rc;
}

int as_io_read_instance(const char *path, as_instance **out, as_err *err)
{
  if (path == NULL || out == NULL)
    return as_err_set(err, AS_EINVAL, "read_instance: NULL argument");
  *out = NULL;
  /* π* has full support (docs/reference.md §1): no -inf in its column. */
  grid_spec spec = {3, {"log_pi_star", "log_pi_ref", "log_mu"}, {0, 1, 1}, 1};
  size_t K = 0, V = 0;
  double *vals[GRID_MAX_VALS];
  int rc = grid_read(path, &spec, &K, &V, vals, err);
  if (rc != AS_OK)
    return rc;
  as_instance *inst = NULL;
  if (V < 2) {
    rc = as_err_set(err, AS_EPARSE, "%s:1: an instance needs at least 2 "
                    "responses (V = %zu)", path, V);
    goto done;
  }
  inst = as_instance_new(K, V);
  if (inst == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  memcpy(inst->log_pi_star, vals[0], K * V * sizeof(double));
  memcpy(inst->log_pi_ref, vals[1], K * V * sizeof(double));
  memcpy(inst->log_mu, vals[2], K * V * sizeof(double));
  memcpy(inst->log_mu2, vals[2], K * V * sizeof(double));   /* μ' = μ */
  for (size_t x = 0; x < K; x++)
    inst->log_rho[x] = -log((double)K);                      /* ρ uniform */
  *out = inst;
done:
  for (int j = 0; j < 3; j++)
    free(vals[j]);
  return rc;
}

int as_io_read_table(const char *path, size_t *K, size_t *V, double **values,
                     int normalised, as_err *err)
{
  if (path == NULL || K == NULL || V == NULL || values == NULL)
    return as_err_set(err, AS_EINVAL, "read_table: NULL argument");
  *values = NULL;
  grid_spec spec = {1, {"value"}, {normalised != 0}, normalised != 0};
  double *vals[GRID_MAX_VALS];
  int rc = grid_read(path, &spec, K, V, vals, err);
  if (rc == AS_OK)
    *values = vals[0];
  return rc;
}

/* ----------------------------------------------------------- comparisons */

/* One parsed comparisons line: rc AS_OK and *is_data = 0 for the header. */
static int comp_parse(reader *r, size_t K, size_t V, uint64_t f[4],
                      int *is_data, as_err *err)
{
  char msg[96];
  *is_data = 0;
  if (reader_is_header(r))
    return AS_OK;
  if (r->nf != 3 && r->nf != 4) {
    snprintf(msg, sizeof msg, "found %s%d",
             r->nf > MAX_FIELDS ? "more than " : "",
             r->nf > MAX_FIELDS ? MAX_FIELDS : r->nf);
    return perr(r, "wrong number of columns, expected 3 or 4", msg, err);
  }
  static const char *const what[4] = {"context", "winner", "loser", "count"};
  int rc;
  f[3] = 1;                               /* count defaults to 1 (docs/reference.md §7) */
  for (int j = 0; j < r->nf; j++)
    if ((rc = parse_u64(r, r->fld[j], what[j], &f[j], err)) != AS_OK)
      return rc;
  for (int j = 0; j < 3; j++) {
    size_t lim = j == 0 ? K : V;
    if (lim != 0 && f[j] >= lim) {
      snprintf(msg, sizeof msg, "%s out of range [0, %zu)", what[j], lim);
      return perr(r, msg, r->fld[j], err);
    }
  }
  *is_data = 1;
  return AS_OK;
}

/* The count table of a one-pass read: dimensions grow (by doubling, at
 * least to the index seen) while K or V is inferred; each growth is
 * checked against the memory limit (as_limits.h) at the line that asks
 * for it, before anything is allocated. */
typedef struct comp_table {
  as_counts *c;
  size_t Kfix, Vfix;   /* given dimensions, 0 when inferred */
} comp_table;

/* The dimensions a grown table gets: doubled where they grow, so that the
 * number of re-layouts stays logarithmic, and cut back to what the memory
 * limit holds when the doubled table would not fit.  Growing only to the
 * row's need near the limit would copy the whole table once for every new
 * index: fuzzing found a 90-byte input that made 16 copies of a 15 MB
 * table.  The caller has checked that K x V x V itself fits. */
static int comp_table_grown(const comp_table *t, uint64_t K0, uint64_t V0,
                            uint64_t K, uint64_t V, uint64_t *K2,
                            uint64_t *V2, as_err *err)
{
  uint64_t bytes;
  int rc = as_limits_mem(&bytes, err);
  if (rc != AS_OK)
    return rc;
  double cells = (double)bytes / sizeof(uint64_t);
  uint64_t k = t->Kfix || K <= K0 ? K : (2 * K0 > K ? 2 * K0 : K);
  uint64_t v = t->Vfix || V <= V0 ? V : (2 * V0 > V ? 2 * V0 : V);
  if ((double)k * v * v > cells) {
    double fit = floor(cells / ((double)v * v));
    k = fit > (double)K ? (uint64_t)fit : K;
  }
  while ((double)k * v * v > cells && v > V) {
    double fit = floor(sqrt(cells / (double)k));
    v = fit > (double)V && fit < (double)v ? (uint64_t)fit : v - 1;
  }
  *K2 = k;
  *V2 = v;
  return AS_OK;
}

static int comp_table_fit(reader *r, comp_table *t, uint64_t x, uint64_t m,
                          as_err *err)
{
  size_t K0 = t->c != NULL ? t->c->K : 0, V0 = t->c != NULL ? t->c->V : 0;
  if (t->c != NULL && x < K0 && m < V0)
    return AS_OK;
  /* Indices ≥ 2^32 make K·V² overflow any memory: refused outright. */
  uint64_t K = x < K0 ? K0 : x + 1, V = m < V0 ? V0 : m + 1;
  K = K < t->Kfix ? t->Kfix : K;
  V = V < t->Vfix ? t->Vfix : V;
  char val[48], where[4200];
  snprintf(where, sizeof where, "%s:%zu", r->path, r->line);
  if (K >= ((uint64_t)1 << 32) || V >= ((uint64_t)1 << 32)) {
    snprintf(val, sizeof val, "%" PRIu64, K >= ((uint64_t)1 << 32) ? x : m);
    return perr(r, "index too large for a count table", val, err);
  }
  double need = (double)K * (double)V * (double)V * sizeof(uint64_t);
  int by_v = m >= V0 && (x < K0 || m >= x);
  snprintf(val, sizeof val, "%" PRIu64, by_v ? m : x);
  char what[160];
  snprintf(what, sizeof what, "%s (%s) asks for a %" PRIu64 " x %" PRIu64
           " x %" PRIu64 " count table, which", by_v ? "response" : "context",
           val, K, V, V);
  int rc = as_limits_check(where, what, need, err);
  if (rc != AS_OK)
    return rc;
  uint64_t K2, V2;
  if ((rc = comp_table_grown(t, K0, V0, K, V, &K2, &V2, err)) != AS_OK)
    return rc;
  as_counts *n = as_counts_new((size_t)K2, (size_t)V2);
  if (n == NULL)
    return as_err_set(err, AS_ENOMEM, "%s: out of memory (%s)", where, what);
  if (t->c != NULL) {
    for (size_t a = 0; a < K0; a++)
      for (size_t w = 0; w < V0; w++)
        memcpy(&n->N[((size_t)a * V2 + w) * V2], &t->c->N[(a * V0 + w) * V0],
               V0 * sizeof *n->N);
    n->n = t->c->n;
    as_counts_free(t->c);
  }
  t->c = n;
  return AS_OK;
}

/* Adds one row's count to its cell; overflow is an error at the row. */
static int comp_add(reader *r, as_counts *c, const uint64_t f[4], as_err *err)
{
  size_t V = c->V;
  uint64_t *cell = &c->N[(f[0] * V + f[1]) * V + f[2]];
  char val[32];
  snprintf(val, sizeof val, "%" PRIu64, f[3]);
  if (f[3] > UINT64_MAX - *cell)
    return perr(r, "count of this cell, summed over its rows, overflows "
                "64 bits", val, err);
  if (f[3] > UINT64_MAX - c->n)
    return perr(r, "total count overflows 64 bits", val, err);
  *cell += f[3];
  c->n += f[3];
  return AS_OK;
}

/* Shrinks a grown table to the inferred K × V (1 + the largest index). */
static int comp_table_trim(comp_table *t, size_t K, size_t V, as_err *err)
{
  as_counts *c = t->c;
  if (c->K == K && c->V == V)
    return AS_OK;
  as_counts *n = as_counts_new(K, V);
  if (n == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  for (size_t a = 0; a < K; a++)
    for (size_t w = 0; w < V; w++)
      memcpy(&n->N[(a * V + w) * V], &c->N[(a * c->V + w) * c->V],
             V * sizeof *n->N);
  n->n = c->n;
  as_counts_free(c);
  t->c = n;
  return AS_OK;
}

int as_io_read_comparisons(const char *path, size_t K, size_t V,
                           as_counts **out, as_err *err)
{
  return as_io_read_counts(path, K, V, NULL, out, err);
}

int as_io_read_counts(const char *path, size_t K, size_t V,
                      const char *nonzero, as_counts **out, as_err *err)
{
  if (path == NULL || out == NULL)
    return as_err_set(err, AS_EINVAL, "read_comparisons: NULL argument");
  *out = NULL;
  reader r;
  int rc = reader_open(&r, path, err), got, is_data;
  if (rc != AS_OK)
    return rc;
  uint64_t f[4], maxx = 0, maxv = 0;
  size_t nrows = 0, line_maxv = 0;
  comp_table t = {NULL, K, V};
  if (K != 0 && V != 0 && (rc = comp_table_fit(&r, &t, K - 1, V - 1, err))
      != AS_OK)
    goto fail;
  /* One pass (a pipe works): each row is validated, the table grown to
   * hold it, and its count added. */
  while ((got = reader_next(&r, err)) > 0) {
    if ((rc = comp_parse(&r, K, V, f, &is_data, err)) != AS_OK)
      goto fail;
    if (!is_data)
      continue;
    nrows++;
    uint64_t m = f[1] > f[2] ? f[1] : f[2];
    maxx = f[0] > maxx ? f[0] : maxx;
    if (m >= maxv) {
      maxv = m;
      line_maxv = r.line;
    }
    if ((rc = comp_table_fit(&r, &t, f[0], m, err)) != AS_OK ||
        (rc = comp_add(&r, t.c, f, err)) != AS_OK)
      goto fail;
  }
  if (got < 0) {
    rc = err != NULL ? err->code : AS_EIO;
    goto fail;
  }
  r.line = r.last_line;
  if ((K == 0 || V == 0) && nrows == 0) {
    rc = perr(&r, "no data rows to infer K and V from", NULL, err);
    goto fail;
  }
  if (V == 0 && maxv < 1) {
    r.line = line_maxv;
    rc = perr(&r, "only response 0 appears: V must be at least 2 (pass V "
              "explicitly)", NULL, err);
    goto fail;
  }
  if ((rc = comp_table_trim(&t, K ? K : (size_t)maxx + 1,
                            V ? V : (size_t)maxv + 1, err)) != AS_OK)
    goto fail;
  if (nonzero != NULL && t.c->n == 0) {
    char what[96];
    snprintf(what, sizeof what, "no %s (all counts are 0)", nonzero);
    rc = perr(&r, what, NULL, err);
    goto fail;
  }
  reader_close(&r);
  *out = t.c;
  return AS_OK;
fail:
  as_counts_free(t.c);
  reader_close(&r);
  return rc;
}
