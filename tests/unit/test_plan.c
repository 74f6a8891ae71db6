// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the planner: the reference planner's behaviours (targets, cpuset classes,
 * borrowing, max-min fair targets by need and share, root minimum), stability, topology packing,
 * determinism, validation, and property tests over random inputs (seed printed; PLAN_SEED=n
 * reproduces, PLAN_CASES=n scales).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plan.h"

#define MAXC 300

/* A test scenario: topology + cells; owns everything it allocates. */
struct scen {
	struct topology *t;
	struct plan_cell cells[MAXC];
	struct cpumask *sets[MAXC];
	unsigned int n;
	struct plan_input in;
};

static void scen_init(struct scen *sc, unsigned int nr_cpus, unsigned int per_llc, unsigned int smt)
{
	memset(sc, 0, sizeof(*sc));
	assert_int_equal(topology_synth(&sc->t, nr_cpus, per_llc, smt, NULL), 0);
	sc->in.topo = sc->t;
	sc->in.cell0_min_cpus = 1;
	sc->in.cells = sc->cells;
}

/* Add cell @id with @cpulist (NULL = no cpuset) and @need (CPUs; share 0 = equal). */
static void add(struct scen *sc, int id, const char *cpulist, double need)
{
	struct plan_cell *pc = &sc->cells[sc->n];

	memset(pc, 0, sizeof(*pc)); /* a dropped cell may have left its share here */
	sc->sets[sc->n] = NULL;	    /* ... and its (freed) cpuset */
	pc->id = id;
	pc->need = need;
	if (cpulist) {
		char err[256];

		sc->sets[sc->n] = cpumask_alloc(sc->t->nr_cpus);
		if (cpumask_parse(sc->sets[sc->n], cpulist, err, sizeof(err)))
			fail_msg("bad test cpulist: %s", err);
		pc->has_cpuset = true;
		pc->cpuset = sc->sets[sc->n];
	}
	sc->n++;
	sc->in.nr_cells = sc->n;
}

/* Drop the cell with @id (keeps the order of the others). */
static void drop(struct scen *sc, int id)
{
	for (unsigned int i = 0; i < sc->n; i++) {
		if (sc->cells[i].id != id)
			continue;
		cpumask_free(sc->sets[i]);
		memmove(&sc->cells[i], &sc->cells[i + 1], (sc->n - i - 1) * sizeof(sc->cells[0]));
		memmove(&sc->sets[i], &sc->sets[i + 1], (sc->n - i - 1) * sizeof(sc->sets[0]));
		sc->n--;
		sc->in.nr_cells = sc->n;
		return;
	}
	fail_msg("no cell %d to drop", id);
}

static void scen_free(struct scen *sc)
{
	for (unsigned int i = 0; i < sc->n; i++)
		cpumask_free(sc->sets[i]);
	topology_free(sc->t);
}

static void dump_plan(const struct plan *p)
{
	char buf[2048];

	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *o = &p->cells[i];

		cpumask_format(o->primary, buf, sizeof(buf));
		print_message("  cell %d why %d target %u primary %s", o->id, o->why, o->target,
			      buf);
		cpumask_format(o->borrowable, buf, sizeof(buf));
		print_message(" borrowable %s\n", buf);
	}
}

/* Plan and validate; the plan must pass validation. */
static struct plan *run(struct scen *sc)
{
	struct plan *p = NULL;
	char err[512] = "";
	int ret = plan_compute(&sc->in, &p, err, sizeof(err));

	if (ret)
		fail_msg("plan_compute: %d %s", ret, err);
	ret = plan_validate(&sc->in, p, err, sizeof(err));
	if (ret) {
		dump_plan(p);
		fail_msg("plan_validate: %s", err);
	}
	return p;
}

static const struct plan_cell_out *cell(const struct plan *p, int id)
{
	const struct plan_cell_out *o = plan_find(p, id);

	if (!o)
		fail_msg("no cell %d in plan", id);
	return o;
}

/* Assert cell @id's primary mask formats as @want. */
static void want_primary(const struct plan *p, int id, const char *want)
{
	char buf[2048];

	cpumask_format(cell(p, id)->primary, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		dump_plan(p);
		fail_msg("cell %d primary is '%s', want '%s'", id, buf, want);
	}
}

static void want_borrowable(const struct plan *p, int id, const char *want)
{
	char buf[2048];

	cpumask_format(cell(p, id)->borrowable, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		dump_plan(p);
		fail_msg("cell %d borrowable is '%s', want '%s'", id, buf, want);
	}
}

static unsigned int nprim(const struct plan *p, int id)
{
	return cell(p, id)->nr_primary;
}

/* ---- reference behaviours -------------------------------------------------------------- */

static void test_equal_split(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	for (int id = 0; id < 4; id++)
		add(&sc, id, NULL, 1);
	struct plan *p = run(&sc);
	for (int id = 0; id < 4; id++) {
		assert_int_equal(nprim(p, id), 2);
		assert_int_equal(cell(p, id)->target, 2);
	}
	assert_int_equal(p->nr_unplaced, 0);
	plan_free(p);
	scen_free(&sc);
}

static void test_remainders(void **state)
{
	struct scen sc;
	(void)state;
	/* 10 CPUs, 4 cells: 2.5 each; floors 2, leftovers 2 to the lowest ids. */
	scen_init(&sc, 10, 10, 1);
	for (int id = 0; id < 4; id++)
		add(&sc, id, NULL, 1);
	struct plan *p = run(&sc);
	unsigned int want[] = {3, 3, 2, 2};
	for (int id = 0; id < 4; id++) {
		assert_int_equal(cell(p, id)->target, want[id]);
		assert_int_equal(nprim(p, id), want[id]);
	}
	plan_free(p);
	scen_free(&sc);
}

static void test_too_many_cells(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 4, 4, 1);
	for (int id = 0; id < 7; id++)
		add(&sc, id, NULL, 1);
	struct plan *p = run(&sc);
	for (int id = 0; id < 4; id++)
		assert_int_equal(nprim(p, id), 1);
	assert_int_equal(p->nr_unplaced, 3);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(p->unplaced[k], 4 + k);
		assert_int_equal(cell(p, 4 + k)->why, PLAN_UNPLACED_NO_CPU_LEFT);
		assert_true(cpumask_empty(cell(p, 4 + k)->borrowable));
	}
	plan_free(p);
	scen_free(&sc);
}

static void test_max_cells_and_empty_cpusets(void **state)
{
	struct scen sc;
	struct cpumask *on = cpumask_alloc(8);
	(void)state;
	/* CPUs 6-7 offline: a cpuset of only those has no online CPU. */
	cpumask_parse(on, "0-5", NULL, 0);
	scen_init(&sc, 8, 4, 1);
	topology_free(sc.t);
	assert_int_equal(topology_synth(&sc.t, 8, 4, 1, on), 0);
	sc.in.topo = sc.t;
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "6-7", 1);
	add(&sc, 2, "", 1);
	add(&sc, 3, NULL, 1);
	add(&sc, 4, NULL, 1);
	sc.in.max_cells = 2;
	struct plan *p = run(&sc);
	assert_int_equal(cell(p, 1)->why, PLAN_UNPLACED_NO_ONLINE_CPU);
	assert_int_equal(cell(p, 2)->why, PLAN_UNPLACED_NO_ONLINE_CPU);
	assert_int_equal(cell(p, 3)->why, PLAN_PLACED);
	assert_int_equal(cell(p, 4)->why, PLAN_UNPLACED_OVER_MAX);
	assert_int_equal(p->nr_unplaced, 3);
	assert_int_equal(nprim(p, 0) + nprim(p, 3), 6);
	assert_int_equal(p->owner[6], -1);
	assert_int_equal(p->owner[7], -1);
	plan_free(p);
	scen_free(&sc);
	cpumask_free(on);
}

static void test_cpuset_exclusive(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-1", 1);
	add(&sc, 2, "2-3", 1);
	struct plan *p = run(&sc);
	want_primary(p, 1, "0-1");
	want_primary(p, 2, "2-3");
	want_primary(p, 0, "4-7");
	plan_free(p);
	scen_free(&sc);

	/* Exclusive CPUs go to their cell even beyond its target. */
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-5", 1);
	add(&sc, 2, NULL, 1);
	p = run(&sc);
	assert_int_equal(cell(p, 1)->target, 3);
	want_primary(p, 1, "0-5");
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 2), 1);
	plan_free(p);
	scen_free(&sc);
}

static void test_cpuset_partial_overlap(void **state)
{
	struct scen sc;
	(void)state;
	/* Targets 3/3/2; exclusive A{0,1} B{4,5}; contested {2,3} by deficit A 1, B 0. */
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-3", 1);
	add(&sc, 2, "2-5", 1);
	struct plan *p = run(&sc);
	want_primary(p, 1, "0-3");
	want_primary(p, 2, "4-5");
	want_primary(p, 0, "6-7");
	plan_free(p);
	scen_free(&sc);
}

static void test_cpuset_three_way_overlap(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 12, 12, 1);
	add(&sc, 0, NULL, 1);
	for (int id = 1; id <= 3; id++)
		add(&sc, id, "0-5", 1);
	struct plan *p = run(&sc);
	for (int id = 1; id <= 3; id++)
		assert_int_equal(nprim(p, id), 2);
	want_primary(p, 0, "6-11");
	plan_free(p);
	scen_free(&sc);
}

static void test_cpuset_complete_overlap_odd(void **state)
{
	struct scen sc;
	(void)state;
	/* Same cpuset of 5: deficits 3 and 2. */
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-4", 1);
	add(&sc, 2, "0-4", 1);
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 1), 3);
	assert_int_equal(nprim(p, 2), 2);
	want_primary(p, 0, "5-7");
	plan_free(p);
	scen_free(&sc);

	/* Odd contested count with equal deficits: the lower id gets the extra CPU. */
	scen_init(&sc, 16, 16, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-2", 1);
	add(&sc, 2, "0-2", 1);
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 2);
	assert_int_equal(nprim(p, 2), 1);
	assert_int_equal(nprim(p, 0), 13);
	plan_free(p);
	scen_free(&sc);

	/* More claimants than contested CPUs: everyone still gets one where possible. */
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-1", 1);
	add(&sc, 2, "0-1", 1);
	add(&sc, 3, "0-2", 1);
	p = run(&sc);
	for (int id = 1; id <= 3; id++)
		assert_int_equal(nprim(p, id), 1);
	want_primary(p, 3, "2");
	plan_free(p);
	scen_free(&sc);
}

static void test_cpusets_cover_everything(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-7", 1);
	sc.in.cell0_min_cpus = 2;
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 2);
	assert_int_equal(nprim(p, 1), 6);
	plan_free(p);
	scen_free(&sc);

	/* Two cpusets tile the machine; root takes its one CPU from the largest holder. */
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-2", 1);
	add(&sc, 2, "3-7", 1);
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 3);
	assert_int_equal(nprim(p, 2), 4);
	/* An unpinned cell squeezed out by cpusets still gets a CPU. */
	plan_free(p);
	add(&sc, 3, NULL, 1);
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 3), 1);
	plan_free(p);
	scen_free(&sc);
}

static void test_pinned_and_unpinned(void **state)
{
	struct scen sc;
	(void)state;
	/* Targets 3/3/2; A owns 0-3; 4-7 split root:B by deficit 3:2 → 2.4/1.6 → 2/2. */
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-3", 1);
	add(&sc, 2, NULL, 1);
	struct plan *p = run(&sc);
	want_primary(p, 1, "0-3");
	assert_int_equal(nprim(p, 0), 2);
	assert_int_equal(nprim(p, 2), 2);
	plan_free(p);
	scen_free(&sc);
}

static void test_borrowable(void **state)
{
	struct scen sc;
	struct cpumask *on = cpumask_alloc(8);
	(void)state;
	cpumask_parse(on, "0-6", NULL, 0); /* CPU 7 offline */
	scen_init(&sc, 8, 8, 1);
	topology_free(sc.t);
	assert_int_equal(topology_synth(&sc.t, 8, 8, 1, on), 0);
	sc.in.topo = sc.t;
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-1,7", 1);
	add(&sc, 2, "0-3", 1);
	struct plan *p = run(&sc);
	want_primary(p, 1, "0-1");
	want_primary(p, 2, "2-3");
	want_primary(p, 0, "4-6");
	want_borrowable(p, 1, "");    /* its cpuset minus its own */
	want_borrowable(p, 2, "0-1"); /* cpuset ∩ others' */
	want_borrowable(p, 0, "0-3"); /* everything online but its own */
	assert_int_equal(p->owner[7], -1);
	plan_free(p);
	scen_free(&sc);
	cpumask_free(on);
}

/* Hand-computed max-min fair targets (needs in CPUs, equal shares unless set). */
static void test_maxmin(void **state)
{
	struct scen sc;
	(void)state;
	/*
	 * 16 CPUs, shares 16/3 each. Root needs 0.6 → 1 (its floor); a needs 2.5 → 2.5; b's 33
	 * takes the rest, 12.5. Floors 1/2/12; the leftover CPU: equal fractions, so to the cell
	 * further short of its need, b. Proportional weights would have given a
	 * 1 + 13·2.5/36.1 = 1.9 → 1 or 2 CPUs, and 1 with b at 330.
	 */
	scen_init(&sc, 16, 16, 1);
	add(&sc, 0, NULL, 0.6);
	add(&sc, 1, NULL, 2.5);
	add(&sc, 2, NULL, 33);
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 2);
	assert_int_equal(nprim(p, 2), 13);
	plan_free(p);
	/* a at 2.6: the larger fraction wins, 1/3/12. */
	sc.cells[1].need = 2.6;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 3);
	assert_int_equal(nprim(p, 2), 12);
	plan_free(p);
	/* Ten times the threads in b: nothing changes for a. */
	sc.cells[2].need = 330;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 3);
	plan_free(p);
	/* a needing 7, beyond its share (16/3) but below the level b leaves, gets all 7. */
	sc.cells[1].need = 7;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 7 - 0); /* level (16 − 1)/2 = 7.5 > 7: a is satisfied */
	assert_int_equal(nprim(p, 2), 8);
	plan_free(p);
	sc.cells[1].need = 9;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 7); /* 7.5 each; tie → b, further short of its need */
	assert_int_equal(nprim(p, 2), 8);
	plan_free(p);
	sc.cells[2].need = 9; /* a real tie: lower id */
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 8);
	assert_int_equal(nprim(p, 2), 7);
	plan_free(p);
	scen_free(&sc);

	/* Surplus: needs 1/2/3 of 12 CPUs are all met; the spare CPUs level up to 4 each. */
	scen_init(&sc, 12, 12, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, NULL, 2);
	add(&sc, 2, NULL, 3);
	p = run(&sc);
	for (int id = 0; id < 3; id++)
		assert_int_equal(nprim(p, id), 4);
	plan_free(p);
	/* ... and a need above the share is met from what the others leave: 5, then 3.5 each. */
	sc.cells[2].need = 5;
	p = run(&sc);
	assert_int_equal(nprim(p, 0) + nprim(p, 1), 7);
	assert_int_equal(nprim(p, 2), 5);
	plan_free(p);
	scen_free(&sc);
}

/* Shares: entitlement ∝ share, and what a satisfied cell leaves goes by share too. */
static void test_maxmin_shares(void **state)
{
	struct scen sc;
	(void)state;
	/* 16 CPUs, shares 1:1:2 → 4/4/8, all three needing more: exactly that. */
	scen_init(&sc, 16, 16, 1);
	add(&sc, 0, NULL, 100);
	add(&sc, 1, NULL, 100);
	add(&sc, 2, NULL, 100);
	sc.cells[2].share = 2;
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 4);
	assert_int_equal(nprim(p, 1), 4);
	assert_int_equal(nprim(p, 2), 8);
	plan_free(p);
	/* Root needs 1: its 3 spare CPUs split 1:2 between cells 1 and 2 → 5 and 10. */
	sc.cells[0].need = 1;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 5);
	assert_int_equal(nprim(p, 2), 10);
	plan_free(p);
	/* No needs at all: the plain split by share, 4/4/8. */
	for (int i = 0; i < 3; i++)
		sc.cells[i].need = 0;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 4);
	assert_int_equal(nprim(p, 1), 4);
	assert_int_equal(nprim(p, 2), 8);
	plan_free(p);
	scen_free(&sc);
}

static void test_skewed_and_zero_weights(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 1000);
	add(&sc, 2, NULL, 0.001);
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 6);
	assert_int_equal(nprim(p, 2), 1);
	plan_free(p);
	scen_free(&sc);

	/* All zero: equal split. */
	scen_init(&sc, 9, 9, 1);
	for (int id = 0; id < 3; id++)
		add(&sc, id, NULL, 0);
	p = run(&sc);
	for (int id = 0; id < 3; id++)
		assert_int_equal(nprim(p, id), 3);
	plan_free(p);
	scen_free(&sc);
}

static void test_root_minimum(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	for (int id = 0; id < 4; id++)
		add(&sc, id, NULL, 1);
	sc.in.cell0_min_cpus = 4;
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 4);
	assert_int_equal(nprim(p, 1), 2);
	assert_int_equal(nprim(p, 2), 1);
	assert_int_equal(nprim(p, 3), 1);
	plan_free(p);
	/*
	 * The minimum is a guarantee: with 8 CPUs and a minimum of 7 only one other cell fits
	 * (the lowest id); the others are unplaced and their tasks run in the root cell.
	 */
	sc.in.cell0_min_cpus = 7;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 7);
	assert_int_equal(nprim(p, 1), 1);
	assert_int_equal(p->nr_unplaced, 2);
	assert_int_equal(p->unplaced[0], 2);
	assert_int_equal(p->unplaced[1], 3);
	plan_free(p);
	/* Even a minimum above the CPU count: the root cell takes every CPU. */
	sc.in.cell0_min_cpus = 20;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 8);
	assert_int_equal(p->nr_unplaced, 3);
	plan_free(p);
	scen_free(&sc);
}

static void test_bad_input(void **state)
{
	struct scen sc;
	struct plan *p = (void *)1;
	char err[256];
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 1, NULL, 1);
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "root cell (id 0) is missing"));
	assert_null(p);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, NULL, 1);
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell id 1 appears twice"));
	drop(&sc, 1);
	add(&sc, 2, NULL, -1);
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 2 needs -1 CPUs"));
	drop(&sc, 2);
	add(&sc, 3, NULL, NAN);
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 3 needs nan CPUs"));
	drop(&sc, 3);
	add(&sc, 3, NULL, 1);
	sc.cells[sc.n - 1].share = -2;
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 3 has share -2"));
	sc.cells[sc.n - 1].share = INFINITY;
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 3 has share inf"));
	drop(&sc, 3);
	add(&sc, -4, NULL, 1);
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell id -4 is negative"));
	drop(&sc, -4);
	struct cpumask *wrong = cpumask_alloc(9);
	add(&sc, 5, NULL, 1);
	sc.cells[sc.n - 1].has_cpuset = true;
	sc.cells[sc.n - 1].cpuset = wrong;
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 5 cpuset is sized wrongly"));
	cpumask_free(wrong);
	drop(&sc, 5);
	drop(&sc, 0);
	add(&sc, 0, "0-3", 1);
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "root cell cannot have a cpuset"));
	drop(&sc, 0);
	add(&sc, 0, NULL, 1);
	sc.cells[sc.n - 1].cap = 2;
	assert_int_equal(plan_compute(&sc.in, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "root cell cannot have a cap"));
	scen_free(&sc);
}

/* ---- weights (cpu.weight) and caps (cpu.max) ----------------------------------------------- */

static void want_basis(const struct plan *p, int id, enum plan_basis want)
{
	if (cell(p, id)->basis != want) {
		dump_plan(p);
		fail_msg("cell %d basis %d, want %d", id, cell(p, id)->basis, want);
	}
}

/* The extremes of cpu.weight: 1 and 10000 beside the root's 100. */
static void test_weights_extremes(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 64, 16, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 0);
	add(&sc, 2, NULL, 0);
	sc.cells[0].share = 100;
	sc.cells[1].share = 1;
	sc.cells[2].share = 10000;
	/* 64·10000/10101 = 63.4 for cell 2, but cell 1 and the root keep their floor of 1. */
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 1);
	assert_int_equal(nprim(p, 2), 62);
	want_basis(p, 0, PLAN_BY_FLOOR);
	want_basis(p, 1, PLAN_BY_FLOOR);
	want_basis(p, 2, PLAN_BY_SHARE);
	plan_free(p);
	/* Weight 1 beside 10000 on 10100 CPUs' worth of shares: still 1 CPU of 8, never 0. */
	scen_free(&sc);
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 0);
	add(&sc, 2, NULL, 0);
	sc.cells[0].share = 100;
	sc.cells[1].share = 10000;
	sc.cells[2].share = 1;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 6);
	assert_int_equal(nprim(p, 2), 1);
	plan_free(p);
	/* Under contention (everyone needs all 8) the weights still decide: 1 : 6 : 1. */
	for (int i = 0; i < 3; i++)
		sc.cells[i].need = 8;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 6);
	assert_int_equal(nprim(p, 2), 1);
	plan_free(p);
	/* 100 vs 300 beside the root's 100 on 10 CPUs: 2 / 2 / 6. */
	scen_free(&sc);
	scen_init(&sc, 10, 10, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 0);
	add(&sc, 2, NULL, 0);
	sc.cells[0].share = 100;
	sc.cells[1].share = 100;
	sc.cells[2].share = 300;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 2);
	assert_int_equal(nprim(p, 1), 2);
	assert_int_equal(nprim(p, 2), 6);
	plan_free(p);
	scen_free(&sc);
}

/* A cap bounds a cell; what it cannot take goes to the uncapped cells by share. */
static void test_caps(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 0);
	add(&sc, 2, NULL, 0);
	sc.cells[1].cap = 1;
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 1), 1);
	assert_int_equal(nprim(p, 0) + nprim(p, 2), 7);
	assert_in_range(nprim(p, 2), 3, 4);
	want_basis(p, 1, PLAN_BY_CAP);
	plan_free(p);
	/* A heavy weight does not beat a cap. */
	sc.cells[1].share = 10000;
	sc.cells[1].cap = 2;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 2);
	assert_in_range(nprim(p, 2), 3, 3);
	assert_int_equal(nprim(p, 0), 3);
	plan_free(p);
	/* With rebalancing: a need of 6 under a cap of 2 is 2; the other busy cell gets the rest.
	 */
	sc.cells[1].share = 0;
	sc.cells[0].need = 0.6;
	sc.cells[1].need = 6;
	sc.cells[2].need = 6;
	p = run(&sc);
	assert_int_equal(nprim(p, 0), 1);
	assert_int_equal(nprim(p, 1), 2);
	assert_int_equal(nprim(p, 2), 5);
	want_basis(p, 1, PLAN_BY_CAP);
	plan_free(p);
	/* A cap of 0 is no cap; a cap larger than T is no limit. */
	sc.cells[1].cap = 100;
	p = run(&sc);
	assert_int_equal(nprim(p, 1) + nprim(p, 2), 7);
	plan_free(p);
	scen_free(&sc);
}

/* min_cpus: a floor above 1, by id while the CPUs allow, never above the cap. */
static void test_mins(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 0);
	add(&sc, 2, NULL, 0);
	/* equal shares: 3/3/2 or so; a min of 5 for cell 2 raises it to 5 */
	sc.cells[2].min = 5;
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 2), 5);
	want_basis(p, 2, PLAN_BY_FLOOR);
	assert_int_equal(nprim(p, 0) + nprim(p, 1), 3);
	plan_free(p);
	/* with demand: cell 1 needs 7, cell 2 needs nothing but keeps its min of 5 */
	sc.cells[1].need = 7;
	sc.cells[2].need = 0.1;
	sc.cells[0].need = 0.1;
	p = run(&sc);
	assert_int_equal(nprim(p, 2), 5);
	assert_int_equal(nprim(p, 1), 2);
	plan_free(p);
	/* mins that cannot all be met: by id, cell 1 first; everyone keeps 1 CPU */
	sc.cells[1].need = sc.cells[2].need = sc.cells[0].need = 0;
	sc.cells[1].min = 6;
	sc.cells[2].min = 6;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 6);
	assert_int_equal(nprim(p, 2), 1);
	assert_int_equal(nprim(p, 0), 1);
	plan_free(p);
	/* the same as a set: input order does not matter */
	struct plan_cell tmp = sc.cells[1];
	sc.cells[1] = sc.cells[2];
	sc.cells[2] = tmp;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 6);
	assert_int_equal(nprim(p, 2), 1);
	plan_free(p);
	/* a cap below the min wins */
	sc.cells[1].min = sc.cells[2].min = 0;
	sc.cells[1].cap = 2;
	for (unsigned int i = 0; i < sc.n; i++)
		if (sc.cells[i].id == 1)
			sc.cells[i].min = 4, sc.cells[i].cap = 2;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 2);
	plan_free(p);
	scen_free(&sc);
}

/* Caps below the root minimum, and caps that cannot all be met. */
static void test_caps_unmeetable(void **state)
{
	struct scen sc;
	(void)state;
	/* Root minimum 4 of 8; caps 1 and 2 are below it: the root takes the other 5. */
	scen_init(&sc, 8, 8, 1);
	sc.in.cell0_min_cpus = 4;
	add(&sc, 0, NULL, 0);
	add(&sc, 1, NULL, 0);
	add(&sc, 2, NULL, 0);
	sc.cells[1].cap = 1;
	sc.cells[2].cap = 2;
	struct plan *p = run(&sc);
	assert_int_equal(nprim(p, 0), 5);
	assert_int_equal(nprim(p, 1), 1);
	assert_int_equal(nprim(p, 2), 2);
	want_basis(p, 0, PLAN_BY_LEFTOVER);
	want_basis(p, 2, PLAN_BY_CAP);
	plan_free(p);
	/* Every workload cell capped, whatever the needs: the rest goes to the root beyond caps. */
	scen_free(&sc);
	scen_init(&sc, 32, 8, 2);
	add(&sc, 0, NULL, 0.5);
	for (int id = 1; id <= 4; id++) {
		add(&sc, id, NULL, 20);
		sc.cells[id].cap = (unsigned int)id;
		sc.cells[id].share = 100.0 * id;
	}
	p = run(&sc);
	for (int id = 1; id <= 4; id++)
		assert_int_equal(nprim(p, id), id);
	assert_int_equal(nprim(p, 0), 22);
	plan_free(p);
	/* Caps hold for cpusets too: an exclusive cpuset of 8 CPUs under a cap of 2 gives 2 of
	 * them, and two cells contesting 4 CPUs with caps of 1 get one each; the root (no cpuset)
	 * takes the remainder. */
	scen_free(&sc);
	scen_init(&sc, 16, 8, 1);
	add(&sc, 0, NULL, 0);
	add(&sc, 1, "0-7", 0);
	add(&sc, 2, "8-11", 0);
	add(&sc, 3, "8-11", 0);
	sc.cells[1].cap = 2;
	sc.cells[2].cap = 1;
	sc.cells[3].cap = 1;
	p = run(&sc);
	assert_int_equal(nprim(p, 1), 2);
	assert_int_equal(nprim(p, 2), 1);
	assert_int_equal(nprim(p, 3), 1);
	assert_int_equal(nprim(p, 0), 12);
	/* Re-planning on the result moves nothing. */
	sc.in.prev = p;
	struct plan *q = run(&sc);
	assert_int_equal(plan_moved(p, q), 0);
	plan_free(q);
	sc.in.prev = NULL;
	plan_free(p);
	scen_free(&sc);
}

/* Weights and caps do not depend on the order the cells are listed in. */
static void test_caps_determinism(void **state)
{
	struct scen sc, rev;
	(void)state;
	scen_init(&sc, 48, 12, 2);
	scen_init(&rev, 48, 12, 2);
	const char *sets[] = {NULL, "0-20", NULL, "10-30", "5", NULL, "40-47"};
	const unsigned int caps[] = {0, 3, 0, 5, 1, 2, 0};
	for (int id = 0; id < 7; id++) {
		add(&sc, id, sets[id], 1 + id % 3);
		sc.cells[sc.n - 1].cap = caps[id];
		sc.cells[sc.n - 1].share = 50.0 * (id + 1);
	}
	for (int id = 6; id >= 0; id--) {
		add(&rev, id, sets[id], 1 + id % 3);
		rev.cells[rev.n - 1].cap = caps[id];
		rev.cells[rev.n - 1].share = 50.0 * (id + 1);
	}
	struct plan *a = run(&sc), *b = run(&sc), *c = run(&rev);
	assert_true(plan_equal(a, b));
	assert_int_equal(plan_moved(a, c), 0);
	for (int id = 0; id < 7; id++) {
		assert_true(cpumask_equal(cell(a, id)->primary, cell(c, id)->primary));
		if (caps[id])
			assert_true(nprim(a, id) <= caps[id]);
	}
	plan_free(a);
	plan_free(b);
	plan_free(c);
	scen_free(&sc);
	scen_free(&rev);
}

/* Corrupt a valid plan in each way validation must catch. */
static void test_validate_catches(void **state)
{
	struct scen sc;
	char err[256];
	(void)state;
	scen_init(&sc, 8, 8, 1);
	add(&sc, 0, NULL, 1);
	add(&sc, 1, "0-3", 1);
	add(&sc, 2, NULL, 1);
	sc.in.cell0_min_cpus = 2;
	struct plan *p = run(&sc);
	struct plan_cell_out *a = &p->cells[1], *r = &p->cells[0], *b = &p->cells[2];
	int c1 = cpumask_first(a->primary), cb = cpumask_first(b->primary);

	/* CPU in two primaries */
	cpumask_set(b->primary, (unsigned int)c1);
	b->nr_primary++;
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "primary to both"));
	cpumask_clear(b->primary, (unsigned int)c1);
	b->nr_primary--;
	/* own CPU borrowable */
	cpumask_set(a->borrowable, (unsigned int)c1);
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 1 may borrow its own CPU"));
	cpumask_clear(a->borrowable, (unsigned int)c1);
	/* borrowable outside cpuset */
	cpumask_set(a->borrowable, 7);
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 1 may borrow CPU 7 outside its cpuset"));
	cpumask_clear(a->borrowable, 7);
	/* primary outside cpuset */
	cpumask_clear(b->primary, (unsigned int)cb);
	cpumask_set(a->primary, (unsigned int)cb);
	p->owner[cb] = 1;
	b->nr_primary--;
	a->nr_primary++;
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "outside its cpuset"));
	cpumask_clear(a->primary, (unsigned int)cb);
	a->nr_primary--;
	/* CPU without owner */
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cell 2 is placed but has no primary CPU") ||
			strstr(err, "has no owner"));
	cpumask_set(b->primary, (unsigned int)cb);
	b->nr_primary++;
	p->owner[cb] = 2;
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), 0);
	/* root below minimum */
	sc.in.cell0_min_cpus = 4;
	assert_int_equal(plan_validate(&sc.in, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "root cell has 2 CPUs, below its minimum 4"));
	(void)r;
	plan_free(p);
	scen_free(&sc);
}

/* ---- beyond the reference ---------------------------------------------------------------- */

static unsigned int ceil_div(unsigned int a, unsigned int b)
{
	return (a + b - 1) / b;
}

/* Add then remove one unpinned cell among k: CPUs moved stay within ceil(T/(k+1)) + slack. */
static void check_add_remove(unsigned int T, unsigned int per_llc, unsigned int smt, unsigned int k)
{
	struct scen sc;
	scen_init(&sc, T, per_llc, smt);
	for (unsigned int id = 0; id < k; id++)
		add(&sc, (int)id, NULL, 1);
	struct plan *p0 = run(&sc);
	sc.in.prev = p0;
	struct plan *same = run(&sc);
	assert_int_equal(plan_moved(p0, same), 0); /* unchanged inputs: nothing moves */
	assert_true(plan_equal(p0, same));

	add(&sc, (int)k, NULL, 1);
	struct plan *p1 = run(&sc);
	unsigned int moved = plan_moved(p0, p1), bound = ceil_div(T, k + 1);
	if (moved > bound) {
		dump_plan(p1);
		fail_msg("T=%u k=%u: adding a cell moved %u CPUs, bound %u", T, k, moved, bound);
	}
	assert_int_equal(moved, nprim(p1, (int)k)); /* only the newcomer's CPUs moved */

	sc.in.prev = p1;
	drop(&sc, (int)k);
	struct plan *p2 = run(&sc);
	moved = plan_moved(p1, p2);
	if (moved > bound) {
		dump_plan(p2);
		fail_msg("T=%u k=%u: removing a cell moved %u CPUs, bound %u", T, k, moved, bound);
	}
	/* A middle cell leaving also moves only its own CPUs. */
	sc.in.prev = p2;
	if (k > 2) {
		drop(&sc, 1);
		struct plan *p3 = run(&sc);
		assert_int_equal(plan_moved(p2, p3), nprim(p2, 1));
		plan_free(p3);
	}
	plan_free(p0);
	plan_free(same);
	plan_free(p1);
	plan_free(p2);
	scen_free(&sc);
}

static void test_stability(void **state)
{
	(void)state;
	check_add_remove(8, 4, 1, 1);
	check_add_remove(64, 16, 2, 4);
	check_add_remove(512, 32, 2, 4);
	check_add_remove(512, 32, 2, 16);
	check_add_remove(512, 64, 2, 64);
	check_add_remove(96, 12, 2, 7);
}

/* A need change moves only the CPUs that must change hands. */
static void test_stability_weights(void **state)
{
	struct scen sc;
	(void)state;
	scen_init(&sc, 64, 16, 2);
	for (int id = 0; id < 4; id++)
		add(&sc, id, NULL, 100);
	struct plan *p0 = run(&sc);
	sc.in.prev = p0;
	sc.cells[2].need = 3; /* 16/16/16/16 → 21/21/3/19 (61/3 = 20.33 each, ties low id) */
	struct plan *p1 = run(&sc);
	unsigned int need = 0;
	for (int id = 0; id < 4; id++)
		if (nprim(p1, id) > nprim(p0, id))
			need += nprim(p1, id) - nprim(p0, id);
	assert_int_equal(nprim(p1, 2), 3);
	assert_int_equal(need, 13);
	assert_int_equal(plan_moved(p0, p1), need);
	plan_free(p0);
	plan_free(p1);
	scen_free(&sc);
}

static bool same_llc(const struct topology *t, const struct cpumask *m)
{
	int llc = -1;

	cpumask_for_each(cpu, m) {
		if (llc >= 0 && t->llc_id[cpu] != llc)
			return false;
		llc = t->llc_id[cpu];
	}
	return true;
}

static void test_topology_packing(void **state)
{
	struct scen sc;
	(void)state;
	/* Fresh: 4 + 4 on two LLCs of 4: one LLC each. */
	scen_init(&sc, 8, 4, 2);
	add(&sc, 0, NULL, 1);
	struct plan *p0 = run(&sc);
	add(&sc, 1, NULL, 1);
	struct plan *p1 = run(&sc);
	want_primary(p1, 0, "0-3");
	want_primary(p1, 1, "4-7");
	plan_free(p1);
	/* Growing from "root owns all": the newcomer still gets one whole LLC. */
	sc.in.prev = p0;
	p1 = run(&sc);
	assert_int_equal(nprim(p1, 1), 4);
	assert_true(same_llc(sc.t, cell(p1, 1)->primary));
	assert_int_equal(plan_moved(p0, p1), 4);
	plan_free(p1);
	plan_free(p0);
	scen_free(&sc);

	/* SMT: cells of two CPUs get whole cores. */
	scen_init(&sc, 8, 8, 2);
	for (int id = 0; id < 4; id++)
		add(&sc, id, NULL, 1);
	p1 = run(&sc);
	for (int id = 0; id < 4; id++) {
		int a = cpumask_first(cell(p1, id)->primary);
		int b = cpumask_next(cell(p1, id)->primary, a);
		assert_int_equal(sc.t->core_id[a], sc.t->core_id[b]);
	}
	plan_free(p1);
	scen_free(&sc);

	/* Many cells on many LLCs: each cell of ≤ LLC size sits in one LLC. */
	scen_init(&sc, 64, 8, 2);
	for (int id = 0; id < 8; id++)
		add(&sc, id, NULL, 1);
	p1 = run(&sc);
	for (int id = 0; id < 8; id++)
		assert_true(same_llc(sc.t, cell(p1, id)->primary));
	plan_free(p1);
	scen_free(&sc);
}

static void test_determinism_and_order(void **state)
{
	struct scen sc, rev;
	(void)state;
	scen_init(&sc, 48, 12, 2);
	scen_init(&rev, 48, 12, 2);
	const char *sets[] = {NULL, "0-20", NULL, "10-30", "5", NULL, "40-47"};
	for (int id = 0; id < 7; id++)
		add(&sc, id, sets[id], 1 + id % 3);
	for (int id = 6; id >= 0; id--)
		add(&rev, id, sets[id], 1 + id % 3);
	struct plan *a = run(&sc), *b = run(&sc), *c = run(&rev);
	assert_true(plan_equal(a, b));
	assert_int_equal(plan_moved(a, c), 0); /* cell order does not matter */
	for (int id = 0; id < 7; id++)
		assert_true(cpumask_equal(cell(a, id)->primary, cell(c, id)->primary));
	plan_free(a);
	plan_free(b);
	plan_free(c);
	scen_free(&sc);
	scen_free(&rev);
}

/* ---- property test ------------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

/* Small sizes mostly, some large. */
static unsigned int rnd_size(unsigned int max)
{
	unsigned int r = rnd_below(100);

	if (r < 70)
		return 1 + rnd_below(max < 16 ? max : 16);
	if (r < 95)
		return 1 + rnd_below(max < 256 ? max : 256);
	return 1 + rnd_below(max);
}

static void random_cpuset(struct cpumask *m, const struct topology *t)
{
	unsigned int kind = rnd_below(10), n = t->nr_cpus;

	cpumask_zero(m);
	if (kind == 0)
		return;	 /* empty */
	if (kind == 1) { /* offline only (maybe empty) */
		for (unsigned int c = 0; c < n; c++)
			if (!cpumask_test(t->online, c))
				cpumask_set(m, c);
		return;
	}
	if (kind < 6) { /* a range */
		unsigned int a = rnd_below(n), len = 1 + rnd_below(n - a);
		for (unsigned int c = a; c < a + len; c++)
			cpumask_set(m, c);
		return;
	}
	if (kind < 8) { /* a few CPUs */
		for (unsigned int k = 1 + rnd_below(4); k; k--)
			cpumask_set(m, rnd_below(n));
		return;
	}
	for (unsigned int c = 0; c < n; c++) /* random density */
		if (rnd_below(4) == 0)
			cpumask_set(m, c);
}

static void one_random_case(unsigned int iter, unsigned int *not_fixed)
{
	unsigned int T = rnd_size(4096), per_llc = 1 + rnd_below(T < 64 ? T : 64);
	unsigned int smt = 1 + rnd_below(4), nc = rnd_size(256);
	struct cpumask *on = cpumask_alloc(T);
	struct scen sc;
	char err[512];
	bool has_cpusets = false;

	for (unsigned int c = 0; c < T; c++)
		if (rnd_below(8))
			cpumask_set(on, c);
	if (cpumask_empty(on))
		cpumask_set(on, rnd_below(T));
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(topology_synth(&sc.t, T, per_llc, smt, rnd_below(3) ? on : NULL), 0);
	cpumask_free(on);
	sc.in.topo = sc.t;
	sc.in.cells = sc.cells;
	sc.in.cell0_min_cpus = rnd_below(4) ? rnd_below(4) : rnd_below(T + 2);
	sc.in.max_cells = rnd_below(4) ? 0 : 1 + rnd_below(nc);

	/* ids: a random subset of 0..2nc, root always present, random order */
	for (unsigned int i = 0; i < nc; i++) {
		struct plan_cell *pc = &sc.cells[sc.n];
		int id = i == 0 ? 0 : (int)(i * 2 - rnd_below(2));
		unsigned int w = rnd_below(10);

		pc->id = id;
		pc->need = w == 0 ? 0 : w < 3 ? 1 : (double)rnd_below(1000) / 7.0;
		pc->share = rnd_below(3) ? 0 : (double)rnd_below(50) / 7.0;
		/* caps (cpu.max) on some workload cells; validation checks they hold */
		pc->cap = i && rnd_below(4) == 0 ? rnd_below(rnd_below(2) ? 4 : T + 2) : 0;
		if (i && rnd_below(3) == 0) {
			sc.sets[sc.n] = cpumask_alloc(T);
			random_cpuset(sc.sets[sc.n], sc.t);
			pc->has_cpuset = true;
			pc->cpuset = sc.sets[sc.n];
			has_cpusets = true;
		}
		sc.n++;
	}
	for (unsigned int i = sc.n - 1; i > 0; i--) { /* shuffle */
		unsigned int j = rnd_below(i + 1);
		struct plan_cell tc = sc.cells[i];
		struct cpumask *tm = sc.sets[i];

		sc.cells[i] = sc.cells[j];
		sc.sets[i] = sc.sets[j];
		sc.cells[j] = tc;
		sc.sets[j] = tm;
	}
	sc.in.nr_cells = sc.n;

	struct plan *prev = NULL, *a, *b;
	if (rnd_below(2)) {
		/* A previous plan: a random owner map, with ids that may not exist any more. */
		prev = calloc(1, sizeof(*prev));
		prev->nr_cpus = T;
		prev->owner = malloc(T * sizeof(int));
		for (unsigned int c = 0; c < T; c++)
			prev->owner[c] = rnd_below(5) ? (int)rnd_below(2 * nc + 2) - 1 : -1;
		sc.in.prev = prev;
	}
	if (plan_compute(&sc.in, &a, err, sizeof(err)))
		fail_msg("case %u: plan_compute: %s", iter, err);
	if (plan_validate(&sc.in, a, err, sizeof(err)))
		fail_msg("case %u (T=%u cells=%u): plan_validate: %s", iter, T, nc, err);
	if (plan_compute(&sc.in, &b, err, sizeof(err)))
		fail_msg("case %u: plan_compute: %s", iter, err);
	if (!plan_equal(a, b))
		fail_msg("case %u: planning twice gave different plans", iter);
	plan_free(b);
	/* Re-planning on top of itself is a fixed point. */
	sc.in.prev = a;
	if (plan_compute(&sc.in, &b, err, sizeof(err)))
		fail_msg("case %u: plan_compute: %s", iter, err);
	if (plan_validate(&sc.in, b, err, sizeof(err)))
		fail_msg("case %u: plan_validate (re-plan): %s", iter, err);
	if (plan_moved(a, b) && getenv("PLAN_DUMP")) {
		for (unsigned int c = 0; c < T; c++)
			if (a->owner[c] != b->owner[c])
				print_message("  cpu %u: %d then %d\n", c, a->owner[c],
					      b->owner[c]);
		dump_plan(a);
		dump_plan(b);
	}
	/*
	 * Known limit: when a cell is left without a CPU by the count split, the repair chain
	 * depends on who owns what, so a re-plan can shift one CPU per repaired cell. Count them;
	 * plain inputs (no cpusets) must be exact fixed points.
	 */
	if (plan_moved(a, b)) {
		(*not_fixed)++;
		if (!has_cpusets)
			fail_msg("case %u: re-planning identical inputs moved %u CPUs", iter,
				 plan_moved(a, b));
	}
	plan_free(b);
	plan_free(a);
	if (prev) {
		free(prev->owner);
		free(prev);
	}
	scen_free(&sc);
}

/*
 * Max-min fairness of the targets, on random inputs without cpusets (cpusets override targets:
 * exclusive CPUs go to their cell whatever its target). Per case: T CPUs, N cells, random needs
 * (idle, small, huge, fractional; sometimes all zero) and shares (all default, or random), a
 * random root minimum. With lo = the cell's floor (1; the root's minimum for the root) and, in
 * contention (Σ max(need, lo) ≥ T), hi = max(need, lo), or in surplus lo = max(need, lo) and
 * hi = ∞, the fractional allocation x of the water-filling satisfies lo ≤ x ≤ hi and x/share
 * equal for all cells strictly between their bounds. |target − x| < 1, so the targets must obey:
 *  1. Σ targets = T, every target ≥ its floor;
 *  2. a cell whose need reaches its fair share T·w/Σw gets at least floor(fair share), when no
 *     floor exceeds its fair share (otherwise the floors legitimately eat into the shares);
 *  3. a cell that needs less gets at least floor(max(need, 1)), and in contention at most
 *     ceil(max(need, 1)): no more than it needs while others want more;
 *  4. no cell can take a CPU from another to its own benefit: if i is below its bound by ≥ 1
 *     (target_i ≤ hi_i − 1) and j above its floor by ≥ 1 (target_j ≥ lo_j + 1), then
 *     (target_i + 1)/w_i > (target_j − 1)/w_j.
 * Returns how many cells property 2 was checked on.
 */
static unsigned int one_maxmin_case(unsigned int iter)
{
	unsigned int T = 1 + rnd_below(rnd_below(4) ? 64 : 1024),
		     n = 1 + rnd_below(T < 40 ? T : 40);
	unsigned int kind = rnd_below(8), checked = 0;
	double wsum = 0, hsum = 0, lo[40], hi[40], w[40], cap[40];
	bool all_zero = kind == 0, shares = rnd_below(2), caps = rnd_below(2), floors_fit = true,
	     contention;
	unsigned int min0, sum = 0;
	struct scen sc;

	scen_init(&sc, T, T, 1);
	sc.in.cell0_min_cpus = rnd_below(3) ? 1 : 1 + rnd_below(T);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int r = rnd_below(10);
		double need = all_zero ? 0
			      : r < 2  ? 0.1 + (double)rnd_below(10) / 10.0 /* idle */
			      : r < 6  ? (double)rnd_below(40 * T) / 10.0   /* within reach */
			      : r < 8  ? (double)T * (1 + rnd_below(30))    /* many threads */
				       : (double)rnd_below(5);

		add(&sc, (int)i, NULL, need);
		sc.cells[i].share = shares ? (double)(1 + rnd_below(20)) / 4.0 : 0;
		if (i && caps && rnd_below(3) == 0)
			sc.cells[i].cap = 1 + rnd_below(rnd_below(2) ? 4 : T);
	}
	struct plan *p = run(&sc);
	/* Placement may leave cells unplaced (root minimum); the rest share the CPUs. */
	unsigned int placed = 0;
	for (unsigned int i = 0; i < n; i++)
		placed += cell(p, (int)i)->why == PLAN_PLACED;
	min0 = sc.in.cell0_min_cpus;
	if (min0 > T - (placed - 1))
		min0 = T - (placed - 1);
	for (unsigned int i = 0; i < n; i++) {
		if (cell(p, (int)i)->why != PLAN_PLACED)
			continue;
		w[i] = sc.cells[i].share > 0 ? sc.cells[i].share : 1;
		lo[i] = i == 0 ? (double)min0 : 1;
		cap[i] = sc.cells[i].cap ? (double)sc.cells[i].cap : INFINITY;
		hi[i] = fmin(sc.cells[i].need > lo[i] ? sc.cells[i].need : lo[i], cap[i]);
		wsum += w[i];
		hsum += hi[i];
	}
	contention = !all_zero && hsum >= T;
	for (unsigned int i = 0; i < n; i++) {
		if (cell(p, (int)i)->why != PLAN_PLACED)
			continue;
		if (lo[i] > T * w[i] / wsum)
			floors_fit = false;
		if (!contention) {
			lo[i] = hi[i];
			hi[i] = cap[i];
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct plan_cell_out *o = cell(p, (int)i);
		double fair, need = fmin(sc.cells[i].need, cap[i]);

		if (o->why != PLAN_PLACED)
			continue;
		sum += o->target;
		fair = T * w[i] / wsum;
		if (o->target > cap[i] || o->nr_primary > cap[i])
			fail_msg("case %u: cell %u target %u / %u CPUs above its cap %g", iter, i,
				 o->target, o->nr_primary, cap[i]);
		if (o->target < (i == 0 ? min0 : 1))
			fail_msg("case %u: cell %u target %u below its floor", iter, i, o->target);
		if (floors_fit && need >= fair) {
			checked++;
			if (o->target < (unsigned int)floor(fair + 1e-9)) {
				dump_plan(p);
				fail_msg(
					"case %u (T=%u n=%u): cell %u needs %g >= its share %g but "
					"got %u",
					iter, T, n, i, need, fair, o->target);
			}
		}
		if (floors_fit && need < fair) {
			double want = need > 1 ? need : 1;

			if (o->target < (unsigned int)floor(want + 1e-9) ||
			    (contention && o->target > (unsigned int)ceil(want - 1e-9) &&
			     !(i == 0 && o->target <= min0)))
				fail_msg("case %u (T=%u n=%u): cell %u needs %g < share %g but got "
					 "%u (%s)",
					 iter, T, n, i, need, fair, o->target,
					 contention ? "contention" : "surplus");
		}
	}
	if (sum != T)
		fail_msg("case %u: targets sum to %u, not %u CPUs", iter, sum, T);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int ti = cell(p, (int)i)->target;

		if (cell(p, (int)i)->why != PLAN_PLACED || !(ti + 1e-9 <= hi[i] - 1))
			continue;
		for (unsigned int j = 0; j < n; j++) {
			unsigned int tj = cell(p, (int)j)->target;

			if (j == i || cell(p, (int)j)->why != PLAN_PLACED ||
			    !(tj >= lo[i == j ? i : j] + 1 - 1e-9))
				continue;
			if (!((ti + 1) / w[i] > (tj - 1) / w[j] - 1e-9)) {
				dump_plan(p);
				fail_msg("case %u (T=%u n=%u): cell %u (%u CPUs, need %g, share "
					 "%g) is below cell %u (%u CPUs, need %g, share %g)",
					 iter, T, n, i, ti, sc.cells[i].need, w[i], j, tj,
					 sc.cells[j].need, w[j]);
			}
		}
	}
	plan_free(p);
	scen_free(&sc);
	return checked;
}

static void test_property_maxmin(void **state)
{
	const char *s = getenv("PLAN_SEED"), *n = getenv("PLAN_CASES");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed5ca1ab1eull;
	unsigned int cases = n ? (unsigned int)strtoul(n, NULL, 0) : 10000, checked = 0;
	(void)state;

	for (unsigned int i = 0; i < cases; i++) {
		rng_state = (seed + 0x1234567ull) ^ (0x9e3779b97f4a7c15ull * (i + 1));
		if (!rng_state)
			rng_state = 1;
		checked += one_maxmin_case(i);
	}
	print_message("max-min: %u cases, %u cells whose need reached their share checked\n", cases,
		      checked);
	/* The headline property must actually have been exercised. */
	assert_true(checked >= cases / 4);
}

static void test_property_random(void **state)
{
	const char *s = getenv("PLAN_SEED"), *n = getenv("PLAN_CASES");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed5ca1ab1eull;
	unsigned int cases = n ? (unsigned int)strtoul(n, NULL, 0) : 10000;
	(void)state;

	print_message("property: %u cases, seed 0x%llx (PLAN_SEED=0x%llx to reproduce)\n", cases,
		      (unsigned long long)seed, (unsigned long long)seed);
	const char *only = getenv("PLAN_ONLY");
	unsigned int not_fixed = 0;

	for (unsigned int i = only ? (unsigned int)atoi(only) : 0; i < cases; i++) {
		/* Each case has its own seed so a failing one can be rerun alone. */
		rng_state = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
		if (!rng_state)
			rng_state = 1;
		one_random_case(i, &not_fixed);
	}
	print_message("property: %u of %u cases with cpusets were not exact fixed points\n",
		      not_fixed, cases);
	/* They must stay rare: a systematic instability would show up as many. */
	assert_true(not_fixed * 100 <= cases);
}

/* The words --dry-run, the logs and the VM cases use for the plan's enums. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(plan_unplaced_name(PLAN_PLACED), "placed");
	assert_string_equal(plan_unplaced_name(PLAN_UNPLACED_NO_ONLINE_CPU),
			    "cpuset has no online CPU");
	assert_string_equal(plan_unplaced_name(PLAN_UNPLACED_OVER_MAX), "more cells than slots");
	assert_string_equal(plan_unplaced_name(PLAN_UNPLACED_NO_CPU_LEFT), "no CPU left");
	assert_string_equal(plan_unplaced_name((enum plan_unplaced_reason)99), "?");
	assert_string_equal(plan_basis_name(PLAN_BY_SHARE), "share");
	assert_string_equal(plan_basis_name(PLAN_BY_FLOOR), "floor");
	assert_string_equal(plan_basis_name(PLAN_BY_NEED), "need");
	assert_string_equal(plan_basis_name(PLAN_BY_CAP), "cap");
	assert_string_equal(plan_basis_name(PLAN_BY_LEFTOVER), "leftover");
	assert_string_equal(plan_basis_name((enum plan_basis)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_split),
		cmocka_unit_test(test_remainders),
		cmocka_unit_test(test_too_many_cells),
		cmocka_unit_test(test_max_cells_and_empty_cpusets),
		cmocka_unit_test(test_cpuset_exclusive),
		cmocka_unit_test(test_cpuset_partial_overlap),
		cmocka_unit_test(test_cpuset_three_way_overlap),
		cmocka_unit_test(test_cpuset_complete_overlap_odd),
		cmocka_unit_test(test_cpusets_cover_everything),
		cmocka_unit_test(test_pinned_and_unpinned),
		cmocka_unit_test(test_borrowable),
		cmocka_unit_test(test_maxmin),
		cmocka_unit_test(test_maxmin_shares),
		cmocka_unit_test(test_skewed_and_zero_weights),
		cmocka_unit_test(test_root_minimum),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_weights_extremes),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_mins),
		cmocka_unit_test(test_caps_unmeetable),
		cmocka_unit_test(test_caps_determinism),
		cmocka_unit_test(test_validate_catches),
		cmocka_unit_test(test_stability),
		cmocka_unit_test(test_stability_weights),
		cmocka_unit_test(test_topology_packing),
		cmocka_unit_test(test_determinism_and_order),
		cmocka_unit_test(test_property_random),
		cmocka_unit_test(test_property_maxmin),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
