// SPDX-License-Identifier: GPL-2.0
/*
 * benchts - timestamps for the VM benchmarks (busybox sh only has /proc/uptime, 10 ms steps).
 *
 *   benchts -n          print CLOCK_MONOTONIC now, in seconds with 6 decimals
 *   benchts TSFILE      copy stdin to stdout unchanged and append every line to TSFILE
 *                       prefixed with "SECONDS " (CLOCK_MONOTONIC when the line arrived)
 *
 * bench_reconfig pipes the daemon's output through it to time each applied plan.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	char buf[65536];
	int at_bol = 1;
	FILE *ts;

	if (argc == 2 && !strcmp(argv[1], "-n")) {
		printf("%.6f\n", now_s());
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: benchts -n | benchts TSFILE < input > output\n");
		return 2;
	}
	ts = fopen(argv[1], "a");
	if (!ts) {
		fprintf(stderr, "benchts: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		double t;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		t = now_s();
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		for (ssize_t i = 0; i < n; i++) {
			if (at_bol)
				fprintf(ts, "%.6f ", t);
			fputc(buf[i], ts);
			at_bol = buf[i] == '\n';
		}
		fflush(ts);
	}
	fclose(ts);
	return 0;
}
