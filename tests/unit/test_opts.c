// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for opts: defaults, every option accepted at its bounds, every numeric option
 * rejected for each class of bad value with a message naming it, getopt edge cases, --help
 * honesty, and repeated parsing in one process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opts.h"

/* the build may set the version; 0.1.0 is the documented default */
#ifndef SCX_CELLS_VERSION
#define SCX_CELLS_VERSION "0.1.0"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One parse with captured output; buffers are replaced by each run and freed in teardown. */
struct run {
	struct opts o;
	int ret;
	char *out;
	char *err;
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct run));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct run *r = *state;

	free(r->out);
	free(r->err);
	free(r);
	return 0;
}

static int run_argv(struct run *r, int argc, char **argv)
{
	size_t out_len, err_len;
	FILE *out, *err;

	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	out = open_memstream(&r->out, &out_len);
	err = open_memstream(&r->err, &err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->ret = opts_parse(&r->o, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r->ret;
}

/* RUN(r, "--json", "-v"): argv[0] is added, argv[argc] is NULL as for main(). */
#define RUN(r, ...)                                                                                \
	run_argv(r, ARRAY_SIZE(((char *[]){"scx_cells", __VA_ARGS__})),                            \
		 (char *[]){"scx_cells", __VA_ARGS__, NULL})

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("expected \"%s\" in output:\n%s", (needle), (hay));               \
	} while (0)

/* cmocka's assert_float_equal goes through float; these values must match exactly */
#define assert_dbl_equal(a, b)                                                                     \
	do {                                                                                       \
		if ((double)(a) != (double)(b))                                                    \
			fail_msg("%s == %.17g, want %.17g", #a, (double)(a), (double)(b));         \
	} while (0)

static void assert_run_ok(struct run *r)
{
	if (r->ret != OPTS_RUN)
		fail_msg("expected OPTS_RUN, got %d; err:\n%s", r->ret, r->err);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "");
}

static void assert_usage(struct run *r, const char *needle)
{
	if (r->ret != OPTS_EXIT_USAGE)
		fail_msg("expected OPTS_EXIT_USAGE, got %d; err:\n%s", r->ret, r->err);
	assert_contains(r->err, "scx_cells: ");
	assert_contains(r->err, needle);
	assert_string_equal(r->out, "");
}

static void assert_defaults(const struct opts *o)
{
	assert_null(o->cell_parent_cgroup);
	assert_int_equal(o->nr_cell_exclude, 0);
	assert_int_equal(o->cell0_min_cpus, 1);
	assert_int_equal(o->max_cells, 256);
	assert_false(o->enable_borrowing);
	assert_false(o->no_reclaim);
	assert_false(o->enable_rebalancing);
	assert_dbl_equal(o->rebalance_threshold, 20.0);
	assert_dbl_equal(o->rebalance_cooldown_s, 5.0);
	assert_dbl_equal(o->demand_smoothing, 0.3);
	assert_dbl_equal(o->monitor_interval_s, 1.0);
	assert_int_equal(o->debounce_ms, 100);
	assert_int_equal(o->slice_us, 20000);
	assert_int_equal(o->borrow_slice_us, 0); /* derived from the slice */
	assert_dbl_equal(o->exit_after_s, 0.0);
	assert_false(o->dry_run);
	assert_string_equal(o->sysfs_root, "/sys");
	assert_false(o->monitor);
	assert_dbl_equal(o->monitor_s, 1.0);
	assert_int_equal(o->stats_format, OPTS_STATS_TEXT);
	assert_string_equal(o->stats_socket, "/var/run/scx/root/stats");
	assert_null(o->metrics_file);
	assert_int_equal(o->verbose, 0);
	assert_int_equal(o->test_error_after_ms, 0);
	assert_false(o->enable_slice_shrinking);
	assert_int_equal(o->slice_shrink_min_us, 500);
	assert_int_equal(o->slice_shrink_max_us, 4000);
	assert_false(o->dynamic_affinity);
	assert_int_equal(o->virt_llc_min, 0);
	assert_int_equal(o->virt_llc_max, 0);
}

static void test_defaults(void **state)
{
	struct run *r = *state;
	char *argv[] = {"scx_cells", NULL};
	struct opts o;

	memset(&o, 0xa5, sizeof(o));
	opts_init(&o);
	assert_defaults(&o);

	run_argv(r, 1, argv);
	assert_run_ok(r);
	assert_defaults(&r->o);

	/* argc 0 happens (execve with an empty argv); it is just "no options" */
	run_argv(r, 0, argv + 1);
	assert_run_ok(r);
	assert_defaults(&r->o);
}

static void test_every_option_valid(void **state)
{
	struct run *r = *state;

	RUN(r, "--cell-parent-cgroup", "/workloads.slice", "--cell-exclude", "system.slice",
	    "--cell0-min-cpus", "2", "--max-cells", "16", "--enable-borrowing", "--no-reclaim",
	    "--enable-rebalancing", "--rebalance-threshold", "12.5", "--rebalance-cooldown-s",
	    "0.5", "--demand-smoothing", "0.75", "--monitor-interval-s", "0.25", "--debounce-ms",
	    "0", "--slice-us", "5000", "--exit-after-s", "3", "--dry-run", "--sysfs-root",
	    "/tmp/sys", "--stats-format", "json", "--stats-socket", "/tmp/c.sock", "--metrics-file",
	    "/tmp/m.prom", "--test-error-after-ms", "1500", "--verbose");
	assert_run_ok(r);
	assert_string_equal(r->o.cell_parent_cgroup, "/workloads.slice");
	assert_int_equal(r->o.nr_cell_exclude, 1);
	assert_string_equal(r->o.cell_exclude[0], "system.slice");
	assert_int_equal(r->o.cell0_min_cpus, 2);
	assert_int_equal(r->o.max_cells, 16);
	assert_true(r->o.enable_borrowing);
	assert_true(r->o.no_reclaim);
	assert_true(r->o.enable_rebalancing);
	assert_dbl_equal(r->o.rebalance_threshold, 12.5);
	assert_dbl_equal(r->o.rebalance_cooldown_s, 0.5);
	assert_dbl_equal(r->o.demand_smoothing, 0.75);
	assert_dbl_equal(r->o.monitor_interval_s, 0.25);
	assert_int_equal(r->o.debounce_ms, 0);
	assert_int_equal(r->o.slice_us, 5000);
	assert_dbl_equal(r->o.exit_after_s, 3.0);
	assert_true(r->o.dry_run);
	assert_string_equal(r->o.sysfs_root, "/tmp/sys");
	assert_false(r->o.monitor);
	assert_int_equal(r->o.stats_format, OPTS_STATS_JSON);
	assert_string_equal(r->o.stats_socket, "/tmp/c.sock");
	assert_string_equal(r->o.metrics_file, "/tmp/m.prom");
	assert_int_equal(r->o.test_error_after_ms, 1500);
	assert_int_equal(r->o.verbose, 1);

	/* --opt=value spelling, and the last of a repeated scalar option wins */
	RUN(r, "--slice-us=300", "--slice-us=400", "--stats-format=text");
	assert_run_ok(r);
	assert_int_equal(r->o.slice_us, 400);
	assert_int_equal(r->o.stats_format, OPTS_STATS_TEXT);
}

/* Both ends of every range are accepted, and the value is stored exactly. */
static void test_bounds_accepted(void **state)
{
	static const struct {
		const char *opt, *val;
		size_t off;
		bool integer;
		double want;
	} cases[] = {
#define C(opt, field, isint, val, want) {opt, val, offsetof(struct opts, field), isint, want}
		C("--cell0-min-cpus", cell0_min_cpus, true, "1", 1),
		C("--cell0-min-cpus", cell0_min_cpus, true, "65536", 65536),
		C("--max-cells", max_cells, true, "2", 2),
		C("--max-cells", max_cells, true, "256", 256),
		C("--rebalance-threshold", rebalance_threshold, false, "0", 0),
		C("--rebalance-threshold", rebalance_threshold, false, "100", 100),
		C("--rebalance-cooldown-s", rebalance_cooldown_s, false, "0", 0),
		C("--rebalance-cooldown-s", rebalance_cooldown_s, false, "86400", 86400),
		C("--demand-smoothing", demand_smoothing, false, "1e-3", 0.001),
		C("--demand-smoothing", demand_smoothing, false, "1", 1),
		C("--monitor-interval-s", monitor_interval_s, false, "0.001", 0.001),
		C("--monitor-interval-s", monitor_interval_s, false, "3600", 3600),
		C("--debounce-ms", debounce_ms, true, "0", 0),
		C("--debounce-ms", debounce_ms, true, "60000", 60000),
		C("--slice-us", slice_us, true, "100", 100),
		C("--slice-us", slice_us, true, "1000000", 1000000),
		C("--borrow-slice-us", borrow_slice_us, true, "50", 50),
		C("--borrow-slice-us", borrow_slice_us, true, "1000000", 1000000),
		C("--exit-after-s", exit_after_s, false, "0", 0),
		C("--exit-after-s", exit_after_s, false, "31536000", 31536000),
		C("--test-error-after-ms", test_error_after_ms, true, "1", 1),
		C("--test-error-after-ms", test_error_after_ms, true, "3600000", 3600000),
		C("--slice-us", slice_us, true, "+0250", 250),
#undef C
	};
	struct run *r = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *field = (const char *)&r->o + cases[i].off;
		double got;

		RUN(r, (char *)cases[i].opt, (char *)cases[i].val);
		if (r->ret != OPTS_RUN)
			fail_msg("%s %s rejected: %s", cases[i].opt, cases[i].val, r->err);
		got = cases[i].integer ? *(const unsigned int *)field : *(const double *)field;
		if (got != cases[i].want)
			fail_msg("%s %s stored %g, want %g", cases[i].opt, cases[i].val, got,
				 cases[i].want);
	}
}

/* Bad for every numeric option, whatever its range. */
static const char *const bad_common[] = {
	"-1",	"5abc", "",   "nan",  "NaN",   "inf",
	"-inf", " 5",	"5 ", "0x10", "1e999", "99999999999999999999",
	"--",	"1,5",	"5+", "1-",
};

static void expect_rejected(struct run *r, const char *opt, const char *val)
{
	char arg[128], name[64], got[128];

	snprintf(arg, sizeof(arg), "%s=%s", opt, val);
	snprintf(name, sizeof(name), "%s: ", opt);
	snprintf(got, sizeof(got), "(got '%s')", val);
	RUN(r, arg);
	if (r->ret != OPTS_EXIT_USAGE)
		fail_msg("'%s' was accepted (ret %d)", arg, r->ret);
	assert_usage(r, name);
	assert_contains(r->err, got);
}

static void check_rejects(void **state, const char *opt, const char *const *extra)
{
	struct run *r = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad_common); i++)
		expect_rejected(r, opt, bad_common[i]);
	for (; *extra; extra++)
		expect_rejected(r, opt, *extra);
}

/* Per option: zero where > 0 is required, just past each end, and fractions for integers. */
#define BAD_TEST(fn, opt, ...)                                                                     \
	static void fn(void **state)                                                               \
	{                                                                                          \
		static const char *const extra[] = {__VA_ARGS__, NULL};                            \
		check_rejects(state, opt, extra);                                                  \
	}

BAD_TEST(test_bad_cell0_min_cpus, "--cell0-min-cpus", "0", "65537", "1.5", "1e2")
BAD_TEST(test_bad_max_cells, "--max-cells", "0", "1", "257", "2.0")
BAD_TEST(test_bad_rebalance_threshold, "--rebalance-threshold", "100.01", "-0.1", "1e3", "1e-400")
BAD_TEST(test_bad_rebalance_cooldown_s, "--rebalance-cooldown-s", "86400.5", "-0.001")
BAD_TEST(test_bad_demand_smoothing, "--demand-smoothing", "0", "0.0", "-0", "1.01", "1e-400")
BAD_TEST(test_bad_monitor_interval_s, "--monitor-interval-s", "0", "0.0", "0.0009", "1e-10",
	 "3600.1", "1e308")
BAD_TEST(test_bad_monitor, "--monitor", "0", "0.0001", "3601", "x")
BAD_TEST(test_bad_debounce_ms, "--debounce-ms", "60001", "0.5", "-0.5")
BAD_TEST(test_bad_slice_us, "--slice-us", "0", "99", "1000001", "20000.0")
BAD_TEST(test_bad_borrow_slice_us, "--borrow-slice-us", "0", "49", "1000001", "2500.0")
BAD_TEST(test_bad_exit_after_s, "--exit-after-s", "31536000.1", "-0.5", "1e-400")
BAD_TEST(test_bad_slice_shrink_min_us, "--slice-shrink-min-us", "0", "49", "1000001", "500.0")
BAD_TEST(test_bad_slice_shrink_max_us, "--slice-shrink-max-us", "0", "49", "1000001", "4e3")
BAD_TEST(test_bad_virt_llc, "--virt-llc", "3-2", "0-1", "0-0", "2-3-4", "1-4097", "2", "a-b",
	 "2-+3", "+2-3", "2.5-3", "2-3.0", "1-99999999999999999999", "-", "2--3")
BAD_TEST(test_bad_test_error_after_ms, "--test-error-after-ms", "0", "3600001", "1.5")

static void test_message_format(void **state)
{
	struct run *r = *state;

	RUN(r, "--monitor-interval-s", "0");
	assert_usage(
		r,
		"scx_cells: --monitor-interval-s: must be a number >= 0.001 and <= 3600 (got '0')\n"
		"Try 'scx_cells --help'.\n");
	/* the whole error is exactly two lines */
	assert_string_equal(strchr(strchr(r->err, '\n') + 1, '\n'), "\n");

	RUN(r, "--slice-us", "20k");
	assert_usage(r, "--slice-us: must be an integer from 100 to 1000000 (got '20k')");

	RUN(r, "--exit-after-s", "-1");
	assert_usage(r, "--exit-after-s: must be a number >= 0 and <= 31536000 (got '-1')");
}

static void test_cell_exclude(void **state)
{
	struct run *r = *state;
	char *argv[2 + 2 * (OPTS_MAX_CELL_EXCLUDES + 1)];
	char names[OPTS_MAX_CELL_EXCLUDES + 1][16];
	int argc = 0;

	RUN(r, "--cell-exclude", "a.service", "--cell-exclude=b", "--cell-exclude", "a.service");
	assert_run_ok(r);
	assert_int_equal(r->o.nr_cell_exclude, 3);
	assert_string_equal(r->o.cell_exclude[0], "a.service");
	assert_string_equal(r->o.cell_exclude[1], "b");
	assert_string_equal(r->o.cell_exclude[2], "a.service");

	RUN(r, "--cell-exclude", "");
	assert_usage(r, "--cell-exclude: ");
	RUN(r, "--cell-exclude", "a/b");
	assert_usage(r, "(got 'a/b')");
	RUN(r, "--cell-exclude", "/abs");
	assert_usage(r, "(got '/abs')");
	RUN(r, "--cell-exclude", "..");
	assert_usage(r, "(got '..')");

	/* exactly the limit is fine, one more is an error naming the option */
	argv[argc++] = "scx_cells";
	for (int i = 0; i < OPTS_MAX_CELL_EXCLUDES + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		argv[argc++] = "--cell-exclude";
		argv[argc++] = names[i];
	}
	argv[argc] = NULL;
	run_argv(r, argc - 2, argv);
	assert_run_ok(r);
	assert_int_equal(r->o.nr_cell_exclude, OPTS_MAX_CELL_EXCLUDES);
	assert_string_equal(r->o.cell_exclude[OPTS_MAX_CELL_EXCLUDES - 1], "c63");
	run_argv(r, argc, argv);
	assert_usage(r, "--cell-exclude: at most 64");
}

static void test_strings(void **state)
{
	struct run *r = *state;
	char long_path[200];

	RUN(r, "--cell-parent-cgroup", "");
	assert_usage(r, "--cell-parent-cgroup: must not be empty");
	RUN(r, "--sysfs-root=");
	assert_usage(r, "--sysfs-root: must not be empty");
	RUN(r, "--stats-socket", "");
	assert_usage(r, "--stats-socket: must not be empty");

	/* sun_path holds 107 bytes plus the NUL */
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	long_path[107] = '\0';
	RUN(r, "--stats-socket", long_path);
	assert_run_ok(r);
	long_path[107] = 'a';
	long_path[108] = '\0';
	RUN(r, "--stats-socket", long_path);
	assert_usage(r, "--stats-socket: path longer than 107 bytes");

	RUN(r, "--metrics-file", "");
	assert_usage(r, "--metrics-file: must not be empty");
	RUN(r, "--metrics-file", "/var/lib/node_exporter/");
	assert_usage(
		r,
		"--metrics-file: must name a file, not a directory (got '/var/lib/node_exporter/')");
	RUN(r, "--metrics-file", "..");
	assert_usage(r, "--metrics-file: must name a file");
	RUN(r, "--metrics-file", "/tmp/x/.");
	assert_usage(r, "--metrics-file: must name a file");
	RUN(r, "--metrics-file", "scx.prom");
	assert_run_ok(r);
	assert_string_equal(r->o.metrics_file, "scx.prom");

	RUN(r, "--stats-format", "xml");
	assert_usage(r, "--stats-format: must be 'text' or 'json' (got 'xml')");
	RUN(r, "--stats-format", "JSON");
	assert_usage(r, "(got 'JSON')");
}

static void test_unknown_option(void **state)
{
	struct run *r = *state;

	RUN(r, "--bogus");
	assert_usage(r, "unknown or ambiguous option '--bogus'");
	RUN(r, "--bogus=3");
	assert_usage(r, "'--bogus=3'");
	RUN(r, "-x");
	assert_usage(r, "unknown option '-x'");
	RUN(r, "-vqv");
	assert_usage(r, "unknown option '-q'");
	/* a prefix shared by several options is refused, not guessed */
	RUN(r, "--cell", "x");
	assert_usage(r, "'--cell'");
	/* a unique prefix is getopt_long's documented behaviour */
	RUN(r, "--dry");
	assert_run_ok(r);
	assert_true(r->o.dry_run);
}

static void test_missing_argument(void **state)
{
	struct run *r = *state;

	RUN(r, "--slice-us");
	assert_usage(r, "--slice-us: missing value");
	RUN(r, "-v", "--cell-parent-cgroup");
	assert_usage(r, "--cell-parent-cgroup: missing value");
	/* a flag given a value */
	RUN(r, "--dry-run=yes");
	assert_usage(r, "--dry-run: takes no value (got '--dry-run=yes')");
	RUN(r, "--verbose=2");
	assert_usage(r, "--verbose: takes no value");
}

static void test_stray_arguments(void **state)
{
	struct run *r = *state;

	RUN(r, "extra");
	assert_usage(r, "unexpected argument 'extra'");
	RUN(r, "--json", "extra", "--dry-run");
	assert_usage(r, "unexpected argument 'extra'");
	RUN(r, "--", "-v");
	assert_usage(r, "unexpected argument '-v'");
	RUN(r, "--json", "--");
	assert_run_ok(r);
}

static void test_monitor(void **state)
{
	struct run *r = *state;

	RUN(r, "--monitor");
	assert_run_ok(r);
	assert_true(r->o.monitor);
	assert_dbl_equal(r->o.monitor_s, 1.0);

	RUN(r, "--monitor=2.5");
	assert_run_ok(r);
	assert_true(r->o.monitor);
	assert_dbl_equal(r->o.monitor_s, 2.5);

	RUN(r, "--monitor", "0.5", "--json");
	assert_run_ok(r);
	assert_dbl_equal(r->o.monitor_s, 0.5);
	assert_int_equal(r->o.stats_format, OPTS_STATS_JSON);

	/* an option after --monitor is not taken as its value */
	RUN(r, "--monitor", "-v");
	assert_run_ok(r);
	assert_dbl_equal(r->o.monitor_s, 1.0);
	assert_int_equal(r->o.verbose, 1);

	/* --monitor-interval-s is a different option, not an abbreviation of --monitor */
	RUN(r, "--monitor-interval-s", "2");
	assert_run_ok(r);
	assert_false(r->o.monitor);
	assert_dbl_equal(r->o.monitor_interval_s, 2.0);

	RUN(r, "--monitor", "--dry-run");
	assert_usage(r, "--monitor and --dry-run cannot be combined");
}

static void test_verbose(void **state)
{
	struct run *r = *state;

	RUN(r, "-vvv");
	assert_run_ok(r);
	assert_int_equal(r->o.verbose, 3);
	RUN(r, "-v", "--verbose", "-vv");
	assert_run_ok(r);
	assert_int_equal(r->o.verbose, 4);
}

static void test_json(void **state)
{
	struct run *r = *state;

	RUN(r, "--json");
	assert_run_ok(r);
	assert_int_equal(r->o.stats_format, OPTS_STATS_JSON);
	RUN(r, "--json", "--stats-format", "text");
	assert_run_ok(r);
	assert_int_equal(r->o.stats_format, OPTS_STATS_TEXT);
}

static void test_help(void **state)
{
	static const char *const needles[] = {
		/* every option, the groups, the defaults, and what the program needs */
		"Signals: SIGINT and SIGTERM unload",
		"SIGHUP rescans",
		"SIGPIPE is ignored",
		"--cell-parent-cgroup PATH",
		"--cell-exclude NAME",
		"--cell0-min-cpus N",
		"--max-cells N",
		"--enable-borrowing",
		"--no-reclaim",
		"--borrow-slice-us US",
		"--enable-rebalancing",
		"--rebalance-threshold PCT",
		"--rebalance-cooldown-s S",
		"--demand-smoothing A",
		"--monitor-interval-s S",
		"--monitor[=S]",
		"--debounce-ms MS",
		"--slice-us US",
		"--exit-after-s S",
		"--dry-run",
		"--sysfs-root DIR",
		"--stats-format text|json",
		"--json",
		"--stats-socket PATH",
		"--metrics-file PATH",
		"--test-error-after-ms MS",
		"-v, --verbose",
		"-V, --version",
		"-h, --help",
		"\nCells:\n",
		"\nWork conservation:\n",
		"\nRuntime:\n",
		"\nOutput:\n",
		"\nTesting:\n",
		"Default: 20\n",
		"Default: 5\n",
		"Default: 0.3\n",
		"Default: 100\n",
		"Default: 20000\n",
		"Default: 256\n",
		"Default: /sys\n",
		"Default: /var/run/scx/root/stats\n",
		"root",
		"sched_ext",
	};
	struct run *r = *state;

	RUN(r, "--help");
	assert_int_equal(r->ret, OPTS_EXIT_OK);
	assert_string_equal(r->err, "");
	for (size_t i = 0; i < ARRAY_SIZE(needles); i++)
		assert_contains(r->out, needles[i]);
	/* fits an 80-column terminal */
	for (const char *l = r->out; *l;) {
		const char *nl = strchr(l, '\n');

		assert_non_null(nl);
		if (nl - l > 80)
			fail_msg("help line longer than 80 columns: %.*s", (int)(nl - l), l);
		l = nl + 1;
	}

	/* -h wins over options before it and stops before later errors */
	RUN(r, "--json", "-h", "--bogus");
	assert_int_equal(r->ret, OPTS_EXIT_OK);
	assert_contains(r->out, "Usage: scx_cells");
}

static void test_version(void **state)
{
	struct run *r = *state;

	RUN(r, "--version");
	assert_int_equal(r->ret, OPTS_EXIT_OK);
	assert_string_equal(r->out, "scx_cells " SCX_CELLS_VERSION "\n");
	assert_string_equal(r->err, "");
	RUN(r, "-V");
	assert_int_equal(r->ret, OPTS_EXIT_OK);
	assert_string_equal(r->out, "scx_cells " SCX_CELLS_VERSION "\n");
}

/* State must not leak between parses: options, counts, and getopt's position in a cluster. */
static void test_repeated_parsing(void **state)
{
	struct run *r = *state;

	RUN(r, "--json", "--enable-borrowing", "-vv", "--cell-exclude", "x", "--monitor=3");
	assert_run_ok(r);
	RUN(r, "-vq");
	assert_usage(r, "'-q'");
	RUN(r, "-vvv", "--slice-us", "0");
	assert_usage(r, "--slice-us");
	RUN(r, "-v");
	assert_run_ok(r);
	assert_int_equal(r->o.verbose, 1);
	r->o.verbose = 0;
	assert_defaults(&r->o);
	for (int i = 0; i < 100; i++) {
		RUN(r, "--debounce-ms", "7");
		assert_run_ok(r);
		assert_int_equal(r->o.debounce_ms, 7);
	}
}

/* --undefok: unknown options it names are dropped with a warning; nothing else changes. */
static void test_undefok(void **state)
{
	struct run *r = *state;

	RUN(r, "--undefok", "run-id,log-level", "--run-id", "7", "--log-level=info", "--slice-us",
	    "300");
	assert_int_equal(r->ret, OPTS_RUN);
	assert_int_equal(r->o.slice_us, 300);
	assert_contains(r->err, "ignoring unknown option '--run-id' (listed in --undefok)");
	assert_contains(r->err, "ignoring unknown option '--log-level' (listed in --undefok)");
	assert_string_equal(r->out, "");

	/* several lists add up; --undefok=LIST spelling; a flag without value keeps the next option
	 */
	RUN(r, "--undefok=a", "--undefok", "b", "--a", "--b", "--json");
	assert_int_equal(r->ret, OPTS_RUN);
	assert_int_equal(r->o.stats_format, OPTS_STATS_JSON);

	/* not listed: still an error */
	RUN(r, "--undefok", "a", "--c");
	assert_usage(r, "unknown or ambiguous option '--c'");

	/* a known option is applied (and validated) even when listed */
	RUN(r, "--undefok", "slice-us", "--slice-us", "5");
	assert_usage(r, "--slice-us: must be an integer from 100 to 1000000 (got '5')");
	RUN(r, "--undefok", "slice-us", "--slice-us", "500");
	assert_run_ok(r);
	assert_int_equal(r->o.slice_us, 500);

	/* bad lists */
	RUN(r, "--undefok", "-x");
	assert_usage(r, "--undefok: names go without leading dashes (got '-x')");
	RUN(r, "--undefok", "a=1");
	assert_usage(r, "--undefok: 'a=1' must name an option, not include a value");
	RUN(r, "--undefok", "a,,b");
	assert_usage(r, "--undefok: empty name in 'a,,b'");
	RUN(r, "--undefok");
	assert_usage(r, "--undefok: missing value");

	/* after "--" nothing is dropped: the stray word is reported */
	RUN(r, "--undefok", "a", "--", "--a");
	assert_usage(r, "unexpected argument '--a'");
}

/* --enable-slice-shrinking and its bounds, --dynamic-affinity-cpu-selection, --virt-llc. */
static void test_sched_features(void **state)
{
	struct run *r = *state;

	RUN(r, "--enable-slice-shrinking", "--slice-shrink-min-us", "100", "--slice-shrink-max-us",
	    "100", "--dynamic-affinity-cpu-selection", "--virt-llc", "2-4");
	assert_run_ok(r);
	assert_true(r->o.enable_slice_shrinking);
	assert_int_equal(r->o.slice_shrink_min_us, 100);
	assert_int_equal(r->o.slice_shrink_max_us, 100);
	assert_true(r->o.dynamic_affinity);
	assert_int_equal(r->o.virt_llc_min, 2);
	assert_int_equal(r->o.virt_llc_max, 4);
	RUN(r, "--virt-llc=1-1");
	assert_run_ok(r);
	assert_int_equal(r->o.virt_llc_max, 1);
	RUN(r, "--virt-llc=4096-4096");
	assert_run_ok(r);
	/* the bounds must be in order: a min above the default max is an error on its own */
	RUN(r, "--slice-shrink-min-us", "5000");
	assert_usage(r,
		     "--slice-shrink-min-us (5000) must not exceed --slice-shrink-max-us (4000)");
	RUN(r, "--slice-shrink-min-us", "5000", "--slice-shrink-max-us", "6000");
	assert_run_ok(r);
	RUN(r, "--virt-llc", "3-2");
	assert_usage(r,
		     "--virt-llc: must be MIN-MAX, cores per group, with 1 <= MIN <= MAX <= 4096 "
		     "(got '3-2')");
}

/* scx_mitosis's --enable-llc-awareness and --enable-work-stealing are accepted. */
static void test_mitosis_compat_flags(void **state)
{
	struct run *r = *state;

	RUN(r, "--enable-llc-awareness", "--enable-work-stealing", "--enable-borrowing");
	assert_run_ok(r);
	assert_true(r->o.enable_borrowing);
	RUN(r, "--enable-llc-awareness=1");
	assert_usage(r, "--enable-llc-awareness: takes no value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_defaults),
		T(test_every_option_valid),
		T(test_bounds_accepted),
		T(test_bad_cell0_min_cpus),
		T(test_bad_max_cells),
		T(test_bad_rebalance_threshold),
		T(test_bad_rebalance_cooldown_s),
		T(test_bad_demand_smoothing),
		T(test_bad_monitor_interval_s),
		T(test_bad_monitor),
		T(test_bad_debounce_ms),
		T(test_bad_slice_us),
		T(test_bad_borrow_slice_us),
		T(test_bad_exit_after_s),
		T(test_bad_slice_shrink_min_us),
		T(test_bad_slice_shrink_max_us),
		T(test_bad_virt_llc),
		T(test_bad_test_error_after_ms),
		T(test_message_format),
		T(test_cell_exclude),
		T(test_strings),
		T(test_unknown_option),
		T(test_missing_argument),
		T(test_stray_arguments),
		T(test_monitor),
		T(test_verbose),
		T(test_json),
		T(test_help),
		T(test_version),
		T(test_repeated_parsing),
		T(test_undefok),
		T(test_mitosis_compat_flags),
		T(test_sched_features),
#undef T
	};

	return cmocka_run_group_tests_name("opts", tests, NULL, NULL);
}
