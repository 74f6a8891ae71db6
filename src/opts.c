// SPDX-License-Identifier: GPL-2.0
/*
 * opts - command-line parsing for scx_cells.
 *
 * getopt_long does the splitting; every value then goes through one strict parser (decimal only,
 * whole string, finite, in range) driven by a per-option rule, so the error message and the
 * accepted range cannot drift apart. The parser runs in POSIX mode ('+': stop at the first
 * non-option) because stray positional arguments are an error anyway, and that makes it safe for
 * --monitor to take its optional value from the next word ("--monitor 2" as well as
 * "--monitor=2").
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "opts.h"

#ifndef SCX_CELLS_VERSION
#define SCX_CELLS_VERSION "0.1.0"
#endif

#define PROG "scx_cells"

#define DFL_CELL0_MIN_CPUS	 1
#define DFL_MAX_CELLS		 256
#define DFL_REBALANCE_THRESHOLD	 20.0
#define DFL_REBALANCE_COOLDOWN_S 5.0
#define DFL_DEMAND_SMOOTHING	 0.3
#define DFL_MONITOR_INTERVAL_S	 1.0
#define DFL_MONITOR_S		 1.0
#define DFL_DEBOUNCE_MS		 100
#define DFL_SLICE_US		 20000
#define DFL_STATS_SOCKET	 "/run/scx_cells.sock"
#define DFL_SYSFS_ROOT		 "/sys"

/* Long-only options get values above any char so they never collide with short ones. */
enum {
	OPT_CELL_PARENT_CGROUP = 256,
	OPT_CELL_EXCLUDE,
	OPT_CELL0_MIN_CPUS,
	OPT_MAX_CELLS,
	OPT_ENABLE_BORROWING,
	OPT_NO_RECLAIM,
	OPT_ENABLE_REBALANCING,
	OPT_REBALANCE_THRESHOLD,
	OPT_REBALANCE_COOLDOWN_S,
	OPT_DEMAND_SMOOTHING,
	OPT_MONITOR_INTERVAL_S,
	OPT_MONITOR,
	OPT_DEBOUNCE_MS,
	OPT_SLICE_US,
	OPT_BORROW_SLICE_US,
	OPT_EXIT_AFTER_S,
	OPT_DRY_RUN,
	OPT_SYSFS_ROOT,
	OPT_STATS_FORMAT,
	OPT_JSON,
	OPT_STATS_SOCKET,
	OPT_TEST_ERROR_AFTER_MS,
};

static const struct option long_options[] = {
	{"cell-parent-cgroup", required_argument, NULL, OPT_CELL_PARENT_CGROUP},
	{"cell-exclude", required_argument, NULL, OPT_CELL_EXCLUDE},
	{"cell0-min-cpus", required_argument, NULL, OPT_CELL0_MIN_CPUS},
	{"max-cells", required_argument, NULL, OPT_MAX_CELLS},
	{"enable-borrowing", no_argument, NULL, OPT_ENABLE_BORROWING},
	{"no-reclaim", no_argument, NULL, OPT_NO_RECLAIM},
	{"enable-rebalancing", no_argument, NULL, OPT_ENABLE_REBALANCING},
	{"rebalance-threshold", required_argument, NULL, OPT_REBALANCE_THRESHOLD},
	{"rebalance-cooldown-s", required_argument, NULL, OPT_REBALANCE_COOLDOWN_S},
	{"demand-smoothing", required_argument, NULL, OPT_DEMAND_SMOOTHING},
	{"monitor-interval-s", required_argument, NULL, OPT_MONITOR_INTERVAL_S},
	{"monitor", optional_argument, NULL, OPT_MONITOR},
	{"debounce-ms", required_argument, NULL, OPT_DEBOUNCE_MS},
	{"slice-us", required_argument, NULL, OPT_SLICE_US},
	{"borrow-slice-us", required_argument, NULL, OPT_BORROW_SLICE_US},
	{"exit-after-s", required_argument, NULL, OPT_EXIT_AFTER_S},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT},
	{"stats-format", required_argument, NULL, OPT_STATS_FORMAT},
	{"json", no_argument, NULL, OPT_JSON},
	{"stats-socket", required_argument, NULL, OPT_STATS_SOCKET},
	{"test-error-after-ms", required_argument, NULL, OPT_TEST_ERROR_AFTER_MS},
	{"verbose", no_argument, NULL, 'v'},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/*
 * What a numeric option accepts: [min, max], or (min, max] with @min_open. Integers are parsed
 * as such ("1.5" is an error, not 1); every bound used here is exact in a double.
 */
struct num_rule {
	double min;
	double max;
	bool min_open;
	bool integer;
};

static const struct num_rule rule_cell0_min_cpus = {.min = 1, .max = 65536, .integer = true};
static const struct num_rule rule_max_cells = {.min = 2, .max = 256, .integer = true};
static const struct num_rule rule_rebalance_threshold = {.min = 0, .max = 100};
static const struct num_rule rule_rebalance_cooldown_s = {.min = 0, .max = 86400};
static const struct num_rule rule_demand_smoothing = {.min = 0, .max = 1, .min_open = true};
/* At least 1 ms: a shorter period would round to a disarmed timer or a busy loop. */
static const struct num_rule rule_interval_s = {.min = 0.001, .max = 3600};
static const struct num_rule rule_debounce_ms = {.min = 0, .max = 60000, .integer = true};
static const struct num_rule rule_slice_us = {.min = 100, .max = 1000000, .integer = true};
static const struct num_rule rule_borrow_slice_us = {.min = 50, .max = 1000000, .integer = true};
static const struct num_rule rule_exit_after_s = {.min = 0, .max = 31536000};
static const struct num_rule rule_test_error_after_ms = {.min = 1, .max = 3600000, .integer = true};

static void help(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [OPTIONS]\n"
		"\n"
		"A sched_ext CPU scheduler that gives every child cgroup of a parent cgroup its\n"
		"own set of CPUs (a cell); all other tasks run in the root cell. Idle CPUs can\n"
		"be borrowed across cells, and CPUs rebalanced between cells by measured demand.\n"
		"Needs root and a kernel with sched_ext (CONFIG_SCHED_CLASS_EXT); --dry-run and\n"
		"--monitor need neither.\n"
		"\n"
		"Cells:\n"
		"  --cell-parent-cgroup PATH  parent cgroup whose direct children become cells:\n"
		"                             a path inside the cgroup2 mount (/workloads.slice)\n"
		"                             or an absolute path under it.\n"
		"                             Default: none (root cell only)\n"
		"  --cell-exclude NAME        child directory name that stays in the root cell;\n"
		"                             repeatable, up to %d. Default: none\n"
		"  --cell0-min-cpus N         CPUs the root cell always keeps, 1..65536.\n"
		"                             Default: %d\n"
		"  --max-cells N              cell slots including the root cell, 2..256; extra\n"
		"                             children stay in the root cell. Default: %d\n"
		"\n"
		"Work conservation:\n"
		"  --enable-borrowing         let a cell run on other cells' idle CPUs.\n"
		"                             Default: off\n"
		"  --no-reclaim               with borrowing, do not preempt a borrower when\n"
		"                             the owning cell's task waits (it keeps its slice).\n"
		"                             Default: reclaim on\n"
		"  --borrow-slice-us US       slice of a task running on a borrowed CPU, in\n"
		"                             microseconds, 50..1000000: how long the owner\n"
		"                             can wait for it without reclaim.\n"
		"                             Default: --slice-us / 8, at least 50\n"
		"  --enable-rebalancing       move CPUs between cells by measured demand.\n"
		"                             Default: off\n"
		"  --rebalance-threshold PCT  spread of smoothed utilisation (max - min, in\n"
		"                             percentage points, 0..100) that triggers a\n"
		"                             rebalance. Default: %g\n"
		"  --rebalance-cooldown-s S   minimum seconds between rebalances, 0..86400.\n"
		"                             Default: %g\n"
		"  --demand-smoothing A       EWMA factor for demand, 0 < A <= 1 (1 = no\n"
		"                             smoothing). Default: %g\n"
		"\n"
		"Runtime:\n"
		"  --monitor-interval-s S     seconds between metrics/rebalance rounds,\n"
		"                             0.001 <= S <= 3600, fractions allowed. Default: %g\n"
		"  --debounce-ms MS           milliseconds over which bursts of cgroup events\n"
		"                             are coalesced into one re-plan, 0..60000.\n"
		"                             Default: %d\n"
		"  --slice-us US              scheduling slice in microseconds, 100..1000000.\n"
		"                             Default: %d\n"
		"  --exit-after-s S           stop cleanly after S seconds, 0..31536000;\n"
		"                             0 = run until SIGINT/SIGTERM. Default: 0\n"
		"  --dry-run                  print the plan for the current cgroup tree and\n"
		"                             CPU topology and exit; loads nothing\n"
		"  --sysfs-root DIR           where --dry-run reads the CPU topology.\n"
		"                             Default: %s\n"
		"\n"
		"Output:\n"
		"  --monitor[=S]              do not schedule: attach to the running instance\n"
		"                             and print its stats every S seconds,\n"
		"                             0.001 <= S <= 3600. Default S: %g\n"
		"  --stats-format text|json   format of the periodic stats. Default: text\n"
		"  --json                     same as --stats-format json\n"
		"  --stats-socket PATH        unix socket that serves stats to --monitor.\n"
		"                             Default: %s\n"
		"  -v, --verbose              more log output; repeat for more\n"
		"  -V, --version              print the version and exit\n"
		"  -h, --help                 print this help and exit\n"
		"\n"
		"Testing:\n"
		"  --test-error-after-ms MS   make the BPF side raise an error after MS\n"
		"                             milliseconds (1..3600000) to exercise the error\n"
		"                             exit path. Default: off\n"
		"\n"
		"Exit status: 0 on a clean stop, 1 on a runtime error, 2 on a usage error.\n",
		OPTS_MAX_CELL_EXCLUDES, DFL_CELL0_MIN_CPUS, DFL_MAX_CELLS, DFL_REBALANCE_THRESHOLD,
		DFL_REBALANCE_COOLDOWN_S, DFL_DEMAND_SMOOTHING, DFL_MONITOR_INTERVAL_S,
		DFL_DEBOUNCE_MS, DFL_SLICE_US, DFL_SYSFS_ROOT, DFL_MONITOR_S, DFL_STATS_SOCKET);
}

/* Print "scx_cells: <message>" and the hint line; returns OPTS_EXIT_USAGE for tail calls. */
__attribute__((format(printf, 2, 3))) static int usage_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help'.\n", err);
	return OPTS_EXIT_USAGE;
}

static const char *long_name(int val)
{
	const struct option *lo;

	for (lo = long_options; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

/* Decimal only: no hex, no "inf"/"nan", no whitespace, which strtod would all accept. */
static bool is_decimal(const char *s, bool integer)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			continue;
		if (*s == '+' || *s == '-')
			continue;
		if (!integer && (*s == '.' || *s == 'e' || *s == 'E'))
			continue;
		return false;
	}
	return true;
}

/*
 * parse_num - parse @arg for option @val under @rule into @res
 *
 * Returns 0, or OPTS_EXIT_USAGE after printing why (the message spells out the accepted range,
 * so it is the same whether the value was garbage, out of range or overflowed).
 */
static int parse_num(int val, const struct num_rule *rule, const char *arg, double *res, FILE *err)
{
	char *end;
	double v;

	errno = 0;
	if (rule->integer) {
		long long n = 0;

		if (is_decimal(arg, true))
			n = strtoll(arg, &end, 10);
		else
			end = (char *)arg;
		if (*end || end == arg || errno || n < rule->min || n > rule->max)
			return usage_error(err,
					   "--%s: must be an integer from %.0f to %.0f (got '%s')",
					   long_name(val), rule->min, rule->max, arg);
		*res = n;
		return 0;
	}

	v = 0;
	if (is_decimal(arg, false))
		v = strtod(arg, &end);
	else
		end = (char *)arg;
	if (*end || end == arg || errno || !isfinite(v) || v > rule->max ||
	    (rule->min_open ? v <= rule->min : v < rule->min))
		return usage_error(err, "--%s: must be a number %s %.10g and <= %.10g (got '%s')",
				   long_name(val), rule->min_open ? ">" : ">=", rule->min,
				   rule->max, arg);
	*res = v;
	return 0;
}

static int parse_uint(int val, const struct num_rule *rule, const char *arg, unsigned int *res,
		      FILE *err)
{
	double v;
	int ret = parse_num(val, rule, arg, &v, err);

	if (!ret)
		*res = (unsigned int)v;
	return ret;
}

static int add_cell_exclude(struct opts *o, const char *name, FILE *err)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return usage_error(
			err,
			"--cell-exclude: must be a cgroup directory name without '/' (got '%s')",
			name);
	if (strlen(name) > NAME_MAX)
		return usage_error(err, "--cell-exclude: name longer than %d bytes (got '%s')",
				   NAME_MAX, name);
	if (o->nr_cell_exclude >= OPTS_MAX_CELL_EXCLUDES)
		return usage_error(err, "--cell-exclude: at most %d names (got '%s' as one more)",
				   OPTS_MAX_CELL_EXCLUDES, name);
	o->cell_exclude[o->nr_cell_exclude++] = name;
	return 0;
}

static int set_path(int val, const char **dst, const char *arg, FILE *err)
{
	if (!*arg)
		return usage_error(err, "--%s: must not be empty", long_name(val));
	*dst = arg;
	return 0;
}

static int set_stats_socket(struct opts *o, const char *arg, FILE *err)
{
	/* bind() would fail much later with a less helpful message */
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (strlen(arg) > max)
		return usage_error(err, "--stats-socket: path longer than %zu bytes (got '%s')",
				   max, arg);
	return set_path(OPT_STATS_SOCKET, &o->stats_socket, arg, err);
}

static int set_stats_format(struct opts *o, const char *arg, FILE *err)
{
	if (!strcmp(arg, "text"))
		o->stats_format = OPTS_STATS_TEXT;
	else if (!strcmp(arg, "json"))
		o->stats_format = OPTS_STATS_JSON;
	else
		return usage_error(err, "--stats-format: must be 'text' or 'json' (got '%s')", arg);
	return 0;
}

/* getopt_long reported '?' (unknown option or a value given to a flag) or ':' (no value). */
static int getopt_error(int c, int argc, char **argv, FILE *err)
{
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	if (c == ':') {
		if (optopt >= OPT_CELL_PARENT_CGROUP)
			return usage_error(err, "--%s: missing value", long_name(optopt));
		return usage_error(err, "-%c: missing value", optopt);
	}
	if (optopt >= OPT_CELL_PARENT_CGROUP || optopt == 'v' || optopt == 'V' || optopt == 'h')
		return usage_error(err, "--%s: takes no value (got '%s')", long_name(optopt), word);
	if (optopt > 0 && optopt < 128)
		return usage_error(err, "unknown option '-%c'", optopt);
	return usage_error(err, "unknown or ambiguous option '%s'", word);
}

void opts_init(struct opts *o)
{
	*o = (struct opts){
		.cell0_min_cpus = DFL_CELL0_MIN_CPUS,
		.max_cells = DFL_MAX_CELLS,
		.rebalance_threshold = DFL_REBALANCE_THRESHOLD,
		.rebalance_cooldown_s = DFL_REBALANCE_COOLDOWN_S,
		.demand_smoothing = DFL_DEMAND_SMOOTHING,
		.monitor_interval_s = DFL_MONITOR_INTERVAL_S,
		.debounce_ms = DFL_DEBOUNCE_MS,
		.slice_us = DFL_SLICE_US,
		.sysfs_root = DFL_SYSFS_ROOT,
		.monitor_s = DFL_MONITOR_S,
		.stats_format = OPTS_STATS_TEXT,
		.stats_socket = DFL_STATS_SOCKET,
	};
}

/* Apply one option; 0 or OPTS_EXIT_USAGE. --monitor may consume argv[optind]. */
static int apply(struct opts *o, int c, int argc, char **argv, FILE *err)
{
	const char *arg = optarg;

	switch (c) {
	case OPT_CELL_PARENT_CGROUP:
		return set_path(c, &o->cell_parent_cgroup, arg, err);
	case OPT_CELL_EXCLUDE:
		return add_cell_exclude(o, arg, err);
	case OPT_CELL0_MIN_CPUS:
		return parse_uint(c, &rule_cell0_min_cpus, arg, &o->cell0_min_cpus, err);
	case OPT_MAX_CELLS:
		return parse_uint(c, &rule_max_cells, arg, &o->max_cells, err);
	case OPT_ENABLE_BORROWING:
		o->enable_borrowing = true;
		return 0;
	case OPT_NO_RECLAIM:
		o->no_reclaim = true;
		return 0;
	case OPT_ENABLE_REBALANCING:
		o->enable_rebalancing = true;
		return 0;
	case OPT_REBALANCE_THRESHOLD:
		return parse_num(c, &rule_rebalance_threshold, arg, &o->rebalance_threshold, err);
	case OPT_REBALANCE_COOLDOWN_S:
		return parse_num(c, &rule_rebalance_cooldown_s, arg, &o->rebalance_cooldown_s, err);
	case OPT_DEMAND_SMOOTHING:
		return parse_num(c, &rule_demand_smoothing, arg, &o->demand_smoothing, err);
	case OPT_MONITOR_INTERVAL_S:
		return parse_num(c, &rule_interval_s, arg, &o->monitor_interval_s, err);
	case OPT_MONITOR:
		/* POSIX mode: the next word is ours unless it is an option */
		if (!arg && optind < argc && argv[optind][0] != '-')
			arg = argv[optind++];
		o->monitor = true;
		return arg ? parse_num(c, &rule_interval_s, arg, &o->monitor_s, err) : 0;
	case OPT_DEBOUNCE_MS:
		return parse_uint(c, &rule_debounce_ms, arg, &o->debounce_ms, err);
	case OPT_SLICE_US:
		return parse_uint(c, &rule_slice_us, arg, &o->slice_us, err);
	case OPT_BORROW_SLICE_US:
		return parse_uint(c, &rule_borrow_slice_us, arg, &o->borrow_slice_us, err);
	case OPT_EXIT_AFTER_S:
		return parse_num(c, &rule_exit_after_s, arg, &o->exit_after_s, err);
	case OPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case OPT_SYSFS_ROOT:
		return set_path(c, &o->sysfs_root, arg, err);
	case OPT_STATS_FORMAT:
		return set_stats_format(o, arg, err);
	case OPT_JSON:
		o->stats_format = OPTS_STATS_JSON;
		return 0;
	case OPT_STATS_SOCKET:
		return set_stats_socket(o, arg, err);
	case OPT_TEST_ERROR_AFTER_MS:
		return parse_uint(c, &rule_test_error_after_ms, arg, &o->test_error_after_ms, err);
	case 'v':
		if (o->verbose < INT_MAX)
			o->verbose++;
		return 0;
	default:
		return getopt_error(c, argc, argv, err);
	}
}

int opts_parse(struct opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	int c, ret;

	opts_init(o);
	optind = 0; /* glibc: full reset, including the state of a half-read "-vvv" */
	opterr = 0; /* our messages, on @err, instead of getopt's on stderr */

	while ((c = getopt_long(argc, argv, "+:vVh", long_options, NULL)) != -1) {
		if (c == 'h') {
			help(out);
			return OPTS_EXIT_OK;
		}
		if (c == 'V') {
			fprintf(out, PROG " %s\n", SCX_CELLS_VERSION);
			return OPTS_EXIT_OK;
		}
		ret = apply(o, c, argc, argv, err);
		if (ret)
			return ret;
	}

	if (optind < argc)
		return usage_error(err, "unexpected argument '%s'", argv[optind]);
	if (o->monitor && o->dry_run)
		return usage_error(err, "--monitor and --dry-run cannot be combined");
	return OPTS_RUN;
}
