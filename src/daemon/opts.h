/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opts - the command line of scx_cells: defaults, strict parsing and validation, --help/--version.
 *
 * Pure: reads only argv, writes only to the FILEs it is given. Every value is range-checked when
 * parsed, so the rest of the program may trust struct opts. Strings point into argv (nothing is
 * allocated), so argv must outlive the struct; main()'s argv always does.
 */
#ifndef SCX_CELLS_OPTS_H
#define SCX_CELLS_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#define OPTS_MAX_CELL_EXCLUDES 64

enum opts_result {
	OPTS_RUN = 0,	     /* go on with the parsed options */
	OPTS_EXIT_OK = 1,    /* --help or --version was printed to out: exit 0 */
	OPTS_EXIT_USAGE = 2, /* an error was printed to err: exit 2 */
};

enum opts_stats_format {
	OPTS_STATS_TEXT,
	OPTS_STATS_JSON,
};

struct opts {
	/* Cells */
	const char *cell_parent_cgroup; /* NULL: root cell only */
	const char *cell_config;	/* --cell-config FILE (excludes cell_parent_cgroup) */
	const char *cgroup_root;	/* where its rules match; NULL: the cgroup2 mount */
	/* child directory names kept in the root cell */
	const char *cell_exclude[OPTS_MAX_CELL_EXCLUDES];
	unsigned int nr_cell_exclude;
	unsigned int cell0_min_cpus; /* 1..65536 */
	unsigned int max_cells;	     /* 2..256 slots, root cell included */
	bool equal_shares;	     /* ignore cpu.weight: every cell the same share */

	/* Work conservation */
	bool enable_borrowing;
	bool no_reclaim;	      /* borrowers keep their slice when the owner waits */
	unsigned int borrow_slice_us; /* 50..1000000; 0 = slice_us / 8 (at least 50) */
	bool enable_rebalancing;
	double rebalance_threshold;  /* percentage points of spread, 0..100 */
	double rebalance_cooldown_s; /* 0..86400 */
	double demand_smoothing;     /* EWMA factor, (0, 1] */

	/* Scheduling */
	bool enable_slice_shrinking;	  /* per-CPU waiters cut the running task's slice */
	unsigned int slice_shrink_min_us; /* 50..1000000, <= slice_shrink_max_us */
	unsigned int slice_shrink_max_us; /* 50..1000000 */
	bool dynamic_affinity;		  /* spread tasks allowed on part of their cell */
	/* --virt-llc MIN-MAX: LLCs split into groups of MIN..MAX cores; 0/0 = off */
	unsigned int virt_llc_min, virt_llc_max;

	/* Runtime */
	double monitor_interval_s; /* (0, 3600] */
	unsigned int debounce_ms;  /* 0..60000; 0 = apply each cgroup event at once */
	unsigned int slice_us;	   /* 100..1000000 */
	double exit_after_s;	   /* 0 = until signalled; else (0, 31536000] */
	bool dry_run;		   /* print the plan, load nothing */
	const char *sysfs_root;	   /* topology source for --dry-run */

	/* Output */
	bool monitor;	  /* --monitor: attach to a running instance, do not schedule */
	double monitor_s; /* its print period, (0, 3600] */
	enum opts_stats_format stats_format;
	const char *stats_socket;
	const char *metrics_file; /* NULL: none */
	int verbose;		  /* number of -v */

	/* Testing */
	unsigned int test_error_after_ms; /* 0 = off; else the BPF side errors after this long */
};

/* Fill @o with the defaults. */
void opts_init(struct opts *o);

/*
 * Reset @o to the defaults and apply @argv. Returns an enum opts_result: help and version text go
 * to @out, an error line naming the option and the bad value goes to @err. On OPTS_EXIT_USAGE
 * the contents of @o are unspecified. May be called any number of times in one process.
 */
int opts_parse(struct opts *o, int argc, char **argv, FILE *out, FILE *err);

#endif /* SCX_CELLS_OPTS_H */
