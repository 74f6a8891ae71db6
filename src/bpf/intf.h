/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_cells - what the BPF scheduler and the userspace daemon share: limits, queue ids, counter
 * indexes and the layout of a published cell configuration.
 *
 * Included by src/bpf/scx_cells.bpf.c (after vmlinux.h) and by userspace.
 */
#ifndef SCX_CELLS_INTF_H
#define SCX_CELLS_INTF_H

#ifndef __bpf__
#include <linux/types.h>
#endif

enum cells_limits {
	CELLS_MAX_CELLS = 256, /* cell slots, root cell included */
	CELLS_MAX_CPUS = 1024, /* CPUs the BPF side can address */
	CELLS_CPU_WORDS = CELLS_MAX_CPUS / 64,
	CELLS_MAX_LLCS = 32, /* LLC queues per cell; more LLCs share queues (id % 32) */
	CELLS_ROOT_CELL = 0,
};

#define CELL_NONE 0xffffffffu /* running_cell[]: the CPU runs no scx task */

/*
 * Per-cell flags from a --cell-config rule (cells_config.flags). Borrowing and lending are
 * enforced through the borrowable masks, which userspace already computes without these cells'
 * CPUs; the flags are published so the BPF side and a dump can tell why.
 */
enum cell_flags {
	CELL_F_NO_BORROW = 1, /* the cell's tasks never run on other cells' CPUs */
	CELL_F_NO_LEND = 2,   /* the cell's CPUs are in no other cell's borrowable mask */
	CELL_F_LATENCY = 4,   /* latency_sensitive: borrowers are preempted at once, even with
			       * --no-reclaim */
};

/*
 * Dispatch queue ids: one vtime queue per cell and LLC, one per CPU for tasks pinned outside
 * their cell.
 */
enum cells_dsq {
	CELL_DSQ_BASE = 0,	/* + cell id * CELLS_MAX_LLCS + llc */
	CPU_DSQ_BASE = 1 << 16, /* + cpu */
};

/* Per-CPU decision counters, summed by userspace. */
enum cells_stat {
	STAT_SELECT_IDLE,   /* wake-up placed directly on an idle CPU of the task's cell */
	STAT_ENQ_IDLE,	    /* enqueue path placed the task on an idle CPU of its cell */
	STAT_CELL_QUEUED,   /* queued on the cell's vtime queue */
	STAT_PINNED_QUEUED, /* queued on a per-CPU queue (affinity does not cover the cell) */
	STAT_BORROW_SELECT, /* wake-up placed on an idle CPU of another cell */
	STAT_BORROW_ENQ,    /* enqueue path placed on an idle CPU of another cell */
	STAT_RECLAIM_KICK,  /* a borrower was preempted to give a CPU back to its owner */
	STAT_RESOLVE,	    /* task (re-)resolved to a cell */
	STAT_REENQ,	    /* queued task re-examined after a publication */
	STAT_REENQ_AFFN,    /* of those, affinity no longer covers the cell: per-CPU queue */
	STAT_CFG_KICK,	    /* CPU kicked because it changed cell */
	/* Owner wait with borrowing (#10): what a waking task found, what reclaim did. */
	STAT_OWNER_BUSY,      /* wake-up of an unpinned task found all its cell's CPUs busy */
	STAT_OWNER_BUSY_LENT, /* of those, one of them ran (or was given to) a borrower */
	STAT_RECLAIM_RUN,     /* a task started running on a CPU reclaimed for its cell */
	STAT_RECLAIM_TICK,    /* of the reclaims, a borrower's slice ended on a tick */
	STAT_WAKEUPS,	      /* wake-ups of unpinned tasks, from runnable to running */
	STAT_WAKE_WAIT_NS,    /* their total wait from wake-up to running */
	STAT_WAKE_WAIT_HIST,  /* + bucket: how many waited < 1 us, 1-2 us, 2-4 us, ... */
	/* Scheduling features (#10 item 2, #14 item 3), after the histogram's 16 buckets. */
	STAT_SLICE_SHRINK = STAT_WAKE_WAIT_HIST + 16, /* a running slice cut for a per-CPU waiter */
	STAT_AFFN_SPREAD, /* dynamic affinity put a narrow-affinity task off its previous CPU */
	STAT_BORROW_PULL, /* a CPU with nothing of its own took a task another cell had queued */
	/* Where an owner's wait after a reclaim goes (#10 item 3): decisions, then time. */
	STAT_RECLAIM_REMOTE, /* reclaims decided on another CPU than the reclaimed one (an IPI) */
	STAT_RECLAIM_OVERTAKEN, /* owner woken for a reclaimed CPU that ran another task first */
	STAT_RECLAIM_WAIT_NS,	/* total wake-up-to-running wait of the owners counted in _RUN */
	NR_CELLS_STATS,
};

/* Buckets of STAT_WAKE_WAIT_HIST: bucket b counts waits in [2^(b-1), 2^b) us; the last, more. */
#define CELLS_WAIT_BUCKETS 16

/* Per-cell per-CPU counters (PERCPU_ARRAY keyed by cell id). */
struct cell_cpu_stats {
	__u64 run_ns;  /* run time of this cell's tasks on this CPU */
	__u64 nr_runs; /* times one of its tasks started running on this CPU */
	__u64 wait_ns; /* time its tasks waited in a queue before running on this CPU */
	/* Wake-up to running of its unpinned tasks that started here: the owner's wait (#10). */
	__u64 wake_wait_ns;
	__u64 nr_wakeups;
};

/*
 * A complete cell configuration. The BPF side holds two of these; the active one is slot
 * cfg_seq & 1. Userspace fills the inactive one and runs the apply_cell_config program, which
 * builds the cpumasks for that slot and then bumps cfg_seq, so a reader that loads cfg_seq once
 * sees either the whole old or the whole new configuration, with its matching sequence number.
 */
struct cells_config {
	__u64 parent_cgid;  /* cgroup id (inode) of the cell parent; 0 = none */
	__u32 parent_level; /* its cgroup level, filled in by apply_cell_config from the kernel */
	__u32 nr_cells;	    /* highest cell id in use + 1 */
	/*
	 * Bit L set: some cell's cgroup is at level L (< 64); and each cell's level. Both filled in
	 * by apply_cell_config from the kernel, so a task is matched against its ancestors at
	 * these levels only (cells can sit at any depth with --cell-config).
	 */
	__u64 level_mask;
	__u8 cell_level[CELLS_MAX_CELLS];
	__u8 flags[CELLS_MAX_CELLS];	/* CELL_F_* */
	__u8 in_use[CELLS_MAX_CELLS];	/* cell slot live in this configuration */
	__u64 cgid[CELLS_MAX_CELLS];	/* cgroup id (inode) of each workload cell */
	__u32 cpu_cell[CELLS_MAX_CPUS]; /* owner cell of each CPU */
	__u64 borrow[CELLS_MAX_CELLS][CELLS_CPU_WORDS]; /* borrowable CPUs per cell */
};

#endif /* SCX_CELLS_INTF_H */
