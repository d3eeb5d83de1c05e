/* as_journal.c — see as_journal.h.  CRC-32 from zlib (Debian zlib1g-dev). */
#define _GNU_SOURCE /* open_memstream, fdatasync */
#include "as_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "as_unitrec.h"

#define MAGIC "ASJ1"
#define FORMAT_LINE "alignsim journal 1\n"

struct as_journal {
  int fd;
  char *path;
  time_t last_sync;
};

/* ---- identity */

int as_journal_id_make(as_journal_id *id, const as_config *cfg,
                       const char *version, uint64_t units,
                       unsigned long shard_i, unsigned long shard_n,
                       as_err *err)
{
  memset(id, 0, sizeof *id);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  as_config_write(f, cfg);
  int bad = ferror(f);
  fclose(f);
  id->version = strdup(version);
  if (bad || text == NULL || id->version == NULL) {
    free(text);
    as_journal_id_free(id);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  id->config = text;
  id->units = units;
  id->shard_i = shard_i;
  id->shard_n = shard_n;
  return AS_OK;
}

void as_journal_id_free(as_journal_id *id)
{
  free(id->version);
  free(id->config);
  memset(id, 0, sizeof *id);
}

/* The first line where two texts differ, copied into a (capped) buffer. */
static void first_difference(const char *a, const char *b, char *la,
                             char *lb, size_t cap, int *line)
{
  *line = 1;
  for (;;) {
    const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
    size_t na = ea ? (size_t)(ea - a) : strlen(a);
    size_t nb = eb ? (size_t)(eb - b) : strlen(b);
    if (na != nb || memcmp(a, b, na) != 0 || !ea || !eb) {
      snprintf(la, cap, "%.*s", (int)na, a);
      snprintf(lb, cap, "%.*s", (int)nb, b);
      return;
    }
    a = ea + 1;
    b = eb + 1;
    (*line)++;
  }
}

int as_journal_id_match(const char *path, const as_journal_id *want,
                        const as_journal_id *have, int ignore_shard,
                        as_err *err)
{
  if (strcmp(want->config, have->config) != 0) {
    char la[120], lb[120];
    int line;
    first_difference(have->config, want->config, la, lb, sizeof la, &line);
    return as_err_set(err, AS_EINVAL, "%s: written for another "
                      "configuration or seed (line %d of the configuration "
                      "as parsed: '%s' there, '%s' here)", path, line, la,
                      lb);
  }
  if (strcmp(want->version, have->version) != 0)
    return as_err_set(err, AS_EINVAL, "%s: written by alignsim %s, this is "
                      "%s (rows of another version may differ)", path,
                      have->version, want->version);
  if (want->units != have->units)
    return as_err_set(err, AS_EINVAL, "%s: a run of %" PRIu64 " units, this "
                      "one has %" PRIu64, path, have->units, want->units);
  if (!ignore_shard
      && (want->shard_i != have->shard_i || want->shard_n != have->shard_n))
    return as_err_set(err, AS_EINVAL, "%s: journal of shard %lu/%lu, this "
                      "run is shard %lu/%lu", path, have->shard_i,
                      have->shard_n, want->shard_i, want->shard_n);
  return AS_OK;
}

static int header_text(const as_journal_id *id, as_buf *b)
{
  char head[256];
  int n = snprintf(head, sizeof head, "H" FORMAT_LINE "version %s\nunits %"
                   PRIu64 "\nshard %lu/%lu\n\n", id->version, id->units,
                   id->shard_i, id->shard_n);
  if (n < 0 || (size_t)n >= sizeof head)
    return AS_EINVAL;
  return as_buf_put(b, head, (size_t)n)
         | as_buf_put(b, id->config, strlen(id->config));
}

static int header_parse(const unsigned char *p, size_t len,
                        as_journal_id *id)
{
  memset(id, 0, sizeof *id);
  char *t = malloc(len + 1);
  if (t == NULL)
    return AS_ENOMEM;
  memcpy(t, p, len);
  t[len] = '\0';
  char ver[128];
  uint64_t units;
  unsigned long si, sn;
  int used = 0;
  const char *fl = FORMAT_LINE;
  int ok = len > strlen(fl) && strncmp(t, "H" FORMAT_LINE, strlen(fl) + 1) == 0
           && sscanf(t + strlen(fl) + 1, "version %127s units %" SCNu64
                     " shard %lu/%lu\n\n%n", ver, &units, &si, &sn, &used) == 4
           && used > 0;
  if (ok) {
    id->version = strdup(ver);
    id->config = strdup(t + strlen(fl) + 1 + used);
    id->units = units;
    id->shard_i = si;
    id->shard_n = sn;
  }
  free(t);
  if (!ok)
    return AS_EPARSE;
  if (id->version == NULL || id->config == NULL) {
    as_journal_id_free(id);
    return AS_ENOMEM;
  }
  return AS_OK;
}

/* ---- records */

static uint32_t record_crc(const unsigned char *lenfield,
                           const unsigned char *p, size_t len)
{
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, lenfield, 4);
  /* zlib takes uInt lengths: feed large payloads in pieces */
  for (size_t at = 0; at < len;) {
    size_t n = len - at > (1u << 30) ? (1u << 30) : len - at;
    c = crc32(c, p + at, (uInt)n);
    at += n;
  }
  return (uint32_t)c;
}

static int frame(as_buf *out, char type, const unsigned char *p, size_t len)
{
  if (len + 1 > UINT32_MAX)
    return AS_EINVAL;
  uint32_t L = (uint32_t)(len + 1);
  unsigned char lf[4] = {(unsigned char)L, (unsigned char)(L >> 8),
                         (unsigned char)(L >> 16), (unsigned char)(L >> 24)};
  size_t start = out->len;
  int rc = as_buf_put(out, MAGIC, 4) | as_buf_put(out, lf, 4)
           | as_buf_put(out, &type, 1) | as_buf_put(out, p, len);
  if (rc != AS_OK)
    return AS_ENOMEM;
  uint32_t c = record_crc(lf, out->p + start + 8, L);
  unsigned char cf[4] = {(unsigned char)c, (unsigned char)(c >> 8),
                         (unsigned char)(c >> 16), (unsigned char)(c >> 24)};
  return as_buf_put(out, cf, 4);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int put_record(as_journal *j, char type, const unsigned char *p,
                      size_t len, as_err *err)
{
  as_buf b = {0};
  int rc = frame(&b, type, p, len);
  if (rc != AS_OK) {
    as_buf_free(&b);
    return as_err_set(err, rc, "%s: cannot encode a record", j->path);
  }
  rc = write_all(j->fd, b.p, b.len);
  as_buf_free(&b);
  if (rc != 0)
    return as_err_set(err, AS_EIO, "%s: write failed: %s", j->path,
                      strerror(errno));
  time_t now = time(NULL);
  if (now != j->last_sync) {
    j->last_sync = now;
    if (fdatasync(j->fd) != 0)
      return as_err_set(err, AS_EIO, "%s: sync failed: %s", j->path,
                        strerror(errno));
  }
  return AS_OK;
}

/* Opens path for appending under an exclusive lock and cuts it to its
 * first `keep` bytes (0: a new journal; else the intact part). */
static int journal_open(as_journal **out, const char *path, int flags,
                        uint64_t keep, as_err *err)
{
  *out = NULL;
  as_journal *j = calloc(1, sizeof *j);
  if (j == NULL || (j->path = strdup(path)) == NULL) {
    free(j);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  j->fd = open(path, flags | O_WRONLY | O_APPEND | O_CLOEXEC, 0666);
  int e = errno, rc = AS_OK;
  if (j->fd < 0)
    rc = as_err_set(err, AS_EIO, "%s: cannot open journal: %s", path,
                    strerror(e));
  else if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) /* two runs, one journal */
    rc = as_err_set(err, AS_EIO, "%s: another alignsim run is using this "
                    "journal (%s)", path, strerror(errno));
  else if (ftruncate(j->fd, (off_t)keep) != 0)
    rc = as_err_set(err, AS_EIO, "%s: cannot cut the journal at byte %llu: "
                    "%s", path, (unsigned long long)keep, strerror(errno));
  if (rc != AS_OK) {
    if (j->fd >= 0)
      close(j->fd);
    free(j->path);
    free(j);
    return rc;
  }
  *out = j;
  return AS_OK;
}

int as_journal_create(as_journal **out, const char *path,
                      const as_journal_id *id, as_err *err)
{
  int rc = journal_open(out, path, O_CREAT, 0, err);
  if (rc != AS_OK)
    return rc;
  as_buf h = {0};
  if (header_text(id, &h) != AS_OK) {
    as_buf_free(&h);
    as_journal_close(*out, NULL);
    *out = NULL;
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  /* header_text starts with the 'H' type byte */
  rc = put_record(*out, 'H', h.p + 1, h.len - 1, err);
  as_buf_free(&h);
  if (rc == AS_OK && fdatasync((*out)->fd) != 0)
    rc = as_err_set(err, AS_EIO, "%s: sync failed: %s", path,
                    strerror(errno));
  if (rc != AS_OK) {
    as_journal_close(*out, NULL);
    *out = NULL;
  }
  return rc;
}

int as_journal_reopen(as_journal **out, const char *path, uint64_t good_end,
                      as_err *err)
{
  return journal_open(out, path, 0, good_end, err);
}

int as_journal_append(as_journal *j, const unsigned char *p, size_t len,
                      as_err *err)
{
  return put_record(j, 'U', p, len, err);
}

int as_journal_close(as_journal *j, as_err *err)
{
  if (j == NULL)
    return AS_OK;
  int rc = AS_OK;
  if (fdatasync(j->fd) != 0 || close(j->fd) != 0)
    rc = as_err_set(err, AS_EIO, "%s: cannot close journal: %s", j->path,
                    strerror(errno));
  free(j->path);
  free(j);
  return rc;
}

/* ---- reading */

static unsigned char *slurp(const char *path, size_t *len, as_err *err)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    as_err_set(err, AS_EIO, "%s: cannot open journal: %s", path,
               strerror(errno));
    return NULL;
  }
  as_buf b = {0};
  unsigned char chunk[1 << 16];
  size_t n;
  int rc = AS_OK;
  while (rc == AS_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rc = as_buf_put(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (rc != AS_OK || bad) {
    as_buf_free(&b);
    as_err_set(err, rc != AS_OK ? AS_ENOMEM : AS_EIO, "%s: cannot read "
               "journal", path);
    return NULL;
  }
  *len = b.len;
  if (b.p == NULL) /* empty file: a valid pointer to no bytes */
    b.p = malloc(1);
  return b.p;
}

/* The record at data[at..): its payload (type byte included) in *p, *plen,
 * the record's end in *next; a message in why when it is damaged. */
static int record_at(const unsigned char *data, size_t len, size_t at,
                     const unsigned char **p, size_t *plen, size_t *next,
                     const char **why)
{
  if (len - at < 8 || memcmp(data + at, MAGIC, 4) != 0) {
    *why = len - at < 8 ? "cut short" : "no record marker";
    return -1;
  }
  const unsigned char *lf = data + at + 4;
  size_t L = (size_t)lf[0] | (size_t)lf[1] << 8 | (size_t)lf[2] << 16
             | (size_t)lf[3] << 24;
  if (L == 0 || len - at - 8 < L || len - at - 8 - L < 4) {
    *why = "cut short";
    return -1;
  }
  const unsigned char *cf = data + at + 8 + L;
  uint32_t c = (uint32_t)cf[0] | (uint32_t)cf[1] << 8
               | (uint32_t)cf[2] << 16 | (uint32_t)cf[3] << 24;
  if (c != record_crc(lf, data + at + 8, L)) {
    *why = "checksum mismatch";
    return -1;
  }
  *p = data + at + 8;
  *plen = L;
  *next = at + 8 + L + 4;
  return 0;
}

int as_journal_read(const char *path, as_journal_id *id,
                    as_journal_unit_fn fn, void *ctx, int strict,
                    uint64_t *good_end, as_err *err)
{
  memset(id, 0, sizeof *id);
  size_t len;
  unsigned char *data = slurp(path, &len, err);
  if (data == NULL)
    return err ? err->code : AS_EIO;
  const unsigned char *p;
  size_t plen, at = 0, next;
  const char *why = "";
  int rc = AS_OK;
  if (record_at(data, len, 0, &p, &plen, &next, &why) != 0 || p[0] != 'H'
      || (rc = header_parse(p, plen, id)) != AS_OK) {
    free(data);
    if (rc == AS_ENOMEM)
      return as_err_set(err, rc, "out of memory");
    return as_err_set(err, AS_EPARSE, "%s: not an alignsim journal, or its "
                      "header is damaged (%s)", path,
                      why[0] ? why : "bad header");
  }
  for (at = next; at < len && rc == AS_OK; at = next) {
    if (record_at(data, len, at, &p, &plen, &next, &why) != 0
        || p[0] != 'U') {
      if (strict)
        rc = as_err_set(err, AS_EPARSE, "%s: record at byte %zu: %s", path,
                        at, why[0] ? why : "unknown record type");
      break;
    }
    rc = fn(ctx, p + 1, plen - 1, err);
  }
  free(data);
  if (rc != AS_OK) {
    as_journal_id_free(id);
    return rc;
  }
  if (good_end)
    *good_end = at;
  return AS_OK;
}
