// SPDX-License-Identifier: GPL-2.0
/*
 * metrics - the statistics table and its JSON, stats_meta and Prometheus text forms; the
 * scx_stats request parser. See metrics.h.
 *
 * Limits: values are numbers or strings (no arrays); the only nesting is the per-cell dict,
 * which is what scxstats_to_openmetrics supports.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "metrics.h"

enum mtype { M_U64, M_F64, M_STR };
enum mkind { M_GAUGE, M_COUNTER };

struct mfield {
	const char *name;
	enum mtype type;
	enum mkind kind; /* strings are never metrics (_om_skip) */
	size_t off;
	const char *desc;
};

/* clang-format off */
#define TOP(f, t, k, d)  { #f, t, k, offsetof(struct metrics_snapshot, f), d }
#define BPF(f, d)	 { #f, M_U64, M_COUNTER, offsetof(struct metrics_snapshot, bpf.f), d }
#define CELL(f, t, k, d) { #f, t, k, offsetof(struct metrics_cell, f), d }
/* clang-format on */

/* Top-level fields; scx_mitosis's names where the quantity is the same (num_cells, ...). */
static const struct mfield top_fields[] = {
	TOP(num_cells, M_U64, M_GAUGE, "Number of cells, the root cell included"),
	TOP(start_time_seconds, M_F64, M_GAUGE,
	    "Unix time at which this scx_cells daemon started (a change means a restart)"),
	TOP(uptime_seconds, M_F64, M_GAUGE, "Seconds since this scx_cells daemon started"),
	TOP(plans_applied, M_U64, M_COUNTER, "Cell plans published to the scheduler"),
	TOP(rebalance_count, M_U64, M_COUNTER,
	    "Number of rebalancing events that changed some cell's CPUs"),
	TOP(plans_rejected, M_U64, M_COUNTER,
	    "Plans that failed validation or publication (the previous plan stayed)"),
	TOP(plans_retried, M_U64, M_COUNTER,
	    "Retries of a failed re-plan, scan or publication (backoff 100 ms doubling to 5 s)"),
	TOP(cells_waiting, M_U64, M_GAUGE,
	    "Child cgroups waiting in the root cell for a free cell slot"),
	TOP(idle_pct, M_F64, M_GAUGE,
	    "Placements of the last interval directly on an idle CPU of the task's cell, %"),
	TOP(cell_q_pct, M_F64, M_GAUGE,
	    "Cell queue %: placements of the last interval on the cell's queue"),
	TOP(cpu_q_pct, M_F64, M_GAUGE,
	    "CPU queue %: placements of the last interval on a per-CPU queue (affinity narrower than the cell)"),
	TOP(borrowed_pct, M_F64, M_GAUGE,
	    "Borrowed CPU %: placements of the last interval on an idle CPU of another cell"),
	BPF(placed_idle, "Tasks placed directly on an idle CPU of their cell"),
	BPF(queued_cell, "Tasks queued on their cell's queue"),
	BPF(queued_pinned,
	    "Tasks queued on a per-CPU queue because their affinity does not cover their cell"),
	BPF(placed_borrowed, "Tasks placed on an idle CPU of another cell (borrowing)"),
	BPF(reclaim_preemptions, "Borrowers preempted to give a CPU back to its owner cell"),
	BPF(resolves, "Tasks (re-)resolved to a cell"),
	BPF(cfg_kicks, "CPUs kicked because a published plan gave them to another cell"),
	BPF(slice_shrinks,
	    "Running slices cut short because a task waited on that CPU's per-CPU queue"),
	BPF(affn_spread,
	    "Tasks allowed on part of their cell placed off their previous CPU (dynamic affinity)"),
	BPF(borrow_pulls,
	    "Queued tasks of another cell taken by a CPU that had nothing of its own to run"),
};

static const struct mfield cell_fields[] = {
	CELL(cgroup, M_STR, M_GAUGE, "Cgroup name of this cell (\"(root)\" for the root cell)"),
	CELL(cpus, M_STR, M_GAUGE, "Primary CPUs of this cell as a CPU list"),
	CELL(num_cpus, M_U64, M_GAUGE, "Number of cpus"),
	CELL(util_pct, M_F64, M_GAUGE,
	     "CPU utilization %: run time of the cell's tasks / (own CPUs x interval)"),
	CELL(smoothed_util_pct, M_F64, M_GAUGE, "EWMA-smoothed utilization %"),
	CELL(demand_borrow_pct, M_F64, M_GAUGE, "Borrowed CPU time % of running"),
	CELL(lent_pct, M_F64, M_GAUGE,
	     "Lent CPU time %: other cells' run time on this cell's CPUs"),
	CELL(cpus_used, M_F64, M_GAUGE, "CPUs' worth of run time in the last interval"),
	CELL(cpus_waiting, M_F64, M_GAUGE, "CPUs' worth of queue wait in the last interval"),
	CELL(smoothed_cpus, M_F64, M_GAUGE,
	     "Smoothed CPU demand (run + wait) that rebalancing uses"),
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define META_TOP   "Metrics"
#define META_CELL  "CellMetrics"
#define OM_PREFIX  "scx_cells_"
#define OM_CPREFIX "scx_cells_cell_"
#define OM_LABEL   "cell"

/* The cell dict's entry in the top table's meta: described separately, it is not a value. */
#define CELLS_KEY  "cells"
#define CELLS_DESC "Per-cell metrics, keyed by cell id"

static uint64_t get_u64(const void *base, const struct mfield *f)
{
	return *(const uint64_t *)((const char *)base + f->off);
}

static double get_f64(const void *base, const struct mfield *f)
{
	double v = *(const double *)((const char *)base + f->off);

	/* NaN and infinities are not JSON; a broken input shows as 0, never as a bad reply. */
	return isfinite(v) ? v : 0.0;
}

static const char *get_str(const void *base, const struct mfield *f)
{
	const char *s = *(const char *const *)((const char *)base + f->off);

	return s ? s : "";
}

/* Is @s valid UTF-8 (what JSON strings and Prometheus label values must be)? */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int n = *p < 0x80			     ? 0
				 : (*p & 0xe0) == 0xc0 && *p >= 0xc2 ? 1
				 : (*p & 0xf0) == 0xe0		     ? 2
				 : (*p & 0xf8) == 0xf0 && *p <= 0xf4 ? 3
								     : 4;

		if (n == 4)
			return false;
		p++;
		for (unsigned int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/*
 * A cgroup name need not be UTF-8, and one odd name must not make a whole reply or exposition
 * invalid: such a name is shown with every byte outside ASCII as '?'. Returns @s itself when it
 * is valid, else a copy in @buf (truncated to @len).
 */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i;

	if (utf8_valid(s))
		return s;
	for (i = 0; s[i] && i < len - 1; i++)
		buf[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* @s as a JSON string (see printable()). */
static json_t *string_json(const char *s)
{
	char buf[512];

	return json_string(printable(s, buf, sizeof(buf)));
}

/* One struct's values as a JSON object; NULL on ENOMEM. */
static json_t *values_json(const void *base, const struct mfield *fields, size_t n)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct mfield *f = &fields[i];
		json_t *v;

		if (f->type == M_U64)
			v = json_integer((json_int_t)get_u64(base, f));
		else if (f->type == M_F64)
			v = json_real(round(get_f64(base, f) * 1000.0) / 1000.0);
		else
			v = string_json(get_str(base, f));
		if (json_object_set_new(o, f->name, v)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static char *dump(json_t *o)
{
	char *s =
		o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) : NULL;

	json_decref(o);
	return s;
}

char *metrics_stats_json(const struct metrics_snapshot *s)
{
	json_t *o = values_json(s, top_fields, ARRAY_LEN(top_fields)), *cells;

	if (!o)
		return NULL;
	cells = json_object();
	if (json_object_set_new(o, CELLS_KEY, cells))
		goto fail;
	for (uint64_t i = 0; i < s->num_cells; i++) {
		char key[16];

		snprintf(key, sizeof(key), "%u", s->cells[i].id);
		if (json_object_set_new(
			    cells, key,
			    values_json(&s->cells[i], cell_fields, ARRAY_LEN(cell_fields))))
			goto fail;
	}
	return dump(o);
fail:
	json_decref(o);
	return NULL;
}

static const char *datum_name(enum mtype t)
{
	return t == M_U64 ? "u64" : t == M_F64 ? "float" : "string";
}

static json_t *fields_meta(const struct mfield *fields, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++) {
		json_t *f = json_pack("{s:s, s:s}", "datum", datum_name(fields[i].type), "desc",
				      fields[i].desc);

		if (f && fields[i].type == M_STR)
			json_object_set_new(f, "user", json_pack("{s:s}", "_om_skip", "true"));
		if (!f || json_object_set_new(o, fields[i].name, f)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

char *metrics_meta_json(void)
{
	json_t *top_f = fields_meta(top_fields, ARRAY_LEN(top_fields));
	json_t *cell_f = fields_meta(cell_fields, ARRAY_LEN(cell_fields));
	json_t *o = NULL;

	if (top_f &&
	    !json_object_set_new(top_f, CELLS_KEY,
				 json_pack("{s:s, s:{s:s, s:{s:s}}}", "desc", CELLS_DESC, "dict",
					   "key", "u64", "datum", "struct", META_CELL)))
		o = json_pack("{s:{s:s, s:s, s:s, s:{s:s}, s:O}, s:{s:s, s:s, s:{s:s, s:s}, s:O}}",
			      META_TOP, "name", META_TOP, "desc", "scx_cells statistics", "top",
			      "true", "user", "_om_prefix", OM_PREFIX, "fields", top_f, META_CELL,
			      "name", META_CELL, "desc", "Statistics of one cell", "user",
			      "_om_prefix", OM_CPREFIX, "_om_label", OM_LABEL, "fields", cell_f);
	json_decref(top_f);
	json_decref(cell_f);
	return dump(o);
}

/* ---- Prometheus text exposition ------------------------------------------------------------ */

/* @s escaped for a HELP line (@label false) or a label value (@label true). */
static void om_escaped(FILE *f, const char *s, bool label)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (label && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/* Metric name: prefix + field, counters with the conventional _total suffix. */
static void om_name(FILE *f, const char *prefix, const struct mfield *m)
{
	size_t n = strlen(m->name);
	bool total = m->kind == M_COUNTER && !(n > 6 && !strcmp(m->name + n - 6, "_total"));

	fprintf(f, "%s%s%s", prefix, m->name, total ? "_total" : "");
}

static void om_header(FILE *f, const char *prefix, const struct mfield *m)
{
	fputs("# HELP ", f);
	om_name(f, prefix, m);
	fputc(' ', f);
	om_escaped(f, m->desc, false);
	fputs("\n# TYPE ", f);
	om_name(f, prefix, m);
	fprintf(f, " %s\n", m->kind == M_COUNTER ? "counter" : "gauge");
}

static void om_value(FILE *f, const void *base, const struct mfield *m)
{
	if (m->type == M_U64)
		fprintf(f, " %llu\n", (unsigned long long)get_u64(base, m));
	else
		fprintf(f, " %.15g\n", get_f64(base, m));
}

int metrics_openmetrics(FILE *f, const struct metrics_snapshot *s)
{
	char buf[512];

	for (size_t i = 0; i < ARRAY_LEN(top_fields); i++) {
		const struct mfield *m = &top_fields[i];

		om_header(f, OM_PREFIX, m);
		om_name(f, OM_PREFIX, m);
		om_value(f, s, m);
	}
	for (size_t i = 0; i < ARRAY_LEN(cell_fields); i++) {
		const struct mfield *m = &cell_fields[i];

		if (m->type == M_STR)
			continue;
		om_header(f, OM_CPREFIX, m);
		for (uint64_t c = 0; c < s->num_cells; c++) {
			om_name(f, OM_CPREFIX, m);
			fprintf(f, "{%s=\"%u\",cgroup=\"", OM_LABEL, s->cells[c].id);
			om_escaped(f,
				   printable(s->cells[c].cgroup ? s->cells[c].cgroup : "", buf,
					     sizeof(buf)),
				   true);
			fputs("\"}", f);
			om_value(f, &s->cells[c], m);
		}
	}
	/* OpenMetrics' terminator; a comment to the Prometheus text parser. A reader that does
	 * not find it has a torn file. */
	fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---- requests and replies ------------------------------------------------------------------- */

int scxstats_parse_request(const char *line, size_t len, struct scxstats_req *req, char *err,
			   size_t errlen)
{
	json_error_t jerr;
	json_t *o, *r, *args, *target = NULL;
	const char *name, *key;
	json_t *val;
	int ret = -EINVAL;

	if (len && line[len - 1] == '\n')
		len--;
	if (len >= SCXSTATS_MAX_REQUEST) {
		set_err(err, errlen, "request longer than %d bytes", SCXSTATS_MAX_REQUEST - 1);
		return -EINVAL;
	}
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		set_err(err, errlen, "request is not JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(o)) {
		set_err(err, errlen, "request is not a JSON object");
		goto out;
	}
	r = json_object_get(o, "req");
	if (!json_is_string(r)) {
		set_err(err, errlen, "request has no \"req\" string");
		goto out;
	}
	args = json_object_get(o, "args");
	if (args && !json_is_object(args) && !json_is_null(args)) {
		set_err(err, errlen, "\"args\" is not an object");
		goto out;
	}
	json_object_foreach(json_is_object(args) ? args : NULL, key, val)
	{
		if (!json_is_string(val)) {
			set_err(err, errlen, "argument \"%.32s\" is not a string", key);
			goto out;
		}
		if (!strcmp(key, "target"))
			target = val;
	}
	name = json_string_value(r);
	memset(req, 0, sizeof(*req));
	if (!strcmp(name, "stats")) {
		const char *t = target ? json_string_value(target) : "top";

		if (strlen(t) >= sizeof(req->target)) {
			set_err(err, errlen, "target too long");
			goto out;
		}
		req->kind = SCXSTATS_STATS;
		strcpy(req->target, t);
	} else if (!strcmp(name, "stats_meta")) {
		req->kind = SCXSTATS_STATS_META;
	} else {
		set_err(err, errlen, "unknown request \"%.32s\" (known: stats, stats_meta)", name);
		goto out;
	}
	ret = 0;
out:
	json_decref(o);
	return ret;
}

/* {"errno":N,"args":{"resp":BODY}} and a newline; @body is JSON text. */
static char *reply_line(int errnum, const char *body)
{
	char *line;

	if (asprintf(&line, "{\"errno\":%d,\"args\":{\"resp\":%s}}\n", errnum, body) < 0)
		return NULL;
	return line;
}

char *scxstats_reply(const char *resp_json)
{
	return resp_json ? reply_line(0, resp_json) : NULL;
}

char *scxstats_error_reply(int errnum, const char *msg)
{
	char clean[256], *body, *line;
	size_t i;

	for (i = 0; msg && msg[i] && i < sizeof(clean) - 1; i++)
		clean[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	clean[i] = '\0';
	body = dump(json_string(clean));
	if (!body)
		return NULL;
	line = reply_line(errnum, body);
	free(body);
	return line;
}

/* Up to 60 bytes of @line for a message, non-printable bytes as '?'. */
static void excerpt(const char *line, size_t len, char *buf, size_t buflen)
{
	size_t n = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len && n < 60 && n + 1 < buflen; i++)
		buf[n++] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	buf[n] = '\0';
}

int scxstats_decode_reply(const char *line, size_t len, bool want_object, char **view, char *err,
			  size_t errlen)
{
	json_t *o = json_loadb(line, len, 0, NULL), *resp;
	json_int_t errnum;
	char shown[64];
	int ret = 0;

	*view = NULL;
	excerpt(line, len, shown, sizeof(shown));
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "errno")) ||
	    !json_is_object(json_object_get(o, "args"))) {
		set_err(err, errlen, "reply '%s' is not of the scx_stats protocol", shown);
		ret = -EBADMSG;
		goto out;
	}
	errnum = json_integer_value(json_object_get(o, "errno"));
	resp = json_object_get(json_object_get(o, "args"), "resp");
	if (errnum == EAGAIN)
		goto out; /* no snapshot yet */
	if (errnum) {
		char why[128];

		excerpt(json_is_string(resp) ? json_string_value(resp) : "no reason given",
			json_is_string(resp) ? strlen(json_string_value(resp)) : 15, why,
			sizeof(why));
		set_err(err, errlen, "scx_cells refused the request: %s (errno %lld)", why,
			(long long)errnum);
		ret = -EPROTO;
		goto out;
	}
	if (want_object ? !json_is_object(resp) : !json_is_string(resp)) {
		set_err(err, errlen, "scx_cells sent a stats reply of the wrong type (%s)", shown);
		ret = -EBADMSG;
		goto out;
	}
	if (want_object) {
		char *l = json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(12));

		if (l && asprintf(view, "%s\n", l) < 0)
			*view = NULL;
		free(l);
	} else {
		*view = strdup(json_string_value(resp));
	}
	if (!*view) {
		set_err(err, errlen, "out of memory printing the stats");
		ret = -ENOMEM;
	}
out:
	json_decref(o);
	return ret;
}
