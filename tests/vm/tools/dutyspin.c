// SPDX-License-Identifier: GPL-2.0
/*
 * dutyspin - a CPU hog with a duty cycle: burn BUSY_MS of CPU time, sleep IDLE_MS, forever.
 * Used by the VM tests where a 100% spinner on every vCPU would make unrelated kernel work
 * crawl under TCG (every cross-CPU synchronisation waits for the busy vCPUs), e.g. the cgroup
 * churn case.
 *
 *   dutyspin BUSY_MS IDLE_MS
 *
 * Busy time is measured as the thread's own CPU time, so a preempted dutyspin still burns its
 * full BUSY_MS before it sleeps. Exit status 2 on usage errors; otherwise it runs until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char *e1, *e2;
	long busy_ms, idle_ms;
	struct timespec idle;

	if (argc != 3)
		goto usage;
	busy_ms = strtol(argv[1], &e1, 10);
	idle_ms = strtol(argv[2], &e2, 10);
	if (*e1 || *e2 || busy_ms < 1 || idle_ms < 0)
		goto usage;
	idle.tv_sec = idle_ms / 1000;
	idle.tv_nsec = (idle_ms % 1000) * 1000000L;
	for (;;) {
		long long end = ns(CLOCK_THREAD_CPUTIME_ID) + busy_ms * 1000000LL;

		while (ns(CLOCK_THREAD_CPUTIME_ID) < end)
			;
		if (idle_ms)
			nanosleep(&idle, NULL);
	}
usage:
	fprintf(stderr, "usage: dutyspin BUSY_MS IDLE_MS\n");
	return 2;
}
