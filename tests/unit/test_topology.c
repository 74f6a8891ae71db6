// SPDX-License-Identifier: GPL-2.0
/* Unit tests for topology: sysfs fixture trees under a mkdtemp() dir, and synthetic topologies. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "topology.h"

struct fixture {
	char root[64];
};

/* Write @content to <root>/devices/system/cpu/<rel>, creating directories. */
static void put(const struct fixture *f, const char *rel, const char *content)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/devices/system/cpu/%s", f->root, rel);
	assert_int_equal(fx_write_str(path, content), 0);
}

static void putf(const struct fixture *f, const char *content, const char *relfmt, ...)
{
	char rel[256];
	va_list ap;

	va_start(ap, relfmt);
	vsnprintf(rel, sizeof(rel), relfmt, ap);
	va_end(ap);
	put(f, rel, content);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/test_topology.XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fx_rm_rf(f->root);
	free(f);
	return 0;
}

/* cpu N: package pkg, core core, L1 shared with @l1, L3 shared with @l3 (NULL = no cache dir). */
static void put_cpu(const struct fixture *f, int cpu, int pkg, int core, const char *l1,
		    const char *l3)
{
	char v[32];

	snprintf(v, sizeof(v), "%d\n", pkg);
	putf(f, v, "cpu%d/topology/physical_package_id", cpu);
	snprintf(v, sizeof(v), "%d\n", core);
	putf(f, v, "cpu%d/topology/core_id", cpu);
	if (l1) {
		putf(f, "1\n", "cpu%d/cache/index0/level", cpu);
		putf(f, l1, "cpu%d/cache/index0/shared_cpu_list", cpu);
		putf(f, "1\n", "cpu%d/cache/index1/level", cpu);
		putf(f, l1, "cpu%d/cache/index1/shared_cpu_list", cpu);
		putf(f, "2\n", "cpu%d/cache/index2/level", cpu);
		putf(f, l1, "cpu%d/cache/index2/shared_cpu_list", cpu);
	}
	if (l3) {
		putf(f, "3\n", "cpu%d/cache/index3/level", cpu);
		putf(f, l3, "cpu%d/cache/index3/shared_cpu_list", cpu);
	}
}

static void assert_ids(const int *got, const int *want, unsigned int n, const char *what)
{
	for (unsigned int i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			print_error("%s of cpu %u: got %d, want %d\n", what, i, got[i], want[i]);
			fail();
		}
	}
}

static struct topology *load_ok(const struct fixture *f)
{
	struct topology *t = NULL;
	char err[512] = "";
	int ret = topology_load(&t, f->root, err, sizeof(err));

	if (ret)
		print_error("topology_load: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	assert_non_null(t);
	return t;
}

static void load_err(const struct fixture *f, int want_ret, const char *want_msg)
{
	struct topology *t = (void *)1;
	char err[512] = "";
	int ret = topology_load(&t, f->root, err, sizeof(err));

	if (ret != want_ret || !strstr(err, want_msg) || strchr(err, '\n')) {
		print_error("want %d with \"%s\", got %d \"%s\"\n", want_ret, want_msg, ret, err);
		fail();
	}
	assert_null(t);
}

/* Two packages, each one LLC with 2 cores x 2 SMT threads; core ids repeat per package. */
static void build_two_llcs(const struct fixture *f)
{
	put(f, "online", "0-7\n");
	put(f, "possible", "0-7\n");
	put(f, "present", "0-7\n");
	for (int cpu = 0; cpu < 8; cpu++) {
		char l1[32];
		int first = cpu & ~1;

		snprintf(l1, sizeof(l1), "%d-%d\n", first, first + 1);
		put_cpu(f, cpu, cpu / 4, (cpu / 2) % 2, l1, cpu < 4 ? "0-3\n" : "4-7\n");
	}
}

static void test_two_llcs_smt(void **state)
{
	struct fixture *f = *state;
	build_two_llcs(f);
	struct topology *t = load_ok(f);
	int llc[] = {0, 0, 0, 0, 1, 1, 1, 1};
	int core[] = {0, 0, 1, 1, 2, 2, 3, 3};

	assert_int_equal(t->nr_cpus, 8);
	assert_int_equal(cpumask_weight(t->online), 8);
	assert_int_equal(t->nr_llcs, 2);
	assert_int_equal(t->nr_cores, 4);
	assert_ids(t->llc_id, llc, 8, "llc");
	assert_ids(t->core_id, core, 8, "core");
	topology_free(t);
}

/* LLC ids follow the lowest CPU, not the order sysfs lists caches in. */
static void test_interleaved_llcs(void **state)
{
	struct fixture *f = *state;

	put(f, "online", "0-5\n");
	for (int cpu = 0; cpu < 6; cpu++)
		put_cpu(f, cpu, 0, cpu, NULL, cpu % 2 ? "1,3,5\n" : "0,2,4\n");
	putf(f, "4\n", "cpu%d/cache/index7/level", 5); /* a lone index7 (gap) still counts */
	putf(f, "1,3,5\n", "cpu%d/cache/index7/shared_cpu_list", 5);
	struct topology *t = load_ok(f);
	int llc[] = {0, 1, 0, 1, 0, 1};

	assert_int_equal(t->nr_cpus, 6); /* no possible/present: size from online */
	assert_int_equal(t->nr_llcs, 2);
	assert_int_equal(t->nr_cores, 6);
	assert_ids(t->llc_id, llc, 6, "llc");
	topology_free(t);
}

static void test_offline_and_holes(void **state)
{
	struct fixture *f = *state;

	build_two_llcs(f);
	put(f, "online", "0-2,5,7\n");
	put(f, "possible", "0-15\n");
	struct topology *t = load_ok(f);
	int llc[16], core[16];

	for (int i = 0; i < 16; i++)
		llc[i] = core[i] = -1;
	llc[0] = llc[1] = llc[2] = 0;
	llc[5] = llc[7] = 1;
	core[0] = core[1] = 0;
	core[2] = 1;
	core[5] = 2;
	core[7] = 3;
	assert_int_equal(t->nr_cpus, 16);
	assert_int_equal(cpumask_weight(t->online), 5);
	assert_int_equal(t->nr_llcs, 2);
	assert_int_equal(t->nr_cores, 4);
	assert_ids(t->llc_id, llc, 16, "llc");
	assert_ids(t->core_id, core, 16, "core");
	topology_free(t);
}

static void test_present_sizes_when_no_possible(void **state)
{
	struct fixture *f = *state;

	put(f, "online", "0-1\n");
	put(f, "present", "0-3\n");
	struct topology *t = load_ok(f);

	assert_int_equal(t->nr_cpus, 4);
	assert_int_equal(cpumask_weight(t->online), 2);
	/* No topology dirs at all: one core per CPU, one LLC per (unknown) package. */
	assert_int_equal(t->nr_cores, 2);
	assert_int_equal(t->nr_llcs, 1);
	topology_free(t);
}

static void test_missing_cache_one_llc_per_package(void **state)
{
	struct fixture *f = *state;

	put(f, "online", "0-7\n");
	for (int cpu = 0; cpu < 8; cpu++)
		put_cpu(f, cpu, cpu < 4 ? 7 : 3, cpu % 4, NULL, NULL);
	struct topology *t = load_ok(f);
	int llc[] = {0, 0, 0, 0, 1, 1, 1, 1};
	int core[] = {0, 1, 2, 3, 4, 5, 6, 7};

	assert_int_equal(t->nr_llcs, 2);
	assert_ids(t->llc_id, llc, 8, "llc");
	assert_ids(t->core_id, core, 8, "core");
	topology_free(t);
}

/* Some CPUs with cache info, some without, and an index dir without a level file. */
static void test_partial_cache_info(void **state)
{
	struct fixture *f = *state;

	put(f, "online", "0-3\n");
	put_cpu(f, 0, 0, 0, "0\n", "0-1\n");
	put_cpu(f, 1, 0, 1, "1\n", "0-1\n");
	put_cpu(f, 2, 0, 2, NULL, NULL);
	put_cpu(f, 3, 0, 3, NULL, NULL);
	putf(f, "Unified\n", "cpu%d/cache/index0/type", 3); /* no level: skipped */
	struct topology *t = load_ok(f);
	int llc[] = {0, 0, 1, 1};

	assert_int_equal(t->nr_llcs, 2);
	assert_ids(t->llc_id, llc, 4, "llc");
	topology_free(t);
}

static void test_missing_online(void **state)
{
	struct fixture *f = *state;

	load_err(f, -ENOENT, "devices/system/cpu/online");
}

static void test_garbage_online(void **state)
{
	struct fixture *f = *state;

	put(f, "online", "zero-three\n");
	load_err(f, -EINVAL, "online: invalid cpulist 'zero-three'");
	put(f, "online", "\n");
	load_err(f, -EINVAL, "lists no CPU");
	put(f, "online", "3-1\n");
	load_err(f, -EINVAL, "range end 1 is below start 3");
}

static void test_garbage_core_id(void **state)
{
	struct fixture *f = *state;

	build_two_llcs(f);
	put(f, "cpu5/topology/core_id", "five\n");
	load_err(f, -EINVAL, "cpu5/topology/core_id does not hold an integer");
	put(f, "cpu5/topology/core_id", "1 2\n");
	load_err(f, -EINVAL, "cpu5/topology/core_id");
	put(f, "cpu5/topology/core_id", "99999999999999999999999\n");
	load_err(f, -EINVAL, "cpu5/topology/core_id");
	put(f, "cpu5/topology/core_id", "-5\n");
	load_err(f, -EINVAL, "out of range");
}

static void test_garbage_cache(void **state)
{
	struct fixture *f = *state;

	build_two_llcs(f);
	put(f, "cpu6/cache/index3/shared_cpu_list", "4-99\n");
	load_err(f, -ERANGE, "cpu6/cache/index3/shared_cpu_list: invalid cpulist '4-99'");
	put(f, "cpu6/cache/index3/shared_cpu_list", "4-7\n");
	put(f, "cpu6/cache/index3/level", "L3\n");
	load_err(f, -EINVAL, "cpu6/cache/index3/level");
	put(f, "cpu6/cache/index3/level", "");
	load_err(f, -EINVAL, "cpu6/cache/index3/level");
}

static void test_huge_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(20000);

	memset(big, '1', 19999);
	big[19999] = '\0';
	build_two_llcs(f);
	put(f, "cpu1/topology/core_id", big);
	free(big);
	load_err(f, -EFBIG, "cpu1/topology/core_id");
}

/* The machine's own sysfs loads and is self-consistent (skipped where there is no sysfs). */
static void test_real_sysfs(void **state)
{
	struct topology *t = NULL;
	char err[512];

	(void)state;
	if (access("/sys/devices/system/cpu/online", R_OK))
		skip();
	if (topology_load(&t, "/sys", err, sizeof(err))) {
		print_error("%s\n", err);
		fail();
	}
	assert_true(cpumask_weight(t->online) >= 1);
	assert_true(t->nr_llcs >= 1 && t->nr_llcs <= cpumask_weight(t->online));
	assert_true(t->nr_cores >= 1 && t->nr_cores <= cpumask_weight(t->online));
	for (unsigned int c = 0; c < t->nr_cpus; c++) {
		bool on = cpumask_test(t->online, c);

		assert_int_equal(on, t->llc_id[c] >= 0);
		assert_int_equal(on, t->core_id[c] >= 0);
		assert_true(t->llc_id[c] < (int)t->nr_llcs);
		assert_true(t->core_id[c] < (int)t->nr_cores);
	}
	topology_free(t);
}

static void test_synth(void **state)
{
	struct topology *t;
	(void)state;

	assert_int_equal(topology_synth(&t, 8, 4, 2, NULL), 0);
	int llc[] = {0, 0, 0, 0, 1, 1, 1, 1};
	int core[] = {0, 0, 1, 1, 2, 2, 3, 3};
	assert_int_equal(t->nr_llcs, 2);
	assert_int_equal(t->nr_cores, 4);
	assert_ids(t->llc_id, llc, 8, "llc");
	assert_ids(t->core_id, core, 8, "core");
	topology_free(t);

	/* smt not dividing the LLC size: cores never straddle LLCs. */
	assert_int_equal(topology_synth(&t, 6, 3, 2, NULL), 0);
	int core2[] = {0, 0, 1, 2, 2, 3};
	assert_ids(t->core_id, core2, 6, "core");
	topology_free(t);

	/* Offline CPUs get -1 and do not count. */
	struct cpumask *on = cpumask_alloc(8);
	cpumask_parse(on, "4-7", NULL, 0);
	assert_int_equal(topology_synth(&t, 8, 4, 2, on), 0);
	int llc3[] = {-1, -1, -1, -1, 0, 0, 0, 0};
	assert_ids(t->llc_id, llc3, 8, "llc");
	assert_int_equal(t->nr_llcs, 1);
	assert_int_equal(t->nr_cores, 2);
	topology_free(t);

	cpumask_zero(on);
	assert_int_equal(topology_synth(&t, 8, 4, 2, on), -EINVAL);
	assert_int_equal(topology_synth(&t, 8, 0, 2, NULL), -EINVAL);
	assert_int_equal(topology_synth(&t, 0, 1, 1, NULL), -EINVAL);
	assert_int_equal(topology_synth(&t, 9, 1, 1, on), -EINVAL); /* size mismatch */
	cpumask_free(on);

	assert_int_equal(topology_synth(&t, 4096, 64, 2, NULL), 0);
	assert_int_equal(t->nr_llcs, 64);
	assert_int_equal(t->nr_cores, 2048);
	topology_free(t);
}

/* Sizes in CPUs of the virtual LLCs of @t under [min, max]; returns the number of groups. */
static int vsizes(const struct topology *t, unsigned int min, unsigned int max, int *vllc,
		  unsigned int *size)
{
	int n = topology_virt_llc(t, min, max, vllc);

	for (int g = 0; g < n; g++)
		size[g] = 0;
	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++)
		if (vllc[cpu] >= 0)
			size[vllc[cpu]]++;
	return n;
}

static void test_virt_llc_examples(void **state)
{
	struct topology *t;
	unsigned int size[64];
	int v[64];

	(void)state;
	/* 8 cores in one LLC, 2-3: 3,3,2, in CPU order */
	assert_int_equal(topology_synth(&t, 8, 8, 1, NULL), 0);
	assert_int_equal(vsizes(t, 2, 3, v, size), 3);
	assert_int_equal(size[0], 3);
	assert_int_equal(size[1], 3);
	assert_int_equal(size[2], 2);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[2], 0);
	assert_int_equal(v[3], 1);
	assert_int_equal(v[6], 2);
	assert_int_equal(v[7], 2);
	/* 2-4: 4,4; an LLC no larger than MAX stays whole; MIN above MAX/2: MIN wins */
	assert_int_equal(vsizes(t, 2, 4, v, size), 2);
	assert_int_equal(size[0], 4);
	assert_int_equal(vsizes(t, 1, 8, v, size), 1);
	assert_int_equal(vsizes(t, 5, 5, v, size), 1); /* 8 cores: 5+3 breaks MIN, so one of 8 */
	assert_int_equal(size[0], 8);
	assert_int_equal(vsizes(t, 1, 1, v, size), 8);
	assert_int_equal(topology_virt_llc(t, 0, 3, v), -EINVAL);
	assert_int_equal(topology_virt_llc(t, 4, 3, v), -EINVAL);
	topology_free(t);

	/* 10 cores, 2-4: 4,3,3 */
	assert_int_equal(topology_synth(&t, 10, 10, 1, NULL), 0);
	assert_int_equal(vsizes(t, 2, 4, v, size), 3);
	assert_int_equal(size[0], 4);
	assert_int_equal(size[1], 3);
	assert_int_equal(size[2], 3);
	topology_free(t);

	/* SMT siblings stay together: 16 CPUs, 8 cores of 2, groups of 2-3 cores: 3,3,2 cores */
	assert_int_equal(topology_synth(&t, 16, 16, 2, NULL), 0);
	assert_int_equal(vsizes(t, 2, 3, v, size), 3);
	assert_int_equal(size[0], 6);
	assert_int_equal(size[2], 4);
	for (unsigned int cpu = 0; cpu < 16; cpu += 2)
		assert_int_equal(v[cpu], v[cpu + 1]);
	topology_free(t);

	/* Groups never span LLCs: 2 LLCs of 8 cores, 2-4: ids 0,1 in the first, 2,3 in the other */
	assert_int_equal(topology_synth(&t, 16, 8, 1, NULL), 0);
	assert_int_equal(vsizes(t, 2, 4, v, size), 4);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[7], 1);
	assert_int_equal(v[8], 2);
	assert_int_equal(v[15], 3);
	topology_free(t);
}

static void test_virt_llc_offline(void **state)
{
	struct cpumask *on = cpumask_alloc(8);
	struct topology *t;
	unsigned int size[8];
	int v[8];

	(void)state;
	assert_non_null(on);
	cpumask_fill(on);
	cpumask_clear(on, 3);
	/* 7 online cores, 2-3: 3,2,2 over the online ones; the offline CPU has none */
	assert_int_equal(topology_synth(&t, 8, 8, 1, on), 0);
	assert_int_equal(vsizes(t, 2, 3, v, size), 3);
	assert_int_equal(v[3], -1);
	assert_int_equal(size[0], 3);
	assert_int_equal(size[1], 2);
	assert_int_equal(size[2], 2);
	assert_int_equal(v[2], 0); /* online cores 0,1,2 | 4,5 | 6,7 */
	assert_int_equal(v[4], 1);
	assert_int_equal(v[5], 1);
	assert_int_equal(v[6], 2);
	topology_free(t);
	cpumask_free(on);
}

/* A core that sysfs puts in two LLCs counts as one core in each; its siblings stay together. */
static void test_virt_llc_core_in_two_llcs(void **state)
{
	struct topology *t;
	int v[4];

	(void)state;
	assert_int_equal(topology_synth(&t, 4, 4, 4, NULL), 0); /* one core of 4 CPUs */
	t->llc_id[2] = t->llc_id[3] = 1;			/* ... over two LLCs */
	t->nr_llcs = 2;
	assert_int_equal(topology_virt_llc(t, 1, 1, v), 2);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], 0);
	assert_int_equal(v[2], 1);
	assert_int_equal(v[3], 1);
	topology_free(t);
}

/* Every n, MIN, MAX: balanced, contiguous, within [MIN, MAX] whenever a balanced split can be. */
static void test_virt_llc_property(void **state)
{
	unsigned int size[64];
	int v[64];

	(void)state;
	for (unsigned int n = 1; n <= 64; n++) {
		struct topology *t;

		assert_int_equal(topology_synth(&t, n, n, 1, NULL), 0);
		for (unsigned int min = 1; min <= 8; min++) {
			for (unsigned int max = min; max <= 8; max++) {
				int k = vsizes(t, min, max, v, size);
				unsigned int lo = n, hi = 0;

				assert_true(k >= 1 && (unsigned int)k <= n);
				for (unsigned int cpu = 1; cpu < n; cpu++)
					assert_true(v[cpu] == v[cpu - 1] ||
						    v[cpu] == v[cpu - 1] + 1);
				for (int g = 0; g < k; g++) {
					lo = size[g] < lo ? size[g] : lo;
					hi = size[g] > hi ? size[g] : hi;
				}
				assert_true(hi - lo <= 1);
				if (n <= max) {
					assert_int_equal(k, 1);
					continue;
				}
				assert_true(lo >= min); /* MIN is a floor */
				/* MAX holds unless MIN forced fewer, larger groups */
				if ((n / ((n + max - 1) / max)) >= min)
					assert_true(hi <= max);
			}
		}
		topology_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_llcs_smt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interleaved_llcs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_and_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_present_sizes_when_no_possible, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_cache_one_llc_per_package, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_cache_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_core_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_file_is_an_error, setup, teardown),
		cmocka_unit_test(test_real_sysfs),
		cmocka_unit_test(test_synth),
		cmocka_unit_test(test_virt_llc_examples),
		cmocka_unit_test(test_virt_llc_offline),
		cmocka_unit_test(test_virt_llc_core_in_two_llcs),
		cmocka_unit_test(test_virt_llc_property),
	};
	return cmocka_run_group_tests_name("topology", tests, NULL, NULL);
}
