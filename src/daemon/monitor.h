/* SPDX-License-Identifier: GPL-2.0 */
/*
 * monitor - `scx_cells --monitor`: a client of the scx_stats protocol (statsock.h) that asks a
 * running daemon for its stats every period and prints them.
 *
 * Text view (target "text") by default: on a terminal each view replaces the previous one in
 * place (cursor up + clear to the end of the screen) instead of scrolling; plain lines otherwise.
 * JSON (target "top", `--monitor --json`): the "stats" reply object, one line per view, the shape
 * of scx_mitosis's `--monitor` output. A view the daemon has not replaced since the last request
 * (a period shorter than the daemon's interval) is not printed again.
 *
 * Limits: a view taller than the terminal cannot be redrawn in place (the cursor cannot go above
 * the top of the screen); it then scrolls.
 */
#ifndef SCX_CELLS_MONITOR_H
#define SCX_CELLS_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* How long the daemon may take to answer one request before the monitor gives up. */
#define MONITOR_REPLY_TIMEOUT_MS 10000

struct monitor_cfg {
	const char *path; /* the daemon's stats socket */
	bool json;	  /* the "top" object as JSON lines instead of the text view */
	bool redraw;	  /* text view: redraw in place (stdout is a terminal) */
	double period_s;  /* between requests, > 0 */
	FILE *out;
	volatile sig_atomic_t *stop; /* set by the caller's signal handler; may be NULL */
};

/*
 * Ask and print until the daemon closes the connection (returns 0) or *@stop is set (checked at
 * least every 250 ms; returns 0). Errors return -errno with a one-line message in @err: no
 * daemon (-ENOENT, -ECONNREFUSED), not root (-EACCES), request refused by the daemon (-EPROTO,
 * with its reason), no answer in time (-ETIMEDOUT), a reply that is not the protocol (-EBADMSG)
 * or too long (-EMSGSIZE), output failed.
 */
int monitor_run(const struct monitor_cfg *cfg, char *err, size_t errlen);

#endif /* SCX_CELLS_MONITOR_H */
