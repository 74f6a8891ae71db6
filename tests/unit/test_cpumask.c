// SPDX-License-Identifier: GPL-2.0
/* Unit tests for cpumask: parse/format round trips, strict errors, big masks, algebra. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpumask.h"

static struct cpumask *parse_ok(unsigned int nbits, const char *s)
{
	struct cpumask *m = cpumask_alloc(nbits);
	char err[256] = "";
	int ret;

	assert_non_null(m);
	ret = cpumask_parse(m, s, err, sizeof(err));
	if (ret)
		print_error("parse of '%s' failed: %s\n", s, err);
	assert_int_equal(ret, 0);
	return m;
}

static void assert_format(const struct cpumask *m, const char *want)
{
	char buf[4096];
	size_t n = cpumask_format(m, buf, sizeof(buf));

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_alloc_bounds(void **state)
{
	(void)state;
	assert_null(cpumask_alloc(0));
	assert_null(cpumask_alloc(CPUMASK_MAX_CPUS + 1));
	struct cpumask *m = cpumask_alloc(CPUMASK_MAX_CPUS);
	assert_non_null(m);
	assert_true(cpumask_empty(m));
	cpumask_fill(m);
	assert_int_equal(cpumask_weight(m), CPUMASK_MAX_CPUS);
	cpumask_free(m);
}

static void test_round_trips(void **state)
{
	static const char *const cases[] = {
		"",	   "0",	     "5",    "0-3",   "0-3,8-11",
		"1,3,5,7", "0-63",   "0-64", "63-64", "0,2-4,6,8-127",
		"127",	   "64-127", "1-2",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cpumask *m = parse_ok(128, cases[i]);

		assert_format(m, cases[i]);
		cpumask_free(m);
	}
}

static void test_parse_normalises(void **state)
{
	(void)state;
	struct cpumask *m = parse_ok(16, "3,1-2,0\n");
	assert_format(m, "0-3");
	cpumask_free(m);
	m = parse_ok(16, "\n");
	assert_true(cpumask_empty(m));
	cpumask_free(m);
	m = parse_ok(16, "2-2,2,1-3");
	assert_format(m, "1-3");
	cpumask_free(m);
	m = parse_ok(16, "007");
	assert_format(m, "7");
	cpumask_free(m);
}

struct bad_case {
	const char *s;
	int ret;
	const char *msg_part;
};

static void test_parse_errors(void **state)
{
	static const struct bad_case cases[] = {
		{"3-1", -EINVAL, "range end 1 is below start 3"},
		{"a", -EINVAL, "'a'"},
		{"1,,2", -EINVAL, "offset 2"},
		{",1", -EINVAL, "offset 0"},
		{"1,", -EINVAL, "trailing ','"},
		{"1,\n", -EINVAL, "trailing ','"},
		{"1-", -EINVAL, "no end"},
		{"-1", -EINVAL, "'-'"},
		{" 1", -EINVAL, "whitespace"},
		{"1, 2", -EINVAL, "whitespace"},
		{"1 ", -EINVAL, "whitespace"},
		{"1 -2", -EINVAL, "whitespace"},
		{"1- 2", -EINVAL, "no end"},
		{"16", -ERANGE, "CPU 16 is out of range"},
		{"0-16", -ERANGE, "CPU 16"},
		{"99999999999999999999999", -ERANGE, "out of range"},
		{"4294967297", -ERANGE, "out of range"},
		{"1x", -EINVAL, "'x'"},
		{"1\n\n", -EINVAL, "'\\n'"},
		{"1\x01", -EINVAL, "byte 0x01"},
		{"1\n\n", -EINVAL, "'1\\n': unexpected"},
		{"1-3:2", -EINVAL, "':'"},
		{"+1", -EINVAL, "'+'"},
		{"1;2", -EINVAL, "';'"},
		{"\t", -EINVAL, "whitespace"},
		{"1-2-3", -EINVAL, "'-'"},
	};
	(void)state;
	struct cpumask *m = cpumask_alloc(16);
	assert_non_null(m);
	{
		/* Long inputs are cut in the message, which stays one line. */
		char longin[300], err[512];

		memset(longin, '1', sizeof(longin) - 2);
		longin[sizeof(longin) - 2] = 'x';
		longin[sizeof(longin) - 1] = '\0';
		assert_int_equal(cpumask_parse(m, longin, err, sizeof(err)), -ERANGE);
		assert_non_null(strstr(err, "...'"));
		assert_true(strlen(err) < 200);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";

		cpumask_set(m, 5); /* must be cleared even on error */
		int ret = cpumask_parse(m, cases[i].s, err, sizeof(err));
		if (ret != cases[i].ret || !strstr(err, cases[i].msg_part) || strchr(err, '\n') ||
		    strncmp(err, "invalid cpulist '", 17)) {
			print_error(
				"case '%s': ret %d (want %d), message \"%s\" (want it to contain \"%s\", one line)\n",
				cases[i].s, ret, cases[i].ret, err, cases[i].msg_part);
			cpumask_free(m);
			fail();
		}
		assert_true(cpumask_empty(m));
		/* NULL err and tiny err buffers are fine too. */
		assert_int_equal(cpumask_parse(m, cases[i].s, NULL, 0), cases[i].ret);
		char tiny[4];
		assert_int_equal(cpumask_parse(m, cases[i].s, tiny, sizeof(tiny)), cases[i].ret);
		assert_true(strlen(tiny) < sizeof(tiny));
	}
	cpumask_free(m);
}

static void test_big_masks(void **state)
{
	(void)state;
	struct cpumask *m = parse_ok(8192, "0-4095,4097,5000-8191");
	assert_int_equal(cpumask_weight(m), 4096 + 1 + 3192);
	assert_true(cpumask_test(m, 4095));
	assert_false(cpumask_test(m, 4096));
	assert_true(cpumask_test(m, 4097));
	assert_false(cpumask_test(m, 4098));
	assert_true(cpumask_test(m, 8191));
	assert_false(cpumask_test(m, 8192)); /* out of range reads false */
	assert_format(m, "0-4095,4097,5000-8191");
	cpumask_free(m);

	m = parse_ok(CPUMASK_MAX_CPUS, "0-65535");
	assert_int_equal(cpumask_weight(m), 65536);
	assert_int_equal(cpumask_first(m), 0);
	assert_int_equal(cpumask_next(m, 65534), 65535);
	assert_int_equal(cpumask_next(m, 65535), -1);
	cpumask_free(m);

	/* Odd size: fill must not set bits past nbits. */
	m = cpumask_alloc(4099);
	cpumask_fill(m);
	assert_int_equal(cpumask_weight(m), 4099);
	assert_format(m, "0-4098");
	struct cpumask *n = parse_ok(4099, "0-4098");
	assert_true(cpumask_equal(m, n));
	cpumask_free(n);
	cpumask_free(m);
}

static void test_set_clear_ignore_out_of_range(void **state)
{
	(void)state;
	struct cpumask *m = cpumask_alloc(70);
	cpumask_set(m, 70);
	cpumask_set(m, 1000);
	assert_true(cpumask_empty(m));
	cpumask_set(m, 69);
	cpumask_clear(m, 70);
	assert_int_equal(cpumask_weight(m), 1);
	cpumask_clear(m, 69);
	assert_true(cpumask_empty(m));
	cpumask_free(m);
}

static void test_algebra(void **state)
{
	(void)state;
	struct cpumask *a = parse_ok(200, "0-99");
	struct cpumask *b = parse_ok(200, "50-149");
	struct cpumask *d = cpumask_alloc(200);

	cpumask_and(d, a, b);
	assert_format(d, "50-99");
	cpumask_or(d, a, b);
	assert_format(d, "0-149");
	cpumask_andnot(d, a, b);
	assert_format(d, "0-49");
	cpumask_xor(d, a, b);
	assert_format(d, "0-49,100-149");
	assert_true(cpumask_intersects(a, b));
	assert_false(cpumask_subset(a, b));
	cpumask_and(d, a, b);
	assert_true(cpumask_subset(d, a));
	assert_true(cpumask_subset(d, b));

	/* Aliasing: dst == a. */
	struct cpumask *c = cpumask_dup(a);
	cpumask_andnot(c, c, b);
	assert_format(c, "0-49");
	cpumask_or(c, c, c);
	assert_format(c, "0-49");
	cpumask_xor(c, c, c);
	assert_true(cpumask_empty(c));
	assert_false(cpumask_intersects(c, a));
	assert_true(cpumask_subset(c, a)); /* empty is a subset of anything */

	/* equal / copy / zero / fill */
	cpumask_copy(c, b);
	assert_true(cpumask_equal(c, b));
	assert_false(cpumask_equal(c, a));
	cpumask_zero(c);
	assert_true(cpumask_empty(c));
	cpumask_fill(c);
	assert_int_equal(cpumask_weight(c), 200);
	struct cpumask *other = cpumask_alloc(201);
	struct cpumask *small = cpumask_alloc(200);
	assert_false(cpumask_equal(other, small)); /* different sizes are never equal */
	cpumask_free(small);
	cpumask_free(other);

	cpumask_free(a);
	cpumask_free(b);
	cpumask_free(c);
	cpumask_free(d);
}

static void test_iteration(void **state)
{
	(void)state;
	struct cpumask *m = parse_ok(300, "0,63,64,127,128,255,299");
	int want[] = {0, 63, 64, 127, 128, 255, 299};
	int i = 0;

	cpumask_for_each(cpu, m) {
		assert_true(i < 7);
		assert_int_equal(cpu, want[i]);
		i++;
	}
	assert_int_equal(i, 7);
	assert_int_equal(cpumask_next(m, -1), 0);
	assert_int_equal(cpumask_next(m, 0), 63);
	assert_int_equal(cpumask_next(m, 299), -1);
	assert_int_equal(cpumask_next(m, 5000), -1);
	cpumask_zero(m);
	assert_int_equal(cpumask_first(m), -1);
	cpumask_for_each(cpu, m) {
		(void)cpu;
		fail_msg("iteration over an empty mask visited a CPU");
	}
	cpumask_free(m);
}

static void test_format_truncation(void **state)
{
	(void)state;
	struct cpumask *m = parse_ok(64, "0-3,8-11,20");
	const char *full = "0-3,8-11,20";
	char buf[64];

	for (size_t len = 0; len <= strlen(full) + 2; len++) {
		memset(buf, 'X', sizeof(buf));
		size_t n = cpumask_format(m, buf, len);
		assert_int_equal(n, strlen(full));
		if (len == 0) {
			assert_int_equal(buf[0], 'X'); /* nothing written */
			continue;
		}
		size_t want_len = len - 1 < strlen(full) ? len - 1 : strlen(full);
		assert_int_equal(strlen(buf), want_len);
		assert_memory_equal(buf, full, want_len);
	}
	assert_int_equal(cpumask_format(m, NULL, 0), strlen(full));
	cpumask_free(m);
}

/* cpumask_str(): the whole list when it fits, cut with "..." when not, "-" for NULL. */
static void test_str(void **state)
{
	(void)state;
	struct cpumask *m = parse_ok(64, "0-3,8-11,20");
	char buf[12], small[4];

	assert_string_equal(cpumask_str(m, buf, sizeof(buf)), "0-3,8-11,20");
	assert_string_equal(cpumask_str(m, buf, 11), "0-3,8-1...");
	assert_string_equal(cpumask_str(m, small, sizeof(small)), "0-3"); /* too short to cut */
	assert_string_equal(cpumask_str(NULL, buf, sizeof(buf)), "-");
	cpumask_zero(m);
	assert_string_equal(cpumask_str(m, buf, sizeof(buf)), "");
	cpumask_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_bounds),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_parse_normalises),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_big_masks),
		cmocka_unit_test(test_set_clear_ignore_out_of_range),
		cmocka_unit_test(test_algebra),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_format_truncation),
		cmocka_unit_test(test_str),
	};
	return cmocka_run_group_tests_name("cpumask", tests, NULL, NULL);
}
