/* as_limits.c — the readers' memory limit and input streams; see
 * as_limits.h. */
#include "as_limits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int as_limits_parse_bytes(const char *s, uint64_t *out)
{
  if (s == NULL || s[0] < '0' || s[0] > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno == ERANGE || v == 0)
    return -1;
  static const char units[] = "KMGT";
  int shift = 0;
  if (*end != '\0') {
    const char *u = strchr(units, *end);
    if (u == NULL || end[1] != '\0')
      return -1;
    shift = 10 * (int)(u - units + 1);
  }
  if (v > (UINT64_MAX >> shift))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

int as_limits_mem(uint64_t *bytes, as_err *err)
{
  const char *s = getenv(AS_MEM_LIMIT_ENV);
  if (s != NULL) {
    if (as_limits_parse_bytes(s, bytes) != 0)
      return as_err_set(err, AS_EINVAL, "%s: '%.64s' is not a size in bytes "
                        "(e.g. 512M, 8G)", AS_MEM_LIMIT_ENV, s);
    return AS_OK;
  }
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || psz <= 0)
    *bytes = (uint64_t)4 << 30;
  else
    *bytes = (uint64_t)pages * (uint64_t)psz / 2;
  return AS_OK;
}

int as_limits_check(const char *where, const char *what, double bytes,
                    as_err *err)
{
  uint64_t lim;
  int rc = as_limits_mem(&lim, err);
  if (rc != AS_OK)
    return rc;
  if (bytes <= (double)lim)
    return AS_OK;
  return as_err_set(err, AS_EPARSE, "%s: %s needs %.4g bytes (%.3g GiB), over "
                    "the memory limit of %llu bytes (set %s or --mem-limit)",
                    where, what, bytes, bytes / (double)(1u << 30),
                    (unsigned long long)lim, AS_MEM_LIMIT_ENV);
}

FILE *as_limits_open_input(const char *path, as_err *err)
{
  if (strcmp(path, "-") == 0)
    return stdin;
  FILE *f = fopen(path, "r");
  if (f == NULL)
    as_err_set(err, AS_EIO, "%s: cannot open: %s", path, strerror(errno));
  return f;
}

void as_limits_close_input(FILE *f)
{
  if (f != NULL && f != stdin)
    fclose(f);
}
