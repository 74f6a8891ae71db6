// SPDX-License-Identifier: GPL-2.0
/*
 * manager - registry + topology + planner -> validated plans, and their rendering.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cellconfig.h"
#include "cgroup.h"
#include "manager.h"
#include "util.h"
#include "view.h"

struct manager {
	struct manager_cfg cfg;
	struct topology *topo;
	struct cells *cells;
	struct plan *current;
	struct plan_cell *scratch; /* plan input, one per cell slot */
	uint64_t *pub_cgid;	   /* [max_cells] cgroup id per slot as last published (0: none) */
	unsigned int *pub_flags;   /* [max_cells] CELL_F_* per slot as last published */
	struct cpumask *no_lend;   /* scratch: CPUs of cells that do not lend */
	bool rules;		   /* --cell-config: say which rule made each cell */
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
	m->pub_flags = calloc(cfg->max_cells ? cfg->max_cells : 1, sizeof(*m->pub_flags));
	m->no_lend = cpumask_alloc(m->topo->nr_cpus);
	m->rules = cfg->config != NULL;
	m->cfg.config = NULL; /* the registry has its copy */
	if (!m->scratch || !m->pub_cgid || !m->pub_flags || !m->no_lend) {
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
		struct cpumask *nl = cpumask_alloc(t->nr_cpus);

		if (!nl) {
			topology_free(t);
			return -ENOMEM;
		}
		cpumask_free(m->no_lend);
		m->no_lend = nl;
		set_current(m, NULL); /* sized for another machine: no use for stability */
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
	if (!force && m->current && plan_equal(m->current, p) &&
	    same_cgroups(m, cells, out->nr_slots)) {
		plan_free(p);
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
		m->pub_cgid[i] = slot_cgid(cells, i, dec->nr_slots);
		m->pub_flags[i] = i < dec->nr_slots && cells[i].in_use ? cells[i].flags : 0;
	}
	set_current(m, dec->plan);
	dec->plan = NULL;
}

static const char *unplaced_reason(enum plan_unplaced_reason why)
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

static const char *basis_name(enum plan_basis b)
{
	switch (b) {
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

/*
 * Why a placed cell has its CPU count: what decided its target, or its cpuset when the CPUs it
 * could get differ from the target (exclusive CPUs beyond it, or too few inside it).
 */
static const char *count_why(const struct plan_cell_out *pc)
{
	if (pc->why != PLAN_PLACED)
		return unplaced_reason(pc->why);
	if (pc->nr_primary != pc->target)
		return "cpuset";
	return basis_name(pc->basis);
}

/* Weight and cap of cell @cl as planned (the root cell: 100, no cap). */
static void cell_limits(const struct cell *cl, unsigned int *weight, unsigned int *cap)
{
	*weight = cl && cl->id ? cl->weight : CGROUP_WEIGHT_DEFAULT;
	*cap = cl && cl->id ? cl->cap : 0;
}

/* Format @mask into @buf ("-" for NULL, "" for empty); long lists are cut with "...". */
static const char *fmt_mask(const struct cpumask *mask, char *buf, size_t len)
{
	if (!mask)
		return "-";
	if (cpumask_format(mask, buf, len) >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

void manager_print_plan(const struct manager *m, const struct plan *p, bool json, FILE *f)
{
	char a[4096], b[4096], c[4096];

	if (json) {
		fprintf(f, "{\"nr_cpus\":%u,\"online\":\"%s\",\"equal_shares\":%s,\"cells\":[",
			p->nr_cpus, fmt_mask(m->topo->online, a, sizeof(a)),
			m->cfg.equal_shares ? "true" : "false");
		for (unsigned int i = 0; i < p->nr_cells; i++) {
			const struct plan_cell_out *pc = &p->cells[i];
			const struct cell *cl = cell_at(m, (unsigned int)pc->id);
			unsigned int weight, cap;

			cell_limits(cl, &weight, &cap);
			fprintf(f, "%s{\"id\":%d,\"cgroup\":", i ? "," : "", pc->id);
			json_print_string(f, cl ? cl->path : (m->cfg.parent ? m->cfg.parent : "/"));
			fprintf(f, ",\"cpuset\":");
			if (cl && cl->cpuset)
				fprintf(f, "\"%s\"", fmt_mask(cl->cpuset, a, sizeof(a)));
			else
				fprintf(f, "null");
			fprintf(f, ",\"weight\":%u,\"cap\":", weight);
			if (cap)
				fprintf(f, "%u", cap);
			else
				fprintf(f, "null");
			if (cl && cl->id) {
				fprintf(f, ",\"rule\":%d,\"match\":", cl->rule);
				json_print_string(f, cl->match ? cl->match : "");
				fprintf(f, ",\"min\":");
				if (cl->min)
					fprintf(f, "%u", cl->min);
				else
					fprintf(f, "null");
				fprintf(f, ",\"borrow\":%s,\"lend\":%s,\"latency_sensitive\":%s",
					cl->borrow ? "true" : "false", cl->lend ? "true" : "false",
					cl->latency_sensitive ? "true" : "false");
			}
			fprintf(f,
				",\"placed\":%s,\"reason\":\"%s\",\"target\":%u,\"why\":\"%s\","
				"\"nr_primary\":%u,\"primary\":\"%s\",\"borrowable\":\"%s\"}",
				pc->why == PLAN_PLACED ? "true" : "false", unplaced_reason(pc->why),
				pc->target, count_why(pc), pc->nr_primary,
				fmt_mask(pc->primary, b, sizeof(b)),
				fmt_mask(pc->borrowable, c, sizeof(c)));
		}
		fprintf(f, "],\"waiting\":[");
		for (unsigned int i = 0; m->cells && i < cells_nr_waiting(m->cells); i++) {
			fputs(i ? "," : "", f);
			json_print_string(f, cells_waiting_name(m->cells, i));
		}
		fprintf(f, "]}\n");
		return;
	}

	fprintf(f, "%u CPUs online: %s\n", cpumask_weight(m->topo->online),
		fmt_mask(m->topo->online, a, sizeof(a)));
	fprintf(f, "%-4s %-32s %-12s %-6s %-4s %-4s %-8s %-20s %s\n", "cell", "cgroup", "cpuset",
		"weight", "cap", "cpus", "why", "primary", "borrowable");
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];
		const struct cell *cl = cell_at(m, (unsigned int)pc->id);
		const char *name = pc->id == 0 ? "(root)" : (cl ? cl->name : "?");
		unsigned int weight, cap;
		char capbuf[16];

		cell_limits(cl, &weight, &cap);
		if (cap)
			snprintf(capbuf, sizeof(capbuf), "%u", cap);
		else
			strcpy(capbuf, "-");
		if (pc->why != PLAN_PLACED) {
			fprintf(f,
				"%-4d %-32s %-12s %-6u %-4s %-4s unplaced: %s (its tasks run in cell 0)\n",
				pc->id, name, fmt_mask(cl ? cl->cpuset : NULL, a, sizeof(a)),
				weight, capbuf, "0", unplaced_reason(pc->why));
			continue;
		}
		fprintf(f, "%-4d %-32s %-12s %-6u %-4s %-4u %-8s %-20s %s\n", pc->id, name,
			fmt_mask(cl ? cl->cpuset : NULL, a, sizeof(a)), weight, capbuf,
			pc->nr_primary, count_why(pc), fmt_mask(pc->primary, b, sizeof(b)),
			fmt_mask(pc->borrowable, c, sizeof(c)));
	}
	for (unsigned int i = 0; m->rules && i < p->nr_cells; i++) {
		const struct cell *cl = cell_at(m, (unsigned int)p->cells[i].id);
		char minbuf[16] = "-";

		if (!cl || !cl->id)
			continue;
		if (cl->min)
			snprintf(minbuf, sizeof(minbuf), "%u", cl->min);
		fprintf(f,
			"cell %u %s: rules[%d] \"%s\" (min %s, borrow %s, lend %s, latency_sensitive %s)\n",
			cl->id, cl->name, cl->rule, cl->match ? cl->match : "?", minbuf,
			cl->borrow ? "yes" : "no", cl->lend ? "yes" : "no",
			cl->latency_sensitive ? "yes" : "no");
	}
	if (m->cfg.equal_shares)
		fprintf(f, "--equal-shares: cpu.weight ignored, every cell has the same share\n");
	for (unsigned int i = 0; m->cells && i < cells_nr_waiting(m->cells); i++)
		fprintf(f, "waiting for a cell slot (runs in cell 0): %s\n",
			cells_waiting_name(m->cells, i));
}

/* The cgroup's full path: live cells from the registry, destroyed ones from the parent. */
static void change_path(const struct manager *m, const struct cells_change *ch, bool live,
			char *buf, size_t len)
{
	const struct cell *c = live && m->cells ? cells_get(m->cells, ch->id) : NULL;
	const struct cell *root = m->cells ? cells_get(m->cells, 0) : NULL;

	if (c && c->ino == ch->ino)
		snprintf(buf, len, "%s", c->path);
	else if (root)
		snprintf(buf, len, "%s/%s", root->path, ch->name);
	else
		snprintf(buf, len, "%s", ch->name);
}

/* scx_mitosis's wording and order of facts first ("Created cell N for cgroup PATH (cgid=X)"). */
static void log_changes(const struct manager *m, FILE *f, const char *what, bool live,
			const struct cells_change *ch, unsigned int n)
{
	char path[4096];

	for (unsigned int i = 0; i < n; i++) {
		change_path(m, &ch[i], live, path, sizeof(path));
		fprintf(f, "scx_cells: %s cell %u for cgroup %s (cgid=%llu)\n", what, ch[i].id,
			path, (unsigned long long)ch[i].ino);
	}
}

void manager_log_diff(const struct manager *m, const struct cells_diff *diff, FILE *f)
{
	char path[4096];

	log_changes(m, f, "Destroyed", false, diff->destroyed, diff->nr_destroyed);
	log_changes(m, f, "Created", true, diff->created, diff->nr_created);
	log_changes(m, f, "Cpuset changed for", true, diff->cpuset_changed,
		    diff->nr_cpuset_changed);
	for (unsigned int i = 0; i < diff->nr_limits_changed; i++) {
		const struct cells_change *ch = &diff->limits_changed[i];
		char oc[16] = "none", nc[16] = "none", extra[160] = "";

		if (ch->old_cap)
			snprintf(oc, sizeof(oc), "%u", ch->old_cap);
		if (ch->cap)
			snprintf(nc, sizeof(nc), "%u", ch->cap);
		if (ch->old_min != ch->min || ch->old_flags != ch->flags)
			snprintf(extra, sizeof(extra),
				 ", min %u -> %u, borrow %s, lend %s, latency_sensitive %s",
				 ch->old_min, ch->min, ch->flags & CELLS_F_NO_BORROW ? "no" : "yes",
				 ch->flags & CELLS_F_NO_LEND ? "no" : "yes",
				 ch->flags & CELLS_F_LATENCY ? "yes" : "no");
		change_path(m, ch, true, path, sizeof(path));
		fprintf(f,
			"scx_cells: Limits changed for cell %u for cgroup %s (cgid=%llu): weight %u -> %u, cap %s -> %s CPUs%s\n",
			ch->id, path, (unsigned long long)ch->ino, ch->old_weight, ch->weight, oc,
			nc, extra);
	}
	for (unsigned int i = 0; i < diff->nr_warnings; i++)
		fprintf(f, "scx_cells: warning: %s\n", diff->warnings[i]);
}

void manager_log_plan(const struct manager *m, const struct plan *p, const char *head,
		      const char *facts, FILE *f)
{
	char a[1024];
	bool any = false;

	fprintf(f, "scx_cells: %s:", head);
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];
		const struct cell *c = m->cells ? cells_get(m->cells, pc->id) : NULL;

		if (pc->id == 0)
			fprintf(f, " [0: ");
		else
			fprintf(f, " [%d(%s): ", pc->id, c ? c->name : "?");
		if (pc->why != PLAN_PLACED)
			fprintf(f, "unplaced, %s]", unplaced_reason(pc->why));
		else
			fprintf(f, "%s]", fmt_mask(pc->primary, a, sizeof(a)));
	}
	fprintf(f, " (%s", facts);
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];

		if (pc->why != PLAN_PLACED || !pc->borrowable || cpumask_empty(pc->borrowable))
			continue;
		fprintf(f, "%s %d: %s", any ? "," : "; borrowable:", pc->id,
			fmt_mask(pc->borrowable, a, sizeof(a)));
		any = true;
	}
	fprintf(f, ")\n");
}
