/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics - one table of every statistic scx_cells exports, and the three forms it takes:
 *  - the "stats" reply of the scx_stats protocol (the sched_ext ecosystem's line-based JSON
 *    protocol, docs/stats.md), with scx_mitosis's field names where the quantity is the same;
 *  - the "stats_meta" reply that describes each field (type, description, OpenMetrics prefix and
 *    the `cell` label of the per-cell dict), so generic clients such as scxstats_to_openmetrics
 *    need no knowledge of scx_cells;
 *  - an OpenMetrics/Prometheus text exposition (`--metrics-file`, the node exporter's textfile
 *    convention).
 * A field is added once, in metrics.c's tables, and appears in all three.
 *
 * Also the request side of the protocol: parsing one request line. Pure: no I/O but the FILE
 * the caller passes; JSON through jansson.
 */
#ifndef SCX_CELLS_METRICS_H
#define SCX_CELLS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One cell's statistics for one interval (gauges) and since the scheduler started (counters). */
struct metrics_cell {
	unsigned int id;
	const char *cgroup; /* cgroup name, "(root)" for cell 0 */
	const char *cpus;   /* primary CPUs as a cpulist, "" when unplaced */
	uint64_t num_cpus;
	double util_pct, smoothed_util_pct, demand_borrow_pct, lent_pct;
	double cpus_used, cpus_waiting, smoothed_cpus;
};

/* Cumulative decision counters of the BPF side, summed over CPUs. */
struct metrics_counters {
	uint64_t placed_idle, queued_cell, queued_pinned, placed_borrowed;
	uint64_t reclaim_preemptions, resolves, cfg_kicks;
	uint64_t slice_shrinks, affn_spread, borrow_pulls;
};

struct metrics_snapshot {
	double start_time_seconds; /* wall clock (Unix time) when this daemon started: restarts show
				    */
	double uptime_seconds;
	uint64_t plans_applied, rebalance_count, plans_rejected;
	uint64_t plans_retried; /* retries of failed re-plans (backoff 100 ms doubling to 5 s) */
	uint64_t cells_waiting;
	/* Placement shares of the last interval, percent of all placements. */
	double idle_pct, cell_q_pct, cpu_q_pct, borrowed_pct;
	struct metrics_counters bpf;
	uint64_t num_cells; /* entries in @cells */
	const struct metrics_cell *cells;
};

/* The "resp" object of a "stats" reply (target "top"); malloc'd compact JSON, NULL on ENOMEM. */
char *metrics_stats_json(const struct metrics_snapshot *s);

/* The "resp" object of a "stats_meta" reply; malloc'd compact JSON, NULL on ENOMEM. */
char *metrics_meta_json(void);

/* The snapshot as OpenMetrics text (ends with "# EOF"). Returns 0 or -EIO if @f failed. */
int metrics_openmetrics(FILE *f, const struct metrics_snapshot *s);

/* ---- the scx_stats protocol: {"req":"stats","args":{"target":"top"}} ---------------------- */

#define SCXSTATS_MAX_REQUEST 4096 /* longest request line accepted, newline included */

enum scxstats_req_kind {
	SCXSTATS_STATS,
	SCXSTATS_STATS_META,
};

struct scxstats_req {
	enum scxstats_req_kind kind;
	char target[32]; /* for SCXSTATS_STATS: "top" when not given */
};

/*
 * Parse one request line of @len bytes (no NUL needed; a trailing newline is allowed).
 * Returns 0, or -EINVAL with the reason in @err: not JSON, not an object, "req" missing or not
 * a string, unknown request, "args" not an object of strings, target too long.
 */
int scxstats_parse_request(const char *line, size_t len, struct scxstats_req *req, char *err,
			   size_t errlen);

/*
 * A reply line, newline included: {"errno":0,"args":{"resp":@resp_json}} where @resp_json is
 * JSON text made by metrics_stats_json() or metrics_meta_json() (it is inserted as is), or for
 * errors {"errno":@errnum,"args":{"resp":"@msg"}} (bytes outside printable ASCII in @msg become
 * '?', so any message makes a valid reply). malloc'd; NULL on ENOMEM.
 */
char *scxstats_reply(const char *resp_json);
char *scxstats_error_reply(int errnum, const char *msg);

/*
 * The client side: decode one reply line of @len bytes (no NUL needed; a trailing newline is
 * allowed). @want_object: the "resp" must be an object (target "top", printed as one compact JSON
 * line) rather than a string (target "text", printed as is). Returns 0 and sets *@view to the
 * malloc'd text to print, or to NULL when the daemon had no snapshot yet (errno EAGAIN: ask
 * again later); -EPROTO when the daemon refused the request (its reason in @err); -EBADMSG when
 * the line is not a reply of the protocol or of the wrong type (an excerpt in @err, non-printable
 * bytes as '?'); -ENOMEM.
 */
int scxstats_decode_reply(const char *line, size_t len, bool want_object, char **view, char *err,
			  size_t errlen);

#endif /* SCX_CELLS_METRICS_H */
