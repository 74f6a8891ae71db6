// SPDX-License-Identifier: GPL-2.0
/*
 * Golden files for what the daemon prints about plans: the --dry-run plan in both forms (text
 * table and --json object) and the log lines of registry diffs and applied plans, for fixed
 * cgroup trees and sysfs topologies under a mkdtemp() dir. Every byte is pinned
 * (tests/unit/golden/plan_*.txt, .json, .log; golden.h: VIEW_GOLDEN_UPDATE=1 rewrites them);
 * the files were recorded from the printers as they were before they moved onto the streaming
 * writer. The temporary dir reads "@TMP@" in them, and cgroup ids (inode numbers, different on
 * every run) "#1", "#2", ... in order of first appearance.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cellconfig.h"
#include "fixture.h"
#include "golden.h"
#include "logmsg.h"
#include "manager.h"
#include "view_plan.h"

#define MAX_INOS 64

struct fx {
	char dir[64];
	char sys[128], cg[128];
	struct manager *m;
	struct cellconfig *config;
	bool equal_shares;
	FILE *log; /* the log lines of one test, in order */
	char *logbuf;
	size_t loglen;
	uint64_t ino[MAX_INOS]; /* cgroup ids seen, in order: "#1" is ino[0] */
	unsigned int nr_ino;
};

static void put(const char *dir, const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(fx_write_str(path, text), 0);
}

static void rm(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(fx_rm_rf(path), 0);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_view_plan.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->sys, sizeof(fx->sys), "%s/sys", fx->dir);
	snprintf(fx->cg, sizeof(fx->cg), "%s/cg", fx->dir);
	fx->log = open_memstream(&fx->logbuf, &fx->loglen);
	if (!fx->log)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	manager_free(fx->m);
	cellconfig_free(fx->config);
	fclose(fx->log);
	free(fx->logbuf);
	if (fx_rm_rf(fx->dir))
		return -1;
	free(fx);
	return 0;
}

/* The token of cgroup id @ino: its place among the ids seen so far. */
static unsigned int ino_token(struct fx *fx, uint64_t ino)
{
	for (unsigned int i = 0; i < fx->nr_ino; i++)
		if (fx->ino[i] == ino)
			return i + 1;
	assert_true(fx->nr_ino < MAX_INOS);
	fx->ino[fx->nr_ino++] = ino;
	return fx->nr_ino;
}

/*
 * @s with what differs from run to run replaced: the temporary dir by "@TMP@", each
 * "cgid=NUMBER" by "cgid=#N". The caller frees the result.
 */
static char *scrub(struct fx *fx, const char *s)
{
	size_t dlen = strlen(fx->dir), len;
	char *out;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	while (*s) {
		if (!strncmp(s, fx->dir, dlen)) {
			fputs("@TMP@", f);
			s += dlen;
		} else if (!strncmp(s, "cgid=", 5) && s[5] >= '0' && s[5] <= '9') {
			char *end;
			uint64_t ino = strtoull(s + 5, &end, 10);

			fprintf(f, "cgid=#%u", ino_token(fx, ino));
			s = end;
		} else {
			fputc(*s++, f);
		}
	}
	fclose(f);
	return out;
}

/* Compare @out (scrubbed) with the golden file @name. */
static void golden_scrubbed(struct fx *fx, const char *name, const char *out)
{
	char *s = scrub(fx, out);

	golden(name, s);
	free(s);
}

/*
 * Open the manager: @parent (relative to the cgroup dir; NULL: root cell only), or with
 * @rules the --cell-config text over the cgroup dir. The cells found are logged as created.
 */
static void open_manager(struct fx *fx, const char *parent, const char *rules,
			 unsigned int max_cells, bool equal_shares)
{
	char path[256], err[512] = "";
	struct manager_cfg cfg = {
		.max_cells = max_cells,
		.cell0_min_cpus = 1,
		.sysfs_root = fx->sys,
		.equal_shares = equal_shares,
	};
	struct cells_diff diff = {0};
	int ret;

	fx->equal_shares = equal_shares;
	assert_int_equal(fx_mkdirs(fx->cg), 0);
	if (rules) {
		assert_int_equal(cellconfig_parse(rules, strlen(rules), "rules.json", &fx->config,
						  err, sizeof(err)),
				 0);
		cfg.config = fx->config;
		cfg.parent = fx->cg;
	} else if (parent) {
		snprintf(path, sizeof(path), "%s/%s", fx->cg, parent);
		cfg.parent = path;
	}
	ret = manager_new(&cfg, &fx->m, &diff, err, sizeof(err));
	if (ret)
		print_error("manager_new: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	logmsg_diff(manager_cells(fx->m), &diff, fx->log);
	cells_diff_free(&diff);
}

/* The plan for the current cells (equal weights, as the dry run), or fail. */
static struct plan *plan_now(struct fx *fx)
{
	struct plan *p = NULL;
	char err[512] = "";
	int ret = manager_plan(fx->m, NULL, &p, err, sizeof(err));

	if (ret)
		print_error("manager_plan: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	return p;
}

/* The dry run's output for the current cells, in both forms, against NAME.txt and NAME.json. */
static void golden_plan(struct fx *fx, const char *name)
{
	struct plan *p = plan_now(fx);
	char file[128], *out;
	size_t len;

	for (int json = 0; json < 2; json++) {
		FILE *f = open_memstream(&out, &len);

		assert_non_null(f);
		view_plan_render(f,
				 &(struct plan_view){.plan = p,
						     .topo = manager_topology(fx->m),
						     .cells = manager_cells(fx->m),
						     .rules = fx->config != NULL,
						     .equal_shares = fx->equal_shares},
				 json);
		fclose(f);
		snprintf(file, sizeof(file), "%s.%s", name, json ? "json" : "txt");
		golden_scrubbed(fx, file, out);
		free(out);
	}
	plan_free(p);
}

/* Log the applied plan for the current cells, as the daemon does after a publication. */
static void log_plan(struct fx *fx, const char *head, const char *facts)
{
	struct plan *p = plan_now(fx);

	logmsg_plan(manager_cells(fx->m), p, head, facts, fx->log);
	plan_free(p);
}

/* Log a registry diff; @what says which reread made it. */
static void log_diff(struct fx *fx,
		     int (*what)(struct cells *, struct cells_diff *, char *, size_t))
{
	struct cells_diff diff = {0};
	char err[512] = "";

	assert_int_equal(what(manager_cells(fx->m), &diff, err, sizeof(err)), 0);
	logmsg_diff(manager_cells(fx->m), &diff, fx->log);
	cells_diff_free(&diff);
}

/* This test's log lines against NAME.log. */
static void golden_log(struct fx *fx, const char *name)
{
	char file[128];

	fflush(fx->log);
	snprintf(file, sizeof(file), "%s.log", name);
	golden_scrubbed(fx, file, fx->logbuf);
}

/* Without a parent: the root cell alone on 4 CPUs, one LLC. */
static void test_root_only(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx_sysfs(fx->sys, 4, 4, NULL), 0);
	open_manager(fx, NULL, NULL, 8, false);
	golden_plan(fx, "plan_root");
	log_plan(fx, "Applied initial cell configuration", "applied plan 1: start; 0 CPUs moved");
	golden_log(fx, "plan_root");
}

/*
 * 8 CPUs in two LLCs, CPU 3 offline; five children: a pinned to CPU 1 with weight 300, b capped
 * at 2 CPUs by cpu.max, c pinned to the offline CPU (unplaced), a name longer than the table's
 * column, and one that JSON must escape. Then what the daemon logs as they change: weights, a
 * cap lifted, a cpuset, a malformed cpu.weight (a warning), a child removed and one created.
 */
static void test_parent(void **state)
{
	struct fx *fx = *state;
	const char *longname = "a-cell-name-longer-than-thirty-two-columns";
	char rel[128];

	assert_int_equal(fx_sysfs(fx->sys, 8, 4, "0-2,4-7"), 0);
	put(fx->cg, "w/a/cpuset.cpus", "1\n");
	put(fx->cg, "w/a/cpu.weight", "300\n");
	put(fx->cg, "w/b/cpu.max", "200000 100000\n");
	put(fx->cg, "w/c/cpuset.cpus", "3\n");
	snprintf(rel, sizeof(rel), "w/%s/cpu.weight", longname);
	put(fx->cg, rel, "50\n");
	put(fx->cg, "w/q\"uo\\te/cpu.weight", "100\n");
	open_manager(fx, "w", NULL, 8, false);
	golden_plan(fx, "plan_parent");
	log_plan(fx, "Applied initial cell configuration",
		 "applied plan 1: start; 0 CPUs moved; planned in 12 us, published in 34 us");

	put(fx->cg, "w/a/cpu.weight", "1000\n");
	put(fx->cg, "w/b/cpu.max", "max 100000\n");
	log_diff(fx, cells_reread_limits);
	put(fx->cg, "w/b/cpuset.cpus", "4-5\n");
	log_diff(fx, cells_reread_cpusets);
	put(fx->cg, "w/a/cpu.weight", "heavy\n");
	log_diff(fx, cells_reread_limits);
	rm(fx->cg, "w/c");
	put(fx->cg, "w/e/cpu.weight", "100\n");
	log_diff(fx, cells_rescan);
	golden_plan(fx, "plan_parent_changed");
	log_plan(fx, "Cell config updated (1 new, 1 destroyed)",
		 "applied plan 2: cells changed; 2 CPUs moved");
	golden_log(fx, "plan_parent");
}

/*
 * 4 CPUs, six children and five cell slots with --equal-shares: four cells for three CPUs (one
 * gets none), two children wait for a slot.
 */
static void test_waiting(void **state)
{
	struct fx *fx = *state;
	const char *names[] = {"a", "b", "c", "d", "e", "f"};
	char rel[64];

	assert_int_equal(fx_sysfs(fx->sys, 4, 4, NULL), 0);
	for (unsigned int i = 0; i < 6; i++) {
		snprintf(rel, sizeof(rel), "p/%s/cpu.weight", names[i]);
		put(fx->cg, rel, i == 3 ? "10000\n" : "100\n");
	}
	open_manager(fx, "p", NULL, 5, true);
	golden_plan(fx, "plan_waiting");
	log_plan(fx, "Applied initial cell configuration", "applied plan 1: start; 0 CPUs moved");
	golden_log(fx, "plan_waiting");
}

/* The rules of tests/host/run.sh's fake Kubernetes tree: first match wins, min/max/weight, flags.
 */
static const char rules[] =
	"{\"rules\": [\n"
	"  {\"match\": \"kubepods.slice/*/pod*\", \"max_cpus\": 2, \"weight\": 300},\n"
	"  {\"match\": \"kubepods.slice/besteffort.slice/*\", \"lend\": false},\n"
	"  {\"match\": \"web.slice\", \"min_cpus\": 3, \"borrow\": false, \"latency_sensitive\": true},\n"
	"  {\"match\": \"web.slice/inner\"},\n"
	"  {\"match\": \"system.slice\", \"lend\": false}\n"
	"]}\n";

/* The same with web.slice's floor lowered and its flags flipped, system.slice lending again. */
static const char rules2[] =
	"{\"rules\": [\n"
	"  {\"match\": \"kubepods.slice/*/pod*\", \"max_cpus\": 2, \"weight\": 300},\n"
	"  {\"match\": \"kubepods.slice/besteffort.slice/*\", \"lend\": false},\n"
	"  {\"match\": \"web.slice\", \"min_cpus\": 2},\n"
	"  {\"match\": \"system.slice\"}\n"
	"]}\n";

static void test_rules(void **state)
{
	struct fx *fx = *state;
	struct cellconfig *c2;
	struct cells_diff diff = {0};
	char err[512] = "";

	assert_int_equal(fx_sysfs(fx->sys, 8, 4, NULL), 0);
	put(fx->cg, "kubepods.slice/burstable.slice/poda/ctr1/cpu.weight", "100\n");
	put(fx->cg, "kubepods.slice/burstable.slice/podb/cpu.weight", "50\n");
	put(fx->cg, "kubepods.slice/burstable.slice/podb/cpu.max", "100000 100000\n");
	put(fx->cg, "kubepods.slice/besteffort.slice/podc/cpu.weight", "100\n");
	put(fx->cg, "system.slice/x/cpu.weight", "100\n");
	put(fx->cg, "web.slice/inner/cpu.weight", "100\n");
	put(fx->cg, "other.slice/cpu.weight", "100\n");
	open_manager(fx, NULL, rules, 16, false);
	golden_plan(fx, "plan_rules");
	log_plan(fx, "Applied initial cell configuration", "applied plan 1: start; 0 CPUs moved");

	assert_int_equal(
		cellconfig_parse(rules2, strlen(rules2), "rules.json", &c2, err, sizeof(err)), 0);
	assert_int_equal(manager_set_config(fx->m, c2, &diff, err, sizeof(err)), 0);
	cellconfig_free(c2);
	logmsg_diff(manager_cells(fx->m), &diff, fx->log);
	cells_diff_free(&diff);
	golden_plan(fx, "plan_rules_changed");
	log_plan(fx, "Cell config updated (0 new, 0 destroyed)",
		 "applied plan 2: config reloaded; 1 CPUs moved");
	golden_log(fx, "plan_rules");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
	};

	return cmocka_run_group_tests_name("view_plan", tests, NULL, NULL);
}
