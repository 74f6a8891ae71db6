/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_cells - a sched_ext scheduler that partitions CPUs into cells.
 *
 * Every direct child cgroup of one parent cgroup, or every cgroup that a --cell-config rule
 * matches, is a cell with CPUs of its own; everything else runs in the root cell (id 0).
 * Userspace decides which CPUs each cell owns and which it may borrow; this program only enforces
 * a finished plan and makes the per-task decisions.
 *
 * Configuration. Userspace writes a complete struct cells_config into the inactive one of two
 * slots and runs the SEC("syscall") program apply_cell_config, which builds that slot's cpumasks
 * and bumps cfg_seq; the active slot is cfg_seq & 1, so a reader takes the slot and the sequence
 * number it caches from one load and sees either the whole old or the whole new plan. CPUs whose
 * owner changed are kicked so they stop running foreign work promptly. Userspace then waits for
 * an RCU grace period (every callback runs with preemption disabled, so that waits for all that
 * may still read the old slot) before it runs reenq_queues, which re-enqueues every queued task
 * so it is placed again under the new plan, and before it may rewrite the old slot.
 *
 * Task -> cell. A task belongs to the cell whose cgroup is its own cgroup or an ancestor (cells
 * sit at any depth; the kernel tells each cell's level at publication). The result is cached in
 * task storage together with the configuration sequence number and the task's cgroup id, and
 * recomputed lazily when either changes. That covers cells coming and going and tasks moved
 * through cgroup.procs, with or without the cpu controller.
 *
 * Queues. Each cell has a vtime-ordered DSQ per LLC it spans, served by the cell's CPUs in that
 * LLC first; a CPU whose LLC queue is empty steals from the cell's other LLC queues, which also
 * drains queues of LLCs the cell no longer has CPUs in. A task whose affinity does not cover its
 * cell's CPUs (per-CPU kthreads, taskset) goes to a FIFO per-CPU DSQ of a CPU it may run on: its
 * tasks come from different cells, whose clocks cannot be compared. When both the per-CPU DSQ
 * and the cell's DSQ have work, the CPU splits its time between them in proportion to how many
 * tasks (and of what weight) each side has, with a per-CPU clock per side; either side's credit
 * is capped at one slice and the ratio at PINNED_MAX_RATIO, so neither starves.
 *
 * Vtime. Each cell has its own clock (cell_vtime); a task is charged to the clock of the cell it
 * belongs to, wherever it ran, so borrowed run time is charged to exactly one domain. A task that
 * changes cell restarts at the new cell's clock, and an idle task keeps at most one slice of
 * credit.
 */
#include <scx/common.bpf.h>
#include "intf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 nr_cpus = 1;			 /* possible CPUs, set by userspace */
const volatile u64 slice_ns = 20000000ULL;	 /* scheduling slice */
const volatile u64 borrow_slice_ns = 2500000ULL; /* slice on a borrowed CPU */
const volatile bool enable_borrowing;
const volatile bool enable_reclaim = true; /* preempt borrowers when the owner waits */
const volatile u64 test_error_after_ns;	   /* test hook: raise an error this long after init */
const volatile u32 nr_llcs = 1;		   /* LLC queues per cell, <= CELLS_MAX_LLCS */
const volatile u8 cpu_llc[CELLS_MAX_CPUS]; /* LLC queue of each CPU, < nr_llcs */
/* --enable-slice-shrinking: a per-CPU waiter cuts the running slice (see shrink_for()). */
const volatile bool enable_slice_shrinking;
const volatile u64 slice_shrink_min_ns = 500000ULL;
const volatile u64 slice_shrink_max_ns = 4000000ULL;
/* --dynamic-affinity-cpu-selection: spread tasks whose affinity is narrower than their cell. */
const volatile bool dynamic_affinity;
/* Some online core has SMT siblings (else a whole idle core is any idle CPU: one search less). */
const volatile bool smt = true;

UEI_DEFINE(uei);

/*
 * Two configuration slots; the active one is cfg_seq & 1 (see the comment at the top). Starts
 * even (slot 0) and above 0, which task contexts use for "never resolved".
 */
struct cells_config cfg[2];
u64 cfg_seq = 2;
/* Bumped after writes to cpuset files; userspace re-reads cpusets when it moves. */
u64 cpuset_seq;

/* Per-cell clocks, not part of the configuration: they must survive publications. */
static u64 cell_vtime[CELLS_MAX_CELLS];
static u64 init_ns;

/*
 * Sharing a CPU between its per-CPU queue (pinned tasks) and its cell queue: per CPU and side
 * (PIN_SIDE, CELL_SIDE) a clock that advances by the weighted run time of that side's tasks
 * divided by how many tasks the side had when last counted. The side with the smaller clock is
 * served first. A side that has more than PINNED_MAX_RATIO times the other's tasks is counted as
 * having that ratio, so the other side still runs at least once every PINNED_MAX_RATIO slices.
 */
enum { PIN_SIDE, CELL_SIDE, NR_SIDES };
#define PINNED_MAX_RATIO 16
static u64 side_vtime[CELLS_MAX_CPUS][NR_SIDES];
static u32 side_nr[CELLS_MAX_CPUS][NR_SIDES];

/*
 * Cell whose task each CPU is running (CELL_NONE when it stopped), and per cell how many of its
 * CPUs currently run another cell's task. Racy snapshots: they steer reclaim kicks and the CPU map
 * in the stats, never correctness.
 */
u32 running_cell[CELLS_MAX_CPUS];
/*
 * Per CPU the cell whose CPU it was lent from while it runs a borrower (CELL_NONE otherwise). A
 * task that runs on another cell's CPU because its affinity allows nothing of its own cell
 * (pinned) is not a borrower: it is not counted, so it neither draws reclaim preemptions nor
 * stops the owner from borrowing.
 */
static u32 counted_owner[CELLS_MAX_CPUS];
static s32 nr_borrowers_on[CELLS_MAX_CELLS];
/* Per CPU the cell it was last reclaimed for (CELL_NONE: none pending); for STAT_RECLAIM_RUN. */
static u32 reclaim_for[CELLS_MAX_CPUS];
/* Per CPU, how many tasks started running there (running()); see note_reclaim(). */
static u32 nr_starts[CELLS_MAX_CPUS];
/* Where borrow_from_queues() starts its scan of the cells; racy, only spreads the start. */
static u32 borrow_rotor;

/*
 * Per cell, the CPUs of it that run (or were just given to) a borrower: the same information as
 * counted_owner[], as a mask, so a waking owner finds a CPU to take back without a loop over
 * every CPU. Kept in set_lent(); a bit can briefly outlive its counted_owner[] entry when two
 * updates race, so readers check counted_owner[] and drop stale bits.
 */
struct lent_mask {
	struct bpf_cpumask __kptr *mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct lent_mask);
	__uint(max_entries, CELLS_MAX_CELLS);
} lent_masks SEC(".maps");

/* The cpumasks of one cell in one configuration slot; key = slot * CELLS_MAX_CELLS + cell. */
struct cell_masks {
	struct bpf_cpumask __kptr *primary;
	struct bpf_cpumask __kptr *borrow;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct cell_masks);
	__uint(max_entries, 2 * CELLS_MAX_CELLS);
} cell_masks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, NR_CELLS_STATS);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, u32);
	__type(value, struct cell_cpu_stats);
	__uint(max_entries, CELLS_MAX_CELLS);
} cell_stats SEC(".maps");

struct task_ctx {
	u64 cfg_seq;	    /* configuration the cell was resolved against */
	u64 cgid;	    /* task's cgroup id at resolution */
	u32 cell;	    /* cell the task belongs to */
	bool pinned;	    /* affinity does not cover the cell's CPUs */
	u64 started_at;	    /* when the task last started running */
	u64 queued_at;	    /* when it was last enqueued (0: not waiting) */
	u64 runnable_at;    /* when it last woke up (0: ran since) */
	u64 run_start;	    /* when the current run began (charge() moves started_at) */
	u64 avg_run_ns;	    /* EWMA (1/8) of the length of its runs, updated in stopping() */
	s32 reclaim_cpu;    /* CPU reclaimed for its wake-up (-1: none), see note_reclaim() */
	u32 reclaim_starts; /* nr_starts[reclaim_cpu] when it was reclaimed */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

static void stat_add(u32 idx, u64 v)
{
	u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		(*cnt) += v;
}

static void stat_inc(u32 idx)
{
	stat_add(idx, 1);
}

static struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (!tctx)
		scx_bpf_error("task_ctx lookup failed for pid %d", p->pid);
	return tctx;
}

/* The active configuration slot, for callbacks that do not cache the sequence number. */
static __always_inline u32 active_slot(void)
{
	return READ_ONCE(cfg_seq) & 1;
}

/* Owner cell of @cpu in configuration slot @slot (root cell for CPUs beyond the table). */
static u32 cpu_cell(u32 slot, s32 cpu)
{
	u32 idx = (u32)cpu;

	if (idx >= CELLS_MAX_CPUS)
		return CELLS_ROOT_CELL;
	/* The mask is redundant after the check but keeps the verifier's bounds obvious. */
	return cfg[slot & 1].cpu_cell[idx & (CELLS_MAX_CPUS - 1)] % CELLS_MAX_CELLS;
}

static u32 llc_of(s32 cpu)
{
	return cpu_llc[(u32)cpu & (CELLS_MAX_CPUS - 1)] % CELLS_MAX_LLCS;
}

/* The queue of @cell for the LLC @llc. */
static u64 cell_dsq(u32 cell, u32 llc)
{
	return CELL_DSQ_BASE + (u64)(cell % CELLS_MAX_CELLS) * CELLS_MAX_LLCS +
	       llc % CELLS_MAX_LLCS;
}

/* Tasks queued in all of @cell's LLC queues. */
static s32 cell_nr_queued(u32 cell)
{
	s32 n = 0;
	u32 l;

	if (nr_llcs <= 1) /* the common case, without the loop: this runs on every dispatch */
		return scx_bpf_dsq_nr_queued(cell_dsq(cell, 0));
	bpf_for(l, 0, nr_llcs) {
		if (l >= CELLS_MAX_LLCS)
			break;
		n += scx_bpf_dsq_nr_queued(cell_dsq(cell, l));
	}
	return n;
}

static struct cell_masks *lookup_cell_masks(u32 cell, u32 slot)
{
	u32 key = (slot & 1) * CELLS_MAX_CELLS + cell % CELLS_MAX_CELLS;
	struct cell_masks *cm = bpf_map_lookup_elem(&cell_masks, &key);

	if (!cm)
		scx_bpf_error("cell_masks lookup failed for cell %u slot %u", cell, slot);
	return cm;
}

static const struct cpumask *cell_primary(u32 cell, u32 slot)
{
	struct cell_masks *cm = lookup_cell_masks(cell, slot);

	return cm ? (const struct cpumask *)cm->primary : NULL;
}

static const struct cpumask *cell_borrow(u32 cell, u32 slot)
{
	struct cell_masks *cm = lookup_cell_masks(cell, slot);

	return cm ? (const struct cpumask *)cm->borrow : NULL;
}

/* Cgroup id of @p's cgroup in the default hierarchy (works without the cpu controller). */
static u64 task_cgid(struct task_struct *p)
{
	struct cgroup *cg = p->cgroups->dfl_cgrp;

	return cg ? cg->kn->id : 0;
}

/*
 * The cell @p belongs to under configuration @slot: the cell whose cgroup is @p's cgroup or an
 * ancestor of it, else the root cell. Only the levels some cell sits at are looked at, shallowest
 * first, so a cell's descendants are in that cell (the registry never makes nested cells anyway).
 */
static u32 resolve_cell(struct task_struct *p, u32 slot)
{
	struct cells_config *c = &cfg[slot & 1];
	u32 found = CELLS_ROOT_CELL, nr = c->nr_cells, top, l;
	u64 mask = c->level_mask, id;
	struct cgroup *cg, *anc;
	int i;

	if (!mask || nr <= 1)
		return CELLS_ROOT_CELL;
	cg = p->cgroups->dfl_cgrp;
	if (!cg || cg->level < 1)
		return CELLS_ROOT_CELL;
	top = cg->level < 63 ? cg->level : 63;
	if (nr > CELLS_MAX_CELLS)
		nr = CELLS_MAX_CELLS;
	bpf_for(l, 1, top + 1) {
		if (!(mask & (1ULL << l)))
			continue;
		anc = bpf_cgroup_ancestor(cg, l);
		if (!anc)
			continue;
		id = anc->kn->id;
		bpf_cgroup_release(anc);
		bpf_for(i, 1, nr) {
			if (c->in_use[i] && c->cell_level[i] == l && c->cgid[i] == id) {
				found = i;
				break;
			}
		}
		if (found != CELLS_ROOT_CELL)
			break;
	}
	return found;
}

/* latency_sensitive (--cell-config): borrowers of @cell's CPUs are preempted at once. */
static bool latency_cell(u32 cell, u32 slot)
{
	return cfg[slot & 1].flags[cell % CELLS_MAX_CELLS] & CELL_F_LATENCY;
}

/*
 * May @cell borrow @owner's CPU under the rules' flags? The borrowable masks already leave these
 * CPUs out; this keeps the BPF side right on its own.
 */
static bool rules_allow_borrow(u32 cell, u32 owner, u32 slot)
{
	const struct cells_config *c = &cfg[slot & 1];

	return !(c->flags[cell % CELLS_MAX_CELLS] & CELL_F_NO_BORROW) &&
	       !(c->flags[owner % CELLS_MAX_CELLS] & CELL_F_NO_LEND);
}

/*
 * Make sure @tctx reflects the active configuration and @p's current cgroup; returns the slot
 * used. A task that changes cell restarts at the new cell's clock.
 */
static u32 refresh_task(struct task_struct *p, struct task_ctx *tctx)
{
	u64 seq = READ_ONCE(cfg_seq); /* one load: slot and sequence number agree */
	u32 slot = seq & 1;
	u64 cgid = task_cgid(p);
	const struct cpumask *prim;
	u32 cell;

	if (tctx->cfg_seq == seq && tctx->cgid == cgid)
		return slot;

	cell = resolve_cell(p, slot);
	if (cell != tctx->cell) {
		tctx->cell = cell;
		scx_bpf_task_set_dsq_vtime(p, cell_vtime[cell % CELLS_MAX_CELLS]);
	}
	tctx->cfg_seq = seq;
	tctx->cgid = cgid;
	prim = cell_primary(cell, slot);
	tctx->pinned = !prim || !bpf_cpumask_subset(prim, p->cpus_ptr);
	stat_inc(STAT_RESOLVE);
	return slot;
}

/* Vtime @p is queued with: at most one slice of credit relative to its cell's clock. */
static u64 task_vtime(struct task_struct *p, u32 cell)
{
	u64 now = cell_vtime[cell % CELLS_MAX_CELLS];
	u64 vtime = p->scx.dsq_vtime;

	if (time_before(vtime, now - slice_ns))
		vtime = now - slice_ns;
	return vtime;
}

/*
 * An idle CPU of @mask: a whole idle core first (with SMT), then @prev, then any idle CPU. Each
 * search is a kfunc call on every wake-up, so the core search is skipped without SMT.
 */
static s32 pick_idle(const struct cpumask *mask, s32 prev)
{
	s32 cpu;

	if (!mask)
		return -EBUSY;
	if (smt) {
		cpu = scx_bpf_pick_idle_cpu(mask, SCX_PICK_IDLE_CORE);
		if (cpu >= 0)
			return cpu;
	}
	if (prev >= 0 && bpf_cpumask_test_cpu(prev, mask) && scx_bpf_test_and_clear_cpu_idle(prev))
		return prev;
	return scx_bpf_pick_idle_cpu(mask, 0);
}

/* One of @cell's CPUs, spread over calls, or -1 if it has none. */
static s32 any_cpu_of(u32 cell, u32 slot)
{
	const struct cpumask *prim = cell_primary(cell, slot);
	u32 cpu;

	if (!prim)
		return -1;
	cpu = bpf_cpumask_any_distribute(prim);
	return cpu < nr_cpus ? (s32)cpu : -1;
}

/* @cpu runs a task that borrowed it from @cell (not one pinned there). Racy snapshot. */
static bool runs_borrower(s32 cpu, u32 cell)
{
	if ((u32)cpu >= CELLS_MAX_CPUS)
		return false;
	return READ_ONCE(counted_owner[(u32)cpu & (CELLS_MAX_CPUS - 1)]) == cell;
}

static struct bpf_cpumask *lent_mask_of(u32 cell)
{
	u32 key = cell % CELLS_MAX_CELLS;
	struct lent_mask *lm = bpf_map_lookup_elem(&lent_masks, &key);

	if (!lm) {
		scx_bpf_error("lent_masks lookup failed for cell %u", cell);
		return NULL;
	}
	return lm->mask;
}

/*
 * @cpu now runs (or was just given to) a borrower of @owner's CPU, or no borrower (CELL_NONE).
 * The exchange pairs every count increment with one decrement even when two CPUs race here.
 */
static void set_lent(s32 cpu, u32 owner)
{
	u32 idx = (u32)cpu & (CELLS_MAX_CPUS - 1), old;
	struct bpf_cpumask *m;

	if ((u32)cpu >= CELLS_MAX_CPUS)
		return;
	old = __sync_lock_test_and_set(&counted_owner[idx], owner);
	if (old == owner)
		return;
	if (old != CELL_NONE) {
		__sync_fetch_and_sub(&nr_borrowers_on[old % CELLS_MAX_CELLS], 1);
		m = lent_mask_of(old);
		if (m)
			bpf_cpumask_clear_cpu(cpu, m);
	}
	if (owner != CELL_NONE) {
		__sync_fetch_and_add(&nr_borrowers_on[owner % CELLS_MAX_CELLS], 1);
		m = lent_mask_of(owner);
		if (m)
			bpf_cpumask_set_cpu(cpu, m);
	}
}

/*
 * A CPU of @cell that runs (or was just given to) a borrower, @prev first (its cache is there),
 * or -1. O(1) in the number of CPUs: one mask lookup.
 */
static s32 lent_cpu(u32 cell, u32 slot, s32 prev)
{
	const struct cpumask *prim;
	struct bpf_cpumask *lm;
	u32 cpu;

	if (READ_ONCE(nr_borrowers_on[cell % CELLS_MAX_CELLS]) <= 0)
		return -1;
	prim = cell_primary(cell, slot);
	lm = lent_mask_of(cell);
	if (!prim || !lm)
		return -1;
	if (runs_borrower(prev, cell) && bpf_cpumask_test_cpu(prev, prim))
		return prev;
	cpu = bpf_cpumask_any_and_distribute((const struct cpumask *)lm, prim);
	if (cpu >= nr_cpus)
		return -1;
	if (!runs_borrower(cpu, cell)) {
		bpf_cpumask_clear_cpu(cpu, lm); /* stale: see lent_masks */
		return -1;
	}
	return cpu;
}

/*
 * Count a reclaim of @cpu for @cell; running() counts the owner task that then runs there. When
 * the reclaim is for the waking task @tctx (NULL on a tick), it remembers how many tasks had
 * started on @cpu so far: if that number moved before the task runs there, another task went
 * first (STAT_RECLAIM_OVERTAKEN), a scheduling decision that no emulator timing explains.
 */
static void note_reclaim(s32 cpu, u32 cell, struct task_ctx *tctx)
{
	u32 idx = (u32)cpu & (CELLS_MAX_CPUS - 1);

	if ((u32)cpu >= CELLS_MAX_CPUS)
		return;
	WRITE_ONCE(reclaim_for[idx], cell);
	stat_inc(STAT_RECLAIM_KICK);
	if (!tctx)
		return;
	if (cpu != bpf_get_smp_processor_id())
		stat_inc(STAT_RECLAIM_REMOTE);
	tctx->reclaim_cpu = cpu;
	tctx->reclaim_starts = READ_ONCE(nr_starts[idx]);
}

/*
 * An idle CPU another cell lends to @cell. The borrowable mask may hold CPUs outside @p's
 * affinity; such a CPU was just claimed from the idle mask, so kick it back into idle.
 */
static s32 pick_borrow(struct task_struct *p, u32 cell, u32 slot)
{
	s32 cpu = pick_idle(cell_borrow(cell, slot), -1);

	if (cpu >= 0 && (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr) ||
			 !rules_allow_borrow(cell, cpu_cell(slot, cpu), slot))) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return -EBUSY;
	}
	/* Counted as lent now, not when it starts: an owner waking meanwhile must see it. */
	if (cpu >= 0)
		set_lent(cpu, cpu_cell(slot, cpu));
	return cpu;
}

/*
 * Slice shrinking (--enable-slice-shrinking, as scx_mitosis has it): a task that waits on
 * @cpu's per-CPU queue (pinned tasks, per-CPU kworkers, ksoftirqd) must not wait a whole slice
 * behind whatever runs there. The running task's slice is cut to twice the waiter's average run
 * time, clamped to [--slice-shrink-min-us, --slice-shrink-max-us], counted from when that run
 * began: if it already ran that long the CPU is preempted now, else the rest of its slice
 * shrinks (the kernel ends it at the next tick past the new slice). Racy by nature: the task
 * seen may stop in between, and then the cut is a no-op or hits its successor's fresh slice.
 */
static void shrink_for(s32 cpu, struct task_ctx *wctx)
{
	struct task_struct *curr;
	struct task_ctx *cctx;
	u64 want, ran, now;

	if (!enable_slice_shrinking)
		return;
	want = 2 * wctx->avg_run_ns;
	if (want < slice_shrink_min_ns)
		want = slice_shrink_min_ns;
	if (want > slice_shrink_max_ns)
		want = slice_shrink_max_ns;
	curr = scx_bpf_cpu_curr(cpu);
	if (!curr || !curr->pid)
		return; /* idle: the kick that follows the insert wakes it */
	cctx = bpf_task_storage_get(&task_ctxs, curr, 0, 0);
	if (!cctx || !cctx->run_start)
		return;
	now = bpf_ktime_get_ns();
	ran = now > cctx->run_start ? now - cctx->run_start : 0;
	if (ran >= want) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
		stat_inc(STAT_SLICE_SHRINK);
	} else if (curr->scx.slice > want - ran) {
		scx_bpf_task_set_slice(curr, want - ran);
		stat_inc(STAT_SLICE_SHRINK);
	}
}

s32 BPF_STRUCT_OPS(cells_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u32 slot;
	s32 cpu;

	if (!tctx)
		return prev_cpu;
	slot = refresh_task(p, tctx);

	if (tctx->pinned) {
		/* --dynamic-affinity-cpu-selection: any idle CPU the task may run on. */
		if (dynamic_affinity && p->nr_cpus_allowed > 1) {
			cpu = pick_idle(p->cpus_ptr, prev_cpu);
			if (cpu >= 0) {
				scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
				stat_inc(STAT_SELECT_IDLE);
				if (cpu != prev_cpu)
					stat_inc(STAT_AFFN_SPREAD);
				return cpu;
			}
			return prev_cpu;
		}
		/* Affinity does not cover the cell: stay where allowed; enqueue picks a queue. */
		if (bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr) &&
		    scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
			stat_inc(STAT_SELECT_IDLE);
		}
		return prev_cpu;
	}

	cpu = pick_idle(cell_primary(tctx->cell, slot), prev_cpu);
	if (cpu >= 0) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
		stat_inc(STAT_SELECT_IDLE);
		return cpu;
	}
	stat_inc(STAT_OWNER_BUSY);
	if (enable_borrowing) {
		/*
		 * One of our CPUs is lent: take it back now. The task goes straight to that CPU's
		 * local queue, ahead of everything, and SCX_ENQ_PREEMPT ends the borrower's slice,
		 * so the wait is one context switch, not the rest of a slice, and the CPU cannot
		 * serve another queue first. Taking back our own CPU also beats borrowing another.
		 */
		cpu = lent_cpu(tctx->cell, slot, prev_cpu);
		if (cpu >= 0)
			stat_inc(STAT_OWNER_BUSY_LENT);
		if (cpu >= 0 && (enable_reclaim || latency_cell(tctx->cell, slot))) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, SCX_ENQ_PREEMPT);
			note_reclaim(cpu, tctx->cell, tctx);
			return cpu;
		}
		cpu = pick_borrow(p, tctx->cell, slot);
		if (cpu >= 0) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, borrow_slice_ns, 0);
			stat_inc(STAT_BORROW_SELECT);
			return cpu;
		}
	}
	/* No idle CPU: hint a CPU of the cell; enqueue puts the task on the cell's queue. */
	if (cpu_cell(slot, prev_cpu) == tctx->cell)
		return prev_cpu;
	cpu = any_cpu_of(tctx->cell, slot);
	return cpu >= 0 ? cpu : prev_cpu;
}

/*
 * May @p keep running on @cpu? Yes in its own cell, on a CPU its affinity allows when it is
 * pinned, and as a borrower while borrowing is on and the CPU's owner has nothing queued.
 */
static bool may_stay(struct task_struct *p, struct task_ctx *tctx, u32 slot, s32 cpu)
{
	const struct cpumask *borrow;
	u32 owner = cpu_cell(slot, cpu);

	if (tctx->pinned)
		return bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
	if (owner == tctx->cell)
		return true;
	if (!enable_borrowing)
		return false;
	borrow = cell_borrow(tctx->cell, slot);
	return borrow && bpf_cpumask_test_cpu(cpu, borrow) &&
	       rules_allow_borrow(tctx->cell, owner, slot) &&
	       bpf_cpumask_test_cpu(cpu, p->cpus_ptr) && !cell_nr_queued(owner);
}

/*
 * --dynamic-affinity-cpu-selection: the per-CPU queue a task allowed on several CPUs (but not
 * its whole cell) goes to, instead of always @prev's, where such tasks pile up while the other
 * CPUs of their mask idle. An idle CPU of the mask first (claimed here; the caller kicks it),
 * else the allowed CPU with the fewest tasks queued on its per-CPU queue, counting the one it
 * runs; @prev wins ties (its cache is warm). O(nr_cpus), only for such tasks.
 */
static s32 spread_cpu(struct task_struct *p, s32 prev)
{
	s32 cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0), best = prev;
	u32 load, best_load = ~0u, i;

	if (cpu >= 0)
		return cpu;
	bpf_for(i, 0, nr_cpus) {
		if (i >= CELLS_MAX_CPUS)
			break;
		if (!bpf_cpumask_test_cpu(i, p->cpus_ptr))
			continue;
		load = scx_bpf_dsq_nr_queued(CPU_DSQ_BASE + i);
		if (READ_ONCE(running_cell[i & (CELLS_MAX_CPUS - 1)]) != CELL_NONE)
			load++;
		if (load < best_load || (load == best_load && (s32)i == prev)) {
			best_load = load;
			best = i;
		}
	}
	return best;
}

/*
 * Which of @cell's LLC queues @p goes to: the LLC of the CPU it last ran on if that CPU is the
 * cell's (cache affinity), else the LLC of one of the cell's CPUs.
 */
static u32 queue_llc(struct task_struct *p, u32 cell, u32 slot)
{
	s32 cpu = scx_bpf_task_cpu(p);

	if (nr_llcs <= 1)
		return 0;
	if (cpu_cell(slot, cpu) == cell)
		return llc_of(cpu);
	cpu = any_cpu_of(cell, slot);
	return cpu >= 0 ? llc_of(cpu) : 0;
}

void BPF_STRUCT_OPS(cells_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	bool wakeup_unseen;
	u32 slot;
	s32 cpu;

	if (!tctx)
		return;
	slot = refresh_task(p, tctx);
	/* A re-enqueued task keeps waiting since it was first queued. */
	if (!tctx->queued_at)
		tctx->queued_at = bpf_ktime_get_ns();
	if (enq_flags & SCX_ENQ_REENQ) {
		stat_inc(STAT_REENQ);
		if (tctx->pinned)
			stat_inc(STAT_REENQ_AFFN);
	}

	/*
	 * SCX_OPS_ENQ_LAST: the slice ended and nothing else is queued for this CPU. Without the
	 * flag the kernel would silently extend the slice, and a task that never sleeps would never
	 * notice a plan change or a cgroup move. Keep it here only if it may stay.
	 */
	cpu = scx_bpf_task_cpu(p);
	if ((enq_flags & SCX_ENQ_LAST) && may_stay(p, tctx, slot, cpu)) {
		/* A borrower that stays keeps the short slice: the owner is re-checked soon. */
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL,
				   cpu_cell(slot, cpu) == tctx->cell || tctx->pinned
					   ? slice_ns
					   : borrow_slice_ns,
				   enq_flags);
		return;
	}

	if (tctx->pinned) {
		cpu = scx_bpf_task_cpu(p);
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			cpu = bpf_cpumask_any_distribute(p->cpus_ptr);
		if (dynamic_affinity && p->nr_cpus_allowed > 1 && cpu >= 0 && cpu < nr_cpus) {
			s32 to = spread_cpu(p, cpu);

			if (to != cpu)
				stat_inc(STAT_AFFN_SPREAD);
			cpu = to;
		}
		if (cpu < 0 || cpu >= nr_cpus) {
			scx_bpf_error("pid %d has no CPU it may run on", p->pid);
			return;
		}
		/* FIFO: the queue mixes cells, whose clocks cannot be compared. */
		scx_bpf_dsq_insert(p, CPU_DSQ_BASE + cpu, slice_ns, enq_flags);
		stat_inc(STAT_PINNED_QUEUED);
		shrink_for(cpu, tctx);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}

	/*
	 * select_cpu() did not run (or found nothing): look for an idle CPU of the cell here too.
	 * SCX_DSQ_LOCAL would mean the CPU this runs on, so insert on the picked CPU's local queue.
	 */
	/*
	 * A wake-up that select_cpu() did not see: the kernel skips it for tasks allowed on one
	 * CPU only (a cell of one CPU with a cpuset). Count it here like select_cpu() does.
	 */
	wakeup_unseen = (enq_flags & SCX_ENQ_WAKEUP) && !(enq_flags & SCX_ENQ_CPU_SELECTED);
	if (!(enq_flags & SCX_ENQ_CPU_SELECTED) || !(enq_flags & SCX_ENQ_WAKEUP)) {
		cpu = pick_idle(cell_primary(tctx->cell, slot), scx_bpf_task_cpu(p));
		if (cpu >= 0) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice_ns, enq_flags);
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
			stat_inc(STAT_ENQ_IDLE);
			return;
		}
	}
	if (wakeup_unseen)
		stat_inc(STAT_OWNER_BUSY);
	if (enable_borrowing) {
		/* As in select_cpu(): take a lent CPU back at once, else borrow one. */
		cpu = lent_cpu(tctx->cell, slot, scx_bpf_task_cpu(p));
		if (cpu >= 0 && wakeup_unseen)
			stat_inc(STAT_OWNER_BUSY_LENT);
		if (cpu >= 0 && (enable_reclaim || latency_cell(tctx->cell, slot))) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice_ns,
					   enq_flags | SCX_ENQ_PREEMPT);
			note_reclaim(cpu, tctx->cell, tctx);
			return;
		}
		cpu = pick_borrow(p, tctx->cell, slot);
		if (cpu >= 0) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, borrow_slice_ns, enq_flags);
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
			stat_inc(STAT_BORROW_ENQ);
			return;
		}
	}
	scx_bpf_dsq_insert_vtime(p, cell_dsq(tctx->cell, queue_llc(p, tctx->cell, slot)), slice_ns,
				 task_vtime(p, tctx->cell), enq_flags);
	stat_inc(STAT_CELL_QUEUED);
}

/* Move the first task of any of @cell's LLC queues, starting at @first, to the local queue. */
static bool move_from_cell(u32 cell, u32 first)
{
	u32 l;

	if (nr_llcs <= 1)
		return scx_bpf_dsq_move_to_local(cell_dsq(cell, 0), 0);
	bpf_for(l, 0, nr_llcs) {
		if (l >= CELLS_MAX_LLCS)
			break;
		if (scx_bpf_dsq_move_to_local(cell_dsq(cell, (first + l) % nr_llcs), 0))
			return true;
	}
	return false;
}

/*
 * Should @cpu serve its per-CPU queue before its cell's queue (@cell), both having work? Counts
 * the tasks of each side that compete for @cpu: the per-CPU queue's, the cell queue's divided
 * among the cell's CPUs, and @prev if it is still runnable. The counts are kept for charge() so
 * each side's clock advances by its tasks' weighted run time per task.
 */
static bool pinned_side_first(s32 cpu, u32 cell, u32 slot, struct task_struct *prev)
{
	const struct cpumask *prim = cell_primary(cell, slot);
	u32 idx = (u32)cpu & (CELLS_MAX_CPUS - 1), np, nc, k;
	struct task_ctx *pctx;
	u64 vp, vc;

	np = scx_bpf_dsq_nr_queued(CPU_DSQ_BASE + cpu);
	nc = cell_nr_queued(cell);
	k = prim ? bpf_cpumask_weight(prim) : 1;
	nc = k > 1 ? (nc + k - 1) / k : nc;
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED)) {
		pctx = bpf_task_storage_get(&task_ctxs, prev, 0, 0);
		if (pctx && pctx->pinned)
			np++;
		else
			nc++;
	}
	np = np ?: 1;
	nc = nc ?: 1;
	if (np > nc * PINNED_MAX_RATIO)
		np = nc * PINNED_MAX_RATIO;
	if (nc > np * PINNED_MAX_RATIO)
		nc = np * PINNED_MAX_RATIO;
	side_nr[idx][PIN_SIDE] = np;
	side_nr[idx][CELL_SIDE] = nc;

	/* A side that was idle or behind keeps at most one slice of credit. */
	vp = side_vtime[idx][PIN_SIDE];
	vc = side_vtime[idx][CELL_SIDE];
	if (time_before(vp + slice_ns, vc))
		side_vtime[idx][PIN_SIDE] = vp = vc - slice_ns;
	if (time_before(vc + slice_ns, vp))
		side_vtime[idx][CELL_SIDE] = vc = vp - slice_ns;
	return time_before(vp, vc);
}

/*
 * Borrowing at dispatch: @cpu (owned by @owner) has nothing of its own to run, so it takes the
 * first task queued by a cell that may borrow it. Without this, a CPU whose owner went back to
 * sleep idles while the borrower that reclaim preempted (or any task that found no idle CPU when
 * it was queued) waits for one of its own cell's CPUs to finish a whole slice: every reclaim
 * then costs the borrowing cell up to a slice of CPU time. It also rotates borrowers when a
 * borrow slice ends. A runnable @prev of @owner keeps the CPU (it may stay, enqueue decides):
 * an owner is never displaced by a borrower. Cells are scanned from a rotating start so none is
 * always first; O(cells), only when the CPU's own queues are empty.
 */
static bool borrow_from_queues(s32 cpu, u32 owner, u32 slot, struct task_struct *prev)
{
	const struct cells_config *c = &cfg[slot & 1];
	const struct cpumask *borrow;
	u32 nr = c->nr_cells, start, i, cell, was;
	struct task_ctx *pctx;

	if (!enable_borrowing || nr <= 1)
		return false;
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED)) {
		pctx = bpf_task_storage_get(&task_ctxs, prev, 0, 0);
		if (!pctx || pctx->pinned || pctx->cell == owner)
			return false;
	}
	if (nr > CELLS_MAX_CELLS)
		nr = CELLS_MAX_CELLS;
	was = READ_ONCE(counted_owner[(u32)cpu & (CELLS_MAX_CPUS - 1)]);
	start = borrow_rotor++;
	bpf_for(i, 0, nr) {
		cell = (start + i) % nr;
		if (cell == owner || !cell_nr_queued(cell) ||
		    !rules_allow_borrow(cell, owner, slot))
			continue;
		borrow = cell_borrow(cell, slot);
		if (!borrow || !bpf_cpumask_test_cpu(cpu, borrow))
			continue;
		/* Counted as lent before it runs, as pick_borrow() does: a waking owner sees it. */
		set_lent(cpu, owner);
		if (move_from_cell(cell, llc_of(cpu))) {
			stat_inc(STAT_BORROW_PULL);
			return true;
		}
		set_lent(cpu, was);
	}
	return false;
}

void BPF_STRUCT_OPS(cells_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 slot = active_slot(), cell = cpu_cell(slot, cpu);
	u64 cpu_dsq = CPU_DSQ_BASE + cpu;

	if (test_error_after_ns && bpf_ktime_get_ns() - init_ns > test_error_after_ns) {
		scx_bpf_error("test error requested by --test-error-after-ms");
		return;
	}

	/*
	 * The per-CPU queue (pinned tasks of any cell) and the cell queue (this CPU's owner's
	 * clock) cannot be ordered by vtime: a pinned kthread of a cell whose clock ran ahead
	 * would never win and would stall. When both have work, the side clocks decide.
	 */
	if (scx_bpf_dsq_nr_queued(cpu_dsq) && cell_nr_queued(cell) &&
	    pinned_side_first(cpu, cell, slot, prev) && scx_bpf_dsq_move_to_local(cpu_dsq, 0))
		return;
	/* This CPU's LLC queue of its cell first, then steal from the cell's other LLCs. */
	if (move_from_cell(cell, llc_of(cpu)))
		return;
	/* Read again, not remembered: a task queued meanwhile must not be left behind. */
	if (scx_bpf_dsq_move_to_local(cpu_dsq, 0))
		return;
	borrow_from_queues(cpu, cell, slot, prev);
}

/*
 * Record which cell @cpu now runs (@cell, or CELL_NONE) and keep the borrower counts; a @pinned
 * task is no borrower. The owner a borrower was counted against is remembered, so a plan change
 * in between cannot skew the counts.
 */
static void set_running(s32 cpu, u32 cell, bool pinned)
{
	u32 idx = (u32)cpu & (CELLS_MAX_CPUS - 1), owner;

	if ((u32)cpu >= CELLS_MAX_CPUS)
		return;
	owner = cpu_cell(active_slot(), cpu);
	set_lent(cpu, cell != CELL_NONE && cell != owner && !pinned ? owner : CELL_NONE);
	running_cell[idx] = cell;
}

/*
 * Histogram bucket of a wait of @ns: 0 below 1 us, b for [2^(b-1), 2^b) us, capped. A ladder of
 * four compares, not a loop: it runs on every wake-up.
 */
static u32 wait_bucket(u64 ns)
{
	u64 us = ns / 1000;
	u32 b = 1;

	if (!us)
		return 0;
	if (us >= 1 << 8) {
		b += 8;
		us >>= 8;
	}
	if (us >= 1 << 4) {
		b += 4;
		us >>= 4;
	}
	if (us >= 1 << 2) {
		b += 2;
		us >>= 2;
	}
	if (us >= 1 << 1)
		b += 1;
	return b < CELLS_WAIT_BUCKETS ? b : CELLS_WAIT_BUCKETS - 1;
}

void BPF_STRUCT_OPS(cells_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (tctx && (enq_flags & SCX_ENQ_WAKEUP))
		tctx->runnable_at = bpf_ktime_get_ns();
}

void BPF_STRUCT_OPS(cells_running, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	struct cell_cpu_stats *cs;
	u32 cell, idx, key;
	u64 wait;
	s32 cpu;

	if (!tctx)
		return;
	cell = tctx->cell % CELLS_MAX_CELLS;
	key = cell; /* passing &cell would cost the verifier its bounds */
	tctx->started_at = bpf_ktime_get_ns();
	tctx->run_start = tctx->started_at;
	cpu = scx_bpf_task_cpu(p);
	idx = (u32)cpu & (CELLS_MAX_CPUS - 1);
	set_running(cpu, cell, tctx->pinned);
	/* However it got here, a borrower runs a short slice (see --borrow-slice-us). */
	if (READ_ONCE(counted_owner[idx]) != CELL_NONE && p->scx.slice > borrow_slice_ns)
		scx_bpf_task_set_slice(p, borrow_slice_ns);
	if (tctx->reclaim_cpu == cpu && READ_ONCE(nr_starts[idx]) != tctx->reclaim_starts)
		stat_inc(STAT_RECLAIM_OVERTAKEN);
	tctx->reclaim_cpu = -1;
	__sync_fetch_and_add(&nr_starts[idx], 1);
	if (READ_ONCE(reclaim_for[idx]) == cell) {
		WRITE_ONCE(reclaim_for[idx], CELL_NONE);
		stat_inc(STAT_RECLAIM_RUN);
		if (tctx->runnable_at && tctx->started_at > tctx->runnable_at)
			stat_add(STAT_RECLAIM_WAIT_NS, tctx->started_at - tctx->runnable_at);
	}
	cs = bpf_map_lookup_elem(&cell_stats, &key);
	/* Wake-up to running: the owner's run-queue wait that borrowing must keep short. */
	if (tctx->runnable_at) {
		if (!tctx->pinned && tctx->started_at > tctx->runnable_at) {
			wait = tctx->started_at - tctx->runnable_at;
			stat_inc(STAT_WAKEUPS);
			stat_add(STAT_WAKE_WAIT_NS, wait);
			stat_inc(STAT_WAKE_WAIT_HIST + wait_bucket(wait));
			if (cs) {
				cs->wake_wait_ns += wait;
				cs->nr_wakeups++;
			}
		}
		tctx->runnable_at = 0;
	}
	/* Time spent runnable but waiting: the demand a saturated cell cannot show as run time. */
	if (tctx->queued_at) {
		if (cs && tctx->started_at > tctx->queued_at)
			cs->wait_ns += tctx->started_at - tctx->queued_at;
		tctx->queued_at = 0;
	}
	/* The cell clock follows the tasks it runs; racy, any error is temporary. */
	if (time_before(cell_vtime[cell], p->scx.dsq_vtime))
		cell_vtime[cell] = p->scx.dsq_vtime;
}

/*
 * Charge the time @p ran since it was last charged: to its own cell's clock only (scaled by
 * weight), to the side clock of the CPU it ran on (pinned or cell side, per task of that side)
 * and to the per-CPU run-time counter of its cell. Called from tick() as well as
 * stopping(), because a task that keeps its CPU (nothing else queued) gets no stopping() for as
 * long as it runs, and charging it all at once would make the demand metrics jump.
 */
static struct cell_cpu_stats *charge(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	struct cell_cpu_stats *cs;
	u32 cell = tctx->cell % CELLS_MAX_CELLS;
	u64 ran = now - tctx->started_at, wran = scale_by_task_weight_inverse(p, ran);
	u32 idx = (u32)scx_bpf_task_cpu(p) & (CELLS_MAX_CPUS - 1), n;

	tctx->started_at = now;
	scx_bpf_task_set_dsq_vtime(p, p->scx.dsq_vtime + wran);
	/* Constant indexes: a computed side index loses its bounds in the verifier. */
	if (tctx->pinned) {
		n = side_nr[idx][PIN_SIDE];
		side_vtime[idx][PIN_SIDE] += n > 1 ? wran / n : wran;
	} else {
		n = side_nr[idx][CELL_SIDE];
		side_vtime[idx][CELL_SIDE] += n > 1 ? wran / n : wran;
	}
	cs = bpf_map_lookup_elem(&cell_stats, &cell);
	if (cs)
		cs->run_ns += ran;
	return cs; /* this CPU's counters of the task's cell, for stopping() */
}

void BPF_STRUCT_OPS(cells_tick, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	s32 cpu = scx_bpf_task_cpu(p);
	u32 owner;

	if (!tctx)
		return;
	if (tctx->started_at)
		charge(p, tctx, bpf_ktime_get_ns());
	/*
	 * A borrower whose owner has work queued (it woke when no lent CPU was known, or
	 * reclaim raced) gives the CPU back at this tick instead of at the end of its slice.
	 */
	if (!enable_borrowing || (u32)cpu >= CELLS_MAX_CPUS)
		return;
	owner = READ_ONCE(counted_owner[(u32)cpu & (CELLS_MAX_CPUS - 1)]);
	if (!enable_reclaim && !latency_cell(owner, active_slot()))
		return;
	if (owner != CELL_NONE && owner != tctx->cell && cell_nr_queued(owner) > 0) {
		scx_bpf_task_set_slice(p, 0);
		note_reclaim(cpu, owner, NULL);
		stat_inc(STAT_RECLAIM_TICK);
	}
}

void BPF_STRUCT_OPS(cells_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	struct cell_cpu_stats *cs;
	u64 now = bpf_ktime_get_ns();

	if (!tctx || !tctx->started_at)
		return;
	cs = charge(p, tctx, now);
	if (cs)
		cs->nr_runs++;
	tctx->started_at = 0;
	/* The run that ends here feeds the average that sizes slice shrinking for this task. */
	if (tctx->run_start && now > tctx->run_start)
		tctx->avg_run_ns = tctx->avg_run_ns
					   ? (7 * tctx->avg_run_ns + (now - tctx->run_start)) / 8
					   : now - tctx->run_start;
	tctx->run_start = 0;
	set_running(scx_bpf_task_cpu(p), CELL_NONE, false);
}

void BPF_STRUCT_OPS(cells_set_cpumask, struct task_struct *p, const struct cpumask *cpumask)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	/* Force re-resolution so the pinned flag follows the new affinity. */
	if (tctx)
		tctx->cfg_seq = 0;
}

void BPF_STRUCT_OPS(cells_enable, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	scx_bpf_task_set_dsq_vtime(p, cell_vtime[tctx ? tctx->cell % CELLS_MAX_CELLS : 0]);
}

s32 BPF_STRUCT_OPS(cells_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -ENOMEM;
	tctx->cfg_seq = 0;
	tctx->cell = CELLS_ROOT_CELL;
	tctx->reclaim_cpu = -1;
	return 0;
}

void BPF_STRUCT_OPS(cells_dump, struct scx_dump_ctx *dctx)
{
	u32 slot = active_slot();
	struct cells_config *c = &cfg[slot];
	int i;

	scx_bpf_dump("cells: cfg_seq=%llu slot=%u parent_level=%u nr_cells=%u\n", cfg_seq, slot,
		     c->parent_level, c->nr_cells);
	bpf_for(i, 0, CELLS_MAX_CELLS) {
		if (i >= c->nr_cells)
			break;
		if (!c->in_use[i])
			continue;
		scx_bpf_dump("cell %d: cgid=%llu vtime=%llu queued=%d\n", i, c->cgid[i],
			     cell_vtime[i], cell_nr_queued(i));
	}
}

void BPF_STRUCT_OPS(cells_dump_cpu, struct scx_dump_ctx *dctx, s32 cpu, bool idle)
{
	scx_bpf_dump("cpu %d: cell=%u idle=%d pinned_queued=%d\n", cpu,
		     cpu_cell(active_slot(), cpu), idle, scx_bpf_dsq_nr_queued(CPU_DSQ_BASE + cpu));
}

static int alloc_mask(struct bpf_cpumask __kptr **slot)
{
	struct bpf_cpumask *m = bpf_cpumask_create();

	if (!m)
		return -ENOMEM;
	m = bpf_kptr_xchg(slot, m);
	if (m)
		bpf_cpumask_release(m);
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(cells_init)
{
	struct bpf_cpumask *m;
	struct cell_masks *cm;
	u32 i;
	s32 ret;

	init_ns = bpf_ktime_get_ns();
	bpf_for(i, 0, CELLS_MAX_CPUS) {
		running_cell[i] = CELL_NONE;
		counted_owner[i] = CELL_NONE;
		reclaim_for[i] = CELL_NONE;
	}
	bpf_for(i, 0, CELLS_MAX_CELLS) {
		struct lent_mask *lm = bpf_map_lookup_elem(&lent_masks, &i);

		if (!lm || alloc_mask(&lm->mask))
			return -ENOMEM;
	}
	bpf_for(i, 0, CELLS_MAX_CELLS * CELLS_MAX_LLCS) {
		if (i % CELLS_MAX_LLCS >= nr_llcs)
			continue;
		ret = scx_bpf_create_dsq(CELL_DSQ_BASE + i, -1);
		if (ret) {
			scx_bpf_error("failed to create DSQ %u for cell %u (%d)", i,
				      i / CELLS_MAX_LLCS, ret);
			return ret;
		}
	}
	bpf_for(i, 0, 2 * CELLS_MAX_CELLS) {
		cm = bpf_map_lookup_elem(&cell_masks, &i);
		if (!cm)
			return -ENOENT;
		if (alloc_mask(&cm->primary) || alloc_mask(&cm->borrow))
			return -ENOMEM;
	}
	bpf_for(i, 0, nr_cpus) {
		ret = scx_bpf_create_dsq(CPU_DSQ_BASE + i, -1);
		if (ret) {
			scx_bpf_error("failed to create DSQ for CPU %u (%d)", i, ret);
			return ret;
		}
	}

	/* Until userspace publishes a plan, the root cell owns every CPU. */
	i = 0;
	cm = bpf_map_lookup_elem(&cell_masks, &i);
	if (!cm)
		return -ENOENT;
	bpf_rcu_read_lock();
	m = cm->primary;
	if (m)
		bpf_cpumask_setall(m);
	bpf_rcu_read_unlock();
	cfg[0].in_use[0] = 1;
	cfg[0].nr_cells = 1;
	return 0;
}

void BPF_STRUCT_OPS(cells_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

/* Fill @m from the bit words @words; returns the number of CPUs set. */
static void fill_from_words(struct bpf_cpumask *m, u64 *words)
{
	int w, b;

	bpf_for(w, 0, CELLS_CPU_WORDS) {
		u64 word = words[w];

		if (!word)
			continue;
		bpf_for(b, 0, 64) {
			if (word & (1ULL << b))
				bpf_cpumask_set_cpu(w * 64 + b, m);
		}
	}
}

/*
 * Publish the configuration userspace wrote into the inactive slot: build its cpumasks, flip
 * the active index, bump cfg_seq, and kick every CPU whose owner changed.
 */
SEC("syscall")
int apply_cell_config(void *ctx)
{
	u64 seq = READ_ONCE(cfg_seq);
	u32 cur = seq & 1, next = cur ^ 1;
	struct cells_config *nc = &cfg[next];
	struct cell_masks *cm;
	struct bpf_cpumask *pm, *bm;
	u32 i, key, nr = nc->nr_cells;
	struct cgroup *parent;
	int cpu;

	if (nr > CELLS_MAX_CELLS || nr == 0 || !nc->in_use[0])
		return -EINVAL;
	/*
	 * The level comes from the kernel, not from the path: "/./x" or a cgroup namespace would
	 * make a count of path components wrong, and no task would ever match a cell.
	 */
	nc->parent_level = 0;
	if (nc->parent_cgid) {
		parent = bpf_cgroup_from_id(nc->parent_cgid);
		if (!parent)
			return -ENOENT;
		nc->parent_level = parent->level;
		bpf_cgroup_release(parent);
	}
	/* Each cell's level, likewise; a cell whose cgroup is gone matches no task. */
	nc->level_mask = 0;
	bpf_for(i, 0, CELLS_MAX_CELLS) {
		struct cgroup *cg;
		int lvl;

		nc->cell_level[i] = 0;
		if (!i || i >= nr || !nc->in_use[i] || !nc->cgid[i])
			continue;
		cg = bpf_cgroup_from_id(nc->cgid[i]);
		if (!cg)
			continue;
		lvl = cg->level;
		bpf_cgroup_release(cg);
		if (lvl < 1 || lvl > 63)
			continue;
		nc->cell_level[i] = (u8)lvl;
		nc->level_mask |= 1ULL << lvl;
	}

	bpf_rcu_read_lock();
	bpf_for(i, 0, CELLS_MAX_CELLS) {
		key = next * CELLS_MAX_CELLS + i;
		cm = bpf_map_lookup_elem(&cell_masks, &key);
		if (!cm)
			break;
		pm = cm->primary;
		bm = cm->borrow;
		if (!pm || !bm)
			break;
		bpf_cpumask_clear(pm);
		bpf_cpumask_clear(bm);
		if (i < nr && nc->in_use[i])
			fill_from_words(bm, nc->borrow[i]);
	}
	bpf_for(cpu, 0, nr_cpus) {
		if (cpu >= CELLS_MAX_CPUS)
			break;
		i = nc->cpu_cell[cpu];
		if (i >= nr || !nc->in_use[i]) {
			bpf_rcu_read_unlock();
			return -EINVAL;
		}
		key = next * CELLS_MAX_CELLS + i;
		cm = bpf_map_lookup_elem(&cell_masks, &key);
		if (!cm)
			break;
		pm = cm->primary;
		if (pm)
			bpf_cpumask_set_cpu(cpu, pm);
	}
	bpf_rcu_read_unlock();

	/* Userspace serialises publications: this is the only writer of cfg_seq. */
	WRITE_ONCE(cfg_seq, seq + 1);

	bpf_for(cpu, 0, nr_cpus) {
		if (cpu >= CELLS_MAX_CPUS)
			break;
		if (cfg[cur].cpu_cell[cpu] != nc->cpu_cell[cpu]) {
			scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
			stat_inc(STAT_CFG_KICK);
		}
	}
	return 0;
}

/*
 * Re-examine every queued task against the configuration published last: tasks in a cell queue
 * whose affinity covers only CPUs that just moved to another cell would otherwise wait there
 * until the watchdog fires. Userspace runs this after the grace period that follows
 * apply_cell_config, so enqueues that still read the old slot have inserted their tasks by then.
 * The kernel re-runs cells_enqueue() (SCX_ENQ_REENQ) for each task, asynchronously.
 */
SEC("syscall")
int reenq_queues(void *ctx)
{
	u32 i, l;
	u64 dsq;

	bpf_for(i, 0, CELLS_MAX_CELLS) {
		bpf_for(l, 0, nr_llcs) {
			if (l >= CELLS_MAX_LLCS)
				break;
			dsq = cell_dsq(i, l);
			if (scx_bpf_dsq_nr_queued(dsq) > 0)
				scx_bpf_dsq_reenq(dsq, 0);
		}
	}
	bpf_for(i, 0, nr_cpus) {
		if (scx_bpf_dsq_nr_queued(CPU_DSQ_BASE + i) > 0)
			scx_bpf_dsq_reenq(CPU_DSQ_BASE + i, 0);
	}
	return 0;
}

/*
 * cpuset tracking: fexit, because the new value has landed by then (an fentry fires before the
 * write, and a re-read right after it could still see the old value). Partition changes also
 * change cpuset.cpus.effective; their hook is optional (userspace turns it off where the
 * function is not in the kernel's BTF).
 */
SEC("fexit/cpuset_write_resmask")
int BPF_PROG(cells_cpuset_write, struct kernfs_open_file *of, char *buf, size_t nbytes, loff_t off,
	     ssize_t ret)
{
	__sync_fetch_and_add(&cpuset_seq, 1);
	return 0;
}

SEC("fexit/cpuset_partition_write")
int BPF_PROG(cells_cpuset_partition_write, struct kernfs_open_file *of, char *buf, size_t nbytes,
	     loff_t off, ssize_t ret)
{
	__sync_fetch_and_add(&cpuset_seq, 1);
	return 0;
}

/* One callback per line, tab-aligned, as in the kernel's example schedulers. */
/* clang-format off */
SCX_OPS_DEFINE(cells_ops,
	       .select_cpu		= (void *)cells_select_cpu,
	       .runnable		= (void *)cells_runnable,
	       .enqueue			= (void *)cells_enqueue,
	       .dispatch		= (void *)cells_dispatch,
	       .tick			= (void *)cells_tick,
	       .running			= (void *)cells_running,
	       .stopping		= (void *)cells_stopping,
	       .set_cpumask		= (void *)cells_set_cpumask,
	       .enable			= (void *)cells_enable,
	       .init_task		= (void *)cells_init_task,
	       .dump			= (void *)cells_dump,
	       .dump_cpu		= (void *)cells_dump_cpu,
	       .init			= (void *)cells_init,
	       .exit			= (void *)cells_exit,
	       .flags			= SCX_OPS_ENQ_LAST,
	       .name			= "cells");
/* clang-format on */
