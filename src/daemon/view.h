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

#define VIEW_WAIT_BUCKETS 16 /* = CELLS_WAIT_BUCKETS */

/* Scheduler event counters since the start (cumulative, from the BPF side). */
struct view_counters {
	uint64_t reenq;	     /* queued tasks re-examined after publications */
	uint64_t reenq_affn; /* of those, moved to a per-CPU queue: affinity outside the cell */
	uint64_t owner_busy; /* wake-ups that found every CPU of the task's cell busy */
	uint64_t owner_busy_lent;   /* of those, one of the cell's CPUs ran a borrower */
	uint64_t reclaims;	    /* reclaim preemptions issued */
	uint64_t reclaim_ticks;	    /* of those, a borrower's slice ended on a tick */
	uint64_t reclaim_runs;	    /* owner tasks that started on a reclaimed CPU */
	uint64_t reclaim_wait_ns;   /* their total wait from wake-up to running */
	uint64_t reclaim_remote;    /* reclaims decided on another CPU (IPI) */
	uint64_t reclaim_overtaken; /* owners woken for a reclaimed CPU that ran another task first
				     */
	uint64_t wakeups;	    /* wake-ups of unpinned tasks (run-queue wait measured) */
	uint64_t wake_wait_ns;	    /* their total wait from wake-up to running */
	uint64_t wake_wait_hist[VIEW_WAIT_BUCKETS]; /* [0] < 1 us, [b] [2^(b-1), 2^b) us */
	uint64_t slice_shrinks;			    /* running slices cut for a per-CPU waiter */
	uint64_t affn_spread;  /* narrow-affinity tasks moved off their previous CPU */
	uint64_t borrow_pulls; /* queued tasks of other cells taken by a CPU with nothing to run */
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

#endif /* SCX_CELLS_VIEW_H */
