/* SPDX-License-Identifier: GPL-2.0 */
/*
 * topology - which CPUs are online and how they share last-level caches and SMT cores.
 *
 * The planner packs a cell's CPUs by LLC and by core, so it only needs, for each online CPU, a
 * dense LLC id and a dense core id. Both are renumbered 0..n-1 in order of the lowest online CPU
 * that has them, so they are stable for a given machine and independent of how sysfs numbers
 * packages or caches. Offline CPUs have id -1 everywhere.
 *
 * The sysfs root is a parameter so tests can point it at a fixture tree.
 */
#ifndef SCX_CELLS_TOPOLOGY_H
#define SCX_CELLS_TOPOLOGY_H

#include <stddef.h>

#include "cpumask.h"

struct topology {
	unsigned int nr_cpus;	/* possible CPUs; the size of every mask in a plan */
	struct cpumask *online; /* nr_cpus bits */
	unsigned int nr_llcs;	/* distinct LLCs among online CPUs */
	unsigned int nr_cores;	/* distinct SMT cores among online CPUs */
	int *llc_id;		/* [nr_cpus]: 0..nr_llcs-1, -1 when offline */
	int *core_id;		/* [nr_cpus]: 0..nr_cores-1, unique across packages, -1 offline */
};

/*
 * Read the topology below @sysfs_root (normally "/sys"):
 *   devices/system/cpu/online           required, at least one CPU
 *   devices/system/cpu/possible|present the mask size (largest of these and online wins)
 *   cpuN/topology/core_id, physical_package_id   missing: own core / package 0
 *   cpuN/cache/indexK/{level,shared_cpu_list}    the highest level is the LLC, identified by the
 *                                                lowest CPU sharing it; no cache info at all for
 *                                                a CPU: one LLC per package
 * Returns 0 and a new topology in *@out, or -errno with a one-line message in @err naming the file.
 */
int topology_load(struct topology **out, const char *sysfs_root, char *err, size_t errlen);

/*
 * Synthetic topology for tests and benchmarks: @nr_cpus CPUs, consecutive groups of
 * @cpus_per_llc share an LLC, consecutive groups of @smt (within an LLC) share a core.
 * @online: NULL for all online, else a mask of @nr_cpus bits (must hold ≥ 1 CPU).
 * Returns 0 or -EINVAL / -ENOMEM.
 */
int topology_synth(struct topology **out, unsigned int nr_cpus, unsigned int cpus_per_llc,
		   unsigned int smt, const struct cpumask *online);

void topology_free(struct topology *t);

/*
 * Virtual LLCs (--virt-llc MIN-MAX): split every LLC of @t into groups of MIN..MAX cores, so a
 * cell's queue is shared by a few cores, not by every core of a large cache. Rule, per LLC of n
 * cores (SMT siblings always stay together; cores in order of their lowest CPU):
 *   - n <= @max: one group (an LLC smaller than @min cannot be made larger);
 *   - else k = ceil(n / @max) groups, balanced: sizes differ by at most one, the larger first
 *     (8 cores, 2-3: 3,3,2; 8 cores, 2-4: 4,4; 10 cores, 2-4: 4,3,3);
 *   - if that leaves a group below @min (only when @min > @max / 2, e.g. 4 cores, 3-3), k drops to
 *     floor(n / @min): @min is a floor, and the groups then exceed @max by the remainder
 *     (4 cores, 3-3: one group of 4).
 * Groups never span LLCs. Writes a dense group id per CPU to @vllc[t->nr_cpus] (-1 offline), in
 * order of LLC and then group, and returns the number of groups, or -EINVAL (min 0, min > max)
 * or -ENOMEM.
 */
int topology_virt_llc(const struct topology *t, unsigned int min, unsigned int max, int *vllc);

#endif /* SCX_CELLS_TOPOLOGY_H */
