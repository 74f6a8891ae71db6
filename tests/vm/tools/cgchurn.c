// SPDX-License-Identifier: GPL-2.0
/*
 * cgchurn - create and delete child cgroups as fast as possible, to stress scx_cells' cell
 * registry (inotify, debounce, id reuse) the way a crash-looping container would.
 *
 *   cgchurn [-m N] [-c N] [-r ROOT_PROCS] DIR CYCLES NAME...
 *
 * Cycle i uses NAME[i % nr_names]: mkdir DIR/NAME, then (every N-th cycle with -m N) move a
 * spinning helper process into DIR/NAME/cgroup.procs and back out to ROOT_PROCS (default
 * /sys/fs/cgroup/cgroup.procs), (every N-th cycle with -c N) write a one-CPU cpuset.cpus, then
 * rmdir DIR/NAME. An rmdir that fails with EBUSY (the cgroup still looks populated for a moment)
 * is retried. At the end it kills the helper and prints one line:
 *
 *   cycles=C mkdir_fail=A rmdir_fail=B rmdir_retries=R moves=M move_fail=F cpuset_writes=W
 *   cpuset_fail=X wall_s=S rate=P
 *
 * (P = cycles per second). Exit status 0 if every step succeeded, 1 if any failed (the first
 * failure is also described on stderr), 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RMDIR_RETRIES 2000

static int first_error_reported;

static void report(const char *what, const char *path, int err)
{
	if (first_error_reported)
		return;
	first_error_reported = 1;
	fprintf(stderr, "cgchurn: first failure: %s %s: %s\n", what, path, strerror(err));
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(s), n;
	int err;

	if (fd < 0)
		return errno;
	n = write(fd, s, (size_t)len);
	err = n == len ? 0 : (n < 0 ? errno : EIO);
	close(fd);
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: cgchurn [-m N] [-c N] [-r ROOT_PROCS] DIR CYCLES NAME...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *root_procs = "/sys/fs/cgroup/cgroup.procs";
	long move_every = 0, cpuset_every = 0, cycles;
	unsigned long mkdir_fail = 0, rmdir_fail = 0, rmdir_retries = 0, moves = 0, move_fail = 0;
	unsigned long cpuset_writes = 0, cpuset_fail = 0;
	char path[4096], file[4200], pidbuf[32];
	const char *dir;
	pid_t helper = -1;
	double t0, wall;
	char *end;
	int opt, nr_names;
	long i;

	while ((opt = getopt(argc, argv, "m:c:r:")) != -1) {
		switch (opt) {
		case 'm':
			move_every = strtol(optarg, &end, 10);
			if (*end || move_every < 0)
				usage();
			break;
		case 'c':
			cpuset_every = strtol(optarg, &end, 10);
			if (*end || cpuset_every < 0)
				usage();
			break;
		case 'r':
			root_procs = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 3)
		usage();
	dir = argv[optind];
	cycles = strtol(argv[optind + 1], &end, 10);
	if (*end || cycles < 1)
		usage();
	nr_names = argc - optind - 2;

	if (move_every) {
		helper = fork();
		if (helper < 0) {
			perror("cgchurn: fork");
			return 1;
		}
		if (helper == 0) {
			for (volatile unsigned long spin = 0;; spin++)
				;
		}
		snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)helper);
	}

	t0 = now_s();
	for (i = 0; i < cycles; i++) {
		const char *name = argv[optind + 2 + i % nr_names];
		int err, tries;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (mkdir(path, 0755)) {
			mkdir_fail++;
			report("mkdir", path, errno);
			continue;
		}
		if (move_every && i % move_every == 0) {
			snprintf(file, sizeof(file), "%s/cgroup.procs", path);
			err = write_str(file, pidbuf);
			if (!err) {
				moves++;
				err = write_str(root_procs, pidbuf);
				if (err)
					report("move out to", root_procs, err);
			} else {
				report("move into", file, err);
			}
			if (err)
				move_fail++;
		}
		if (cpuset_every && i % cpuset_every == 0) {
			char cpu[8];

			snprintf(file, sizeof(file), "%s/cpuset.cpus", path);
			snprintf(cpu, sizeof(cpu), "%ld\n", i % 2);
			err = write_str(file, cpu);
			if (err) {
				cpuset_fail++;
				report("write", file, err);
			} else {
				cpuset_writes++;
			}
		}
		for (tries = 0;; tries++) {
			if (!rmdir(path))
				break;
			err = errno;
			if (err != EBUSY || tries >= RMDIR_RETRIES) {
				rmdir_fail++;
				report("rmdir", path, err);
				break;
			}
			rmdir_retries++;
			usleep(100);
		}
	}
	wall = now_s() - t0;
	if (helper > 0) {
		kill(helper, SIGKILL);
		waitpid(helper, NULL, 0);
	}
	printf("cycles=%ld mkdir_fail=%lu rmdir_fail=%lu rmdir_retries=%lu moves=%lu move_fail=%lu "
	       "cpuset_writes=%lu cpuset_fail=%lu wall_s=%.2f rate=%.0f\n",
	       cycles, mkdir_fail, rmdir_fail, rmdir_retries, moves, move_fail, cpuset_writes,
	       cpuset_fail, wall, wall > 0 ? (double)cycles / wall : 0.0);
	return mkdir_fail || rmdir_fail || move_fail || cpuset_fail ? 1 : 0;
}
