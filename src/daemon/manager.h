/* SPDX-License-Identifier: GPL-2.0 */
/*
 * manager - ties the cell registry, the topology and the planner together: turns the current
 * cgroup tree into a validated plan, keeps the plan in force (so the next one can be stable
 * against it) and converts it into what the BPF side reads. view_plan.h renders plans,
 * logmsg.h logs them.
 *
 * No BPF here: manager_decide() says whether and what to publish, the daemon hands that to
 * sched_publish() and then to manager_commit(); the dry run prints the plan instead. Reads only
 * the cgroup tree and the sysfs root it is given.
 */
#ifndef SCX_CELLS_MANAGER_H
#define SCX_CELLS_MANAGER_H

#include <stdbool.h>
#include <stddef.h>

#include "cells.h"
#include "plan.h"
#include "sched.h"
#include "topology.h"

struct manager_cfg {
	/* root of the registry: the resolved parent cgroup, or with @config the cgroup2 mount;
	 * NULL = root cell only */
	const char *parent;
	const struct cellconfig *config; /* --cell-config rules (copied); NULL: "*" below @parent */
	const char *const *exclude;	 /* child basenames kept in the root cell */
	unsigned int nr_exclude;
	unsigned int max_cells;	     /* cell slots including the root cell */
	unsigned int cell0_min_cpus; /* CPUs the root cell always keeps (when there are enough) */
	const char *sysfs_root;	     /* topology source, normally "/sys" */
	bool equal_shares;	     /* --equal-shares: ignore cpu.weight (caps still apply) */
};

struct manager;

/*
 * Load the topology and scan the parent. @diff (may be NULL) reports every cell found as
 * created. Returns 0 or -errno with a one-line message in @err.
 */
int manager_new(const struct manager_cfg *cfg, struct manager **out, struct cells_diff *diff,
		char *err, size_t errlen);
void manager_free(struct manager *m);

/*
 * Re-read the topology (after CPU hotplug). The plan in force stays as the stability reference
 * for the next plan (the planner ignores owners of CPUs that went offline). Returns 0 or -errno
 * with a message; on error the old topology stays.
 */
int manager_reload_topology(struct manager *m, char *err, size_t errlen);

/* The registry (for rescans, the inotify fd, cell lookups) and the topology. */
struct cells *manager_cells(struct manager *m);
const struct topology *manager_topology(const struct manager *m);

/*
 * Replace the rules (--cell-config reload) and rescan; @diff as for cells_set_config(). The plan
 * in force stays the stability reference. Returns 0 or -errno with a message; on error the old
 * rules and cells stay.
 */
int manager_set_config(struct manager *m, const struct cellconfig *config, struct cells_diff *diff,
		       char *err, size_t errlen);

/*
 * Compute and validate a plan for the current cells. @weights, indexed by cell id (size
 * cells_max()), may be NULL for equal weights. The plan in force, if any, is the stability
 * reference. On success *@out is a new plan the caller commits or frees.
 */
int manager_plan(struct manager *m, const double *weights, struct plan **out, char *err,
		 size_t errlen);

/* The plan in force (NULL before the first commit or after a topology change of size). */
const struct plan *manager_current(const struct manager *m);

/* What manager_decide() found. */
struct manager_decision {
	struct plan *plan;     /* new and validated when @publish; NULL otherwise */
	unsigned int nr_slots; /* cell slots of the BPF form to publish (highest id + 1) */
	unsigned int moved;    /* CPUs whose owner differs from the plan in force */
	bool publish;	       /* differs from the plan in force, or forced */
};

/*
 * The one decision of a re-plan: compute and validate a plan for the current cells (@weights as
 * for manager_plan()), convert it into what the BPF side needs, and compare it with the plan in
 * force. @cells[max_cells] indexed by cell id (placed cells in use, with cgroup id and borrowable
 * mask) and @owner[nr_cpus] (offline CPUs go to the root cell, which never runs there) receive the
 * BPF form. It is published only if it differs from the one published last in anything the BPF
 * side reads: the number of slots, a slot's cgroup (a slot reused by a new cgroup keeps the same
 * CPUs) or borrowable CPUs, a CPU's owner. A plan that differs only in targets or reasons (a
 * cpu.weight that moves no CPU) becomes the plan in force without a publication. @force
 * publishes anyway (a fresh BPF side holds no plan yet). Returns 0 and *@out (the caller owns
 * out->plan until manager_commit() or plan_free()), or -errno with a message in @err.
 */
int manager_decide(struct manager *m, const double *weights, bool force, struct sched_cell *cells,
		   int *owner, struct manager_decision *out, char *err, size_t errlen);

/*
 * @dec was published with @cells (as filled by manager_decide()): its plan becomes the plan in
 * force (the manager takes ownership) and the slots' cgroups are remembered for the next decision.
 */
void manager_commit(struct manager *m, struct manager_decision *dec,
		    const struct sched_cell *cells);

#endif /* SCX_CELLS_MANAGER_H */
