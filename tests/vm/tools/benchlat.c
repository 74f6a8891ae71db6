// SPDX-License-Identifier: GPL-2.0
/*
 * benchlat - wake-up latency probe for the VM benchmarks (bench_isolation).
 *
 *   benchlat INTERVAL_US COUNT MAX_S [RAWFILE]   measure
 *   benchlat --merge RAWFILE...            summarise several runs together
 *
 * Measure: COUNT times, sleep until an absolute CLOCK_MONOTONIC deadline INTERVAL_US after the
 * previous one (like `cyclictest -t1 -i INTERVAL_US`, SCHED_OTHER), read the clock and record how
 * late it woke (timer expiry + wake-up + waiting for a CPU). The first 1% of samples (at most
 * 100) are a warm-up and not recorded. If RAWFILE is given the samples are appended to it, one
 * latency in ns per line, so runs spread over a boot can be merged. The run stops early after
 * MAX_S seconds (a scheduler that makes every wake-up late would otherwise stretch it out).
 *
 * Both modes print one line:
 *   n=N p50_us=A p90_us=B p99_us=C p999_us=D max_us=E mean_us=F over1ms=G over10ms=H rqwait_us=I
 * (microseconds with one decimal). rqwait_us is the guest scheduler's part of the mean: time the
 * probe sat runnable on a run queue per sample (run_delay of /proc/self/schedstat), as opposed to
 * timer and (in a VM) host delays. The raw file carries it as a line "# rq SAMPLES RUN_DELAY_NS".
 * Exit status 2 on usage errors, 1 on I/O errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Nearest-rank percentile (per mille) of the sorted @v[0..n). */
static long long pctl(const long long *v, long n, int permille)
{
	long k = (n * permille + 999) / 1000;

	return v[k > 0 ? k - 1 : 0];
}

static long long rq_samples, rq_delay_ns;

/* run_delay (ns waiting on a run queue) of this process so far, or -1. */
static long long run_delay(void)
{
	unsigned long long run, delay;
	FILE *f = fopen("/proc/self/schedstat", "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%llu %llu", &run, &delay) == 2;
	fclose(f);
	return ok ? (long long)delay : -1;
}

static void summary(long long *lat, long n)
{
	long long sum = 0;
	long over1 = 0, over10 = 0;

	if (n <= 0) {
		printf("n=0\n");
		return;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_ll);
	for (long i = 0; i < n; i++) {
		sum += lat[i];
		over1 += lat[i] > 1000000LL;
		over10 += lat[i] > 10000000LL;
	}
	printf("n=%ld p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f mean_us=%.1f "
	       "over1ms=%ld over10ms=%ld rqwait_us=%.1f\n",
	       n, pctl(lat, n, 500) / 1e3, pctl(lat, n, 900) / 1e3, pctl(lat, n, 990) / 1e3,
	       pctl(lat, n, 999) / 1e3, lat[n - 1] / 1e3, (double)sum / (double)n / 1e3, over1,
	       over10, rq_samples > 0 ? (double)rq_delay_ns / (double)rq_samples / 1e3 : 0.0);
}

static int merge(int nfiles, char **files)
{
	long n = 0, cap = 1 << 16;
	long long *lat = malloc((size_t)cap * sizeof(*lat)), v, a, b;
	char line[128];

	if (!lat)
		return 1;
	for (int i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f) {
			fprintf(stderr, "benchlat: %s: %s\n", files[i], strerror(errno));
			free(lat);
			return 1;
		}
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "# rq %lld %lld", &a, &b) == 2) {
				rq_samples += a;
				rq_delay_ns += b;
				continue;
			}
			if (sscanf(line, "%lld", &v) != 1)
				continue;
			if (n == cap) {
				long long *p = realloc(lat, (size_t)cap * 2 * sizeof(*lat));

				if (!p) {
					fclose(f);
					free(lat);
					return 1;
				}
				lat = p;
				cap *= 2;
			}
			lat[n++] = v;
		}
		fclose(f);
	}
	summary(lat, n);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	long interval_us, count, warm, n = 0;
	long long *lat, next, stop_ns, rq0;
	double max_s;
	struct timespec now, dl;
	FILE *raw = NULL;

	if (argc >= 3 && !strcmp(argv[1], "--merge"))
		return merge(argc - 2, argv + 2);
	if (argc < 4 || argc > 5 || (interval_us = atol(argv[1])) <= 0 ||
	    (count = atol(argv[2])) <= 0 || (max_s = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: benchlat INTERVAL_US COUNT MAX_S [RAWFILE] | "
				"benchlat --merge FILE...\n");
		return 2;
	}
	if (argc == 5 && !(raw = fopen(argv[4], "a"))) {
		fprintf(stderr, "benchlat: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	warm = count / 100 < 100 ? count / 100 : 100;
	lat = calloc((size_t)count, sizeof(*lat));
	if (!lat)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	next = ts_ns(&now);
	rq0 = -1;
	stop_ns = next + (long long)(max_s * 1e9);
	for (long i = -warm; i < count && next < stop_ns; i++) {
		long long l;

		next += interval_us * 1000LL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* Fell behind by more than an interval (long stall): restart from now. */
		if (next < ts_ns(&now))
			next = ts_ns(&now) + interval_us * 1000LL;
		dl.tv_sec = next / 1000000000LL;
		dl.tv_nsec = next % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL))
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		l = ts_ns(&now) - next;
		if (i == -1 || (i == 0 && !warm))
			rq0 = run_delay(); /* the samples' run queue waits only */
		if (i >= 0)
			lat[n++] = l < 0 ? 0 : l;
	}
	if (rq0 >= 0 && run_delay() >= rq0) {
		rq_samples = n;
		rq_delay_ns = run_delay() - rq0;
	}
	if (raw) {
		fprintf(raw, "# rq %lld %lld\n", rq_samples, rq_delay_ns);
		for (long i = 0; i < n; i++)
			fprintf(raw, "%lld\n", lat[i]);
		if (fclose(raw)) {
			fprintf(stderr, "benchlat: %s: %s\n", argv[4], strerror(errno));
			return 1;
		}
	}
	summary(lat, n);
	free(lat);
	return 0;
}
