/* cli_paths.c — where the installed tool finds its data (cli.h).
 *
 * An installed binary must keep working when the clone it was built from
 * is gone, so it reads its data at a path relative to the executable, fixed
 * at configure time from meson's bindir and datadir (ALIGNSIM_REL_DATA,
 * e.g. "../share/alignsim").  The source tree's plots/ is read only by the
 * uninstalled binary, recognised by its directory being the build directory
 * it was compiled for (ALIGNSIM_BUILD_DIR): an installed or copied binary
 * never looks there.  $ALIGNSIM_PLOTS overrides both. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ALIGNSIM_REL_DATA
#define ALIGNSIM_REL_DATA "../share/alignsim"
#endif
#ifndef ALIGNSIM_BUILD_DIR
#define ALIGNSIM_BUILD_DIR ""
#endif
#ifndef ALIGNSIM_SOURCE_PLOTS
#define ALIGNSIM_SOURCE_PLOTS ""
#endif

/* The directory of the running executable (Linux: /proc/self/exe), or ""
 * when it cannot be read. */
static void exe_dir(char *buf, size_t len)
{
  char path[PATH_MAX];
  ssize_t k = readlink("/proc/self/exe", path, sizeof path - 1);
  buf[0] = '\0';
  if (k <= 0)
    return;
  path[k] = '\0';
  char *slash = strrchr(path, '/');
  if (slash == NULL)
    return;
  *slash = '\0';
  snprintf(buf, len, "%s", path);
}

/* Whether dir is the build directory this binary was compiled for. */
static int is_build_dir(const char *dir)
{
  char a[PATH_MAX], b[PATH_MAX];
  if (dir[0] == '\0' || ALIGNSIM_BUILD_DIR[0] == '\0')
    return 0;
  if (realpath(dir, a) == NULL || realpath(ALIGNSIM_BUILD_DIR, b) == NULL)
    return 0;
  return strcmp(a, b) == 0;
}

const char *cli_plots_dir(char *buf, size_t len)
{
  const char *env = getenv("ALIGNSIM_PLOTS");
  if (env != NULL && env[0] != '\0')
    return env;
  char dir[PATH_MAX];
  exe_dir(dir, sizeof dir);
  if (is_build_dir(dir))
    snprintf(buf, len, "%s", ALIGNSIM_SOURCE_PLOTS);
  else
    snprintf(buf, len, "%s/%s/plots", dir, ALIGNSIM_REL_DATA);
  return buf;
}

long cli_online_cpus(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1)
    return 1;
  return n > 1024 ? 1024 : n;
}
