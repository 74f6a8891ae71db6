// SPDX-License-Identifier: GPL-2.0
/*
 * logmsg - log lines for registry diffs and applied plans. See logmsg.h.
 */
#include "logmsg.h"

/* The cgroup's full path: live cells from the registry, destroyed ones from the parent. */
static void change_path(const struct cells *cells, const struct cells_change *ch, bool live,
			char *buf, size_t len)
{
	const struct cell *c = live && cells ? cells_get(cells, ch->id) : NULL;
	const struct cell *root = cells ? cells_get(cells, 0) : NULL;

	if (c && c->ino == ch->ino)
		snprintf(buf, len, "%s", c->path);
	else if (root)
		snprintf(buf, len, "%s/%s", root->path, ch->name);
	else
		snprintf(buf, len, "%s", ch->name);
}

/* scx_mitosis's wording and order of facts first ("Created cell N for cgroup PATH (cgid=X)"). */
static void log_changes(const struct cells *cells, FILE *f, const char *what, bool live,
			const struct cells_change *ch, unsigned int n)
{
	char path[4096];

	for (unsigned int i = 0; i < n; i++) {
		change_path(cells, &ch[i], live, path, sizeof(path));
		fprintf(f, "scx_cells: %s cell %u for cgroup %s (cgid=%llu)\n", what, ch[i].id,
			path, (unsigned long long)ch[i].ino);
	}
}

void logmsg_diff(const struct cells *cells, const struct cells_diff *diff, FILE *f)
{
	char path[4096];

	log_changes(cells, f, "Destroyed", false, diff->destroyed, diff->nr_destroyed);
	log_changes(cells, f, "Created", true, diff->created, diff->nr_created);
	log_changes(cells, f, "Cpuset changed for", true, diff->cpuset_changed,
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
		change_path(cells, ch, true, path, sizeof(path));
		fprintf(f,
			"scx_cells: Limits changed for cell %u for cgroup %s (cgid=%llu): weight %u -> %u, cap %s -> %s CPUs%s\n",
			ch->id, path, (unsigned long long)ch->ino, ch->old_weight, ch->weight, oc,
			nc, extra);
	}
	for (unsigned int i = 0; i < diff->nr_warnings; i++)
		fprintf(f, "scx_cells: warning: %s\n", diff->warnings[i]);
}

void logmsg_plan(const struct cells *cells, const struct plan *p, const char *head,
		 const char *facts, FILE *f)
{
	char a[1024];
	bool any = false;

	fprintf(f, "scx_cells: %s:", head);
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];
		const struct cell *c = cells ? cells_get(cells, pc->id) : NULL;

		if (pc->id == 0)
			fprintf(f, " [0: ");
		else
			fprintf(f, " [%d(%s): ", pc->id, c ? c->name : "?");
		if (pc->why != PLAN_PLACED)
			fprintf(f, "unplaced, %s]", plan_unplaced_name(pc->why));
		else
			fprintf(f, "%s]", cpumask_str(pc->primary, a, sizeof(a)));
	}
	fprintf(f, " (%s", facts);
	for (unsigned int i = 0; i < p->nr_cells; i++) {
		const struct plan_cell_out *pc = &p->cells[i];

		if (pc->why != PLAN_PLACED || !pc->borrowable || cpumask_empty(pc->borrowable))
			continue;
		fprintf(f, "%s %d: %s", any ? "," : "; borrowable:", pc->id,
			cpumask_str(pc->borrowable, a, sizeof(a)));
		any = true;
	}
	fprintf(f, ")\n");
}
