// SPDX-License-Identifier: GPL-2.0
/* Unit tests for debounce: a fake clock drives the state machine through bursts and streams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "debounce.h"

#define MS 1000000ull
#define S  1000000000ull

/* window 100 ms, max latency 1 s, at most one action per 2 s */
static void init_std(struct debounce *d)
{
	struct debounce_cfg cfg = {
		.window_ns = 100 * MS,
		.max_latency_ns = 1 * S,
		.min_interval_ns = 2 * S,
	};
	char err[256] = "";
	int ret = debounce_init(d, &cfg, err, sizeof(err));

	if (ret)
		print_error("debounce_init failed: %s\n", err);
	assert_int_equal(ret, 0);
}

static void test_bad_cfg(void **state)
{
	struct debounce d;
	struct debounce_cfg cfg = {.window_ns = 2 * S, .max_latency_ns = 1 * S};
	char err[256] = "";

	(void)state;
	assert_int_equal(debounce_init(&d, &cfg, err, sizeof(err)), -EINVAL);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "max latency"));
}

static void test_idle(void **state)
{
	struct debounce d;

	(void)state;
	init_std(&d);
	assert_false(debounce_pending(&d));
	assert_true(debounce_deadline(&d) == DEBOUNCE_NEVER);
	assert_true(debounce_timeout(&d, 5 * S) == DEBOUNCE_NEVER);
	assert_false(debounce_fire(&d, 100 * S));
	assert_int_equal(d.nr_fires, 0);
}

static void test_single_event(void **state)
{
	struct debounce d;
	uint64_t t0 = 10 * S;

	(void)state;
	init_std(&d);
	debounce_event(&d, t0);
	assert_true(debounce_pending(&d));
	assert_int_equal(debounce_deadline(&d), t0 + 100 * MS);
	assert_int_equal(debounce_timeout(&d, t0 + 30 * MS), 70 * MS);
	/* early wake-up: must not act */
	assert_false(debounce_fire(&d, t0 + 99 * MS));
	assert_true(debounce_pending(&d));
	assert_true(debounce_fire(&d, t0 + 100 * MS));
	assert_false(debounce_pending(&d));
	assert_false(debounce_fire(&d, t0 + 200 * MS));
	assert_int_equal(d.nr_fires, 1);
}

static void test_burst_coalesced(void **state)
{
	struct debounce d;
	uint64_t t = 0;
	unsigned int fires = 0;

	(void)state;
	init_std(&d);
	/* 50 events 10 ms apart: each pushes the window; one fire at last + 100 ms */
	for (int i = 0; i < 50; i++) {
		t = 1 * S + (uint64_t)i * 10 * MS;
		if (debounce_fire(&d, t))
			fires++;
		debounce_event(&d, t);
	}
	/* last event at 1.49 s; max latency would be 2.0 s; window says 1.59 s */
	assert_int_equal(debounce_deadline(&d), t + 100 * MS);
	for (uint64_t now = t; now <= t + 5 * S; now += 1 * MS)
		if (debounce_fire(&d, now))
			fires++;
	assert_int_equal(fires, 1);
	assert_int_equal(d.nr_events, 50);
}

static void test_stream_fires_by_max_latency(void **state)
{
	struct debounce d;
	uint64_t first = 3 * S, fired_at = 0;

	(void)state;
	init_std(&d);
	/* an event every 50 ms forever: the window never closes */
	for (uint64_t now = first; now < first + 3 * S; now += 50 * MS) {
		debounce_event(&d, now);
		if (!fired_at && debounce_fire(&d, now))
			fired_at = now;
	}
	print_message("first fire at +%llu ms\n", (unsigned long long)(fired_at - first) / MS);
	assert_true(fired_at != 0);
	assert_int_equal(fired_at, first + 1 * S);
}

/* Event loop simulation: the daemon sleeps until min(next event, deadline). */
static unsigned int simulate(struct debounce *d, uint64_t start, uint64_t span, uint64_t step,
			     uint64_t *min_gap)
{
	uint64_t next_ev = start, now = start, prev_fire = 0;
	unsigned int fires = 0;

	*min_gap = UINT64_MAX;
	while (now < start + span) {
		uint64_t dl = debounce_deadline(d);

		now = next_ev < dl ? next_ev : dl;
		if (now >= start + span)
			break;
		if (debounce_fire(d, now)) {
			if (fires && now - prev_fire < *min_gap)
				*min_gap = now - prev_fire;
			prev_fire = now;
			fires++;
		}
		if (now == next_ev) {
			debounce_event(d, now);
			next_ev += step;
		}
	}
	return fires;
}

static void test_rate_bound(void **state)
{
	struct debounce d;
	uint64_t span = 60 * S, gap;
	unsigned int fires, bound = (unsigned int)(span / (2 * S)) + 1;

	(void)state;
	init_std(&d);
	/* 12000 events over 60 s (one every 5 ms) */
	fires = simulate(&d, 7 * S, span, 5 * MS, &gap);
	print_message("%u fires over 60 s, bound %u, min gap %llu ms\n", fires, bound,
		      (unsigned long long)gap / MS);
	assert_true(fires >= 2);
	assert_true(fires <= bound);
	assert_true(gap >= 2 * S);
	assert_int_equal(d.nr_events, 12000);
}

static void test_rate_wins_over_latency(void **state)
{
	struct debounce d;
	uint64_t t = 0;

	(void)state;
	init_std(&d);
	debounce_event(&d, t);
	assert_true(debounce_fire(&d, 100 * MS));
	/* next burst right after: window says 250 ms, rate bound says 2.1 s */
	debounce_event(&d, 150 * MS);
	assert_int_equal(debounce_deadline(&d), 100 * MS + 2 * S);
	assert_false(debounce_fire(&d, 1150 * MS));
	assert_true(debounce_fire(&d, 2100 * MS));
}

static void test_late_wakeup_and_clock_confusion(void **state)
{
	struct debounce d;

	(void)state;
	init_std(&d);
	debounce_event(&d, 5 * S);
	/* daemon wakes long after the deadline: timeout 0, fire works */
	assert_int_equal(debounce_timeout(&d, 9 * S), 0);
	assert_true(debounce_fire(&d, 9 * S));
	/* an event stamped before the previous fire must not create a deadline in the past
	 * relative to the rate bound, nor pull an existing deadline backwards */
	debounce_event(&d, 8 * S);
	assert_int_equal(debounce_deadline(&d), 11 * S);
	debounce_event(&d, 10 * S);
	uint64_t dl = debounce_deadline(&d);
	debounce_event(&d, 9500 * MS);
	assert_int_equal(debounce_deadline(&d), dl);
	assert_true(debounce_deadline(&d) >= 11 * S);
}

static void test_zero_window(void **state)
{
	struct debounce d;
	struct debounce_cfg cfg = {0};

	(void)state;
	assert_int_equal(debounce_init(&d, &cfg, NULL, 0), 0);
	debounce_event(&d, 42);
	assert_int_equal(debounce_timeout(&d, 42), 0);
	assert_true(debounce_fire(&d, 42));
	/* saturating arithmetic: huge settings never wrap to an early deadline */
	cfg.window_ns = UINT64_MAX - 5;
	cfg.max_latency_ns = UINT64_MAX;
	assert_int_equal(debounce_init(&d, &cfg, NULL, 0), 0);
	debounce_event(&d, 100);
	assert_true(debounce_deadline(&d) == UINT64_MAX);
	assert_false(debounce_fire(&d, 1000 * S));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_cfg),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_single_event),
		cmocka_unit_test(test_burst_coalesced),
		cmocka_unit_test(test_stream_fires_by_max_latency),
		cmocka_unit_test(test_rate_bound),
		cmocka_unit_test(test_rate_wins_over_latency),
		cmocka_unit_test(test_late_wakeup_and_clock_confusion),
		cmocka_unit_test(test_zero_window),
	};

	return cmocka_run_group_tests_name("debounce", tests, NULL, NULL);
}
