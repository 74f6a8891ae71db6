// SPDX-License-Identifier: GPL-2.0
/*
 * bench_plan - how fast the planner is and how many CPUs it moves.
 *
 * Timing: re-planning a steady machine (all cells unpinned, every 8th cell pinned to a slice,
 * weights wobbling between runs, previous plan given), median and p99 over many runs.
 * Churn: one unpinned cell added to / removed from k cells on 512 CPUs; CPUs moved next to the
 * least possible (the newcomer's / leaver's CPU count, ~ceil(T/(k+1))) and to what cutting CPUs
 * contiguously by cell id, as the reference does, would move.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"
#include "util.h"

#define MAXCELLS 256

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return CMP(x, y);
}

static struct plan *plan_or_die(const struct plan_input *in)
{
	struct plan *p;
	char err[256];

	if (plan_compute(in, &p, err, sizeof(err)) || plan_validate(in, p, err, sizeof(err))) {
		fprintf(stderr, "bench_plan: planning failed: %s\n", err);
		exit(1);
	}
	return p;
}

static void bench_time(unsigned int T, unsigned int n)
{
	struct plan_cell cells[MAXCELLS];
	struct cpumask *sets[MAXCELLS] = {0};
	struct topology *t;
	struct plan_input in = {0};
	unsigned int runs = T * n > 100000 ? 300 : 1000;
	double *us = malloc(runs * sizeof(double));
	struct plan *prev;

	topology_synth(&t, T, T >= 512 ? 32 : 16, 2, NULL);
	for (unsigned int i = 0; i < n; i++) {
		cells[i] = (struct plan_cell){.id = (int)i, .weight = 1.0};
		if (i && i % 8 == 0) { /* a pinned cell on a slice of the machine */
			unsigned int len = T / n * 2, a = (i * 37) % (T - len);

			sets[i] = cpumask_alloc(T);
			for (unsigned int c = a; c < a + len; c++)
				cpumask_set(sets[i], c);
			cells[i].has_cpuset = true;
			cells[i].cpuset = sets[i];
		}
	}
	in.topo = t;
	in.cell0_min_cpus = 1;
	in.cells = cells;
	in.nr_cells = n;
	prev = plan_or_die(&in);
	for (unsigned int r = 0; r < runs; r++) {
		struct plan *p;
		char err[256];
		double t0;

		/* Demand wobble: a few cells change weight each round. */
		for (unsigned int k = 0; k < 3; k++)
			cells[(r * 7 + k * 13) % n].weight = 0.5 + (double)((r + k) % 5) * 0.25;
		in.prev = prev;
		t0 = now_us();
		if (plan_compute(&in, &p, err, sizeof(err))) {
			fprintf(stderr, "bench_plan: %s\n", err);
			exit(1);
		}
		us[r] = now_us() - t0;
		plan_free(prev);
		prev = p;
	}
	qsort(us, runs, sizeof(double), cmp_double);
	printf("%6u %6u %10.1f %10.1f %6u\n", T, n, us[runs / 2], us[runs * 99 / 100], runs);
	plan_free(prev);
	for (unsigned int i = 0; i < n; i++)
		cpumask_free(sets[i]);
	topology_free(t);
	free(us);
}

/* CPUs that change owner when cutting @T CPUs contiguously by id with the given targets. */
static unsigned int contiguous_moved(const struct plan *a, const struct plan *b, unsigned int T)
{
	int *oa = malloc(T * sizeof(int)), *ob = malloc(T * sizeof(int));
	const struct plan *ps[2] = {a, b};
	int *os[2] = {oa, ob};
	unsigned int moved = 0;

	for (int k = 0; k < 2; k++) {
		unsigned int cpu = 0;

		/* cells are listed in id order in these inputs */
		for (unsigned int i = 0; i < ps[k]->nr_cells; i++)
			for (unsigned int j = 0; j < ps[k]->cells[i].nr_primary && cpu < T; j++)
				os[k][cpu++] = ps[k]->cells[i].id;
	}
	for (unsigned int c = 0; c < T; c++)
		moved += oa[c] != ob[c];
	free(oa);
	free(ob);
	return moved;
}

static void bench_churn(unsigned int T, unsigned int k)
{
	struct plan_cell cells[MAXCELLS + 1];
	struct topology *t;
	struct plan_input in = {0};
	struct plan *p0, *p1, *p2;

	topology_synth(&t, T, 32, 2, NULL);
	for (unsigned int i = 0; i <= k; i++)
		cells[i] = (struct plan_cell){.id = (int)i, .weight = 1.0};
	in.topo = t;
	in.cell0_min_cpus = 1;
	in.cells = cells;
	in.nr_cells = k;
	p0 = plan_or_die(&in);
	in.nr_cells = k + 1;
	in.prev = p0;
	p1 = plan_or_die(&in);
	in.nr_cells = k;
	in.prev = p1;
	p2 = plan_or_die(&in);
	printf("%6u %4u  add    %6u %8u %11u\n", T, k, plan_moved(p0, p1),
	       plan_find(p1, (int)k)->nr_primary, contiguous_moved(p0, p1, T));
	printf("%6u %4u  remove %6u %8u %11u\n", T, k, plan_moved(p1, p2),
	       plan_find(p1, (int)k)->nr_primary, contiguous_moved(p1, p2, T));
	plan_free(p0);
	plan_free(p1);
	plan_free(p2);
	topology_free(t);
}

int main(void)
{
	static const unsigned int cpus[] = {64, 512, 4096}, ncells[] = {8, 64, 256};
	static const unsigned int ks[] = {4, 16, 64};

	printf("plan time (re-plan with previous plan, -O2), microseconds\n");
	printf("%6s %6s %10s %10s %6s\n", "cpus", "cells", "median", "p99", "runs");
	for (unsigned int i = 0; i < 3; i++) {
		for (unsigned int j = 0; j < 3; j++) {
			if (ncells[j] > cpus[i]) {
				printf("%6u %6u %10s %10s %6s\n", cpus[i], ncells[j], "skipped",
				       "-", "-");
				continue;
			}
			bench_time(cpus[i], ncells[j]);
		}
	}
	printf("\nCPUs moved when one unpinned cell joins / leaves k equal cells\n");
	printf("%6s %4s  %-6s %6s %8s %11s\n", "cpus", "k", "change", "moved", "minimum",
	       "contiguous");
	for (unsigned int i = 0; i < 3; i++)
		bench_churn(512, ks[i]);
	return 0;
}
