/* cli.h — the `alignsim` command-line tool: one file per subcommand.
 * The tool is a thin layer over libalignsim: parsing and printing here,
 * mathematics never.  Every subcommand returns its exit status:
 * 0 success, 1 a computation that failed (e.g. a solve that did not
 * converge when the user asked for strictness), 2 bad usage or bad input. */
#ifndef CLI_H
#define CLI_H

#include <stdint.h>
#include <stdio.h>
#include "as_hparam.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cli_sample_main(int argc, char **argv);
int cli_fit_main(int argc, char **argv);
/* `alignsim fit` with the hyperparameter declarations t (as_hparam.h) in
 * place of the library's: their flags in --help, parsing and manifests
 * (a test's own method, tests/test_cli_hparam.c). */
int cli_fit_main_table(const as_hparam_table *t, int argc, char **argv);
int cli_run_main(int argc, char **argv);
int cli_bounds_main(int argc, char **argv);
int cli_report_main(int argc, char **argv);
int cli_merge_main(int argc, char **argv);

/* cli_paths.c.  The gnuplot scripts' directory: $ALIGNSIM_PLOTS when set;
 * else, for the uninstalled binary in the build directory it was compiled
 * for, the source tree's plots/; else the installed copy relative to the
 * executable (bindir/../share/alignsim/plots).  buf (at least PATH_MAX
 * bytes) holds the path unless the variable's value is returned. */
const char *cli_plots_dir(char *buf, size_t len);
/* The number of online CPUs (sysconf), at least 1 and at most 1024 (the
 * --threads limit): the default of --threads. */
long cli_online_cpus(void);

/* Shared value parsers: they print "alignsim: --FLAG: 'VALUE' is not ..."
 * to stderr and return nonzero on failure (no silent clamping). */
int cli_parse_double(const char *flag, const char *s, double *out);
int cli_parse_positive_double(const char *flag, const char *s, double *out);
int cli_parse_u64(const char *flag, const char *s, uint64_t *out);
int cli_parse_long(const char *flag, const char *s, long min, long max,
                   long *out);
/* A finite number in [lo, hi] (lo excluded when lo_open): the range checks
 * of the options whose arithmetic overflows beyond a bound (issue 12:
 * `--lambda 1e308` gave -inf log-probabilities, `--lr 1e308` an infinite
 * θ).  "alignsim: --FLAG: VALUE is outside (lo, hi]: WHY". */
int cli_parse_bounded(const char *flag, const char *s, double lo, int lo_open,
                      double hi, const char *why, double *out);
/* The bound of --beta; the hyperparameters' (λ, γ, β_d, η_r, η, the DPO
 * step size) are declared with them in as_hparam.c. */
#define CLI_MAX_TEMP AS_HP_MAX_TEMP
/* Prints "alignsim: MSG" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* getopt_long's complaint for subcommand CMD about option OPT (argv[optind
 * - 1]): c == ':' "CMD: option 'OPT' needs a value", else "CMD: unknown
 * option 'OPT' (try 'alignsim CMD --help')"; returns CLI_EXIT_USAGE. */
int cli_getopt_error(const char *cmd, int c, const char *opt);

/* Manifests (`key = value` lines) written next to every result.  The
 * header is "# COMMENT", "version = ...", then "command = alignsim ARG..."
 * with each argument shell-quoted when it needs it (argv as given to the
 * subcommand, argv[0] being its name), so the line can be pasted back into
 * a shell.  The date line comes from as_io_format_date_utc (as_io.h).
 * Stream errors are left for the caller's ferror/as_io_finish_tmp. */
void cli_manifest_fprint_header(FILE *f, const char *comment, int argc,
                                char **argv);
/* The command line of that header, "alignsim ARG..." (each argument
 * shell-quoted when it needs it), printed without a newline, or returned
 * as a malloc'd string (NULL when out of memory) for a manifest written
 * elsewhere (`alignsim run`'s). */
void cli_fprint_command_line(FILE *f, int argc, char **argv);
char *cli_command_line_new(int argc, char **argv);

#endif
