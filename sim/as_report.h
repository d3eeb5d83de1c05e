/* as_report.h — report.html: one self-contained page per run directory.
 *
 * as_report_write reads what `alignsim run` wrote into DIR (manifest,
 * summary.csv, results.csv, table.txt and every *.svg figure) and writes
 * DIR/report.html (through a temporary file renamed into place): the
 * claims the experiment checks, each marked held / not held with the
 * numbers it was decided on (docs/reference.md §6, §8), the figures inlined
 * as SVG, a condensed summary, the rate fits with their CIs, the first rows
 * of results.csv, table.txt, the configuration and the manifest's header.
 * The page loads nothing (no network, no script, no external style).
 *
 * Missing summary.csv, results.csv or manifest: AS_EIO naming the file; a
 * malformed CSV: AS_EPARSE naming FILE:LINE.  Figures and table.txt are
 * optional (a run with --no-plots has none). */
#ifndef AS_REPORT_H
#define AS_REPORT_H

#include "as_error.h"

int as_report_write(const char *dir, as_err *err);

#endif
