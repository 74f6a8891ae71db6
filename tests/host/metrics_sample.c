// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_sample - writes metrics_openmetrics() of a synthetic snapshot to stdout, for the host
 * test of the --metrics-file format (tests/host/metrics.sh runs promtool on it). The daemon
 * itself needs sched_ext, so on the host this is the same renderer with made-up values; the VM
 * case stats_protocol captures a file the daemon wrote.
 *
 *   metrics_sample N    interval N (>= 1): uptime and counters grow with N
 *
 * The cells have the awkward names a cgroup can have: quotes, a backslash, a newline, non-ASCII.
 */
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	struct metrics_cell cells[] = {
		{.id = 0, .cgroup = "(root)", .cpus = "0-1", .num_cpus = 2, .util_pct = 40.5},
		{.id = 1,
		 .cgroup = "we\"ird\\name\n",
		 .cpus = "2",
		 .num_cpus = 1,
		 .util_pct = 99.9,
		 .demand_borrow_pct = 12.5,
		 .cpus_used = 1.2},
		{.id = 7,
		 .cgroup = "p\xc3\xa4"
			   "d-\xff",
		 .cpus = "3",
		 .num_cpus = 1,
		 .smoothed_util_pct = 3.25,
		 .lent_pct = 50},
	};
	struct metrics_snapshot s = {
		.start_time_seconds = 1764630000.25,
		.uptime_seconds = 0.2 * (double)n,
		.plans_applied = 1 + (uint64_t)n / 10,
		.rebalance_count = (uint64_t)n / 20,
		.idle_pct = 60,
		.cell_q_pct = 30,
		.cpu_q_pct = 5,
		.borrowed_pct = 5,
		.bpf = {.placed_idle = 100 * (uint64_t)n,
			.queued_cell = 50 * (uint64_t)n,
			.resolves = 3 * (uint64_t)n},
		.num_cells = 3,
		.cells = cells,
	};

	if (n < 1) {
		fprintf(stderr, "usage: metrics_sample N (N >= 1)\n");
		return 2;
	}
	return metrics_openmetrics(stdout, &s) || fflush(stdout) ? 1 : 0;
}
