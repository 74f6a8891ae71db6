/* SPDX-License-Identifier: GPL-2.0 */
/*
 * view_plan - renders a plan as --dry-run prints it: a table (cell, cgroup, cpuset, weight, cap,
 * CPUs and why that many, primary, borrowable; with --cell-config one line per cell with the rule
 * that matched it) or one JSON object with the same fields (and rule, match, min, borrow, lend,
 * latency_sensitive), written once through the streaming writer (writer.h);
 * tests/host/check_plan.py reads the JSON form. Writes only to the FILE it is given.
 */
#ifndef SCX_CELLS_VIEW_PLAN_H
#define SCX_CELLS_VIEW_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "cells.h"
#include "plan.h"
#include "topology.h"

struct plan_view {
	const struct plan *plan;
	const struct topology *topo; /* the plan's topology (its online CPUs are shown) */
	const struct cells *cells;   /* the registry the plan was made for; NULL: root cell only */
	bool rules;		     /* --cell-config: say which rule made each cell */
	bool equal_shares;	     /* --equal-shares: say that cpu.weight was ignored */
};

void view_plan_render(FILE *f, const struct plan_view *v, bool json);

#endif /* SCX_CELLS_VIEW_PLAN_H */
