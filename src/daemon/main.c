// SPDX-License-Identifier: GPL-2.0
/*
 * scx_cells - the daemon: parse options, load the BPF scheduler, keep its cell configuration in
 * step with the cgroup tree, measure demand, rebalance, print stats, and unload cleanly.
 *
 * This file dispatches the modes (--dry-run, --monitor, the daemon), sets the daemon up and runs
 * the restart loop (a CPU hotplug makes the kernel unload the scheduler with a restart request);
 * the event loop is loop.c, the measurements stats.c.
 * Exit status: 0 clean stop, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cellconfig.h"
#include "cgroup.h"
#include "cgroupfs.h"
#include "daemon.h"
#include "logmsg.h"
#include "monitor.h"
#include "view_plan.h"

/* The manager's configuration from the options (the parent is resolved by the caller). */
static struct manager_cfg manager_cfg_of(const struct opts *o, const char *sysfs_root)
{
	return (struct manager_cfg){
		.exclude = o->cell_exclude,
		.nr_exclude = o->nr_cell_exclude,
		.max_cells = o->max_cells,
		.cell0_min_cpus = o->cell0_min_cpus,
		.sysfs_root = sysfs_root,
		.equal_shares = o->equal_shares,
	};
}

/*
 * The directory --cell-config rules are matched below: --cgroup-root (any directory), else the
 * cgroup2 mount. 0 or -errno with a message printed.
 */
static int config_root(const struct opts *o, char *out, size_t len)
{
	char err[512];
	int ret;

	if (o->cgroup_root)
		ret = cgroup_resolve_parent_any(o->cgroup_root, out, len, err, sizeof(err));
	else
		ret = cgroup_find_mount(CGROUP_DEFAULT_MOUNTINFO, out, len, err, sizeof(err));
	if (ret)
		fprintf(stderr, "scx_cells: --cell-config: %s\n", err);
	return ret;
}

/*
 * The cell queue (LLC group) of each CPU: the topology's LLCs, or with --virt-llc groups of
 * MIN..MAX cores of them (topology_virt_llc()). Returns the number of queues and a malloc'd
 * [nr_cpus] array in *@ids, or -errno.
 */
static int queue_llcs(const struct opts *o, const struct topology *t, int **ids)
{
	int n;

	*ids = malloc(t->nr_cpus * sizeof(**ids));
	if (!*ids)
		return -ENOMEM;
	if (!o->virt_llc_min) {
		memcpy(*ids, t->llc_id, t->nr_cpus * sizeof(**ids));
		return (int)t->nr_llcs;
	}
	n = topology_virt_llc(t, o->virt_llc_min, o->virt_llc_max, *ids);
	if (n < 0) {
		free(*ids);
		*ids = NULL;
	}
	return n;
}

/* --dry-run's line about the queues: how many per cell and which CPUs share each. */
static int print_queues(const struct opts *o, const struct topology *t, FILE *f)
{
	int *ids, n = queue_llcs(o, t, &ids);

	if (n < 0)
		return n;
	fprintf(f, "LLC queues: %d per cell (", n);
	if (o->virt_llc_min)
		fprintf(f, "--virt-llc %u-%u over %u LLC%s", o->virt_llc_min, o->virt_llc_max,
			t->nr_llcs, t->nr_llcs == 1 ? "" : "s");
	else
		fprintf(f, "one per LLC");
	fprintf(f, "):");
	for (int q = 0; q < n; q++) {
		struct cpumask *m = cpumask_alloc(t->nr_cpus);
		char buf[256];

		if (!m) {
			free(ids);
			return -ENOMEM;
		}
		for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++)
			if (ids[cpu] == q)
				cpumask_set(m, cpu);
		cpumask_format(m, buf, sizeof(buf));
		fprintf(f, "%s %s", q ? " |" : "", buf);
		cpumask_free(m);
	}
	fputc('\n', f);
	free(ids);
	return 0;
}

static int dry_run(const struct opts *o, const struct cellconfig *config)
{
	struct manager_cfg mcfg = manager_cfg_of(o, o->sysfs_root);
	char parent[PATH_MAX], err[512];
	struct cells_diff diff = {0};
	struct manager *mgr;
	struct plan *p;
	int ret;

	if (config) {
		if (config_root(o, parent, sizeof(parent)))
			return 1;
		mcfg.parent = parent;
		mcfg.config = config;
	} else if (o->cell_parent_cgroup) {
		ret = cgroup_parent_path(NULL, o->cell_parent_cgroup, true, parent, sizeof(parent),
					 err, sizeof(err));
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			return 1;
		}
		mcfg.parent = parent;
	}
	ret = manager_new(&mcfg, &mgr, &diff, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 1;
	}
	/* What the plan falls back on (a malformed cpuset, cpu.weight or cpu.max) is worth saying.
	 */
	for (unsigned int i = 0; i < diff.nr_warnings; i++)
		fprintf(stderr, "scx_cells: warning: %s\n", diff.warnings[i]);
	cells_diff_free(&diff);
	ret = manager_plan(mgr, NULL, &p, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: no valid plan: %s\n", err);
		manager_free(mgr);
		return 1;
	}
	view_plan_render(stdout,
			 &(struct plan_view){.plan = p,
					     .topo = manager_topology(mgr),
					     .cells = manager_cells(mgr),
					     .rules = config != NULL,
					     .equal_shares = mcfg.equal_shares},
			 o->stats_format == OPTS_STATS_JSON);
	/* The JSON form is one object; the queues are said in the text form only. */
	if (o->stats_format != OPTS_STATS_JSON && print_queues(o, manager_topology(mgr), stdout))
		fprintf(stderr, "scx_cells: out of memory listing the LLC queues\n");
	plan_free(p);
	manager_free(mgr);
	return 0;
}

static int daemon_init(struct daemon *d, const struct opts *o, const struct cellconfig *config)
{
	struct manager_cfg mcfg = manager_cfg_of(o, "/sys");
	struct debounce_cfg dcfg = {
		.window_ns = (uint64_t)o->debounce_ms * 1000000ULL,
		.max_latency_ns = (uint64_t)o->debounce_ms * 4000000ULL,
		.min_interval_ns = (uint64_t)o->debounce_ms * 1000000ULL,
	};
	struct demand_cfg demand_cfg;
	static char parent[PATH_MAX];
	char err[512];
	struct cells_diff diff = {0};
	struct stat st;
	int ret;

	if (config) {
		ret = config_root(o, parent, sizeof(parent));
		if (ret)
			return ret;
		mcfg.parent = parent;
		mcfg.config = config;
		if (!stat(parent, &st))
			d->parent_cgid = (uint64_t)st.st_ino;
	} else if (o->cell_parent_cgroup) {
		ret = cgroup_parent_path(NULL, o->cell_parent_cgroup, false, parent, sizeof(parent),
					 err, sizeof(err));
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			return ret;
		}
		mcfg.parent = parent;
		/* Its cgroup id is its inode; the BPF side takes the level from the kernel. */
		if (stat(parent, &st)) {
			ret = -errno;
			fprintf(stderr, "scx_cells: cannot stat the cell parent %s: %s\n", parent,
				strerror(errno));
			return ret;
		}
		d->parent_cgid = (uint64_t)st.st_ino;
		cgroup_check_controllers(parent);
	}
	ret = manager_new(&mcfg, &d->mgr, &diff, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return ret;
	}
	d->nr_cpus = manager_topology(d->mgr)->nr_cpus;
	d->max_cells = o->max_cells;
	ret = debounce_init(&d->deb, &dcfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		cells_diff_free(&diff);
		return ret;
	}
	demand_cfg_default(&demand_cfg);
	demand_cfg.alpha = o->demand_smoothing;
	demand_cfg.threshold_pct = o->rebalance_threshold;
	demand_cfg.cooldown_ns = (uint64_t)(o->rebalance_cooldown_s * 1e9);
	d->demand = demand_new(d->nr_cpus, d->max_cells, &demand_cfg, err, sizeof(err));
	d->run_ns = calloc((size_t)d->nr_cpus * d->max_cells, sizeof(*d->run_ns));
	d->wait_ns = calloc(d->max_cells, sizeof(*d->wait_ns));
	d->owner = calloc(d->nr_cpus, sizeof(*d->owner));
	d->col = calloc(d->nr_cpus, sizeof(*d->col));
	d->running = calloc(d->nr_cpus, sizeof(*d->running));
	d->view = calloc(d->max_cells, sizeof(*d->view));
	d->weights = calloc(d->max_cells, sizeof(*d->weights));
	d->mcells = calloc(d->max_cells, sizeof(*d->mcells));
	/* The longest CPU list: every CPU number (at most 5 digits here) and a comma. */
	d->mcpus_len = (size_t)d->nr_cpus * 6 + 1;
	d->mcpus = calloc(d->max_cells, d->mcpus_len);
	if (!d->demand || !d->run_ns || !d->wait_ns || !d->owner || !d->col || !d->running ||
	    !d->view || !d->weights || !d->mcells || !d->mcpus) {
		fprintf(stderr, "scx_cells: out of memory setting up the daemon\n");
		cells_diff_free(&diff);
		return -ENOMEM;
	}
	ret = statsock_listen(&d->stats_sock, o->stats_socket, NULL, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: stats socket: %s\n", err);
		cells_diff_free(&diff);
		return ret;
	}
	demand_cell_add(d->demand, 0);
	logmsg_diff(manager_cells(d->mgr), &diff, stdout);
	daemon_follow_cells(d, &diff);
	cells_diff_free(&diff);
	return 0;
}

static void daemon_free(struct daemon *d)
{
	statsock_close(d->stats_sock);
	manager_free(d->mgr);
	demand_free(d->demand);
	free(d->run_ns);
	free(d->wait_ns);
	free(d->owner);
	free(d->col);
	free(d->running);
	free(d->view);
	free(d->weights);
	free(d->mcells);
	free(d->mcpus);
}

static volatile sig_atomic_t monitor_stop;

static void monitor_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

/* --monitor: print a running instance's stats until it exits or we are interrupted. */
static int monitor(const struct opts *o)
{
	struct sigaction sa = {.sa_handler = monitor_signal}; /* no SA_RESTART: wake poll() */
	struct monitor_cfg cfg = {
		.path = o->stats_socket,
		.json = o->stats_format == OPTS_STATS_JSON,
		.redraw = isatty(STDOUT_FILENO),
		.period_s = o->monitor_s,
		.out = stdout,
		.stop = &monitor_stop,
	};
	char err[512];
	int ret;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = monitor_run(&cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {.epfd = -1};
	struct cellconfig *config = NULL;
	struct sched_params params;
	struct opts o;
	char err[512];
	bool restart = false;
	int ret, status = 0;

	for (int i = 0; i < NR_LOOP_FDS; i++)
		d.fds[i] = -1;
	ret = opts_parse(&o, argc, argv, stdout, stderr);
	if (ret == OPTS_EXIT_OK)
		return 0;
	if (ret != OPTS_RUN)
		return 2;
	if (o.monitor)
		return monitor(&o);
	/* A bad rule file is a usage error, at start: exit 2 with what and where. */
	if (o.cell_config && cellconfig_load(o.cell_config, &config, err, sizeof(err))) {
		fprintf(stderr, "scx_cells: %s\n", err);
		return 2;
	}
	if (o.dry_run) {
		status = dry_run(&o, config);
		cellconfig_free(config);
		return status;
	}
	d.o = &o;

	ret = sched_preflight("/sys", err, sizeof(err));
	if (ret) {
		fprintf(stderr, "scx_cells: %s\n", err);
		cellconfig_free(config);
		return 1;
	}
	ret = daemon_init(&d, &o, config);
	cellconfig_free(config); /* the registry has its copy */
	if (ret) {
		daemon_free(&d);
		return 1;
	}
	params = (struct sched_params){
		.nr_cpus = d.nr_cpus,
		.slice_ns = (uint64_t)o.slice_us * 1000ULL,
		/* --borrow-slice-us, else an eighth of the slice: short enough to bound the wait */
		.borrow_slice_ns = o.borrow_slice_us
					   ? (uint64_t)o.borrow_slice_us * 1000ULL
					   : (o.slice_us / 8 < 50 ? 50 : o.slice_us / 8) * 1000ULL,
		.enable_borrowing = o.enable_borrowing,
		.enable_reclaim = !o.no_reclaim,
		.test_error_after_ns = (uint64_t)o.test_error_after_ms * 1000000ULL,
		.enable_slice_shrinking = o.enable_slice_shrinking,
		.slice_shrink_min_ns = (uint64_t)o.slice_shrink_min_us * 1000ULL,
		.slice_shrink_max_ns = (uint64_t)o.slice_shrink_max_us * 1000ULL,
		.dynamic_affinity = o.dynamic_affinity,
		.verbose = o.verbose,
	};
	ret = loop_setup(&d);
	if (ret) {
		fprintf(stderr, "scx_cells: event loop setup failed: %s\n", strerror(-ret));
		daemon_free(&d);
		return 1;
	}
	d.start_ns = now_ns();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		d.start_wall_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	do {
		int *llcs, nr_llcs = queue_llcs(&o, manager_topology(d.mgr), &llcs);

		if (nr_llcs < 0) {
			fprintf(stderr, "scx_cells: cannot set up the LLC queues: %s\n",
				strerror(-nr_llcs));
			status = 1;
			break;
		}
		params.llc_id = llcs;
		params.nr_llcs = (unsigned int)nr_llcs;
		/* Re-read at every (re)start: a hotplug restart reloads the topology first. */
		params.smt = manager_topology(d.mgr)->nr_cores <
			     cpumask_weight(manager_topology(d.mgr)->online);
		ret = sched_start(&d.sched, &params, err, sizeof(err));
		free(llcs);
		if (ret) {
			fprintf(stderr, "scx_cells: %s\n", err);
			status = 1;
			break;
		}
		d.cpuset_seq = sched_cpuset_seq(d.sched);
		d.nr_published = 0;
		/* A fresh BPF side holds no plan yet; the last one only guides stability. */
		if (daemon_replan(&d, "Applied initial cell configuration", "start", true) < 0) {
			sched_stop(d.sched, stderr, &restart);
			status = 1;
			break;
		}
		stats_restart(&d);
		printf("scx_cells: scheduler enabled on %u CPUs, %u cells, %u LLC queues per cell\n",
		       d.nr_cpus, manager_cells(d.mgr) ? cells_count(manager_cells(d.mgr)) : 1,
		       params.nr_llcs < 1		 ? 1
		       : params.nr_llcs > CELLS_MAX_LLCS ? CELLS_MAX_LLCS
							 : params.nr_llcs);
		fflush(stdout);
		ret = loop_run(&d);
		sched_read_stats(d.sched, d.stats);
		stats_summary(&d); /* reads per-cell counters: before the maps go */
		sched_print_prog_stats(d.sched, stdout);
		status = sched_stop(d.sched, stderr, &restart);
		d.sched = NULL;
		if (ret) {
			status = 1;
			break;
		}
		if (restart) {
			fprintf(stderr,
				"scx_cells: the kernel asked for a restart (CPU hotplug?); reloading\n");
			if (manager_reload_topology(d.mgr, err, sizeof(err))) {
				fprintf(stderr, "scx_cells: %s\n", err);
				status = 1;
				break;
			}
			/* a CPU going away changes cpuset.cpus.effective without a write */
			if (daemon_rescan_after_hotplug(&d) == -ENOENT) {
				status = 1;
				break;
			}
		}
	} while (restart);
	loop_teardown(&d);
	daemon_free(&d);
	return status;
}
