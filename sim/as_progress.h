/* as_progress.h — a progress bar on stderr, drawn only when stderr is a
 * terminal (isatty(2)), so logs and pipes stay clean. */
#ifndef AS_PROGRESS_H
#define AS_PROGRESS_H

#include <stddef.h>

typedef struct as_progress {
  size_t total;
  int enabled;
  int last_width; /* bar cells drawn last time, to redraw only on change */
  const char *label;
} as_progress;

/* enabled: 1 draw if stderr is a terminal, 0 never. */
void as_progress_start(as_progress *p, const char *label, size_t total,
                       int enabled);
/* Not thread-safe: the caller serialises (the runner holds its lock). */
void as_progress_update(as_progress *p, size_t done);
void as_progress_finish(as_progress *p);

#endif
