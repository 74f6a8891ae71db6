// SPDX-License-Identifier: GPL-2.0
/*
 * scx_cells - the daemon: parse options, load the BPF scheduler, keep its cell configuration in
 * step with the cgroup tree, measure demand, rebalance, print stats, and unload cleanly.
 *
 * One epoll loop:
 *   signalfd        SIGINT/SIGTERM -> unload and exit 0
 *   inotify         children of the parent cgroup come and go -> debounce
 *   debounce timer  -> rescan -> plan -> validate -> publish
 *   heartbeat       notices a BPF-side exit and cpuset writes (cpuset_seq) -> debounce
 *   interval timer  demand metrics, rebalancing, the stats view
 * Exit status: 0 clean stop, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "debounce.h"
#include "demand.h"
#include "intf.h"
#include "manager.h"
#include "opts.h"
#include "sched.h"
#include "statsock.h"
#include "view.h"

#define HEARTBEAT_NS (100 * 1000 * 1000ULL)
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
	bool rescan_pending, cpusets_pending;
	uint64_t cpuset_seq;
	/* scratch, sized once */
	uint64_t *run_ns;   /* [nr_cpus * max_cells] */
	uint64_t *wait_ns;  /* [max_cells] */
	uint64_t *pub_cgid; /* [max_cells] cgroup id per slot as last published (0: none) */
	int *owner;	    /* [nr_cpus] */
	uint64_t *col;	    /* [nr_cpus] one cell's counters */
	int *running;	    /* [nr_cpus] cell running on each CPU */
	struct sched_cell *view;
	double *weights;
	/* counters for the stats view */
	uint64_t nr_plans, nr_rebalances, nr_rejected;
	uint64_t stats[NR_CELLS_STATS], prev_stats[NR_CELLS_STATS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int timer_arm(int fd, uint64_t first_ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = {(time_t)(first_ns / NSEC_PER_SEC), (long)(first_ns % NSEC_PER_SEC)},
		.it_interval = {(time_t)(period_ns / NSEC_PER_SEC),
				(long)(period_ns % NSEC_PER_SEC)},
	};

	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

static void drain_fd(int fd)
{
	uint64_t ticks;

	(void)!read(fd, &ticks, sizeof(ticks));
}

static int loop_add(struct daemon *d, enum loop_fd which, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = which};

	d->fds[which] = fd;
	if (fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

static int loop_setup(struct daemon *d)
{
	sigset_t mask;
	int ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	ret = loop_add(d, FD_SIGNAL, signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
	for (int t = FD_HEARTBEAT; !ret && t <= FD_DEBOUNCE; t++)
		ret = loop_add(d, t, timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
	if (!ret && manager_cells(d->mgr))
		ret = loop_add(d, FD_INOTIFY, cells_watch_fd(manager_cells(d->mgr)));
	if (!ret && d->stats_sock)
		ret = loop_add(d, FD_STATS, statsock_fd(d->stats_sock));
	if (ret)
		return ret;
	/* The interval timer is armed by metrics_restart() once the scheduler runs. */
	return timer_arm(d->fds[FD_HEARTBEAT], HEARTBEAT_NS, HEARTBEAT_NS);
}

static void loop_teardown(struct daemon *d)
{
	for (int i = 0; i < NR_LOOP_FDS; i++)
		/* the registry and the stats socket own their fds */
		if (d->fds[i] >= 0 && i != FD_INOTIFY && i != FD_STATS)
			close(d->fds[i]);
	if (d->epfd >= 0)
		close(d->epfd);
}

/* Bring the demand model's set of live cells in line with a registry diff. */
static void demand_follow(struct daemon *d, const struct cells_diff *diff)
{
	for (unsigned int i = 0; i < diff->nr_destroyed; i++)
		demand_cell_remove(d->demand, diff->destroyed[i].id);
	for (unsigned int i = 0; i < diff->nr_created; i++)
		demand_cell_add(d->demand, diff->created[i].id);
}

/* Cgroup id of slot @i in d->view, whose first @nr slots are to be published (0: none). */
static uint64_t view_cgid(const struct daemon *d, unsigned int i, unsigned int nr)
{
	return i < nr && d->view[i].in_use ? d->view[i].cgid : 0;
}

/* Do the first @nr slots of d->view name the cgroups that were published last? */
static bool same_cgroups(const struct daemon *d, unsigned int nr)
{
	for (unsigned int i = 0; i < d->max_cells; i++)
		if (view_cgid(d, i, nr) != d->pub_cgid[i])
			return false;
	return true;
}

/*
 * Plan for the current cells and publish the plan if it differs from the one in force (or
 * always, with @force). A plan that fails validation or publication is never applied: the
 * previous one stays. Returns 1 when a new plan was applied, 0 when nothing changed, -errno on
 * failure.
 */
static int replan(struct daemon *d, const char *why, bool force)
{
	const bool weighted = d->o->enable_rebalancing;
	uint64_t t0 = now_ns(), t1;
	unsigned int nr, moved;
	char err[512], what[128];
	struct plan *p;
	int ret;

	if (weighted)
		demand_weights(d->demand, d->weights);
	ret = manager_plan(d->mgr, weighted ? d->weights : NULL, &p, err, sizeof(err));
	if (ret) {
		d->nr_rejected++;
		fprintf(stderr, "scx_cells: plan rejected (%s), keeping the previous plan: %s\n",
			why, err);
		return ret;
	}
	nr = manager_publish_view(d->mgr, p, d->view, d->owner);
	/*
	 * Nothing to do only if the CPUs and the cells' cgroups are unchanged: a slot reused by a
	 * new cgroup (a cell removed, a waiting child placed) keeps the same CPUs.
	 */
	if (!force && manager_current(d->mgr) && plan_equal(manager_current(d->mgr), p) &&
	    same_cgroups(d, nr)) {
		plan_free(p);
		return 0;
	}
	if (nr > d->nr_published)
		d->nr_published = nr; /* counters of slots used once stay readable */
	t1 = now_ns();
	ret = sched_publish(d->sched, d->parent_cgid, d->view, nr, d->owner);
	if (ret) {
		d->nr_rejected++;
		fprintf(stderr,
			"scx_cells: publishing the plan failed (%s), keeping the previous: %s\n",
			why, strerror(ret < 0 ? -ret : ret));
		plan_free(p);
		return ret < 0 ? ret : -EIO;
	}
	moved = manager_current(d->mgr) ? plan_moved(manager_current(d->mgr), p) : 0;
	snprintf(what, sizeof(what),
		 "applied plan %llu (%s; %u CPUs moved; planned in %llu us, "
		 "published in %llu us)",
		 (unsigned long long)d->nr_plans + 1, why, moved,
		 (unsigned long long)(t1 - t0) / 1000, (unsigned long long)(now_ns() - t1) / 1000);
	for (unsigned int i = 0; i < d->max_cells; i++)
		d->pub_cgid[i] = view_cgid(d, i, nr);
	manager_commit(d->mgr, p);
	d->nr_plans++;
	manager_log_plan(p, what, stdout);
	fflush(stdout);
	return 1;
}

/* The debounce deadline passed: rescan (or re-read cpusets) and re-plan. */
static int on_debounce(struct daemon *d)
{
	struct cells *cells = manager_cells(d->mgr);
	struct cells_diff diff = {0};
	char err[512];
	int ret = 0;

	if (!debounce_fire(&d->deb, now_ns())) {
		uint64_t left = debounce_timeout(&d->deb, now_ns());

		return timer_arm(d->fds[FD_DEBOUNCE], left ? left : 1, 0);
	}
	if (d->rescan_pending)
		ret = cells_rescan(cells, &diff, err, sizeof(err));
	else if (d->cpusets_pending)
		ret = cells_reread_cpusets(cells, &diff, err, sizeof(err));
	d->rescan_pending = d->cpusets_pending = false;
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		cells_diff_free(&diff);
		return ret;
	}
	manager_log_diff(&diff, stdout);
	demand_follow(d, &diff);
	if (cells_diff_changed(&diff))
		replan(d, "cgroups changed", false);
	cells_diff_free(&diff);
	return 0;
}

static void schedule_debounce(struct daemon *d)
{
	uint64_t now = now_ns();
	uint64_t left;

	debounce_event(&d->deb, now);
	left = debounce_timeout(&d->deb, now);
	timer_arm(d->fds[FD_DEBOUNCE], left ? left : 1, 0);
}

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

/*
 * Render this interval's view as text and as JSON: the chosen one goes to stdout, both to the
 * stats socket's clients.
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
	char *text = NULL, *json = NULL;
	size_t tlen, jlen;
	FILE *tf, *jf;

	for (int i = 0; i < NR_CELLS_STATS; i++) {
		delta[i] = d->stats[i] - d->prev_stats[i];
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
		.wakeups = d->stats[STAT_WAKEUPS],
		.wake_wait_ns = d->stats[STAT_WAKE_WAIT_NS],
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
		if (d->stats_sock)
			statsock_publish(d->stats_sock, json, text);
	}
	if (tf)
		fclose(tf);
	if (jf)
		fclose(jf);
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

/* Start measuring from now: counters read, interval timer restarted (after a (re)load). */
static void metrics_restart(struct daemon *d)
{
	uint64_t period = (uint64_t)(d->o->monitor_interval_s * 1e9);

	d->last_interval_ns = read_counters(d);
	demand_set_baseline(d->demand, d->run_ns);
	sched_read_stats(d->sched, d->prev_stats);
	timer_arm(d->fds[FD_INTERVAL], period, period);
}

/* One metrics interval: read counters, update demand, maybe rebalance, print the view. */
static void on_interval(struct daemon *d)
{
	const struct plan *p = manager_current(d->mgr);
	uint64_t now = read_counters(d);
	uint64_t measured = now - d->last_interval_ns;

	d->last_interval_ns = now;
	sched_read_stats(d->sched, d->stats);
	if (p && measured)
		demand_update(d->demand, d->run_ns, p->owner, measured);
	if (p && d->o->enable_rebalancing && demand_should_rebalance(d->demand, now)) {
		if (replan(d, "rebalance", false) == 1)
			d->nr_rebalances++;
		demand_rebalanced(d->demand, now);
	}
	publish_stats(d, (double)(now - d->start_ns) / 1e9);
}

static void on_heartbeat(struct daemon *d)
{
	uint64_t seq = sched_cpuset_seq(d->sched);

	/* fentry fires before the write lands; the debounce delay re-reads after it. */
	if (seq != d->cpuset_seq && manager_cells(d->mgr)) {
		d->cpuset_seq = seq;
		d->cpusets_pending = true;
		schedule_debounce(d);
	}
}

/* Returns 0 to stop (signal, --exit-after-s, BPF exit), -errno on a fatal loop error. */
static int run_loop(struct daemon *d)
{
	uint64_t deadline = d->o->exit_after_s > 0
				    ? d->start_ns + (uint64_t)(d->o->exit_after_s * 1e9)
				    : UINT64_MAX;

	for (;;) {
		struct epoll_event evs[NR_LOOP_FDS];
		int n = epoll_wait(d->epfd, evs, NR_LOOP_FDS, -1);
		char err[512];
		bool rescan;
		int ret;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			int fd = d->fds[evs[i].data.u32];
			struct signalfd_siginfo si;

			switch (evs[i].data.u32) {
			case FD_SIGNAL:
				if (read(fd, &si, sizeof(si)) == sizeof(si)) {
					if (d->o->verbose)
						fprintf(stderr,
							"scx_cells: got signal %u, unloading\n",
							si.ssi_signo);
					return 0;
				}
				break;
			case FD_HEARTBEAT:
				drain_fd(fd);
				on_heartbeat(d);
				break;
			case FD_INTERVAL:
				drain_fd(fd);
				on_interval(d);
				break;
			case FD_DEBOUNCE:
				drain_fd(fd);
				ret = on_debounce(d);
				if (ret == -ENOENT)
					return ret;
				break;
			case FD_STATS:
				statsock_dispatch(d->stats_sock);
				break;
			case FD_INOTIFY:
				ret = cells_handle_events(manager_cells(d->mgr), &rescan, err,
							  sizeof(err));
				if (ret) {
					fprintf(stderr, "scx_cells: %s\n", err);
					return ret;
				}
				if (rescan) {
					d->rescan_pending = true;
					schedule_debounce(d);
				}
				break;
			}
		}
		if (sched_exited(d->sched))
			return 0;
		if (now_ns() >= deadline)
			return 0;
	}
}

/* What this run did, printed once at the end. */
static void print_summary(struct daemon *d)
{
	const uint64_t *st = d->stats;

	printf("scx_cells: summary: %.1f s, %llu plans applied, %llu rebalances, %llu rejected; "
	       "placements: %llu on idle CPUs, %llu queued in cells, %llu pinned, %llu borrowed; "
	       "%llu reclaim preemptions; %llu queued tasks re-examined after publications, "
	       "%llu of them moved for affinity; %llu wake-ups found their cell busy, %llu of "
	       "them with a CPU lent; %llu owner tasks ran on reclaimed CPUs; %llu wake-ups, "
	       "wait mean %.1f us\n",
	       (double)(now_ns() - d->start_ns) / 1e9, (unsigned long long)d->nr_plans,
	       (unsigned long long)d->nr_rebalances, (unsigned long long)d->nr_rejected,
	       (unsigned long long)(st[STAT_SELECT_IDLE] + st[STAT_ENQ_IDLE]),
	       (unsigned long long)st[STAT_CELL_QUEUED], (unsigned long long)st[STAT_PINNED_QUEUED],
	       (unsigned long long)(st[STAT_BORROW_SELECT] + st[STAT_BORROW_ENQ]),
	       (unsigned long long)st[STAT_RECLAIM_KICK], (unsigned long long)st[STAT_REENQ],
	       (unsigned long long)st[STAT_REENQ_AFFN], (unsigned long long)st[STAT_OWNER_BUSY],
	       (unsigned long long)st[STAT_OWNER_BUSY_LENT],
	       (unsigned long long)st[STAT_RECLAIM_RUN], (unsigned long long)st[STAT_WAKEUPS],
	       st[STAT_WAKEUPS] ? (double)st[STAT_WAKE_WAIT_NS] / (double)st[STAT_WAKEUPS] / 1e3
				: 0.0);
	fflush(stdout);
}

/* The manager's configuration from the options (the parent is resolved by the caller). */
static struct manager_cfg manager_cfg_of(const struct opts *o, const char *sysfs_root)
{
	return (struct manager_cfg){
		.exclude = o->cell_exclude,
		.nr_exclude = o->nr_cell_exclude,
		.max_cells = o->max_cells,
		.cell0_min_cpus = o->cell0_min_cpus,
		.sysfs_root = sysfs_root,
	};
}

static int dry_run(const struct opts *o)
{
	struct manager_cfg mcfg = manager_cfg_of(o, o->sysfs_root);
	char parent[PATH_MAX], err[512];
	struct manager *mgr;
	struct plan *p;
	int ret;

	if (o->cell_parent_cgroup) {
		ret = cgroup_parent_path(NULL, o->cell_parent_cgroup, true, parent, sizeof(parent),
					 err, sizeof(err));
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			return 1;
		}
		mcfg.parent = parent;
	}
	ret = manager_new(&mcfg, &mgr, NULL, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 1;
	}
	ret = manager_plan(mgr, NULL, &p, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: no valid plan: %s\n", err);
		manager_free(mgr);
		return 1;
	}
	manager_print_plan(mgr, p, o->stats_format == OPTS_STATS_JSON, stdout);
	plan_free(p);
	manager_free(mgr);
	return 0;
}

/*
 * scx_cells needs no cgroup controller (tasks are matched by cgroup id), but cpusets of cells only
 * exist when the cpuset controller is enabled below the parent: say so once, do not fail.
 */
static void check_controllers(const char *parent)
{
	char path[PATH_MAX + 32], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	if (!strstr(line, "cpuset"))
		fprintf(stderr,
			"scx_cells: note: the cpuset controller is not enabled below %s, so cells "
			"have no cpusets (enable with: echo +cpuset > %s)\n",
			parent, path);
}

static int daemon_init(struct daemon *d, const struct opts *o)
{
	struct manager_cfg mcfg = manager_cfg_of(o, "/sys");
	struct debounce_cfg dcfg = {
		.window_ns = (uint64_t)o->debounce_ms * 1000000ULL,
		.max_latency_ns = (uint64_t)o->debounce_ms * 4000000ULL,
		.min_interval_ns = (uint64_t)o->debounce_ms * 1000000ULL,
	};
	struct demand_cfg demand_cfg;
	static char parent[PATH_MAX];
	char mount[PATH_MAX], err[512];
	struct cells_diff diff = {0};
	struct stat st;
	int ret;

	if (o->cell_parent_cgroup) {
		ret = cgroup_find_mount(NULL, mount, sizeof(mount), err, sizeof(err));
		ret = ret
			      ?: cgroup_parent_path(NULL, o->cell_parent_cgroup, false, parent,
						    sizeof(parent), err, sizeof(err));
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			return ret;
		}
		mcfg.parent = parent;
		/* Its cgroup id is its inode; the BPF side takes the level from the kernel. */
		if (stat(parent, &st)) {
			ret = -errno;
			fprintf(stderr, "scx_cells: cannot stat the cell parent %s: %s\n", parent,
				strerror(errno));
			return ret;
		}
		d->parent_cgid = (uint64_t)st.st_ino;
		check_controllers(parent);
	}
	ret = manager_new(&mcfg, &d->mgr, &diff, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return ret;
	}
	d->nr_cpus = manager_topology(d->mgr)->nr_cpus;
	d->max_cells = o->max_cells;
	ret = debounce_init(&d->deb, &dcfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		cells_diff_free(&diff);
		return ret;
	}
	demand_cfg_default(&demand_cfg);
	demand_cfg.alpha = o->demand_smoothing;
	demand_cfg.threshold_pct = o->rebalance_threshold;
	demand_cfg.cooldown_ns = (uint64_t)(o->rebalance_cooldown_s * 1e9);
	d->demand = demand_new(d->nr_cpus, d->max_cells, &demand_cfg, err, sizeof(err));
	d->run_ns = calloc((size_t)d->nr_cpus * d->max_cells, sizeof(*d->run_ns));
	d->wait_ns = calloc(d->max_cells, sizeof(*d->wait_ns));
	d->pub_cgid = calloc(d->max_cells, sizeof(*d->pub_cgid));
	d->owner = calloc(d->nr_cpus, sizeof(*d->owner));
	d->col = calloc(d->nr_cpus, sizeof(*d->col));
	d->running = calloc(d->nr_cpus, sizeof(*d->running));
	d->view = calloc(d->max_cells, sizeof(*d->view));
	d->weights = calloc(d->max_cells, sizeof(*d->weights));
	if (!d->demand || !d->run_ns || !d->wait_ns || !d->pub_cgid || !d->owner || !d->col ||
	    !d->running || !d->view || !d->weights) {
		fprintf(stderr, "scx_cells: out of memory setting up the daemon\n");
		cells_diff_free(&diff);
		return -ENOMEM;
	}
	ret = statsock_listen(&d->stats_sock, o->stats_socket, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: stats socket: %s\n", err);
		cells_diff_free(&diff);
		return ret;
	}
	demand_cell_add(d->demand, 0);
	manager_log_diff(&diff, stdout);
	demand_follow(d, &diff);
	cells_diff_free(&diff);
	return 0;
}

static void daemon_free(struct daemon *d)
{
	statsock_close(d->stats_sock);
	manager_free(d->mgr);
	demand_free(d->demand);
	free(d->run_ns);
	free(d->wait_ns);
	free(d->pub_cgid);
	free(d->owner);
	free(d->col);
	free(d->running);
	free(d->view);
	free(d->weights);
}

static volatile sig_atomic_t monitor_stop;

static void monitor_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

/* --monitor: print a running instance's stats until it exits or we are interrupted. */
static int monitor(const struct opts *o)
{
	struct sigaction sa = {.sa_handler = monitor_signal}; /* no SA_RESTART: wake poll() */
	char err[512];
	int ret;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = statsock_monitor(o->stats_socket, o->stats_format == OPTS_STATS_JSON, o->monitor_s,
			       stdout, &monitor_stop, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {.fds = {-1, -1, -1, -1, -1, -1}, .epfd = -1};
	struct sched_params params;
	struct opts o;
	char err[512];
	bool restart = false;
	int ret, status = 0;

	ret = opts_parse(&o, argc, argv, stdout, stderr);
	if (ret == OPTS_EXIT_OK)
		return 0;
	if (ret != OPTS_RUN)
		return 2;
	if (o.dry_run)
		return dry_run(&o);
	if (o.monitor)
		return monitor(&o);
	d.o = &o;

	ret = sched_preflight("/sys", err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 1;
	}
	if (daemon_init(&d, &o)) {
		daemon_free(&d);
		return 1;
	}
	params = (struct sched_params){
		.nr_cpus = d.nr_cpus,
		.slice_ns = (uint64_t)o.slice_us * 1000ULL,
		/* --borrow-slice-us, else an eighth of the slice: short enough to bound the wait */
		.borrow_slice_ns = o.borrow_slice_us
					   ? (uint64_t)o.borrow_slice_us * 1000ULL
					   : (o.slice_us / 8 < 50 ? 50 : o.slice_us / 8) * 1000ULL,
		.enable_borrowing = o.enable_borrowing,
		.enable_reclaim = !o.no_reclaim,
		.test_error_after_ns = (uint64_t)o.test_error_after_ms * 1000000ULL,
		.verbose = o.verbose,
	};
	ret = loop_setup(&d);
	if (ret) {
		fprintf(stderr, "scx_cells: event loop setup failed: %s\n", strerror(-ret));
		daemon_free(&d);
		return 1;
	}
	d.start_ns = now_ns();
	do {
		params.llc_id = manager_topology(d.mgr)->llc_id;
		params.nr_llcs = manager_topology(d.mgr)->nr_llcs;
		ret = sched_start(&d.sched, &params, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			status = 1;
			break;
		}
		d.cpuset_seq = sched_cpuset_seq(d.sched);
		d.nr_published = 0;
		/* A fresh BPF side holds no plan yet; the last one only guides stability. */
		if (replan(&d, "start", true) < 0) {
			sched_stop(d.sched, stderr, &restart);
			status = 1;
			break;
		}
		metrics_restart(&d);
		printf("scx_cells: scheduler enabled on %u CPUs, %u cells\n", d.nr_cpus,
		       manager_cells(d.mgr) ? cells_count(manager_cells(d.mgr)) : 1);
		fflush(stdout);
		ret = run_loop(&d);
		sched_read_stats(d.sched, d.stats);
		status = sched_stop(d.sched, stderr, &restart);
		print_summary(&d);
		d.sched = NULL;
		if (ret) {
			status = 1;
			break;
		}
		if (restart) {
			fprintf(stderr, "scx_cells: the kernel asked for a restart (CPU hotplug?); "
					"reloading\n");
			if (manager_reload_topology(d.mgr, err, sizeof(err))) {
				fprintf(stderr, "scx_cells: %s\n", err);
				status = 1;
				break;
			}
		}
	} while (restart);
	loop_teardown(&d);
	daemon_free(&d);
	return status;
}
