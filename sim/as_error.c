/* as_error.c — see as_error.h. */
#include "as_error.h"

#include <stdarg.h>
#include <stdio.h>

int as_err_set(as_err *e, int code, const char *fmt, ...)
{
  if (e != NULL) {
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

void as_err_clear(as_err *e)
{
  if (e != NULL) {
    e->code = AS_OK;
    e->msg[0] = '\0';
  }
}

const char *as_strerror(int code)
{
  switch (code) {
  case AS_OK: return "ok";
  case AS_EINVAL: return "invalid";
  case AS_ENOMEM: return "out-of-memory";
  case AS_EIO: return "io";
  case AS_EPARSE: return "parse";
  case AS_ENOCONV: return "no-convergence";
  case AS_ENONFINITE: return "non-finite";
  case AS_EDIVERGE: return "diverged";
  case AS_ENOTSUP: return "not-supported";
  case AS_ERETRY: return "retry";
  default: return "unknown";
  }
}
