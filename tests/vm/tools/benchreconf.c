// SPDX-License-Identifier: GPL-2.0
/*
 * benchreconf - cgroup reconfiguration timing for the VM benchmarks (bench_reconfig).
 *
 *   benchreconf run CGDIR DURATION_MS [FROM_CGDIR]
 *       Fork a CPU spinner (moved into FROM_CGDIR first if given) that records every change of
 *       the CPU it runs on (sched_getcpu) with a CLOCK_MONOTONIC timestamp. Once it spins:
 *       mkdir CGDIR, move the spinner into it, keep recording for DURATION_MS, kill it. Prints
 *         t0=SECONDS moved=SECONDS        (before the mkdir; after the move into CGDIR)
 *         cpu SECONDS CPU                 (one line per change, oldest first)
 *   benchreconf analyze CPULIST T_PLAN < output-of-run
 *       When did the spinner start running only on CPULIST (the new cell's CPUs)? The moment
 *       after its last run outside CPULIST, but not before T_PLAN (when the daemon applied the
 *       plan that gave the cell CPULIST): before that the cell did not exist, so running on
 *       those CPUs was luck. Prints
 *         plan_ms=A confined_ms=B outside_after_plan_ms=C   (times since t0; C: how long it
 *                                                             still ran elsewhere after T_PLAN)
 *       or confined_ms=never when its last recorded run was outside CPULIST.
 * Exit status 2 on usage errors, 1 on failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpumask.h"

#define MAX_REC 200000

struct rec {
	double t;
	int cpu;
};

struct shared {
	volatile int ready;
	volatile long n;
	struct rec r[MAX_REC];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_pid(const char *cgdir, pid_t pid)
{
	char path[4096], buf[32];
	int fd, len, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgdir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok ? 0 : -EIO;
}

static void spin(struct shared *sh)
{
	int last = -1;

	sh->ready = 1;
	for (;;) {
		int cpu = sched_getcpu();

		if (cpu != last && sh->n < MAX_REC) {
			sh->r[sh->n].t = now_s();
			sh->r[sh->n].cpu = cpu;
			__sync_synchronize();
			sh->n = sh->n + 1;
			last = cpu;
		}
	}
}

static int run(const char *cgdir, long dur_ms, const char *from)
{
	struct shared *sh =
		mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec nap = {dur_ms / 1000, (dur_ms % 1000) * 1000000L};
	double t0, moved;
	pid_t pid;
	int ret;

	if (sh == MAP_FAILED) {
		perror("benchreconf: mmap");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("benchreconf: fork");
		return 1;
	}
	if (pid == 0) {
		if (from && (ret = write_pid(from, getpid()))) {
			fprintf(stderr, "benchreconf: cannot move into %s: %s\n", from,
				strerror(-ret));
			_exit(1);
		}
		spin(sh);
	}
	while (!sh->ready) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "benchreconf: spinner died\n");
			return 1;
		}
		usleep(1000);
	}
	usleep(100000); /* let it settle where it is */
	t0 = now_s();
	if (mkdir(cgdir, 0755)) {
		fprintf(stderr, "benchreconf: mkdir %s: %s\n", cgdir, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 1;
	}
	ret = write_pid(cgdir, pid);
	moved = now_s();
	if (ret) {
		fprintf(stderr, "benchreconf: cannot move the spinner into %s: %s\n", cgdir,
			strerror(-ret));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 1;
	}
	while (nanosleep(&nap, &nap) && errno == EINTR)
		;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("t0=%.6f moved=%.6f\n", t0, moved);
	for (long i = 0; i < sh->n; i++)
		printf("cpu %.6f %d\n", sh->r[i].t, sh->r[i].cpu);
	return 0;
}

static int analyze(const char *list, double t_plan)
{
	struct cpumask *m = cpumask_alloc(4096);
	static struct rec r[MAX_REC];
	double t0 = -1, moved = -1, t_conf, after;
	char line[256], err[256];
	long n = 0, last_out = -1;

	if (!m || cpumask_parse(m, list, err, sizeof(err))) {
		fprintf(stderr, "benchreconf: bad cpulist '%s': %s\n", list, err);
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "t0=%lf moved=%lf", &t0, &moved) == 2)
			continue;
		if (n < MAX_REC && sscanf(line, "cpu %lf %d", &r[n].t, &r[n].cpu) == 2)
			n++;
	}
	if (t0 < 0 || !n) {
		fprintf(stderr, "benchreconf: no run output on stdin\n");
		return 1;
	}
	for (long i = 0; i < n; i++)
		if (r[i].cpu < 0 || !cpumask_test(m, (unsigned int)r[i].cpu))
			last_out = i;
	if (last_out == n - 1) {
		printf("plan_ms=%.1f confined_ms=never outside_after_plan_ms=never\n",
		       (t_plan - t0) * 1e3);
		return 0;
	}
	t_conf = last_out < 0 ? t0 : r[last_out + 1].t;
	after = t_conf > t_plan ? t_conf - t_plan : 0;
	if (t_conf < t_plan)
		t_conf = t_plan;
	printf("plan_ms=%.1f confined_ms=%.1f outside_after_plan_ms=%.1f\n", (t_plan - t0) * 1e3,
	       (t_conf - t0) * 1e3, after * 1e3);
	cpumask_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "run") && atol(argv[3]) > 0)
		return run(argv[2], atol(argv[3]), argc == 5 ? argv[4] : NULL);
	if (argc == 4 && !strcmp(argv[1], "analyze"))
		return analyze(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: benchreconf run CGDIR DURATION_MS [FROM_CGDIR]\n"
			"       benchreconf analyze CPULIST T_PLAN < run-output\n");
	return 2;
}
