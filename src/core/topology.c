// SPDX-License-Identifier: GPL-2.0
/*
 * topology - read CPU/LLC/core layout from sysfs, or build a synthetic one. See topology.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "readfile.h"
#include "topology.h"
#include "util.h"

#define CPU_DIR "devices/system/cpu"

/* Parse a decimal int with an optional trailing newline and nothing else. */
static int parse_int(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* read_small_file() of a sysfs attribute; -ENOENT without a message (callers decide a fallback). */
static int read_attr(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int ret = read_small_file(path, buf, len);

	if (ret < 0 && ret != -ENOENT)
		set_err(err, errlen, "cannot read %s: %s", path, strerror(-ret));
	return ret;
}

/*
 * Read an integer file. Returns 0, -ENOENT when missing (callers decide a fallback) or another
 * -errno with @err set.
 */
static int read_int(const char *path, long *out, char *err, size_t errlen)
{
	char buf[64];
	int ret = read_attr(path, buf, sizeof(buf), err, errlen);

	if (ret < 0)
		return ret;
	if (parse_int(buf, out)) {
		set_err(err, errlen, "%s does not hold an integer; is %s really sysfs?", path,
			path);
		return -EINVAL;
	}
	return 0;
}

/* Parse a cpulist file into @m; missing file is -ENOENT without message. */
static int read_cpulist(const char *path, struct cpumask *m, char *err, size_t errlen)
{
	char buf[8192], perr[256];
	int ret = read_attr(path, buf, sizeof(buf), err, errlen);

	if (ret < 0)
		return ret;
	ret = cpumask_parse(m, buf, perr, sizeof(perr));
	if (ret)
		set_err(err, errlen, "%s: %s", path, perr);
	return ret;
}

/*
 * Largest CPU number in a cpulist file + 1, or 0 if the file is missing. Used to size masks before
 * we know how big they must be, so it parses with the largest possible mask.
 */
static int cpulist_span(const char *path, unsigned int *span, char *err, size_t errlen)
{
	struct cpumask *m = cpumask_alloc(CPUMASK_MAX_CPUS);
	int ret, last = -1;

	if (!m)
		return -ENOMEM;
	ret = read_cpulist(path, m, err, errlen);
	if (ret == -ENOENT) {
		*span = 0;
		ret = 0;
	} else if (ret == 0) {
		cpumask_for_each(cpu, m)
			last = cpu;
		*span = (unsigned int)(last + 1);
	}
	cpumask_free(m);
	return ret;
}

static struct topology *topo_alloc(unsigned int nr_cpus)
{
	struct topology *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nr_cpus = nr_cpus;
	t->online = cpumask_alloc(nr_cpus);
	t->llc_id = malloc(nr_cpus * sizeof(int));
	t->core_id = malloc(nr_cpus * sizeof(int));
	if (!t->online || !t->llc_id || !t->core_id) {
		topology_free(t);
		return NULL;
	}
	for (unsigned int i = 0; i < nr_cpus; i++)
		t->llc_id[i] = t->core_id[i] = -1;
	return t;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	cpumask_free(t->online);
	free(t->llc_id);
	free(t->core_id);
	free(t);
}

/*
 * Replace the raw keys in @ids (arbitrary non-negative longs stored per online CPU in @raw) by
 * dense ids in order of the lowest online CPU carrying each key. O(cpus × distinct keys) worst
 * case would be too slow for 64k CPUs with per-CPU cores, so sort (key, cpu) pairs instead.
 */
struct key_cpu {
	long key;
	int cpu;
};

static int cmp_key_cpu(const void *a, const void *b)
{
	const struct key_cpu *x = a, *y = b;

	return x->key != y->key ? CMP(x->key, y->key) : CMP(x->cpu, y->cpu);
}

static int cmp_first_cpu(const void *a, const void *b)
{
	const struct key_cpu *x = a, *y = b;

	return CMP(x->cpu, y->cpu);
}

static int densify(const struct topology *t, const long *raw, int *ids, unsigned int *nr_out)
{
	unsigned int n = cpumask_weight(t->online), k = 0, nr = 0;
	struct key_cpu *v = malloc((n ? n : 1) * sizeof(*v));
	struct key_cpu *first = malloc((n ? n : 1) * sizeof(*first));

	if (!v || !first) {
		free(v);
		free(first);
		return -ENOMEM;
	}
	cpumask_for_each(cpu, t->online)
		v[k++] = (struct key_cpu){raw[cpu], cpu};
	qsort(v, n, sizeof(*v), cmp_key_cpu);
	/* One entry per distinct key, carrying its lowest CPU. */
	for (unsigned int i = 0; i < n; i++)
		if (i == 0 || v[i].key != v[i - 1].key)
			first[nr++] = v[i];
	qsort(first, nr, sizeof(*first), cmp_first_cpu);
	/* Reuse key field of @first as "dense id"; map each CPU through a binary search on keys. */
	for (unsigned int i = 0; i < nr; i++) {
		struct key_cpu probe = {first[i].key, INT_MIN};
		size_t lo = 0, hi = n;

		/* Find the key's run in the sorted @v and stamp the dense id on all its CPUs. */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (cmp_key_cpu(&v[mid], &probe) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < n && v[j].key == first[i].key; j++)
			ids[v[j].cpu] = (int)i;
	}
	*nr_out = nr;
	free(v);
	free(first);
	return 0;
}

/* Fill llc_id/core_id/nr_* from raw keys; offline CPUs get -1. */
static int finalize(struct topology *t, const long *llc_raw, const long *core_raw)
{
	int ret;

	for (unsigned int i = 0; i < t->nr_cpus; i++)
		t->llc_id[i] = t->core_id[i] = -1;
	ret = densify(t, llc_raw, t->llc_id, &t->nr_llcs);
	if (!ret)
		ret = densify(t, core_raw, t->core_id, &t->nr_cores);
	return ret;
}

int topology_synth(struct topology **out, unsigned int nr_cpus, unsigned int cpus_per_llc,
		   unsigned int smt, const struct cpumask *online)
{
	struct topology *t;
	long *llc, *core;
	int ret = -ENOMEM;

	*out = NULL;
	if (!nr_cpus || nr_cpus > CPUMASK_MAX_CPUS || !cpus_per_llc || !smt ||
	    (online && (online->nbits != nr_cpus || cpumask_empty(online))))
		return -EINVAL;
	t = topo_alloc(nr_cpus);
	llc = malloc(nr_cpus * sizeof(long));
	core = malloc(nr_cpus * sizeof(long));
	if (!t || !llc || !core)
		goto out;
	if (online)
		cpumask_copy(t->online, online);
	else
		cpumask_fill(t->online);
	for (unsigned int i = 0; i < nr_cpus; i++) {
		llc[i] = i / cpus_per_llc;
		/* Cores never straddle LLCs, even when smt does not divide cpus_per_llc. */
		core[i] = (long)(i / cpus_per_llc) * (long)cpus_per_llc + (i % cpus_per_llc) / smt;
	}
	ret = finalize(t, llc, core);
out:
	free(llc);
	free(core);
	if (ret)
		topology_free(t);
	else
		*out = t;
	return ret;
}

/*
 * LLC key of @cpu from its cache directories: the lowest CPU sharing the highest-level cache
 * (equal levels: the lowest index, so the answer does not depend on readdir order). Index
 * directories are found by listing, as numbering gaps exist on some machines.
 * Returns 0 with *@key set, -ENOENT when the CPU has no usable cache info, or -errno with @err.
 */
static int llc_key(const char cpudir[PATH_MAX - 128], unsigned int cpu, struct cpumask *tmp,
		   long *key, char *err, size_t errlen)
{
	long best_level = -1, best_index = -1;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*key = -1;
	snprintf(path, sizeof(path), "%s/cpu%u/cache", cpudir, cpu);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		long level, index;
		char *end;

		if (strncmp(de->d_name, "index", 5) || de->d_name[5] < '0' || de->d_name[5] > '9')
			continue;
		index = strtol(de->d_name + 5, &end, 10);
		if (*end || index > INT_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/cpu%u/cache/index%ld/level", cpudir, cpu, index);
		ret = read_int(path, &level, err, errlen);
		if (ret == -ENOENT)
			continue; /* an index without level says nothing about sharing */
		if (ret)
			break;
		if (level < best_level || (level == best_level && index > best_index))
			continue;
		snprintf(path, sizeof(path), "%s/cpu%u/cache/index%ld/shared_cpu_list", cpudir, cpu,
			 index);
		ret = read_cpulist(path, tmp, err, errlen);
		if (ret == -ENOENT)
			continue;
		if (ret)
			break;
		if (cpumask_empty(tmp))
			continue;
		best_level = level;
		best_index = index;
		*key = cpumask_first(tmp);
	}
	closedir(d);
	if (ret && ret != -ENOENT)
		return ret;
	return *key < 0 ? -ENOENT : 0;
}

int topology_load(struct topology **out, const char *sysfs_root, char *err, size_t errlen)
{
	/* Room for the longest suffix we append, so paths can never be cut silently. */
	char cpudir[PATH_MAX - 128], path[PATH_MAX];
	unsigned int span_online, span_possible, span_present, nr;
	struct topology *t = NULL;
	struct cpumask *tmp = NULL;
	long *llc = NULL, *core = NULL, *pkg = NULL;
	int ret;

	*out = NULL;
	if (strlen(sysfs_root) + sizeof(CPU_DIR) + 1 >= sizeof(cpudir)) {
		set_err(err, errlen, "sysfs root '%.64s...' is too long", sysfs_root);
		return -ENAMETOOLONG;
	}
	snprintf(cpudir, sizeof(cpudir), "%s/%s", sysfs_root, CPU_DIR);
	snprintf(path, sizeof(path), "%s/online", cpudir);
	ret = cpulist_span(path, &span_online, err, errlen);
	if (ret)
		return ret;
	if (span_online == 0) {
		FILE *f = fopen(path, "re");

		if (f)
			fclose(f);
		set_err(err, errlen,
			f ? "%s lists no CPU; a running system has at least one online CPU"
			  : "cannot read %s: no such file; is sysfs mounted at %s?",
			path, sysfs_root);
		return f ? -EINVAL : -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/possible", cpudir);
	ret = cpulist_span(path, &span_possible, err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/present", cpudir);
	ret = cpulist_span(path, &span_present, err, errlen);
	if (ret)
		return ret;
	nr = span_online;
	if (span_possible > nr)
		nr = span_possible;
	if (!span_possible && span_present > nr)
		nr = span_present;

	ret = -ENOMEM;
	t = topo_alloc(nr);
	tmp = cpumask_alloc(nr);
	llc = calloc(nr, sizeof(long));
	core = calloc(nr, sizeof(long));
	pkg = calloc(nr, sizeof(long));
	if (!t || !tmp || !llc || !core || !pkg) {
		set_err(err, errlen, "out of memory reading topology of %u CPUs", nr);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/online", cpudir);
	ret = read_cpulist(path, t->online, err, errlen);
	if (ret)
		goto out;

	cpumask_for_each(cpu, t->online) {
		long cid, pid;

		snprintf(path, sizeof(path), "%s/cpu%d/topology/physical_package_id", cpudir, cpu);
		ret = read_int(path, &pid, err, errlen);
		if (ret == -ENOENT)
			pid = 0;
		else if (ret)
			goto out;
		snprintf(path, sizeof(path), "%s/cpu%d/topology/core_id", cpudir, cpu);
		ret = read_int(path, &cid, err, errlen);
		if (ret == -ENOENT)
			cid = -1; /* no info: a core of its own, below */
		else if (ret)
			goto out;
		if (pid < -1 || pid >= INT_MAX || cid < -1 || cid > INT_MAX) {
			set_err(err, errlen, "cpu%d has package %ld / core %ld out of range in %s",
				cpu, pid, cid, cpudir);
			ret = -EINVAL;
			goto out;
		}
		pkg[cpu] = pid + 1; /* -1 ("unknown") becomes its own package 0 */
		/*
		 * Core ids repeat across packages; make them unique by package (pkg < 2^31, cid <
		 * 2^31, so the key is below 2^62). CPUs without a core id get keys above that.
		 */
		if (cid < 0)
			core[cpu] = (3L << 61) + cpu;
		else
			core[cpu] = (pkg[cpu] << 31) + cid;

		ret = llc_key(cpudir, (unsigned int)cpu, tmp, &llc[cpu], err, errlen);
		if (ret == -ENOENT)
			llc[cpu] = (long)nr + pkg[cpu]; /* one LLC per package */
		else if (ret)
			goto out;
	}
	ret = finalize(t, llc, core);
	if (ret)
		set_err(err, errlen, "out of memory reading topology of %u CPUs", nr);
out:
	free(llc);
	free(core);
	free(pkg);
	cpumask_free(tmp);
	if (ret)
		topology_free(t);
	else
		*out = t;
	return ret;
}

/* Group of the core with ordinal @o among @n cores split into @k balanced groups. */
static unsigned int vllc_group(unsigned int o, unsigned int n, unsigned int k)
{
	unsigned int q = n / k, r = n % k;

	if (o < r * (q + 1))
		return o / (q + 1);
	return r + (o - r * (q + 1)) / q;
}

/* Groups for an LLC of @n cores under [@min, @max]; see topology.h. */
static unsigned int vllc_count(unsigned int n, unsigned int min, unsigned int max)
{
	unsigned int k;

	if (n <= max)
		return 1;
	k = (n + max - 1) / max;
	if (n / k < min)
		k = n / min ? n / min : 1;
	return k;
}

int topology_virt_llc(const struct topology *t, unsigned int min, unsigned int max, int *vllc)
{
	unsigned int *ncores = NULL, *base = NULL, *ngroups = NULL, nr = 0;
	int *ord = NULL, *core_llc = NULL, *cpu_ord = NULL, ret = -ENOMEM;

	if (!min || min > max)
		return -EINVAL;
	ncores = calloc(t->nr_llcs + 1, sizeof(*ncores));
	base = calloc(t->nr_llcs + 1, sizeof(*base));
	ngroups = calloc(t->nr_llcs + 1, sizeof(*ngroups));
	ord = malloc((t->nr_cores + 1) * sizeof(*ord));
	core_llc = malloc((t->nr_cores + 1) * sizeof(*core_llc));
	cpu_ord = malloc((t->nr_cpus + 1) * sizeof(*cpu_ord));
	if (!ncores || !base || !ngroups || !ord || !core_llc || !cpu_ord)
		goto out;
	for (unsigned int c = 0; c < t->nr_cores; c++)
		ord[c] = -1;
	/*
	 * Ordinal of each core within its LLC, in order of its lowest CPU. A core whose CPUs sysfs
	 * puts in two LLCs counts as a core of its own in each (a group never spans LLCs).
	 */
	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++) {
		int l = t->llc_id[cpu], c = t->core_id[cpu];

		cpu_ord[cpu] = -1;
		if (l < 0 || c < 0)
			continue;
		if (ord[c] < 0) {
			ord[c] = (int)ncores[l]++;
			core_llc[c] = l;
		}
		if (core_llc[c] == l) {
			cpu_ord[cpu] = ord[c];
			continue;
		}
		/* Odd: a sibling of this CPU in the same LLC, if any, already has the ordinal. */
		for (unsigned int b = 0; b < cpu && cpu_ord[cpu] < 0; b++)
			if (t->llc_id[b] == l && t->core_id[b] == c)
				cpu_ord[cpu] = cpu_ord[b];
		if (cpu_ord[cpu] < 0)
			cpu_ord[cpu] = (int)ncores[l]++;
	}
	for (unsigned int l = 0; l < t->nr_llcs; l++) {
		ngroups[l] = ncores[l] ? vllc_count(ncores[l], min, max) : 0;
		base[l] = nr;
		nr += ngroups[l];
	}
	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++) {
		int l = t->llc_id[cpu];

		vllc[cpu] = cpu_ord[cpu] < 0
				    ? -1
				    : (int)(base[l] + vllc_group((unsigned int)cpu_ord[cpu],
								 ncores[l], ngroups[l]));
	}
	ret = (int)nr;
out:
	free(ncores);
	free(base);
	free(ngroups);
	free(ord);
	free(core_llc);
	free(cpu_ord);
	return ret;
}
