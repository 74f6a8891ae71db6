/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched - the kernel side of scx_cells as seen from userspace: load and attach the BPF scheduler,
 * publish cell configurations, read its counters, report why it exited.
 *
 * The only module that touches libbpf. Everything it is given is already validated.
 */
#ifndef SCX_CELLS_SCHED_H
#define SCX_CELLS_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpumask.h"

struct sched;

struct sched_params {
	unsigned int nr_cpus; /* possible CPUs */
	uint64_t slice_ns;
	uint64_t borrow_slice_ns; /* slice of a task on a borrowed CPU */
	bool enable_borrowing;
	bool enable_reclaim;	      /* preempt borrowers when the owner waits */
	uint64_t test_error_after_ns; /* 0 = off */
	bool enable_slice_shrinking;  /* per-CPU waiters cut the running slice */
	uint64_t slice_shrink_min_ns, slice_shrink_max_ns;
	bool dynamic_affinity; /* spread tasks allowed on part of their cell */
	bool smt;	       /* some online core has more than one CPU */
	const int *llc_id;     /* [nr_cpus] dense LLC id per CPU (-1 offline), or NULL */
	unsigned int nr_llcs;  /* distinct LLCs (0/1: one queue per cell) */
	int verbose;	       /* >= 2: libbpf debug output */
};

/* One cell of a configuration to publish. */
struct sched_cell {
	bool in_use;
	uint64_t cgid; /* cgroup id (inode) of the cell's cgroup; 0 for the root cell */
	const struct cpumask *borrow; /* borrowable CPUs, NULL = none */
	unsigned int flags;	      /* CELLS_F_* (cells.h) = CELL_F_* (intf.h) */
};

/*
 * Check that this kernel can take a BPF scheduler now: sched_ext present, nothing else loaded,
 * running as root. Returns 0 or -errno with a one-line explanation in @err.
 */
int sched_preflight(const char *sysfs_root, char *err, size_t errlen);

/* Open, load and attach the scheduler. Returns 0 or -errno with a message in @err. */
int sched_start(struct sched **out, const struct sched_params *params, char *err, size_t errlen);

/*
 * Publish a complete configuration atomically. @cells has @nr_cells entries (cell 0 = root cell,
 * in use); @cpu_owner gives the owner cell of each of the nr_cpus CPUs. @parent_cgid is the
 * cgroup id (inode) of the cell parent (0 = no cells). After publishing, waits for a grace
 * period and has every queued task re-examined under the new plan. Returns 0 or -errno.
 */
int sched_publish(struct sched *s, uint64_t parent_cgid, const struct sched_cell *cells,
		  unsigned int nr_cells, const int *cpu_owner);

/* True once the BPF side has exited (error, hotplug, or unregistered). */
bool sched_exited(struct sched *s);

/* Sequence counter bumped by every write to a cpuset.cpus file. */
uint64_t sched_cpuset_seq(struct sched *s);

/* Sum the decision counters (enum cells_stat) over all CPUs into @out[NR_CELLS_STATS]. */
int sched_read_stats(struct sched *s, uint64_t *out);

/* Which cell each CPU is running right now (-1: none): @cells[nr_cpus]. A racy snapshot. */
void sched_read_running(struct sched *s, int *cells);

/*
 * Cumulative counters of @cell: run time of its tasks on each CPU (@run_ns[nr_cpus]) and the
 * total time its tasks waited in queues (*@wait_ns).
 */
int sched_read_cell_counters(struct sched *s, unsigned int cell, uint64_t *run_ns,
			     uint64_t *wait_ns);

/*
 * When the kernel keeps BPF run-time statistics (sysctl kernel.bpf_stats_enabled=1), print one
 * line to @f: the mean run time and run count of each of our programs that ran, e.g.
 * "scx_cells: bpf run time: cells_enqueue 812 ns x 40123, ...". Nothing otherwise.
 */
void sched_print_prog_stats(struct sched *s, FILE *f);

/* Wake-ups of @cell's unpinned tasks (*@nr) and their total wait from wake-up to running. */
int sched_read_cell_wake(struct sched *s, unsigned int cell, uint64_t *wait_ns, uint64_t *nr);

/*
 * Detach, print the exit reason (and the BPF debug dump, if any) to @f, free everything.
 * Returns 0 for a clean exit (unregistered by us or the kernel), 1 when the BPF side exited with
 * an error; *restart is set when the kernel asked for a restart (e.g. CPU hotplug).
 * A NULL @s is a no-op returning 0.
 */
int sched_stop(struct sched *s, FILE *f, bool *restart);

#endif /* SCX_CELLS_SCHED_H */
