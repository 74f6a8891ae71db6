/* SPDX-License-Identifier: GPL-2.0 */
/*
 * view - renders one interval's stats as the human table (with the CPU map) or as one JSON line.
 * Pure: everything it shows comes in struct view; it writes only to the FILE it is given. The
 * daemon renders both forms each interval (stdout gets one, the stats socket both).
 */
#ifndef SCX_CELLS_VIEW_H
#define SCX_CELLS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "demand.h"
#include "plan.h"

#define VIEW_CPU_MAP_MAX 64 /* the CPU map is shown up to this many CPUs */

/* Placement shares of one interval, in percent of all placements. */
struct view_placement {
	double idle, cell, pinned, borrowed;
};

/* Scheduler event counters since the start (cumulative, from the BPF side). */
struct view_counters {
	uint64_t reenq;	     /* queued tasks re-examined after publications */
	uint64_t reenq_affn; /* of those, moved to a per-CPU queue: affinity outside the cell */
};

struct view {
	double elapsed_s;
	uint64_t nr_plans, nr_rebalances, nr_rejected;
	unsigned int nr_waiting;
	struct view_placement placement;
	struct view_counters counters;
	const struct plan *plan;     /* NULL before the first plan */
	const struct demand *demand; /* per-cell metrics; may be NULL */
	const int *running; /* [plan->nr_cpus] cell running on each CPU, -1 idle; or NULL */
	/* Name shown for cell @id ("(root)" for 0). */
	const char *(*label)(const void *ctx, int id);
	const void *ctx;
};

void view_render(FILE *f, const struct view *v, bool json);

/* Write @s as a JSON string literal (quotes included). */
void json_print_string(FILE *f, const char *s);

#endif /* SCX_CELLS_VIEW_H */
