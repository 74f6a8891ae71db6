// SPDX-License-Identifier: GPL-2.0
/*
 * stats - what the daemon measures each interval: per-cell per-CPU run time and queue wait from
 * the BPF side (into the demand model), placement counters, and the stats view they make (stdout
 * and the stats socket). See daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpumask.h"
#include "daemon.h"
#include "view.h"

static const char *cell_label(struct daemon *d, unsigned int id)
{
	const struct cell *c = manager_cells(d->mgr) ? cells_get(manager_cells(d->mgr), id) : NULL;

	if (id == 0)
		return "(root)";
	return c ? c->name : "?";
}

static const char *label_cb(const void *ctx, int id)
{
	return cell_label((struct daemon *)ctx, (unsigned int)id);
}

/* This interval's statistics in the form metrics.h exports (the stats socket, --metrics-file). */
static void fill_snapshot(struct daemon *d, const struct view *v, struct metrics_snapshot *m)
{
	const uint64_t *t = d->totals;
	const struct plan *p = v->plan;

	*m = (struct metrics_snapshot){
		.start_time_seconds = d->start_wall_s,
		.uptime_seconds = v->elapsed_s,
		.plans_applied = d->nr_plans,
		.rebalance_count = d->nr_rebalances,
		.plans_rejected = d->nr_rejected,
		.plans_retried = d->nr_retried,
		.cells_waiting = v->nr_waiting,
		.idle_pct = v->placement.idle,
		.cell_q_pct = v->placement.cell,
		.cpu_q_pct = v->placement.pinned,
		.borrowed_pct = v->placement.borrowed,
		.bpf =
			{
				.placed_idle = t[STAT_SELECT_IDLE] + t[STAT_ENQ_IDLE],
				.queued_cell = t[STAT_CELL_QUEUED],
				.queued_pinned = t[STAT_PINNED_QUEUED],
				.placed_borrowed = t[STAT_BORROW_SELECT] + t[STAT_BORROW_ENQ],
				.reclaim_preemptions = t[STAT_RECLAIM_KICK],
				.resolves = t[STAT_RESOLVE],
				.cfg_kicks = t[STAT_CFG_KICK],
				.slice_shrinks = t[STAT_SLICE_SHRINK],
				.affn_spread = t[STAT_AFFN_SPREAD],
				.borrow_pulls = t[STAT_BORROW_PULL],
			},
		.cells = d->mcells,
	};
	for (unsigned int i = 0; p && i < p->nr_cells && i < d->max_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];
		const struct demand_cell *dc = demand_cell(d->demand, (unsigned int)pc->id);
		struct metrics_cell *mc = &d->mcells[m->num_cells++];
		char *cpus = d->mcpus + i * d->mcpus_len;

		cpumask_format(pc->primary, cpus, d->mcpus_len);
		*mc = (struct metrics_cell){
			.id = (unsigned int)pc->id,
			.cgroup = cell_label(d, (unsigned int)pc->id),
			.cpus = cpus,
			.num_cpus = pc->nr_primary,
		};
		if (dc) {
			mc->util_pct = dc->util_pct;
			mc->smoothed_util_pct = dc->smoothed_util_pct;
			mc->demand_borrow_pct = dc->demand_borrow_pct;
			mc->lent_pct = dc->lent_pct;
			mc->cpus_used = dc->cpus_used;
			mc->cpus_waiting = dc->cpus_waiting;
			mc->smoothed_cpus = dc->smoothed_cpus;
		}
	}
}

/*
 * --metrics-file: the textfile collector may read at any moment, so write a temporary file in
 * the same directory and rename it over the old one (atomic within a file system). Its name
 * does not end in ".prom", so the collector ignores it. A failure is logged once, and again
 * when writing works again; scheduling goes on either way.
 */
static void write_metrics_file(struct daemon *d, const struct metrics_snapshot *m)
{
	const char *path = d->o->metrics_file;
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		ret = -errno;
	if (!ret)
		ret = metrics_openmetrics(f, m);
	if (f && fclose(f) && !ret)
		ret = -errno;
	else if (!f && fd >= 0)
		close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		if (fd >= 0)
			unlink(tmp);
		if (!d->metrics_failing)
			fprintf(stderr,
				"scx_cells: cannot write the metrics file %s: %s; scheduling goes on, retrying every interval\n",
				path, strerror(-ret));
		d->metrics_failing = true;
	} else if (d->metrics_failing) {
		fprintf(stderr, "scx_cells: the metrics file %s is written again\n", path);
		d->metrics_failing = false;
	}
}

/*
 * Render this interval's view as text and as JSON: the chosen one goes to stdout; the text view
 * and the metrics snapshot to the stats socket, the snapshot to the --metrics-file.
 */
static void publish_stats(struct daemon *d, double elapsed_s)
{
	const struct plan *p = manager_current(d->mgr);
	uint64_t delta[NR_CELLS_STATS], total = 0;
	struct view v = {
		.elapsed_s = elapsed_s,
		.nr_plans = d->nr_plans,
		.nr_rebalances = d->nr_rebalances,
		.nr_rejected = d->nr_rejected,
		.nr_waiting = manager_cells(d->mgr) ? cells_nr_waiting(manager_cells(d->mgr)) : 0,
		.plan = p,
		.demand = d->demand,
		.running = d->running,
		.label = label_cb,
		.ctx = d,
	};
	struct metrics_snapshot snap;
	char *text = NULL, *json = NULL;
	size_t tlen, jlen;
	FILE *tf, *jf;

	for (int i = 0; i < NR_CELLS_STATS; i++) {
		delta[i] = d->stats[i] - d->prev_stats[i];
		/* A counter below its previous value was reset by a reload: no wrap to 2^64. */
		if (d->stats[i] >= d->prev_stats[i])
			d->totals[i] += delta[i];
		d->prev_stats[i] = d->stats[i];
	}
	for (int i = STAT_SELECT_IDLE; i <= STAT_BORROW_ENQ; i++)
		total += delta[i];
#define SHARE(x) (total ? 100.0 * (double)(x) / (double)total : 0.0)
	v.placement = (struct view_placement){
		.idle = SHARE(delta[STAT_SELECT_IDLE] + delta[STAT_ENQ_IDLE]),
		.cell = SHARE(delta[STAT_CELL_QUEUED]),
		.pinned = SHARE(delta[STAT_PINNED_QUEUED]),
		.borrowed = SHARE(delta[STAT_BORROW_SELECT] + delta[STAT_BORROW_ENQ]),
	};
#undef SHARE
	v.counters = (struct view_counters){
		.reenq = d->stats[STAT_REENQ],
		.reenq_affn = d->stats[STAT_REENQ_AFFN],
		.owner_busy = d->stats[STAT_OWNER_BUSY],
		.owner_busy_lent = d->stats[STAT_OWNER_BUSY_LENT],
		.reclaims = d->stats[STAT_RECLAIM_KICK],
		.reclaim_ticks = d->stats[STAT_RECLAIM_TICK],
		.reclaim_runs = d->stats[STAT_RECLAIM_RUN],
		.reclaim_wait_ns = d->stats[STAT_RECLAIM_WAIT_NS],
		.reclaim_remote = d->stats[STAT_RECLAIM_REMOTE],
		.reclaim_overtaken = d->stats[STAT_RECLAIM_OVERTAKEN],
		.wakeups = d->stats[STAT_WAKEUPS],
		.wake_wait_ns = d->stats[STAT_WAKE_WAIT_NS],
		.slice_shrinks = d->stats[STAT_SLICE_SHRINK],
		.affn_spread = d->stats[STAT_AFFN_SPREAD],
		.borrow_pulls = d->stats[STAT_BORROW_PULL],
	};
	_Static_assert(VIEW_WAIT_BUCKETS == CELLS_WAIT_BUCKETS, "one histogram layout");
	for (int b = 0; b < VIEW_WAIT_BUCKETS; b++)
		v.counters.wake_wait_hist[b] = d->stats[STAT_WAKE_WAIT_HIST + b];
	sched_read_running(d->sched, d->running);
	tf = open_memstream(&text, &tlen);
	jf = open_memstream(&json, &jlen);
	if (tf && jf) {
		view_render(tf, &v, false);
		view_render(jf, &v, true);
		fclose(tf);
		fclose(jf);
		tf = jf = NULL;
		fputs(d->o->stats_format == OPTS_STATS_JSON ? json : text, stdout);
		fflush(stdout);
	}
	if (tf)
		fclose(tf);
	if (jf)
		fclose(jf);
	fill_snapshot(d, &v, &snap);
	if (d->stats_sock) {
		char *top = metrics_stats_json(&snap);

		/* NULL (out of memory) keeps the previous snapshot of that target. */
		statsock_publish(d->stats_sock, top, text);
		free(top);
	}
	if (d->o->metrics_file)
		write_metrics_file(d, &snap);
	free(text);
	free(json);
}

/*
 * Read the per-cell per-CPU run-time counters into d->run_ns (laid out as
 * run_ns[cpu * max_cells + cell]) and the per-cell queue-wait counters into the demand model;
 * the sample's time is returned. Only published cell slots are read: the others have not run
 * anything since they were last cleared.
 */
static uint64_t read_counters(struct daemon *d)
{
	for (unsigned int cell = 0; cell < d->nr_published; cell++) {
		if (sched_read_cell_counters(d->sched, cell, d->col, &d->wait_ns[cell]))
			continue;
		for (unsigned int cpu = 0; cpu < d->nr_cpus; cpu++)
			d->run_ns[cpu * d->max_cells + cell] = d->col[cpu];
	}
	demand_set_wait(d->demand, d->wait_ns);
	return now_ns();
}

void stats_restart(struct daemon *d)
{
	uint64_t period = (uint64_t)(d->o->monitor_interval_s * 1e9);

	d->last_interval_ns = read_counters(d);
	demand_set_baseline(d->demand, d->run_ns);
	sched_read_stats(d->sched, d->prev_stats);
	loop_timer_arm(d->fds[FD_INTERVAL], period, period);
}

void stats_interval(struct daemon *d)
{
	const struct plan *p = manager_current(d->mgr);
	uint64_t now = read_counters(d);
	uint64_t measured = now - d->last_interval_ns;

	d->last_interval_ns = now;
	sched_read_stats(d->sched, d->stats);
	if (p && measured)
		demand_update(d->demand, d->run_ns, p->owner, measured);
	if (p && d->o->enable_rebalancing && demand_should_rebalance(d->demand, now)) {
		char head[64];

		snprintf(head, sizeof(head), "Rebalanced CPUs (spread=%.1f%%, count=%llu)",
			 demand_spread(d->demand), (unsigned long long)d->nr_rebalances + 1);
		if (daemon_replan(d, head, "rebalance", false) == 1)
			d->nr_rebalances++;
		demand_rebalanced(d->demand, now);
	}
	publish_stats(d, (double)(now - d->start_ns) / 1e9);
}

void stats_summary(struct daemon *d)
{
	const uint64_t *st = d->stats;

	printf("scx_cells: summary: %.1f s, %llu plans applied, %llu rebalances, %llu rejected, %llu retries, %llu reloads; placements: %llu on idle CPUs, %llu queued in cells, %llu pinned, %llu borrowed; %llu reclaim preemptions; %llu queued tasks re-examined after publications, %llu of them moved for affinity; %llu wake-ups found their cell busy, %llu of them with a CPU lent; %llu owner tasks ran on reclaimed CPUs; %llu wake-ups, wait mean %.1f us; %llu slice shrinks; %llu affinity spreads; %llu borrow pulls; reclaimed owners waited %.1f us mean, %llu reclaims remote, %llu owners overtaken",
	       (double)(now_ns() - d->start_ns) / 1e9, (unsigned long long)d->nr_plans,
	       (unsigned long long)d->nr_rebalances, (unsigned long long)d->nr_rejected,
	       (unsigned long long)d->nr_retried, (unsigned long long)d->nr_reloads,
	       (unsigned long long)(st[STAT_SELECT_IDLE] + st[STAT_ENQ_IDLE]),
	       (unsigned long long)st[STAT_CELL_QUEUED], (unsigned long long)st[STAT_PINNED_QUEUED],
	       (unsigned long long)(st[STAT_BORROW_SELECT] + st[STAT_BORROW_ENQ]),
	       (unsigned long long)st[STAT_RECLAIM_KICK], (unsigned long long)st[STAT_REENQ],
	       (unsigned long long)st[STAT_REENQ_AFFN], (unsigned long long)st[STAT_OWNER_BUSY],
	       (unsigned long long)st[STAT_OWNER_BUSY_LENT],
	       (unsigned long long)st[STAT_RECLAIM_RUN], (unsigned long long)st[STAT_WAKEUPS],
	       st[STAT_WAKEUPS] ? (double)st[STAT_WAKE_WAIT_NS] / (double)st[STAT_WAKEUPS] / 1e3
				: 0.0,
	       (unsigned long long)st[STAT_SLICE_SHRINK], (unsigned long long)st[STAT_AFFN_SPREAD],
	       (unsigned long long)st[STAT_BORROW_PULL],
	       st[STAT_RECLAIM_RUN]
		       ? (double)st[STAT_RECLAIM_WAIT_NS] / (double)st[STAT_RECLAIM_RUN] / 1e3
		       : 0.0,
	       (unsigned long long)st[STAT_RECLAIM_REMOTE],
	       (unsigned long long)st[STAT_RECLAIM_OVERTAKEN]);
	/* Per cell: its tasks' mean wait from wake-up to running, and how many wake-ups. */
	printf("; wake-up wait by cell:");
	for (unsigned int cell = 0; cell < d->nr_published; cell++) {
		uint64_t ns, nr;

		if (!d->sched || sched_read_cell_wake(d->sched, cell, &ns, &nr) || !nr)
			continue;
		printf(" %s %.1f us (%llu)", cell_label(d, cell), (double)ns / (double)nr / 1e3,
		       (unsigned long long)nr);
	}
	printf("\n");
	fflush(stdout);
}
