// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the cell registry on temporary directory trees with real inotify: identity by
 * name + inode, id reuse, exclusions, capacity overflow, cpuset files, the parent vanishing,
 * inotify queue overflow, and children vanishing while a scan runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cellconfig.h"
#include "cells.h"
#include "fixture.h"

#define NR_CPUS 8

struct fx {
	char top[64];	 /* scratch directory */
	char parent[96]; /* the "parent cgroup" inside it */
	struct cells *r;
	struct cells_diff diff;
	char err[512];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->top, "/tmp/test_cells.XXXXXX");
	if (!mkdtemp(fx->top))
		return -1;
	snprintf(fx->parent, sizeof(fx->parent), "%s/workloads.slice", fx->top);
	if (mkdir(fx->parent, 0755))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	cells_diff_free(&fx->diff);
	cells_free(fx->r);
	if (fx_rm_rf(fx->top))
		return -1;
	free(fx);
	return 0;
}

static void pathf(char *buf, size_t len, struct fx *fx, const char *name)
{
	snprintf(buf, len, "%s/%s", fx->parent, name);
}

static void mk(struct fx *fx, const char *name)
{
	char p[256];

	pathf(p, sizeof(p), fx, name);
	if (mkdir(p, 0755))
		print_error("mkdir %s: %s\n", p, strerror(errno));
	assert_int_equal(mkdir(p, 0755) == 0 || errno == EEXIST, 1);
}

static void put(struct fx *fx, const char *rel, const char *text)
{
	char p[256];

	pathf(p, sizeof(p), fx, rel);
	assert_int_equal(fx_write_str(p, text), 0);
}

static void rm_child(struct fx *fx, const char *name)
{
	char p[256];

	pathf(p, sizeof(p), fx, name);
	assert_int_equal(fx_rm_rf(p), 0);
}

static void dump_diff(const struct cells_diff *d)
{
	for (unsigned int i = 0; i < d->nr_created; i++)
		print_message("  + cell %u %s (ino %llu)\n", d->created[i].id, d->created[i].name,
			      (unsigned long long)d->created[i].ino);
	for (unsigned int i = 0; i < d->nr_destroyed; i++)
		print_message("  - cell %u %s (ino %llu)\n", d->destroyed[i].id,
			      d->destroyed[i].name, (unsigned long long)d->destroyed[i].ino);
	for (unsigned int i = 0; i < d->nr_cpuset_changed; i++)
		print_message("  ~ cell %u %s cpuset\n", d->cpuset_changed[i].id,
			      d->cpuset_changed[i].name);
	for (unsigned int i = 0; i < d->nr_warnings; i++)
		print_message("  ! %s\n", d->warnings[i]);
}

static void open_registry(struct fx *fx, unsigned int max_cells, const char *const *excl,
			  unsigned int nr_excl)
{
	struct cells_cfg cfg = {
		.parent = fx->parent,
		.exclude = excl,
		.nr_exclude = nr_excl,
		.max_cells = max_cells,
		.nr_cpus = NR_CPUS,
	};
	int ret = cells_new(&cfg, &fx->r, &fx->diff, fx->err, sizeof(fx->err));

	if (ret)
		print_error("cells_new: %d %s\n", ret, fx->err);
	assert_int_equal(ret, 0);
	dump_diff(&fx->diff);
}

static void rescan(struct fx *fx)
{
	int ret = cells_rescan(fx->r, &fx->diff, fx->err, sizeof(fx->err));

	if (ret)
		print_error("cells_rescan: %d %s\n", ret, fx->err);
	assert_int_equal(ret, 0);
	dump_diff(&fx->diff);
}

/* Wait (poll, 2 s max) until the inotify fd says a rescan is needed, then rescan. */
static void wait_and_rescan(struct fx *fx)
{
	struct pollfd p = {.fd = cells_watch_fd(fx->r), .events = POLLIN};
	bool need = false;

	for (int i = 0; i < 20 && !need; i++) {
		int n = poll(&p, 1, 100);

		assert_true(n >= 0);
		if (!n)
			continue;
		assert_int_equal(cells_handle_events(fx->r, &need, fx->err, sizeof(fx->err)), 0);
	}
	if (!need)
		print_error("no inotify event asked for a rescan within 2 s\n");
	assert_true(need);
	rescan(fx);
}

/* Events are queued synchronously by the syscalls that cause them: drain and report. */
static bool drain(struct fx *fx)
{
	bool need = true;

	assert_int_equal(cells_handle_events(fx->r, &need, fx->err, sizeof(fx->err)), 0);
	return need;
}

static unsigned int id_of(struct fx *fx, const char *name)
{
	for (unsigned int id = 1; id < cells_max(fx->r); id++) {
		const struct cell *c = cells_get(fx->r, id);

		if (c && !strcmp(c->name, name))
			return id;
	}
	print_error("no cell named %s\n", name);
	fail();
	return 0;
}

static bool has_cell(struct fx *fx, const char *name)
{
	for (unsigned int id = 1; id < cells_max(fx->r); id++) {
		const struct cell *c = cells_get(fx->r, id);

		if (c && !strcmp(c->name, name))
			return true;
	}
	return false;
}

static uint64_t ino_of(struct fx *fx, const char *name)
{
	char p[256];
	struct stat st;

	pathf(p, sizeof(p), fx, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

/*
 * rmdir + mkdir under the same name; returns the new inode. Holding the old directory open keeps
 * its inode allocated, so the new one surely gets another number (cgroup ids are never reused;
 * ext4 inode numbers may be at once).
 */
static uint64_t recreate(struct fx *fx, const char *name)
{
	uint64_t old = ino_of(fx, name), ino;
	char p[256];
	int hold;

	pathf(p, sizeof(p), fx, name);
	hold = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(hold >= 0);
	rm_child(fx, name);
	mk(fx, name);
	close(hold);
	ino = ino_of(fx, name);
	assert_true(ino != old);
	return ino;
}

static void test_bad_args(void **state)
{
	struct fx *fx = *state;
	struct cells_cfg cfg = {.parent = fx->parent, .max_cells = 4, .nr_cpus = NR_CPUS};
	char missing[128];
	int ret;

	snprintf(missing, sizeof(missing), "%s/missing", fx->top);
	cfg.parent = missing;
	ret = cells_new(&cfg, &fx->r, NULL, fx->err, sizeof(fx->err));
	print_message("missing parent: %s\n", fx->err);
	assert_int_equal(ret, -ENOENT);
	assert_null(fx->r);
	assert_non_null(strstr(fx->err, "does not exist"));

	put(fx, "file", "x");
	snprintf(missing, sizeof(missing), "%s/file", fx->parent);
	ret = cells_new(&cfg, &fx->r, NULL, fx->err, sizeof(fx->err));
	print_message("file as parent: %s\n", fx->err);
	assert_int_equal(ret, -ENOTDIR);

	cfg.parent = fx->parent;
	cfg.max_cells = 0;
	assert_int_equal(cells_new(&cfg, &fx->r, NULL, fx->err, sizeof(fx->err)), -EINVAL);
	assert_null(fx->r);
}

static void test_initial_scan(void **state)
{
	struct fx *fx = *state;
	static const char *const excl[] = {"init.scope"};
	const struct cell *root;

	mk(fx, "b");
	mk(fx, "a");
	mk(fx, "c");
	mk(fx, "init.scope");
	put(fx, "cgroup.procs", "");
	put(fx, "a/cgroup.procs", "");
	mk(fx, "a/nested"); /* grandchildren belong to their child's cell */
	open_registry(fx, 8, excl, 1);

	assert_int_equal(fx->diff.nr_created, 3);
	assert_int_equal(fx->diff.nr_destroyed, 0);
	assert_int_equal(cells_count(fx->r), 4);
	/* name order decides the first ids */
	assert_int_equal(id_of(fx, "a"), 1);
	assert_int_equal(id_of(fx, "b"), 2);
	assert_int_equal(id_of(fx, "c"), 3);
	assert_false(has_cell(fx, "init.scope"));
	assert_false(has_cell(fx, "cgroup.procs"));
	assert_false(has_cell(fx, "nested"));

	root = cells_get(fx->r, CELLS_ROOT_ID);
	assert_non_null(root);
	assert_string_equal(root->name, "");
	assert_string_equal(root->path, fx->parent);
	assert_null(root->cpuset);
	assert_null(cells_get(fx->r, 4));
	assert_null(cells_get(fx->r, 99));

	const struct cell *a = cells_get(fx->r, 1);
	char p[256];
	pathf(p, sizeof(p), fx, "a");
	assert_string_equal(a->path, p);
	assert_int_equal(a->ino, ino_of(fx, "a"));
	assert_ptr_equal(cells_find_ino(fx->r, a->ino), a);
	assert_null(cells_find_ino(fx->r, 1));

	/* a rescan without changes keeps every id and reports nothing */
	rescan(fx);
	assert_false(cells_diff_changed(&fx->diff));
	assert_int_equal(id_of(fx, "a"), 1);
	assert_int_equal(id_of(fx, "c"), 3);
}

static void test_create_delete_reuse(void **state)
{
	struct fx *fx = *state;

	open_registry(fx, 8, NULL, 0);
	assert_int_equal(cells_count(fx->r), 1);
	assert_false(drain(fx));

	mk(fx, "a");
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_created, 1);
	assert_int_equal(fx->diff.created[0].id, 1);
	assert_string_equal(fx->diff.created[0].name, "a");
	mk(fx, "b");
	mk(fx, "c");
	wait_and_rescan(fx);
	assert_int_equal(id_of(fx, "b"), 2);
	assert_int_equal(id_of(fx, "c"), 3);

	rm_child(fx, "a");
	rm_child(fx, "b");
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_destroyed, 2);
	assert_int_equal(fx->diff.destroyed[0].id, 1);
	assert_string_equal(fx->diff.destroyed[0].name, "a");
	assert_int_equal(fx->diff.destroyed[1].id, 2);
	assert_null(cells_get(fx->r, 1));
	assert_int_equal(id_of(fx, "c"), 3);

	/* lowest free ids first: 1, then 2, then 4 */
	mk(fx, "z");
	wait_and_rescan(fx);
	assert_int_equal(id_of(fx, "z"), 1);
	mk(fx, "y");
	mk(fx, "x");
	wait_and_rescan(fx);
	assert_int_equal(id_of(fx, "x"), 2);
	assert_int_equal(id_of(fx, "y"), 4);
	assert_int_equal(id_of(fx, "c"), 3);
	assert_int_equal(id_of(fx, "z"), 1);
}

static void test_recreate_is_new_identity(void **state)
{
	struct fx *fx = *state;
	uint64_t old_ino, new_ino;

	mk(fx, "a");
	open_registry(fx, 8, NULL, 0);
	old_ino = cells_get(fx->r, 1)->ino;

	/* delete and recreate under the same name before the daemon looks */
	new_ino = recreate(fx, "a");
	assert_true(new_ino != old_ino);

	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_destroyed, 1);
	assert_int_equal(fx->diff.nr_created, 1);
	assert_int_equal(fx->diff.destroyed[0].ino, old_ino);
	assert_int_equal(fx->diff.created[0].ino, new_ino);
	assert_string_equal(fx->diff.created[0].name, "a");
	assert_int_equal(cells_get(fx->r, id_of(fx, "a"))->ino, new_ino);
}

static void test_rename(void **state)
{
	struct fx *fx = *state;
	char from[256], to[256];
	uint64_t ino;

	mk(fx, "a");
	mk(fx, "b");
	open_registry(fx, 8, NULL, 0);
	ino = ino_of(fx, "a");

	/* rename inside the parent: same inode, new name -> a new cell */
	pathf(from, sizeof(from), fx, "a");
	pathf(to, sizeof(to), fx, "renamed");
	assert_int_equal(rename(from, to), 0);
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_destroyed, 1);
	assert_string_equal(fx->diff.destroyed[0].name, "a");
	assert_int_equal(fx->diff.nr_created, 1);
	assert_string_equal(fx->diff.created[0].name, "renamed");
	assert_int_equal(fx->diff.created[0].ino, ino);
	assert_false(has_cell(fx, "a"));

	/* moved out of the parent: destroyed */
	pathf(from, sizeof(from), fx, "b");
	snprintf(to, sizeof(to), "%s/elsewhere", fx->top);
	assert_int_equal(rename(from, to), 0);
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_destroyed, 1);
	assert_string_equal(fx->diff.destroyed[0].name, "b");
	/* and moved back in: created */
	assert_int_equal(rename(to, from), 0);
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_created, 1);
	assert_string_equal(fx->diff.created[0].name, "b");
}

static void test_exclusions_and_files_ignored(void **state)
{
	struct fx *fx = *state;
	static const char *const excl[] = {"system.slice", "init.scope"};

	open_registry(fx, 8, excl, 2);
	/* excluded directories and plain files: events arrive but need no rescan */
	mk(fx, "system.slice");
	put(fx, "some.file", "1");
	mk(fx, "init.scope");
	assert_false(drain(fx));
	rescan(fx);
	assert_int_equal(cells_count(fx->r), 1);
	mk(fx, "web");
	assert_true(drain(fx));
	rescan(fx);
	assert_int_equal(id_of(fx, "web"), 1);
	assert_int_equal(cells_count(fx->r), 2);
}

static void test_capacity(void **state)
{
	struct fx *fx = *state;

	mk(fx, "d");
	mk(fx, "c");
	mk(fx, "b");
	mk(fx, "a");
	open_registry(fx, 3, NULL, 0); /* root + 2 workload slots */
	assert_int_equal(id_of(fx, "a"), 1);
	assert_int_equal(id_of(fx, "b"), 2);
	assert_int_equal(fx->diff.nr_waiting, 2);
	assert_int_equal(cells_nr_waiting(fx->r), 2);
	assert_string_equal(cells_waiting_name(fx->r, 0), "c");
	assert_string_equal(cells_waiting_name(fx->r, 1), "d");
	assert_null(cells_waiting_name(fx->r, 2));
	assert_int_equal(fx->diff.nr_warnings, 1);
	assert_non_null(strstr(fx->diff.warnings[0], "c, d"));
	assert_non_null(strstr(fx->diff.warnings[0], "root cell"));

	/* a slot frees: the first waiting child by name takes it */
	rm_child(fx, "a");
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_destroyed, 1);
	assert_int_equal(fx->diff.nr_created, 1);
	assert_string_equal(fx->diff.created[0].name, "c");
	assert_int_equal(fx->diff.created[0].id, 1);
	assert_int_equal(cells_nr_waiting(fx->r), 1);
	assert_string_equal(cells_waiting_name(fx->r, 0), "d");

	/* a new child sorting before the waiting one does not jump ahead of existing cells */
	mk(fx, "0first");
	rm_child(fx, "b");
	wait_and_rescan(fx);
	assert_int_equal(id_of(fx, "0first"), 2);
	assert_int_equal(id_of(fx, "c"), 1);
	assert_int_equal(cells_nr_waiting(fx->r), 1);
	assert_string_equal(cells_waiting_name(fx->r, 0), "d");

	rm_child(fx, "c");
	wait_and_rescan(fx);
	assert_int_equal(id_of(fx, "d"), 1);
	assert_int_equal(fx->diff.nr_waiting, 0);
	assert_int_equal(fx->diff.nr_warnings, 0);
}

static void test_capacity_root_only(void **state)
{
	struct fx *fx = *state;

	mk(fx, "a");
	open_registry(fx, 1, NULL, 0);
	assert_int_equal(cells_count(fx->r), 1);
	assert_int_equal(cells_nr_waiting(fx->r), 1);
	assert_int_equal(fx->diff.nr_created, 0);
}

static void assert_cpuset(struct fx *fx, const char *name, const char *want)
{
	const struct cell *c = cells_get(fx->r, id_of(fx, name));
	char buf[128] = "(none)";

	if (c->cpuset)
		cpumask_format(c->cpuset, buf, sizeof(buf));
	if (strcmp(buf, want))
		print_error("cell %s: cpuset %s, want %s\n", name, buf, want);
	assert_string_equal(buf, want);
}

static bool warned_about(struct fx *fx, const char *what)
{
	for (unsigned int i = 0; i < fx->diff.nr_warnings; i++)
		if (strstr(fx->diff.warnings[i], what))
			return true;
	return false;
}

static void test_cpusets(void **state)
{
	struct fx *fx = *state;

	mk(fx, "none"); /* cpuset controller not enabled: no files */
	mk(fx, "mirror");
	put(fx, "mirror/cpuset.cpus", "\n");		  /* not configured */
	put(fx, "mirror/cpuset.cpus.effective", "0-7\n"); /* mirrors the parent: no pin */
	mk(fx, "cpus_only");
	put(fx, "cpus_only/cpuset.cpus", "2-3\n");
	mk(fx, "eff");
	put(fx, "eff/cpuset.cpus", "0-5\n");
	put(fx, "eff/cpuset.cpus.effective", "2-3\n"); /* the kernel grants less */
	mk(fx, "eff_empty");
	put(fx, "eff_empty/cpuset.cpus", "4-5\n");
	put(fx, "eff_empty/cpuset.cpus.effective", "");
	mk(fx, "garbage");
	put(fx, "garbage/cpuset.cpus", "zz\n");
	mk(fx, "garbage_eff");
	put(fx, "garbage_eff/cpuset.cpus", "1\n");
	put(fx, "garbage_eff/cpuset.cpus.effective", "3-1\n");
	mk(fx, "too_big");
	put(fx, "too_big/cpuset.cpus", "0-200\n");
	open_registry(fx, 16, NULL, 0);

	assert_cpuset(fx, "none", "(none)");
	assert_cpuset(fx, "mirror", "(none)");
	assert_cpuset(fx, "cpus_only", "2-3");
	assert_cpuset(fx, "eff", "2-3");
	assert_cpuset(fx, "eff_empty", "4-5");
	assert_cpuset(fx, "garbage", "(none)");
	assert_cpuset(fx, "garbage_eff", "(none)");
	assert_cpuset(fx, "too_big", "(none)");
	assert_int_equal(fx->diff.nr_warnings, 3);
	assert_true(warned_about(fx, "cell garbage: cannot parse"));
	assert_true(warned_about(fx, "garbage_eff/cpuset.cpus.effective"));
	assert_true(warned_about(fx, "too_big"));

	/* cpuset writes are invisible to inotify: the daemon asks for a reread */
	put(fx, "cpus_only/cpuset.cpus", "1\n");
	put(fx, "mirror/cpuset.cpus", "6-7\n");
	put(fx, "garbage/cpuset.cpus", "0\n");
	put(fx, "eff/cpuset.cpus.effective", "2-3\n"); /* rewritten, same value */
	assert_false(drain(fx));
	int ret = cells_reread_cpusets(fx->r, &fx->diff, fx->err, sizeof(fx->err));
	dump_diff(&fx->diff);
	assert_int_equal(ret, 0);
	assert_int_equal(fx->diff.nr_created + fx->diff.nr_destroyed, 0);
	assert_int_equal(fx->diff.nr_cpuset_changed, 3);
	assert_string_equal(fx->diff.cpuset_changed[0].name, "cpus_only");
	assert_cpuset(fx, "cpus_only", "1");
	/* mirror: cpus 6-7 but the effective file still says 0-7 (its parent's) */
	assert_cpuset(fx, "mirror", "0-7");
	assert_cpuset(fx, "garbage", "0");
	assert_cpuset(fx, "eff", "2-3");

	/* a rescan sees cpuset changes too, and a removed cpuset is a change */
	recreate(fx, "cpus_only");
	rescan(fx);
	assert_int_equal(fx->diff.nr_created, 1);
	assert_int_equal(fx->diff.nr_cpuset_changed, 0); /* new identity, not a change */
	assert_cpuset(fx, "cpus_only", "(none)");
	put(fx, "eff/cpuset.cpus", "");
	rescan(fx);
	assert_int_equal(fx->diff.nr_cpuset_changed, 1);
	assert_string_equal(fx->diff.cpuset_changed[0].name, "eff");
	assert_cpuset(fx, "eff", "(none)");
}

static unsigned int weight_of(struct fx *fx, const char *name)
{
	return cells_get(fx->r, id_of(fx, name))->weight;
}

static unsigned int cap_of(struct fx *fx, const char *name)
{
	return cells_get(fx->r, id_of(fx, name))->cap;
}

static unsigned int count_warnings(struct fx *fx, const char *needle)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < fx->diff.nr_warnings; i++)
		n += strstr(fx->diff.warnings[i], needle) != NULL;
	return n;
}

/* cpu.weight and cpu.max: defaults without the files, strict parsing, changes re-read. */
static void test_weights_and_caps(void **state)
{
	struct fx *fx = *state;

	mk(fx, "nocpu"); /* cpu controller not enabled: no files */
	mk(fx, "heavy");
	put(fx, "heavy/cpu.weight", "300\n");
	put(fx, "heavy/cpu.max", "max 100000\n");
	mk(fx, "capped");
	put(fx, "capped/cpu.weight", "100\n");
	put(fx, "capped/cpu.max", "150000 100000\n"); /* 1.5 CPUs -> 2 */
	mk(fx, "junk");
	put(fx, "junk/cpu.weight", "lots\n");
	put(fx, "junk/cpu.max", "0 100000\n");
	open_registry(fx, 16, NULL, 0);

	assert_int_equal(cells_get(fx->r, 0)->weight, 100);
	assert_int_equal(cells_get(fx->r, 0)->cap, 0);
	assert_int_equal(weight_of(fx, "nocpu"), 100);
	assert_int_equal(cap_of(fx, "nocpu"), 0);
	assert_int_equal(weight_of(fx, "heavy"), 300);
	assert_int_equal(cap_of(fx, "heavy"), 0);
	assert_int_equal(weight_of(fx, "capped"), 100);
	assert_int_equal(cap_of(fx, "capped"), 2);
	assert_int_equal(weight_of(fx, "junk"), 100);
	assert_int_equal(cap_of(fx, "junk"), 0);
	assert_int_equal(count_warnings(fx, "junk/cpu.weight"), 1);
	assert_int_equal(count_warnings(fx, "junk/cpu.max"), 1);
	assert_int_equal(fx->diff.nr_limits_changed, 0); /* new cells are "created" */

	/* Nothing changed: nothing reported, and a malformed file warns only once. */
	int ret = cells_reread_limits(fx->r, &fx->diff, fx->err, sizeof(fx->err));
	dump_diff(&fx->diff);
	assert_int_equal(ret, 0);
	assert_int_equal(fx->diff.nr_limits_changed, 0);
	assert_int_equal(fx->diff.nr_warnings, 0);
	assert_false(cells_diff_changed(&fx->diff));

	/* Writes are noticed by the reread, with the values before and after. */
	put(fx, "heavy/cpu.weight", "10000\n");
	put(fx, "capped/cpu.max", "max 100000\n");
	put(fx, "junk/cpu.weight", "1\n");
	put(fx, "nocpu/cpu.max", "100000 100000\n");
	ret = cells_reread_limits(fx->r, &fx->diff, fx->err, sizeof(fx->err));
	dump_diff(&fx->diff);
	assert_int_equal(ret, 0);
	assert_true(cells_diff_changed(&fx->diff));
	assert_int_equal(fx->diff.nr_limits_changed, 4);
	for (unsigned int i = 0; i < fx->diff.nr_limits_changed; i++) {
		const struct cells_change *ch = &fx->diff.limits_changed[i];

		print_message("  ~ cell %u %s weight %u -> %u cap %u -> %u\n", ch->id, ch->name,
			      ch->old_weight, ch->weight, ch->old_cap, ch->cap);
		if (!strcmp(ch->name, "heavy"))
			assert_true(ch->old_weight == 300 && ch->weight == 10000);
		else if (!strcmp(ch->name, "capped"))
			assert_true(ch->old_cap == 2 && ch->cap == 0);
		else if (!strcmp(ch->name, "junk"))
			assert_true(ch->old_weight == 100 && ch->weight == 1);
		else
			assert_true(!strcmp(ch->name, "nocpu") && ch->old_cap == 0 && ch->cap == 1);
	}
	assert_int_equal(weight_of(fx, "heavy"), 10000);
	assert_int_equal(cap_of(fx, "capped"), 0);
	assert_int_equal(cap_of(fx, "nocpu"), 1);

	/* Broken again after being valid: warned again; a rescan keeps the values and reports
	 * changes the same way. */
	put(fx, "junk/cpu.weight", "0\n");
	put(fx, "heavy/cpu.max", "250000 100000\n");
	rescan(fx);
	assert_int_equal(count_warnings(fx, "junk/cpu.weight"), 1);
	assert_int_equal(count_warnings(fx, "junk/cpu.max"), 0); /* still bad, already said */
	assert_int_equal(fx->diff.nr_limits_changed, 2);
	assert_int_equal(weight_of(fx, "junk"), 100);
	assert_int_equal(cap_of(fx, "heavy"), 3);
	rescan(fx);
	assert_int_equal(fx->diff.nr_limits_changed, 0);
	assert_int_equal(fx->diff.nr_warnings, 0);
}

static void test_parent_deleted(void **state)
{
	struct fx *fx = *state;
	bool need = false;
	int ret;

	mk(fx, "a");
	open_registry(fx, 8, NULL, 0);
	rm_child(fx, "a");
	assert_int_equal(rmdir(fx->parent), 0);
	ret = cells_handle_events(fx->r, &need, fx->err, sizeof(fx->err));
	print_message("handle_events: %d %s\n", ret, fx->err);
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(fx->err, "removed or renamed"));
	/* a rescan fails cleanly and leaves the registry as it was */
	ret = cells_rescan(fx->r, &fx->diff, fx->err, sizeof(fx->err));
	print_message("rescan: %d %s\n", ret, fx->err);
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(fx->err, fx->parent));
	assert_int_equal(cells_count(fx->r), 2);
	assert_string_equal(cells_get(fx->r, 1)->name, "a");
	assert_false(cells_diff_changed(&fx->diff));
	/* and the error sticks */
	assert_int_equal(cells_handle_events(fx->r, &need, fx->err, sizeof(fx->err)), -ENOENT);
}

static void test_parent_moved(void **state)
{
	struct fx *fx = *state;
	char to[128];
	bool need = false;
	int ret;

	open_registry(fx, 8, NULL, 0);
	snprintf(to, sizeof(to), "%s/moved", fx->top);
	assert_int_equal(rename(fx->parent, to), 0);
	ret = cells_handle_events(fx->r, &need, fx->err, sizeof(fx->err));
	print_message("handle_events: %d %s\n", ret, fx->err);
	assert_int_equal(ret, -ENOENT);
}

/* Build raw inotify records the way the kernel lays them out. */
static size_t put_event(char *buf, size_t off, uint32_t mask, const char *name)
{
	struct inotify_event ev = {.wd = 1, .mask = mask};
	size_t nlen = name ? (strlen(name) + 1 + 7) / 8 * 8 : 0;

	ev.len = (uint32_t)nlen;
	memcpy(buf + off, &ev, sizeof(ev));
	memset(buf + off + sizeof(ev), 0, nlen);
	if (name)
		memcpy(buf + off + sizeof(ev), name, strlen(name));
	return off + sizeof(ev) + nlen;
}

static void test_events_injected(void **state)
{
	static const char *const excl[] = {"init.scope"};
	struct fx *fx = *state;
	char buf[1024];
	bool need;
	size_t n;

	open_registry(fx, 8, excl, 1);

	n = put_event(buf, 0, IN_Q_OVERFLOW, NULL);
	need = false;
	assert_int_equal(cells_process_events(fx->r, buf, n, &need, NULL, 0), 0);
	assert_true(need);

	/* files, excluded names: no rescan */
	n = put_event(buf, 0, IN_CREATE, "cgroup.procs");
	n = put_event(buf, n, IN_CREATE | IN_ISDIR, "init.scope");
	n = put_event(buf, n, IN_DELETE | IN_ISDIR, "init.scope");
	need = false;
	assert_int_equal(cells_process_events(fx->r, buf, n, &need, NULL, 0), 0);
	assert_false(need);

	static const uint32_t masks[] = {IN_CREATE, IN_DELETE, IN_MOVED_FROM, IN_MOVED_TO};
	for (unsigned int i = 0; i < 4; i++) {
		n = put_event(buf, 0, masks[i] | IN_ISDIR, "web");
		need = false;
		assert_int_equal(cells_process_events(fx->r, buf, n, &need, NULL, 0), 0);
		assert_true(need);
	}

	/* a truncated record is ignored, never read past the end */
	n = put_event(buf, 0, IN_CREATE | IN_ISDIR, "a-rather-long-name");
	need = false;
	assert_int_equal(cells_process_events(fx->r, buf, n - 8, &need, NULL, 0), 0);
	assert_false(need);
	assert_int_equal(cells_process_events(fx->r, buf, 3, &need, NULL, 0), 0);

	/* the parent going away is an error, even after an overflow in the same batch */
	n = put_event(buf, 0, IN_Q_OVERFLOW, NULL);
	n = put_event(buf, n, IN_DELETE_SELF, NULL);
	n = put_event(buf, n, IN_IGNORED, NULL);
	need = false;
	assert_int_equal(cells_process_events(fx->r, buf, n, &need, fx->err, sizeof(fx->err)),
			 -ENOENT);
	assert_true(need);
}

static void test_queue_overflow_real(void **state)
{
	struct fx *fx = *state;
	unsigned int max_q = 0;
	char p[256], err[256];
	bool need = false;
	FILE *f;

	f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &max_q), 1);
	fclose(f);
	if (max_q > 200000) {
		print_message("max_queued_events %u is too large to overflow quickly\n", max_q);
		skip();
	}
	open_registry(fx, 8, NULL, 0);
	/* one event per mkdir and one per rmdir: overflow the queue without reading it */
	pathf(p, sizeof(p), fx, "churn");
	for (unsigned int i = 0; i < max_q / 2 + 16; i++) {
		assert_int_equal(mkdir(p, 0755), 0);
		assert_int_equal(rmdir(p), 0);
	}
	mk(fx, "survivor");
	assert_int_equal(cells_handle_events(fx->r, &need, err, sizeof(err)), 0);
	assert_true(need);
	/* the overflow loses the survivor's event; the rescan still finds it */
	rescan(fx);
	assert_int_equal(id_of(fx, "survivor"), 1);
	assert_int_equal(cells_count(fx->r), 2);
}

/*
 * A child process creates and removes 16 cgroups (with cpuset files) in a loop while the test
 * drives the registry, counting its rounds in the shared @rounds; stop_churn() kills it.
 */
static pid_t start_churn(struct fx *fx, volatile unsigned int *rounds)
{
	pid_t pid = fork();
	char p[256], f[300];

	assert_true(pid >= 0);
	if (pid)
		return pid;
	for (;;) {
		for (int i = 0; i < 16; i++) {
			snprintf(p, sizeof(p), "%s/tmp%02d", fx->parent, i);
			snprintf(f, sizeof(f), "%s/cpuset.cpus", p);
			if (mkdir(p, 0755) == 0) {
				int fd = open(f, O_WRONLY | O_CREAT, 0644);

				if (fd >= 0) {
					if (write(fd, "1-2\n", 4) < 0)
						_exit(1);
					close(fd);
				}
			}
		}
		for (int i = 0; i < 16; i++) {
			snprintf(p, sizeof(p), "%s/tmp%02d", fx->parent, i);
			snprintf(f, sizeof(f), "%s/cpuset.cpus", p);
			unlink(f);
			rmdir(p);
		}
		__atomic_add_fetch(rounds, 1, __ATOMIC_RELAXED);
	}
}

static void stop_churn(struct fx *fx, pid_t pid)
{
	char p[256];

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* the child may have died between mkdir and rmdir */
	for (int i = 0; i < 16; i++) {
		snprintf(p, sizeof(p), "tmp%02d", i);
		rm_child(fx, p);
	}
}

static void test_children_vanish_mid_scan(void **state)
{
	struct fx *fx = *state;
	volatile unsigned int *rounds;
	unsigned int scans = 0;
	pid_t pid;

	rounds = mmap(NULL, sizeof(*rounds), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		      0);
	assert_true(rounds != MAP_FAILED);
	*rounds = 0;
	mk(fx, "stable");
	put(fx, "stable/cpuset.cpus", "3\n");
	open_registry(fx, 64, NULL, 0);
	pid = start_churn(fx, rounds);
	/* rescan while cgroups come and go; go on until real churn has happened */
	while (scans < 5000 && (scans < 200 || __atomic_load_n(rounds, __ATOMIC_RELAXED) < 50)) {
		int ret = cells_rescan(fx->r, &fx->diff, fx->err, sizeof(fx->err));

		if (ret || id_of(fx, "stable") != 1) {
			stop_churn(fx, pid);
			print_error("rescan %u: %d %s\n", scans, ret, fx->err);
			fail();
		}
		scans++;
	}
	stop_churn(fx, pid);
	print_message("%u rescans during %u churn rounds\n", scans, *rounds);
	assert_true(*rounds > 0);
	rescan(fx);
	assert_int_equal(cells_count(fx->r), 2);
	assert_int_equal(id_of(fx, "stable"), 1);
	assert_cpuset(fx, "stable", "3");
	munmap((void *)rounds, sizeof(*rounds));
}

/* ---- --cell-config rules ------------------------------------------------------------------ */

static void open_rules(struct fx *fx, const char *json, unsigned int max_cells)
{
	struct cellconfig *c = NULL;
	struct cells_cfg cfg = {.parent = fx->parent, .max_cells = max_cells, .nr_cpus = NR_CPUS};
	int ret = cellconfig_parse(json, strlen(json), "t.json", &c, fx->err, sizeof(fx->err));

	if (ret)
		print_error("cellconfig_parse: %s\n", fx->err);
	assert_int_equal(ret, 0);
	cfg.config = c;
	ret = cells_new(&cfg, &fx->r, &fx->diff, fx->err, sizeof(fx->err));
	cellconfig_free(c); /* the registry has its copy */
	if (ret)
		print_error("cells_new: %d %s\n", ret, fx->err);
	assert_int_equal(ret, 0);
	dump_diff(&fx->diff);
}

static void mk_path(struct fx *fx, const char *rel)
{
	char p[512], *s;

	snprintf(p, sizeof(p), "%s/%s", fx->parent, rel);
	for (s = p + strlen(fx->parent) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

/* Cells two levels down; containers stay in their pod; QoS slices and others are no cells. */
static void test_rules_nested_tree(void **state)
{
	struct fx *fx = *state;
	const struct cell *c;

	mk_path(fx, "kubepods.slice/burstable.slice/poda/ctr1");
	mk_path(fx, "kubepods.slice/burstable.slice/podb");
	mk_path(fx, "kubepods.slice/besteffort.slice/podc");
	mk_path(fx, "kubepods.slice/besteffort.slice/notapod");
	mk_path(fx, "system.slice/poda");
	mk_path(fx, "web.slice/inner");
	open_rules(
		fx,
		"{\"rules\":[{\"match\":\"kubepods.slice/*/pod*\",\"weight\":300,\"max_cpus\":2},"
		"{\"match\":\"web.slice\",\"min_cpus\":3,\"lend\":false,\"borrow\":false,"
		"\"latency_sensitive\":true},"
		"{\"match\":\"web.slice/inner\"}]}",
		8);
	assert_int_equal(cells_count(fx->r), 5);
	assert_int_equal(fx->diff.nr_created, 4);
	/* name order: kubepods.slice/besteffort..., kubepods.slice/burstable... x2, web.slice */
	c = cells_get(fx->r, 1);
	assert_string_equal(c->name, "kubepods.slice/besteffort.slice/podc");
	assert_int_equal(c->rule, 0);
	assert_string_equal(c->match, "kubepods.slice/*/pod*");
	assert_int_equal(c->weight, 300);
	assert_int_equal(c->cap, 2);
	assert_true(c->borrow && c->lend && !c->latency_sensitive);
	assert_string_equal(cells_get(fx->r, 2)->name, "kubepods.slice/burstable.slice/poda");
	assert_string_equal(cells_get(fx->r, 3)->name, "kubepods.slice/burstable.slice/podb");
	c = cells_get(fx->r, 4);
	assert_string_equal(c->name, "web.slice");
	assert_int_equal(c->rule, 1);
	assert_int_equal(c->min, 3);
	assert_int_equal(c->weight, 100);
	assert_true(!c->borrow && !c->lend && c->latency_sensitive);
	assert_null(cells_get(fx->r, 5)); /* web.slice/inner is below a cell */
	/* watched: the root, kubepods.slice and its two QoS slices; not web.slice, system.slice */
	assert_int_equal(cells_nr_watches(fx->r), 4);
}

/* cpu.weight and cpu.max under a rule: the rule's weight wins, the smaller cap holds. */
static void test_rules_limits(void **state)
{
	struct fx *fx = *state;

	mk_path(fx, "a");
	mk_path(fx, "b");
	put(fx, "a/cpu.weight", "50\n");
	put(fx, "a/cpu.max", "100000 100000\n");
	put(fx, "b/cpu.weight", "50\n");
	put(fx, "b/cpu.max", "800000 100000\n");
	open_rules(fx,
		   "{\"rules\":[{\"match\":\"a\",\"weight\":700,\"max_cpus\":3},{\"match\":\"*\","
		   "\"max_cpus\":3}]}",
		   8);
	assert_int_equal(cells_get(fx->r, id_of(fx, "a"))->weight, 700);
	assert_int_equal(cells_get(fx->r, id_of(fx, "a"))->cap, 1);
	assert_int_equal(cells_get(fx->r, id_of(fx, "b"))->weight, 50);
	assert_int_equal(cells_get(fx->r, id_of(fx, "b"))->cap, 3);
}

/* New levels are watched when they appear; a pod in a new QoS slice becomes a cell. */
static void test_rules_watch_new_levels(void **state)
{
	struct fx *fx = *state;

	mk_path(fx, "kubepods.slice/burstable.slice/poda");
	open_rules(fx, "{\"rules\":[{\"match\":\"kubepods.slice/*/pod*\"}]}", 8);
	assert_int_equal(cells_count(fx->r), 2);
	assert_int_equal(cells_nr_watches(fx->r), 3);
	/* a directory no rule can match below: the root's watch asks for a rescan (events are not
	 * filtered by rule), which finds no cell and adds no watch */
	mk_path(fx, "other.slice");
	wait_and_rescan(fx);
	assert_false(cells_diff_changed(&fx->diff));
	assert_int_equal(cells_nr_watches(fx->r), 3);
	mk_path(fx, "kubepods.slice/guaranteed.slice");
	wait_and_rescan(fx);
	assert_int_equal(cells_nr_watches(fx->r), 4);
	assert_int_equal(fx->diff.nr_created, 0);
	mk_path(fx, "kubepods.slice/guaranteed.slice/podg");
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_created, 1);
	assert_string_equal(fx->diff.created[0].name, "kubepods.slice/guaranteed.slice/podg");
	/* a container in a pod: no event is watched there, and no cell */
	mk_path(fx, "kubepods.slice/guaranteed.slice/podg/ctr");
	assert_false(drain(fx));
	/* the QoS slice goes: its pod is destroyed, its watch dropped */
	rm_child(fx, "kubepods.slice/guaranteed.slice");
	wait_and_rescan(fx);
	assert_int_equal(fx->diff.nr_destroyed, 1);
	assert_int_equal(cells_nr_watches(fx->r), 3);
	assert_false(drain(fx)); /* IN_IGNORED of the dropped watch asks for nothing */
}

/* cells_set_config: cells that stay keep their ids; rule changes are limit changes. */
static void test_rules_set_config(void **state)
{
	struct fx *fx = *state;
	struct cellconfig *c = NULL;
	const char *v2 = "{\"rules\":[{\"match\":\"svc/b\",\"weight\":300,\"lend\":false},"
			 "{\"match\":\"svc/*\"}]}";
	const char *v3 = "{\"rules\":[{\"match\":\"svc/a\"}]}";
	unsigned int ida, idb;

	mk_path(fx, "svc/a");
	mk_path(fx, "svc/b");
	open_rules(fx, "{\"rules\":[{\"match\":\"svc/*\"}]}", 8);
	ida = id_of(fx, "svc/a");
	idb = id_of(fx, "svc/b");
	assert_int_equal(cellconfig_parse(v2, strlen(v2), "v2", &c, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(cells_set_config(fx->r, c, &fx->diff, fx->err, sizeof(fx->err)), 0);
	cellconfig_free(c);
	dump_diff(&fx->diff);
	assert_true(cells_diff_changed(&fx->diff));
	assert_int_equal(fx->diff.nr_created + fx->diff.nr_destroyed, 0);
	assert_int_equal(fx->diff.nr_limits_changed, 1);
	assert_int_equal(fx->diff.limits_changed[0].id, idb);
	assert_int_equal(fx->diff.limits_changed[0].old_weight, 100);
	assert_int_equal(fx->diff.limits_changed[0].weight, 300);
	assert_int_equal(fx->diff.limits_changed[0].flags, CELLS_F_NO_LEND);
	assert_int_equal(id_of(fx, "svc/a"), ida);
	assert_int_equal(cells_get(fx->r, idb)->rule, 0);
	assert_string_equal(cells_get(fx->r, idb)->match, "svc/b");
	assert_int_equal(cellconfig_parse(v3, strlen(v3), "v3", &c, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(cells_set_config(fx->r, c, &fx->diff, fx->err, sizeof(fx->err)), 0);
	cellconfig_free(c);
	assert_int_equal(fx->diff.nr_destroyed, 1);
	assert_int_equal(fx->diff.destroyed[0].id, idb);
	assert_int_equal(id_of(fx, "svc/a"), ida);
	assert_int_equal(cells_count(fx->r), 2);
	assert_int_equal(cells_config(fx->r)->nr_rules, 1);
}

/* Overlapping rules: first match wins; a cell's descendants never become cells. */
static void test_rules_overlap(void **state)
{
	struct fx *fx = *state;

	mk_path(fx, "a/x/y");
	mk_path(fx, "a/z");
	open_rules(
		fx,
		"{\"rules\":[{\"match\":\"a/*/y\",\"weight\":10},{\"match\":\"a/*\",\"weight\":20},"
		"{\"match\":\"a/x\",\"weight\":30}]}",
		8);
	/* a/x matches rule 1 before rule 2; a/x/y (rule 0) is below the cell a/x */
	assert_int_equal(cells_count(fx->r), 3);
	assert_int_equal(cells_get(fx->r, id_of(fx, "a/x"))->rule, 1);
	assert_int_equal(cells_get(fx->r, id_of(fx, "a/x"))->weight, 20);
	for (unsigned int id = 1; id < cells_max(fx->r); id++)
		assert_true(!cells_get(fx->r, id) || strcmp(cells_get(fx->r, id)->name, "a/x/y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_delete_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recreate_is_new_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusions_and_files_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_root_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpusets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weights_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_injected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow_real, setup, teardown),
		cmocka_unit_test_setup_teardown(test_children_vanish_mid_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_nested_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_watch_new_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_set_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_overlap, setup, teardown),
	};

	return cmocka_run_group_tests_name("cells", tests, NULL, NULL);
}
