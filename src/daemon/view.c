// SPDX-License-Identifier: GPL-2.0
/*
 * view - one interval's stats as text or JSON, each part written once through the streaming
 * writer (writer.h): the calls below are the JSON structure in order; a value's text format (or
 * NULL) and writer_text() give the text form. Byte-identical to the two hand-written forms it
 * replaces (tests/unit/golden/view_*).
 */
#include "view.h"
#include "writer.h"

static bool has_cpu_map(const struct view *v)
{
	return v->plan && v->running && v->plan->nr_cpus <= VIEW_CPU_MAP_MAX;
}

/*
 * The CPU map: for each CPU the cell that owns it and the cell whose task it is running right now
 * ("." when idle, "N*" for a borrower), so borrowing is visible at a glance. Text: three rows
 * (cpu, owner, runs); JSON: one object per CPU.
 */
static void cpu_map(struct writer *w, const struct view *v)
{
	const struct plan *p = v->plan;

	writer_text(w, "  %-5s", "cpu");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++)
		writer_text(w, " %3u", cpu);
	writer_text(w, "\n  %-5s", "owner");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++) {
		if (p->owner[cpu] < 0)
			writer_text(w, "   -");
		else
			writer_text(w, " %3d", p->owner[cpu]);
	}
	writer_text(w, "\n  %-5s", "runs");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++) {
		if (v->running[cpu] < 0)
			writer_text(w, "   .");
		else if (v->running[cpu] != p->owner[cpu])
			writer_text(w, " %2d*", v->running[cpu]);
		else
			writer_text(w, " %3d", v->running[cpu]);
	}
	writer_text(w, "\n");

	writer_begin_array(w, "cpu_map");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++) {
		writer_begin_object(w, NULL);
		writer_u64(w, "cpu", NULL, cpu);
		writer_int(w, "owner", NULL, p->owner[cpu]);
		writer_int(w, "running", NULL, v->running[cpu]);
		writer_end_object(w);
	}
	writer_end_array(w);
}

/* The interval's counters: two text lines; top-level fields, "queue" and "counters" in JSON. */
static void header(struct writer *w, const struct view *v)
{
	const struct view_placement *pl = &v->placement;
	const struct view_counters *c = &v->counters;
	double mean_us = c->wakeups ? (double)c->wake_wait_ns / (double)c->wakeups / 1e3 : 0.0;

	writer_double(w, "t", 3, "[%8.1fs]", v->elapsed_s);
	writer_u64(w, "plans", " plans %llu", v->nr_plans);
	writer_u64(w, "rebalances", ", rebalances %llu", v->nr_rebalances);
	writer_u64(w, "rejected", ", rejected %llu", v->nr_rejected);
	writer_u64(w, "waiting", NULL, v->nr_waiting);
	writer_text(w, " | placement:");
	writer_begin_object(w, "queue");
	writer_double(w, "idle", 1, " idle %.0f%%", pl->idle);
	writer_double(w, "cell", 1, " cell-queue %.0f%%", pl->cell);
	writer_double(w, "pinned", 1, " pinned %.0f%%", pl->pinned);
	writer_double(w, "borrowed", 1, " borrowed %.0f%%\n", pl->borrowed);
	writer_end_object(w);

	writer_begin_object(w, "counters");
	writer_u64(w, "reenq", "  re-examined after publications %llu", c->reenq);
	writer_u64(w, "reenq_affn", " (moved for affinity %llu)", c->reenq_affn);
	/* The text shows the wake-ups here; JSON has them after the reclaims. */
	writer_text(w, " | wake-ups %llu, wait mean %.1f us", (unsigned long long)c->wakeups,
		    mean_us);
	writer_u64(w, "owner_busy", "; cell busy %llu", c->owner_busy);
	writer_u64(w, "owner_busy_lent", " (lent %llu)", c->owner_busy_lent);
	writer_u64(w, "reclaims", ", reclaims %llu", c->reclaims);
	writer_u64(w, "reclaim_ticks", " (%llu on a tick", c->reclaim_ticks);
	writer_u64(w, "reclaim_runs", ", %llu ran the cell's task", c->reclaim_runs);
	writer_double(w, "reclaim_wait_mean_us", 1, " after %.1f us mean",
		      c->reclaim_runs ? (double)c->reclaim_wait_ns / (double)c->reclaim_runs / 1e3
				      : 0.0);
	writer_u64(w, "reclaim_remote", "; %llu remote", c->reclaim_remote);
	writer_u64(w, "reclaim_overtaken", ", %llu overtaken)", c->reclaim_overtaken);
	writer_u64(w, "wakeups", NULL, c->wakeups);
	writer_double(w, "wake_wait_mean_us", 1, NULL, mean_us);
	writer_begin_array(w, "wake_wait_hist");
	for (int b = 0; b < VIEW_WAIT_BUCKETS; b++)
		writer_u64(w, NULL, NULL, c->wake_wait_hist[b]);
	writer_end_array(w);
	writer_u64(w, "slice_shrinks", " | slice shrinks %llu", c->slice_shrinks);
	writer_u64(w, "affn_spread", ", affinity spreads %llu", c->affn_spread);
	writer_u64(w, "borrow_pulls", ", borrow pulls %llu\n", c->borrow_pulls);
	writer_end_object(w);
}

/* One cell: a table row in text, an object of "cells" in JSON. */
static void cell(struct writer *w, const struct view *v, unsigned int i)
{
	const struct plan_cell_out *pc = &v->plan->cells[i];
	const struct demand_cell *dc = v->demand ? demand_cell(v->demand, pc->id) : NULL;
	const char *name = v->label ? v->label(v->ctx, pc->id) : "?";
	struct demand_cell zero = {0};
	char cpus[256];

	if (!dc)
		dc = &zero;
	writer_begin_object(w, NULL);
	writer_int(w, "id", "  %-4d", pc->id);
	writer_string(w, "cgroup", " %-20.20s", name);
	writer_string(w, "cpus", " %-16.16s", cpumask_str(pc->primary, cpus, sizeof(cpus)));
	writer_u64(w, "nr_cpus", NULL, pc->nr_primary);
	writer_double(w, "util_pct", 1, " %6.1f", dc->util_pct);
	writer_double(w, "smoothed_util_pct", 1, " %7.1f", dc->smoothed_util_pct);
	writer_double(w, "demand_borrow_pct", 1, " %9.1f", dc->demand_borrow_pct);
	writer_double(w, "lent_pct", 1, " %6.1f", dc->lent_pct);
	writer_double(w, "cpus_used", 2, " %6.2f\n", dc->cpus_used);
	writer_double(w, "cpus_waiting", 2, NULL, dc->cpus_waiting);
	writer_double(w, "smoothed_cpus", 2, NULL, dc->smoothed_cpus);
	writer_end_object(w);
}

void view_render(FILE *f, const struct view *v, bool json)
{
	unsigned int nr = v->plan ? v->plan->nr_cells : 0;
	struct writer w;

	writer_init(&w, f, json);
	writer_begin_object(&w, NULL);
	header(&w, v);
	if (has_cpu_map(v))
		cpu_map(&w, v);
	writer_begin_array(&w, "cells");
	writer_text(&w, "  %-4s %-20s %-16s %6s %7s %9s %6s %6s\n", "cell", "cgroup", "cpus",
		    "util%", "smooth%", "borrowed%", "lent%", "used");
	for (unsigned int i = 0; i < nr; i++)
		cell(&w, v, i);
	writer_end_array(&w);
	writer_end_object(&w);
}
