/* as_progress.h — a progress bar on stderr, drawn only when stderr is a
 * terminal (isatty(2)), so logs and pipes stay clean.  It shows the units
 * done, the elapsed time and an estimate of the time left (ETA: elapsed ×
 * remaining ÷ done, so it assumes the units left cost what the done ones
 * did on average). */
#ifndef AS_PROGRESS_H
#define AS_PROGRESS_H

#include <stddef.h>

typedef struct as_progress {
  size_t total;
  int enabled;
  int last_width; /* bar cells drawn last time, to redraw only on change */
  long last_sec;  /* elapsed whole seconds drawn last time, likewise      */
  double t0;      /* CLOCK_MONOTONIC at start, seconds                    */
  const char *label;
} as_progress;

/* enabled: 1 draw if stderr is a terminal, 0 never. */
void as_progress_start(as_progress *p, const char *label, size_t total,
                       int enabled);
/* Not thread-safe: the caller serialises (the runner holds its lock). */
void as_progress_update(as_progress *p, size_t done);
void as_progress_finish(as_progress *p);

/* The text after the bar: "DONE/TOTAL units, M:SS elapsed, ETA M:SS"
 * (H:MM:SS from an hour on; "ETA --:--" before the first unit is done,
 * none once all are).  Returns what snprintf returns. */
int as_progress_format(char *buf, size_t len, size_t done, size_t total,
                       double elapsed);

#endif
