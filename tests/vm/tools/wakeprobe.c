// SPDX-License-Identifier: GPL-2.0
/*
 * wakeprobe - a latency-sensitive task: sleep, wake, measure how late it got to run. Used by the
 * VM tests to see what the owner of a CPU pays while another cell borrows it.
 *
 *   wakeprobe SLEEP_US COUNT
 *
 * COUNT times: sleep until an absolute CLOCK_MONOTONIC deadline SLEEP_US ahead, then read the
 * clock; the wake-up latency is how far past the deadline it woke (timer expiry + wake-up +
 * wait for a CPU). Prints one line:
 *   n=COUNT sleep_us=S p50_us=A p90_us=B p99_us=C max_us=D mean_us=E over1ms=F over10ms=G
 * Exit status 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long ts_ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* Nearest-rank percentile of the sorted @v[0..n). */
static long long pctl(const long long *v, long n, int p)
{
	long k = (n * p + 99) / 100;

	return v[k > 0 ? k - 1 : 0];
}

int main(int argc, char **argv)
{
	long sleep_us, count, over1 = 0, over10 = 0;
	long long *lat, sum = 0;
	struct timespec now, dl;

	if (argc != 3 || (sleep_us = atol(argv[1])) <= 0 || (count = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: wakeprobe SLEEP_US COUNT\n");
		return 2;
	}
	lat = calloc((size_t)count, sizeof(*lat));
	if (!lat)
		return 1;
	for (long i = 0; i < count; i++) {
		long long deadline;

		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = ts_ns(&now) + sleep_us * 1000LL;
		dl.tv_sec = deadline / 1000000000LL;
		dl.tv_nsec = deadline % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL))
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		lat[i] = ts_ns(&now) - deadline;
		if (lat[i] < 0)
			lat[i] = 0;
		sum += lat[i];
		over1 += lat[i] > 1000000LL;
		over10 += lat[i] > 10000000LL;
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp_ll);
	printf("n=%ld sleep_us=%ld p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld mean_us=%lld "
	       "over1ms=%ld over10ms=%ld\n",
	       count, sleep_us, pctl(lat, count, 50) / 1000, pctl(lat, count, 90) / 1000,
	       pctl(lat, count, 99) / 1000, lat[count - 1] / 1000, sum / count / 1000, over1,
	       over10);
	free(lat);
	return 0;
}
