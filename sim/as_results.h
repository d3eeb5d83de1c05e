/* as_results.h — the files a run writes (docs/reference.md §7 "Results"): results.csv
 * (one row per cell, method, replicate — and λ under fixed tuning),
 * summary.csv (per cell and method: median, mean, s.e., 10 % and 90 %
 * quantiles of every metric; then rate rows: log-log slope of the median
 * forward KL vs n with its standard error and a bootstrap CI), table.txt
 * (mean ± s.e., the layout of the paper's Table 2) and the plot data files
 * (curve_METHOD.dat, population.dat, plot_params.gp) read by plots/eN.gp.
 *
 * Files are written through a set of temporary files that are renamed into
 * place together once every one of them was written (as_io_outset,
 * as_io.h), so a failed run leaves nothing under the final names. */
#ifndef AS_RESULTS_H
#define AS_RESULTS_H

#include <stdio.h>

#include "as_config.h"
#include "as_error.h"
#include "as_experiment.h"
#include "as_io.h"

/* The "kind" of the x axis of the plot data: "n", "lambda" or "beta". */
const char *as_results_plot_axis(const as_config *cfg);

/* Writes results.csv, summary.csv, table.txt and the plot data files of
 * rows (in unit order) into the set, under dir. */
int as_results_write(as_io_outset *s, const char *dir, const as_config *cfg,
                     const as_experiment_kind *kind, const as_rows *rows,
                     as_err *err);

#endif
