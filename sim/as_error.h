/* as_error.h — error codes and messages for libalignsim.
 *
 * Every fallible library function returns an int: AS_OK (0) on success,
 * one of the codes below otherwise, and (when the caller passes a non-NULL
 * as_err) a one-line message saying what went wrong.  Messages about input
 * files have the form "FILE:LINE: what is wrong" so the command-line tool
 * can print them unchanged.  Memory a function allocated is freed before it
 * returns an error (as GSL does).
 *
 * GSL reports errors through a process-global handler that aborts by
 * default.  The library never changes it (that would race between
 * threads); a program that wants GSL failures back as codes, as the
 * alignsim tool does, calls gsl_set_error_handler_off() once at start-up. */
#ifndef AS_ERROR_H
#define AS_ERROR_H

#include <stddef.h>

enum {
  AS_OK = 0,
  AS_EINVAL = 1,   /* a value outside its domain (caller's or file's)   */
  AS_ENOMEM = 2,   /* allocation failed                                 */
  AS_EIO = 3,      /* a file could not be opened, read or written       */
  AS_EPARSE = 4,   /* malformed input file (message names FILE:LINE)    */
  AS_ENOCONV = 5,  /* an iterative solve stopped before its criterion   */
  AS_EDIVERGE = 6, /* an iteration diverged or has no finite minimiser  */
  AS_ENOTSUP = 7,  /* a combination of options that does not exist     */
  AS_ENONFINITE = 8, /* a result (log-probability, metric, ‖θ‖, objective)
                       is NaN or infinite where it must be finite: never
                       "ok" (status "non-finite")                         */
  AS_ERETRY = 9    /* internal: a shortcut cannot give the exact result;
                       the caller redoes the work without it (never seen
                       outside the library)                               */
};

#define AS_ERR_MSG_MAX 512

typedef struct as_err {
  int code;
  char msg[AS_ERR_MSG_MAX];
} as_err;

/* Records code and a printf-style message in *e (if e is non-NULL) and
 * returns code, so callers can write `return as_err_set(e, AS_EINVAL, ...)`. */
int as_err_set(as_err *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Clears *e (code AS_OK, empty message). */
void as_err_clear(as_err *e);

/* A short fixed name for a code ("ok", "invalid", "no-convergence", ...). */
const char *as_strerror(int code);

#endif
