// SPDX-License-Identifier: GPL-2.0
/* Unit tests for retry: the backoff of failed re-plans (#13 item 10b) on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "retry.h"

#define MS 1000000ull
#define S  1000000000ull

/* 100 ms, 200, 400, ..., 3.2 s, then 5 s for as long as it fails. */
static void test_backoff_doubles_to_cap(void **state)
{
	static const uint64_t want[] = {100 * MS,  200 * MS, 400 * MS, 800 * MS, 1600 * MS,
					3200 * MS, 5 * S,    5 * S,    5 * S};
	struct retry r;
	uint64_t now = 10 * S;

	(void)state;
	retry_init(&r, RETRY_MIN_NS, RETRY_MAX_NS);
	assert_false(retry_pending(&r));
	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t d = retry_failed(&r, now);

		assert_int_equal(d, want[i]);
		assert_true(retry_pending(&r));
		assert_false(retry_due(&r, now + d - 1));
		assert_true(retry_due(&r, now + d));
		now += d;
		retry_start(&r);
		assert_false(retry_pending(&r));
	}
	assert_int_equal(r.failures, 9);
}

/* A success, by the retry or by an unrelated re-plan, ends the series. */
static void test_success_resets(void **state)
{
	struct retry r;

	(void)state;
	retry_init(&r, RETRY_MIN_NS, RETRY_MAX_NS);
	assert_int_equal(retry_failed(&r, 0), 100 * MS);
	assert_int_equal(retry_failed(&r, 0), 200 * MS);
	retry_succeeded(&r);
	assert_false(retry_pending(&r));
	assert_false(retry_due(&r, 100 * S));
	assert_int_equal(r.failures, 0);
	assert_int_equal(retry_failed(&r, 0), 100 * MS);
}

/* Degenerate configurations are fixed up, never a zero delay or a shrinking one. */
static void test_bad_cfg(void **state)
{
	struct retry r;

	(void)state;
	retry_init(&r, 0, 0);
	assert_int_equal(retry_failed(&r, 0), 1);
	assert_int_equal(retry_failed(&r, 0), 1);
	retry_init(&r, 3 * S, 1 * S);
	assert_int_equal(retry_failed(&r, 0), 3 * S);
	assert_int_equal(retry_failed(&r, 0), 3 * S);
	/* no overflow near the top of the range */
	retry_init(&r, UINT64_MAX / 2 + 1, UINT64_MAX);
	assert_int_equal(retry_failed(&r, 0), UINT64_MAX / 2 + 1);
	assert_int_equal(retry_failed(&r, 0), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_cap),
		cmocka_unit_test(test_success_resets),
		cmocka_unit_test(test_bad_cfg),
	};

	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
