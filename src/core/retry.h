/* SPDX-License-Identifier: GPL-2.0 */
/*
 * retry - when to try again after a failed re-plan or publication.
 *
 * A pure state machine like debounce.h: the caller passes the monotonic clock (ns) and arms its
 * own timer. A failure schedules the next try after the current delay, which starts at min_ns
 * and doubles with every further failure up to max_ns; a success (by the retry or by any other
 * re-plan) ends the series, and the next failure starts again at min_ns. The daemon uses
 * 100 ms doubling to 5 s, so a lasting failure costs at most one attempt per 5 s.
 */
#ifndef SCX_CELLS_RETRY_H
#define SCX_CELLS_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#define RETRY_MIN_NS (100 * 1000 * 1000ULL)
#define RETRY_MAX_NS (5 * 1000 * 1000 * 1000ULL)

/* Plain state so callers can embed it; only touch it through the functions below. */
struct retry {
	uint64_t min_ns, max_ns;
	uint64_t next_delay_ns; /* delay the next failure schedules */
	uint64_t due_ns;	/* when the pending try is due (valid when pending) */
	unsigned int failures;	/* in a row, since the last success */
	bool pending;
};

/* @min_ns >= 1 and @max_ns >= @min_ns; else they are fixed up (min 1 ns, max = min). */
void retry_init(struct retry *r, uint64_t min_ns, uint64_t max_ns);

/*
 * An attempt failed at @now: a try becomes pending. Returns its delay from @now (min_ns for the
 * first failure of a series, then twice the previous delay, at most max_ns).
 */
uint64_t retry_failed(struct retry *r, uint64_t now);

/* An attempt succeeded: nothing pending, the next failure starts at min_ns again. */
void retry_succeeded(struct retry *r);

/* Is a try pending, and is it due at @now? */
bool retry_pending(const struct retry *r);
bool retry_due(const struct retry *r, uint64_t now);

/* A due try starts: not pending any more (its outcome calls retry_failed() or _succeeded()). */
void retry_start(struct retry *r);

#endif /* SCX_CELLS_RETRY_H */
