// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for metrics: the scx_stats "stats" and "stats_meta" replies, the Prometheus text
 * exposition, and the request parser. Replies are parsed back with jansson and checked field by
 * field; every value in a stats reply must be described by stats_meta.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

#define L ((size_t)-1)

static const struct metrics_cell sample_cells[] = {
	{.id = 0,
	 .cgroup = "(root)",
	 .cpus = "0-1",
	 .num_cpus = 2,
	 .util_pct = 48.25,
	 .smoothed_util_pct = 25.4,
	 .lent_pct = 24.7,
	 .cpus_used = 0.96},
	{.id = 3,
	 .cgroup = "we\"ird\\name\n",
	 .cpus = "2",
	 .num_cpus = 1,
	 .util_pct = 245.7,
	 .demand_borrow_pct = 59.6,
	 .cpus_used = 2.46,
	 .cpus_waiting = 0.53},
};

static struct metrics_snapshot sample(void)
{
	struct metrics_snapshot s = {
		.start_time_seconds = 1764630000.5,
		.uptime_seconds = 12.3456,
		.plans_applied = 3,
		.rebalance_count = 1,
		.cell_q_pct = 70.3,
		.borrowed_pct = 8.4,
		.bpf = {.placed_idle = 11, .reclaim_preemptions = 7, .slice_shrinks = 4},
		.num_cells = 2,
		.cells = sample_cells,
	};
	return s;
}

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);

	if (!o)
		print_error("not JSON (%s): %s\n", jerr.text, text);
	assert_non_null(o);
	return o;
}

static void test_stats_reply(void **state)
{
	struct metrics_snapshot s = sample();
	char *resp = metrics_stats_json(&s), *line;
	json_t *o, *cells, *c3;

	(void)state;
	assert_non_null(resp);
	line = scxstats_reply(resp);
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	o = load(line);
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), 0);
	json_t *r = json_object_get(json_object_get(o, "args"), "resp");
	/* scx_mitosis's names for the same quantities */
	assert_int_equal(json_integer_value(json_object_get(r, "num_cells")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "rebalance_count")), 1);
	assert_true(json_real_value(json_object_get(r, "borrowed_pct")) == 8.4);
	assert_int_equal(json_integer_value(json_object_get(r, "reclaim_preemptions")), 7);
	assert_int_equal(json_integer_value(json_object_get(r, "slice_shrinks")), 4);
	assert_true(json_real_value(json_object_get(r, "uptime_seconds")) == 12.346);
	cells = json_object_get(r, "cells");
	assert_true(json_is_object(cells));
	assert_int_equal(json_object_size(cells), 2);
	c3 = json_object_get(cells, "3");
	assert_non_null(c3);
	assert_string_equal(json_string_value(json_object_get(c3, "cgroup")), "we\"ird\\name\n");
	assert_int_equal(json_integer_value(json_object_get(c3, "num_cpus")), 1);
	assert_true(json_real_value(json_object_get(c3, "util_pct")) == 245.7);
	assert_true(json_real_value(json_object_get(c3, "demand_borrow_pct")) == 59.6);
	assert_non_null(json_object_get(c3, "lent_pct"));
	assert_non_null(json_object_get(c3, "smoothed_util_pct"));
	json_decref(o);
	free(line);
	free(resp);
}

static void test_nonfinite_is_zero(void **state)
{
	struct metrics_cell c = {.id = 1, .cgroup = "x", .util_pct = 0.0 / 0.0};
	struct metrics_snapshot s = {.uptime_seconds = 1.0 / 0.0, .num_cells = 1, .cells = &c};
	char *resp = metrics_stats_json(&s);
	json_t *o;

	(void)state;
	assert_non_null(resp);
	o = load(resp);
	assert_true(json_real_value(json_object_get(o, "uptime_seconds")) == 0.0);
	json_decref(o);
	free(resp);
}

/* Every field of a stats reply is described in stats_meta with a matching datum type. */
static void check_described(json_t *values, json_t *meta_fields)
{
	const char *key;
	json_t *v;

	json_object_foreach(values, key, v)
	{
		json_t *m = json_object_get(meta_fields, key);
		const char *datum;

		if (!m)
			print_error("field %s has no stats_meta entry\n", key);
		assert_non_null(m);
		if (json_is_object(v))
			continue; /* the cells dict */
		datum = json_string_value(json_object_get(m, "datum"));
		assert_non_null(datum);
		assert_non_null(json_string_value(json_object_get(m, "desc")));
		if (json_is_string(v))
			assert_string_equal(datum, "string");
		else if (json_is_integer(v))
			assert_string_equal(datum, "u64");
		else
			assert_string_equal(datum, "float");
	}
	assert_int_equal(json_object_size(values), json_object_size(meta_fields));
}

static void test_meta_describes_stats(void **state)
{
	struct metrics_snapshot s = sample();
	char *meta = metrics_meta_json(), *resp = metrics_stats_json(&s);
	json_t *m, *r, *top, *cell, *dict;

	(void)state;
	assert_non_null(meta);
	m = load(meta);
	r = load(resp);
	top = json_object_get(m, "Metrics");
	cell = json_object_get(m, "CellMetrics");
	assert_non_null(top);
	assert_non_null(cell);
	assert_string_equal(json_string_value(json_object_get(top, "top")), "true");
	assert_string_equal(json_string_value(json_object_get(top, "name")), "Metrics");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(top, "user"), "_om_prefix")),
		"scx_cells_");
	/* the cell label scxstats_to_openmetrics needs for the per-cell dict */
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(cell, "user"), "_om_label")),
		"cell");
	dict = json_object_get(json_object_get(json_object_get(top, "fields"), "cells"), "dict");
	assert_string_equal(json_string_value(json_object_get(dict, "key")), "u64");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(dict, "datum"), "struct")),
		"CellMetrics");
	check_described(r, json_object_get(top, "fields"));
	check_described(json_object_get(json_object_get(r, "cells"), "0"),
			json_object_get(cell, "fields"));
	/* strings are skipped by OpenMetrics converters */
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(json_object_get(cell, "fields"), "cgroup"),
					"user"),
			"_om_skip")),
		"true");
	json_decref(m);
	json_decref(r);
	free(meta);
	free(resp);
}

static char *openmetrics(const struct metrics_snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics_openmetrics(f, s), 0);
	fclose(f);
	return buf;
}

static void test_openmetrics(void **state)
{
	struct metrics_snapshot s = sample();
	char *t = openmetrics(&s);

	(void)state;
	assert_non_null(strstr(t, "# TYPE scx_cells_plans_applied_total counter\n"
				  "scx_cells_plans_applied_total 3\n"));
	assert_non_null(strstr(t, "# TYPE scx_cells_num_cells gauge\nscx_cells_num_cells 2\n"));
	assert_non_null(strstr(t, "scx_cells_rebalance_count_total 1\n"));
	assert_non_null(strstr(t, "scx_cells_start_time_seconds 1764630000.5\n"));
	assert_non_null(strstr(t, "scx_cells_cell_util_pct{cell=\"0\",cgroup=\"(root)\"} 48.25\n"));
	/* label values escaped: quote, backslash, newline */
	assert_non_null(strstr(
		t, "scx_cells_cell_num_cpus{cell=\"3\",cgroup=\"we\\\"ird\\\\name\\n\"} 1\n"));
	/* strings are not metrics */
	assert_null(strstr(t, "scx_cells_cell_cgroup"));
	assert_null(strstr(t, "scx_cells_cell_cpus{"));
	/* one HELP and one TYPE per metric name */
	assert_null(strstr(strstr(t, "# TYPE scx_cells_cell_util_pct") + 1,
			   "# TYPE scx_cells_cell_util_pct"));
	free(t);
}

static void parse_ok(const char *line, enum scxstats_req_kind kind, const char *target)
{
	struct scxstats_req req;
	char err[256] = "";
	int ret = scxstats_parse_request(line, strlen(line), &req, err, sizeof(err));

	if (ret)
		print_error("%s: %s\n", line, err);
	assert_int_equal(ret, 0);
	assert_int_equal(req.kind, kind);
	if (target)
		assert_string_equal(req.target, target);
}

static void test_parse_requests(void **state)
{
	(void)state;
	parse_ok("{\"req\":\"stats\",\"args\":{\"target\":\"top\"}}\n", SCXSTATS_STATS, "top");
	parse_ok("{\"req\":\"stats\",\"args\":{}}", SCXSTATS_STATS, "top");
	parse_ok("{\"req\":\"stats\"}", SCXSTATS_STATS, "top");
	parse_ok("{\"req\":\"stats\",\"args\":{\"target\":\"text\",\"x\":\"y\"}}", SCXSTATS_STATS,
		 "text");
	parse_ok("  {\"args\":null, \"req\":\"stats_meta\"}  \n", SCXSTATS_STATS_META, NULL);
}

/* @len (size_t)-1: strlen(@line) */
static void parse_bad(const char *line, size_t len, const char *why)
{
	struct scxstats_req req;
	char err[256] = "";

	if (len == (size_t)-1)
		len = strlen(line);

	assert_int_equal(scxstats_parse_request(line, len, &req, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		print_error("%.*s: error \"%s\" lacks \"%s\"\n", (int)len, line, err, why);
	assert_non_null(strstr(err, why));
}

static void test_parse_bad(void **state)
{
	static const char nul[] = "{\"req\":\"st\0ats\"}";
	char *big = malloc(SCXSTATS_MAX_REQUEST + 10);

	(void)state;
	parse_bad("", L, "not JSON");
	parse_bad("stats", L, "not JSON");
	parse_bad("[\"stats\"]", L, "not a JSON object");
	parse_bad("{}", L, "no \"req\"");
	parse_bad("{\"req\":1}", L, "no \"req\"");
	parse_bad("{\"req\":\"stat\"}", L, "unknown request \"stat\"");
	parse_bad("{\"req\":\"stats\",\"args\":[]}", L, "\"args\" is not an object");
	parse_bad("{\"req\":\"stats\",\"args\":{\"target\":1}}", L, "argument \"target\"");
	parse_bad("{\"req\":\"stats\",\"req\":\"stats\"}", L, "not JSON");
	parse_bad(
		"{\"req\":\"stats\",\"args\":{\"target\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
		L, "target too long");
	parse_bad(nul, sizeof(nul) - 1, "not JSON");
	memset(big, ' ', SCXSTATS_MAX_REQUEST + 10);
	parse_bad(big, SCXSTATS_MAX_REQUEST + 10, "longer than");
	free(big);
}

static void test_error_reply(void **state)
{
	char *line = scxstats_error_reply(EINVAL, "unknown request \"\xc3\xa9\"\n");
	json_t *o;

	(void)state;
	assert_non_null(line);
	o = load(line);
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), EINVAL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "args"), "resp")),
			    "unknown request \"??\"?");
	json_decref(o);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_reply),
		cmocka_unit_test(test_nonfinite_is_zero),
		cmocka_unit_test(test_meta_describes_stats),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_parse_requests),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_error_reply),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
