// SPDX-License-Identifier: GPL-2.0
/*
 * retry - exponential backoff for failed re-plans. See retry.h.
 */
#include "retry.h"

void retry_init(struct retry *r, uint64_t min_ns, uint64_t max_ns)
{
	if (!min_ns)
		min_ns = 1;
	if (max_ns < min_ns)
		max_ns = min_ns;
	*r = (struct retry){.min_ns = min_ns, .max_ns = max_ns, .next_delay_ns = min_ns};
}

uint64_t retry_failed(struct retry *r, uint64_t now)
{
	uint64_t delay = r->next_delay_ns;

	r->failures++;
	r->pending = true;
	r->due_ns = now + delay;
	r->next_delay_ns = delay > r->max_ns / 2 ? r->max_ns : delay * 2;
	return delay;
}

void retry_succeeded(struct retry *r)
{
	r->pending = false;
	r->failures = 0;
	r->next_delay_ns = r->min_ns;
}

bool retry_pending(const struct retry *r)
{
	return r->pending;
}

bool retry_due(const struct retry *r, uint64_t now)
{
	return r->pending && now >= r->due_ns;
}

void retry_start(struct retry *r)
{
	r->pending = false;
}
