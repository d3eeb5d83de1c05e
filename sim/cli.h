/* cli.h — the `alignsim` command-line tool: one file per subcommand.
 * The tool is a thin layer over libalignsim: parsing and printing here,
 * mathematics never.  Every subcommand returns its exit status:
 * 0 success, 1 a computation that failed (e.g. a solve that did not
 * converge when the user asked for strictness), 2 bad usage or bad input. */
#ifndef CLI_H
#define CLI_H

#include <stdint.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cli_sample_main(int argc, char **argv);
int cli_fit_main(int argc, char **argv);
int cli_run_main(int argc, char **argv);
int cli_bounds_main(int argc, char **argv);

/* Shared value parsers: they print "alignsim: --FLAG: 'VALUE' is not ..."
 * to stderr and return nonzero on failure (no silent clamping). */
int cli_parse_double(const char *flag, const char *s, double *out);
int cli_parse_positive_double(const char *flag, const char *s, double *out);
int cli_parse_u64(const char *flag, const char *s, uint64_t *out);
int cli_parse_long(const char *flag, const char *s, long min, long max,
                   long *out);
/* Prints "alignsim: MSG" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
