// SPDX-License-Identifier: GPL-2.0
/*
 * scx_cells - the daemon: parse options, load the BPF scheduler, keep its cell configuration in
 * step with the cgroup tree, print stats, and unload cleanly.
 *
 * One epoll loop: signalfd (SIGINT/SIGTERM), a heartbeat timer that notices a BPF-side exit, and
 * the stats interval timer. Exit status: 0 clean stop, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cpumask.h"
#include "opts.h"
#include "sched.h"
#include "intf.h"

#define HEARTBEAT_NS (100 * 1000 * 1000ULL)

enum loop_fd {
	FD_SIGNAL,
	FD_HEARTBEAT,
	FD_INTERVAL,
	NR_LOOP_FDS,
};

struct daemon {
	const struct opts *o;
	struct sched *sched;
	unsigned int nr_cpus;
	int fds[NR_LOOP_FDS];
	int epfd;
	uint64_t start_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int possible_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : -EINVAL;
}

static int timer_arm(int fd, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = {(time_t)(period_ns / 1000000000ULL),
			     (long)(period_ns % 1000000000ULL)},
	};

	its.it_interval = its.it_value;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

static int loop_setup(struct daemon *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->fds[FD_SIGNAL] = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->fds[FD_HEARTBEAT] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->fds[FD_INTERVAL] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < NR_LOOP_FDS; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

		if (d->fds[i] < 0 || d->epfd < 0 ||
		    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->fds[i], &ev))
			return -errno;
	}
	if (timer_arm(d->fds[FD_HEARTBEAT], HEARTBEAT_NS))
		return -errno;
	return timer_arm(d->fds[FD_INTERVAL], (uint64_t)(d->o->monitor_interval_s * 1e9));
}

static void loop_teardown(struct daemon *d)
{
	for (int i = 0; i < NR_LOOP_FDS; i++)
		if (d->fds[i] >= 0)
			close(d->fds[i]);
	if (d->epfd >= 0)
		close(d->epfd);
}

/* The configuration before any cell exists: the root cell owns every CPU. */
static int publish_root_only(struct daemon *d)
{
	struct sched_cell root = {.in_use = true};
	int *owner = calloc(d->nr_cpus, sizeof(*owner));
	int ret;

	if (!owner)
		return -ENOMEM;
	ret = sched_publish(d->sched, 0, &root, 1, owner);
	free(owner);
	return ret;
}

static void print_stats(struct daemon *d)
{
	uint64_t st[NR_CELLS_STATS];

	if (sched_read_stats(d->sched, st))
		return;
	printf("[%7.1fs] select_idle=%llu enq_idle=%llu cell_q=%llu pinned_q=%llu "
	       "borrow=%llu resolve=%llu\n",
	       (double)(now_ns() - d->start_ns) / 1e9, (unsigned long long)st[0],
	       (unsigned long long)st[1], (unsigned long long)st[2], (unsigned long long)st[3],
	       (unsigned long long)(st[4] + st[5]), (unsigned long long)st[7]);
	fflush(stdout);
}

/* Returns 1 when asked to stop (signal, --exit-after-s), 0 when the BPF side exited. */
static int run_loop(struct daemon *d)
{
	uint64_t deadline = d->o->exit_after_s > 0
				    ? d->start_ns + (uint64_t)(d->o->exit_after_s * 1e9)
				    : UINT64_MAX;

	for (;;) {
		struct epoll_event evs[NR_LOOP_FDS];
		int n = epoll_wait(d->epfd, evs, NR_LOOP_FDS, -1);

		if (n < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			int fd = d->fds[evs[i].data.u32];
			struct signalfd_siginfo si;
			uint64_t ticks;

			switch (evs[i].data.u32) {
			case FD_SIGNAL:
				if (read(fd, &si, sizeof(si)) == sizeof(si)) {
					if (d->o->verbose)
						fprintf(stderr,
							"scx_cells: got signal %u, unloading\n",
							si.ssi_signo);
					return 1;
				}
				break;
			case FD_HEARTBEAT:
				(void)!read(fd, &ticks, sizeof(ticks));
				break;
			case FD_INTERVAL:
				(void)!read(fd, &ticks, sizeof(ticks));
				print_stats(d);
				break;
			}
		}
		if (sched_exited(d->sched))
			return 0;
		if (now_ns() >= deadline)
			return 1;
	}
}

int main(int argc, char **argv)
{
	struct daemon d = {.fds = {-1, -1, -1}, .epfd = -1};
	struct sched_params params;
	struct opts o;
	char err[512];
	bool restart;
	int ret, status = 0, ncpu;

	ret = opts_parse(&o, argc, argv, stdout, stderr);
	if (ret == OPTS_EXIT_OK)
		return 0;
	if (ret != OPTS_RUN)
		return 2;
	d.o = &o;

	ret = sched_preflight("/sys", err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 1;
	}
	ncpu = possible_cpus();
	if (ncpu <= 0) {
		fprintf(stderr, "scx_cells: cannot count the possible CPUs\n");
		return 1;
	}
	d.nr_cpus = (unsigned int)ncpu;
	params = (struct sched_params){
		.nr_cpus = d.nr_cpus,
		.slice_ns = (uint64_t)o.slice_us * 1000ULL,
		.enable_borrowing = o.enable_borrowing,
		.test_error_after_ns = (uint64_t)o.test_error_after_ms * 1000000ULL,
		.verbose = o.verbose,
	};
	ret = loop_setup(&d);
	if (ret) {
		fprintf(stderr, "scx_cells: event loop setup failed: %s\n", strerror(-ret));
		return 1;
	}
	d.start_ns = now_ns();
	do {
		ret = sched_start(&d.sched, &params, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			status = 1;
			break;
		}
		ret = publish_root_only(&d);
		if (ret) {
			fprintf(stderr,
				"scx_cells: publishing the initial configuration failed: %s\n",
				strerror(-ret));
			sched_stop(d.sched, stderr, &restart);
			status = 1;
			break;
		}
		printf("scx_cells: scheduler enabled on %u CPUs\n", d.nr_cpus);
		fflush(stdout);
		run_loop(&d);
		status = sched_stop(d.sched, stderr, &restart);
		d.sched = NULL;
		if (restart)
			fprintf(stderr, "scx_cells: the kernel asked for a restart; reloading\n");
	} while (restart);
	loop_teardown(&d);
	return status;
}
