// SPDX-License-Identifier: GPL-2.0
/*
 * manager - registry + topology + planner -> validated plans, and their BPF form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellconfig.h"
#include "cgroup.h"
#include "manager.h"
#include "util.h"

struct manager {
	struct manager_cfg cfg;
	struct topology *topo;
	struct cells *cells;
	struct plan *current;
	struct plan_cell *scratch; /* plan input, one per cell slot */
	/* what the BPF side was last given (see manager_commit()); pub_nr 0: nothing yet */
	unsigned int pub_nr;	     /* cell slots published */
	uint64_t *pub_cgid;	     /* [max_cells] cgroup id per slot (0: none) */
	struct cpumask **pub_borrow; /* [max_cells] borrowable CPUs per slot (NULL: none) */
	unsigned int *pub_flags;     /* [max_cells] CELL_F_* per slot as last published */
	int *pub_owner;		     /* [pub_nr_cpus] owner cell of each CPU */
	unsigned int pub_nr_cpus;
	struct cpumask *no_lend; /* scratch: CPUs of cells that do not lend */
};

int manager_new(const struct manager_cfg *cfg, struct manager **out, struct cells_diff *diff,
		char *err, size_t errlen)
{
	struct manager *m;
	int ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	ret = topology_load(&m->topo, cfg->sysfs_root, err, errlen);
	if (ret)
		goto fail;
	if (cfg->parent) {
		struct cells_cfg ccfg = {
			.parent = cfg->parent,
			.config = cfg->config,
			.exclude = cfg->exclude,
			.nr_exclude = cfg->nr_exclude,
			.max_cells = cfg->max_cells,
			.nr_cpus = m->topo->nr_cpus,
		};

		ret = cells_new(&ccfg, &m->cells, diff, err, errlen);
		if (ret)
			goto fail;
	}
	m->scratch = calloc(cfg->max_cells ? cfg->max_cells : 1, sizeof(*m->scratch));
	m->pub_cgid = calloc(cfg->max_cells ? cfg->max_cells : 1, sizeof(*m->pub_cgid));
	m->pub_borrow = calloc(cfg->max_cells ? cfg->max_cells : 1, sizeof(*m->pub_borrow));
	m->pub_owner = calloc(m->topo->nr_cpus, sizeof(*m->pub_owner));
	m->pub_nr_cpus = m->topo->nr_cpus;
	m->pub_flags = calloc(cfg->max_cells ? cfg->max_cells : 1, sizeof(*m->pub_flags));
	m->no_lend = cpumask_alloc(m->topo->nr_cpus);
	m->cfg.config = NULL; /* the registry has its copy */
	if (!m->scratch || !m->pub_cgid || !m->pub_borrow || !m->pub_owner || !m->pub_flags ||
	    !m->no_lend) {
		ret = -ENOMEM;
		goto fail;
	}
	*out = m;
	return 0;
fail:
	manager_free(m);
	return ret;
}

void manager_free(struct manager *m)
{
	if (!m)
		return;
	plan_free(m->current);
	cells_free(m->cells);
	topology_free(m->topo);
	free(m->scratch);
	free(m->pub_cgid);
	if (m->pub_borrow)
		for (unsigned int i = 0; i < (m->cfg.max_cells ? m->cfg.max_cells : 1); i++)
			cpumask_free(m->pub_borrow[i]);
	free(m->pub_borrow);
	free(m->pub_owner);
	free(m->pub_flags);
	cpumask_free(m->no_lend);
	free(m);
}

static void set_current(struct manager *m, struct plan *p)
{
	plan_free(m->current);
	m->current = p;
}

int manager_reload_topology(struct manager *m, char *err, size_t errlen)
{
	struct topology *t;
	int ret = topology_load(&t, m->cfg.sysfs_root, err, errlen);

	if (ret)
		return ret;
	if (t->nr_cpus != m->topo->nr_cpus) {
		int *po = calloc(t->nr_cpus, sizeof(*po));
		struct cpumask *nl = cpumask_alloc(t->nr_cpus);

		if (!po || !nl) {
			free(po);
			cpumask_free(nl);
			topology_free(t);
			snprintf(err, errlen, "out of memory reloading the topology");
			return -ENOMEM;
		}
		set_current(m, NULL); /* sized for another machine: no use for stability */
		free(m->pub_owner);
		m->pub_owner = po;
		m->pub_nr_cpus = t->nr_cpus;
		m->pub_nr = 0;
		cpumask_free(m->no_lend);
		m->no_lend = nl;
	}
	topology_free(m->topo);
	m->topo = t;
	return 0;
}

int manager_set_config(struct manager *m, const struct cellconfig *config, struct cells_diff *diff,
		       char *err, size_t errlen)
{
	if (!m->cells) {
		set_err(err, errlen, "no cell registry to reconfigure (no --cell-config at start)");
		return -EINVAL;
	}
	return cells_set_config(m->cells, config, diff, err, errlen);
}

struct cells *manager_cells(struct manager *m)
{
	return m->cells;
}

const struct topology *manager_topology(const struct manager *m)
{
	return m->topo;
}

const struct plan *manager_current(const struct manager *m)
{
	return m->current;
}

/* The cell with slot @id, or NULL (without a parent only the root cell exists). */
static const struct cell *cell_at(const struct manager *m, unsigned int id)
{
	return m->cells ? cells_get(m->cells, id) : NULL;
}

/*
 * The rules' borrow/lend flags, on the plan's borrowable masks (which the BPF side enforces): a
 * cell that may not borrow has none; the CPUs of a cell that does not lend are in nobody's.
 * Only ever removes CPUs, so the plan stays valid.
 */
static void apply_flags(struct manager *m, struct plan *p)
{
	cpumask_zero(m->no_lend);
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct cell *c = cell_at(m, (unsigned int)p->cells[i].id);

		if (c && p->cells[i].id && !c->lend)
			cpumask_or(m->no_lend, m->no_lend, p->cells[i].primary);
	}
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct cell *c = cell_at(m, (unsigned int)p->cells[i].id);

		if (c && p->cells[i].id && !c->borrow)
			cpumask_zero(p->cells[i].borrowable);
		else
			cpumask_andnot(p->cells[i].borrowable, p->cells[i].borrowable, m->no_lend);
	}
}

/* The flags of cell @c for the BPF side (CELLS_F_*, the values of intf.h's CELL_F_*). */
static unsigned int bpf_flags(const struct cell *c)
{
	if (!c || !c->id)
		return 0;
	return (c->borrow ? 0 : CELLS_F_NO_BORROW) | (c->lend ? 0 : CELLS_F_NO_LEND) |
	       (c->latency_sensitive ? CELLS_F_LATENCY : 0);
}

int manager_plan(struct manager *m, const double *weights, struct plan **out, char *err,
		 size_t errlen)
{
	unsigned int n = 0, max = m->cfg.max_cells ? m->cfg.max_cells : 1;
	struct plan_input in;
	int ret;

	for (unsigned int id = 0; id < max; id++) {
		const struct cell *c = cell_at(m, id);

		if (id && !c)
			continue;
		/*
		 * Shares are cpu.weight (the root cell: the kernel's default, 100), or all equal
		 * with --equal-shares; caps (cpu.max) apply either way.
		 */
		m->scratch[n] = (struct plan_cell){
			.id = (int)id,
			.has_cpuset = id && c->cpuset,
			.cpuset = id ? c->cpuset : NULL,
			.need = weights ? weights[id] : 0.0,
			.share = m->cfg.equal_shares ? 0.0
				 : id		     ? (double)c->weight
						     : (double)CGROUP_WEIGHT_DEFAULT,
			.cap = id ? c->cap : 0,
			.min = id ? c->min : 0,
		};
		n++;
	}
	in = (struct plan_input){
		.topo = m->topo,
		.cell0_min_cpus = m->cfg.cell0_min_cpus,
		.max_cells = max,
		.cells = m->scratch,
		.nr_cells = n,
		.prev = m->current,
	};
	ret = plan_compute(&in, out, err, errlen);
	if (ret)
		return ret;
	apply_flags(m, *out);
	ret = plan_validate(&in, *out, err, errlen);
	if (ret) {
		plan_free(*out);
		*out = NULL;
	}
	return ret;
}

/* The BPF form of @p into @cells and @owner; returns the number of cell slots to publish. */
static unsigned int bpf_form(const struct manager *m, const struct plan *p,
			     struct sched_cell *cells, int *owner)
{
	unsigned int nr = 1;

	memset(cells, 0, sizeof(*cells) * (m->cfg.max_cells ? m->cfg.max_cells : 1));
	cells[0].in_use = true;
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];
		const struct cell *c = cell_at(m, (unsigned int)pc->id);

		if (pc->why != PLAN_PLACED)
			continue;
		cells[pc->id] = (struct sched_cell){
			.in_use = true,
			.cgid = c ? c->ino : 0,
			.borrow = pc->borrowable,
			.flags = bpf_flags(c),
		};
		if ((unsigned int)pc->id + 1 > nr)
			nr = (unsigned int)pc->id + 1;
	}
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++)
		owner[cpu] = p->owner[cpu] >= 0 ? p->owner[cpu] : 0;
	return nr;
}

/* Cgroup id of slot @i in @cells, whose first @nr slots are to be published (0: none). */
static uint64_t slot_cgid(const struct sched_cell *cells, unsigned int i, unsigned int nr)
{
	return i < nr && cells[i].in_use ? cells[i].cgid : 0;
}

/* Do the first @nr slots of @cells name the cgroups that were published last? */
static bool same_cgroups(const struct manager *m, const struct sched_cell *cells, unsigned int nr)
{
	for (unsigned int i = 0; i < m->cfg.max_cells; i++)
		if (slot_cgid(cells, i, nr) != m->pub_cgid[i] ||
		    (i < nr && cells[i].in_use ? cells[i].flags : 0) != m->pub_flags[i])
			return false;
	return true;
}

/* Borrowable CPUs as the BPF side sees them: NULL and empty are both "none". */
static bool same_borrow(const struct cpumask *a, const struct cpumask *b)
{
	bool ea = !a || cpumask_empty(a), eb = !b || cpumask_empty(b);

	if (ea || eb)
		return ea && eb;
	return cpumask_equal(a, b);
}

/*
 * Is the BPF form (@cells[@nr], @owner) exactly what was published last? That is everything the
 * BPF side reads: the number of slots, each slot's cgroup and borrowable CPUs, each CPU's owner.
 * Targets and the reasons behind them are the planner's business only.
 */
static bool same_bpf_form(const struct manager *m, const struct sched_cell *cells, const int *owner,
			  unsigned int nr)
{
	if (!m->pub_nr || nr != m->pub_nr || m->pub_nr_cpus != m->topo->nr_cpus ||
	    !same_cgroups(m, cells, nr))
		return false;
	for (unsigned int i = 0; i < nr; i++)
		if (!same_borrow(cells[i].in_use ? cells[i].borrow : NULL, m->pub_borrow[i]))
			return false;
	return !memcmp(owner, m->pub_owner, sizeof(*owner) * m->pub_nr_cpus);
}

int manager_decide(struct manager *m, const double *weights, bool force, struct sched_cell *cells,
		   int *owner, struct manager_decision *out, char *err, size_t errlen)
{
	struct plan *p;
	int ret;

	*out = (struct manager_decision){0};
	ret = manager_plan(m, weights, &p, err, errlen);
	if (ret)
		return ret;
	out->nr_slots = bpf_form(m, p, cells, owner);
	if (!force && m->current && same_bpf_form(m, cells, owner, out->nr_slots)) {
		/*
		 * Nothing the BPF side reads changed (say a cpu.weight that moves no CPU): no
		 * publication, which would make every task re-resolve its cell for nothing. The
		 * new plan's targets and reasons still become the plan in force.
		 */
		if (plan_equal(m->current, p))
			plan_free(p);
		else
			set_current(m, p);
		return 0;
	}
	out->plan = p;
	out->moved = m->current ? plan_moved(m->current, p) : 0;
	out->publish = true;
	return 0;
}

void manager_commit(struct manager *m, struct manager_decision *dec, const struct sched_cell *cells)
{
	for (unsigned int i = 0; i < m->cfg.max_cells; i++) {
		const struct cpumask *b =
			i < dec->nr_slots && cells[i].in_use ? cells[i].borrow : NULL;

		m->pub_cgid[i] = slot_cgid(cells, i, dec->nr_slots);
		m->pub_flags[i] = i < dec->nr_slots && cells[i].in_use ? cells[i].flags : 0;
		cpumask_free(m->pub_borrow[i]);
		/* out of memory: NULL reads as "none", so the next decision publishes again */
		m->pub_borrow[i] = b ? cpumask_dup(b) : NULL;
	}
	m->pub_nr = dec->nr_slots;
	if (dec->plan && dec->plan->nr_cpus == m->pub_nr_cpus)
		for (unsigned int cpu = 0; cpu < m->pub_nr_cpus; cpu++)
			m->pub_owner[cpu] = dec->plan->owner[cpu] >= 0 ? dec->plan->owner[cpu] : 0;
	else
		m->pub_nr = 0;
	set_current(m, dec->plan);
	dec->plan = NULL;
}
