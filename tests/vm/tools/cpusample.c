// SPDX-License-Identifier: GPL-2.0
/*
 * cpusample - which CPUs did these tasks run on? Used by the VM tests to assert on what the
 * kernel actually did.
 *
 *   cpusample DURATION_MS PID...
 *
 * Every ~2 ms reads the "processor" field (39) of /proc/PID/task/TID/stat for every thread of
 * every PID, for DURATION_MS, then prints one line per PID:
 *   PID cpus=LIST samples=N
 * where LIST is the cpulist of CPUs seen (only samples where the thread was running, state R, so
 * a sleeping task's stale CPU does not count). A PID that vanished prints "PID gone".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpumask.h"

#define MAX_PIDS    256
#define NR_CPUS_MAX 4096

/* CPU @tid last ran on if it is running now, else -1. */
static int running_cpu(const char *path)
{
	char buf[1024], *p, state;
	int field = 3, cpu = -1;
	FILE *f = fopen(path, "r");

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
	state = p[2];
	p += 3;
	while (*p && field < 39) {
		if (*p++ == ' ')
			field++;
	}
	if (field == 39)
		cpu = atoi(p);
	return state == 'R' ? cpu : -1;
}

int main(int argc, char **argv)
{
	struct cpumask *seen[MAX_PIDS];
	unsigned long samples[MAX_PIDS] = {0};
	int alive[MAX_PIDS];
	struct timespec t0, now, nap = {0, 2000000};
	long dur_ms;
	int n = argc - 2;

	if (argc < 3 || n > MAX_PIDS) {
		fprintf(stderr, "usage: cpusample DURATION_MS PID... (at most %d)\n", MAX_PIDS);
		return 2;
	}
	dur_ms = atol(argv[1]);
	for (int i = 0; i < n; i++) {
		seen[i] = cpumask_alloc(NR_CPUS_MAX);
		alive[i] = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < n; i++) {
			char dir[64], path[384];
			struct dirent *de;
			DIR *d;

			snprintf(dir, sizeof(dir), "/proc/%s/task", argv[i + 2]);
			d = opendir(dir);
			if (!d) {
				alive[i] = 0;
				continue;
			}
			while ((de = readdir(d))) {
				int cpu;

				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s/stat", dir, de->d_name);
				cpu = running_cpu(path);
				if (cpu >= 0 && cpu < NR_CPUS_MAX) {
					cpumask_set(seen[i], (unsigned int)cpu);
					samples[i]++;
				}
			}
			closedir(d);
		}
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < dur_ms);

	for (int i = 0; i < n; i++) {
		char list[4096];

		if (!alive[i] && !samples[i]) {
			printf("%s gone\n", argv[i + 2]);
			continue;
		}
		cpumask_format(seen[i], list, sizeof(list));
		printf("%s cpus=%s samples=%lu\n", argv[i + 2], list, samples[i]);
		cpumask_free(seen[i]);
	}
	return 0;
}
