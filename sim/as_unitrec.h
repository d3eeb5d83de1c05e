/* as_unitrec.h — one finished work unit as bytes: its index, its cost in
 * seconds and its rows (as_experiment.h), so a unit computed elsewhere (an
 * MPI rank, a shard, an earlier interrupted run) gives back exactly the rows
 * this process would have computed.  Every field is stored bit for bit in
 * little-endian order (doubles by their IEEE-754 bits, NaN payloads and
 * signs included), so the outputs written from decoded rows are byte-
 * identical to the outputs written from computed ones.  The same encoding
 * is the payload of a journal record (as_journal.h) and of an MPI message
 * (as_mpi.h). */
#ifndef AS_UNITREC_H
#define AS_UNITREC_H

#include <stddef.h>
#include <stdint.h>

#include "as_error.h"
#include "as_experiment.h"

/* A growable byte buffer (zero-initialise; as_buf_free). */
typedef struct as_buf {
  unsigned char *p;
  size_t len, cap;
} as_buf;

int as_buf_put(as_buf *b, const void *data, size_t n);
void as_buf_free(as_buf *b);


/* Appends the encoding of unit `unit` (cost `seconds`, rows) to b. */
int as_unitrec_encode(as_buf *b, uint64_t unit, double seconds,
                      const as_rows *rows);

/* Decodes p[0..len) into *unit, *seconds and rows appended to `rows`
 * (method names interned in `names`).  AS_EPARSE ("unit record: ...")
 * when the bytes are not exactly one well-formed record. */
int as_unitrec_decode(const unsigned char *p, size_t len, uint64_t *unit,
                      double *seconds, as_rows *rows, as_names *names,
                      as_err *err);

/* An as_journal_unit_fn (as_journal.h): decodes a record and stores it in
 * the as_units `units` (as_units_set: a unit outside the share or seen
 * twice is AS_EINVAL). */
int as_unitrec_load(void *units, const unsigned char *p, size_t len,
                    as_err *err);

#endif
