/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan - the pure CPU planner: (topology, cells with cpusets and weights, previous plan) → which
 * cell owns each online CPU, and which CPUs each cell may borrow. No kernel, no I/O, no time.
 *
 * The steps (docs/planner.md has the long version):
 *  1. Placement. Root first, then cells that owned CPUs in the previous plan, then the rest, each
 *     by id, up to @max_cells. A cell is placed only if it can get a CPU of its own (its cpuset
 *     has an online CPU that a higher-priority cell does not need); the others are "unplaced" and
 *     reported with a reason, never an error: their tasks run in the root cell.
 *  2. Targets, max-min fair. Each placed cell is entitled to its share of the T online CPUs
 *     (T·share/Σ share; equal shares by default). A cell that needs less gets its need; what it
 *     leaves goes to the cells that need more, in proportion to their shares (water-filling).
 *     Spare CPUs, when all needs are met, go first to the cells below their share. Floors: 1
 *     CPU per cell, @cell0_min_cpus for the root if T allows, a cell's min (min_cpus) by id as the
 *     CPUs allow. Rounding: floors, then leftovers
 *     by largest fractional part (ties: further short of its need, then lower id). A cap
 *     (cpu.max) bounds a cell's allocation like a need that never goes away; CPUs that capped
 *     cells cannot take go to the uncapped ones by share, and the root cell is never capped.
 *  3. Counts, per CPU class. CPUs are grouped by the set of placed cpusets claiming them:
 *     exclusive (one claimant) → that cell, even beyond its target; contested → split among the
 *     claimants by remaining deficit, one group per identical claimant set; unclaimed → the
 *     placed cells without cpuset (root included), by deficit.
 *  4. Which CPUs. Inside each group a cell first keeps CPUs it owned in @prev (stability), then
 *     takes free ones: the LLC where it already has most CPUs, whole SMT cores, lowest id; cells
 *     with nothing yet are packed LLC by LLC (best fit).
 *  5. Repair. A placed cell left without a CPU takes one along an augmenting chain; the root cell
 *     is topped up to its minimum from the largest holder.
 * Same inputs (as a set: cell order does not matter) always give the same plan.
 */
#ifndef SCX_CELLS_PLAN_H
#define SCX_CELLS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "cpumask.h"
#include "topology.h"

struct plan;

struct plan_cell {
	int id;		 /* >= 0, unique; 0 is the root cell and must be present */
	bool has_cpuset; /* root cell: must be false (the root cgroup is unrestricted) */
	const struct cpumask *cpuset; /* topo->nr_cpus bits, when has_cpuset */
	/*
	 * CPUs the cell needs (>= 0, finite): its measured demand plus headroom (demand_weights()).
	 * All zero = nothing known: every cell gets its share. "weight" is the older name.
	 */
	union {
		double need;
		double weight;
	};
	double share; /* entitlement (>= 0, finite), relative to the others'; 0 counts as 1 */
	/*
	 * Most primary CPUs the cell may get (cpu.max), 0 = no cap; a cap counts as at least 1.
	 * Must be 0 for the root cell: it takes what capped cells cannot.
	 */
	unsigned int cap;
	/*
	 * Fewest primary CPUs the cell's target may have (a --cell-config min_cpus), 0 = the
	 * floor of 1. Honoured by id while the online CPUs allow (each cell keeps 1, the root its
	 * minimum), never above the cap; a cpuset can still give the cell fewer.
	 */
	unsigned int min;
};

struct plan_input {
	const struct topology *topo;
	unsigned int cell0_min_cpus; /* root keeps at least this many when T allows */
	unsigned int max_cells;	     /* placed cells incl. root; 0 = no limit */
	const struct plan_cell *cells;
	unsigned int nr_cells;
	const struct plan
		*prev; /* NULL, or the plan to stay close to (ignored if sized otherwise) */
};

enum plan_unplaced_reason {
	PLAN_PLACED = 0,
	PLAN_UNPLACED_NO_ONLINE_CPU, /* cpuset holds no online CPU */
	PLAN_UNPLACED_OVER_MAX,	     /* more cells than max_cells */
	PLAN_UNPLACED_NO_CPU_LEFT,   /* every CPU it may use is needed by higher-priority cells */
};

/* What decided a placed cell's target, for "--dry-run" and logs (docs/planner.md, step 2). */
enum plan_basis {
	PLAN_BY_SHARE = 0, /* its share of the CPUs by weight (the water level) */
	PLAN_BY_FLOOR,	   /* the floor: 1 CPU, or the root minimum */
	PLAN_BY_NEED,	   /* its need (demand plus headroom) */
	PLAN_BY_CAP,	   /* its cap (cpu.max) */
	PLAN_BY_LEFTOVER,  /* root cell: more than its share, because capped cells left CPUs */
};

struct plan_cell_out {
	int id;
	enum plan_unplaced_reason why; /* PLAN_PLACED for cells that got CPUs */
	unsigned int target;	       /* max-min target (0 when unplaced); primaries may differ */
	enum plan_basis basis;	       /* what decided the target (placed cells) */
	unsigned int nr_primary;
	struct cpumask *primary;    /* owned CPUs; empty when unplaced */
	struct cpumask *borrowable; /* online − primary, ∩ cpuset; empty when unplaced */
};

struct plan {
	unsigned int nr_cpus;	     /* = topo->nr_cpus */
	int *owner;		     /* [nr_cpus]: owning cell id, -1 for offline CPUs */
	unsigned int nr_cells;	     /* = input nr_cells */
	struct plan_cell_out *cells; /* in input order */
	unsigned int nr_unplaced;
	int *unplaced; /* ids of unplaced cells, ascending */
};

/*
 * Compute a plan. Fails only on malformed input (-EINVAL: no root cell, duplicate or negative
 * id, root with cpuset or cap, cpuset of the wrong size, bad need or share) or -ENOMEM, with a
 * one-line message in @err. Impossible wishes (too many cells, empty cpusets) are reported in the
 * plan instead.
 */
int plan_compute(const struct plan_input *in, struct plan **out, char *err, size_t errlen);

/*
 * Check the invariants of @p against @in (docs/design.md, "Plans"): every online CPU primary to
 * exactly one placed cell and owner[] agreeing with the masks, offline CPUs owned by nobody, each
 * placed cell ≥ 1 CPU, root placed and ≥ cell0_min_cpus when T allows, primary and borrowable
 * inside the cpuset and online, borrowable ∩ primary = ∅, unplaced cells empty and listed. Returns
 * 0 or -EINVAL with a message naming the cell / CPU. The daemon never applies a plan that fails
 * this.
 */
int plan_validate(const struct plan_input *in, const struct plan *p, char *err, size_t errlen);

void plan_free(struct plan *p);

/* Cell entry by id, or NULL. */
const struct plan_cell_out *plan_find(const struct plan *p, int id);

/* CPUs whose owner differs between @a and @b (plans of the same nr_cpus; else nr_cpus). */
unsigned int plan_moved(const struct plan *a, const struct plan *b);

/* Same owners, targets, masks and unplaced list (cells compared in order). */
bool plan_equal(const struct plan *a, const struct plan *b);

/*
 * The words for a cell's state and for what decided its target, as --dry-run and the logs print
 * them ("no CPU left", "floor"); "?" for a value outside the enum.
 */
const char *plan_unplaced_name(enum plan_unplaced_reason why);
const char *plan_basis_name(enum plan_basis basis);

#endif /* SCX_CELLS_PLAN_H */
