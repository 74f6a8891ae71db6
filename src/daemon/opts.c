// SPDX-License-Identifier: GPL-2.0
/*
 * opts - command-line parsing for scx_cells.
 *
 * One table (opt_defs) names every option once: getopt_long's tables, the defaults, the accepted
 * ranges and --help are all made from it, so a default or a range cannot drift apart between the
 * code, the error messages and the help. getopt_long does the splitting; every value then goes
 * through one strict parser (decimal only, whole string, finite, in range) driven by the option's
 * rule. The parser runs in POSIX mode ('+': stop at the first
 * non-option) because stray positional arguments are an error anyway, and that makes it safe for
 * --monitor to take its optional value from the next word ("--monitor 2" as well as
 * "--monitor=2").
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "opts.h"
#include "statsock.h" /* STATSOCK_DEFAULT_PATH */

#ifndef SCX_CELLS_VERSION
#define SCX_CELLS_VERSION "0.1.0"
#endif

#define PROG "scx_cells"

/*
 * How an option's value is taken. Numbers go through one strict parser (decimal only, whole
 * string, finite, in range) driven by the option's rule.
 */
enum opt_kind {
	K_FLAG,	   /* sets a bool */
	K_UINT,	   /* unsigned int under @rule */
	K_NUM,	   /* double under @rule */
	K_PATH,	   /* non-empty string */
	K_EXCLUDE, /* --cell-exclude: one more directory name */
	K_FORMAT,  /* --stats-format text|json */
	K_JSON,	   /* --json */
	K_SOCKET,  /* --stats-socket: a path that fits sun_path */
	K_METRICS, /* --metrics-file: a file name, room for the temporary suffix */
	K_MONITOR, /* --monitor[=S]: a flag with an optional K_NUM */
	K_COUNT,   /* -v: counts */
	K_VERSION,
	K_HELP,
	K_COMPAT,  /* accepted for scx_mitosis command lines, no effect */
	K_UNDEFOK, /* --undefok NAME,...: handled before getopt (see drop_undefok()) */
	K_RANGE,   /* --virt-llc MIN-MAX: two unsigned ints under @rule, MIN <= MAX */
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

/*
 * One option: how getopt_long knows it, where its value goes, its default, what it accepts and
 * its --help entry. @help is the description, one line per '\n', in which {min}, {max} and
 * {default} stand for the rule's bounds and the default, so neither is written twice.
 */
struct opt_def {
	const char *name;
	char short_name; /* also the getopt value; 0: long only */
	enum opt_kind kind;
	size_t off; /* of the field in struct opts */
	struct num_rule rule;
	double dfl_num;
	const char *dfl_str;
	const char *section; /* a --help section starts here */
	const char *usage;   /* the left column of --help */
	const char *help;
};

#define FIELD(f)       offsetof(struct opts, f)
/* At least 1 ms: a shorter period would round to a disarmed timer or a busy loop. */
#define INTERVAL_MIN_S 0.001
#define INTERVAL_MAX_S 3600

static const struct opt_def opt_defs[] = {
	{
		.name = "cell-parent-cgroup",
		.kind = K_PATH,
		.off = FIELD(cell_parent_cgroup),
		.section = "Cells",
		.usage = "--cell-parent-cgroup PATH",
		.help = "parent cgroup whose direct children become cells:\n"
			"a path inside the cgroup2 mount (/workloads.slice)\n"
			"or an absolute path under it; the same as a\n"
			"--cell-config with the one rule \"PARENT/*\".\n"
			"Default: none (root cell only)",
	},
	{
		.name = "cell-config",
		.kind = K_PATH,
		.off = FIELD(cell_config),
		.usage = "--cell-config FILE",
		.help = "JSON rules that make cgroups cells by path glob at\n"
			"any depth, with per-cell min/max CPUs, weight and\n"
			"borrow/lend/latency flags (docs/cell-config.md).\n"
			"Re-read on SIGHUP; a bad file keeps the old rules.\n"
			"Not with --cell-parent-cgroup. Default: none",
	},
	{
		.name = "cgroup-root",
		.kind = K_PATH,
		.off = FIELD(cgroup_root),
		.usage = "--cgroup-root DIR",
		.help = "directory --cell-config paths are relative to\n"
			"(a copied tree for --dry-run). Default: the\n"
			"cgroup2 mount",
	},
	{
		.name = "cell-exclude",
		.kind = K_EXCLUDE,
		.off = FIELD(cell_exclude),
		.rule = {.max = OPTS_MAX_CELL_EXCLUDES}, /* names at most */
		.usage = "--cell-exclude NAME",
		.help = "child directory name that stays in the root cell;\n"
			"repeatable, up to {max}. Default: none",
	},
	{
		.name = "cell0-min-cpus",
		.kind = K_UINT,
		.off = FIELD(cell0_min_cpus),
		.rule = {.min = 1, .max = 65536, .integer = true},
		.dfl_num = 1,
		.usage = "--cell0-min-cpus N",
		.help = "CPUs the root cell always keeps, {min}..{max}.\n"
			"Default: {default}",
	},
	{
		.name = "max-cells",
		.kind = K_UINT,
		.off = FIELD(max_cells),
		.rule = {.min = 2, .max = 256, .integer = true},
		.dfl_num = 256,
		.usage = "--max-cells N",
		.help = "cell slots including the root cell, {min}..{max}; extra\n"
			"children stay in the root cell. Default: {default}",
	},
	{
		.name = "equal-shares",
		.kind = K_FLAG,
		.off = FIELD(equal_shares),
		.usage = "--equal-shares",
		.help = "give every cell the same share, ignoring the\n"
			"cells' cpu.weight (cpu.max caps still apply).\n"
			"Default: shares from cpu.weight",
	},
	{
		.name = "enable-borrowing",
		.kind = K_FLAG,
		.off = FIELD(enable_borrowing),
		.section = "Work conservation",
		.usage = "--enable-borrowing",
		.help = "let a cell run on other cells' idle CPUs.\n"
			"Default: off",
	},
	{
		.name = "no-reclaim",
		.kind = K_FLAG,
		.off = FIELD(no_reclaim),
		.usage = "--no-reclaim",
		.help = "with borrowing, do not preempt a borrower when\n"
			"the owning cell's task waits (it keeps its slice).\n"
			"Default: reclaim on",
	},
	{
		.name = "borrow-slice-us",
		.kind = K_UINT,
		.off = FIELD(borrow_slice_us),
		.rule = {.min = 50, .max = 1000000, .integer = true},
		.usage = "--borrow-slice-us US",
		.help = "slice of a task running on a borrowed CPU, in\n"
			"microseconds, {min}..{max}: how long the owner\n"
			"can wait for it without reclaim.\n"
			"Default: --slice-us / 8, at least 50",
	},
	{
		.name = "enable-rebalancing",
		.kind = K_FLAG,
		.off = FIELD(enable_rebalancing),
		.usage = "--enable-rebalancing",
		.help = "move CPUs between cells by measured demand.\n"
			"Default: off",
	},
	{
		.name = "rebalance-threshold",
		.kind = K_NUM,
		.off = FIELD(rebalance_threshold),
		.rule = {.min = 0, .max = 100},
		.dfl_num = 20,
		.usage = "--rebalance-threshold PCT",
		.help = "spread of smoothed utilisation (max - min, in\n"
			"percentage points, {min}..{max}) that triggers a\n"
			"rebalance. Default: {default}",
	},
	{
		.name = "rebalance-cooldown-s",
		.kind = K_NUM,
		.off = FIELD(rebalance_cooldown_s),
		.rule = {.min = 0, .max = 86400},
		.dfl_num = 5,
		.usage = "--rebalance-cooldown-s S",
		.help = "minimum seconds between rebalances, {min}..{max}.\n"
			"Default: {default}",
	},
	{
		.name = "demand-smoothing",
		.kind = K_NUM,
		.off = FIELD(demand_smoothing),
		.rule = {.min = 0, .max = 1, .min_open = true},
		.dfl_num = 0.3,
		.usage = "--demand-smoothing A",
		.help = "EWMA factor for demand, {min} < A <= {max} (1 = no\n"
			"smoothing). Default: {default}",
	},
	{
		.name = "enable-slice-shrinking",
		.kind = K_FLAG,
		.off = FIELD(enable_slice_shrinking),
		.section = "Scheduling",
		.usage = "--enable-slice-shrinking",
		.help = "when a task waits on a per-CPU queue (pinned\n"
			"tasks, per-CPU kworkers, ksoftirqd), cut the\n"
			"running task's slice to twice the waiter's\n"
			"average run time, clamped to the two options\n"
			"below. Default: off",
	},
	{
		.name = "slice-shrink-min-us",
		.kind = K_UINT,
		.off = FIELD(slice_shrink_min_us),
		.rule = {.min = 50, .max = 1000000, .integer = true},
		.dfl_num = 500,
		.usage = "--slice-shrink-min-us US",
		.help = "shortest slice shrinking leaves, {min}..{max},\n"
			"at most --slice-shrink-max-us. Default: {default}",
	},
	{
		.name = "slice-shrink-max-us",
		.kind = K_UINT,
		.off = FIELD(slice_shrink_max_us),
		.rule = {.min = 50, .max = 1000000, .integer = true},
		.dfl_num = 4000,
		.usage = "--slice-shrink-max-us US",
		.help = "longest slice shrinking leaves, {min}..{max}.\n"
			"Default: {default}",
	},
	{
		.name = "dynamic-affinity-cpu-selection",
		.kind = K_FLAG,
		.off = FIELD(dynamic_affinity),
		.usage = "--dynamic-affinity-cpu-selection",
		.help = "tasks allowed on several CPUs but not their whole\n"
			"cell get an idle CPU of their mask at each wake-up\n"
			"and are spread over its CPUs' queues at enqueue\n"
			"(else they stay on their previous CPU's queue).\n"
			"Default: off",
	},
	{
		.name = "virt-llc",
		.kind = K_RANGE,
		.off = FIELD(virt_llc_min),
		.rule = {.min = 1, .max = 4096, .integer = true},
		.usage = "--virt-llc MIN-MAX",
		.help = "split every LLC of more than MAX cores into\n"
			"balanced groups of MIN..MAX cores ({min} <= MIN <=\n"
			"MAX <= {max}), each with its own cell queue, so a\n"
			"queue is not shared by every core of a large\n"
			"cache. Default: one queue per LLC",
	},
	{
		.name = "monitor-interval-s",
		.kind = K_NUM,
		.off = FIELD(monitor_interval_s),
		.rule = {.min = INTERVAL_MIN_S, .max = INTERVAL_MAX_S},
		.dfl_num = 1,
		.section = "Runtime",
		.usage = "--monitor-interval-s S",
		.help = "seconds between metrics/rebalance rounds,\n"
			"{min} <= S <= {max}, fractions allowed. Default: {default}",
	},
	{
		.name = "debounce-ms",
		.kind = K_UINT,
		.off = FIELD(debounce_ms),
		.rule = {.min = 0, .max = 60000, .integer = true},
		.dfl_num = 100,
		.usage = "--debounce-ms MS",
		.help = "milliseconds over which bursts of cgroup events\n"
			"are coalesced into one re-plan, {min}..{max}.\n"
			"Default: {default}",
	},
	{
		.name = "slice-us",
		.kind = K_UINT,
		.off = FIELD(slice_us),
		.rule = {.min = 100, .max = 1000000, .integer = true},
		.dfl_num = 20000,
		.usage = "--slice-us US",
		.help = "scheduling slice in microseconds, {min}..{max}.\n"
			"Default: {default}",
	},
	{
		.name = "exit-after-s",
		.kind = K_NUM,
		.off = FIELD(exit_after_s),
		.rule = {.min = 0, .max = 31536000},
		.dfl_num = 0,
		.usage = "--exit-after-s S",
		.help = "stop cleanly after S seconds, {min}..{max};\n"
			"0 = run until SIGINT/SIGTERM. Default: {default}",
	},
	{
		.name = "dry-run",
		.kind = K_FLAG,
		.off = FIELD(dry_run),
		.usage = "--dry-run",
		.help = "print the plan for the current cgroup tree and\n"
			"CPU topology and exit; loads nothing. The parent\n"
			"is found as the scheduler finds it; a plain\n"
			"directory only if no such cgroup exists",
	},
	{
		.name = "sysfs-root",
		.kind = K_PATH,
		.off = FIELD(sysfs_root),
		.dfl_str = "/sys",
		.usage = "--sysfs-root DIR",
		.help = "where --dry-run reads the CPU topology.\n"
			"Default: {default}",
	},
	{
		.name = "monitor",
		.kind = K_MONITOR,
		.off = FIELD(monitor_s),
		.rule = {.min = INTERVAL_MIN_S, .max = INTERVAL_MAX_S},
		.dfl_num = 1,
		.section = "Output",
		.usage = "--monitor[=S]",
		.help = "do not schedule: ask the running instance for its\n"
			"stats every S seconds and print them (text view;\n"
			"with --json the scx_stats \"stats\" object, one line\n"
			"each), {min} <= S <= {max}. Default S: {default}",
	},
	{
		.name = "stats-format",
		.kind = K_FORMAT,
		.off = FIELD(stats_format),
		.usage = "--stats-format text|json",
		.help = "format of the periodic stats. Default: text",
	},
	{
		.name = "json",
		.kind = K_JSON,
		.off = FIELD(stats_format),
		.usage = "--json",
		.help = "same as --stats-format json",
	},
	{
		.name = "stats-socket",
		.kind = K_SOCKET,
		.off = FIELD(stats_socket),
		.dfl_str = STATSOCK_DEFAULT_PATH,
		.usage = "--stats-socket PATH",
		.help = "unix socket serving the scx_stats protocol (to\n"
			"--monitor and scx tools); missing parent\n"
			"directories are created.\n"
			"Default: {default}",
	},
	{
		.name = "metrics-file",
		.kind = K_METRICS,
		.off = FIELD(metrics_file),
		.usage = "--metrics-file PATH",
		.help = "every interval, write the stats to PATH as\n"
			"Prometheus text (atomically: a temporary file in\n"
			"the same directory, then rename), for the node\n"
			"exporter's textfile collector. Default: none",
	},
	{
		.name = "verbose",
		.short_name = 'v',
		.kind = K_COUNT,
		.off = FIELD(verbose),
		.usage = "-v, --verbose",
		.help = "more log output; repeat for more",
	},
	{
		.name = "version",
		.short_name = 'V',
		.kind = K_VERSION,
		.usage = "-V, --version",
		.help = "print the version and exit",
	},
	{
		.name = "help",
		.short_name = 'h',
		.kind = K_HELP,
		.usage = "-h, --help",
		.help = "print this help and exit",
	},
	{
		.name = "undefok",
		.kind = K_UNDEFOK,
		.section = "Compatibility",
		.usage = "--undefok NAME,...",
		.help = "ignore these long options (names without '--')\n"
			"if this version does not know them, with a\n"
			"warning each; for rolling flag changes through a\n"
			"fleet. Known options are applied as usual",
	},
	{
		.name = "enable-llc-awareness",
		.kind = K_COMPAT,
		.usage = "--enable-llc-awareness",
		.help = "accepted for scx_mitosis command lines; scx_cells\n"
			"always queues per LLC (no effect)",
	},
	{
		.name = "enable-work-stealing",
		.kind = K_COMPAT,
		.usage = "--enable-work-stealing",
		.help = "accepted for scx_mitosis command lines; scx_cells\n"
			"always steals within a cell (no effect)",
	},
	{
		.name = "test-error-after-ms",
		.kind = K_UINT,
		.off = FIELD(test_error_after_ms),
		.rule = {.min = 1, .max = 3600000, .integer = true},
		.section = "Testing",
		.usage = "--test-error-after-ms MS",
		.help = "make the BPF side raise an error after MS\n"
			"milliseconds ({min}..{max}) to exercise the error\n"
			"exit path. Default: off",
	},
};

#define NR_OPTS	       (sizeof(opt_defs) / sizeof(opt_defs[0]))
/* getopt values of long-only options: above any char, so they never collide with short ones */
#define LONG_ONLY_BASE 256

static int opt_val(const struct opt_def *d)
{
	return d->short_name ? d->short_name : LONG_ONLY_BASE + (int)(d - opt_defs);
}

/* The option getopt_long returned as @val, or NULL (unknown). */
static const struct opt_def *opt_by_val(int val)
{
	for (size_t i = 0; i < NR_OPTS; i++)
		if (opt_val(&opt_defs[i]) == val)
			return &opt_defs[i];
	return NULL;
}

static bool takes_value(const struct opt_def *d)
{
	switch (d->kind) {
	case K_FLAG:
	case K_JSON:
	case K_COUNT:
	case K_VERSION:
	case K_HELP:
	case K_COMPAT:
		return false;
	default:
		return true;
	}
}

/* Expand {min}, {max} and {default} of @d's help line @s[0, @len) onto @out. */
static void help_line(FILE *out, const struct opt_def *d, const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end) {
		const char *brace = memchr(s, '{', (size_t)(end - s));

		if (!brace) {
			fwrite(s, 1, (size_t)(end - s), out);
			break;
		}
		fwrite(s, 1, (size_t)(brace - s), out);
		if (!strncmp(brace, "{min}", 5)) {
			fprintf(out, "%.10g", d->rule.min);
			s = brace + 5;
		} else if (!strncmp(brace, "{max}", 5)) {
			fprintf(out, "%.10g", d->rule.max);
			s = brace + 5;
		} else if (!strncmp(brace, "{default}", 9)) {
			if (d->dfl_str)
				fputs(d->dfl_str, out);
			else
				fprintf(out, "%.10g", d->dfl_num);
			s = brace + 9;
		} else {
			fputc('{', out);
			s = brace + 1;
		}
	}
	fputc('\n', out);
}

static void help(FILE *out)
{
	fputs("Usage: " PROG " [OPTIONS]\n"
	      "\n"
	      "A sched_ext CPU scheduler that gives every child cgroup of a parent cgroup its\n"
	      "own set of CPUs (a cell); all other tasks run in the root cell. Idle CPUs can\n"
	      "be borrowed across cells, and CPUs rebalanced between cells by measured demand.\n"
	      "Needs root and a kernel with sched_ext (CONFIG_SCHED_CLASS_EXT); --dry-run and\n"
	      "--monitor need neither.\n",
	      out);
	for (size_t i = 0; i < NR_OPTS; i++) {
		const struct opt_def *d = &opt_defs[i];
		const char *s = d->help;

		if (d->section)
			fprintf(out, "\n%s:\n", d->section);
		/* A usage wider than its column gets a line of its own (80 columns in all). */
		if (strlen(d->usage) > 25)
			fprintf(out, "  %s\n%29s", d->usage, "");
		else
			fprintf(out, "  %-25s  ", d->usage);
		for (;;) {
			const char *nl = strchrnul(s, '\n');

			help_line(out, d, s, (size_t)(nl - s));
			if (!*nl)
				break;
			s = nl + 1;
			fprintf(out, "%29s", "");
		}
	}
	fputs("\nSignals: SIGINT and SIGTERM unload the scheduler and exit 0. SIGHUP rescans\n"
	      "the cell cgroups (children, cpusets, cpu.weight, cpu.max) and re-plans; the\n"
	      "scheduler stays loaded. SIGPIPE is ignored: when stdout goes away\n"
	      "(scx_cells | head), that is said once on stderr, stdout output is dropped and\n"
	      "scheduling goes on.\n",
	      out);
	fputs("\nExit status: 0 on a clean stop, 1 on a runtime error, 2 on a usage error.\n", out);
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
	const struct opt_def *d = opt_by_val(val);

	return d ? d->name : "?";
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

/* --virt-llc MIN-MAX into @lo and @hi. */
static int set_range(const struct opt_def *d, unsigned int *lo, unsigned int *hi, const char *arg,
		     FILE *err)
{
	const char *dash = strchr(arg, '-');
	unsigned long a, b;
	char *end;

	if (!dash || dash == arg || !dash[1] || !is_decimal(arg, true) || *arg == '+' ||
	    dash[1] == '+' || strchr(dash + 1, '-'))
		goto bad;
	errno = 0;
	a = strtoul(arg, &end, 10);
	if (end != dash || errno)
		goto bad;
	b = strtoul(dash + 1, &end, 10);
	if (*end || errno)
		goto bad;
	if (a < d->rule.min || b > d->rule.max || a > b)
		goto bad;
	*lo = (unsigned int)a;
	*hi = (unsigned int)b;
	return 0;
bad:
	return usage_error(err,
			   "--%s: must be MIN-MAX, cores per group, with %.0f <= MIN <= MAX <= "
			   "%.0f (got '%s')",
			   d->name, d->rule.min, d->rule.max, arg);
}

static int set_path(int val, const char **dst, const char *arg, FILE *err)
{
	if (!*arg)
		return usage_error(err, "--%s: must not be empty", long_name(val));
	*dst = arg;
	return 0;
}

static int set_stats_socket(struct opts *o, int val, const char *arg, FILE *err)
{
	/* bind() would fail much later with a less helpful message */
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (strlen(arg) > max)
		return usage_error(err, "--stats-socket: path longer than %zu bytes (got '%s')",
				   max, arg);
	return set_path(val, &o->stats_socket, arg, err);
}

static int set_metrics_file(struct opts *o, int val, const char *arg, FILE *err)
{
	size_t len = strlen(arg);

	/* The temporary file is PATH + ".tmp.PID"; the name itself must be a file name. */
	if (len && (arg[len - 1] == '/' || !strcmp(arg, ".") || !strcmp(arg, "..") ||
		    (len >= 2 && !strcmp(arg + len - 2, "/.")) ||
		    (len >= 3 && !strcmp(arg + len - 3, "/.."))))
		return usage_error(
			err, "--metrics-file: must name a file, not a directory (got '%s')", arg);
	if (len > PATH_MAX - 32)
		return usage_error(err, "--metrics-file: path longer than %d bytes (got '%s')",
				   PATH_MAX - 32, arg);
	return set_path(val, &o->metrics_file, arg, err);
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
		if (optopt >= LONG_ONLY_BASE)
			return usage_error(err, "--%s: missing value", long_name(optopt));
		return usage_error(err, "-%c: missing value", optopt);
	}
	/* a known option reported as '?' is a flag that was given a value */
	if (opt_by_val(optopt))
		return usage_error(err, "--%s: takes no value (got '%s')", long_name(optopt), word);
	if (optopt > 0 && optopt < 128)
		return usage_error(err, "unknown option '-%c'", optopt);
	return usage_error(err, "unknown or ambiguous option '%s'", word);
}

void opts_init(struct opts *o)
{
	*o = (struct opts){.stats_format = OPTS_STATS_TEXT};
	for (size_t i = 0; i < NR_OPTS; i++) {
		const struct opt_def *d = &opt_defs[i];
		char *field = (char *)o + d->off;

		if (d->kind == K_UINT)
			*(unsigned int *)field = (unsigned int)d->dfl_num;
		else if (d->kind == K_NUM || d->kind == K_MONITOR)
			*(double *)field = d->dfl_num;
		else if (d->dfl_str)
			*(const char **)field = d->dfl_str;
	}
}

/* Apply option @d with value @arg (NULL if none); 0 or OPTS_EXIT_USAGE. */
static int apply(struct opts *o, const struct opt_def *d, const char *arg, int argc, char **argv,
		 FILE *err)
{
	char *field = (char *)o + d->off;
	int val = opt_val(d);

	switch (d->kind) {
	case K_FLAG:
		*(bool *)field = true;
		return 0;
	case K_UINT:
		return parse_uint(val, &d->rule, arg, (unsigned int *)field, err);
	case K_NUM:
		return parse_num(val, &d->rule, arg, (double *)field, err);
	case K_PATH:
		return set_path(val, (const char **)field, arg, err);
	case K_EXCLUDE:
		return add_cell_exclude(o, arg, err);
	case K_RANGE:
		return set_range(d, &o->virt_llc_min, &o->virt_llc_max, arg, err);
	case K_FORMAT:
		return set_stats_format(o, arg, err);
	case K_JSON:
		o->stats_format = OPTS_STATS_JSON;
		return 0;
	case K_SOCKET:
		return set_stats_socket(o, val, arg, err);
	case K_METRICS:
		return set_metrics_file(o, val, arg, err);
	case K_MONITOR:
		/* POSIX mode: the next word is ours unless it is an option */
		if (!arg && optind < argc && argv[optind][0] != '-')
			arg = argv[optind++];
		o->monitor = true;
		return arg ? parse_num(val, &d->rule, arg, (double *)field, err) : 0;
	case K_COUNT:
		if (*(int *)field < INT_MAX)
			(*(int *)field)++;
		return 0;
	case K_VERSION:
	case K_HELP:
	case K_COMPAT:
	case K_UNDEFOK: /* checked and applied by drop_undefok() */
		break;
	}
	return 0;
}

#define UNDEFOK_MAX	 64 /* names in all --undefok lists together */
#define UNDEFOK_NAME_MAX 64

struct undefok {
	char names[UNDEFOK_MAX][UNDEFOK_NAME_MAX + 1];
	unsigned int nr;
};

/* Add the comma-separated names of one --undefok value; 0 or OPTS_EXIT_USAGE. */
static int undefok_add(struct undefok *u, const char *list, FILE *err)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchrnul(p, ',');
		size_t n = (size_t)(comma - p);

		if (!n)
			return usage_error(err, "--undefok: empty name in '%s'", list);
		if (*p == '-')
			return usage_error(
				err, "--undefok: names go without leading dashes (got '%.*s')",
				(int)n, p);
		if (memchr(p, '=', n))
			return usage_error(
				err, "--undefok: '%.*s' must name an option, not include a value",
				(int)n, p);
		if (n > UNDEFOK_NAME_MAX)
			return usage_error(err, "--undefok: name longer than %d bytes (got '%.*s')",
					   UNDEFOK_NAME_MAX, (int)n, p);
		if (u->nr >= UNDEFOK_MAX)
			return usage_error(err, "--undefok: at most %d names", UNDEFOK_MAX);
		memcpy(u->names[u->nr], p, n);
		u->names[u->nr++][n] = '\0';
		if (!*comma)
			return 0;
		p = comma + 1;
	}
}

static bool undefok_has(const struct undefok *u, const char *name, size_t len)
{
	for (unsigned int i = 0; i < u->nr; i++)
		if (strlen(u->names[i]) == len && !memcmp(u->names[i], name, len))
			return true;
	return false;
}

static bool known_long(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_OPTS; i++)
		if (strlen(opt_defs[i].name) == len && !memcmp(opt_defs[i].name, name, len))
			return true;
	return false;
}

/*
 * --undefok, as scx_mitosis has it: collect every list, then copy @argv to @out without the
 * options it names that this version does not know ("--name", "--name=value", or "--name value"
 * when the next word does not start with '-'), warning about each on @err. Known options stay,
 * whatever the lists say. Stops copying at "--". Returns the new argc or -OPTS_EXIT_USAGE.
 */
static int drop_undefok(int argc, char **argv, char **out, FILE *err)
{
	struct undefok u = {0};
	int n = 0, i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *list = NULL;

		if (!strncmp(argv[i], "--undefok=", 10))
			list = argv[i] + 10;
		else if (!strcmp(argv[i], "--undefok") && i + 1 < argc)
			list = argv[++i];
		if (list && undefok_add(&u, list, err))
			return -OPTS_EXIT_USAGE;
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;

		if (i == 0 || !u.nr || strncmp(a, "--", 2) || !a[2]) {
			out[n++] = argv[i];
			if (i && !strcmp(a, "--"))
				u.nr = 0; /* everything after "--" is kept as is */
			continue;
		}
		if (!strcmp(a, "--undefok") && i + 1 < argc) {
			out[n++] = argv[i++];
			out[n++] = argv[i];
			continue;
		}
		eq = strchrnul(a + 2, '=');
		len = (size_t)(eq - (a + 2));
		if (!undefok_has(&u, a + 2, len) || known_long(a + 2, len)) {
			out[n++] = argv[i];
			continue;
		}
		fprintf(err,
			PROG ": warning: ignoring unknown option '--%.*s' (listed in --undefok)\n",
			(int)len, a + 2);
		if (!*eq && i + 1 < argc && argv[i + 1][0] != '-')
			i++; /* its value */
	}
	out[n] = NULL;
	return n;
}

static int parse_kept(struct opts *o, int argc, char **argv, const char *shorts,
		      const struct option *long_options, FILE *out, FILE *err);

int opts_parse(struct opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	struct option long_options[NR_OPTS + 1];
	char shorts[4 + NR_OPTS + 1] = "+:";
	size_t ns = strlen(shorts);
	char **kept;
	int ret;

	/* getopt_long's tables, from the one table */
	for (size_t i = 0; i < NR_OPTS; i++) {
		const struct opt_def *d = &opt_defs[i];

		long_options[i] = (struct option){
			.name = d->name,
			.has_arg = d->kind == K_MONITOR ? optional_argument
				   : takes_value(d)	? required_argument
							: no_argument,
			.val = opt_val(d),
		};
		if (d->short_name)
			shorts[ns++] = d->short_name;
	}
	long_options[NR_OPTS] = (struct option){0};
	shorts[ns] = '\0';

	opts_init(o);
	/* getopt sees @argv without what --undefok lets us ignore */
	kept = calloc((size_t)(argc > 0 ? argc : 0) + 1, sizeof(*kept));
	if (!kept)
		return usage_error(err, "out of memory parsing the command line");
	argc = argc > 0 ? drop_undefok(argc, argv, kept, err) : 0;
	if (argc < 0) {
		free(kept);
		return -argc;
	}
	ret = parse_kept(o, argc, kept, shorts, long_options, out, err);
	free(kept);
	return ret;
}

/* opts_parse() on the words --undefok kept. */
static int parse_kept(struct opts *o, int argc, char **argv, const char *shorts,
		      const struct option *long_options, FILE *out, FILE *err)
{
	int c, ret;

	optind = 0; /* glibc: full reset, including the state of a half-read "-vvv" */
	opterr = 0; /* our messages, on @err, instead of getopt's on stderr */

	while ((c = getopt_long(argc, argv, shorts, long_options, NULL)) != -1) {
		const struct opt_def *d = c == '?' || c == ':' ? NULL : opt_by_val(c);

		if (!d)
			return getopt_error(c, argc, argv, err);
		if (d->kind == K_HELP) {
			help(out);
			return OPTS_EXIT_OK;
		}
		if (d->kind == K_VERSION) {
			fprintf(out, PROG " %s\n", SCX_CELLS_VERSION);
			return OPTS_EXIT_OK;
		}
		ret = apply(o, d, optarg, argc, argv, err);
		if (ret)
			return ret;
	}

	if (optind < argc)
		return usage_error(err, "unexpected argument '%s'", argv[optind]);
	if (o->monitor && o->dry_run)
		return usage_error(err, "--monitor and --dry-run cannot be combined");
	if (o->cell_config && o->cell_parent_cgroup)
		return usage_error(
			err,
			"--cell-config and --cell-parent-cgroup cannot be combined (a parent is the rule \"PARENT/*\" in the config)");
	if (o->cgroup_root && !o->cell_config)
		return usage_error(err, "--cgroup-root only applies to --cell-config");
	if (o->slice_shrink_min_us > o->slice_shrink_max_us)
		return usage_error(
			err,
			"--slice-shrink-min-us (%u) must not exceed --slice-shrink-max-us "
			"(%u)",
			o->slice_shrink_min_us, o->slice_shrink_max_us);
	return OPTS_RUN;
}
