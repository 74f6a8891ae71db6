// SPDX-License-Identifier: GPL-2.0
/*
 * view - one interval's stats as text or JSON.
 */
#include <string.h>

#include "view.h"

void json_print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static bool has_cpu_map(const struct view *v)
{
	return v->plan && v->running && v->plan->nr_cpus <= VIEW_CPU_MAP_MAX;
}

/*
 * The CPU map: for each CPU the cell that owns it and the cell whose task it is running right now
 * ("." when idle, "N*" for a borrower), so borrowing is visible at a glance.
 */
static void cpu_map_text(FILE *f, const struct view *v)
{
	const struct plan *p = v->plan;

	fprintf(f, "  %-5s", "cpu");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++)
		fprintf(f, " %3u", cpu);
	fprintf(f, "\n  %-5s", "owner");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++) {
		if (p->owner[cpu] < 0)
			fprintf(f, "   -");
		else
			fprintf(f, " %3d", p->owner[cpu]);
	}
	fprintf(f, "\n  %-5s", "runs");
	for (unsigned int cpu = 0; cpu < p->nr_cpus; cpu++) {
		if (v->running[cpu] < 0)
			fprintf(f, "   .");
		else if (v->running[cpu] != p->owner[cpu])
			fprintf(f, " %2d*", v->running[cpu]);
		else
			fprintf(f, " %3d", v->running[cpu]);
	}
	fputc('\n', f);
}

static void cpu_map_json(FILE *f, const struct view *v)
{
	fprintf(f, "\"cpu_map\":[");
	for (unsigned int cpu = 0; cpu < v->plan->nr_cpus; cpu++)
		fprintf(f, "%s{\"cpu\":%u,\"owner\":%d,\"running\":%d}", cpu ? "," : "", cpu,
			v->plan->owner[cpu], v->running[cpu]);
	fprintf(f, "],");
}

static void header(FILE *f, const struct view *v, bool json)
{
	const struct view_placement *pl = &v->placement;
	const struct view_counters *c = &v->counters;
	double mean_us = c->wakeups ? (double)c->wake_wait_ns / (double)c->wakeups / 1e3 : 0.0;

	if (!json) {
		fprintf(f,
			"[%8.1fs] plans %llu, rebalances %llu, rejected %llu | placement: idle %.0f%% cell-queue %.0f%% pinned %.0f%% borrowed %.0f%%\n",
			v->elapsed_s, (unsigned long long)v->nr_plans,
			(unsigned long long)v->nr_rebalances, (unsigned long long)v->nr_rejected,
			pl->idle, pl->cell, pl->pinned, pl->borrowed);
		fprintf(f, "  re-examined after publications %llu (moved for affinity %llu)",
			(unsigned long long)c->reenq, (unsigned long long)c->reenq_affn);
		fprintf(f, " | wake-ups %llu, wait mean %.1f us", (unsigned long long)c->wakeups,
			mean_us);
		fprintf(f, "; cell busy %llu (lent %llu)", (unsigned long long)c->owner_busy,
			(unsigned long long)c->owner_busy_lent);
		fprintf(f, ", reclaims %llu (%llu on a tick, %llu ran the cell's task)",
			(unsigned long long)c->reclaims, (unsigned long long)c->reclaim_ticks,
			(unsigned long long)c->reclaim_runs);
		fprintf(f, " | slice shrinks %llu, affinity spreads %llu\n",
			(unsigned long long)c->slice_shrinks, (unsigned long long)c->affn_spread);
		return;
	}
	fprintf(f,
		"{\"t\":%.3f,\"plans\":%llu,\"rebalances\":%llu,\"rejected\":%llu,"
		"\"waiting\":%u,\"queue\":{\"idle\":%.1f,\"cell\":%.1f,\"pinned\":%.1f,"
		"\"borrowed\":%.1f},\"counters\":{\"reenq\":%llu,\"reenq_affn\":%llu,"
		"\"owner_busy\":%llu,\"owner_busy_lent\":%llu,\"reclaims\":%llu,"
		"\"reclaim_ticks\":%llu,\"reclaim_runs\":%llu,\"wakeups\":%llu,"
		"\"wake_wait_mean_us\":%.1f,\"wake_wait_hist\":[",
		v->elapsed_s, (unsigned long long)v->nr_plans, (unsigned long long)v->nr_rebalances,
		(unsigned long long)v->nr_rejected, v->nr_waiting, pl->idle, pl->cell, pl->pinned,
		pl->borrowed, (unsigned long long)c->reenq, (unsigned long long)c->reenq_affn,
		(unsigned long long)c->owner_busy, (unsigned long long)c->owner_busy_lent,
		(unsigned long long)c->reclaims, (unsigned long long)c->reclaim_ticks,
		(unsigned long long)c->reclaim_runs, (unsigned long long)c->wakeups, mean_us);
	for (int b = 0; b < VIEW_WAIT_BUCKETS; b++)
		fprintf(f, "%s%llu", b ? "," : "", (unsigned long long)c->wake_wait_hist[b]);
	fprintf(f, "],\"slice_shrinks\":%llu,\"affn_spread\":%llu},",
		(unsigned long long)c->slice_shrinks, (unsigned long long)c->affn_spread);
}

static void cell_row(FILE *f, const struct view *v, unsigned int i, bool json)
{
	const struct plan_cell_out *pc = &v->plan->cells[i];
	const struct demand_cell *dc = v->demand ? demand_cell(v->demand, pc->id) : NULL;
	const char *name = v->label ? v->label(v->ctx, pc->id) : "?";
	struct demand_cell zero = {0};
	char cpus[256];

	if (!dc)
		dc = &zero;
	if (cpumask_format(pc->primary, cpus, sizeof(cpus)) >= sizeof(cpus))
		strcpy(cpus + sizeof(cpus) - 4, "...");
	if (!json) {
		fprintf(f, "  %-4d %-20.20s %-16.16s %6.1f %7.1f %9.1f %6.1f %6.2f\n", pc->id, name,
			cpus, dc->util_pct, dc->smoothed_util_pct, dc->demand_borrow_pct,
			dc->lent_pct, dc->cpus_used);
		return;
	}
	fprintf(f, "%s{\"id\":%d,\"cgroup\":", i ? "," : "", pc->id);
	json_print_string(f, name);
	fprintf(f,
		",\"cpus\":\"%s\",\"nr_cpus\":%u,\"util_pct\":%.1f,\"smoothed_util_pct\":%.1f,"
		"\"demand_borrow_pct\":%.1f,\"lent_pct\":%.1f,\"cpus_used\":%.2f,"
		"\"cpus_waiting\":%.2f,\"smoothed_cpus\":%.2f}",
		cpus, pc->nr_primary, dc->util_pct, dc->smoothed_util_pct, dc->demand_borrow_pct,
		dc->lent_pct, dc->cpus_used, dc->cpus_waiting, dc->smoothed_cpus);
}

void view_render(FILE *f, const struct view *v, bool json)
{
	unsigned int nr = v->plan ? v->plan->nr_cells : 0;

	header(f, v, json);
	if (json) {
		if (has_cpu_map(v))
			cpu_map_json(f, v);
		fprintf(f, "\"cells\":[");
	} else {
		if (has_cpu_map(v))
			cpu_map_text(f, v);
		fprintf(f, "  %-4s %-20s %-16s %6s %7s %9s %6s %6s\n", "cell", "cgroup", "cpus",
			"util%", "smooth%", "borrowed%", "lent%", "used");
	}
	for (unsigned int i = 0; i < nr; i++)
		cell_row(f, v, i, json);
	if (json)
		fprintf(f, "]}\n");
}
