/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debounce - coalesce bursts of change events into few, rate-bounded actions.
 *
 * A pure state machine: the caller passes a monotonic clock value (ns) into every call, so there
 * is no time source inside and tests drive it with a fake clock. The daemon feeds every cgroup /
 * cpuset change into debounce_event(), arms its timer for debounce_deadline() and, when the timer
 * expires, re-plans only if debounce_fire() says so. This is what keeps a crash-looping container
 * (mkdir/rmdir many times a second) from making the scheduler re-plan at the same rate.
 *
 * The deadline of a pending burst is
 *
 *	max(min(last + window, first + max_latency), prev_fire + min_interval)
 *
 * - window:       quiet time after the LAST event of a burst before acting (coalescing);
 * - max_latency:  a continuous stream of events is still acted on this long after its FIRST
 *                 event (no starvation);
 * - min_interval: never act sooner than this after the previous action (rate bound: over T ns
 *                 there are at most T / min_interval + 1 actions). It wins over max_latency.
 */
#ifndef SCX_CELLS_DEBOUNCE_H
#define SCX_CELLS_DEBOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEBOUNCE_NEVER UINT64_MAX

struct debounce_cfg {
	uint64_t window_ns;
	uint64_t max_latency_ns; /* must be >= window_ns */
	uint64_t min_interval_ns;
};

/* Plain state so callers can embed it; only touch it through the functions below. */
struct debounce {
	struct debounce_cfg cfg;
	bool pending;
	bool fired_before;
	uint64_t first_ns;     /* first event of the pending burst */
	uint64_t last_ns;      /* latest event of the pending burst */
	uint64_t last_fire_ns; /* valid if fired_before */
	uint64_t nr_events;    /* total, for stats */
	uint64_t nr_fires;     /* total, for stats */
};

/*
 * Returns 0, or -EINVAL (with a message in @err if not NULL) when max_latency < window: the
 * latency bound could never be met and the setting is almost certainly a mistake.
 */
int debounce_init(struct debounce *d, const struct debounce_cfg *cfg, char *err, size_t errlen);

/*
 * Record a change at @now. A @now older than an earlier event (caller's clock confusion) is
 * treated as the latest time seen, so the deadline never moves backwards.
 */
void debounce_event(struct debounce *d, uint64_t now);

bool debounce_pending(const struct debounce *d);

/* Absolute time at which to act, or DEBOUNCE_NEVER when nothing is pending. */
uint64_t debounce_deadline(const struct debounce *d);

/*
 * Relative wait from @now until the deadline, for timerfd/epoll: 0 if the deadline has already
 * passed (act now; never a negative or wrapped-around value), DEBOUNCE_NEVER if nothing pending.
 */
uint64_t debounce_timeout(const struct debounce *d, uint64_t now);

/*
 * Called when the timer expires. Returns true (and clears the pending burst, starting the
 * min_interval) if something is pending and @now >= deadline: the caller must act now. Returns
 * false otherwise (early wake-up, or nothing pending): the caller must not act and should re-arm
 * its timer from debounce_deadline().
 */
bool debounce_fire(struct debounce *d, uint64_t now);

#endif /* SCX_CELLS_DEBOUNCE_H */
