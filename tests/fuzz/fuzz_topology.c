// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_topology - topology_load() on a fake sysfs tree whose key files come from the input.
 *
 * The tree is built once (in /dev/shm when possible, so rewriting files costs no disk I/O):
 *   devices/system/cpu/possible                    "0-7"
 *   devices/system/cpu/cpuN/topology/...           N = 0..7, SMT pairs, 4 CPUs per package
 *   devices/system/cpu/cpuN/cache/index0/          L1, private to cpuN
 *   devices/system/cpu/cpuN/cache/index3/          L3, shared_cpu_list -> ../../../llc_list
 * The input is split at NUL bytes into up to three parts, each written verbatim:
 *   1. devices/system/cpu/online
 *   2. devices/system/cpu/llc_list, the L3 shared_cpu_list of every CPU (absent: file removed)
 *   3. cpu1/topology/core_id (absent: "0", its regular value)
 * so a seed reads like "0-3\n" NUL "0-7\n" NUL "5\n". CPUs listed online beyond 7 have no
 * directory at all, which takes the "no information" fallbacks. To keep runs fast, an online list
 * of more than 64 CPUs is skipped (the per-CPU loop would only repeat the same file reads).
 *
 * Properties checked beyond "no sanitizer report":
 *   - failure: a negative errno, a message, *out NULL;
 *   - success: nr_cpus = max(8, highest online + 1); the online mask is what cpumask_parse()
 *     makes of the online file; online CPUs and only they have ids; ids are dense and numbered
 *     in order of their lowest CPU (topology.h); CPUs without a directory have cores of their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpumask.h"
#include "topology.h"
#include "fixture.h"
#include "fuzz.h"

#define FAKE_CPUS  8
#define MAX_ONLINE 64

static char root[PATH_MAX];
static char cpudir[PATH_MAX];

static void put(const char *rel, const void *data, size_t size)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cpudir, rel);
	ret = fx_write(path, data, size);
	FUZZ_CHECK(!ret, "cannot write %s: %s", path, strerror(-ret));
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cpudir, rel);
	ret = fx_mkdirs(path);
	FUZZ_CHECK(!ret, "mkdir %s: %s", path, strerror(-ret));
}

static void cleanup(void)
{
	fx_rm_rf(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	char rel[PATH_MAX], val[32];

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "%s/scx_cells_fuzz_topology.XXXXXX", base);
	FUZZ_CHECK(mkdtemp(root), "mkdtemp in %s", base);
	atexit(cleanup);
	snprintf(cpudir, sizeof(cpudir), "%s/devices/system/cpu", root);
	mkdirs("");
	put_str("possible", "0-7\n");
	for (int cpu = 0; cpu < FAKE_CPUS; cpu++) {
		snprintf(rel, sizeof(rel), "cpu%d/topology", cpu);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "cpu%d/topology/core_id", cpu);
		snprintf(val, sizeof(val), "%d\n", cpu % 4 / 2);
		put_str(rel, val);
		snprintf(rel, sizeof(rel), "cpu%d/topology/physical_package_id", cpu);
		snprintf(val, sizeof(val), "%d\n", cpu / 4);
		put_str(rel, val);

		snprintf(rel, sizeof(rel), "cpu%d/cache/index0", cpu);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "cpu%d/cache/index0/level", cpu);
		put_str(rel, "1\n");
		snprintf(rel, sizeof(rel), "cpu%d/cache/index0/shared_cpu_list", cpu);
		snprintf(val, sizeof(val), "%d\n", cpu);
		put_str(rel, val);

		snprintf(rel, sizeof(rel), "cpu%d/cache/index3", cpu);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "cpu%d/cache/index3/level", cpu);
		put_str(rel, "3\n");
		snprintf(rel, sizeof(rel), "%s/cpu%d/cache/index3/shared_cpu_list", cpudir, cpu);
		FUZZ_CHECK(!symlink("../../../llc_list", rel), "symlink %s", rel);
	}
	return 0;
}

/* Input part @idx (0-based) split at NUL bytes; false if the input has fewer parts. */
static bool part(const uint8_t *data, size_t size, int idx, const uint8_t **p, size_t *n)
{
	const uint8_t *s = data, *end = data + size, *z;

	for (int i = 0; i < idx; i++) {
		z = memchr(s, '\0', (size_t)(end - s));
		if (!z)
			return false;
		s = z + 1;
	}
	z = memchr(s, '\0', (size_t)(end - s));
	*p = s;
	*n = z ? (size_t)(z - s) : (size_t)(end - s);
	return true;
}

static void check_ids(const struct topology *t, const int *ids, unsigned int nr, const char *what)
{
	int next = 0;

	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++) {
		if (!cpumask_test(t->online, cpu)) {
			FUZZ_CHECK(ids[cpu] == -1, "offline cpu%u has %s id %d", cpu, what,
				   ids[cpu]);
			continue;
		}
		FUZZ_CHECK(ids[cpu] >= 0 && ids[cpu] <= next && (unsigned int)ids[cpu] < nr,
			   "cpu%u has %s id %d, expected <= %d (nr %u)", cpu, what, ids[cpu], next,
			   nr);
		if (ids[cpu] == next)
			next++;
	}
	FUZZ_CHECK((unsigned int)next == nr, "%u %ss but ids 0..%d used", nr, what, next - 1);
}

static void check_topology(const struct topology *t, const char *online_text)
{
	struct cpumask *want;
	int last = -1;

	FUZZ_CHECK(t->online && t->online->nbits == t->nr_cpus, "online mask size");
	cpumask_for_each(cpu, t->online)
		last = cpu;
	FUZZ_CHECK(last >= 0, "loaded a topology without online CPUs");
	FUZZ_CHECK(t->nr_cpus == (last + 1 > FAKE_CPUS ? (unsigned int)last + 1 : FAKE_CPUS),
		   "nr_cpus %u with highest online CPU %d and possible 0-7", t->nr_cpus, last);

	want = cpumask_alloc(t->nr_cpus);
	FUZZ_CHECK(want, "out of memory");
	FUZZ_CHECK(cpumask_parse(want, online_text, NULL, 0) == 0,
		   "online accepted by one parse only");
	FUZZ_CHECK(cpumask_equal(want, t->online), "online mask differs from the online file");
	cpumask_free(want);

	check_ids(t, t->llc_id, t->nr_llcs, "llc");
	check_ids(t, t->core_id, t->nr_cores, "core");
	/* no core_id file: a core of its own */
	cpumask_for_each(a, t->online) {
		if (a < FAKE_CPUS)
			continue;
		cpumask_for_each(b, t->online)
			FUZZ_CHECK(a == b || t->core_id[a] != t->core_id[b],
				   "cpu%d without topology shares core %d with cpu%d", a,
				   t->core_id[a], b);
	}
}

/*
 * --virt-llc on whatever topology came out: every online CPU has a group and only they; groups
 * are dense, never span LLCs, and SMT siblings share theirs.
 */
static void check_virt_llc(const struct topology *t, unsigned int min, unsigned int max)
{
	int *v = calloc(t->nr_cpus, sizeof(*v)), n;

	FUZZ_CHECK(v, "out of memory");
	n = topology_virt_llc(t, min, max, v);
	FUZZ_CHECK(n >= (int)(t->nr_llcs ? 1 : 0) && n <= (int)t->nr_cpus, "%d groups", n);
	for (unsigned int a = 0; a < t->nr_cpus; a++) {
		FUZZ_CHECK((v[a] < 0) == (t->llc_id[a] < 0) && v[a] < n, "cpu %u group %d", a,
			   v[a]);
		for (unsigned int b = 0; v[a] >= 0 && b < a; b++) {
			if (v[b] == v[a])
				FUZZ_CHECK(t->llc_id[b] == t->llc_id[a], "group %d spans LLCs",
					   v[a]);
			if (t->core_id[b] == t->core_id[a] && t->llc_id[b] == t->llc_id[a])
				FUZZ_CHECK(v[b] == v[a], "core %d split", t->core_id[a]);
		}
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t n;
	char *online, err[512], llc_path[PATH_MAX];
	struct topology *t = (struct topology *)&t; /* must be overwritten */
	struct cpumask *m;
	int ret;

	part(data, size, 0, &p, &n);
	online = fuzz_strndup(p, n);
	m = cpumask_alloc(CPUMASK_MAX_CPUS);
	FUZZ_CHECK(m, "out of memory");
	ret = cpumask_parse(m, online, NULL, 0) == 0 && cpumask_weight(m) > MAX_ONLINE;
	cpumask_free(m);
	if (ret) {
		free(online);
		return -1; /* slow and says nothing new; keep it out of the corpus */
	}
	put("online", p, n);

	snprintf(llc_path, sizeof(llc_path), "%s/llc_list", cpudir);
	if (part(data, size, 1, &p, &n))
		put("llc_list", p, n);
	else
		FUZZ_CHECK(!unlink(llc_path) || errno == ENOENT, "unlink %s", llc_path);

	if (part(data, size, 2, &p, &n))
		put("cpu1/topology/core_id", p, n);
	else
		put_str("cpu1/topology/core_id", "0\n");

	err[0] = '\0';
	ret = topology_load(&t, root, err, sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret < 0 && ret > -4096, "return %d", ret);
		FUZZ_CHECK(!t, "*out not NULL after error %d", ret);
		FUZZ_CHECK(err[0], "error %d without a message", ret);
	} else {
		FUZZ_CHECK(t, "success without a topology");
		check_topology(t, online);
		check_virt_llc(t, 1, 1);
		check_virt_llc(t, 1, 2);
		check_virt_llc(t, 2, 3);
		topology_free(t);
	}
	free(online);
	return 0;
}
