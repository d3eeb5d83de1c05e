/* as_io.h — plain-text interchange formats (docs/reference.md §7).
 *
 * Files are tab- (or blank-) separated, one record a line, '#' starts a
 * comment, blank lines are ignored; an optional header line (the first
 * non-comment line, when none of its fields is a number) is accepted by
 * every reader.  Every reader reports malformed input as AS_EPARSE with
 * "FILE:LINE: what is wrong (the value)".  Every
 * writer writes to FILE.tmp.PID and renames it into place, so an error or
 * an interruption never leaves a partial file under the final name. */
#ifndef AS_IO_H
#define AS_IO_H

#include <stddef.h>
#include <stdint.h>

#include "as_error.h"
#include "as_instance.h"
#include "as_pref.h"

/* Instance: header `context response log_pi_star log_pi_ref log_mu`, then
 * one row per (context, response), all K·V rows present.  ρ is uniform and
 * μ' = μ when read back (the format has no columns for them), so the
 * writer refuses (AS_EINVAL, nothing written) an instance whose ρ is not
 * uniform or whose μ' differs from μ (beyond 1e-12 in log space) instead
 * of writing a file that reads back as another instance.
 *
 * Reading (shared with as_io_read_table): rows may come in any order; K, V
 * are 1 + the largest index (indices < 2^31); a missing (x, y) is reported
 * at the last line of the file, a duplicate at its second occurrence.  Values
 * are parsed with strtod: NaN and +inf are errors, -inf (a zero
 * probability) is allowed in log_pi_ref and log_mu but not in log_pi_star
 * (π* has full support, docs/reference.md §1).  Each column's row must have logsumexp
 * within 1e-6 of 0 (reported at the context's first line); a row further
 * than 1e-12 from 0 (a file printed with few digits) is renormalised, a row
 * closer is kept bit for bit.  The writer prints "%.17g", so write → read
 * gives back the same doubles. */
int as_io_write_instance(const char *path, const as_instance *inst, as_err *err);
int as_io_read_instance(const char *path, as_instance **out, as_err *err);

/* Comparisons: `context winner loser [count]`, 0-based integers, count ≥ 0
 * (default 1).  Rows repeating a cell are summed.  K and V are inferred as
 * 1 + the largest index unless given (> 0), in which case an index out of
 * range is an error.  The writer writes an aggregated file with header
 * `context\twinner\tloser\tcount`, omitting zero cells (so pass K, V when
 * reading it back).  Each row has 3 or 4 fields; every field is a plain
 * decimal integer (no sign, no exponent) below 2^64; a cell or the total
 * overflowing 2^64 − 1 is an error at the row where it happens; an inferred
 * V must be ≥ 2; a file without data rows is an error only when K or V must
 * be inferred.  The file is read once ("-" is standard input, a pipe
 * works), so memory is O(K·V²) whatever the number of rows; the table
 * grows with the largest index seen and every growth is checked against
 * the memory limit (as_limits.h) at the line that asks for it, before it
 * is allocated ("FILE:LINE: a K x V x V count table (index I) needs ..."). */
/* Largest count table `alignsim sample` draws (K·V² cells). */
#define AS_IO_MAX_CELLS ((uint64_t)1 << 26)

int as_io_read_comparisons(const char *path, size_t K, size_t V,
                           as_counts **out, as_err *err);
/* The same, and when nonzero != NULL a file whose counts are all 0 is an
 * error at its last line: "FILE:LINE: no NONZERO (all counts are 0)". */
int as_io_read_counts(const char *path, size_t K, size_t V,
                      const char *nonzero, as_counts **out, as_err *err);
int as_io_write_comparisons(const char *path, const as_counts *c, as_err *err);

/* Policy / value table: `context response value` (log-probabilities, or a
 * reward).  The reader requires every (x, y) of a K×V table exactly once
 * (K, V inferred when 0, set on return); when normalised != 0 each row must
 * be a log-distribution (logsumexp within 1e-6 of 0, renormalised beyond
 * 1e-12 as for instances) and -inf is allowed; otherwise every value must
 * be finite.  *values (K·V, row-major) is the caller's to free(). */
int as_io_read_table(const char *path, size_t *K, size_t *V, double **values,
                     int normalised, as_err *err);
int as_io_write_table(const char *path, size_t K, size_t V,
                      const double *values, const char *value_name,
                      as_err *err);

/* Atomic output helpers used by every writer in the project (a writer that
 * fails — an invalid object, a full disk — leaves nothing under PATH and an
 * existing PATH untouched):
 * as_io_open_tmp opens PATH.tmp.PID for writing; as_io_commit closes it and
 * renames it onto PATH, returning AS_EIO if a write, the close or the
 * rename failed.  With ok == 0 it removes the temp file and returns AS_EIO
 * ("PATH: write failed, nothing written"); a caller holding a more precise
 * error passes err = NULL and returns its own. */
#include <stdio.h>
FILE *as_io_open_tmp(const char *path, char *tmp_path, size_t tmp_size,
                     as_err *err);
int as_io_commit(FILE *f, const char *tmp_path, const char *path, int ok,
                 as_err *err);

/* The two halves of as_io_commit, for a command that writes several files
 * which must appear together or not at all: finish every temp file first
 * (as_io_finish_tmp flushes, closes and checks for write errors, removing
 * the temp file on failure), and rename them only once all succeeded. */
int as_io_finish_tmp(FILE *f, const char *tmp_path, as_err *err);
int as_io_rename_tmp(const char *tmp_path, const char *path, as_err *err);

/* The writers' bodies, on an already open stream (no temp file, no rename):
 * used with as_io_open_tmp/as_io_finish_tmp for multi-file commits.  They
 * return AS_EINVAL for an object that must not be written (a NaN, a +inf,
 * a zero of π*) and AS_EIO when the stream reports an error. */
int as_io_fprint_instance(FILE *f, const as_instance *inst, as_err *err);
int as_io_fprint_comparisons(FILE *f, const as_counts *c, as_err *err);
/* The same aggregated rows under another header line (given without its
 * newline), e.g. "context\tfirst\tsecond\tcount" for unlabelled pairs;
 * as_io_read_comparisons reads either back. */
int as_io_fprint_counts(FILE *f, const as_counts *c, const char *header,
                        as_err *err);
int as_io_fprint_table(FILE *f, size_t K, size_t V, const double *values,
                       const char *value_name, as_err *err);

/* The header rule every reader of the project shares (docs/reference.md §7): the first
 * non-comment line is a header iff NONE of its nf fields is a number
 * (strtod consumes the whole field).  "x1 0 1 5" is therefore a data row
 * with a typo, to be reported, not skipped.  1 for a header, 0 otherwise. */
int as_io_fields_are_header(const char *const *fields, size_t nf);

/* The current time in UTC as "2026-11-26T18:06:00Z" (ISO 8601), the date
 * stamp of every manifest; "unknown" when the clock cannot be read.  size
 * should be at least AS_IO_DATE_MAX. */
#define AS_IO_DATE_MAX 32
void as_io_format_date_utc(char *buf, size_t size);

/* mkdir -p DIR (mode 0777 before the umask); DIR must end up a directory.
 * When created != NULL, *created is set to a malloc'd copy of the first
 * (outermost) directory this call made, NULL when DIR existed already, so
 * a command that fails later can remove what it made
 * (as_io_rmdir_created).  AS_EIO "DIR: cannot create directory: REASON" or
 * "DIR: not a directory"; AS_ENOMEM. */
int as_io_mkdir_p(const char *dir, char **created, as_err *err);
/* Removes the directories from DIR up to CREATED (a prefix of DIR, from
 * as_io_mkdir_p), innermost first; a directory that is not empty stays. */
void as_io_rmdir_created(const char *dir, const char *created);

/* Output sets: files that appear together or not at all (a run's
 * results, `alignsim sample`'s files, `fit`'s table and manifest).  Each
 * file is opened (as_io_outset_open) and finished (as_io_outset_close)
 * before the next is opened; as_io_outset_commit publishes them all;
 * always end with as_io_outset_free.  Zero-initialise the set.
 *
 * Files in a directory (dir != NULL, one directory per set; NAME may have
 * subdirectories, "shards/0.csv", made as needed) are written
 * into a staging directory beside it, DIR/../.NAME.staging.PID, and the
 * commit swaps that in with one rename (DIR absent or empty) or one
 * renameat2(RENAME_EXCHANGE) (DIR holds a previous set, which is then
 * removed): a reader of DIR sees the old set or the new set, never a mix,
 * and a failed commit leaves the old set intact.  DIR is the set: it must
 * be absent, empty, or a previous alignsim output set (it holds a
 * `manifest`, or the `journal` of an unfinished run); anything else is refused, never replaced.  Where the file
 * system has no RENAME_EXCHANGE the old set is renamed to .NAME.old.PID
 * first (two renames).  Staging and .old directories left by a killed run
 * (dead PID) are removed — or, for an .old directory whose target is
 * missing, renamed back — by the next set written into the same place.
 *
 * Files without a directory (dir == NULL: NAME is a path) are siblings of
 * anything and cannot be swapped as one; the LAST file of such a set (its
 * manifest) seals it: the old manifest is moved aside first, the other
 * files renamed in (their old versions kept as hard links until the end),
 * the new manifest last.  A kill leaves the old complete set or files
 * without a manifest, never a manifest beside files it does not describe;
 * a failed rename restores every old file.
 *
 * Test hook: ALIGNSIM_FAULT=kill:N (or fail:N) makes the N-th rename of a
 * commit SIGKILL the process (or fail with EIO); tests/test_outset.sh. */
typedef struct as_io_outset {
  size_t count, cap;
  char **tmp, **path; /* owned */
  char *stage, *target, *parent, *base, *created; /* directory sets (owned) */
} as_io_outset;

/* Opens DIR/NAME's temporary file (NAME itself when dir is NULL); close it
 * with as_io_outset_close.  The first open of a directory set checks DIR
 * (as_io_check_output), creates its missing parents and the staging
 * directory, and cleans stale ones. */
FILE *as_io_outset_open(as_io_outset *s, const char *dir, const char *name,
                        as_err *err);
/* Adds the existing file SRC to the directory set as DIR/NAME (a hard
 * link in the staging directory, so SRC must be on the same file system
 * as DIR, as a file inside DIR is): how a shard's journal joins its
 * manifest.  AS_EIO when it cannot be linked. */
int as_io_outset_link(as_io_outset *s, const char *dir, const char *name,
                      const char *src, as_err *err);
/* Flushes, fsyncs and closes f (the file last opened); AS_EIO on a write
 * error, "no space left on device" when the disk is full (the file then
 * leaves the set).  A caller whose body failed closes with err = NULL and
 * returns its own error; the file is removed on free. */
int as_io_outset_close(as_io_outset *s, FILE *f, as_err *err);
/* Publishes the set as described above. */
int as_io_outset_commit(as_io_outset *s, as_err *err);
/* Removes what was not committed (temporary files, the staging directory,
 * parents it created) and frees the set (also after a commit). */
void as_io_outset_free(as_io_outset *s);

/* Checks an output location before any computation: PATH (a directory
 * when is_dir, else a file) must not be the other kind; a directory must
 * be writable and absent, empty or a previous alignsim set; the nearest
 * existing ancestor must be a writable directory on a writable file
 * system; and when bytes > 0, about that much space must be free there.
 * AS_EINVAL with the reason (an unusable location is bad usage: exit 2). */
int as_io_check_output(const char *path, int is_dir, double bytes,
                       as_err *err);

/* SIGINT, SIGTERM and SIGHUP (unless ignored) remove every temporary file
 * and staging directory still open, then end the process by the signal.
 * Called once by the program (the alignsim tool does in main), not by the
 * library. */
void as_io_cleanup_on_signals(void);
/* Registers / forgets a temporary file for that cleanup (as_io_open_tmp
 * and the outset do it themselves). */
void as_io_track_tmp(const char *path);
void as_io_untrack_tmp(const char *path);

#endif
