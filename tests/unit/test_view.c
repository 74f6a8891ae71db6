// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for view: the stats table, the CPU map and the JSON line, rendered from a real plan
 * (4 CPUs, root + 2 cells) and a hand-set running map; and golden files (tests/unit/golden/view_*)
 * that pin every byte of both forms for fixed inputs, recorded from the renderer as it was before
 * it moved onto the streaming writer (golden.h: VIEW_GOLDEN_UPDATE=1 rewrites them).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpumask.h"
#include "golden.h"
#include "view.h"

struct fixture {
	struct topology *topo;
	struct plan *plan;
	int running[4];
	char *out;
	size_t len;
};

static const char *label(const void *ctx, int id)
{
	static const char *const names[] = {"(root)", "web", "ba\"tch"};

	(void)ctx;
	return id >= 0 && id < 3 ? names[id] : "?";
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct plan_cell cells[] = {{.id = 0}, {.id = 1}, {.id = 2}};
	struct plan_input in = {.cell0_min_cpus = 1, .cells = cells, .nr_cells = 3};
	char err[256];

	assert_non_null(fx);
	assert_int_equal(topology_synth(&fx->topo, 4, 4, 1, NULL), 0);
	in.topo = fx->topo;
	assert_int_equal(plan_compute(&in, &fx->plan, err, sizeof(err)), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	plan_free(fx->plan);
	topology_free(fx->topo);
	free(fx->out);
	free(fx);
	return 0;
}

static const char *render(struct fixture *fx, const struct view *v, bool json)
{
	FILE *f;

	free(fx->out);
	fx->out = NULL;
	f = open_memstream(&fx->out, &fx->len);
	assert_non_null(f);
	view_render(f, v, json);
	fclose(f);
	return fx->out;
}

static struct view base_view(struct fixture *fx)
{
	return (struct view){
		.elapsed_s = 12.5,
		.nr_plans = 3,
		.nr_rebalances = 1,
		.nr_rejected = 0,
		.nr_waiting = 2,
		.placement = {.idle = 10, .cell = 70, .pinned = 5, .borrowed = 15},
		.counters = {.reenq = 7,
			     .reenq_affn = 2,
			     .owner_busy = 9,
			     .owner_busy_lent = 4,
			     .reclaims = 3,
			     .reclaim_ticks = 1,
			     .reclaim_runs = 2,
			     .reclaim_wait_ns = 9000,
			     .reclaim_remote = 1,
			     .reclaim_overtaken = 0,
			     .wakeups = 10,
			     .wake_wait_ns = 25000,
			     .wake_wait_hist = {[0] = 6, [2] = 3, [15] = 1},
			     .slice_shrinks = 5,
			     .affn_spread = 6,
			     .borrow_pulls = 8},
		.plan = fx->plan,
		.running = fx->running,
		.label = label,
	};
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                      \
	} while (0)

/* A CPU of the plan owned by a cell other than @cell (-1 if none). */
static int other_cpu(const struct plan *p, int cell)
{
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++)
		if (p->owner[cpu] != cell)
			return (int)cpu;
	return -1;
}

static void test_text(void **state)
{
	struct fixture *fx = *state;
	struct view v = base_view(fx);
	int lend = other_cpu(fx->plan, 1);
	const char *out;

	for (int cpu = 0; cpu < 4; cpu++)
		fx->running[cpu] = fx->plan->owner[cpu];
	fx->running[lend] = 1; /* cell 1 borrows a CPU of another cell */
	fx->running[(lend + 1) % 4] = -1;
	out = render(fx, &v, false);
	assert_contains(out, "[    12.5s] plans 3, rebalances 1, rejected 0");
	assert_contains(out, "idle 10% cell-queue 70% pinned 5% borrowed 15%");
	assert_contains(
		out,
		"re-examined after publications 7 (moved for affinity 2) | wake-ups 10, "
		"wait mean 2.5 us; cell busy 9 (lent 4), reclaims 3 (1 on a tick, 2 ran "
		"the cell's task after 4.5 us mean; 1 remote, 0 overtaken) | slice shrinks 5, affinity spreads 6, borrow pulls 8\n");
	assert_contains(out, "  cpu     0   1   2   3\n");
	assert_contains(out, "  1*");
	assert_contains(out, "   .");
	assert_contains(out, "web");
	/* one row per cell, after the header */
	assert_int_equal(strstr(out, "\n  2    ba\"tch") != NULL, 1);
}

static void test_json(void **state)
{
	struct fixture *fx = *state;
	struct view v = base_view(fx);
	const char *out;
	int depth = 0;

	for (int cpu = 0; cpu < 4; cpu++)
		fx->running[cpu] = -1;
	out = render(fx, &v, true);
	assert_contains(out,
			"{\"t\":12.500,\"plans\":3,\"rebalances\":1,\"rejected\":0,\"waiting\":2,");
	assert_contains(out,
			"\"queue\":{\"idle\":10.0,\"cell\":70.0,\"pinned\":5.0,\"borrowed\":15.0}");
	assert_contains(
		out,
		"\"counters\":{\"reenq\":7,\"reenq_affn\":2,\"owner_busy\":9,"
		"\"owner_busy_lent\":4,\"reclaims\":3,\"reclaim_ticks\":1,\"reclaim_runs\":2,"
		"\"reclaim_wait_mean_us\":4.5,\"reclaim_remote\":1,\"reclaim_overtaken\":0,"
		"\"wakeups\":10,\"wake_wait_mean_us\":2.5,"
		"\"wake_wait_hist\":[6,0,3,0,0,0,0,0,0,0,0,0,0,0,0,1],\"slice_shrinks\":5,\"affn_spread\":6,"
		"\"borrow_pulls\":8},");
	assert_contains(out, "\"cpu_map\":[{\"cpu\":0,");
	assert_contains(out, "\"running\":-1");
	assert_contains(out, "\"cgroup\":\"ba\\\"tch\"");
	assert_contains(out, "\"util_pct\":0.0");
	/* one line, balanced braces and brackets outside strings */
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
	for (const char *c = out; *c; c++) {
		if (*c == '\\') {
			c++;
			continue;
		}
		if (*c == '{' || *c == '[')
			depth++;
		else if (*c == '}' || *c == ']')
			depth--;
		if (depth < 0)
			fail_msg("unbalanced at offset %ld in:\n%s", (long)(c - out), out);
	}
	assert_int_equal(depth, 0);
}

static void test_no_plan_no_map(void **state)
{
	struct fixture *fx = *state;
	struct view v = base_view(fx);
	const char *out;

	v.plan = NULL;
	out = render(fx, &v, false);
	assert_null(strstr(out, "owner"));
	assert_contains(out, "cell cgroup");
	out = render(fx, &v, true);
	assert_null(strstr(out, "cpu_map"));
	assert_contains(out, "\"cells\":[]}\n");
}

/* ---- golden files -------------------------------------------------------------------------- */

/* Both forms of @v against NAME.txt and NAME.json. */
static void golden_both(struct fixture *fx, const struct view *v, const char *name)
{
	char file[128];

	snprintf(file, sizeof(file), "%s.txt", name);
	golden(file, render(fx, v, false));
	snprintf(file, sizeof(file), "%s.json", name);
	golden(file, render(fx, v, true));
}

static void test_golden_small(void **state)
{
	struct fixture *fx = *state;
	struct view v = base_view(fx);
	int lend = other_cpu(fx->plan, 1);

	for (int cpu = 0; cpu < 4; cpu++)
		fx->running[cpu] = fx->plan->owner[cpu];
	fx->running[lend] = 1;
	fx->running[(lend + 1) % 4] = -1;
	golden_both(fx, &v, "view_small");
	fx->plan->owner[3] = -1; /* an offline CPU: owner "-" */
	fx->running[3] = -1;
	golden_both(fx, &v, "view_offline");
	v.running = NULL; /* no CPU map without the running map */
	v.label = NULL;	  /* names shown as "?" */
	v.counters.wakeups = 0;
	golden_both(fx, &v, "view_nomap");
	v.plan = NULL;
	golden_both(fx, &v, "view_noplan");
}

static const char *big_label(const void *ctx, int id)
{
	static const char *const names[] = {"(root)", "a-cell-name-longer-than-twenty-columns",
					    "ctl\\x\n\001\037y", "caf\xc3\xa9"};

	(void)ctx;
	return id >= 0 && id < 4 ? names[id] : "?";
}

/*
 * 200 CPUs (no CPU map above 64): cell 1 owns every even CPU (a cpulist longer than both the
 * table column and the 256-byte buffer, cut with "..."), cell 2 the odd ones below 100, the root
 * the rest; cell 3 is unplaced. Demand metrics set by hand.
 */
static void test_golden_big(void **state)
{
	struct fixture *fx = *state;
	enum { NR = 200 };
	struct plan_cell_out cells[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};
	struct plan p = {.nr_cpus = NR, .nr_cells = 4, .cells = cells};
	int owner[NR], running[NR];
	struct demand_cfg cfg;
	struct demand *d;
	struct demand_cell *dc;
	struct view v = base_view(fx);
	char err[256];

	for (int i = 0; i < 4; i++) {
		cells[i].primary = cpumask_alloc(NR);
		cells[i].borrowable = cpumask_alloc(NR);
		assert_non_null(cells[i].primary);
	}
	for (unsigned int cpu = 0; cpu < NR; cpu++) {
		int c = cpu % 2 == 0 ? 1 : cpu < 100 ? 2 : 0;

		owner[cpu] = c;
		running[cpu] = cpu % 7 ? c : -1;
		cpumask_set(cells[c].primary, cpu);
		cells[c].nr_primary++;
	}
	cells[3].why = PLAN_UNPLACED_OVER_MAX;
	p.owner = owner;
	demand_cfg_default(&cfg);
	d = demand_new(NR, 4, &cfg, err, sizeof(err));
	assert_non_null(d);
	for (unsigned int c = 1; c < 3; c++)
		assert_int_equal(demand_cell_add(d, c), 0);
	for (unsigned int c = 0; c < 3; c++) {
		dc = (struct demand_cell *)demand_cell(d, c); /* metrics by hand, for the test */
		dc->util_pct = 12.25 * (c + 1);
		dc->smoothed_util_pct = 99.95;
		dc->demand_borrow_pct = 1234.5;
		dc->lent_pct = c ? 0.04 : 100;
		dc->cpus_used = 3.14159 * c;
		dc->cpus_waiting = 0.005;
		dc->smoothed_cpus = 1e6 + c;
	}
	v.plan = &p;
	v.running = running;
	v.demand = d;
	v.label = big_label;
	v.elapsed_s = 123456.789;
	v.nr_plans = UINT64_MAX;
	v.nr_waiting = 4000000000u;
	v.placement = (struct view_placement){
		.idle = 0.05, .cell = 99.949, .pinned = 0, .borrowed = -0.0};
	for (int b = 0; b < VIEW_WAIT_BUCKETS; b++)
		v.counters.wake_wait_hist[b] = (uint64_t)b << 40;
	v.counters.wake_wait_ns = 7;
	v.counters.wakeups = 3;
	golden_both(fx, &v, "view_big");
	demand_free(d);
	for (int i = 0; i < 4; i++) {
		cpumask_free(cells[i].primary);
		cpumask_free(cells[i].borrowable);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_plan_no_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_golden_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_golden_big, setup, teardown),
	};

	return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
