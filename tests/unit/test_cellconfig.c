// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for cellconfig: the --cell-config parser (good files, every kind of bad one with the
 * line/column or rule/field it must name) and glob matching (depth, first match, '*' not crossing
 * '/', descent).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cellconfig.h"

static struct cellconfig *parse_ok(const char *text)
{
	struct cellconfig *c = NULL;
	char err[512] = "";
	int ret = cellconfig_parse(text, strlen(text), "t.json", &c, err, sizeof(err));

	if (ret)
		fprintf(stderr, "unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(c);
	return c;
}

/* Parse @text, expect -EINVAL and a message containing @want. */
static void parse_bad(const char *text, const char *want)
{
	struct cellconfig *c = (struct cellconfig *)1;
	char err[512] = "";
	int ret = cellconfig_parse(text, strlen(text), "t.json", &c, err, sizeof(err));

	if (ret != -EINVAL || !strstr(err, want))
		fprintf(stderr, "input %s\n  got %d '%s', want -EINVAL and '%s'\n", text, ret, err,
			want);
	assert_int_equal(ret, -EINVAL);
	assert_null(c);
	assert_non_null(strstr(err, want));
}

static void test_full_rule(void **state)
{
	struct cellconfig *c = parse_ok(
		"{\"rules\":[{\"match\":\"kubepods.slice/*/pod*\", \"min_cpus\":1, \"max_cpus\":4,\n"
		" \"weight\":300, \"borrow\":false, \"lend\":false, \"latency_sensitive\":true,\n"
		" \"comment\":\"pods\"}]}");
	const struct cellconfig_rule *r = &c->rules[0];

	(void)state;
	assert_int_equal(c->nr_rules, 1);
	assert_int_equal(c->max_depth, 3);
	assert_string_equal(r->match, "kubepods.slice/*/pod*");
	assert_int_equal(r->depth, 3);
	assert_string_equal(r->comp[0], "kubepods.slice");
	assert_string_equal(r->comp[1], "*");
	assert_string_equal(r->comp[2], "pod*");
	assert_int_equal(r->min_cpus, 1);
	assert_int_equal(r->max_cpus, 4);
	assert_int_equal(r->weight, 300);
	assert_false(r->borrow);
	assert_false(r->lend);
	assert_true(r->latency_sensitive);
	cellconfig_free(c);
}

static void test_defaults(void **state)
{
	struct cellconfig *c = parse_ok("{\"rules\":[{\"match\":\"/web.slice\"}]}");
	const struct cellconfig_rule *r = &c->rules[0];

	(void)state;
	assert_string_equal(r->match, "web.slice"); /* the leading '/' is dropped */
	assert_int_equal(r->depth, 1);
	assert_int_equal(r->min_cpus, 0);
	assert_int_equal(r->max_cpus, 0);
	assert_int_equal(r->weight, 0);
	assert_true(r->borrow);
	assert_true(r->lend);
	assert_false(r->latency_sensitive);
	cellconfig_free(c);
}

static void test_empty_rules(void **state)
{
	struct cellconfig *c = parse_ok("{\"rules\":[]}");

	(void)state;
	assert_int_equal(c->nr_rules, 0);
	assert_int_equal(cellconfig_match_path(c, "a"), -1);
	cellconfig_free(c);
}

static void test_syntax_errors_name_line_and_column(void **state)
{
	(void)state;
	parse_bad("{\"rules\":[\n  {\"match\": \"a/*\",}\n]}", "t.json:2:");
	parse_bad("", "t.json:1:");
	parse_bad("{\"rules\":[]} trailing", "t.json:1:");
	parse_bad("{\"rules\":[], \"rules\":[]}", "duplicate");
}

static void test_shape_errors(void **state)
{
	(void)state;
	parse_bad("[]", "top level must be an object");
	parse_bad("{}", "\"rules\": missing");
	parse_bad("{\"rules\":{}}", "must be an array");
	parse_bad("{\"rules\":[], \"rule\":[]}", "unknown top-level field \"rule\"");
	parse_bad("{\"rules\":[1]}", "rules[0]: must be an object");
	parse_bad("{\"rules\":[{}]}", "rules[0].match: missing");
	parse_bad("{\"rules\":[{\"match\":3}]}", "rules[0].match: must be a string");
	parse_bad("{\"rules\":[{\"match\":\"a\"},{\"match\":\"b\",\"wieght\":3}]}",
		  "rules[1]: unknown field \"wieght\"");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"comment\":1}]}", "rules[0].comment");
}

static void test_value_errors_name_rule_and_field(void **state)
{
	(void)state;
	parse_bad("{\"rules\":[{\"match\":\"\"}]}", "rules[0].match: \"\" is empty");
	parse_bad("{\"rules\":[{\"match\":\"/\"}]}", "rules[0].match");
	parse_bad("{\"rules\":[{\"match\":\"a//b\"}]}", "empty component");
	parse_bad("{\"rules\":[{\"match\":\"a/\"}]}", "empty component");
	parse_bad("{\"rules\":[{\"match\":\"a/../b\"}]}", "'..' component");
	parse_bad("{\"rules\":[{\"match\":\"./b\"}]}", "'..' component");
	parse_bad("{\"rules\":[{\"match\":\"a\\u0000b\"}]}", "NUL");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"min_cpus\":0}]}",
		  "rules[0].min_cpus: 0 is out of range (1..65536)");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"max_cpus\":-1}]}", "rules[0].max_cpus");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"max_cpus\":1.5}]}",
		  "rules[0].max_cpus: must be an integer");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"weight\":10001}]}", "rules[0].weight: 10001");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"weight\":\"300\"}]}", "rules[0].weight");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"borrow\":1}]}",
		  "rules[0].borrow: must be true or false");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"lend\":null}]}", "rules[0].lend");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"latency_sensitive\":\"yes\"}]}",
		  "rules[0].latency_sensitive");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"min_cpus\":5,\"max_cpus\":4}]}",
		  "rules[0].min_cpus: 5 is above max_cpus (4)");
	parse_bad("{\"rules\":[{\"match\":\"a\",\"weight\":99999999999999999999}]}", "t.json:1:");
}

static void test_limits(void **state)
{
	char *big = malloc(64 * 1024), *p = big;
	struct cellconfig *c;

	(void)state;
	assert_non_null(big);
	/* 33 components */
	p += sprintf(p, "{\"rules\":[{\"match\":\"");
	for (int i = 0; i < 33; i++)
		p += sprintf(p, "%sx", i ? "/" : "");
	sprintf(p, "\"}]}");
	parse_bad(big, "more than 32 components");
	/* 32 are fine */
	p = big + sprintf(big, "{\"rules\":[{\"match\":\"");
	for (int i = 0; i < 32; i++)
		p += sprintf(p, "%sx", i ? "/" : "");
	sprintf(p, "\"}]}");
	c = parse_ok(big);
	assert_int_equal(c->max_depth, 32);
	cellconfig_free(c);
	/* 257 rules */
	p = big + sprintf(big, "{\"rules\":[");
	for (int i = 0; i < 257; i++)
		p += sprintf(p, "%s{\"match\":\"r%d\"}", i ? "," : "", i);
	sprintf(p, "]}");
	parse_bad(big, "257 rules, at most 256");
	free(big);
}

static void test_match_depth_and_first_wins(void **state)
{
	struct cellconfig *c =
		parse_ok("{\"rules\":["
			 "{\"match\":\"kubepods.slice/*/pod*\",\"weight\":300},"
			 "{\"match\":\"kubepods.slice/kubepods-besteffort.slice/*\"},"
			 "{\"match\":\"*.slice\"},"
			 "{\"match\":\"kubepods.slice/*/pod1\"}]}");

	(void)state;
	/* depth: a rule of 3 components matches only 3 levels down */
	assert_int_equal(cellconfig_match_path(c, "kubepods.slice/burstable.slice/pod1"), 0);
	assert_int_equal(cellconfig_match_path(c, "kubepods.slice/burstable.slice"), -1);
	assert_int_equal(cellconfig_match_path(c, "kubepods.slice/burstable.slice/pod1/c1"), -1);
	/* overlap: rules 0, 1 and 3 all match; the first wins */
	assert_int_equal(cellconfig_match_path(c, "kubepods.slice/kubepods-besteffort.slice/podx"),
			 0);
	assert_int_equal(cellconfig_match_path(c, "kubepods.slice/kubepods-besteffort.slice/other"),
			 1);
	/* '*' does not cross '/': "*.slice" is one level only */
	assert_int_equal(cellconfig_match_path(c, "kubepods.slice"), 2);
	assert_int_equal(cellconfig_match_path(c, "a/b.slice"), -1);
	assert_int_equal(cellconfig_match_path(c, "system.slice"), 2);
	cellconfig_free(c);
}

static void test_star_never_crosses_slash(void **state)
{
	struct cellconfig *c = parse_ok("{\"rules\":[{\"match\":\"a/*\"},{\"match\":\"b/p?d\"},"
					"{\"match\":\"c/[xy]*\"}]}");

	(void)state;
	assert_int_equal(cellconfig_match_path(c, "a/x"), 0);
	assert_int_equal(cellconfig_match_path(c, "a/x/y"), -1);
	assert_int_equal(cellconfig_match_path(c, "b/pod"), 1);
	assert_int_equal(cellconfig_match_path(c, "b/p/d"), -1);
	assert_int_equal(cellconfig_match_path(c, "c/yes"), 2);
	assert_int_equal(cellconfig_match_path(c, "c/no"), -1);
	cellconfig_free(c);
}

static void test_may_descend(void **state)
{
	struct cellconfig *c = parse_ok("{\"rules\":[{\"match\":\"kubepods.slice/*/pod*\"},"
					"{\"match\":\"web.slice\"}]}");
	const char *k[] = {"kubepods.slice", "burstable.slice", "pod1"};
	const char *w[] = {"web.slice"};
	const char *o[] = {"other.slice"};

	(void)state;
	assert_true(cellconfig_may_descend(c, k, 0)); /* the root */
	assert_true(cellconfig_may_descend(c, k, 1));
	assert_true(cellconfig_may_descend(c, k, 2));
	assert_false(cellconfig_may_descend(c, k, 3)); /* nothing deeper than 3 */
	assert_false(cellconfig_may_descend(c, w, 1)); /* web.slice rule has depth 1 */
	assert_false(cellconfig_may_descend(c, o, 1));
	assert_int_equal(cellconfig_match(c, k, 3), 0);
	assert_int_equal(cellconfig_match(c, w, 1), 1);
	cellconfig_free(c);
}

static void test_single_and_equal(void **state)
{
	struct cellconfig *a, *b, *d;

	(void)state;
	assert_int_equal(cellconfig_single(&a), 0);
	assert_int_equal(a->nr_rules, 1);
	assert_int_equal(cellconfig_match_path(a, "anything"), 0);
	assert_int_equal(cellconfig_match_path(a, "any/thing"), -1);
	b = parse_ok("{\"rules\":[{\"match\":\"*\"}]}");
	d = parse_ok("{\"rules\":[{\"match\":\"*\",\"lend\":false}]}");
	assert_true(cellconfig_equal(a, b));
	assert_false(cellconfig_equal(a, d));
	assert_false(cellconfig_equal(a, NULL));
	assert_true(cellconfig_equal(NULL, NULL));
	cellconfig_free(a);
	cellconfig_free(b);
	cellconfig_free(d);
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_cellconfig.XXXXXX", err[512];
	struct cellconfig *c;
	int fd = mkstemp(path);
	const char *text =
		"{\"rules\": [\n  {\"match\": \"a/*\"},\n  {\"match\": \"b\", \"x\": 1}\n]}\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(cellconfig_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "rules[1]: unknown field \"x\""));
	unlink(path);
	assert_int_equal(cellconfig_load(path, &c, err, sizeof(err)), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, "cannot open the cell config"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_rules),
		cmocka_unit_test(test_syntax_errors_name_line_and_column),
		cmocka_unit_test(test_shape_errors),
		cmocka_unit_test(test_value_errors_name_rule_and_field),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_match_depth_and_first_wins),
		cmocka_unit_test(test_star_never_crosses_slash),
		cmocka_unit_test(test_may_descend),
		cmocka_unit_test(test_single_and_equal),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
