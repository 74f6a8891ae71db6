// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for manager_decide(): a plan is published only when what the BPF side reads
 * changes (#13 item 10c). A fake sysfs (4 CPUs) and a fake cgroup parent under a mkdtemp() dir.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "manager.h"

#define NCPUS	  4
#define MAX_CELLS 8

struct fx {
	char dir[64];
	char sys[128], cg[128];
	struct manager *m;
	struct sched_cell cells[MAX_CELLS];
	int owner[NCPUS];
};

static void put(const char *dir, const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(fx_write_str(path, text), 0);
}

/* 4 CPUs, 2 SMT threads per core, one LLC. */
static void mk_sysfs(const char *sys)
{
	assert_int_equal(fx_sysfs(sys, NCPUS, NCPUS, NULL), 0);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_manager.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->sys, sizeof(fx->sys), "%s/sys", fx->dir);
	snprintf(fx->cg, sizeof(fx->cg), "%s/cg", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	manager_free(fx->m);
	if (fx_rm_rf(fx->dir))
		return -1;
	free(fx);
	return 0;
}

static void open_manager(struct fx *fx)
{
	struct manager_cfg cfg = {
		.parent = fx->cg,
		.max_cells = MAX_CELLS,
		.cell0_min_cpus = 1,
		.sysfs_root = fx->sys,
	};
	struct cells_diff diff = {0};
	char err[512] = "";
	int ret = manager_new(&cfg, &fx->m, &diff, err, sizeof(err));

	if (ret)
		print_error("manager_new: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	cells_diff_free(&diff);
}

/* Decide (as the daemon does, equal weights), commit what is to publish; returns the decision. */
static struct manager_decision decide(struct fx *fx, bool force)
{
	struct manager_decision dec;
	char err[512] = "";
	int ret = manager_decide(fx->m, NULL, force, fx->cells, fx->owner, &dec, err, sizeof(err));

	if (ret)
		print_error("manager_decide: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	print_message("decide(force=%d): publish %d, %u slots, %u moved; owners %d %d %d %d\n",
		      force, dec.publish, dec.nr_slots, dec.moved, fx->owner[0], fx->owner[1],
		      fx->owner[2], fx->owner[3]);
	if (dec.publish)
		manager_commit(fx->m, &dec, fx->cells);
	return dec;
}

/* Write cell @name's cpu.weight and let the registry read it, as the daemon's poll does. */
static void set_weight(struct fx *fx, const char *name, const char *weight)
{
	struct cells_diff diff = {0};
	char rel[64], err[512] = "";

	snprintf(rel, sizeof(rel), "%s/cpu.weight", name);
	put(fx->cg, rel, weight);
	assert_int_equal(cells_reread_limits(manager_cells(fx->m), &diff, err, sizeof(err)), 0);
	assert_int_equal(diff.nr_limits_changed, 1);
	cells_diff_free(&diff);
}

static const struct plan_cell_out *cell_of(struct fx *fx, int id)
{
	const struct plan_cell_out *pc = plan_find(manager_current(fx->m), id);

	assert_non_null(pc);
	return pc;
}

/*
 * Cell a is held on CPU 1 by its cpuset. Its cpu.weight 100 -> 1000 changes the targets (the
 * root cell's share shrinks; "cpuset" becomes a's reason) but no CPU, no slot, no borrowable
 * mask: nothing to publish, the plan in force takes the new targets. b's cpu.weight 10000 moves
 * CPUs: published.
 */
static void test_weight_without_move_not_published(void **state)
{
	struct fx *fx = *state;
	struct manager_decision dec;
	unsigned int root_target;
	int before[NCPUS];

	mk_sysfs(fx->sys);
	put(fx->cg, "a/cpuset.cpus", "1\n");
	put(fx->cg, "a/cpu.weight", "100\n");
	put(fx->cg, "b/cpu.weight", "100\n");
	open_manager(fx);

	dec = decide(fx, true);
	assert_true(dec.publish);
	memcpy(before, fx->owner, sizeof(before));
	root_target = cell_of(fx, 0)->target;
	assert_false(decide(fx, false).publish);

	set_weight(fx, "a", "1000\n");
	dec = decide(fx, false);
	assert_memory_equal(fx->owner, before, sizeof(before));
	if (dec.publish)
		fail_msg("a weight-only change that moves no CPU is published (%u CPUs moved)",
			 dec.moved);
	/* the plan in force follows the new weights all the same */
	print_message("root target %u -> %u\n", root_target, cell_of(fx, 0)->target);
	assert_int_not_equal(cell_of(fx, 0)->target, root_target);
	assert_false(decide(fx, false).publish);

	set_weight(fx, "b", "10000\n");
	dec = decide(fx, false);
	assert_true(dec.publish);
	assert_true(dec.moved > 0);
	assert_int_equal(cell_of(fx, 2)->nr_primary, 2);
	assert_false(decide(fx, false).publish);
}

/* A forced decision (a freshly loaded BPF side) always publishes, even with nothing changed. */
static void test_force_publishes(void **state)
{
	struct fx *fx = *state;

	mk_sysfs(fx->sys);
	put(fx->cg, "a/cpu.weight", "100\n");
	open_manager(fx);
	assert_true(decide(fx, true).publish);
	assert_false(decide(fx, false).publish);
	assert_true(decide(fx, true).publish);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_weight_without_move_not_published, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_force_publishes, setup, teardown),
	};

	return cmocka_run_group_tests_name("manager", tests, NULL, NULL);
}
