/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Progress of a long vigilctl operation on stderr, one line redrawn in place,
 * only when stderr is a terminal (otherwise every call is a no-op, so pipes
 * and logs stay quiet). Updates are drawn at most 10 times a second.
 *
 *   Progress *p = progress_new();
 *   progress_update(p, "Reading %s: %zu of %zu bytes", ...);
 *   progress_ticker_start(p, "Parsing 110000 lines");  // a step with no count: elapsed time ticks
 *   ... long call ...
 *   progress_ticker_stop(p);
 *   progress_finish(p, "Imported %zu services", n);     // the last line stays
 *   progress_free(p);                                   // clears a line still drawn
 */

#include "macro.h"

typedef struct Progress Progress;

/* NULL (and then every call a no-op) when stderr is not a terminal. */
Progress *progress_new(void);
Progress *progress_free(Progress *p);
static inline void progress_freep(Progress **p) {
        progress_free(*p);
}

void progress_update(Progress *p, const char *format, ...) _printf_(2, 3);
/* Redraws "WHAT… 3.2s" every 200ms from a thread until progress_ticker_stop(). */
int progress_ticker_start(Progress *p, const char *what);
void progress_ticker_stop(Progress *p);
/* Stops the ticker and removes the line (before an error message). */
void progress_clear(Progress *p);
/* Replaces the line with a final one that stays (with the total time). */
void progress_finish(Progress *p, const char *format, ...) _printf_(2, 3);
