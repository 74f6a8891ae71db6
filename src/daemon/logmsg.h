/* SPDX-License-Identifier: GPL-2.0 */
/*
 * logmsg - the daemon's log lines about cells and plans, in scx_mitosis's wording and order of
 * facts, ours after them (the VM cases and users' scripts grep them; tests/unit/golden/plan_*.log
 * pins every byte). Writes only to the FILE it is given.
 */
#ifndef SCX_CELLS_LOGMSG_H
#define SCX_CELLS_LOGMSG_H

#include <stdio.h>

#include "cells.h"
#include "plan.h"

/*
 * Log lines for a registry diff of @cells (NULL: no registry): "Created cell 3 for cgroup
 * /sys/fs/cgroup/w/a (cgid=812)", "Destroyed cell ...", "Cpuset changed for cell ...", "Limits
 * changed for cell ...: weight 100 -> 300, cap none -> none CPUs", then the diff's warnings.
 */
void logmsg_diff(const struct cells *cells, const struct cells_diff *diff, FILE *f);

/*
 * One log line for an applied plan: @head (scx_mitosis's "Applied initial cell configuration",
 * "Cell config updated (1 new, 0 destroyed)", ...), each cell as mitosis formats it
 * ("[0: 0-1] [1(a): 2-3]", "[4(d): unplaced, no CPU left]"), then "(@facts; borrowable: 1: 0,3)".
 */
void logmsg_plan(const struct cells *cells, const struct plan *p, const char *head,
		 const char *facts, FILE *f);

#endif /* SCX_CELLS_LOGMSG_H */
