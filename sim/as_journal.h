/* as_journal.h — the append-only journal of a run's finished units, so a
 * run killed at any moment (kill -9, node loss, a time limit) can be
 * resumed by recomputing only the units it lacks, and a shard of a job
 * array (`alignsim run --shard I/N`) hands its rows to `alignsim merge`.
 *
 * A journal is a sequence of records, each written with one write(2) on a
 * file opened O_APPEND:
 *   "ASJ1", u32 payload length L (little-endian), L payload bytes,
 *   u32 CRC-32 (zlib's) of the length and payload.
 * The first record is the header ('H' then text: the format, the version
 * of alignsim, the number of units of the run, the shard "I/N" and the
 * configuration as parsed, as_config_write's text, seed included); every
 * other record is one finished unit ('U' then as_unitrec.h's encoding).
 * A record cut short or whose checksum fails — the torn tail a kill during
 * a write or a power loss leaves — ends the usable part: resuming truncates
 * the file there and recomputes the units after it.
 *
 * Flushing: every record reaches the kernel before the unit counts as done
 * (so SIGKILL loses nothing written); fdatasync(2) runs at most once a
 * second and on close, so a power loss costs at most a second of units
 * (the checksum catches what it tears). */
#ifndef AS_JOURNAL_H
#define AS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "as_config.h"
#include "as_error.h"

/* What a journal belongs to; runs and shards match only when all agree. */
typedef struct as_journal_id {
  char *version;               /* alignsim version (owned)                */
  uint64_t units;              /* units of the whole run                  */
  unsigned long shard_i, shard_n; /* 1/1 for an unsharded run             */
  char *config;                /* as_config_write(cfg) (owned)            */
} as_journal_id;

int as_journal_id_make(as_journal_id *id, const as_config *cfg,
                       const char *version, uint64_t units,
                       unsigned long shard_i, unsigned long shard_n,
                       as_err *err);
void as_journal_id_free(as_journal_id *id);

/* AS_OK when `have` (read from file `path`) is the journal of the run
 * `want` describes; AS_EINVAL otherwise, with a message naming path and the
 * first difference (the configuration line, the seed, the shard).  With
 * ignore_shard the shard fields are not compared (merge checks them). */
int as_journal_id_match(const char *path, const as_journal_id *want,
                        const as_journal_id *have, int ignore_shard,
                        as_err *err);

/* Called for every intact unit record (payload without its 'U'). */
typedef int (*as_journal_unit_fn)(void *ctx, const unsigned char *p,
                                  size_t len, as_err *err);

/* Reads the journal at path: the header into *id (caller frees), every
 * intact unit record to fn.  strict: any damaged record is AS_EPARSE
 * ("PATH: record at byte B: ...").  Otherwise a damaged record ends the
 * read: *good_end is the length of the intact part (the whole file when
 * nothing is damaged).  A missing or unreadable header is AS_EPARSE either
 * way; a missing file AS_EIO with errno's reason. */
int as_journal_read(const char *path, as_journal_id *id,
                    as_journal_unit_fn fn, void *ctx, int strict,
                    uint64_t *good_end, as_err *err);

typedef struct as_journal as_journal;

/* Starts a new journal at path (replacing any file there) with id's header. */
int as_journal_create(as_journal **j, const char *path,
                      const as_journal_id *id, as_err *err);
/* Continues the journal at path whose intact part ends at good_end
 * (as_journal_read): cuts the damaged tail off and appends after it. */
int as_journal_reopen(as_journal **j, const char *path, uint64_t good_end,
                      as_err *err);
/* Appends one unit record (payload: as_unitrec_encode's bytes). */
int as_journal_append(as_journal *j, const unsigned char *p, size_t len,
                      as_err *err);
/* Syncs and closes; NULL is a no-op. */
int as_journal_close(as_journal *j, as_err *err);

#endif
