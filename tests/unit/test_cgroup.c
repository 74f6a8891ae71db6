// SPDX-License-Identifier: GPL-2.0
/* Unit tests for cgroup: mountinfo parsing (hybrid, escapes, none) and parent resolution. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "fixture.h"
#include "cgroupfs.h"

struct fx {
	char dir[64];	 /* scratch directory */
	char info[128];	 /* mountinfo file inside it */
	char mount[128]; /* fake cgroup2 mount: "<dir>/cg root" (with a space) */
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_cgroup.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->info, sizeof(fx->info), "%s/mountinfo", fx->dir);
	snprintf(fx->mount, sizeof(fx->mount), "%s/cg root", fx->dir);
	if (mkdir(fx->mount, 0755))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	if (fx_rm_rf(fx->dir))
		return -1;
	free(fx);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(fx_write_str(path, text), 0);
}

static int find(struct fx *fx, const char *text, char *buf, size_t len, char *err, size_t errlen)
{
	int ret;

	write_file(fx->info, text);
	ret = cgroup_find_mount(fx->info, buf, len, err, errlen);
	print_message("-> %d '%s' err='%s'\n", ret, ret ? "" : buf, err);
	return ret;
}

static void test_pure_v2(void **state)
{
	char buf[256], err[256] = "";

	assert_int_equal(
		find(*state,
		     "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		     "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
		     buf, sizeof(buf), err, sizeof(err)),
		0);
	assert_string_equal(buf, "/sys/fs/cgroup");
}

static void test_hybrid(void **state)
{
	char buf[256], err[256] = "";

	assert_int_equal(
		find(*state,
		     "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		     "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu\n"
		     "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
		     "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:4 master:2 - cgroup2 cgroup2 rw\n",
		     buf, sizeof(buf), err, sizeof(err)),
		0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");
}

static void test_escapes(void **state)
{
	char buf[256], err[256] = "";

	assert_int_equal(find(*state,
			      "50 1 0:40 / /mnt/my\\040cg\\011x\\134y rw - cgroup2 none rw\n", buf,
			      sizeof(buf), err, sizeof(err)),
			 0);
	assert_string_equal(buf, "/mnt/my cg\tx\\y");
}

static void test_prefers_hierarchy_root(void **state)
{
	char buf[256], err[256] = "";

	/* a container's bind of a sub-cgroup comes first; the real root mount later */
	assert_int_equal(find(*state,
			      "60 1 0:40 /system.slice/foo /run/cg rw - cgroup2 cgroup2 rw\n"
			      "61 1 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
			      "62 1 0:40 / /other rw - cgroup2 cgroup2 rw\n",
			      buf, sizeof(buf), err, sizeof(err)),
			 0);
	assert_string_equal(buf, "/sys/fs/cgroup");
	/* only a sub-cgroup mount: take it */
	assert_int_equal(find(*state, "60 1 0:40 /a /run/cg rw - cgroup2 cgroup2 rw\n", buf,
			      sizeof(buf), err, sizeof(err)),
			 0);
	assert_string_equal(buf, "/run/cg");
}

static void test_not_mounted(void **state)
{
	char buf[256], err[256] = "";

	assert_int_equal(find(*state,
			      "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
			      "garbage line\n"
			      "\n"
			      "1 2 3 4\n"
			      "33 31 0:30 / /x rw shared:1 -\n"
			      "33 31 0:30 / /cgroup2 rw - ext4 /dev/sda rw\n",
			      buf, sizeof(buf), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(
		err, "cgroup2 is not mounted; mount it with: mount -t cgroup2 none /sys/fs/cgroup");
}

static void test_small_buffer_and_missing_file(void **state)
{
	struct fx *fx = *state;
	char buf[8], err[256] = "", path[160];

	assert_int_equal(find(fx, "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", buf,
			      sizeof(buf), err, sizeof(err)),
			 -ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/nope", fx->dir);
	assert_int_equal(cgroup_find_mount(path, buf, sizeof(buf), err, sizeof(err)), -ENOENT);
	print_message("missing file: %s\n", err);
	assert_non_null(strstr(err, "cannot read"));
}

static void test_real_mountinfo(void **state)
{
	char buf[4096], err[256] = "";
	struct stat st;
	int ret;

	(void)state;
	ret = cgroup_find_mount(CGROUP_DEFAULT_MOUNTINFO, buf, sizeof(buf), err, sizeof(err));
	print_message("this host: %d %s%s\n", ret, ret ? err : "cgroup2 at ", ret ? "" : buf);
	if (ret) {
		assert_int_equal(ret, -ENOENT);
		return;
	}
	assert_int_equal(stat(buf, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void test_resolve(void **state)
{
	struct fx *fx = *state;
	char path[256], want[256], out[256], err[512] = "";

	snprintf(path, sizeof(path), "%s/workloads.slice", fx->mount);
	assert_int_equal(mkdir(path, 0755), 0);
	strcpy(want, path);

	/* inside the mount, with or without leading / and trailing slashes */
	static const char *const forms[] = {"/workloads.slice", "workloads.slice",
					    "/workloads.slice/", "workloads.slice//"};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		int ret = cgroup_resolve_parent(fx->mount, forms[i], out, sizeof(out), err,
						sizeof(err));
		if (ret)
			print_error("'%s': %d %s\n", forms[i], ret, err);
		assert_int_equal(ret, 0);
		assert_string_equal(out, want);
	}
	/* already absolute under the mount: as is */
	assert_int_equal(cgroup_resolve_parent(fx->mount, path, out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, want);
	/* the mount itself */
	assert_int_equal(
		cgroup_resolve_parent(fx->mount, fx->mount, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, fx->mount);
	assert_int_equal(cgroup_resolve_parent(fx->mount, "/", out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, fx->mount);
}

static void test_resolve_errors(void **state)
{
	struct fx *fx = *state;
	char path[256], out[256], err[512] = "";
	int ret;

	ret = cgroup_resolve_parent(fx->mount, "/missing.slice", out, sizeof(out), err,
				    sizeof(err));
	print_message("missing: %s\n", err);
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err, "does not exist"));
	assert_non_null(strstr(err, "/missing.slice"));
	assert_non_null(strstr(err, "relative to the cgroup2 mount"));

	/* a sibling of the mount whose name merely starts with it is NOT under the mount */
	snprintf(path, sizeof(path), "%sX/a", fx->mount);
	ret = cgroup_resolve_parent(fx->mount, path, out, sizeof(out), err, sizeof(err));
	assert_int_equal(ret, -ENOENT);
	assert_true(!strncmp(out, fx->mount, strlen(fx->mount)) && out[strlen(fx->mount)] == '/');

	snprintf(path, sizeof(path), "%s/file", fx->mount);
	write_file(path, "x");
	ret = cgroup_resolve_parent(fx->mount, "/file", out, sizeof(out), err, sizeof(err));
	print_message("file: %s\n", err);
	assert_int_equal(ret, -ENOTDIR);
	assert_non_null(strstr(err, "not a directory"));

	ret = cgroup_resolve_parent(fx->mount, "/a/../../etc", out, sizeof(out), err, sizeof(err));
	print_message("dotdot: %s\n", err);
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(cgroup_resolve_parent(fx->mount, "..", out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	/* names that merely contain dots are fine */
	snprintf(path, sizeof(path), "%s/a..b", fx->mount);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(
		cgroup_resolve_parent(fx->mount, "/a..b", out, sizeof(out), err, sizeof(err)), 0);

	assert_int_equal(cgroup_resolve_parent(fx->mount, "", out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	char tiny[8];
	assert_int_equal(cgroup_resolve_parent(fx->mount, "/workloads", tiny, sizeof(tiny), err,
					       sizeof(err)),
			 -ENAMETOOLONG);
}

static void test_resolve_any_and_end_to_end(void **state)
{
	struct fx *fx = *state;
	char path[256], out[256], err[512] = "", info[512];

	/* dry-run: any existing directory, no mount needed */
	snprintf(path, sizeof(path), "%s/", fx->dir);
	assert_int_equal(cgroup_resolve_parent_any(path, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, fx->dir);
	assert_int_equal(cgroup_parent_path("/nonexistent/mountinfo", path, true, out, sizeof(out),
					    err, sizeof(err)),
			 0);
	snprintf(path, sizeof(path), "%s/nope", fx->dir);
	assert_int_equal(cgroup_resolve_parent_any(path, out, sizeof(out), err, sizeof(err)),
			 -ENOENT);

	/* end to end: the fake mount has a space in its name, escaped in mountinfo */
	snprintf(path, sizeof(path), "%s/cg root/w", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(info, sizeof(info),
		 "41 31 0:38 / %s/cg\\040root rw,relatime shared:4 - cgroup2 cgroup2 rw\n",
		 fx->dir);
	write_file(fx->info, info);
	int ret = cgroup_parent_path(fx->info, "/w", false, out, sizeof(out), err, sizeof(err));
	if (ret)
		print_error("end to end: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	assert_string_equal(out, path);
	write_file(fx->info, "");
	assert_int_equal(
		cgroup_parent_path(fx->info, "/w", false, out, sizeof(out), err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "cgroup2 is not mounted"));
}

/*
 * #13 item 9: --dry-run --cell-parent-cgroup /work resolves inside the cgroup2 mount, as the
 * scheduler does; a plain directory only when no such cgroup exists (test trees).
 */
static void test_dry_run_resolves_in_mount(void **state)
{
	struct fx *fx = *state;
	char path[256], out[256], err[512] = "", info[512];
	/* a name that exists nowhere but in the fake mount */
	const char *user = "/scx_cells_test_parent_only_in_mount";
	int ret;

	snprintf(path, sizeof(path), "%s%s", fx->mount, user);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(info, sizeof(info),
		 "30 22 0:26 / %s/cg\\040root rw,nosuid shared:9 - cgroup2 cgroup2 rw\n", fx->dir);
	write_file(fx->info, info);
	ret = cgroup_parent_path(fx->info, user, true, out, sizeof(out), err, sizeof(err));
	print_message("dry-run %s -> %d '%s' err='%s'\n", user, ret, ret ? "" : out, err);
	assert_int_equal(ret, 0);
	assert_string_equal(out, path);
	/* the same answer as the scheduler's lookup, also in the relative form */
	assert_int_equal(
		cgroup_parent_path(fx->info, user + 1, false, out, sizeof(out), err, sizeof(err)),
		0);
	assert_string_equal(out, path);

	/* a test tree outside the mount is still a plain directory for --dry-run only */
	snprintf(path, sizeof(path), "%s/tree", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(
		cgroup_parent_path(fx->info, path, true, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, path);
	assert_int_equal(
		cgroup_parent_path(fx->info, path, false, out, sizeof(out), err, sizeof(err)),
		-ENOENT);

	/* in neither place: the cgroup lookup's error */
	ret = cgroup_parent_path(fx->info, "/scx_cells_nowhere", true, out, sizeof(out), err,
				 sizeof(err));
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err, "scx_cells_nowhere"));
}

/* cpu.weight: exactly what the kernel writes is accepted, anything else is an error. */
static void test_parse_weight(void **state)
{
	static const struct {
		const char *text;
		int ret;
		unsigned int weight;
	} cases[] = {
		{"100\n", 0, 100},     {"1", 0, 1},
		{"10000\n", 0, 10000}, {"300", 0, 300},
		{"0", -EINVAL, 0},     {"10001", -EINVAL, 0},
		{"", -EINVAL, 0},      {"\n", -EINVAL, 0},
		{"-5", -EINVAL, 0},    {"+5", -EINVAL, 0},
		{" 5", -EINVAL, 0},    {"5 ", -EINVAL, 0},
		{"5x", -EINVAL, 0},    {"5\n\n", -EINVAL, 0},
		{"abc", -EINVAL, 0},   {"99999999999999999999999", -EINVAL, 0},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int w = 7;
		int ret;

		err[0] = '\0';
		ret = cgroup_parse_weight(cases[i].text, &w, err, sizeof(err));
		print_message("weight '%s' -> %d %u '%s'\n", cases[i].text, ret, w, err);
		assert_int_equal(ret, cases[i].ret);
		assert_int_equal(w, ret ? 7 : cases[i].weight);
		if (ret)
			assert_non_null(strstr(err, "cpu.weight"));
	}
}

/* cpu.max: "max" is no cap, QUOTA/PERIOD rounds up and never gives 0. */
static void test_parse_max(void **state)
{
	static const struct {
		const char *text;
		int ret;
		unsigned int cap;
	} cases[] = {
		{"max 100000\n", 0, 0},
		{"max", 0, 0},
		{"100000 100000\n", 0, 1},
		{"150000 100000", 0, 2}, /* 1.5 CPUs -> 2 */
		{"1000 100000", 0, 1},	 /* 0.01 CPU -> still 1 */
		{"400000 100000", 0, 4},
		{"400001 100000", 0, 5},
		{"99999999999999 1", 0, 4294967295u}, /* clamped, not wrapped */
		{"99999999999999999999999 1", -EINVAL, 0},
		{"0 100000", -EINVAL, 0},
		{"100000 0", -EINVAL, 0},
		{"100000", -EINVAL, 0},
		{"max 0", -EINVAL, 0},
		{"max ", -EINVAL, 0},
		{"maxi 100000", -EINVAL, 0},
		{"100000  100000", -EINVAL, 0},
		{"-1 100000", -EINVAL, 0},
		{"100000 100000 1", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"1.5 1", -EINVAL, 0},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int cap = 7;
		int ret;

		err[0] = '\0';
		ret = cgroup_parse_max(cases[i].text, &cap, err, sizeof(err));
		print_message("max '%s' -> %d %u '%s'\n", cases[i].text, ret, cap, err);
		assert_int_equal(ret, cases[i].ret);
		assert_int_equal(cap, ret ? 7 : cases[i].cap);
		if (ret)
			assert_non_null(strstr(err, "cpu.max"));
	}
}

/* The BPF side compares cgroup ancestors at this level, so an off-by-one misroutes every task. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pure_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hybrid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefers_hierarchy_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_mounted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer_and_missing_file, setup,
						teardown),
		cmocka_unit_test(test_real_mountinfo),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_any_and_end_to_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_resolves_in_mount, setup, teardown),
		cmocka_unit_test(test_parse_weight),
		cmocka_unit_test(test_parse_max),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
