/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon - the state of a running scx_cells and the calls its parts make on each other:
 *   main.c   mode dispatch (--dry-run, --monitor, the daemon), setup and the restart loop
 *   loop.c   the epoll event loop and what events lead to: rescans, re-plans, publication
 *   stats.c  counters read from the BPF side each interval, the stats view, the summary
 *   reload.c SIGHUP: re-read --cell-config
 * One thread; everything lives in struct daemon, nothing is global.
 */
#ifndef SCX_CELLS_DAEMON_H
#define SCX_CELLS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "debounce.h"
#include "demand.h"
#include "intf.h"
#include "manager.h"
#include "metrics.h"
#include "opts.h"
#include "sched.h"
#include "statsock.h"

#define NSEC_PER_SEC 1000000000ULL

enum loop_fd {
	FD_SIGNAL,
	FD_HEARTBEAT,
	FD_INTERVAL,
	FD_DEBOUNCE,
	FD_INOTIFY,
	FD_STATS,
	NR_LOOP_FDS,
};

struct daemon {
	const struct opts *o;
	struct manager *mgr;
	struct sched *sched;
	struct demand *demand;
	struct statsock *stats_sock; /* NULL: no stats socket */
	struct debounce deb;
	unsigned int nr_cpus, max_cells;
	uint64_t parent_cgid; /* cgroup id (inode) of the cell parent; the kernel derives its level
			       */
	unsigned int nr_published; /* cell slots in the published configuration */
	int fds[NR_LOOP_FDS];
	int epfd;
	uint64_t start_ns, last_interval_ns;
	double start_wall_s; /* Unix time at start: start_time_seconds, so restarts show */
	bool rescan_pending, cpusets_pending;
	bool limits_pending; /* a cell's cpu.weight or cpu.max changed: re-plan at the debounce */
	uint64_t cpuset_seq;
	/* scratch, sized once */
	uint64_t *run_ns;  /* [nr_cpus * max_cells] */
	uint64_t *wait_ns; /* [max_cells] */
	int *owner;	   /* [nr_cpus] */
	uint64_t *col;	   /* [nr_cpus] one cell's counters */
	int *running;	   /* [nr_cpus] cell running on each CPU */
	struct sched_cell *view;
	double *weights;
	/* counters for the stats view */
	uint64_t nr_plans, nr_rebalances, nr_rejected;
	uint64_t nr_reloads, nr_reload_failed; /* SIGHUP re-reads of --cell-config */
	uint64_t stats[NR_CELLS_STATS], prev_stats[NR_CELLS_STATS];
	/*
	 * The BPF counters summed over this daemon's life: the BPF side's own start at 0 on every
	 * (re)load, these never go backwards (what Prometheus counters must do).
	 */
	uint64_t totals[NR_CELLS_STATS];
	struct metrics_cell *mcells; /* [max_cells] the snapshot's cells */
	char *mcpus;		     /* [max_cells * mcpus_len] their CPU lists */
	size_t mcpus_len;
	bool metrics_failing; /* the last --metrics-file write failed (logged once) */
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* loop.c */

/* Create the epoll fd, signalfd and timers and add every source; arms the heartbeat. */
int loop_setup(struct daemon *d);
void loop_teardown(struct daemon *d);
/* Returns 0 to stop (signal, --exit-after-s, BPF exit), -errno on a fatal loop error. */
int loop_run(struct daemon *d);
/* Arm timerfd @fd to fire after @first_ns, then every @period_ns (0: once). */
int loop_timer_arm(int fd, uint64_t first_ns, uint64_t period_ns);
/* Bring the demand model's set of live cells in line with a registry diff. */
void daemon_follow_cells(struct daemon *d, const struct cells_diff *diff);
/*
 * Plan for the current cells and publish the plan if it differs from the one in force (or
 * always, with @force). A plan that fails validation or publication is never applied: the
 * previous one stays. Returns 1 when a new plan was applied, 0 when nothing changed, -errno on
 * failure.
 */
int daemon_replan(struct daemon *d, const char *head, const char *why, bool force);

/* reload.c */

/*
 * SIGHUP: re-read --cell-config and rescan with the new rules; re-plan if cells or their limits
 * changed. The scheduler stays loaded. A file that does not parse, or a rescan that fails, keeps
 * the old rules and cells and is logged on stderr. Returns 0 or -errno.
 */
int daemon_reload_config(struct daemon *d);

/* stats.c */

/* Start measuring from now: counters read, interval timer restarted (after a (re)load). */
void stats_restart(struct daemon *d);
/* One metrics interval: read counters, update demand, maybe rebalance, print the view. */
void stats_interval(struct daemon *d);
/* What this run did, printed once at the end. */
void stats_summary(struct daemon *d);

#endif /* SCX_CELLS_DAEMON_H */
