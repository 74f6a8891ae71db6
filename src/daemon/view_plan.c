// SPDX-License-Identifier: GPL-2.0
/*
 * view_plan - the --dry-run plan as text or JSON, written once through the streaming writer
 * (writer.h): the calls below are the JSON structure in order; a value's text format (or NULL)
 * and writer_text() give the text form. Byte-identical to the two hand-written forms it replaces
 * (tests/unit/golden/plan_*).
 */
#include "cgroup.h"
#include "view_plan.h"
#include "writer.h"

#define MASK_MAX 4096 /* bytes of a cpulist shown; longer ones are cut with "..." */

/* The cell with slot @id, or NULL (without a registry only the root cell exists). */
static const struct cell *cell_at(const struct plan_view *v, int id)
{
	return v->cells ? cells_get(v->cells, (unsigned int)id) : NULL;
}

/*
 * Why a placed cell has its CPU count: what decided its target, or its cpuset when the CPUs it
 * could get differ from the target (exclusive CPUs beyond it, or too few inside it).
 */
static const char *count_why(const struct plan_cell_out *pc)
{
	if (pc->why != PLAN_PLACED)
		return plan_unplaced_name(pc->why);
	if (pc->nr_primary != pc->target)
		return "cpuset";
	return plan_basis_name(pc->basis);
}

/* What its rule says about workload cell @cl: JSON only (the text has a line per cell). */
static void rule(struct writer *w, const struct cell *cl)
{
	writer_int(w, "rule", NULL, cl->rule);
	writer_string(w, "match", NULL, cl->match ? cl->match : "");
	if (cl->min)
		writer_u64(w, "min", NULL, cl->min);
	else
		writer_null(w, "min", NULL);
	writer_bool(w, "borrow", NULL, cl->borrow);
	writer_bool(w, "lend", NULL, cl->lend);
	writer_bool(w, "latency_sensitive", NULL, cl->latency_sensitive);
}

/* One cell: a table row in text, an object of "cells" in JSON. */
static void cell(struct writer *w, const struct plan_view *v, const struct plan_cell_out *pc)
{
	const struct cell *cl = cell_at(v, pc->id);
	bool workload = cl && cl->id, placed = pc->why == PLAN_PLACED;
	/* The root cell is planned with the kernel's default weight and no cap. */
	unsigned int weight = workload ? cl->weight : CGROUP_WEIGHT_DEFAULT;
	unsigned int cap = workload ? cl->cap : 0;
	char buf[MASK_MAX];

	writer_begin_object(w, NULL);
	writer_int(w, "id", "%-4d", pc->id);
	writer_text(w, " %-32s", pc->id == 0 ? "(root)" : (cl ? cl->name : "?"));
	writer_string(w, "cgroup", NULL, cl ? cl->path : "/");
	if (cl && cl->cpuset)
		writer_string(w, "cpuset", " %-12s", cpumask_str(cl->cpuset, buf, sizeof(buf)));
	else
		writer_null(w, "cpuset", " %-12s");
	writer_u64(w, "weight", " %-6llu", weight);
	if (cap)
		writer_u64(w, "cap", " %-4llu", cap);
	else
		writer_null(w, "cap", " %-4s");
	if (workload)
		rule(w, cl);
	writer_bool(w, "placed", NULL, placed);
	writer_string(w, "reason", NULL, plan_unplaced_name(pc->why));
	writer_u64(w, "target", NULL, pc->target);
	/* The text shows the CPU count before why; an unplaced cell says so instead of masks. */
	writer_text(w, " %-4u", placed ? pc->nr_primary : 0);
	writer_string(w, "why", placed ? " %-8s" : NULL, count_why(pc));
	if (!placed)
		writer_text(w, " unplaced: %s (its tasks run in cell 0)\n",
			    plan_unplaced_name(pc->why));
	writer_u64(w, "nr_primary", NULL, pc->nr_primary);
	writer_string(w, "primary", placed ? " %-20s" : NULL,
		      cpumask_str(pc->primary, buf, sizeof(buf)));
	writer_string(w, "borrowable", placed ? " %s\n" : NULL,
		      cpumask_str(pc->borrowable, buf, sizeof(buf)));
	writer_end_object(w);
}

/* Text only: which rule made each workload cell, and what it says. */
static void rule_lines(struct writer *w, const struct plan_view *v)
{
	for (unsigned int i = 0; v->rules && i < v->plan->nr_cells; i++) {
		const struct cell *cl = cell_at(v, v->plan->cells[i].id);
		char minbuf[16] = "-";

		if (!cl || !cl->id)
			continue;
		if (cl->min)
			snprintf(minbuf, sizeof(minbuf), "%u", cl->min);
		writer_text(
			w,
			"cell %u %s: rules[%d] \"%s\" (min %s, borrow %s, lend %s, latency_sensitive %s)\n",
			cl->id, cl->name, cl->rule, cl->match ? cl->match : "?", minbuf,
			cl->borrow ? "yes" : "no", cl->lend ? "yes" : "no",
			cl->latency_sensitive ? "yes" : "no");
	}
}

void view_plan_render(FILE *f, const struct plan_view *v, bool json)
{
	const struct plan *p = v->plan;
	unsigned int nr_waiting = v->cells ? cells_nr_waiting(v->cells) : 0;
	char buf[MASK_MAX];
	struct writer w;

	writer_init(&w, f, json);
	writer_begin_object(&w, NULL);
	writer_u64(&w, "nr_cpus", NULL, p->nr_cpus);
	writer_text(&w, "%u CPUs online: ", cpumask_weight(v->topo->online));
	writer_string(&w, "online", "%s\n", cpumask_str(v->topo->online, buf, sizeof(buf)));
	writer_bool(&w, "equal_shares", NULL, v->equal_shares);
	writer_begin_array(&w, "cells");
	writer_text(&w, "%-4s %-32s %-12s %-6s %-4s %-4s %-8s %-20s %s\n", "cell", "cgroup",
		    "cpuset", "weight", "cap", "cpus", "why", "primary", "borrowable");
	for (unsigned int i = 0; i < p->nr_cells; i++)
		cell(&w, v, &p->cells[i]);
	writer_end_array(&w);
	rule_lines(&w, v);
	if (v->equal_shares)
		writer_text(&w,
			    "--equal-shares: cpu.weight ignored, every cell has the same share\n");
	writer_begin_array(&w, "waiting");
	for (unsigned int i = 0; i < nr_waiting; i++)
		writer_string(&w, NULL, "waiting for a cell slot (runs in cell 0): %s\n",
			      cells_waiting_name(v->cells, i));
	writer_end_array(&w);
	writer_end_object(&w);
}
