// SPDX-License-Identifier: GPL-2.0
/*
 * reload - SIGHUP: re-read --cell-config without unloading the scheduler. See daemon.h.
 */
#include <stdio.h>

#include "cellconfig.h"
#include "daemon.h"
#include "logmsg.h"

int daemon_reload_config(struct daemon *d)
{
	struct cells_diff diff = {0};
	struct cellconfig *config;
	char err[512];
	int ret;

	if (!d->o->cell_config) {
		fprintf(stderr, "scx_cells: SIGHUP: no --cell-config to re-read; nothing to do\n");
		return 0;
	}
	ret = cellconfig_load(d->o->cell_config, &config, err, sizeof(err));
	if (ret) {
		d->nr_reload_failed++;
		fprintf(stderr,
			"scx_cells: SIGHUP: reload failed, keeping the previous cell config: %s\n",
			err);
		return ret;
	}
	ret = manager_set_config(d->mgr, config, &diff, err, sizeof(err));
	if (ret) {
		d->nr_reload_failed++;
		fprintf(stderr,
			"scx_cells: SIGHUP: reload failed, keeping the previous cell config: %s\n",
			err);
		cellconfig_free(config);
		return ret;
	}
	d->nr_config_reloads++;
	printf("scx_cells: SIGHUP: reloaded %s (%u rule%s)\n", d->o->cell_config, config->nr_rules,
	       config->nr_rules == 1 ? "" : "s");
	cellconfig_free(config);
	logmsg_diff(manager_cells(d->mgr), &diff, stdout);
	daemon_follow_cells(d, &diff);
	if (cells_diff_changed(&diff)) {
		char head[96];

		snprintf(head, sizeof(head), "Cell config updated (%u new, %u destroyed)",
			 diff.nr_created, diff.nr_destroyed);
		daemon_replan(d, head, "cell config reloaded", false);
	}
	cells_diff_free(&diff);
	fflush(stdout);
	return 0;
}
