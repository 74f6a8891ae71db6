/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demand - per-interval CPU demand of each cell, its smoothing, and the rebalance decision.
 *
 * Pure: the caller reads BPF's cumulative counters run_ns[cpu][cell] (run time of cell's tasks on
 * that CPU since load), the owner of each CPU during the interval and the MEASURED interval length,
 * and hands them in. Per cell and interval (Δ = counter now − counter at the previous update):
 *
 *	run        = Σ_cpu Δ[cpu][cell]
 *	own_run    = Σ_{cpu owned by cell} Δ[cpu][cell]
 *	borrowed   = run − own_run                 (run on CPUs the cell does not own)
 *	lent       = Σ_{cpu owned by cell} Σ_{other c} Δ[cpu][c]
 *	util_pct          = 100·run / (own_cpus·interval)      (0 if own_cpus == 0)
 *	demand_borrow_pct = 100·borrowed / run                 (0 if run == 0)
 *	lent_pct          = 100·lent / (own_cpus·interval)     (0 if own_cpus == 0)
 *	cpus_used         = run / interval                      (absolute use, in CPUs)
 *	cpus_waiting      = Σ queue wait / interval             (see demand_set_wait())
 *	smoothed_cpus     = α·(cpus_used + cpus_waiting) + (1 − α)·smoothed_cpus
 *	smoothed_util_pct = α·util_pct + (1 − α)·smoothed_util_pct
 *
 * Why the waiting time: run time alone cannot show more demand than a cell was given — a cell
 * with 4 runnable tasks on 2 CPUs uses exactly 2 CPUs. Adding the time its tasks spent runnable
 * but queued (≈ the number of tasks waiting) makes that demand visible, and it vanishes once
 * the cell has enough CPUs, so the allocation converges.
 *
 * Why absolute CPUs for the needs: utilisation in percent of the cell's own size makes a small
 * busy cell look like a big one and the allocation oscillates; a CPU count does not. An idle cell
 * contributes x = 0 every interval, so its smoothed demand decays instead of sticking.
 *
 * Counters that go backwards (CPUs moved, counters reset) give Δ = 0 and re-baseline instead of
 * wrapping to a huge delta. Baselines start at 0 because BPF counters start at 0 when the program
 * loads; use demand_set_baseline() when attaching to counters that have already run.
 */
#ifndef SCX_CELLS_DEMAND_H
#define SCX_CELLS_DEMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct demand_cfg {
	double alpha;		  /* EWMA factor, (0, 1]; 1 = no smoothing */
	double threshold_pct;	  /* rebalance when max−min smoothed util_pct >= this, [0, 100] */
	uint64_t cooldown_ns;	  /* minimum time between rebalances */
	double hysteresis_cpus;	  /* and some cell's smoothed demand moved >= this since the last
				   * rebalance (in CPUs, >= 0): unchanged demand never re-plans */
	double weight_floor_cpus; /* demand of a live cell counts as at least this (> 0) */
	double headroom_cpus;	  /* need = demand + max(headroom_cpus, */
	double headroom_pct;	  /*        headroom_pct % of demand); both >= 0 */
};

/* Defaults matching the command line: α 0.3, threshold 20, cooldown 5 s, hysteresis 0.5 CPU,
 * floor 0.1 CPU, headroom max(0.5 CPU, 10 %). */
void demand_cfg_default(struct demand_cfg *cfg);

struct demand_cell {
	bool live;
	/* last interval */
	uint64_t run_ns;
	uint64_t own_run_ns;
	uint64_t borrowed_ns;
	uint64_t lent_ns;
	unsigned int own_cpus;
	double util_pct;
	double demand_borrow_pct;
	double lent_pct;
	double cpus_used;
	uint64_t wait_ns;    /* time its tasks spent queued in the interval */
	double cpus_waiting; /* wait_ns / interval */
	/* smoothed over intervals */
	double smoothed_cpus;
	double smoothed_util_pct;
};

struct demand;

/*
 * Model for @nr_cpus CPUs and cell ids 0..@max_cells−1. Cell 0 (root) starts live, all others
 * not. Returns NULL with a message in @err on a bad configuration or ENOMEM.
 */
struct demand *demand_new(unsigned int nr_cpus, unsigned int max_cells,
			  const struct demand_cfg *cfg, char *err, size_t errlen);
void demand_free(struct demand *d);

/*
 * A cell appeared: it is seeded at the mean smoothed demand (CPUs and util) of the live cells, so
 * that it neither starts starved at zero nor triggers a rebalance on its own. -EINVAL on a bad id,
 * -EEXIST if already live. Removing makes it not live (its metrics are zeroed); -ENOENT if it
 * was not live. Both count as a change for the hysteresis.
 */
int demand_cell_add(struct demand *d, unsigned int cell);
int demand_cell_remove(struct demand *d, unsigned int cell);

/*
 * Replace the baselines with @run_ns (layout as in demand_update) without computing metrics; any
 * wait time handed in by demand_set_wait() since the last update is dropped too.
 */
void demand_set_baseline(struct demand *d, const uint64_t *run_ns);

/*
 * Hand in the cumulative queue-wait counters per cell (@wait_ns[max_cells]) for the next
 * demand_update(). Optional: without it cpus_waiting stays 0. Backwards counters count as 0.
 */
void demand_set_wait(struct demand *d, const uint64_t *wait_ns);

/*
 * One interval. @run_ns: cumulative counters, run_ns[cpu * max_cells + cell]. @owner[cpu]: cell
 * owning the CPU during the interval, −1 if offline (an owner that is not a live cell counts as
 * nobody's). @interval_ns: the measured length of the interval (not the configured period: a
 * timer that fires early or late would otherwise skew every percentage). Only live cells get
 * metrics and smoothing; all baselines advance. -EINVAL if @interval_ns is 0.
 */
int demand_update(struct demand *d, const uint64_t *run_ns, const int *owner, uint64_t interval_ns);

/* Metrics of @cell, or NULL for a bad id. Not-live cells read as all zero. */
const struct demand_cell *demand_cell(const struct demand *d, unsigned int cell);

/* max − min of smoothed util_pct over live cells that own CPUs (0 with fewer than two). */
double demand_spread(const struct demand *d);

/*
 * Should the planner recompute targets by demand now? True iff at least two live cells own CPUs,
 * the spread is >= threshold, the cooldown has passed since the last demand_rebalanced(), and
 * demand moved since then (hysteresis, or the set of live cells changed, or never rebalanced).
 */
bool demand_should_rebalance(const struct demand *d, uint64_t now);

/*
 * Tell the model a rebalance was evaluated at @now (whether or not the plan changed): starts the
 * cooldown and records the demand the hysteresis compares against.
 */
void demand_rebalanced(struct demand *d, uint64_t now);

/*
 * CPUs a cell with @demand_cpus of smoothed demand needs: the demand (at least the floor) plus
 * headroom, max(headroom_cpus, headroom_pct % of the demand).
 *
 * Why headroom: the planner gives a cell that needs less than its share exactly its need, so a
 * need equal to the demand would leave no slack. Half a CPU covers the rounding to whole CPUs
 * (the planner rounds to nearest, so the cell still gets its demand rounded to nearest; N
 * always-runnable tasks that measure slightly under N still get N CPUs) and the short tasks a
 * cell runs beside its main work; 10 % covers bursts in big cells. Too much headroom would
 * hand idle CPUs to satisfied cells at the expense of the cells that need more; with borrowing
 * on those CPUs are lent while idle, so the cost is the reclaim latency, not the CPU time.
 */
double demand_need(const struct demand_cfg *cfg, double demand_cpus);

/*
 * Per-cell needs for the planner (plan_cell.need), from ABSOLUTE smoothed CPU demand:
 * weights[c] = demand_need(smoothed_cpus) for live cells, 0 for the others. @weights has
 * max_cells entries. The planner allocates max-min fair over these (docs/planner.md): a need is
 * a ceiling the cell does not get more than while others want more, never a claim that beats
 * a neighbour's share, so a cell cannot win CPUs by running more threads.
 */
void demand_weights(const struct demand *d, double *weights);

#endif /* SCX_CELLS_DEMAND_H */
