/* cli_common.c — value parsers and the manifest header shared by the
 * subcommands (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ALIGNSIM_VERSION
#define ALIGNSIM_VERSION "unknown"
#endif

int cli_usage_error(const char *fmt, ...)
{
  va_list ap;
  fputs("alignsim: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return CLI_EXIT_USAGE;
}

int cli_parse_double(const char *flag, const char *s, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (s[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
    return cli_usage_error("%s: '%s' is not a finite number", flag, s);
  *out = v;
  return 0;
}

int cli_parse_positive_double(const char *flag, const char *s, double *out)
{
  if (cli_parse_double(flag, s, out) != 0)
    return CLI_EXIT_USAGE;
  if (!(*out > 0.0))
    return cli_usage_error("%s: '%s' must be > 0", flag, s);
  return 0;
}

int cli_parse_bounded(const char *flag, const char *s, double lo, int lo_open,
                      double hi, const char *why, double *out)
{
  if (cli_parse_double(flag, s, out) != 0)
    return CLI_EXIT_USAGE;
  if (*out < lo || (lo_open && *out == lo) || *out > hi)
    return cli_usage_error("%s: %s is outside %c%g, %g]: %s", flag, s,
                           lo_open ? '(' : '[', lo, hi, why);
  return 0;
}

int cli_parse_u64(const char *flag, const char *s, uint64_t *out)
{
  char *end;
  errno = 0;
  if (s[0] < '0' || s[0] > '9')
    return cli_usage_error("%s: '%s' is not a non-negative integer", flag, s);
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || errno == ERANGE)
    return cli_usage_error("%s: '%s' is not a non-negative integer below 2^64",
                           flag, s);
  *out = (uint64_t)v;
  return 0;
}

int cli_parse_long(const char *flag, const char *s, long min, long max,
                   long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (s[0] == '\0' || *end != '\0' || errno == ERANGE)
    return cli_usage_error("%s: '%s' is not an integer", flag, s);
  if (v < min || v > max)
    return cli_usage_error("%s: %ld is outside [%ld, %ld]", flag, v, min, max);
  *out = v;
  return 0;
}

int cli_getopt_error(const char *cmd, int c, const char *opt)
{
  if (c == ':')
    return cli_usage_error("%s: option '%s' needs a value", cmd, opt);
  return cli_usage_error("%s: unknown option '%s' (try 'alignsim %s --help')",
                         cmd, opt, cmd);
}

/* Shell-quotes one argument ('...' with ' written as '\''). */
static void fprint_quoted(FILE *f, const char *s)
{
  int plain = s[0] != '\0';
  for (const char *p = s; *p != '\0'; p++)
    if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
               "0123456789_./=:,+-@%", *p) == NULL)
      plain = 0;
  if (plain) {
    fputs(s, f);
    return;
  }
  fputc('\'', f);
  for (const char *p = s; *p != '\0'; p++)
    if (*p == '\'')
      fputs("'\\''", f);
    else
      fputc(*p, f);
  fputc('\'', f);
}

void cli_fprint_command_line(FILE *f, int argc, char **argv)
{
  fputs("alignsim", f);
  for (int i = 0; i < argc; i++) {
    fputc(' ', f);
    fprint_quoted(f, argv[i]);
  }
}

char *cli_command_line_new(int argc, char **argv)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (f == NULL)
    return NULL;
  cli_fprint_command_line(f, argc, argv);
  if (ferror(f) != 0) {
    fclose(f);
    free(buf);
    return NULL;
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

static void fprint_command(FILE *f, int argc, char **argv)
{
  fputs("command = ", f);
  cli_fprint_command_line(f, argc, argv);
  fputc('\n', f);
}

void cli_manifest_fprint_header(FILE *f, const char *comment, int argc,
                                char **argv)
{
  fprintf(f, "# %s\n", comment);
  fprintf(f, "version = %s\n", ALIGNSIM_VERSION);
  fprint_command(f, argc, argv);
}
