/* as_unitrec.c — see as_unitrec.h.  Layout (all little-endian):
 *   u64 unit, f64 seconds, u32 row count, then per row
 *   u64 cell, i64 replicate, u16 name length, name bytes,
 *   f64 n m beta lambda gamma beta_dpo, f64 metrics[AS_METRICS_COUNT],
 *   f64 rlhf_floor rlhf_floor_lambda heldout_score,
 *   i64 reward_no_mle not_converged iterations, f64 theta_norm,
 *   i32 status, f64 aux. */
#include "as_unitrec.h"

#include <stdlib.h>
#include <string.h>

int as_buf_put(as_buf *b, const void *data, size_t n)
{
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (p == NULL)
      return AS_ENOMEM;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return AS_OK;
}

void as_buf_free(as_buf *b)
{
  free(b->p);
  memset(b, 0, sizeof *b);
}

void as_names_free(as_names *n)
{
  for (size_t i = 0; i < n->count; i++)
    free(n->name[i]);
  free(n->name);
  memset(n, 0, sizeof *n);
}

static const char *names_intern(as_names *n, const char *s, size_t len)
{
  for (size_t i = 0; i < n->count; i++)
    if (strlen(n->name[i]) == len && memcmp(n->name[i], s, len) == 0)
      return n->name[i];
  if (n->count == n->cap) {
    size_t cap = n->cap ? 2 * n->cap : 8;
    char **p = realloc(n->name, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    n->name = p;
    n->cap = cap;
  }
  char *c = malloc(len + 1);
  if (c == NULL)
    return NULL;
  memcpy(c, s, len);
  c[len] = '\0';
  n->name[n->count++] = c;
  return c;
}

/* ---- little-endian fields */

static int put_u(as_buf *b, uint64_t v, int bytes)
{
  unsigned char c[8];
  for (int i = 0; i < bytes; i++)
    c[i] = (unsigned char)(v >> (8 * i));
  return as_buf_put(b, c, (size_t)bytes);
}

static int put_f(as_buf *b, double x)
{
  uint64_t v;
  memcpy(&v, &x, sizeof v);
  return put_u(b, v, 8);
}

typedef struct reader {
  const unsigned char *p;
  size_t len, at;
  int short_read;
} reader;

static uint64_t get_u(reader *r, int bytes)
{
  if (r->len - r->at < (size_t)bytes) {
    r->short_read = 1;
    r->at = r->len;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
  r->at += (size_t)bytes;
  return v;
}

static double get_f(reader *r)
{
  uint64_t v = get_u(r, 8);
  double x;
  memcpy(&x, &v, sizeof x);
  return x;
}

/* The doubles of a row in record order: one table serves both ways. */
#define ROW_DOUBLES (6 + AS_METRICS_COUNT + 3)
static void row_doubles(as_result_row *r, double *d[ROW_DOUBLES])
{
  double *head[6] = {&r->n, &r->m, &r->beta, &r->lambda, &r->gamma,
                     &r->beta_dpo};
  for (int i = 0; i < 6; i++)
    d[i] = head[i];
  for (int i = 0; i < AS_METRICS_COUNT; i++)
    d[6 + i] = &r->metrics[i];
  d[6 + AS_METRICS_COUNT] = &r->rlhf_floor;
  d[7 + AS_METRICS_COUNT] = &r->rlhf_floor_lambda;
  d[8 + AS_METRICS_COUNT] = &r->heldout_score;
}

static int encode_row(as_buf *b, const as_result_row *row)
{
  as_result_row r = *row;
  double *d[ROW_DOUBLES];
  row_doubles(&r, d);
  size_t nl = strlen(r.method);
  if (nl > UINT16_MAX)
    return AS_EINVAL;
  int rc = put_u(b, r.cell, 8) | put_u(b, (uint64_t)r.replicate, 8)
           | put_u(b, nl, 2) | as_buf_put(b, r.method, nl);
  for (int i = 0; i < ROW_DOUBLES; i++)
    rc |= put_f(b, *d[i]);
  rc |= put_u(b, (uint64_t)r.reward_no_mle, 8)
        | put_u(b, (uint64_t)r.not_converged, 8)
        | put_u(b, (uint64_t)r.iterations, 8) | put_f(b, r.theta_norm)
        | put_u(b, (uint64_t)(uint32_t)r.status, 4) | put_f(b, r.aux);
  return rc ? AS_ENOMEM : AS_OK;
}

int as_unitrec_encode(as_buf *b, uint64_t unit, double seconds,
                      const as_rows *rows)
{
  if (rows->count > UINT32_MAX)
    return AS_EINVAL;
  int rc = put_u(b, unit, 8) | put_f(b, seconds)
           | put_u(b, rows->count, 4);
  for (size_t i = 0; i < rows->count && rc == AS_OK; i++)
    rc = encode_row(b, &rows->row[i]);
  return rc ? AS_ENOMEM : AS_OK;
}

static int decode_row(reader *rd, as_result_row *r, as_names *names)
{
  size_t cell = (size_t)get_u(rd, 8);
  long rep = (long)get_u(rd, 8);
  size_t nl = (size_t)get_u(rd, 2);
  if (rd->short_read || rd->len - rd->at < nl)
    return AS_EPARSE;
  const char *m = names_intern(names, (const char *)rd->p + rd->at, nl);
  if (m == NULL)
    return AS_ENOMEM;
  rd->at += nl;
  as_result_row_init(r, cell, rep, m, 0.0, 0.0);
  double *d[ROW_DOUBLES];
  row_doubles(r, d);
  for (int i = 0; i < ROW_DOUBLES; i++)
    *d[i] = get_f(rd);
  r->reward_no_mle = (long)get_u(rd, 8);
  r->not_converged = (long)get_u(rd, 8);
  r->iterations = (long)get_u(rd, 8);
  r->theta_norm = get_f(rd);
  r->status = (int)(uint32_t)get_u(rd, 4);
  r->aux = get_f(rd);
  return rd->short_read ? AS_EPARSE : AS_OK;
}

int as_unitrec_decode(const unsigned char *p, size_t len, uint64_t *unit,
                      double *seconds, as_rows *rows, as_names *names,
                      as_err *err)
{
  reader rd = {p, len, 0, 0};
  *unit = get_u(&rd, 8);
  *seconds = get_f(&rd);
  uint64_t count = get_u(&rd, 4);
  for (uint64_t i = 0; i < count && !rd.short_read; i++) {
    as_result_row r;
    int rc = decode_row(&rd, &r, names);
    if (rc == AS_ENOMEM || (rc == AS_OK && as_rows_push(rows, &r) != AS_OK))
      return as_err_set(err, AS_ENOMEM, "out of memory");
    if (rc != AS_OK)
      rd.short_read = 1;
  }
  if (rd.short_read || rd.at != len)
    return as_err_set(err, AS_EPARSE, "unit record: %zu bytes where the "
                      "rows need %s", len, rd.short_read ? "more" : "fewer");
  return AS_OK;
}

int as_unitrec_load(void *units, const unsigned char *p, size_t len,
                    as_err *err)
{
  as_units *u = units;
  uint64_t unit;
  double seconds;
  as_rows rows = {0};
  int rc = as_unitrec_decode(p, len, &unit, &seconds, &rows, &u->names, err);
  if (rc == AS_OK)
    rc = as_units_set(u, unit >= SIZE_MAX ? SIZE_MAX : (size_t)unit,
                      seconds, &rows, err);
  as_rows_clear(&rows);
  return rc;
}

