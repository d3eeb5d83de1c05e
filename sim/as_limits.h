/* as_limits.h — what a reader may allocate, and where it reads from.
 *
 * Every reader and every config works out the memory an input asks for
 * (members × K × V, K·V² per count table, class sizes, grid sizes) before
 * it allocates it, and refuses an input over the limit with FILE:LINE and
 * the figure, instead of asking malloc for gigabytes because of one
 * mistyped index.  The limit is, in bytes:
 *   - ALIGNSIM_MEM_LIMIT from the environment when set (a byte count with
 *     an optional binary suffix K, M, G or T: "512M", "8G");
 *     `alignsim --mem-limit SIZE COMMAND ...` sets it for one command;
 *   - otherwise half of the machine's physical memory (4 GiB when that
 *     cannot be read).
 * It is read from the environment at each call rather than kept in a
 * global, so threads and tests see one value and nothing is mutable. */
#ifndef AS_LIMITS_H
#define AS_LIMITS_H

#include <stdint.h>
#include <stdio.h>

#include "as_error.h"

#define AS_MEM_LIMIT_ENV "ALIGNSIM_MEM_LIMIT"

/* Parses "123", "64K", "512M", "8G", "1T" (binary multiples); 0 on success,
 * -1 for anything else (empty, a sign, a fraction, overflow, zero). */
int as_limits_parse_bytes(const char *s, uint64_t *out);

/* The limit in bytes; AS_EINVAL when ALIGNSIM_MEM_LIMIT is set but
 * malformed (never silently ignored). */
int as_limits_mem(uint64_t *bytes, as_err *err);

/* AS_OK when `bytes` (a double, so a product of sizes cannot wrap) fits the
 * limit; otherwise AS_EPARSE "WHERE: WHAT needs N bytes (X GiB), over the
 * memory limit of L bytes (set ALIGNSIM_MEM_LIMIT or --mem-limit)".  WHERE
 * is "FILE:LINE" for a reader, "FILE:LINE" or the key for a config. */
int as_limits_check(const char *where, const char *what, double bytes,
                    as_err *err);

/* Opens an input for reading: "-" is standard input (every reader reads
 * its input once, so a pipe works).  AS_EIO "PATH: cannot open: REASON". */
FILE *as_limits_open_input(const char *path, as_err *err);
/* Closes what as_limits_open_input opened (standard input stays open). */
void as_limits_close_input(FILE *f);

#endif
