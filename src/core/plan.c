// SPDX-License-Identifier: GPL-2.0
/*
 * plan - the pure CPU planner. See plan.h for the contract and docs/planner.md for the design.
 *
 * Internally cells are indexed by their rank in id order ("s", root = 0), so the result never
 * depends on the order the caller listed them in. CPU choices are made in "topology order"
 * (LLC, then core, then CPU number), which keeps siblings and cache-mates adjacent.
 *
 * Cost: O(T·log T + Σ|cpuset| + N·nr_llcs + groups·claimants) for T CPUs and N cells, no
 * T×N×N loop. The augmenting searches of placement and repair only run when greedy choices fail.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

struct group {
	unsigned int first_cpu; /* lowest CPU: orders groups of one kind */
	unsigned int kind;	/* 0 exclusive, 1 contested, 2 unclaimed: processing order */
	unsigned int nr_cpus;
	unsigned int cpu_off; /* into ctx.gcpus, in topology order */
	const int *claim;     /* recipients: claimants (s, ascending), then any spill recipients */
	unsigned int nr_claim;
	unsigned int nr_own; /* claimants proper; claim[nr_own..] are the unpinned cells, which take
			      * what capped claimants cannot (only when a claimant has a cap) */
	unsigned int share_off; /* into ctx.share / ctx.rem, parallel to claim */
};

struct ctx {
	const struct plan_input *in;
	const struct topology *t;
	unsigned int nr_cpus, nc, nr_online, nllc;

	unsigned int *in_idx;	  /* [nc] s -> input index */
	int *ids;		  /* [nc] s -> id, ascending */
	struct cpumask **allowed; /* [nc] online ∩ cpuset, or online */
	bool *pinned;		  /* [nc] */
	enum plan_unplaced_reason *why;
	unsigned int *target, *count, *have; /* [nc] target, planned, assigned */
	unsigned int *cap;		     /* [nc] cap in CPUs (>= 1), UINT_MAX = none */
	enum plan_basis *basis;		     /* [nc] what decided the target */
	int *prev;			     /* [nr_cpus] previous owner s, or -1 */
	int *owner;			     /* [nr_cpus] owner s, or -1 */
	unsigned int *llc_cnt;		     /* [nc * nllc] CPUs of s in an LLC, now */
	unsigned int *prev_llc_cnt;	     /* [nc * nllc] ditto in the previous plan */
	int *topo_order;		     /* [nr_online] online CPUs in topology order */
	unsigned int *topo_rank;	     /* [nr_cpus] position in topo_order */
	unsigned int *core_off;		     /* [nr_cores + 1] CSR of online core members */
	int *core_cpus;			     /* [nr_online] */

	/* classification */
	unsigned int *cl_off; /* [nr_cpus + 1] CSR of claimant lists */
	int *cl;	      /* claimant s indices */
	int *unpinned;	      /* placed cells without cpuset, ascending */
	int *spill;	      /* claimant + unpinned lists of groups with a capped claimant */
	unsigned int nr_unpinned;
	struct group *groups;
	unsigned int ngroups;
	int *gcpus;	     /* [nr_online] group CPU lists */
	unsigned int *share; /* per (group, recipient) */
	unsigned int *rem;
	int *slot;		 /* [nc] scratch: position in a group's recipient list, or -1 */
	int *scratch;		 /* [nr_online + nc] */
	unsigned int *u_scratch; /* [nc] */

	char *err;
	size_t errlen;
};

static inline unsigned int *llc_at(unsigned int *arr, const struct ctx *c, int s, int llc)
{
	return &arr[(size_t)s * c->nllc + (size_t)llc];
}

/* ---------------------------------------------------------------------------------------------
 * Input checks and set-up
 */

static const struct plan_cell *cell_in(const struct ctx *c, int s)
{
	return &c->in->cells[c->in_idx[s]];
}

static int s_of_id(const struct ctx *c, int id)
{
	unsigned int lo = 0, hi = c->nc;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (c->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nc && c->ids[lo] == id ? (int)lo : -1;
}

static int cmp_in_by_id(const void *a, const void *b, void *arg)
{
	const struct plan_cell *cells = arg;
	int x = cells[*(const unsigned int *)a].id, y = cells[*(const unsigned int *)b].id;

	return CMP(x, y);
}

static int cmp_topo(const void *a, const void *b, void *arg)
{
	const struct topology *t = arg;
	int x = *(const int *)a, y = *(const int *)b;

	if (t->llc_id[x] != t->llc_id[y])
		return CMP(t->llc_id[x], t->llc_id[y]);
	if (t->core_id[x] != t->core_id[y])
		return CMP(t->core_id[x], t->core_id[y]);
	return CMP(x, y);
}

static int check_input(struct ctx *c)
{
	const struct plan_input *in = c->in;

	if (!in->topo || !in->topo->online || !in->cells || !in->nr_cells) {
		set_err(c->err, c->errlen,
			"plan input needs a topology and at least the root cell");
		return -EINVAL;
	}
	for (unsigned int s = 0; s < c->nc; s++) {
		const struct plan_cell *pc = cell_in(c, s);

		if (pc->id < 0) {
			set_err(c->err, c->errlen,
				"cell id %d is negative; ids are >= 0 with 0 the root cell",
				pc->id);
			return -EINVAL;
		}
		if (s && c->ids[s - 1] == pc->id) {
			set_err(c->err, c->errlen, "cell id %d appears twice in the plan input",
				pc->id);
			return -EINVAL;
		}
		if (!isfinite(pc->need) || pc->need < 0) {
			set_err(c->err, c->errlen,
				"cell %d needs %g CPUs; a need must be finite and >= 0", pc->id,
				pc->need);
			return -EINVAL;
		}
		if (!isfinite(pc->share) || pc->share < 0) {
			set_err(c->err, c->errlen,
				"cell %d has share %g; shares must be finite and >= 0", pc->id,
				pc->share);
			return -EINVAL;
		}
		if (pc->has_cpuset && (!pc->cpuset || pc->cpuset->nbits != c->nr_cpus)) {
			set_err(c->err, c->errlen,
				"cell %d cpuset is %s; it must be a mask of %u CPUs", pc->id,
				pc->cpuset ? "sized wrongly" : "missing", c->nr_cpus);
			return -EINVAL;
		}
	}
	if (c->ids[0] != 0) {
		set_err(c->err, c->errlen, "the root cell (id 0) is missing from the plan input");
		return -EINVAL;
	}
	if (cell_in(c, 0)->has_cpuset) {
		set_err(c->err, c->errlen,
			"the root cell cannot have a cpuset; it must be able to take any CPU");
		return -EINVAL;
	}
	if (cell_in(c, 0)->cap) {
		set_err(c->err, c->errlen,
			"the root cell cannot have a cap; it takes the CPUs capped cells leave");
		return -EINVAL;
	}
	return 0;
}

#define ALLOC(ptr, n)                                                                              \
	do {                                                                                       \
		(ptr) = calloc((size_t)(n) > 0 ? (size_t)(n) : 1, sizeof(*(ptr)));                 \
		if (!(ptr))                                                                        \
			return -ENOMEM;                                                            \
	} while (0)

static int setup(struct ctx *c)
{
	const struct topology *t = c->t;
	unsigned int k = 0;
	int ret;

	c->nr_cpus = t->nr_cpus;
	c->nc = c->in->nr_cells;
	c->nllc = t->nr_llcs ? t->nr_llcs : 1;
	c->nr_online = cpumask_weight(t->online);

	ALLOC(c->in_idx, c->nc);
	ALLOC(c->ids, c->nc);
	for (unsigned int i = 0; i < c->nc; i++)
		c->in_idx[i] = i;
	qsort_r(c->in_idx, c->nc, sizeof(*c->in_idx), cmp_in_by_id, (void *)c->in->cells);
	for (unsigned int s = 0; s < c->nc; s++)
		c->ids[s] = cell_in(c, s)->id;
	ret = check_input(c);
	if (ret)
		return ret;

	ALLOC(c->allowed, c->nc);
	ALLOC(c->pinned, c->nc);
	ALLOC(c->why, c->nc);
	ALLOC(c->target, c->nc);
	ALLOC(c->count, c->nc);
	ALLOC(c->have, c->nc);
	ALLOC(c->cap, c->nc);
	ALLOC(c->basis, c->nc);
	ALLOC(c->slot, c->nc);
	ALLOC(c->u_scratch, c->nc);
	ALLOC(c->prev, c->nr_cpus);
	ALLOC(c->owner, c->nr_cpus);
	ALLOC(c->llc_cnt, (size_t)c->nc * c->nllc);
	ALLOC(c->prev_llc_cnt, (size_t)c->nc * c->nllc);
	ALLOC(c->topo_order, c->nr_online);
	ALLOC(c->topo_rank, c->nr_cpus);
	ALLOC(c->core_off, t->nr_cores + 1);
	ALLOC(c->core_cpus, c->nr_online);
	ALLOC(c->scratch, c->nr_online + c->nc);

	for (unsigned int s = 0; s < c->nc; s++) {
		const struct plan_cell *pc = cell_in(c, s);

		c->slot[s] = -1;
		c->cap[s] = pc->cap ? pc->cap : UINT_MAX;
		c->allowed[s] = cpumask_alloc(c->nr_cpus);
		if (!c->allowed[s])
			return -ENOMEM;
		c->pinned[s] = pc->has_cpuset;
		if (pc->has_cpuset)
			cpumask_and(c->allowed[s], pc->cpuset, t->online);
		else
			cpumask_copy(c->allowed[s], t->online);
	}

	/* Topology order and core member lists. */
	cpumask_for_each(cpu, t->online)
		c->topo_order[k++] = cpu;
	qsort_r(c->topo_order, c->nr_online, sizeof(int), cmp_topo, (void *)t);
	for (unsigned int i = 0; i < c->nr_online; i++) {
		c->topo_rank[c->topo_order[i]] = i;
		c->core_off[t->core_id[c->topo_order[i]] + 1]++;
	}
	for (unsigned int i = 0; i < t->nr_cores; i++)
		c->core_off[i + 1] += c->core_off[i];
	/* Topology order lists a core's members consecutively, so the CSR fills in order. */
	for (unsigned int i = 0; i < c->nr_online; i++)
		c->core_cpus[i] = c->topo_order[i];

	/* Previous owners, mapped to s; unknown ids and offline CPUs are simply free. */
	for (unsigned int cpu = 0; cpu < c->nr_cpus; cpu++) {
		c->owner[cpu] = -1;
		c->prev[cpu] = -1;
	}
	if (c->in->prev && c->in->prev->nr_cpus == c->nr_cpus) {
		cpumask_for_each(cpu, t->online) {
			int id = c->in->prev->owner[cpu];
			int s = id >= 0 ? s_of_id(c, id) : -1;

			c->prev[cpu] = s;
			if (s >= 0)
				(*llc_at(c->prev_llc_cnt, c, s, t->llc_id[cpu]))++;
		}
	}
	return 0;
}

static void assign(struct ctx *c, int cpu, int s)
{
	c->owner[cpu] = s;
	c->have[s]++;
	(*llc_at(c->llc_cnt, c, s, c->t->llc_id[cpu]))++;
}

static void move_cpu(struct ctx *c, int cpu, int to)
{
	int from = c->owner[cpu];

	c->have[from]--;
	(*llc_at(c->llc_cnt, c, from, c->t->llc_id[cpu]))--;
	assign(c, cpu, to);
}

/* ---------------------------------------------------------------------------------------------
 * 1. Placement: a bipartite matching cell → distinct CPU, built greedily in priority order with
 * augmenting paths (Kuhn) only when the greedy choice fails. Cells matched once stay matched.
 */

struct matching {
	struct cpumask *matched;
	int *match; /* [nr_cpus] s or -1 */
	unsigned int *stamp;
	unsigned int gen;
};

static int first_andnot(const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned int i = 0; i < (a->nbits + 63) / 64; i++) {
		uint64_t w = a->words[i] & ~b->words[i];

		if (w)
			return (int)(i * 64 + (unsigned int)__builtin_ctzll(w));
	}
	return -1;
}

static bool augment(struct ctx *c, struct matching *m, int s)
{
	int x = first_andnot(c->allowed[s], m->matched);

	if (x >= 0) {
		cpumask_set(m->matched, (unsigned int)x);
		m->match[x] = s;
		return true;
	}
	cpumask_for_each(cpu, c->allowed[s]) {
		int o = m->match[cpu];

		if (m->stamp[o] == m->gen)
			continue;
		m->stamp[o] = m->gen;
		if (augment(c, m, o)) {
			m->match[cpu] = s;
			return true;
		}
	}
	return false;
}

static int cmp_priority(const void *a, const void *b, void *arg)
{
	const unsigned int *had = arg;
	int x = *(const int *)a, y = *(const int *)b;

	/* the root first, then cells that had CPUs, then by id */
	if ((x == 0) != (y == 0))
		return CMP(y == 0, x == 0);
	if (!!had[x] != !!had[y])
		return CMP(!!had[y], !!had[x]);
	return CMP(x, y);
}

/* CPUs that must stay free for the root cell beyond the one it is matched to. */
static unsigned int root_reserve(const struct ctx *c)
{
	unsigned int min0 = c->in->cell0_min_cpus;

	return min0 > 1 ? min0 - 1 : 0;
}

static int place(struct ctx *c)
{
	unsigned int placed = 0, matched_n = 0;
	struct matching m = {0};
	int *order = c->scratch;
	unsigned int *had = c->u_scratch;
	int ret = -ENOMEM;

	m.matched = cpumask_alloc(c->nr_cpus);
	m.match = malloc(c->nr_cpus * sizeof(int));
	m.stamp = calloc(c->nc, sizeof(unsigned int));
	if (!m.matched || !m.match || !m.stamp)
		goto out;
	memset(had, 0, c->nc * sizeof(*had));
	for (unsigned int cpu = 0; cpu < c->nr_cpus; cpu++) {
		m.match[cpu] = -1;
		if (c->prev[cpu] >= 0)
			had[c->prev[cpu]] = 1;
	}
	for (unsigned int s = 0; s < c->nc; s++)
		order[s] = (int)s;
	qsort_r(order, c->nc, sizeof(int), cmp_priority, had);

	for (unsigned int i = 0; i < c->nc; i++) {
		int s = order[i];

		if (cpumask_empty(c->allowed[s])) {
			c->why[s] = PLAN_UNPLACED_NO_ONLINE_CPU;
			continue;
		}
		if (c->in->max_cells && placed >= c->in->max_cells) {
			c->why[s] = PLAN_UNPLACED_OVER_MAX;
			continue;
		}
		/*
		 * The root cell's minimum is a guarantee, not a wish: once only that many CPUs
		 * are left, further cells stay unplaced (their tasks run in the root cell).
		 */
		if (s != 0 && matched_n + root_reserve(c) >= c->nr_online) {
			c->why[s] = PLAN_UNPLACED_NO_CPU_LEFT;
			continue;
		}
		m.gen++;
		m.stamp[s] = m.gen;
		if (matched_n < c->nr_online && augment(c, &m, s)) {
			matched_n++;
			placed++;
			c->why[s] = PLAN_PLACED;
		} else {
			c->why[s] = PLAN_UNPLACED_NO_CPU_LEFT;
		}
	}
	ret = 0;
out:
	cpumask_free(m.matched);
	free(m.match);
	free(m.stamp);
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * 2. Targets: max-min fair ("water-filling") over the placed cells, then integer rounding.
 *
 * Cell s has a share weight w (plan_cell.share, 0 = 1), a floor lo (1 CPU, or its min_cpus by id
 * while the CPUs allow, never above its cap; the root cell's
 * minimum for the root) and a need (plan_cell.need, at least lo). With the placed cells'
 * shares summing to W, the fair share of s is T·w/W. Allocations x(λ) = clamp(λ·w, lo, hi) grow
 * with one common level λ, the water, until they sum to T:
 *  - contention (Σ need ≥ T): hi = need. A cell that needs less than its level gets exactly its
 *    need; what it leaves raises the level of the others, in proportion to their shares. So a
 *    cell whose need reaches its fair share gets at least that share (the floors aside), however
 *    much more its neighbours ask for: spawning threads does not win CPUs.
 *  - surplus (Σ need < T): every cell gets its need, and the spare CPUs fill the cells that are
 *    below their fair share first (x = max(need, λ·w)). With all needs zero (no demand known)
 *    this is the plain split by share, and whenever no cell needs more than its share the plan
 *    is that split: demand that stays within the shares never moves a CPU.
 * The level is found exactly: x(λ) is piecewise linear with breakpoints lo/w and hi/w; binary
 * search over the sorted breakpoints finds the segment, one division the level in it. Equal
 * inputs give bit-identical levels, so ties in the rounding are real ties (lower id wins).
 * Rounding: floor of every x, the CPUs left over by largest fractional part; on equal parts
 * (cells at the same level) to the cell further short of its need, so a cell with 2 runnable
 * tasks does not lose a tie against a busier one, then to the lower id. Every floor is an
 * integer ≤ x, so no cell ends below lo.
 */

struct frac {
	int s;
	double f;      /* fractional part of the allocation */
	double short_; /* need − allocation */
	double lo;     /* its floor: 1, the root minimum or its min_cpus */
};

static int cmp_frac_desc(const void *a, const void *b)
{
	const struct frac *x = a, *y = b;

	if (x->f != y->f)
		return CMP(y->f, x->f);
	if (x->short_ != y->short_)
		return CMP(y->short_, x->short_);
	return CMP(x->s, y->s);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return CMP(x, y);
}

struct fill {
	unsigned int n;	     /* placed cells */
	int *s;		     /* [n] their indices */
	double *w, *lo, *hi; /* [n]; hi may be INFINITY */
	double *bp;	     /* [2n] breakpoints */
};

static double fill_at(const struct fill *f, unsigned int i, double level)
{
	double x = level * f->w[i];

	return x < f->lo[i] ? f->lo[i] : x > f->hi[i] ? f->hi[i] : x;
}

static double fill_sum(const struct fill *f, double level)
{
	double sum = 0;

	for (unsigned int i = 0; i < f->n; i++)
		sum += fill_at(f, i, level);
	return sum;
}

/* The level λ at which Σ clamp(λ·w, lo, hi) = @total (Σ lo ≤ @total ≤ Σ hi). */
static double fill_level(const struct fill *f, double total)
{
	unsigned int nbp = 0, lo = 0, hi;
	double a, b, fixed = 0, wsum = 0;

	for (unsigned int i = 0; i < f->n; i++) {
		f->bp[nbp++] = f->lo[i] / f->w[i];
		if (isfinite(f->hi[i]))
			f->bp[nbp++] = f->hi[i] / f->w[i];
	}
	qsort(f->bp, nbp, sizeof(*f->bp), cmp_double);
	/* Last breakpoint whose sum is still ≤ total: the segment [bp[lo], bp[lo + 1]). */
	hi = nbp;
	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (fill_sum(f, f->bp[mid]) <= total)
			lo = mid;
		else
			hi = mid;
	}
	a = f->bp[lo];
	b = lo + 1 < nbp ? f->bp[lo + 1] : INFINITY;
	/* Inside the segment each cell is pinned at lo, pinned at hi, or linear in λ. */
	for (unsigned int i = 0; i < f->n; i++) {
		if (f->hi[i] / f->w[i] <= a)
			fixed += f->hi[i];
		else if (f->lo[i] / f->w[i] >= b)
			fixed += f->lo[i];
		else
			wsum += f->w[i];
	}
	return wsum > 0 ? (total - fixed) / wsum : a;
}

/* What decided the allocation @x of fill entry @i (before rounding); see enum plan_basis. */
static enum plan_basis basis_of(const struct fill *f, unsigned int i, double x, double cap,
				bool surplus, double floor_, double fair, bool some_at_cap)
{
	if (isfinite(cap) && x >= cap)
		return PLAN_BY_CAP;
	if (!surplus && x >= f->hi[i] && f->hi[i] > floor_)
		return PLAN_BY_NEED;
	if (surplus && x <= f->lo[i] && f->lo[i] > floor_)
		return PLAN_BY_NEED;
	if (x <= floor_)
		return PLAN_BY_FLOOR;
	if (f->s[i] == 0 && some_at_cap && x > fair)
		return PLAN_BY_LEFTOVER;
	return PLAN_BY_SHARE;
}

static int compute_targets(struct ctx *c)
{
	unsigned int n = 0, T = c->nr_online, min0;
	struct fill f = {0};
	struct frac *fr = NULL;
	double need_sum = 0, wsum = 0, level, *cap = NULL, *floor_of = NULL, budget;
	bool surplus, some_at_cap = false;
	long given = 0;
	int ret = -ENOMEM;

	for (unsigned int s = 0; s < c->nc; s++)
		n += c->why[s] == PLAN_PLACED;
	f.s = malloc(n * sizeof(*f.s));
	f.w = malloc(n * sizeof(*f.w));
	f.lo = malloc(n * sizeof(*f.lo));
	f.hi = malloc(n * sizeof(*f.hi));
	f.bp = malloc(2 * n * sizeof(*f.bp));
	fr = malloc(n * sizeof(*fr));
	cap = malloc(n * sizeof(*cap));
	floor_of = malloc((n ? n : 1) * sizeof(*floor_of));
	if (!f.s || !f.w || !f.lo || !f.hi || !f.bp || !fr || !cap || !floor_of)
		goto out;

	/* Placement left room for the root minimum (capped at what T allows) and 1 CPU each. */
	min0 = c->in->cell0_min_cpus;
	if (min0 > T - (n - 1))
		min0 = T - (n - 1);
	for (unsigned int s = 0; s < c->nc; s++) {
		const struct plan_cell *pc = cell_in(c, s);
		unsigned int i = f.n;

		if (c->why[s] != PLAN_PLACED)
			continue;
		f.s[i] = (int)s;
		f.w[i] = pc->share > 0 ? pc->share : 1.0;
		f.lo[i] = s == 0 && min0 > 1 ? (double)min0 : 1.0;
		/* A cap is at least the floor (1 CPU: the root cell, the only one with more, has
		 * no cap); the need is bounded by the cap, so a capped cell never asks for more. */
		cap[i] = c->cap[s] == UINT_MAX ? INFINITY : fmax((double)c->cap[s], f.lo[i]);
		floor_of[i] = 0; /* not yet raised to its min (see below) */
		wsum += f.w[i];
		f.n++;
	}
	/*
	 * Per-cell minimums (min_cpus) raise floors, by id, while the CPUs left after every
	 * floor allow, and never above a cap. f.s is in input order: take them by id, so the
	 * result does not depend on the order of the input.
	 */
	budget = (double)T;
	for (unsigned int i = 0; i < n; i++)
		budget -= f.lo[i];
	for (unsigned int done = 0; done < n && budget > 0; done++) {
		unsigned int best = n;
		double extra;

		for (unsigned int i = 0; i < n; i++) {
			int id = cell_in(c, f.s[i])->id;

			if (floor_of[i] < 0)
				continue; /* taken */
			if (best == n || id < cell_in(c, f.s[best])->id)
				best = i;
		}
		if (best == n)
			break;
		floor_of[best] = -1;
		extra = fmin((double)cell_in(c, f.s[best])->min, cap[best]) - f.lo[best];
		if (extra > budget)
			extra = budget;
		if (extra > 0) {
			f.lo[best] += extra;
			budget -= extra;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct plan_cell *pc = cell_in(c, f.s[i]);

		floor_of[i] = f.lo[i];
		f.hi[i] = fmin(fmax(pc->need, f.lo[i]), fmax(cap[i], f.lo[i]));
		need_sum += f.hi[i];
	}
	surplus = need_sum < (double)T;
	if (surplus) {
		/*
		 * Surplus: needs become floors, the spare CPUs fill up to the shares, and no
		 * further than the caps. The root cell is never capped, so the CPUs always fit:
		 * what capped cells cannot take goes to the uncapped ones by share, and when every
		 * workload cell is capped, to the root cell beyond its share.
		 */
		for (unsigned int i = 0; i < n; i++) {
			f.lo[i] = f.hi[i];
			f.hi[i] = cap[i];
		}
	}
	level = fill_level(&f, (double)T);
	for (unsigned int i = 0; i < n; i++)
		some_at_cap |= isfinite(cap[i]) && fill_at(&f, i, level) >= cap[i];
	for (unsigned int i = 0; i < n; i++) {
		double x = fill_at(&f, i, level), fl = floor(x);
		int s = f.s[i];
		double floor_ = floor_of[i];

		c->target[s] = (unsigned int)fl;
		c->basis[s] = basis_of(&f, i, x, cap[i], surplus, floor_, (double)T * f.w[i] / wsum,
				       some_at_cap);
		given += (long)fl;
		fr[i] = (struct frac){s, x - fl, cell_in(c, s)->need - x, floor_};
	}
	qsort(fr, n, sizeof(*fr), cmp_frac_desc);
	/*
	 * Leftovers by largest fraction, never past a cap (a cell at its cap has no fraction
	 * left, so only float error could pick it; the uncapped root cell ends the loop); a float
	 * overshoot (never seen, but cheap) takes back from the smallest fractions, never below a
	 * cell's floor.
	 */
	for (unsigned int i = 0; given < (long)T && n; i = (i + 1) % n) {
		if (c->target[fr[i].s] >= c->cap[fr[i].s])
			continue;
		c->target[fr[i].s]++;
		given++;
	}
	for (unsigned int i = n, guard = 0; given > (long)T && n && guard < 2 * n; guard++) {
		int s;

		i = (i + n - 1) % n;
		s = fr[i].s;
		if ((double)c->target[s] <= fr[i].lo)
			continue;
		c->target[s]--;
		given--;
	}
	ret = 0;
out:
	free(f.s);
	free(f.w);
	free(f.lo);
	free(f.hi);
	free(f.bp);
	free(fr);
	free(cap);
	free(floor_of);
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * 3. Classification: group online CPUs by their set of claiming (placed, pinned) cells.
 */

static uint64_t hash_list(const int *l, unsigned int n)
{
	uint64_t h = 1469598103934665603ull ^ n;

	for (unsigned int i = 0; i < n; i++) {
		h ^= (uint64_t)(unsigned int)l[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct hcpu {
	uint64_t h;
	int cpu;
};

static int cmp_hcpu(const void *a, const void *b)
{
	const struct hcpu *x = a, *y = b;

	return x->h != y->h ? CMP(x->h, y->h) : CMP(x->cpu, y->cpu);
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	return x->kind != y->kind ? CMP(x->kind, y->kind) : CMP(x->first_cpu, y->first_cpu);
}

static bool same_claim(const struct ctx *c, int a, int b)
{
	unsigned int na = c->cl_off[a + 1] - c->cl_off[a], nb = c->cl_off[b + 1] - c->cl_off[b];

	return na == nb && !memcmp(&c->cl[c->cl_off[a]], &c->cl[c->cl_off[b]], na * sizeof(int));
}

static bool group_capped(const struct ctx *c, const struct group *g)
{
	for (unsigned int i = 0; g->kind != 2 && i < g->nr_own; i++)
		if (c->cap[g->claim[i]] != UINT_MAX)
			return true;
	return false;
}

/*
 * A cap must hold even for CPUs that only capped cells' cpusets claim: the cells without a
 * cpuset (the root cell at least) may run anywhere, so such a group also lists them, after its
 * claimants, to take what the claimants' caps leave over (split() gives them nothing else).
 */
static int add_spill(struct ctx *c)
{
	size_t need = 0, off = 0;

	for (unsigned int g = 0; g < c->ngroups; g++)
		if (group_capped(c, &c->groups[g]))
			need += c->groups[g].nr_own + c->nr_unpinned;
	if (!need)
		return 0;
	c->spill = malloc(need * sizeof(int));
	if (!c->spill)
		return -ENOMEM;
	for (unsigned int g = 0; g < c->ngroups; g++) {
		struct group *gr = &c->groups[g];

		if (!group_capped(c, gr))
			continue;
		memcpy(&c->spill[off], gr->claim, gr->nr_own * sizeof(int));
		memcpy(&c->spill[off + gr->nr_own], c->unpinned, c->nr_unpinned * sizeof(int));
		gr->claim = &c->spill[off];
		gr->nr_claim = gr->nr_own + c->nr_unpinned;
		off += gr->nr_claim;
	}
	return 0;
}

static int classify(struct ctx *c)
{
	unsigned int total = 0, k = 0, *fill = NULL, nshare = 0;
	struct hcpu *hc = NULL;
	int *gof = NULL, ret = -ENOMEM;

	c->cl_off = calloc(c->nr_cpus + 1, sizeof(*c->cl_off));
	c->unpinned = calloc(c->nc, sizeof(int));
	if (!c->cl_off || !c->unpinned)
		return -ENOMEM;
	for (unsigned int s = 0; s < c->nc; s++) {
		if (c->why[s] != PLAN_PLACED)
			continue;
		if (!c->pinned[s]) {
			c->unpinned[c->nr_unpinned++] = (int)s;
			continue;
		}
		cpumask_for_each(cpu, c->allowed[s])
			c->cl_off[cpu + 1]++;
	}
	for (unsigned int i = 0; i < c->nr_cpus; i++)
		c->cl_off[i + 1] += c->cl_off[i];
	total = c->cl_off[c->nr_cpus];
	c->cl = malloc((total ? total : 1) * sizeof(int));
	fill = calloc(c->nr_cpus, sizeof(*fill));
	hc = malloc((c->nr_online ? c->nr_online : 1) * sizeof(*hc));
	gof = malloc(c->nr_cpus * sizeof(int));
	c->groups = calloc(c->nr_online, sizeof(*c->groups));
	c->gcpus = malloc(c->nr_online * sizeof(int));
	if (!c->cl || !fill || !hc || !gof || !c->groups || !c->gcpus)
		goto out;
	for (unsigned int s = 0; s < c->nc; s++) {
		if (c->why[s] != PLAN_PLACED || !c->pinned[s])
			continue;
		cpumask_for_each(cpu, c->allowed[s])
			c->cl[c->cl_off[cpu] + fill[cpu]++] = (int)s;
	}

	cpumask_for_each(cpu, c->t->online) {
		unsigned int o = c->cl_off[cpu];

		hc[k++] = (struct hcpu){hash_list(&c->cl[o], c->cl_off[cpu + 1] - o), cpu};
	}
	qsort(hc, k, sizeof(*hc), cmp_hcpu);

	/* Runs of equal hash; within a run, split by exact list in case of a collision. */
	for (unsigned int i = 0; i < k; i++)
		gof[hc[i].cpu] = -1;
	c->ngroups = 0;
	for (unsigned int i = 0, j; i < k; i = j) {
		for (j = i; j < k && hc[j].h == hc[i].h; j++)
			;
		for (unsigned int a = i; a < j; a++) {
			struct group *g;
			unsigned int n;

			if (gof[hc[a].cpu] >= 0)
				continue;
			g = &c->groups[c->ngroups];
			n = c->cl_off[hc[a].cpu + 1] - c->cl_off[hc[a].cpu];
			g->first_cpu = (unsigned int)hc[a].cpu;
			g->kind = n == 0 ? 2 : n == 1 ? 0 : 1;
			if (n) {
				g->claim = &c->cl[c->cl_off[hc[a].cpu]];
				g->nr_claim = n;
			} else {
				g->claim = c->unpinned;
				g->nr_claim = c->nr_unpinned;
			}
			g->nr_own = g->nr_claim;
			for (unsigned int b = a; b < j; b++) {
				if (gof[hc[b].cpu] < 0 && same_claim(c, hc[a].cpu, hc[b].cpu)) {
					gof[hc[b].cpu] = (int)c->ngroups;
					g->nr_cpus++;
					if ((unsigned int)hc[b].cpu < g->first_cpu)
						g->first_cpu = (unsigned int)hc[b].cpu;
				}
			}
			c->ngroups++;
		}
	}
	if (add_spill(c))
		goto out;
	/* Order groups, then lay out their CPU lists in topology order. */
	for (unsigned int g = 0; g < c->ngroups; g++)
		c->groups[g].cpu_off = g; /* remember the old index for the remap */
	qsort(c->groups, c->ngroups, sizeof(*c->groups), cmp_group);
	for (unsigned int g = 0, off = 0; g < c->ngroups; g++) {
		fill[c->groups[g].cpu_off] = g; /* old → new index */
		c->groups[g].share_off = nshare;
		nshare += c->groups[g].nr_claim;
		c->groups[g].cpu_off = off;
		off += c->groups[g].nr_cpus;
	}
	for (unsigned int g = 0; g < c->ngroups; g++)
		c->groups[g].nr_cpus = 0;
	for (unsigned int i = 0; i < c->nr_online; i++) {
		int cpu = c->topo_order[i];
		struct group *g = &c->groups[fill[gof[cpu]]];

		c->gcpus[g->cpu_off + g->nr_cpus++] = cpu;
	}
	c->share = calloc(nshare ? nshare : 1, sizeof(*c->share));
	c->rem = calloc(nshare ? nshare : 1, sizeof(*c->rem));
	if (!c->share || !c->rem)
		goto out;
	ret = 0;
out:
	free(fill);
	free(hc);
	free(gof);
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * Counts: split each group among its recipients by remaining deficit.
 */

struct rem_key {
	int i;
	uint64_t r;
	int s;
};

static int cmp_rem_desc(const void *a, const void *b)
{
	const struct rem_key *x = a, *y = b;

	return x->r != y->r ? CMP(y->r, x->r) : CMP(x->s, y->s);
}

/* Deficit of @s once it has @extra more: target − planned − extra, or 0. */
static unsigned int deficit(const struct ctx *c, int s, unsigned int extra)
{
	unsigned int have = c->count[s] + extra;

	return c->target[s] > have ? c->target[s] - have : 0;
}

/*
 * Hold the caps: a recipient's share beyond its cap (cap − planned) is handed, one CPU at a
 * time, to the recipient with room and the largest deficit, claimants before spill recipients
 * (i >= @own), then lower index. The spill recipients include the root cell, which has no cap,
 * so everything finds a place.
 */
static void hold_caps(struct ctx *c, const int *rc, unsigned int k, unsigned int own,
		      unsigned int *share)
{
	unsigned int excess = 0;

	for (unsigned int i = 0; i < k; i++) {
		unsigned int cap = c->cap[rc[i]],
			     room = cap > c->count[rc[i]] ? cap - c->count[rc[i]] : 0;

		if (share[i] > room) {
			excess += share[i] - room;
			share[i] = room;
		}
	}
	for (; excess; excess--) {
		int best = -1;

		for (unsigned int i = 0; i < k; i++) {
			int s = rc[i];

			if ((uint64_t)c->count[s] + share[i] >= c->cap[s])
				continue;
			if (best < 0 || (i < own) > ((unsigned int)best < own) ||
			    ((i < own) == ((unsigned int)best < own) &&
			     deficit(c, s, share[i]) > deficit(c, rc[best], share[best])))
				best = (int)i;
		}
		if (best < 0)
			break; /* unreachable: the root cell has no cap */
		share[best]++;
	}
}

/*
 * Split @n CPUs among the first @own of the @k recipients @rc by deficit (target − planned so
 * far), exact integer largest-remainder arithmetic; all deficits zero → equal split. A claimant
 * that has nothing planned yet and would get 0 takes one from the largest share that can spare
 * it. Recipients beyond @own (the unpinned cells of a group with a capped claimant) only take
 * what the caps leave over (hold_caps()).
 */
static int split(struct ctx *c, unsigned int n, const int *rc, unsigned int k, unsigned int own,
		 unsigned int *share)
{
	unsigned int k_all = k;
	uint64_t dsum = 0, given = 0;
	struct rem_key *rk;

	for (unsigned int i = 0; i < k_all; i++)
		share[i] = 0;
	k = own;
	if (k == 1) {
		share[0] = n;
		goto caps;
	}
	rk = malloc(k * sizeof(*rk));
	if (!rk)
		return -ENOMEM;
	for (unsigned int i = 0; i < k; i++) {
		int s = rc[i];

		dsum += c->target[s] > c->count[s] ? c->target[s] - c->count[s] : 0;
	}
	for (unsigned int i = 0; i < k; i++) {
		int s = rc[i];
		uint64_t d =
			dsum ? (c->target[s] > c->count[s] ? c->target[s] - c->count[s] : 0) : 1;
		uint64_t den = dsum ? dsum : k;

		share[i] = (unsigned int)((uint64_t)n * d / den);
		given += share[i];
		rk[i] = (struct rem_key){(int)i, (uint64_t)n * d % den, s};
	}
	qsort(rk, k, sizeof(*rk), cmp_rem_desc);
	for (unsigned int i = 0; given < n; i++, given++)
		share[rk[i].i]++;
	free(rk);

	for (unsigned int i = 0; i < k; i++) {
		int d = -1;

		if (share[i] || c->count[rc[i]])
			continue;
		for (unsigned int j = 0; j < k; j++) {
			if (share[j] >= 2 || (share[j] == 1 && c->count[rc[j]] >= 1))
				if (d < 0 || share[j] > share[d])
					d = (int)j;
		}
		if (d < 0)
			break; /* nobody can spare one: left to the repair step */
		share[d]--;
		share[i]++;
	}
caps:
	hold_caps(c, rc, k_all, own, share);
	return 0;
}

static int compute_counts(struct ctx *c)
{
	for (unsigned int g = 0; g < c->ngroups; g++) {
		struct group *gr = &c->groups[g];
		unsigned int *share = &c->share[gr->share_off];
		int ret = split(c, gr->nr_cpus, gr->claim, gr->nr_claim, gr->nr_own, share);

		if (ret)
			return ret;
		for (unsigned int i = 0; i < gr->nr_claim; i++) {
			c->count[gr->claim[i]] += share[i];
			c->rem[gr->share_off + i] = share[i];
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * 4a. Keep: inside each group, a cell keeps the CPUs it owned before, up to its share; when it
 * must give some up, it keeps those in the LLCs where it was most concentrated.
 */

struct keep_arg {
	const struct ctx *c;
	int s;
};

static int cmp_keep(const void *a, const void *b, void *arg)
{
	const struct keep_arg *ka = arg;
	const struct ctx *c = ka->c;
	int x = *(const int *)a, y = *(const int *)b;
	unsigned int cx = c->prev_llc_cnt[(size_t)ka->s * c->nllc + c->t->llc_id[x]];
	unsigned int cy = c->prev_llc_cnt[(size_t)ka->s * c->nllc + c->t->llc_id[y]];

	return cx != cy ? CMP(cy, cx) : CMP(c->topo_rank[x], c->topo_rank[y]);
}

static void keep_previous(struct ctx *c)
{
	int *cand = c->scratch; /* group-sized */
	unsigned int *off = c->u_scratch;

	for (unsigned int g = 0; g < c->ngroups; g++) {
		struct group *gr = &c->groups[g];
		unsigned int *rem = &c->rem[gr->share_off];
		const int *cpus = &c->gcpus[gr->cpu_off];
		unsigned int ncand = 0;

		for (unsigned int i = 0; i < gr->nr_claim; i++) {
			c->slot[gr->claim[i]] = (int)i;
			off[i] = 0;
		}
		/* Bucket the group's CPUs by previous owner (counting sort, topology order). */
		for (unsigned int j = 0; j < gr->nr_cpus; j++) {
			int p = c->prev[cpus[j]];

			if (p >= 0 && c->slot[p] >= 0 && rem[c->slot[p]]) {
				off[c->slot[p]]++;
				ncand++;
			}
		}
		if (ncand) {
			for (unsigned int i = 0, acc = 0; i < gr->nr_claim; i++) {
				unsigned int n = off[i];

				off[i] = acc;
				acc += n;
			}
			for (unsigned int j = 0; j < gr->nr_cpus; j++) {
				int p = c->prev[cpus[j]];

				if (p >= 0 && c->slot[p] >= 0 && rem[c->slot[p]])
					cand[off[c->slot[p]]++] = cpus[j];
			}
			/* off[i] is now the end of bucket i; its start is off[i-1]. */
			for (unsigned int i = 0; i < gr->nr_claim; i++) {
				unsigned int start = i ? off[i - 1] : 0, n = off[i] - start;
				int s = gr->claim[i];

				if (!n)
					continue;
				if (n > rem[i]) {
					struct keep_arg ka = {c, s};

					qsort_r(&cand[start], n, sizeof(int), cmp_keep, &ka);
					n = rem[i];
				}
				for (unsigned int j = 0; j < n; j++)
					assign(c, cand[start + j], s);
				rem[i] -= n;
			}
		}
		for (unsigned int i = 0; i < gr->nr_claim; i++)
			c->slot[gr->claim[i]] = -1;
	}
}

/* ---------------------------------------------------------------------------------------------
 * 4b. Take: free CPUs of each group go to the recipients still short of their share.
 */

struct seg {
	int llc;
	unsigned int a, b; /* [a, b) in the group's CPU list */
	unsigned int nfree;
};

/* May @s take @cpu in pass @pass? 0: a sibling is already s's; 1: no sibling is anyone else's. */
static bool core_ok(const struct ctx *c, int cpu, int s, int pass)
{
	int core = c->t->core_id[cpu];

	for (unsigned int i = c->core_off[core]; i < c->core_off[core + 1]; i++) {
		int o = c->owner[c->core_cpus[i]];

		if (pass == 0 && o == s)
			return true;
		if (pass == 1 && o >= 0 && o != s)
			return false;
	}
	return pass == 1;
}

static unsigned int take_from_seg(struct ctx *c, const int *cpus, struct seg *sg, int s,
				  unsigned int want)
{
	unsigned int got = 0;

	for (int pass = 0; pass < 3 && got < want; pass++) {
		for (unsigned int j = sg->a; j < sg->b && got < want; j++) {
			int cpu = cpus[j];

			if (c->owner[cpu] >= 0 || (pass < 2 && !core_ok(c, cpu, s, pass)))
				continue;
			assign(c, cpu, s);
			got++;
		}
	}
	sg->nfree -= got;
	return got;
}

/* Give @want free CPUs of the group (segments @sg) to @s. */
static void choose(struct ctx *c, const int *cpus, struct seg *sg, unsigned int nseg, int s,
		   unsigned int want)
{
	while (want) {
		int best = -1;
		unsigned int bcnt = 0;

		/* Growing: the LLC where s already has most CPUs (ties: lowest LLC). */
		for (unsigned int i = 0; i < nseg; i++) {
			unsigned int cnt = *llc_at(c->llc_cnt, c, s, sg[i].llc);

			if (sg[i].nfree && cnt > bcnt) {
				best = (int)i;
				bcnt = cnt;
			}
		}
		/* Fresh: best fit (smallest LLC that holds all), else the LLC with most free. */
		if (best < 0) {
			for (unsigned int i = 0; i < nseg; i++) {
				unsigned int f = sg[i].nfree;

				if (!f)
					continue;
				if (best < 0) {
					best = (int)i;
					continue;
				}
				unsigned int bf = sg[best].nfree;

				if (bf >= want ? (f >= want && f < bf) : f > bf)
					best = (int)i;
			}
		}
		if (best < 0)
			return; /* cannot happen: shares sum to the group size */
		want -= take_from_seg(c, cpus, &sg[best], s, want);
	}
}

struct needer {
	int i; /* recipient position */
	int s;
	unsigned int rem;
	bool growing;
};

static int cmp_needer(const void *a, const void *b)
{
	const struct needer *x = a, *y = b;

	if (x->growing != y->growing)
		return CMP(y->growing, x->growing);
	if (x->rem != y->rem)
		return CMP(y->rem, x->rem);
	return CMP(x->s, y->s);
}

static int take_free(struct ctx *c)
{
	struct seg *sg = malloc((c->nr_online ? c->nr_online : 1) * sizeof(*sg));
	struct needer *nd = malloc(c->nc * sizeof(*nd));

	if (!sg || !nd) {
		free(sg);
		free(nd);
		return -ENOMEM;
	}
	for (unsigned int g = 0; g < c->ngroups; g++) {
		struct group *gr = &c->groups[g];
		unsigned int *rem = &c->rem[gr->share_off];
		const int *cpus = &c->gcpus[gr->cpu_off];
		unsigned int nn = 0, nseg = 0;

		for (unsigned int i = 0; i < gr->nr_claim; i++)
			if (rem[i])
				nd[nn++] = (struct needer){(int)i, gr->claim[i], rem[i],
							   c->have[gr->claim[i]] > 0};
		if (!nn)
			continue;
		if (nn == 1) {
			for (unsigned int j = 0; j < gr->nr_cpus; j++)
				if (c->owner[cpus[j]] < 0)
					assign(c, cpus[j], nd[0].s);
			rem[nd[0].i] = 0;
			continue;
		}
		for (unsigned int j = 0; j < gr->nr_cpus; j++) {
			int llc = c->t->llc_id[cpus[j]];

			if (!nseg || sg[nseg - 1].llc != llc)
				sg[nseg++] = (struct seg){llc, j, j, 0};
			sg[nseg - 1].b = j + 1;
			if (c->owner[cpus[j]] < 0)
				sg[nseg - 1].nfree++;
		}
		qsort(nd, nn, sizeof(*nd), cmp_needer);
		for (unsigned int k = 0; k < nn; k++) {
			choose(c, cpus, sg, nseg, nd[k].s, nd[k].rem);
			rem[nd[k].i] = 0;
		}
	}
	free(sg);
	free(nd);
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * 5. Repair: no placed cell without a CPU, root at its minimum.
 */

/*
 * Give @z one CPU along a chain z ← o1 ← o2 ... ← ok where each cell takes a CPU of the next one
 * inside its own allowed mask and ok has ≥ 2 CPUs (a BFS over cells: an augmenting path).
 */
static bool repair_zero(struct ctx *c, int z, int *parent_cell, int *parent_cpu, int *queue)
{
	unsigned int qh = 0, qt = 0;
	int found = -1;

	for (unsigned int s = 0; s < c->nc; s++)
		parent_cell[s] = -2;
	parent_cell[z] = -1;
	queue[qt++] = z;
	while (qh < qt && found < 0) {
		int u = queue[qh++], bcpu = -1;

		/*
		 * A direct donor with CPUs to spare ends the search: the CPU u had before if any,
		 * else one of the largest holder's (the reference's "take from the largest").
		 */
		cpumask_for_each(cpu, c->allowed[u]) {
			int o = c->owner[cpu];

			if (o < 0 || o == u || c->have[o] < 2)
				continue;
			if (bcpu < 0 || (c->prev[cpu] == u && c->prev[bcpu] != u) ||
			    ((c->prev[cpu] == u) == (c->prev[bcpu] == u) &&
			     c->have[o] > c->have[c->owner[bcpu]]))
				bcpu = cpu;
		}
		if (bcpu >= 0) {
			found = c->owner[bcpu];
			parent_cell[found] = u;
			parent_cpu[found] = bcpu;
			break;
		}
		cpumask_for_each(cpu, c->allowed[u]) {
			int o = c->owner[cpu];

			if (o < 0 || parent_cell[o] != -2)
				continue;
			parent_cell[o] = u;
			parent_cpu[o] = cpu;
			queue[qt++] = o;
		}
	}
	if (found < 0)
		return false;
	for (int o = found; parent_cell[o] >= 0; o = parent_cell[o])
		move_cpu(c, parent_cpu[o], parent_cell[o]);
	return true;
}

/*
 * Which of @d's CPUs the root takes: one the root had before, else one in the LLC where the root
 * has most, from the LLC where @d has fewest, last in topology order (breaks the fewest cores).
 */
static int pick_for_root(const struct ctx *c, int d)
{
	long best[4] = {0};
	int pick = -1;

	for (unsigned int i = 0; i < c->nr_online; i++) {
		int cpu = c->topo_order[i];
		int llc = c->t->llc_id[cpu];
		long key[4];
		int k = 0;

		if (c->owner[cpu] != d)
			continue;
		key[0] = c->prev[cpu] == 0;
		key[1] = *llc_at(c->llc_cnt, c, 0, llc);
		key[2] = -(long)*llc_at(c->llc_cnt, c, d, llc);
		key[3] = (long)i;
		while (k < 3 && key[k] == best[k])
			k++;
		if (pick < 0 || key[k] > best[k]) {
			pick = cpu;
			memcpy(best, key, sizeof(key));
		}
	}
	return pick;
}

static int repair(struct ctx *c)
{
	int *pc = malloc(c->nc * sizeof(int)), *pcpu = malloc(c->nc * sizeof(int));
	int *q = malloc(c->nc * sizeof(int));
	unsigned int n = 0, min0;

	if (!pc || !pcpu || !q) {
		free(pc);
		free(pcpu);
		free(q);
		return -ENOMEM;
	}
	for (unsigned int s = 0; s < c->nc; s++) {
		if (c->why[s] != PLAN_PLACED)
			continue;
		if (!c->have[s] && !repair_zero(c, (int)s, pc, pcpu, q))
			c->why[s] =
				PLAN_UNPLACED_NO_CPU_LEFT; /* placement makes this unreachable */
		else
			n++;
	}
	min0 = c->in->cell0_min_cpus;
	if (min0 > c->nr_online - (n - 1))
		min0 = c->nr_online - (n - 1);
	while (c->have[0] < min0) {
		int d = -1;

		for (unsigned int s = 1; s < c->nc; s++)
			if (c->why[s] == PLAN_PLACED && c->have[s] >= 2 &&
			    (d < 0 || c->have[s] > c->have[d]))
				d = (int)s;
		if (d < 0)
			break;
		move_cpu(c, pick_for_root(c, d), 0);
	}
	free(pc);
	free(pcpu);
	free(q);
	return 0;
}

/*
 * 6. Stability touch-up. Repair chains and contested splits can leave CPU x with owner A while
 * its previous owner B could take it back. Rotate: B takes x and hands one of its "unstable" CPUs
 * (owned now, not before) to that CPU's previous owner, who does the same, until a cell hands A a
 * CPU A may use. Counts and cpusets are untouched, every CPU on the way goes back to its previous
 * owner, so the number of CPUs that stay put strictly grows. BFS over cells along unstable CPUs
 * only: nothing to do, nothing spent.
 */
struct rot {
	int *off, *ucpu;  /* unstable CPUs by owner (CSR) */
	int *pc, *py, *q; /* BFS: parent cell, CPU handed over, queue */
	unsigned int *seen;
	unsigned int gen;
};

static bool rotate_back(struct ctx *c, struct rot *r, int x)
{
	int a = c->owner[x], b = c->prev[x], end = -1, last_y = -1;
	unsigned int qh = 0, qt = 0;

	r->gen++;
	r->seen[b] = r->gen;
	r->pc[b] = -1;
	r->q[qt++] = b;
	while (qh < qt && end < 0) {
		int u = r->q[qh++];

		for (int i = r->off[u]; i < r->off[u + 1] && end < 0; i++) {
			int y = r->ucpu[i], v = c->prev[y];

			if (c->owner[y] != u || v == u || y == x)
				continue;
			if (cpumask_test(c->allowed[a], (unsigned int)y)) {
				end = u; /* u hands y to a */
				last_y = y;
				break;
			}
			if (v < 0 || c->why[v] != PLAN_PLACED || r->seen[v] == r->gen ||
			    !cpumask_test(c->allowed[v], (unsigned int)y))
				continue;
			r->seen[v] = r->gen;
			r->pc[v] = u;
			r->py[v] = y;
			r->q[qt++] = v;
		}
	}
	if (end < 0)
		return false;
	move_cpu(c, last_y, a);
	for (int v = end; r->pc[v] >= 0; v = r->pc[v])
		move_cpu(c, r->py[v], v);
	move_cpu(c, x, b);
	return true;
}

static int stabilise(struct ctx *c)
{
	struct rot r = {0};
	int ret = -ENOMEM;

	r.off = calloc(c->nc + 1, sizeof(int));
	r.ucpu = malloc((c->nr_online ? c->nr_online : 1) * sizeof(int));
	r.pc = malloc(c->nc * sizeof(int));
	r.py = malloc(c->nc * sizeof(int));
	r.q = malloc(c->nc * sizeof(int));
	r.seen = calloc(c->nc, sizeof(unsigned int));
	if (!r.off || !r.ucpu || !r.pc || !r.py || !r.q || !r.seen)
		goto out;
	/*
	 * A rotation that ends by handing A a CPU A never owned creates a new unstable CPU, which
	 * can open a rotation that failed earlier in the pass: repeat while passes make progress
	 * (each success keeps one more CPU in place, so this ends; the cap bounds pathological
	 * cost).
	 */
	for (int pass = 0, progress = 1; progress && pass < 16; pass++) {
		unsigned int *fill = c->u_scratch;

		progress = 0;
		memset(r.off, 0, (c->nc + 1) * sizeof(int));
		cpumask_for_each(cpu, c->t->online)
			if (c->prev[cpu] != c->owner[cpu])
				r.off[c->owner[cpu] + 1]++;
		for (unsigned int s = 0; s < c->nc; s++)
			r.off[s + 1] += r.off[s];
		if (!r.off[c->nc])
			break;
		memset(fill, 0, c->nc * sizeof(*fill));
		cpumask_for_each(cpu, c->t->online) {
			int o = c->owner[cpu];

			if (c->prev[cpu] != o)
				r.ucpu[r.off[o] + (int)fill[o]++] = cpu;
		}
		cpumask_for_each(x, c->t->online) {
			int a = c->owner[x], b = c->prev[x];

			if (b >= 0 && a != b && c->why[b] == PLAN_PLACED &&
			    cpumask_test(c->allowed[b], (unsigned int)x))
				progress |= rotate_back(c, &r, x);
		}
	}
	ret = 0;
out:
	free(r.off);
	free(r.ucpu);
	free(r.pc);
	free(r.py);
	free(r.q);
	free(r.seen);
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * Output
 */

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (unsigned int i = 0; p->cells && i < p->nr_cells; i++) {
		cpumask_free(p->cells[i].primary);
		cpumask_free(p->cells[i].borrowable);
	}
	free(p->cells);
	free(p->owner);
	free(p->unplaced);
	free(p);
}

static int build_output(struct ctx *c, struct plan **out)
{
	struct plan *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->nr_cpus = c->nr_cpus;
	p->nr_cells = c->nc;
	p->owner = malloc(c->nr_cpus * sizeof(int));
	p->cells = calloc(c->nc, sizeof(*p->cells));
	p->unplaced = malloc(c->nc * sizeof(int));
	if (!p->owner || !p->cells || !p->unplaced)
		goto nomem;
	for (unsigned int s = 0; s < c->nc; s++) {
		struct plan_cell_out *o = &p->cells[c->in_idx[s]];

		o->id = c->ids[s];
		o->why = c->why[s];
		o->primary = cpumask_alloc(c->nr_cpus);
		o->borrowable = cpumask_alloc(c->nr_cpus);
		if (!o->primary || !o->borrowable)
			goto nomem;
		if (o->why != PLAN_PLACED) {
			p->unplaced[p->nr_unplaced++] = o->id;
			continue;
		}
		o->target = c->target[s];
		o->basis = c->basis[s];
		o->nr_primary = c->have[s];
	}
	for (unsigned int cpu = 0; cpu < c->nr_cpus; cpu++) {
		int s = c->owner[cpu];

		p->owner[cpu] = s >= 0 ? c->ids[s] : -1;
		if (s >= 0)
			cpumask_set(p->cells[c->in_idx[s]].primary, cpu);
	}
	for (unsigned int s = 0; s < c->nc; s++) {
		struct plan_cell_out *o = &p->cells[c->in_idx[s]];

		if (o->why != PLAN_PLACED)
			continue;
		cpumask_andnot(o->borrowable, c->allowed[s], o->primary);
	}
	*out = p;
	return 0;
nomem:
	plan_free(p);
	return -ENOMEM;
}

static void ctx_free(struct ctx *c)
{
	for (unsigned int s = 0; c->allowed && s < c->nc; s++)
		cpumask_free(c->allowed[s]);
	free(c->allowed);
	free(c->in_idx);
	free(c->ids);
	free(c->pinned);
	free(c->why);
	free(c->target);
	free(c->count);
	free(c->have);
	free(c->cap);
	free(c->basis);
	free(c->slot);
	free(c->u_scratch);
	free(c->prev);
	free(c->owner);
	free(c->llc_cnt);
	free(c->prev_llc_cnt);
	free(c->topo_order);
	free(c->topo_rank);
	free(c->core_off);
	free(c->core_cpus);
	free(c->scratch);
	free(c->cl_off);
	free(c->cl);
	free(c->unpinned);
	free(c->spill);
	free(c->groups);
	free(c->gcpus);
	free(c->share);
	free(c->rem);
}

int plan_compute(const struct plan_input *in, struct plan **out, char *err, size_t errlen)
{
	struct ctx c = {.in = in, .t = in ? in->topo : NULL, .err = err, .errlen = errlen};
	int ret;

	*out = NULL;
	if (!in || !in->topo || !in->topo->online || !in->cells || !in->nr_cells) {
		set_err(c.err, c.errlen, "plan input needs a topology and at least the root cell");
		return -EINVAL;
	}
	ret = setup(&c);
	if (!ret)
		ret = place(&c);
	if (!ret)
		ret = compute_targets(&c);
	if (!ret)
		ret = classify(&c);
	if (!ret)
		ret = compute_counts(&c);
	if (!ret) {
		keep_previous(&c);
		ret = take_free(&c);
	}
	if (!ret)
		ret = repair(&c);
	if (!ret && c.in->prev)
		ret = stabilise(&c);
	if (!ret)
		ret = build_output(&c, out);
	if (ret == -ENOMEM)
		set_err(c.err, c.errlen, "out of memory planning %u CPUs for %u cells", c.nr_cpus,
			c.nc);
	ctx_free(&c);
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * Validation and comparison
 */

const struct plan_cell_out *plan_find(const struct plan *p, int id)
{
	for (unsigned int i = 0; i < p->nr_cells; i++)
		if (p->cells[i].id == id)
			return &p->cells[i];
	return NULL;
}

const char *plan_unplaced_name(enum plan_unplaced_reason why)
{
	switch (why) {
	case PLAN_PLACED:
		return "placed";
	case PLAN_UNPLACED_NO_ONLINE_CPU:
		return "cpuset has no online CPU";
	case PLAN_UNPLACED_OVER_MAX:
		return "more cells than slots";
	case PLAN_UNPLACED_NO_CPU_LEFT:
		return "no CPU left";
	}
	return "?";
}

const char *plan_basis_name(enum plan_basis basis)
{
	switch (basis) {
	case PLAN_BY_SHARE:
		return "share";
	case PLAN_BY_FLOOR:
		return "floor";
	case PLAN_BY_NEED:
		return "need";
	case PLAN_BY_CAP:
		return "cap";
	case PLAN_BY_LEFTOVER:
		return "leftover";
	}
	return "?";
}

#define VERR(...)                                                                                  \
	do {                                                                                       \
		if (err && errlen)                                                                 \
			snprintf(err, errlen, __VA_ARGS__);                                        \
		ret = -EINVAL;                                                                     \
		goto out;                                                                          \
	} while (0)

int plan_validate(const struct plan_input *in, const struct plan *p, char *err, size_t errlen)
{
	const struct topology *t = in->topo;
	unsigned int T = cpumask_weight(t->online), placed = 0, nunplaced = 0, min0;
	struct cpumask *tmp = NULL;
	int *seen = NULL, ret = 0;
	const struct plan_cell_out *root = NULL;

	if (p->nr_cpus != t->nr_cpus || p->nr_cells != in->nr_cells)
		VERR("plan is for %u CPUs / %u cells but the input has %u / %u", p->nr_cpus,
		     p->nr_cells, t->nr_cpus, in->nr_cells);
	tmp = cpumask_alloc(t->nr_cpus);
	seen = malloc(t->nr_cpus * sizeof(int));
	if (!tmp || !seen) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++)
		seen[cpu] = -1;
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *o = &p->cells[i];
		const struct plan_cell *ic = &in->cells[i];

		if (o->id != ic->id)
			VERR("plan cell %u has id %d but the input cell there is %d", i, o->id,
			     ic->id);
		if (o->id == 0)
			root = o;
		if (!o->primary || !o->borrowable || o->primary->nbits != t->nr_cpus ||
		    o->borrowable->nbits != t->nr_cpus)
			VERR("cell %d: primary/borrowable mask missing or sized wrongly", o->id);
		if (o->why != PLAN_PLACED) {
			bool listed = false;

			nunplaced++;
			for (unsigned int k = 0; k < p->nr_unplaced; k++)
				listed |= p->unplaced[k] == o->id;
			if (!listed)
				VERR("cell %d is unplaced but missing from the unplaced list",
				     o->id);
			if (!cpumask_empty(o->primary) || !cpumask_empty(o->borrowable))
				VERR("cell %d is unplaced but has CPUs", o->id);
			if (o->id == 0)
				VERR("the root cell is unplaced");
			continue;
		}
		placed++;
		if (cpumask_empty(o->primary))
			VERR("cell %d is placed but has no primary CPU", o->id);
		if (cpumask_weight(o->primary) != o->nr_primary)
			VERR("cell %d: nr_primary %u but the mask holds %u", o->id, o->nr_primary,
			     cpumask_weight(o->primary));
		cpumask_for_each(cpu, o->primary) {
			if (!cpumask_test(t->online, (unsigned int)cpu))
				VERR("cell %d has offline CPU %d as primary", o->id, cpu);
			if (seen[cpu] >= 0)
				VERR("CPU %d is primary to both cell %d and cell %d", cpu,
				     seen[cpu], o->id);
			seen[cpu] = o->id;
			if (p->owner[cpu] != o->id)
				VERR("CPU %d is in cell %d's primary mask but owner[] says %d", cpu,
				     o->id, p->owner[cpu]);
		}
		if (ic->cap && o->nr_primary > ic->cap)
			VERR("cell %d owns %u CPUs, above its cap of %u", o->id, o->nr_primary,
			     ic->cap);
		cpumask_and(tmp, o->borrowable, o->primary);
		if (!cpumask_empty(tmp))
			VERR("cell %d may borrow its own CPU %d", o->id, cpumask_first(tmp));
		if (!cpumask_subset(o->borrowable, t->online)) {
			cpumask_andnot(tmp, o->borrowable, t->online);
			VERR("cell %d may borrow offline CPU %d", o->id, cpumask_first(tmp));
		}
		if (ic->has_cpuset) {
			if (!cpumask_subset(o->primary, ic->cpuset)) {
				cpumask_andnot(tmp, o->primary, ic->cpuset);
				VERR("cell %d owns CPU %d outside its cpuset", o->id,
				     cpumask_first(tmp));
			}
			if (!cpumask_subset(o->borrowable, ic->cpuset)) {
				cpumask_andnot(tmp, o->borrowable, ic->cpuset);
				VERR("cell %d may borrow CPU %d outside its cpuset", o->id,
				     cpumask_first(tmp));
			}
		}
	}
	if (!root)
		VERR("the plan has no root cell (id 0)");
	if (nunplaced != p->nr_unplaced)
		VERR("unplaced list has %u entries but %u cells are unplaced", p->nr_unplaced,
		     nunplaced);
	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++) {
		bool on = cpumask_test(t->online, cpu);

		if (on && seen[cpu] < 0)
			VERR("online CPU %u has no owner", cpu);
		if (!on && p->owner[cpu] != -1)
			VERR("offline CPU %u has owner %d; offline CPUs belong to nobody", cpu,
			     p->owner[cpu]);
	}
	min0 = in->cell0_min_cpus < T ? in->cell0_min_cpus : T;
	if (root->nr_primary < min0)
		VERR("root cell has %u CPUs, below its minimum %u (%u CPUs, %u cells)",
		     root->nr_primary, min0, T, placed);
out:
	cpumask_free(tmp);
	free(seen);
	return ret;
}

unsigned int plan_moved(const struct plan *a, const struct plan *b)
{
	unsigned int n = 0;

	if (a->nr_cpus != b->nr_cpus)
		return a->nr_cpus > b->nr_cpus ? a->nr_cpus : b->nr_cpus;
	for (unsigned int cpu = 0; cpu < a->nr_cpus; cpu++)
		n += a->owner[cpu] != b->owner[cpu];
	return n;
}

bool plan_equal(const struct plan *a, const struct plan *b)
{
	if (a->nr_cpus != b->nr_cpus || a->nr_cells != b->nr_cells ||
	    a->nr_unplaced != b->nr_unplaced || plan_moved(a, b))
		return false;
	if (memcmp(a->unplaced, b->unplaced, a->nr_unplaced * sizeof(int)))
		return false;
	for (unsigned int i = 0; i < a->nr_cells; i++) {
		const struct plan_cell_out *x = &a->cells[i], *y = &b->cells[i];

		if (x->id != y->id || x->why != y->why || x->target != y->target ||
		    x->nr_primary != y->nr_primary || !cpumask_equal(x->primary, y->primary) ||
		    !cpumask_equal(x->borrowable, y->borrowable))
			return false;
	}
	return true;
}
