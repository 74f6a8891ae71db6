/* SPDX-License-Identifier: GPL-2.0 */
/*
 * monitor - the client of the stats socket, the whole of `scx_cells --monitor`: connect, ask,
 * print. The server is statsock.h, the wire format wire.h (docs/monitor.md has the protocol).
 */
#ifndef SCX_CELLS_MONITOR_H
#define SCX_CELLS_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/*
 * `scx_cells --monitor`: connect to the daemon at @path, ask for @json or text snapshots and print
 * each to @out (JSON: one line each; text: as the daemon rendered it). The first snapshot is
 * printed as soon as it arrives; after that at most one per @period_s seconds, the latest one
 * received (intermediate ones are skipped); @period_s <= 0 prints every snapshot. When the daemon
 * closes the connection the latest snapshot not yet printed is printed, then 0 is returned.
 * *@stop (set by the caller's signal handler; may be NULL) is checked at least every 250 ms and
 * makes it return 0. Errors return -errno with a message in @err: no daemon (-ENOENT,
 * -ECONNREFUSED), not root (-EACCES), request refused by the daemon (-EPROTO), connection lost in
 * the middle of a snapshot (-ECONNRESET), a snapshot too large (-EMSGSIZE), output failed.
 */
int monitor_run(const char *path, bool json, double period_s, FILE *out,
		volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif /* SCX_CELLS_MONITOR_H */
