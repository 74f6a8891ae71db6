// SPDX-License-Identifier: GPL-2.0
/*
 * benchmk - create or remove many cgroups in one quick burst (bench_reconfig); a shell loop
 * forks once per directory, which under TCG spreads the burst over more than a debounce window.
 *
 *   benchmk mkdir|rmdir PARENT PREFIX N
 *
 * Creates (removes) PARENT/PREFIX1 .. PARENT/PREFIXN and prints
 *   first=SECONDS last=SECONDS n=N          (CLOCK_MONOTONIC before the first, after the last)
 * Exit status 1 if any mkdir/rmdir failed, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double first, last;
	int mk, n, bad = 0;

	if (argc != 5 || (strcmp(argv[1], "mkdir") && strcmp(argv[1], "rmdir")) ||
	    (n = atoi(argv[4])) <= 0) {
		fprintf(stderr, "usage: benchmk mkdir|rmdir PARENT PREFIX N\n");
		return 2;
	}
	mk = !strcmp(argv[1], "mkdir");
	first = now_s();
	for (int i = 1; i <= n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s%d", argv[2], argv[3], i);
		if (mk ? mkdir(path, 0755) : rmdir(path)) {
			fprintf(stderr, "benchmk: %s %s: %s\n", argv[1], path, strerror(errno));
			bad = 1;
		}
	}
	last = now_s();
	printf("first=%.6f last=%.6f n=%d\n", first, last, n);
	return bad;
}
