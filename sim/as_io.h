/* as_io.h — plain-text interchange formats (SPEC §7).
 *
 * Files are tab- (or blank-) separated, one record a line, '#' starts a
 * comment, blank lines are ignored; an optional header line whose first
 * field is not a number is accepted where noted.  Every reader reports
 * malformed input as AS_EPARSE with "FILE:LINE: what is wrong".  Every
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
 * μ' = μ when read back (the format has no columns for them). */
int as_io_write_instance(const char *path, const as_instance *inst, as_err *err);
int as_io_read_instance(const char *path, as_instance **out, as_err *err);

/* Comparisons: `context winner loser [count]`, 0-based integers, count ≥ 0
 * (default 1).  Rows repeating a cell are summed.  K and V are inferred as
 * 1 + the largest index unless given (> 0), in which case an index out of
 * range is an error.  The writer writes an aggregated file with header
 * `context\twinner\tloser\tcount`, omitting zero cells. */
int as_io_read_comparisons(const char *path, size_t K, size_t V,
                           as_counts **out, as_err *err);
int as_io_write_comparisons(const char *path, const as_counts *c, as_err *err);

/* Policy / value table: `context response value` (log-probabilities, or a
 * reward).  The reader requires every (x, y) of a K×V table exactly once
 * (K, V inferred when 0); when normalised != 0 each row must be a
 * log-distribution (logsumexp within 1e-6 of 0). */
int as_io_read_table(const char *path, size_t *K, size_t *V, double **values,
                     int normalised, as_err *err);
int as_io_write_table(const char *path, size_t K, size_t V,
                      const double *values, const char *value_name,
                      as_err *err);

/* Atomic output helpers used by every writer in the project:
 * as_io_open_tmp opens PATH.tmp.PID for writing; as_io_commit closes it and
 * renames it onto PATH (or removes it when ok == 0). */
#include <stdio.h>
FILE *as_io_open_tmp(const char *path, char *tmp_path, size_t tmp_size,
                     as_err *err);
int as_io_commit(FILE *f, const char *tmp_path, const char *path, int ok,
                 as_err *err);

#endif
