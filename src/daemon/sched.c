// SPDX-License-Identifier: GPL-2.0
/*
 * sched - load/attach the BPF scheduler, publish configurations, read counters, report exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <scx/common.h>

#include "cells.h" /* CELLS_F_* */
#include "intf.h"
#include "scx_cells.skel.h"
#include "sched.h"

/* enum scx_exit_kind: kinds from SCX_EXIT_ERROR (1024) on are errors. */
#define CELLS_EXIT_ERROR 1024

struct sched {
	struct scx_cells *skel;
	struct bpf_link *link;
	unsigned int nr_cpus;
	int verbose;
	bool warned_gp; /* membarrier failure reported once */
};

static int verbosity;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

int sched_preflight(const char *sysfs_root, char *err, size_t errlen)
{
	char path[512], state[64], ops[128] = "";

	snprintf(path, sizeof(path), "%s/kernel/sched_ext/state", sysfs_root);
	if (read_line(path, state, sizeof(state))) {
		snprintf(
			err, errlen,
			"this kernel has no sched_ext (%s is missing); scx_cells needs a kernel built with CONFIG_SCHED_CLASS_EXT=y, or try the bundled VM: ./run.sh demo",
			path);
		return -ENOSYS;
	}
	if (strcmp(state, "disabled") != 0) {
		snprintf(path, sizeof(path), "%s/kernel/sched_ext/root/ops", sysfs_root);
		read_line(path, ops, sizeof(ops));
		snprintf(
			err, errlen,
			"another sched_ext scheduler is loaded (state '%s', ops '%s'); stop it first",
			state, ops[0] ? ops : "?");
		return -EBUSY;
	}
	if (geteuid() != 0) {
		snprintf(err, errlen, "loading a BPF scheduler needs root; run scx_cells as root");
		return -EPERM;
	}
	return 0;
}

int sched_start(struct sched **out, const struct sched_params *params, char *err, size_t errlen)
{
	struct bpf_program *prog;
	unsigned int nr_llcs;
	struct sched *s;
	int ret;

	if (params->nr_cpus > CELLS_MAX_CPUS) {
		snprintf(err, errlen, "%u possible CPUs; this build supports at most %d",
			 params->nr_cpus, CELLS_MAX_CPUS);
		return -E2BIG;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->nr_cpus = params->nr_cpus;
	verbosity = params->verbose;
	libbpf_set_print(libbpf_print);

	s->skel = scx_cells__open();
	if (!s->skel) {
		ret = -errno;
		snprintf(err, errlen, "could not open the BPF object: %s", strerror(-ret));
		goto fail;
	}
	s->skel->struct_ops.cells_ops->hotplug_seq = scx_hotplug_seq();
	SCX_ENUM_INIT(s->skel);
	s->skel->rodata->nr_cpus = params->nr_cpus;
	s->skel->rodata->slice_ns = params->slice_ns;
	s->skel->rodata->borrow_slice_ns = params->borrow_slice_ns;
	s->skel->rodata->enable_borrowing = params->enable_borrowing;
	s->skel->rodata->enable_reclaim = params->enable_reclaim;
	s->skel->rodata->test_error_after_ns = params->test_error_after_ns;
	s->skel->rodata->enable_slice_shrinking = params->enable_slice_shrinking;
	s->skel->rodata->slice_shrink_min_ns = params->slice_shrink_min_ns;
	s->skel->rodata->slice_shrink_max_ns = params->slice_shrink_max_ns;
	s->skel->rodata->dynamic_affinity = params->dynamic_affinity;
	s->skel->rodata->smt = params->smt;
	/* One cell queue per LLC; machines with more LLCs than queues fold them together. */
	nr_llcs = params->nr_llcs < 1 ? 1 : params->nr_llcs;
	if (nr_llcs > CELLS_MAX_LLCS)
		nr_llcs = CELLS_MAX_LLCS;
	s->skel->rodata->nr_llcs = nr_llcs;
	for (unsigned int cpu = 0; params->llc_id && cpu < params->nr_cpus; cpu++) {
		int llc = params->llc_id[cpu];

		s->skel->rodata->cpu_llc[cpu] = llc < 0 ? 0 : (u8)((unsigned int)llc % nr_llcs);
	}
	UEI_SET_SIZE(s->skel, cells_ops, uei);
	/* Partition writes are tracked where the kernel has the function; cpuset.cpus always. */
	if (libbpf_find_vmlinux_btf_id("cpuset_partition_write", BPF_TRACE_FEXIT) < 0)
		bpf_program__set_autoload(s->skel->progs.cells_cpuset_partition_write, false);

	ret = scx_cells__load(s->skel);
	if (ret) {
		snprintf(
			err, errlen,
			"the kernel rejected the BPF scheduler (%s); run with -vv for the verifier log",
			strerror(-ret));
		goto fail;
	}
	/* Kfuncs called from the syscall program need to know which scheduler they act for. */
	bpf_object__for_each_program(prog, s->skel->obj)
	{
		if (bpf_program__type(prog) == BPF_PROG_TYPE_STRUCT_OPS)
			continue;
		ret = bpf_program__assoc_struct_ops(prog, s->skel->maps.cells_ops, NULL);
		if (ret) {
			snprintf(err, errlen, "could not associate %s with the scheduler: %s",
				 bpf_program__name(prog), strerror(-ret));
			goto fail;
		}
	}
	bpf_map__set_autoattach(s->skel->maps.cells_ops, false);
	ret = scx_cells__attach(s->skel);
	if (ret) {
		snprintf(err, errlen, "could not attach the cpuset tracker: %s", strerror(-ret));
		goto fail;
	}
	s->link = bpf_map__attach_struct_ops(s->skel->maps.cells_ops);
	if (!s->link) {
		ret = -errno;
		snprintf(err, errlen, "the kernel refused to enable the scheduler: %s%s",
			 strerror(-ret),
			 ret == -EBUSY || ret == -EEXIST
				 ? " (another sched_ext scheduler is loaded?)"
				 : "");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->skel)
		scx_cells__destroy(s->skel);
	free(s);
	return ret ? ret : -EINVAL;
}

/*
 * Wait until every BPF callback that may have read the configuration slot that was active
 * before the last publication has returned. sched_ext callbacks run with preemption (or
 * interrupts) disabled, and MEMBARRIER_CMD_GLOBAL is synchronize_rcu() in the kernel, which
 * waits for every such section that began before it.
 */
static int grace_period(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return -errno;
	return 0;
}

static int run_syscall_prog(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int ret = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);

	if (ret)
		return ret;
	return topts.retval ? (int)topts.retval : 0;
}

_Static_assert((int)CELLS_F_NO_BORROW == (int)CELL_F_NO_BORROW &&
		       (int)CELLS_F_NO_LEND == (int)CELL_F_NO_LEND &&
		       (int)CELLS_F_LATENCY == (int)CELL_F_LATENCY,
	       "cells.h and intf.h disagree on the cell flags");

int sched_publish(struct sched *s, uint64_t parent_cgid, const struct sched_cell *cells,
		  unsigned int nr_cells, const int *cpu_owner)
{
	struct cells_config *c;
	unsigned int next, i, cpu;
	int ret, gp;

	if (nr_cells == 0 || nr_cells > CELLS_MAX_CELLS || !cells[0].in_use)
		return -EINVAL;
	/*
	 * The inactive slot. Nobody reads it: the grace period after the publication that made
	 * it inactive waited for every reader that had loaded it before.
	 */
	next = (unsigned int)(__atomic_load_n(&s->skel->data->cfg_seq, __ATOMIC_ACQUIRE) & 1) ^ 1;
	c = &s->skel->bss->cfg[next];
	memset(c, 0, sizeof(*c));
	c->parent_cgid = parent_cgid;
	c->nr_cells = nr_cells;
	for (i = 0; i < nr_cells; i++) {
		c->in_use[i] = cells[i].in_use;
		c->cgid[i] = cells[i].cgid;
		c->flags[i] = (__u8)cells[i].flags;
		if (!cells[i].in_use || !cells[i].borrow)
			continue;
		cpumask_for_each(b, cells[i].borrow) {
			if ((unsigned int)b < s->nr_cpus)
				c->borrow[i][b / 64] |= 1ULL << (b % 64);
		}
	}
	for (cpu = 0; cpu < s->nr_cpus; cpu++) {
		if (cpu_owner[cpu] < 0 || (unsigned int)cpu_owner[cpu] >= nr_cells ||
		    !cells[cpu_owner[cpu]].in_use)
			return -EINVAL;
		c->cpu_cell[cpu] = (u32)cpu_owner[cpu];
	}
	ret = run_syscall_prog(s->skel->progs.apply_cell_config);
	if (ret)
		return ret;
	/*
	 * The slot just left may be rewritten by the next publication only once its readers are
	 * gone, and tasks that enqueues still reading it put on a queue must be re-examined.
	 */
	gp = grace_period();
	if (gp && !s->warned_gp) {
		fprintf(stderr,
			"scx_cells: membarrier(MEMBARRIER_CMD_GLOBAL) failed (%s): publications cannot wait for readers of the old configuration\n",
			strerror(-gp));
		s->warned_gp = true;
	}
	return run_syscall_prog(s->skel->progs.reenq_queues);
}

bool sched_exited(struct sched *s)
{
	return UEI_EXITED(s->skel, uei);
}

uint64_t sched_cpuset_seq(struct sched *s)
{
	return __atomic_load_n(&s->skel->bss->cpuset_seq, __ATOMIC_ACQUIRE);
}

int sched_read_stats(struct sched *s, uint64_t *out)
{
	int fd = bpf_map__fd(s->skel->maps.stats);
	uint64_t *vals = calloc(s->nr_cpus, sizeof(*vals));
	int ret = 0;

	if (!vals)
		return -ENOMEM;
	for (u32 i = 0; i < NR_CELLS_STATS; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			ret = -errno;
			break;
		}
		for (unsigned int cpu = 0; cpu < s->nr_cpus; cpu++)
			out[i] += vals[cpu];
	}
	free(vals);
	return ret;
}

void sched_read_running(struct sched *s, int *cells)
{
	for (unsigned int cpu = 0; cpu < s->nr_cpus; cpu++) {
		u32 c = __atomic_load_n(&s->skel->bss->running_cell[cpu], __ATOMIC_RELAXED);

		cells[cpu] = c == CELL_NONE ? -1 : (int)c;
	}
}

/* @cell's per-CPU counters (nr_cpus entries, to free), or NULL with -errno in *@err. */
static struct cell_cpu_stats *cell_counters(struct sched *s, unsigned int cell, int *err)
{
	struct cell_cpu_stats *vals = calloc(s->nr_cpus, sizeof(*vals));
	u32 key = cell;

	*err = -ENOMEM;
	if (vals && bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.cell_stats), &key, vals)) {
		*err = -errno;
		free(vals);
		vals = NULL;
	}
	return vals;
}

int sched_read_cell_counters(struct sched *s, unsigned int cell, uint64_t *run_ns,
			     uint64_t *wait_ns)
{
	int err;
	struct cell_cpu_stats *vals = cell_counters(s, cell, &err);

	if (!vals)
		return err;
	*wait_ns = 0;
	for (unsigned int cpu = 0; cpu < s->nr_cpus; cpu++) {
		run_ns[cpu] = vals[cpu].run_ns;
		*wait_ns += vals[cpu].wait_ns;
	}
	free(vals);
	return 0;
}

int sched_read_cell_wake(struct sched *s, unsigned int cell, uint64_t *wait_ns, uint64_t *nr)
{
	int err;
	struct cell_cpu_stats *vals = cell_counters(s, cell, &err);

	if (!vals)
		return err;
	*wait_ns = *nr = 0;
	for (unsigned int cpu = 0; cpu < s->nr_cpus; cpu++) {
		*wait_ns += vals[cpu].wake_wait_ns;
		*nr += vals[cpu].nr_wakeups;
	}
	free(vals);
	return 0;
}

void sched_print_prog_stats(struct sched *s, FILE *f)
{
	struct bpf_program *prog;
	bool any = false;
	char on = '0';
	int fd;

	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (read(fd, &on, 1) != 1)
		on = '0';
	close(fd);
	if (on != '1')
		return;
	bpf_object__for_each_program(prog, s->skel->obj)
	{
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);

		fd = bpf_program__fd(prog);
		if (fd < 0 || bpf_prog_get_info_by_fd(fd, &info, &len) || !info.run_cnt)
			continue;
		fprintf(f, "%s %s %llu ns x %llu",
			any ? "," : "scx_cells: bpf run time:", bpf_program__name(prog),
			(unsigned long long)(info.run_time_ns / info.run_cnt),
			(unsigned long long)info.run_cnt);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

int sched_stop(struct sched *s, FILE *f, bool *restart)
{
	struct user_exit_info *uei;
	const char *dump;
	int status;

	*restart = false;
	if (!s)
		return 0;
	bpf_link__destroy(s->link);
	uei = &s->skel->data->uei;
	dump = s->skel->data_uei_dump->uei_dump;
	if (dump[0])
		fprintf(f, "scx_cells: BPF debug dump:\n%s\n", dump);
	fprintf(f, "scx_cells: scheduler exited: %s", uei->reason[0] ? uei->reason : "(no reason)");
	if (uei->msg[0])
		fprintf(f, " (%s)", uei->msg);
	if (uei->exit_cpu >= 0)
		fprintf(f, " on CPU %d", uei->exit_cpu);
	fputc('\n', f);
	*restart = UEI_ECODE_RESTART(uei->exit_code);
	status = uei->kind >= CELLS_EXIT_ERROR ? 1 : 0;
	scx_cells__destroy(s->skel);
	free(s);
	return status;
}
