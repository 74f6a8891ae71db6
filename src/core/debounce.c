// SPDX-License-Identifier: GPL-2.0
/*
 * debounce - see debounce.h for the model. All arithmetic saturates at DEBOUNCE_NEVER so huge
 * configured values cannot wrap a deadline into the past.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "debounce.h"

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int debounce_init(struct debounce *d, const struct debounce_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->max_latency_ns < cfg->window_ns) {
		if (err && errlen)
			snprintf(
				err, errlen,
				"debounce max latency (%llu ns) is shorter than the window (%llu ns); raise the max latency or shorten the window",
				(unsigned long long)cfg->max_latency_ns,
				(unsigned long long)cfg->window_ns);
		return -EINVAL;
	}
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	return 0;
}

void debounce_event(struct debounce *d, uint64_t now)
{
	d->nr_events++;
	if (!d->pending) {
		/* A clock older than the previous fire would make first < last_fire: clamp. */
		if (d->fired_before && now < d->last_fire_ns)
			now = d->last_fire_ns;
		d->pending = true;
		d->first_ns = now;
		d->last_ns = now;
		return;
	}
	if (now > d->last_ns)
		d->last_ns = now;
}

bool debounce_pending(const struct debounce *d)
{
	return d->pending;
}

uint64_t debounce_deadline(const struct debounce *d)
{
	uint64_t t;

	if (!d->pending)
		return DEBOUNCE_NEVER;
	t = min_u64(add_sat(d->last_ns, d->cfg.window_ns),
		    add_sat(d->first_ns, d->cfg.max_latency_ns));
	if (d->fired_before)
		t = max_u64(t, add_sat(d->last_fire_ns, d->cfg.min_interval_ns));
	return t;
}

uint64_t debounce_timeout(const struct debounce *d, uint64_t now)
{
	uint64_t t = debounce_deadline(d);

	if (t == DEBOUNCE_NEVER)
		return DEBOUNCE_NEVER;
	return t > now ? t - now : 0;
}

bool debounce_fire(struct debounce *d, uint64_t now)
{
	if (!d->pending || now < debounce_deadline(d))
		return false;
	d->pending = false;
	d->fired_before = true;
	d->last_fire_ns = now;
	d->nr_fires++;
	return true;
}
