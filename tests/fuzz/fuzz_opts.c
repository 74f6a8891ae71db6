// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_opts - opts_parse() on an arbitrary command line.
 *
 * The input is split into argv words at every NUL or newline byte, so a seed file is simply one
 * word per line ("--max-cells\n8\n"); a single trailing separator does not make an empty last
 * word, two consecutive ones do (an empty argument is a real case: --cell-exclude ''). argv[0] is
 * "scx_cells". Help, version and error text go to memory streams so they can be checked.
 *
 * Properties checked beyond "no sanitizer report":
 *   - the result is one of enum opts_result;
 *   - OPTS_EXIT_USAGE printed "scx_cells: ..." to err and nothing to out; OPTS_EXIT_OK printed to
 *     out only; OPTS_RUN printed nothing;
 *   - OPTS_RUN leaves every field in the range opts.h documents, and strings that are either the
 *     defaults or point into argv;
 *   - a second parse of the same argv gives the same result and the same text (opts_parse "may be
 *     called any number of times in one process": getopt's hidden state must be reset).
 */
#include <stdbool.h>
#include <string.h>

#include "opts.h"
#include "fuzz.h"

#define MAX_WORDS 256

struct outcome {
	int ret;
	char *out, *err;
	size_t out_len, err_len;
};

static void parse(struct opts *o, int argc, char **argv, struct outcome *r)
{
	FILE *out = open_memstream(&r->out, &r->out_len);
	FILE *err = open_memstream(&r->err, &r->err_len);

	FUZZ_CHECK(out && err, "open_memstream failed");
	r->ret = opts_parse(o, argc, argv, out, err);
	fclose(out);
	fclose(err);
}

static bool in_argv(const char *p, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

static void check_run(const struct opts *o, int argc, char **argv, size_t size)
{
	FUZZ_CHECK(o->nr_cell_exclude <= OPTS_MAX_CELL_EXCLUDES, "%u excludes", o->nr_cell_exclude);
	for (unsigned int i = 0; i < o->nr_cell_exclude; i++) {
		const char *n = o->cell_exclude[i];

		FUZZ_CHECK(in_argv(n, argc, argv), "exclude %u not from argv", i);
		FUZZ_CHECK(*n && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, ".."),
			   "bad exclude name '%s' accepted", n);
	}
	FUZZ_CHECK(!o->cell_parent_cgroup ||
			   (*o->cell_parent_cgroup && in_argv(o->cell_parent_cgroup, argc, argv)),
		   "cell_parent_cgroup is empty or not from argv");
	FUZZ_CHECK(*o->sysfs_root, "empty sysfs_root accepted");
	FUZZ_CHECK(*o->stats_socket && strlen(o->stats_socket) < 108, "stats_socket '%s' accepted",
		   o->stats_socket);
	FUZZ_CHECK(o->cell0_min_cpus >= 1 && o->cell0_min_cpus <= 65536, "cell0_min_cpus %u",
		   o->cell0_min_cpus);
	FUZZ_CHECK(o->max_cells >= 2 && o->max_cells <= 256, "max_cells %u", o->max_cells);
	FUZZ_CHECK(o->rebalance_threshold >= 0 && o->rebalance_threshold <= 100,
		   "rebalance_threshold %g", o->rebalance_threshold);
	FUZZ_CHECK(o->rebalance_cooldown_s >= 0 && o->rebalance_cooldown_s <= 86400,
		   "rebalance_cooldown_s %g", o->rebalance_cooldown_s);
	FUZZ_CHECK(o->demand_smoothing > 0 && o->demand_smoothing <= 1, "demand_smoothing %g",
		   o->demand_smoothing);
	FUZZ_CHECK(o->monitor_interval_s > 0 && o->monitor_interval_s <= 3600,
		   "monitor_interval_s %g", o->monitor_interval_s);
	FUZZ_CHECK(o->debounce_ms <= 60000, "debounce_ms %u", o->debounce_ms);
	FUZZ_CHECK(o->slice_us >= 100 && o->slice_us <= 1000000, "slice_us %u", o->slice_us);
	FUZZ_CHECK(o->exit_after_s >= 0 && o->exit_after_s <= 31536000, "exit_after_s %g",
		   o->exit_after_s);
	FUZZ_CHECK(o->monitor_s > 0 && o->monitor_s <= 3600, "monitor_s %g", o->monitor_s);
	FUZZ_CHECK(!(o->monitor && o->dry_run), "--monitor with --dry-run accepted");
	FUZZ_CHECK(o->stats_format == OPTS_STATS_TEXT || o->stats_format == OPTS_STATS_JSON,
		   "stats_format %d", (int)o->stats_format);
	/* each -v costs at least one input byte */
	FUZZ_CHECK(o->verbose >= 0 && (size_t)o->verbose <= size, "verbose %d", o->verbose);
	FUZZ_CHECK(o->test_error_after_ms <= 3600000, "test_error_after_ms %u",
		   o->test_error_after_ms);
}

/* @err holds nothing but --undefok's warnings (one line per ignored option). */
static bool only_undefok_warnings(const char *err)
{
	static const char head[] = "scx_cells: warning: ignoring unknown option '--";
	static const char tail[] = "' (listed in --undefok)";

	while (*err) {
		const char *nl = strchr(err, '\n');
		size_t n = nl ? (size_t)(nl - err) : strlen(err);

		if (!nl || n < sizeof(head) - 1 + sizeof(tail) - 1 ||
		    strncmp(err, head, sizeof(head) - 1) ||
		    strncmp(nl - (sizeof(tail) - 1), tail, sizeof(tail) - 1))
			return false;
		err = nl + 1;
	}
	return true;
}

static void check_outcome(const struct outcome *r)
{
	switch (r->ret) {
	case OPTS_RUN:
		FUZZ_CHECK(!r->out_len && only_undefok_warnings(r->err),
			   "OPTS_RUN printed '%s' / '%s'", r->out, r->err);
		break;
	case OPTS_EXIT_OK:
		FUZZ_CHECK(r->out_len && only_undefok_warnings(r->err),
			   "OPTS_EXIT_OK printed '%s' to err", r->err);
		break;
	case OPTS_EXIT_USAGE:
		FUZZ_CHECK(!r->out_len, "usage error printed '%s' to out", r->out);
		FUZZ_CHECK(!strncmp(r->err, "scx_cells: ", 11), "usage error text '%s'", r->err);
		break;
	default:
		FUZZ_CHECK(0, "opts_parse returned %d", r->ret);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_WORDS + 2];
	struct outcome a = {0}, b = {0};
	struct opts o;
	int argc = 0;

	FUZZ_CHECK(buf, "out of memory");
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "scx_cells";
	/* words end at NUL or '\n'; the last word exists only if bytes follow the last separator */
	for (size_t i = 0, start = 0; i <= size; i++) {
		if (i < size && buf[i] != '\0' && buf[i] != '\n')
			continue;
		if (i == size && start == size)
			break;
		if (argc == MAX_WORDS + 1)
			break;
		buf[i] = '\0';
		argv[argc++] = buf + start;
		start = i + 1;
	}
	argv[argc] = NULL;

	parse(&o, argc, argv, &a);
	check_outcome(&a);
	if (a.ret == OPTS_RUN)
		check_run(&o, argc, argv, size);

	parse(&o, argc, argv, &b);
	FUZZ_CHECK(a.ret == b.ret, "second parse returned %d, first %d", b.ret, a.ret);
	FUZZ_CHECK(a.out_len == b.out_len && !memcmp(a.out, b.out, a.out_len),
		   "second parse printed other help text");
	FUZZ_CHECK(a.err_len == b.err_len && !memcmp(a.err, b.err, a.err_len),
		   "second parse printed '%s', first '%s'", b.err, a.err);

	free(a.out);
	free(a.err);
	free(b.out);
	free(b.err);
	free(buf);
	return 0;
}
