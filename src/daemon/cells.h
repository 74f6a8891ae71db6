/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cells - the cell registry: which cgroups are cells, their ids, cpusets, limits and rules.
 *
 * The registry has a root directory (the --cell-parent-cgroup, or with --cell-config the cgroup2
 * mount) and a rule set (cellconfig.h; --cell-parent-cgroup is the one rule "*"). A directory
 * below the root whose path relative to the root matches a rule (first match wins) is a candidate
 * cell, unless its basename is excluded; the walk does not go below a cell, so a descendant of a
 * cell is never a cell of its own (its tasks are in the ancestor's cell). A candidate is
 * identified by its relative path (its "name"; the basename for --cell-parent-cgroup) AND inode
 * (on cgroupfs the inode is the cgroup id), so a delete-and-recreate or a rename is a new cell
 * even under the same name. Cell 0 is the root cell and always exists; workload cells take ids
 * 1..max_cells−1, lowest free id first, and keep their id across rescans. Children beyond the
 * available ids wait in the root cell (counted and listed, never fatal); a later rescan places
 * them, in name order, as slots free up.
 *
 * A cell "has a cpuset" iff its cpuset.cpus is non-empty: an unconfigured child's
 * cpuset.cpus.effective merely mirrors the parent and is not a pin. Its mask is then
 * cpuset.cpus.effective if non-empty (what the kernel really grants), else cpuset.cpus. A file
 * that fails to parse counts as no cpuset plus a warning.
 *
 * Each cell also has a weight (its cpu.weight, 1..10000) and a cap (its cpu.max as whole CPUs,
 * ceil(quota/period), 0 = none). A cgroup without the cpu controller has neither file: weight
 * 100 (the kernel's default) and no cap. A file that cannot be read or parsed counts as the
 * default plus a warning (once per cell until the file is valid again). The root cell is
 * always weight 100, no cap. Writes to these files make no inotify event and no BPF counter
 * bump either, so the daemon polls them with cells_reread_limits() every monitor interval.
 *
 * A rule may also set a weight (overrides cpu.weight), max_cpus (a cap; with cpu.max the smaller
 * one holds), min_cpus (a floor for the planner) and the borrow/lend/latency_sensitive flags;
 * struct cell carries the effective values.
 *
 * Events: the registry owns one inotify fd with a watch on the root and on every directory the
 * walk went through that a rule can still match below (mkdir/rmdir/rename of children, queue
 * overflow: a rescan; the root itself vanishing: fatal). Watches follow every rescan. Writes to
 * cpuset files are not reported by inotify on cgroupfs; the BPF side counts them, and the daemon
 * then calls cells_reread_cpusets().
 */
#ifndef SCX_CELLS_CELLS_H
#define SCX_CELLS_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumask.h"

#define CELLS_ROOT_ID 0

struct cellconfig;

struct cells_cfg {
	const char *parent; /* root directory: the resolved parent (see cgroup.h) or the mount */
	/* rules, copied; NULL = one rule "*" (every direct child of @parent) */
	const struct cellconfig *config;
	const char *const *exclude; /* child basenames kept in the root cell */
	unsigned int nr_exclude;
	unsigned int max_cells; /* slots including the root cell, >= 1 */
	unsigned int nr_cpus;	/* size of the cpuset masks */
};

struct cell {
	unsigned int id;
	const char *name; /* basename; "" for the root cell */
	const char *path; /* full path; the parent for the root cell */
	uint64_t ino;	  /* cgroup id; 0 for the root cell */
	/* cpuset mask, NULL = no cpuset (always NULL for the root cell) */
	const struct cpumask *cpuset;
	unsigned int weight; /* cpu.weight, 1..10000; 100 without the cpu controller */
	unsigned int cap;    /* cpu.max in whole CPUs (ceil(quota/period), >= 1); 0 = none */
	/* the rule's settings (rules can override weight and cap above, which are effective) */
	int rule;	   /* index of the rule that made it a cell; -1 for the root cell */
	const char *match; /* that rule's glob; NULL for the root cell */
	unsigned int min;  /* min_cpus, 0 = none */
	bool borrow, lend, latency_sensitive;
};

/* Flags of a cell in a cells_change: what its rule disallows or asks for. */
enum {
	CELLS_F_NO_BORROW = 1,
	CELLS_F_NO_LEND = 2,
	CELLS_F_LATENCY = 4,
};

/* One entry of a diff. Strings are owned by the diff. */
struct cells_change {
	unsigned int id;
	char *name;
	uint64_t ino;
	/* limits_changed entries only: weight, cap, min and flags before and after */
	unsigned int old_weight, weight, old_cap, cap, old_min, min;
	unsigned int old_flags, flags; /* CELLS_F_* */
};

/*
 * What a rescan or cpuset reread changed, for the daemon's logs and for re-planning. Start from a
 * zeroed struct; calls that fill a diff free its previous contents first, so one struct can be
 * reused across scans. A delete-and-recreate can hand the freed id straight to the new cell in
 * the same scan: the diff then lists that id as destroyed AND created, and per-cell state kept
 * elsewhere (demand history, BPF per-cell data) must be reset for it.
 */
struct cells_diff {
	struct cells_change *created;
	unsigned int nr_created;
	struct cells_change *destroyed;
	unsigned int nr_destroyed;
	struct cells_change *cpuset_changed; /* cells that existed before and still exist */
	unsigned int nr_cpuset_changed;
	/* ditto, whose cpu.weight, cpu.max or rule settings changed */
	struct cells_change *limits_changed;
	unsigned int nr_limits_changed;
	char **warnings; /* unreadable cpusets, children left waiting for a slot */
	unsigned int nr_warnings;
	unsigned int nr_waiting; /* children waiting in the root cell after this scan */
};

/*
 * True if the plan must be recomputed (cells, cpusets, weights or caps changed; warnings alone do
 * not count).
 */
bool cells_diff_changed(const struct cells_diff *diff);
void cells_diff_free(struct cells_diff *diff);

struct cells;

/*
 * Create the registry, set up the inotify watch on @cfg->parent and do the first scan (every
 * child found is reported as created in @diff, which may be NULL). Everything in @cfg is copied.
 * Returns 0 or -errno with a message in @err; *@out is NULL on error.
 */
int cells_new(const struct cells_cfg *cfg, struct cells **out, struct cells_diff *diff, char *err,
	      size_t errlen);
void cells_free(struct cells *r);

/*
 * Re-read the parent's children and all cpusets. Children that vanish mid-scan are skipped.
 * @diff (may be NULL) is reset and filled. -ENOENT with a message if the parent is gone; on
 * any error the registry is unchanged.
 */
int cells_rescan(struct cells *r, struct cells_diff *diff, char *err, size_t errlen);

/*
 * Replace the rules with a copy of @config and rescan (cells that stay matched keep their ids;
 * @diff as for cells_rescan(), limits_changed also lists cells whose rule settings changed). On
 * error the registry keeps its rules and cells. Returns 0 or -errno with a message.
 */
int cells_set_config(struct cells *r, const struct cellconfig *config, struct cells_diff *diff,
		     char *err, size_t errlen);

/* The rules in force (never NULL). */
const struct cellconfig *cells_config(const struct cells *r);

/* Directories watched with inotify right now (the root included), for tests and logs. */
unsigned int cells_nr_watches(const struct cells *r);

/* Re-read only the cpusets of the current cells (after BPF saw a cpuset write). */
int cells_reread_cpusets(struct cells *r, struct cells_diff *diff, char *err, size_t errlen);

/*
 * Re-read only cpu.weight and cpu.max of the current cells (cheap: two small reads per cell;
 * the daemon calls it every monitor interval). Changes are listed in @diff->limits_changed.
 * Returns 0 or -ENOMEM.
 */
int cells_reread_limits(struct cells *r, struct cells_diff *diff, char *err, size_t errlen);

/* The inotify fd, non-blocking, for epoll (EPOLLIN). Owned by the registry. */
int cells_watch_fd(const struct cells *r);

/*
 * Drain the inotify fd. Sets *@rescan when a directory appeared, vanished or was renamed in a
 * watched directory (excluded names ignored), a watched directory below the root vanished, or
 * the queue overflowed. Returns 0, or -ENOENT with a message when
 * the parent itself was deleted or moved (the daemon cannot go on watching it), or the -errno of
 * read().
 */
int cells_handle_events(struct cells *r, bool *rescan, char *err, size_t errlen);

/*
 * Same as cells_handle_events() for a buffer of raw struct inotify_event records: lets tests feed
 * events the kernel only produces under load (IN_Q_OVERFLOW after 16384 queued events).
 */
int cells_process_events(struct cells *r, const void *buf, size_t len, bool *rescan, char *err,
			 size_t errlen);

unsigned int cells_max(const struct cells *r);
unsigned int cells_count(const struct cells *r); /* live cells, root included */

/* The cell with @id, or NULL if that slot is free or out of range. Valid until the next scan. */
const struct cell *cells_get(const struct cells *r, unsigned int id);

/* The live cell with this inode (cgroup id), or NULL. */
const struct cell *cells_find_ino(const struct cells *r, uint64_t ino);

/* Children waiting in the root cell for a free id, in name order. Valid until the next scan. */
unsigned int cells_nr_waiting(const struct cells *r);
const char *cells_waiting_name(const struct cells *r, unsigned int i);

#endif /* SCX_CELLS_CELLS_H */
