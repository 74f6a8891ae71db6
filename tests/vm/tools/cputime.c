// SPDX-License-Identifier: GPL-2.0
/*
 * cputime - how much CPU time did these processes get over a window? Used by the VM tests to
 * measure throughput of CPU-bound workloads (e.g. whether borrowing gives a cell more than its
 * own CPUs).
 *
 *   cputime DURATION_MS PID...
 *
 * Reads utime + stime (fields 14 and 15 of /proc/PID/stat, all threads of the process) of every
 * PID, sleeps DURATION_MS, reads them again and prints one line:
 *   cpu_s=C wall_s=W cpus=R pids=N gone=G
 * C is the summed CPU-seconds consumed in the window, W the measured wall time (CLOCK_MONOTONIC),
 * R = C / W (how many CPUs the set kept busy on average), G how many PIDs vanished (their time is
 * left out). Exit status 2 on usage errors, 1 if no PID could be read at the start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 1024

/* utime + stime of @pid in clock ticks, or -1 if it cannot be read. */
static long long proc_ticks(const char *pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	int field = 3;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')'); /* comm may contain spaces */
	if (!p || p[1] != ' ')
		return -1;
	p += 2; /* at field 3 (state) */
	while (*p && field < 14) {
		if (*p++ == ' ')
			field++;
	}
	if (field != 14 || sscanf(p, "%llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long long start[MAX_PIDS];
	int n = argc - 2, readable = 0, gone = 0;
	long long total = 0;
	double t0, t1, hz = (double)sysconf(_SC_CLK_TCK);
	long dur_ms;
	struct timespec nap;

	if (argc < 3 || n > MAX_PIDS || (dur_ms = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: cputime DURATION_MS PID... (at most %d)\n", MAX_PIDS);
		return 2;
	}
	if (hz <= 0)
		hz = 100;
	t0 = mono_s();
	for (int i = 0; i < n; i++) {
		start[i] = proc_ticks(argv[i + 2]);
		readable += start[i] >= 0;
	}
	if (!readable) {
		fprintf(stderr, "cputime: none of the PIDs could be read\n");
		return 1;
	}
	nap.tv_sec = dur_ms / 1000;
	nap.tv_nsec = (dur_ms % 1000) * 1000000L;
	while (nanosleep(&nap, &nap))
		;
	for (int i = 0; i < n; i++) {
		long long now = proc_ticks(argv[i + 2]);

		if (start[i] < 0 || now < 0) {
			gone++;
			continue;
		}
		total += now - start[i];
	}
	t1 = mono_s();
	printf("cpu_s=%.3f wall_s=%.3f cpus=%.3f pids=%d gone=%d\n", (double)total / hz, t1 - t0,
	       (double)total / hz / (t1 - t0), n, gone);
	return 0;
}
