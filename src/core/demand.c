// SPDX-License-Identifier: GPL-2.0
/*
 * demand - per-interval metrics, EWMA and rebalance decision. See demand.h for the formulas.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demand.h"

struct demand {
	struct demand_cfg cfg;
	unsigned int nr_cpus;
	unsigned int max_cells;
	uint64_t *baseline;	   /* [nr_cpus * max_cells] */
	uint64_t *wait_baseline;   /* [max_cells] */
	struct demand_cell *cells; /* [max_cells] */
	double *snap_cpus;	   /* smoothed_cpus at the last rebalance, [max_cells] */
	bool rebalanced_before;
	bool cells_changed; /* live set changed since the last rebalance */
	uint64_t last_rebalance_ns;
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

void demand_cfg_default(struct demand_cfg *cfg)
{
	cfg->alpha = 0.3;
	cfg->threshold_pct = 20.0;
	cfg->cooldown_ns = 5000000000ull;
	cfg->hysteresis_cpus = 0.5;
	cfg->weight_floor_cpus = 0.1;
	cfg->headroom_cpus = 0.5;
	cfg->headroom_pct = 10.0;
}

struct demand *demand_new(unsigned int nr_cpus, unsigned int max_cells,
			  const struct demand_cfg *cfg, char *err, size_t errlen)
{
	struct demand *d;

	if (!nr_cpus || !max_cells) {
		set_err(err, errlen, "demand model needs at least one CPU and one cell");
		return NULL;
	}
	if (!(cfg->alpha > 0.0 && cfg->alpha <= 1.0)) {
		set_err(err, errlen,
			"demand smoothing must be in (0, 1]; pass e.g. --demand-smoothing 0.3");
		return NULL;
	}
	if (!(cfg->threshold_pct >= 0.0 && cfg->threshold_pct <= 100.0)) {
		set_err(err, errlen, "rebalance threshold must be within 0..100 percentage points");
		return NULL;
	}
	if (!(cfg->headroom_cpus >= 0.0 && cfg->headroom_cpus < 1e6) ||
	    !(cfg->headroom_pct >= 0.0 && cfg->headroom_pct <= 1000.0)) {
		set_err(err, errlen,
			"demand headroom must be within 0..1e6 CPUs and 0..1000 %; use the defaults");
		return NULL;
	}
	if (!(cfg->hysteresis_cpus >= 0.0) || !(cfg->weight_floor_cpus > 0.0)) {
		set_err(err, errlen,
			"demand hysteresis must be >= 0 and the weight floor > 0 CPUs; use the defaults");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto enomem;
	d->cfg = *cfg;
	d->nr_cpus = nr_cpus;
	d->max_cells = max_cells;
	d->baseline = calloc((size_t)nr_cpus * max_cells, sizeof(*d->baseline));
	d->cells = calloc(max_cells, sizeof(*d->cells));
	d->snap_cpus = calloc(max_cells, sizeof(*d->snap_cpus));
	d->wait_baseline = calloc(max_cells, sizeof(*d->wait_baseline));
	if (!d->baseline || !d->cells || !d->snap_cpus || !d->wait_baseline)
		goto enomem;
	d->cells[0].live = true;
	return d;
enomem:
	demand_free(d);
	set_err(err, errlen, "out of memory allocating the demand model");
	return NULL;
}

void demand_free(struct demand *d)
{
	if (!d)
		return;
	free(d->baseline);
	free(d->cells);
	free(d->snap_cpus);
	free(d->wait_baseline);
	free(d);
}

int demand_cell_add(struct demand *d, unsigned int cell)
{
	double sum_cpus = 0.0, sum_util = 0.0;
	unsigned int n = 0;
	struct demand_cell *c;

	if (cell >= d->max_cells)
		return -EINVAL;
	c = &d->cells[cell];
	if (c->live)
		return -EEXIST;
	for (unsigned int i = 0; i < d->max_cells; i++) {
		if (!d->cells[i].live)
			continue;
		sum_cpus += d->cells[i].smoothed_cpus;
		sum_util += d->cells[i].smoothed_util_pct;
		n++;
	}
	memset(c, 0, sizeof(*c));
	c->live = true;
	if (n) {
		c->smoothed_cpus = sum_cpus / n;
		c->smoothed_util_pct = sum_util / n;
	}
	d->cells_changed = true;
	return 0;
}

int demand_cell_remove(struct demand *d, unsigned int cell)
{
	if (cell >= d->max_cells)
		return -EINVAL;
	if (!d->cells[cell].live)
		return -ENOENT;
	memset(&d->cells[cell], 0, sizeof(d->cells[cell]));
	d->cells_changed = true;
	return 0;
}

void demand_set_baseline(struct demand *d, const uint64_t *run_ns)
{
	memcpy(d->baseline, run_ns, (size_t)d->nr_cpus * d->max_cells * sizeof(*d->baseline));
	for (unsigned int c = 0; c < d->max_cells; c++)
		d->cells[c].wait_ns = 0;
}

void demand_set_wait(struct demand *d, const uint64_t *wait_ns)
{
	for (unsigned int c = 0; c < d->max_cells; c++) {
		uint64_t now = wait_ns[c];

		d->cells[c].wait_ns = now >= d->wait_baseline[c] ? now - d->wait_baseline[c] : 0;
		d->wait_baseline[c] = now;
	}
}

/* Local helpers: the unit-test link line has no -lm. */
static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static double dabs(double a)
{
	return a < 0.0 ? -a : a;
}

static double pct(uint64_t num, double den)
{
	return den > 0.0 ? 100.0 * (double)num / den : 0.0;
}

int demand_update(struct demand *d, const uint64_t *run_ns, const int *owner, uint64_t interval_ns)
{
	unsigned int nc = d->max_cells;
	double alpha = d->cfg.alpha;

	if (!interval_ns)
		return -EINVAL;

	for (unsigned int c = 0; c < nc; c++) {
		struct demand_cell *cell = &d->cells[c];

		cell->run_ns = cell->own_run_ns = cell->borrowed_ns = cell->lent_ns = 0;
		cell->own_cpus = 0;
	}

	for (unsigned int cpu = 0; cpu < d->nr_cpus; cpu++) {
		int o = owner[cpu];
		struct demand_cell *oc = NULL;

		if (o >= 0 && (unsigned int)o < nc && d->cells[o].live) {
			oc = &d->cells[o];
			oc->own_cpus++;
		}
		for (unsigned int c = 0; c < nc; c++) {
			size_t i = (size_t)cpu * nc + c;
			uint64_t now = run_ns[i], delta;

			/* Backwards: no wrap-around, restart counting from here. */
			delta = now >= d->baseline[i] ? now - d->baseline[i] : 0;
			d->baseline[i] = now;
			if (!delta)
				continue;
			if (d->cells[c].live)
				d->cells[c].run_ns += delta;
			if (!oc)
				continue;
			if ((unsigned int)o == c)
				oc->own_run_ns += delta;
			else
				oc->lent_ns += delta;
		}
	}

	for (unsigned int c = 0; c < nc; c++) {
		struct demand_cell *cell = &d->cells[c];
		double cap = (double)cell->own_cpus * (double)interval_ns;

		if (!cell->live)
			continue;
		cell->borrowed_ns = cell->run_ns - cell->own_run_ns;
		cell->util_pct = pct(cell->run_ns, cap);
		cell->lent_pct = pct(cell->lent_ns, cap);
		cell->demand_borrow_pct = pct(cell->borrowed_ns, (double)cell->run_ns);
		cell->cpus_used = (double)cell->run_ns / (double)interval_ns;
		cell->cpus_waiting = (double)cell->wait_ns / (double)interval_ns;
		cell->smoothed_cpus = alpha * (cell->cpus_used + cell->cpus_waiting) +
				      (1.0 - alpha) * cell->smoothed_cpus;
		/*
		 * Without own CPUs there is no utilisation to measure (it would be a division by
		 * zero); keep the smoothed value rather than pretend the cell was idle.
		 */
		if (cell->own_cpus)
			cell->smoothed_util_pct =
				alpha * cell->util_pct + (1.0 - alpha) * cell->smoothed_util_pct;
	}
	return 0;
}

const struct demand_cell *demand_cell(const struct demand *d, unsigned int cell)
{
	return cell < d->max_cells ? &d->cells[cell] : NULL;
}

double demand_spread(const struct demand *d)
{
	double lo = 0.0, hi = 0.0;
	unsigned int n = 0;

	for (unsigned int c = 0; c < d->max_cells; c++) {
		const struct demand_cell *cell = &d->cells[c];

		if (!cell->live || !cell->own_cpus)
			continue;
		if (!n || cell->smoothed_util_pct < lo)
			lo = cell->smoothed_util_pct;
		if (!n || cell->smoothed_util_pct > hi)
			hi = cell->smoothed_util_pct;
		n++;
	}
	return n >= 2 ? hi - lo : 0.0;
}

static bool demand_moved(const struct demand *d)
{
	if (!d->rebalanced_before || d->cells_changed)
		return true;
	for (unsigned int c = 0; c < d->max_cells; c++) {
		if (!d->cells[c].live)
			continue;
		if (dabs(d->cells[c].smoothed_cpus - d->snap_cpus[c]) >= d->cfg.hysteresis_cpus)
			return true;
	}
	return false;
}

bool demand_should_rebalance(const struct demand *d, uint64_t now)
{
	unsigned int n = 0;

	for (unsigned int c = 0; c < d->max_cells; c++)
		if (d->cells[c].live && d->cells[c].own_cpus)
			n++;
	if (n < 2)
		return false;
	if (d->rebalanced_before &&
	    (now < d->last_rebalance_ns || now - d->last_rebalance_ns < d->cfg.cooldown_ns))
		return false;
	if (demand_spread(d) < d->cfg.threshold_pct)
		return false;
	return demand_moved(d);
}

void demand_rebalanced(struct demand *d, uint64_t now)
{
	d->rebalanced_before = true;
	d->cells_changed = false;
	d->last_rebalance_ns = now;
	for (unsigned int c = 0; c < d->max_cells; c++)
		d->snap_cpus[c] = d->cells[c].live ? d->cells[c].smoothed_cpus : 0.0;
}

double demand_need(const struct demand_cfg *cfg, double demand_cpus)
{
	double dem = dmax(demand_cpus, cfg->weight_floor_cpus);

	return dem + dmax(cfg->headroom_cpus, cfg->headroom_pct / 100.0 * dem);
}

void demand_weights(const struct demand *d, double *weights)
{
	for (unsigned int c = 0; c < d->max_cells; c++)
		weights[c] =
			d->cells[c].live ? demand_need(&d->cfg, d->cells[c].smoothed_cpus) : 0.0;
}
