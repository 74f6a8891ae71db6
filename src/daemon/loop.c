// SPDX-License-Identifier: GPL-2.0
/*
 * loop - the daemon's one epoll loop and what its events lead to. See daemon.h.
 *
 *   signalfd        SIGINT/SIGTERM -> unload and exit 0; SIGHUP -> daemon_reload() (re-reads
 *                   --cell-config, rescans, re-plans; SIGPIPE is ignored: a closed stdout never
 *                   stops the scheduler)
 *   inotify         children of the parent cgroup come and go -> debounce
 *   debounce timer  -> rescan -> plan -> validate -> publish
 *   heartbeat       notices a BPF-side exit and cpuset writes (cpuset_seq) -> debounce
 *   retry timer     a failed scan, plan or publication is tried again: 100 ms doubling to 5 s
 *   interval timer  demand metrics, rebalancing, the stats view (stats.c); cpu.weight and
 *                   cpu.max of every cell are polled (no event tells of writes) -> debounce
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon.h"
#include "logmsg.h"

#define HEARTBEAT_NS (100 * 1000 * 1000ULL)

int loop_timer_arm(int fd, uint64_t first_ns, uint64_t period_ns)
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

int loop_setup(struct daemon *d)
{
	sigset_t mask;
	int ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	/* `scx_cells | head`: once the reader exits, writes fail with EPIPE (see check_stdout()) */
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	ret = loop_add(d, FD_SIGNAL, signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
	retry_init(&d->retry, RETRY_MIN_NS, RETRY_MAX_NS);
	for (int t = FD_HEARTBEAT; !ret && t <= FD_RETRY; t++)
		ret = loop_add(d, t, timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
	if (!ret && manager_cells(d->mgr))
		ret = loop_add(d, FD_INOTIFY, cells_watch_fd(manager_cells(d->mgr)));
	if (!ret && d->stats_sock)
		ret = loop_add(d, FD_STATS, statsock_fd(d->stats_sock));
	if (ret)
		return ret;
	/* The interval timer is armed by stats_restart() once the scheduler runs. */
	return loop_timer_arm(d->fds[FD_HEARTBEAT], HEARTBEAT_NS, HEARTBEAT_NS);
}

void loop_teardown(struct daemon *d)
{
	for (int i = 0; i < NR_LOOP_FDS; i++)
		/* the registry and the stats socket own their fds */
		if (d->fds[i] >= 0 && i != FD_INOTIFY && i != FD_STATS)
			close(d->fds[i]);
	if (d->epfd >= 0)
		close(d->epfd);
}

void daemon_follow_cells(struct daemon *d, const struct cells_diff *diff)
{
	for (unsigned int i = 0; i < diff->nr_destroyed; i++)
		demand_cell_remove(d->demand, diff->destroyed[i].id);
	for (unsigned int i = 0; i < diff->nr_created; i++)
		demand_cell_add(d->demand, diff->created[i].id);
}

/* A re-plan (or with @scan, the scan before it) failed: try again after the backoff. */
static uint64_t schedule_retry(struct daemon *d, const char *why, bool force, bool scan)
{
	uint64_t delay = retry_failed(&d->retry, now_ns());

	snprintf(d->retry_why, sizeof(d->retry_why), "%s", why);
	d->retry_force |= force;
	d->retry_scan |= scan;
	loop_timer_arm(d->fds[FD_RETRY], delay, 0);
	return delay / 1000000;
}

/*
 * A re-plan succeeded: a failed re-plan before it is covered (it planned from the same state);
 * a failed scan is not (its changes were never read), that retry stays.
 */
static void retry_done(struct daemon *d)
{
	if (d->retry_scan || (!retry_pending(&d->retry) && !d->retry.failures))
		return;
	if (d->retry.failures)
		fprintf(stderr, "scx_cells: re-planning works again after %u failures\n",
			d->retry.failures);
	retry_succeeded(&d->retry);
	d->retry_force = d->retry_scan = false;
	loop_timer_arm(d->fds[FD_RETRY], 0, 0);
}

int daemon_replan(struct daemon *d, const char *head, const char *why, bool force)
{
	const bool weighted = d->o->enable_rebalancing;
	struct manager_decision dec;
	uint64_t t0 = now_ns(), t1;
	char err[512], facts[160];
	int ret;

	if (weighted)
		demand_weights(d->demand, d->weights);
	ret = manager_decide(d->mgr, weighted ? d->weights : NULL, force, d->view, d->owner, &dec,
			     err, sizeof(err));
	if (ret) {
		d->nr_rejected++;
		fprintf(stderr,
			"scx_cells: plan rejected (%s), keeping the previous plan, retrying in %llu ms: %s\n",
			why, (unsigned long long)schedule_retry(d, why, force, false), err);
		return ret;
	}
	if (!dec.publish) {
		retry_done(d);
		return 0;
	}
	if (dec.nr_slots > d->nr_published)
		d->nr_published = dec.nr_slots; /* counters of slots used once stay readable */
	t1 = now_ns();
	ret = sched_publish(d->sched, d->parent_cgid, d->view, dec.nr_slots, d->owner);
	if (ret) {
		d->nr_rejected++;
		fprintf(stderr,
			"scx_cells: publishing the plan failed (%s), keeping the previous, retrying in %llu ms: %s\n",
			why, (unsigned long long)schedule_retry(d, why, force, false),
			strerror(ret < 0 ? -ret : ret));
		plan_free(dec.plan);
		return ret < 0 ? ret : -EIO;
	}
	snprintf(facts, sizeof(facts),
		 "applied plan %llu: %s; %u CPUs moved; planned in %llu us, published in %llu us",
		 (unsigned long long)d->nr_plans + 1, why, dec.moved,
		 (unsigned long long)(t1 - t0) / 1000, (unsigned long long)(now_ns() - t1) / 1000);
	manager_commit(d->mgr, &dec, d->view);
	d->nr_plans++;
	retry_done(d);
	logmsg_plan(manager_cells(d->mgr), manager_current(d->mgr), head, facts, stdout);
	fflush(stdout);
	return 1;
}

static int scan_and_replan(struct daemon *d);

/* The debounce deadline passed: rescan (or re-read cpusets) and re-plan. */
static int on_debounce(struct daemon *d)
{
	if (!debounce_fire(&d->deb, now_ns())) {
		uint64_t left = debounce_timeout(&d->deb, now_ns());

		return loop_timer_arm(d->fds[FD_DEBOUNCE], left ? left : 1, 0);
	}
	return scan_and_replan(d);
}

/* The retry timer fired: redo the failed scan (and its re-plan), or the failed re-plan. */
static int on_retry(struct daemon *d)
{
	bool scan = d->retry_scan;

	if (!retry_pending(&d->retry))
		return 0;
	retry_start(&d->retry);
	d->nr_retried++;
	fprintf(stderr, "scx_cells: retry %llu: %s (%s, failure %u in a row)\n",
		(unsigned long long)d->nr_retried, scan ? "rescan and re-plan" : "re-plan",
		d->retry_why, d->retry.failures);
	if (scan)
		return scan_and_replan(d);
	daemon_replan(d, "Retried cell configuration", d->retry_why, d->retry_force);
	return 0;
}

/* Rescan (or re-read cpusets) as the pending flags say, then re-plan if anything changed. */
static int scan_and_replan(struct daemon *d)
{
	struct cells *cells = manager_cells(d->mgr);
	struct cells_diff diff = {0};
	bool was_scan_retry;
	unsigned int failures;
	char err[512];
	int ret = 0;

	/* a reload rescans: children, their cpusets, cpu.weight and cpu.max */
	if (d->rescan_pending || (d->reload_pending && cells))
		ret = cells_rescan(cells, &diff, err, sizeof(err));
	else if (d->cpusets_pending)
		ret = cells_reread_cpusets(cells, &diff, err, sizeof(err));
	if (ret) {
		cells_diff_free(&diff);
		/* the parent is gone: nothing to retry (loop_run() stops) */
		if (ret == -ENOENT) {
			fprintf(stderr, "scx_cells: %s\n", err);
			return ret;
		}
		/* the pending flags stay set, so the retry scans the same way */
		fprintf(stderr, "scx_cells: %s; retrying in %llu ms\n", err,
			(unsigned long long)schedule_retry(d, "rescan failed", false, true));
		return ret;
	}
	d->rescan_pending = d->cpusets_pending = false;
	/* a failed scan before this one is covered by it, unless this re-plan fails (below) */
	was_scan_retry = d->retry_scan;
	d->retry_scan = false;
	failures = d->retry.failures;
	logmsg_diff(manager_cells(d->mgr), &diff, stdout);
	daemon_follow_cells(d, &diff);
	if (d->reload_pending) {
		char head[96];

		d->reload_pending = false;
		d->nr_reloads++;
		fprintf(stderr,
			"scx_cells: reload %llu: rescanned %u cells (%u new, %u destroyed, %u cpusets and %u limits changed), re-planning\n",
			(unsigned long long)d->nr_reloads, cells ? cells_count(cells) : 1,
			diff.nr_created, diff.nr_destroyed, diff.nr_cpuset_changed,
			diff.nr_limits_changed);
		snprintf(head, sizeof(head), "Reloaded cell configuration (%u new, %u destroyed)",
			 diff.nr_created, diff.nr_destroyed);
		daemon_replan(d, head, "reload (SIGHUP)", false);
	} else if (diff.nr_created || diff.nr_destroyed) {
		char head[96];

		snprintf(head, sizeof(head), "Cell config updated (%u new, %u destroyed)",
			 diff.nr_created, diff.nr_destroyed);
		daemon_replan(d, head, "cgroups changed", false);
	} else if (cells_diff_changed(&diff)) {
		daemon_replan(d, "Cpuset change detected, recomputed config", "cpuset changed",
			      false);
	} else if (d->limits_pending) {
		daemon_replan(d, "Cell config updated (0 new, 0 destroyed)",
			      "cpu.weight/cpu.max changed", false);
	}
	d->limits_pending = false;
	cells_diff_free(&diff);
	if (was_scan_retry && d->retry.failures == failures)
		retry_done(d);
	return 0;
}

static void schedule_debounce(struct daemon *d)
{
	uint64_t now = now_ns();
	uint64_t left;

	debounce_event(&d->deb, now);
	left = debounce_timeout(&d->deb, now);
	loop_timer_arm(d->fds[FD_DEBOUNCE], left ? left : 1, 0);
}

void daemon_reload(struct daemon *d)
{
	if (d->o->cell_config)
		daemon_reload_config(
			d); /* a bad file keeps the previous rules; the rescan still runs */
	fprintf(stderr, "scx_cells: SIGHUP: reloading (rescan of cgroups and cpusets, re-plan)\n");
	d->reload_pending = true;
	schedule_debounce(d);
}

int daemon_rescan_after_hotplug(struct daemon *d)
{
	struct cells *cells = manager_cells(d->mgr);
	struct cells_diff diff = {0};
	char err[512];
	int ret;

	if (!cells)
		return 0;
	ret = cells_rescan(cells, &diff, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: rescan after CPU hotplug: %s\n", err);
		cells_diff_free(&diff);
		return ret;
	}
	fprintf(stderr,
		"scx_cells: rescanned after CPU hotplug: %u cells, %u cpusets changed (%u new, %u destroyed)\n",
		cells_count(cells), diff.nr_cpuset_changed, diff.nr_created, diff.nr_destroyed);
	logmsg_diff(manager_cells(d->mgr), &diff, stdout);
	daemon_follow_cells(d, &diff);
	cells_diff_free(&diff);
	d->cpusets_pending = true;
	schedule_debounce(d);
	return 0;
}

/*
 * stdout is a log and a stats stream, never worth the scheduler: when a write to it failed (the
 * reader of a pipe exited: EPIPE, SIGPIPE being ignored; a full disk), say so once on stderr and
 * send the rest to /dev/null, so later writes cost nothing and nothing piles up in the buffer.
 */
static void check_stdout(struct daemon *d)
{
	int fd, err;

	if (d->stdout_broken)
		return;
	errno = 0;
	if (fflush(stdout) != EOF && !ferror(stdout))
		return;
	err = errno;
	d->stdout_broken = true;
	fprintf(stderr,
		"scx_cells: writing to stdout failed (%s); scheduling goes on, stdout output is dropped from now on\n",
		err ? strerror(err) : "its reader is gone, or the disk is full");
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	clearerr(stdout);
}

/*
 * Poll every cell's cpu.weight and cpu.max (a write to them makes no inotify event and no BPF
 * counter bump). The registry takes the new values at once and says what changed (logged
 * here); the re-plan goes through the debounce like every other cgroup change.
 */
static void poll_limits(struct daemon *d)
{
	struct cells *cells = manager_cells(d->mgr);
	struct cells_diff diff = {0};
	char err[512];

	if (!cells)
		return;
	if (cells_reread_limits(cells, &diff, err, sizeof(err))) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return;
	}
	logmsg_diff(manager_cells(d->mgr), &diff, stdout);
	fflush(stdout);
	if (diff.nr_limits_changed) {
		d->limits_pending = true;
		schedule_debounce(d);
	}
	cells_diff_free(&diff);
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

int loop_run(struct daemon *d)
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
				if (read(fd, &si, sizeof(si)) != sizeof(si))
					break;
				if (si.ssi_signo == SIGHUP) {
					daemon_reload(d);
					break;
				}
				if (d->o->verbose)
					fprintf(stderr, "scx_cells: got signal %u, unloading\n",
						si.ssi_signo);
				return 0;
			case FD_HEARTBEAT:
				drain_fd(fd);
				on_heartbeat(d);
				break;
			case FD_INTERVAL:
				drain_fd(fd);
				stats_interval(d);
				poll_limits(d);
				break;
			case FD_DEBOUNCE:
				drain_fd(fd);
				ret = on_debounce(d);
				if (ret == -ENOENT)
					return ret;
				break;
			case FD_RETRY:
				drain_fd(fd);
				ret = on_retry(d);
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
		check_stdout(d);
		if (sched_exited(d->sched))
			return 0;
		if (now_ns() >= deadline)
			return 0;
	}
}
