// SPDX-License-Identifier: GPL-2.0
/*
 * vmcheck - the VM cases' decisions that are more than a comparison, in one static tool: the
 * daemon's JSON stats lines (parsed, so no answer depends on the order of keys), cpulist
 * algebra, the partition invariants of a published plan, and aggregates (max, min, mean,
 * median). tests/vm/lib.sh's helpers call it; the shell only sequences steps.
 *
 * LOG is the daemon's output (--stats-format json): its stats lines start with {"t":, the
 * latest one is the last such line. A cell is named by its "cgroup" value ("(root)" for cell 0).
 * Outputs are exactly what the shell helpers they replace printed.
 *
 *   vmcheck expand LIST              the CPUs of LIST, each followed by a space ("0 1 2 5 ")
 *   vmcheck count LIST               number of CPUs in LIST
 *   vmcheck subset A B               exit 0 iff every CPU of A is in B
 *   vmcheck intersect A B            exit 0 iff some CPU is in both
 *   vmcheck cells LOG                the latest line's cells, "ID NAME CPUS" each
 *   vmcheck summary LOG              the same on one line, "ID:NAME=CPUS " each
 *   vmcheck cell LOG NAME FIELD      a field of cell NAME (string values without quotes)
 *   vmcheck top LOG FIELD            a top-level field; "queue.idle" for one inside an object
 *   vmcheck brief LOG                one line: t, rebalances, plans, per cell nr_cpus[cpus],
 *                                    smoothed util and CPUs used
 *   vmcheck cmp LOG NAME FIELD OP V  cell NAME's numeric FIELD (NAME "" = top level) OP V
 *                                    (> >= < <= ==); else prints what it saw, exit 1
 *   vmcheck agg LOG MARK AGG NAME FIELD   max|min|mean ("%.1f") of cell NAME's FIELD (NAME "-":
 *                                    the queue object) over the stats lines after the first MARK
 *   vmcheck partition LOG ONLINE     no CPU in two cells and every CPU of ONLINE in one
 *   vmcheck owns_exactly LOG LIST    the cells' CPUs are exactly LIST, each once
 *   vmcheck no_cpu LOG CPU           no cell owns CPU
 *   vmcheck t_ms LOG N ERE           the "t" (in ms) of the first stats line after the first N
 *                                    that matches the extended regex ERE; exit 1 if none yet
 *   vmcheck split PREFIX             read a --dry-run --json plan on stdin: "NAME=PRIMARY " for
 *                                    each placed cell whose cgroup is PREFIX followed by NAME
 *   vmcheck fcmp A OP B              numeric comparison of two decimal numbers
 *   vmcheck median V...              the median (lower middle for an even count)
 *   vmcheck calc EXPR                EXPR (numbers, + - * / ( ), comparisons, A ? B : C) "%.3f"
 *   vmcheck busy [LIST]              two /proc/stat snapshots on stdin, "--" between them:
 *                                    "cpuN=PCT " busy share of each CPU of LIST (default: all)
 *   vmcheck min_pct PCTS             the smallest PCT of "cpuN=PCT ..."
 *   vmcheck stalls CONSOLE CPULOG PCT   run.sh: per case on CONSOLE, "NAME SHARE STALL AT" from
 *                                    the qemu samples of CPULOG (starved: < PCT % of a CPU)
 *   vmcheck stall_total CPULOG PCT   run.sh: "SHARE WAITED STALL" over the whole run
 *   vmcheck moves A B                two "ID NAME CPUS" tables (stats_cells_table) before and
 *                                    after a change: "MOVED FEWEST CONTIG" = CPUs whose owner
 *                                    changed, the fewest that had to (the cells' growth), and
 *                                    what a contiguous re-cut by cell id with the new sizes moves
 *
 * Exit status: 0 yes / done, 1 no (with what was seen on stdout where the helper printed it),
 * 2 usage error, unreadable LOG, malformed cpulist or a latest stats line that is not JSON
 * (message on stderr). A field that is absent prints nothing (exit 0), as the helpers did.
 */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumask.h"

#define NR_BITS	  4096 /* CPUs a cpulist may name */
#define MAX_DEPTH 32

/* ---- a small JSON reader that keeps numbers as written ------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	char *s;	/* J_NUM: the number's text; J_STR: decoded; J_BOOL: "true"/"false" */
	unsigned int n; /* J_ARR, J_OBJ: members */
	char **keys;	/* J_OBJ */
	struct jv **items;
};

struct jparser {
	const char *p;
	const char *err;
};

static void jv_free(struct jv *v)
{
	if (!v)
		return;
	for (unsigned int i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jv_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->s);
	free(v);
}

static void skip_ws(struct jparser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
		jp->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, unsigned int *out)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return false;
		v = v * 16 + (unsigned int)h;
	}
	*out = v;
	return true;
}

/* Append code point @cp as UTF-8. */
static char *put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* A string literal at jp->p (the opening quote); returns the decoded text or NULL. */
static char *parse_string(struct jparser *jp)
{
	const char *p = jp->p + 1;
	char *out = malloc(strlen(p) + 1), *o = out; /* decoding never grows the text */
	unsigned int cp, lo;

	if (!out) {
		jp->err = "out of memory";
		return NULL;
	}
	for (;;) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			break;
		if (c == '\0' || c < 0x20) {
			jp->err = c ? "control character in a string" : "unterminated string";
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '/':
			*o++ = '/';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (!hex4(p + 1, &cp))
				goto bad_escape;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (p[1] != '\\' || p[2] != 'u' || !hex4(p + 3, &lo) ||
				    lo < 0xdc00 || lo >= 0xe000)
					goto bad_escape;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				goto bad_escape;
			}
			o = put_utf8(o, cp);
			break;
		default:
			goto bad_escape;
		}
		p++;
	}
	*o = '\0';
	jp->p = p + 1;
	return out;
bad_escape:
	jp->err = "bad escape in a string";
bad:
	free(out);
	return NULL;
}

/* A number per RFC 8259, kept as written. */
static char *parse_number(struct jparser *jp)
{
	const char *s = jp->p, *p = s;
	char *out;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		goto bad;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	out = strndup(s, (size_t)(p - s));
	if (!out)
		jp->err = "out of memory";
	jp->p = p;
	return out;
bad:
	jp->err = "malformed number";
	return NULL;
}

static struct jv *parse_value(struct jparser *jp, int depth);

/* Append @item (and @key for objects) to @v. */
static bool add_member(struct jparser *jp, struct jv *v, char *key, struct jv *item)
{
	struct jv **items = realloc(v->items, (v->n + 1) * sizeof(*items));
	char **keys = v->t == J_OBJ ? realloc(v->keys, (v->n + 1) * sizeof(*keys)) : NULL;

	if (items)
		v->items = items;
	if (keys)
		v->keys = keys;
	if (!items || (v->t == J_OBJ && !keys)) {
		jp->err = "out of memory";
		free(key);
		jv_free(item);
		return false;
	}
	if (keys)
		keys[v->n] = key;
	items[v->n++] = item;
	return true;
}

static struct jv *parse_container(struct jparser *jp, struct jv *v, int depth)
{
	char close = v->t == J_OBJ ? '}' : ']';

	jp->p++;
	skip_ws(jp);
	if (*jp->p == close) {
		jp->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct jv *item;

		skip_ws(jp);
		if (v->t == J_OBJ) {
			if (*jp->p != '"') {
				jp->err = "expected a key";
				goto bad;
			}
			key = parse_string(jp);
			if (!key)
				goto bad;
			skip_ws(jp);
			if (*jp->p != ':') {
				free(key);
				jp->err = "expected ':'";
				goto bad;
			}
			jp->p++;
		}
		item = parse_value(jp, depth + 1);
		if (!item) {
			free(key);
			goto bad;
		}
		if (!add_member(jp, v, key, item))
			goto bad;
		skip_ws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close) {
			jp->p++;
			return v;
		}
		jp->err = v->t == J_OBJ ? "expected ',' or '}'" : "expected ',' or ']'";
		goto bad;
	}
bad:
	jv_free(v);
	return NULL;
}

static struct jv *parse_value(struct jparser *jp, int depth)
{
	struct jv *v;

	skip_ws(jp);
	if (depth > MAX_DEPTH) {
		jp->err = "nested too deeply";
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		jp->err = "out of memory";
		return NULL;
	}
	switch (*jp->p) {
	case '{':
		v->t = J_OBJ;
		return parse_container(jp, v, depth);
	case '[':
		v->t = J_ARR;
		return parse_container(jp, v, depth);
	case '"':
		v->t = J_STR;
		v->s = parse_string(jp);
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = {"true", "false", "null"};

		for (int i = 0; i < 3; i++) {
			size_t len = strlen(words[i]);

			if (!strncmp(jp->p, words[i], len)) {
				v->t = i < 2 ? J_BOOL : J_NULL;
				v->s = strdup(words[i]);
				jp->p += len;
				break;
			}
		}
		if (!v->s)
			jp->err = "unknown literal";
		break;
	}
	default:
		v->t = J_NUM;
		v->s = parse_number(jp);
		break;
	}
	if (!v->s) {
		jv_free(v);
		return NULL;
	}
	return v;
}

/* Parse one JSON document (the whole of @s); NULL with @err set if it is not one. */
static struct jv *json_parse(const char *s, const char **err)
{
	struct jparser jp = {.p = s};
	struct jv *v = parse_value(&jp, 0);

	if (v) {
		skip_ws(&jp);
		if (*jp.p) {
			jv_free(v);
			v = NULL;
			jp.err = "trailing text after the JSON value";
		}
	}
	*err = jp.err;
	return v;
}

static const struct jv *jv_get(const struct jv *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (unsigned int i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	return NULL;
}

/* A field by path: "a" or "a.b" (member b of object a). */
static const struct jv *jv_path(const struct jv *o, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[128];

	if (!dot)
		return jv_get(o, path);
	if ((size_t)(dot - path) >= sizeof(head))
		return NULL;
	memcpy(head, path, (size_t)(dot - path));
	head[dot - path] = '\0';
	return jv_path(jv_get(o, head), dot + 1);
}

/* The value as the shell helpers printed it: numbers as written, strings without quotes. */
static const char *scalar(const struct jv *v)
{
	return v && v->t != J_OBJ && v->t != J_ARR ? v->s : NULL;
}

static bool is_number(const struct jv *v)
{
	return v && v->t == J_NUM;
}

/* ---- the stats lines of a daemon log ------------------------------------------------------- */

struct lines {
	char **v;
	size_t n;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static bool is_stats_line(const char *s)
{
	return !strncmp(s, "{\"t\":", 5);
}

/*
 * Every complete stats line of @path (newlines stripped): the daemon may be writing the last one
 * while we read. Exits 2 if the file cannot be read.
 */
static struct lines read_stats(const char *path)
{
	struct lines l = {0};
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f) {
		fprintf(stderr, "vmcheck: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		char **v;

		/* A line without its newline is still being written: not a stats line yet. */
		if (!len || buf[len - 1] != '\n')
			continue;
		buf[--len] = '\0';
		if (!is_stats_line(buf))
			continue;
		v = realloc(l.v, (l.n + 1) * sizeof(*v));
		if (!v || !(v[l.n] = strdup(buf))) {
			fprintf(stderr, "vmcheck: out of memory reading %s\n", path);
			exit(2);
		}
		l.v = v;
		l.n++;
	}
	free(buf);
	fclose(f);
	return l;
}

/* Parse stats line @s; exits 2 naming @what if it is not JSON. */
static struct jv *parse_stats(const char *s, const char *what)
{
	const char *err = NULL;
	struct jv *v = json_parse(s, &err);

	if (!v) {
		fprintf(stderr, "vmcheck: %s is not JSON (%s): %s\n", what, err ? err : "?", s);
		exit(2);
	}
	return v;
}

struct stats {
	struct lines lines;
	char *last_text; /* the latest stats line, or NULL */
	struct jv *last; /* parsed, or NULL */
};

static struct stats load(const char *path)
{
	struct stats st = {.lines = read_stats(path)};

	if (st.lines.n) {
		st.last_text = st.lines.v[st.lines.n - 1];
		st.last = parse_stats(st.last_text, "the latest stats line");
	}
	return st;
}

static void stats_free(struct stats *st)
{
	jv_free(st->last);
	lines_free(&st->lines);
}

/* Cell NAME of a parsed stats line (the first with that "cgroup"), or NULL. */
static const struct jv *find_cell(const struct jv *line, const char *name)
{
	const struct jv *cells = jv_get(line, "cells");

	if (!cells || cells->t != J_ARR)
		return NULL;
	for (unsigned int i = 0; i < cells->n; i++) {
		const char *cg = scalar(jv_get(cells->items[i], "cgroup"));

		if (cg && !strcmp(cg, name))
			return cells->items[i];
	}
	return NULL;
}

/* ---- cpulists ------------------------------------------------------------------------------ */

/*
 * @list as a mask, or exit 2. Surrounding blanks are allowed ("3 " from expand of one CPU), and
 * the ranges may come in any order and overlap (unions joined with ','); all else is strict.
 */
static struct cpumask *mask_or_die(const char *list)
{
	struct cpumask *m = cpumask_alloc(NR_BITS);
	char err[256], *copy, *start, *end;

	copy = strdup(list);
	if (!m || !copy) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(2);
	}
	for (start = copy; *start == ' ' || *start == '\t' || *start == '\n'; start++)
		;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		*--end = '\0';
	if (cpumask_parse(m, start, err, sizeof(err))) {
		fprintf(stderr, "vmcheck: bad cpulist '%s': %s\n", list, err);
		exit(2);
	}
	free(copy);
	return m;
}

/* ---- commands ------------------------------------------------------------------------------ */

/* One "ID NAME CPUS" per cell of the latest stats line (or "ID:NAME=CPUS " with @oneline). */
static void print_cells(const struct jv *line, bool oneline)
{
	const struct jv *cells = jv_get(line, "cells");

	if (!cells || cells->t != J_ARR)
		return;
	for (unsigned int i = 0; i < cells->n; i++) {
		const struct jv *c = cells->items[i];
		const char *id = scalar(jv_get(c, "id")), *cg = scalar(jv_get(c, "cgroup"));
		const char *cpus = scalar(jv_get(c, "cpus"));

		if (!id || !cg || !cpus)
			continue;
		if (oneline)
			printf("%s:%s=%s ", id, cg, cpus);
		else
			printf("%s %s %s\n", id, cg, cpus);
	}
}

static int cmd_cells(const char *log, bool oneline)
{
	struct stats st = load(log);

	print_cells(st.last, oneline);
	stats_free(&st);
	return 0;
}

static int cmd_cell(const char *log, const char *name, const char *field)
{
	struct stats st = load(log);
	const char *v = scalar(jv_get(find_cell(st.last, name), field));

	if (v)
		printf("%s\n", v);
	stats_free(&st);
	return 0;
}

static int cmd_top(const char *log, const char *field)
{
	struct stats st = load(log);
	const struct jv *v = jv_path(st.last, field);

	if (is_number(v))
		printf("%s\n", v->s);
	stats_free(&st);
	return 0;
}

static const char *or_q(const struct jv *v)
{
	const char *s = scalar(v);

	return s ? s : "?";
}

static int cmd_brief(const char *log)
{
	struct stats st = load(log);
	const struct jv *cells = jv_get(st.last, "cells");

	printf("t=%s rebalances=%s plans=%s", or_q(jv_get(st.last, "t")),
	       or_q(jv_get(st.last, "rebalances")), or_q(jv_get(st.last, "plans")));
	for (unsigned int i = 0; cells && cells->t == J_ARR && i < cells->n; i++) {
		const struct jv *c = cells->items[i];

		if (!jv_get(c, "cgroup"))
			continue;
		printf(" %s=%s[%s] util=%s%% used=%s", or_q(jv_get(c, "cgroup")),
		       or_q(jv_get(c, "nr_cpus")), or_q(jv_get(c, "cpus")),
		       or_q(jv_get(c, "smoothed_util_pct")), or_q(jv_get(c, "cpus_used")));
	}
	putchar('\n');
	stats_free(&st);
	return 0;
}

/* a OP b; -1 for an unknown OP. */
static int compare(double a, const char *op, double b)
{
	if (!strcmp(op, ">"))
		return a > b;
	if (!strcmp(op, ">="))
		return a >= b;
	if (!strcmp(op, "<"))
		return a < b;
	if (!strcmp(op, "<="))
		return a <= b;
	if (!strcmp(op, "=="))
		return a == b;
	return -1;
}

/* A decimal number, or exit 2. "" counts as 0 (as awk does). */
static double number_or_die(const char *s)
{
	char *end;
	double v;

	if (!*s)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end) {
		fprintf(stderr, "vmcheck: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

static int check_op(const char *op)
{
	if (compare(0, op, 0) < 0) {
		fprintf(stderr, "vmcheck: unknown comparison '%s' (> >= < <= ==)\n", op);
		exit(2);
	}
	return 0;
}

static int cmd_cmp(const char *log, const char *name, const char *field, const char *op,
		   const char *want)
{
	struct stats st = load(log);
	const struct jv *scope = *name ? find_cell(st.last, name) : st.last;
	const struct jv *v = jv_get(scope, field);
	double b = number_or_die(want);
	int rc;

	check_op(op);
	if (is_number(v) && compare(strtod(v->s, NULL), op, b) == 1) {
		stats_free(&st);
		return 0;
	}
	rc = 1;
	printf("%s%s%s%s=%s (want %s %s); stats: %s\n", *name ? "cell " : "", name,
	       *name ? " " : "", field, is_number(v) ? v->s : "<missing>", op, want,
	       st.last_text ? st.last_text : "<none yet>");
	stats_free(&st);
	return rc;
}

static int cmd_agg(const char *log, const char *mark, const char *agg, const char *name,
		   const char *field)
{
	struct lines l = read_stats(log);
	char *end;
	long m = strtol(mark, &end, 10);
	double sum = 0, mx = 0, mn = 0;
	unsigned long cnt = 0;

	if (*end || m < 0 || (strcmp(agg, "max") && strcmp(agg, "min") && strcmp(agg, "mean"))) {
		fprintf(stderr, "vmcheck: agg LOG MARK max|min|mean NAME FIELD\n");
		exit(2);
	}
	for (size_t i = (size_t)m; i < l.n; i++) {
		struct jv *line = parse_stats(l.v[i], "a stats line");
		const struct jv *scope =
			strcmp(name, "-") ? find_cell(line, name) : jv_get(line, "queue");
		const struct jv *v = jv_get(scope, field);

		if (is_number(v)) {
			double x = strtod(v->s, NULL);

			if (!cnt || x > mx)
				mx = x;
			if (!cnt || x < mn)
				mn = x;
			sum += x;
			cnt++;
		}
		jv_free(line);
	}
	if (cnt)
		printf("%.1f\n", !strcmp(agg, "max")   ? mx
				 : !strcmp(agg, "min") ? mn
						       : sum / (double)cnt);
	lines_free(&l);
	return 0;
}

static int cmd_partition(const char *log, const char *online_list)
{
	struct stats st = load(log);
	const struct jv *cells = jv_get(st.last, "cells");
	struct cpumask *online = mask_or_die(online_list), *seen = mask_or_die("");
	unsigned int listed = 0;
	bool bad = false;

	for (unsigned int i = 0; cells && cells->t == J_ARR && i < cells->n; i++) {
		const char *cpus = scalar(jv_get(cells->items[i], "cpus"));
		struct cpumask *m;

		if (!cpus || !scalar(jv_get(cells->items[i], "id")) ||
		    !scalar(jv_get(cells->items[i], "cgroup")))
			continue;
		listed++;
		m = mask_or_die(cpus);
		cpumask_for_each(cpu, m) {
			if (cpumask_test(seen, (unsigned int)cpu)) {
				printf(" cpu %d is in two cells;", cpu);
				bad = true;
			}
			cpumask_set(seen, (unsigned int)cpu);
		}
		cpumask_free(m);
	}
	if (!listed) {
		printf("no cells in the latest stats line: %s\n", st.last_text ? st.last_text : "");
		bad = true;
		goto out;
	}
	cpumask_for_each(cpu, online) {
		if (!cpumask_test(seen, (unsigned int)cpu)) {
			printf(" online cpu %d is in no cell;", cpu);
			bad = true;
		}
	}
	if (bad) {
		printf(" cells: ");
		print_cells(st.last, true);
		putchar('\n');
	}
out:
	cpumask_free(online);
	cpumask_free(seen);
	stats_free(&st);
	return bad;
}

static void print_expanded(const struct cpumask *m)
{
	cpumask_for_each(cpu, m)
		printf("%d ", cpu);
}

static int cmd_owns_exactly(const char *log, const char *list)
{
	struct stats st = load(log);
	const struct jv *cells = jv_get(st.last, "cells");
	struct cpumask *want = mask_or_die(list), *seen = mask_or_die("");
	bool twice = false;
	/* How many cells own each CPU (printed in ascending order, with repeats). */
	unsigned int *count = calloc(NR_BITS, sizeof(*count));
	int rc = 0;

	if (!count) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(2);
	}
	for (unsigned int i = 0; cells && cells->t == J_ARR && i < cells->n; i++) {
		const char *cpus = scalar(jv_get(cells->items[i], "cpus"));
		struct cpumask *m;

		if (!cpus || !scalar(jv_get(cells->items[i], "id")) ||
		    !scalar(jv_get(cells->items[i], "cgroup")))
			continue;
		m = mask_or_die(cpus);
		cpumask_for_each(cpu, m) {
			twice |= count[cpu] > 0;
			count[cpu]++;
			cpumask_set(seen, (unsigned int)cpu);
		}
		cpumask_free(m);
	}
	if (twice || !cpumask_equal(seen, want)) {
		printf("cells own CPUs '");
		for (unsigned int cpu = 0; cpu < NR_BITS; cpu++)
			for (unsigned int k = 0; k < count[cpu]; k++)
				printf("%u ", cpu);
		printf("', want each of '");
		print_expanded(want);
		printf("' exactly once; cells: ");
		print_cells(st.last, true);
		putchar('\n');
		rc = 1;
	}
	free(count);
	cpumask_free(want);
	cpumask_free(seen);
	stats_free(&st);
	return rc;
}

static int cmd_no_cpu(const char *log, const char *cpu_s)
{
	struct stats st = load(log);
	const struct jv *cells = jv_get(st.last, "cells");
	char *end;
	long cpu = strtol(cpu_s, &end, 10);
	bool listed = false, owned = false;

	if (!*cpu_s || *end || cpu < 0 || cpu >= NR_BITS) {
		fprintf(stderr, "vmcheck: bad CPU number '%s'\n", cpu_s);
		exit(2);
	}
	for (unsigned int i = 0; cells && cells->t == J_ARR && i < cells->n; i++) {
		const char *cpus = scalar(jv_get(cells->items[i], "cpus"));
		const char *id = scalar(jv_get(cells->items[i], "id"));
		const char *cg = scalar(jv_get(cells->items[i], "cgroup"));
		struct cpumask *m;

		if (!cpus || !id || !cg)
			continue;
		listed = true;
		m = mask_or_die(cpus);
		if (cpumask_test(m, (unsigned int)cpu)) {
			printf("%scell %s (%s) owns cpu %ld", owned ? "\n" : "", id, cg, cpu);
			owned = true;
		}
		cpumask_free(m);
	}
	if (!listed) {
		printf("no stats line yet\n");
	} else if (owned) {
		printf("; cells: ");
		print_cells(st.last, true);
		putchar('\n');
	}
	stats_free(&st);
	return !listed || owned;
}

/* "12.500" -> 12500: the daemon's clock in ms, from the number as written. */
static bool t_to_ms(const char *t, long long *ms)
{
	long long v = 0;
	int frac = 0;
	const char *p = t;

	if (!(*p >= '0' && *p <= '9'))
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (frac < 3) {
				v = v * 10 + (*p - '0');
				frac++;
			}
	if (*p)
		return false;
	for (; frac < 3; frac++)
		v *= 10;
	*ms = v;
	return true;
}

static int cmd_t_ms(const char *log, const char *mark, const char *ere)
{
	struct lines l = read_stats(log);
	char *end;
	long m = strtol(mark, &end, 10);
	regex_t re;
	int rc = 1, err;

	if (!*mark || *end || m < 0) {
		fprintf(stderr, "vmcheck: t_ms: N must be a count of lines, got '%s'\n", mark);
		exit(2);
	}
	err = regcomp(&re, ere, REG_EXTENDED | REG_NOSUB);
	if (err) {
		char msg[256];

		regerror(err, &re, msg, sizeof(msg));
		fprintf(stderr, "vmcheck: t_ms: bad regular expression '%s': %s\n", ere, msg);
		exit(2);
	}
	for (size_t i = (size_t)m; i < l.n; i++) {
		struct jv *line;
		long long ms;

		if (regexec(&re, l.v[i], 0, NULL, 0))
			continue;
		line = parse_stats(l.v[i], "a stats line");
		if (is_number(jv_get(line, "t")) && t_to_ms(jv_get(line, "t")->s, &ms)) {
			printf("%lld\n", ms);
			rc = 0;
		}
		jv_free(line);
		break;
	}
	regfree(&re);
	lines_free(&l);
	return rc;
}

/* All of stdin as a string, or exit 2. */
static char *read_stdin(void)
{
	size_t cap = 0, len = 0, n;
	char *buf = NULL;

	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 65536));

			if (!nb) {
				fprintf(stderr, "vmcheck: out of memory\n");
				exit(2);
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, stdin);
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

/* ---- CPUs moved by a re-plan (bench_reconfig) ----------------------------------------------- */

#define MOVES_MAX_CELLS 256

/* One "ID NAME CPUS" table: per cell its id, name and CPUs, and who owns each CPU. */
struct cell_table {
	unsigned int n;
	int id[MOVES_MAX_CELLS];
	char *name[MOVES_MAX_CELLS];
	unsigned int size[MOVES_MAX_CELLS];
	const char *owner[NR_BITS]; /* name, or NULL */
	int max_cpu;
};

static void read_table(const char *path, struct cell_table *t)
{
	FILE *f = fopen(path, "r");
	char line[8192];

	if (!f) {
		fprintf(stderr, "vmcheck: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	memset(t, 0, sizeof(*t));
	t->max_cpu = -1;
	while (fgets(line, sizeof(line), f)) {
		char *id = strtok(line, " \t\n"), *name = strtok(NULL, " \t\n");
		char *cpus = strtok(NULL, " \t\n"), *end;
		struct cpumask *m;
		long v;

		if (!id)
			continue;
		v = strtol(id, &end, 10);
		if (!name || *end || v < 0 || t->n >= MOVES_MAX_CELLS) {
			fprintf(stderr, "vmcheck: %s: not an \"ID NAME CPUS\" line\n", path);
			exit(2);
		}
		t->id[t->n] = (int)v;
		t->name[t->n] = strdup(name);
		m = mask_or_die(cpus ? cpus : "");
		for (int cpu = 0; cpu < NR_BITS; cpu++) {
			if (!cpumask_test(m, (unsigned int)cpu))
				continue;
			t->owner[cpu] = t->name[t->n];
			t->size[t->n]++;
			if (cpu > t->max_cpu)
				t->max_cpu = cpu;
		}
		cpumask_free(m);
		t->n++;
	}
	fclose(f);
}

static bool same_owner(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The size @t gives cell @name (0 if it has none). */
static unsigned int size_of(const struct cell_table *t, const char *name)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], name))
			return t->size[i];
	return 0;
}

/* Owners of a contiguous cut of @t's sizes in cell-id order: @cut[cpu]. */
static void contiguous_cut(const struct cell_table *t, const char **cut)
{
	unsigned int c = 0;
	int max_id = -1;

	for (unsigned int i = 0; i < t->n; i++)
		max_id = t->id[i] > max_id ? t->id[i] : max_id;
	for (int id = 0; id <= max_id; id++)
		for (unsigned int i = 0; i < t->n; i++)
			for (unsigned int j = 0; t->id[i] == id && j < t->size[i] && c < NR_BITS;
			     j++)
				cut[c++] = t->name[i];
}

static int cmd_moves(const char *pa, const char *pb)
{
	static struct cell_table a, b;
	static const char *ca[NR_BITS], *cb[NR_BITS];
	unsigned int moved = 0, fewest = 0, contig = 0;
	int max_cpu;

	read_table(pa, &a);
	read_table(pb, &b);
	max_cpu = a.max_cpu > b.max_cpu ? a.max_cpu : b.max_cpu;
	contiguous_cut(&a, ca);
	contiguous_cut(&b, cb);
	for (int cpu = 0; cpu <= max_cpu; cpu++) {
		moved += !same_owner(a.owner[cpu], b.owner[cpu]);
		contig += !same_owner(ca[cpu], cb[cpu]);
	}
	for (unsigned int i = 0; i < b.n; i++) {
		unsigned int before = size_of(&a, b.name[i]);

		fewest += b.size[i] > before ? b.size[i] - before : 0;
	}
	printf("%u %u %u\n", moved, fewest, contig);
	return 0;
}

static int cmd_split(const char *prefix)
{
	char *buf = read_stdin();
	const struct jv *cells;
	struct jv *plan;
	const char *err = NULL;
	size_t plen = strlen(prefix);

	plan = json_parse(buf, &err);
	if (!plan) {
		fprintf(stderr, "vmcheck: split: the plan on stdin is not JSON (%s)\n",
			err ? err : "?");
		exit(2);
	}
	cells = jv_get(plan, "cells");
	for (unsigned int i = 0; cells && cells->t == J_ARR && i < cells->n; i++) {
		const struct jv *c = cells->items[i];
		const char *cg = scalar(jv_get(c, "cgroup")),
			   *primary = scalar(jv_get(c, "primary"));
		const struct jv *placed = jv_get(c, "placed");

		if (cg && primary && placed && placed->t == J_BOOL && !strcmp(placed->s, "true") &&
		    !strncmp(cg, prefix, plen))
			printf("%s=%s ", cg + plen, primary);
	}
	jv_free(plan);
	free(buf);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmd_median(int argc, char **argv)
{
	double *v = calloc((size_t)argc + 1, sizeof(*v));

	if (!v) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(2);
	}
	for (int i = 0; i < argc; i++)
		v[i] = number_or_die(argv[i]);
	qsort(v, (size_t)argc, sizeof(*v), cmp_double);
	/* The value as given, not reformatted: find an argument equal to the chosen one. */
	if (argc) {
		double m = v[(argc + 1) / 2 - 1];

		for (int i = 0; i < argc; i++)
			if (number_or_die(argv[i]) == m) {
				printf("%s\n", argv[i]);
				break;
			}
	} else {
		putchar('\n');
	}
	free(v);
	return 0;
}

/* ---- arithmetic ---------------------------------------------------------------------------- */

/*
 * calc EXPR: what awk's BEGIN { printf "%.3f", EXPR } printed for the helpers' fcalc: decimal
 * numbers, + - * / and parentheses, unary minus, the comparisons > >= < <= == (1 or 0) and the
 * conditional A ? B : C. Division by zero is an error (exit 2), as in awk, except in the branch
 * of a conditional that is not taken.
 */
struct calc {
	const char *expr, *p;
	unsigned int skip; /* inside a branch not taken */
};

static double calc_cond(struct calc *c);

static void calc_die(const struct calc *c, const char *what)
{
	fprintf(stderr, "vmcheck: calc '%s': %s at '%s'\n", c->expr, what, c->p);
	exit(2);
}

/* Skip blanks; if @tok comes next, step over it. */
static bool calc_eat(struct calc *c, const char *tok)
{
	size_t n = strlen(tok);

	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
	if (strncmp(c->p, tok, n))
		return false;
	c->p += n;
	return true;
}

static double calc_primary(struct calc *c)
{
	double v;
	char *end;

	if (calc_eat(c, "(")) {
		v = calc_cond(c);
		if (!calc_eat(c, ")"))
			calc_die(c, "')' expected");
		return v;
	}
	if (calc_eat(c, "-"))
		return -calc_primary(c);
	if (calc_eat(c, "+"))
		return calc_primary(c);
	if (!(*c->p >= '0' && *c->p <= '9') && *c->p != '.')
		calc_die(c, "a number expected");
	errno = 0;
	v = strtod(c->p, &end);
	if (errno || end == c->p)
		calc_die(c, "a number expected");
	c->p = end;
	return v;
}

static double calc_product(struct calc *c)
{
	double v = calc_primary(c), d;

	for (;;) {
		if (calc_eat(c, "*")) {
			v *= calc_primary(c);
		} else if (calc_eat(c, "/")) {
			d = calc_primary(c);
			if (d == 0 && !c->skip)
				calc_die(c, "division by zero");
			v = d == 0 ? 0 : v / d;
		} else {
			return v;
		}
	}
}

static double calc_sum(struct calc *c)
{
	double v = calc_product(c);

	for (;;) {
		if (calc_eat(c, "+"))
			v += calc_product(c);
		else if (calc_eat(c, "-"))
			v -= calc_product(c);
		else
			return v;
	}
}

static double calc_compare(struct calc *c)
{
	static const char *const ops[] = {">=", "<=", "==", ">", "<"}; /* longest first */
	double v = calc_sum(c);

	for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (calc_eat(c, ops[i]))
			return compare(v, ops[i], calc_sum(c));
	return v;
}

static double calc_cond(struct calc *c)
{
	double v = calc_compare(c), a, b;
	bool yes = v != 0;

	if (!calc_eat(c, "?"))
		return v;
	c->skip += !yes;
	a = calc_cond(c);
	c->skip -= !yes;
	if (!calc_eat(c, ":"))
		calc_die(c, "':' expected");
	c->skip += yes;
	b = calc_cond(c);
	c->skip -= yes;
	return yes ? a : b;
}

static int cmd_calc(const char *expr)
{
	struct calc c = {.expr = expr, .p = expr};
	double v = calc_cond(&c);

	if (calc_eat(&c, "") && *c.p)
		calc_die(&c, "unexpected text");
	printf("%.3f", v);
	return 0;
}

/* ---- /proc/stat ------------------------------------------------------------------------------ */

#define MAX_STAT_CPUS NR_BITS

/* One cpuN line of /proc/stat: all its time and its idle + iowait time (in ticks). */
struct cpustat {
	char name[32];
	double all, idle;
};

struct stat_snap {
	struct cpustat *v;
	unsigned int n;
};

/* The cpuN lines of @text up to a line "--" (or the end); *@rest: the text after that line. */
static struct stat_snap parse_snap(char *text, char **rest)
{
	struct stat_snap s = {calloc(MAX_STAT_CPUS, sizeof(*s.v)), 0};
	char *line = text, *next;

	if (!s.v) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(2);
	}
	*rest = NULL;
	for (; line && *line; line = next) {
		char *tok, *save = NULL;
		unsigned int field = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strcmp(line, "--")) {
			*rest = next;
			break;
		}
		tok = strtok_r(line, " \t", &save);
		if (!tok || strncmp(tok, "cpu", 3))
			continue;
		if (s.n == MAX_STAT_CPUS) {
			fprintf(stderr, "vmcheck: busy: more than %u CPU lines\n", MAX_STAT_CPUS);
			exit(2);
		}
		snprintf(s.v[s.n].name, sizeof(s.v[s.n].name), "%s", tok);
		/* awk's $2..$NF all, $5 + $6 idle and iowait */
		while ((tok = strtok_r(NULL, " \t", &save))) {
			double x = number_or_die(tok);

			s.v[s.n].all += x;
			if (field == 3 || field == 4)
				s.v[s.n].idle += x;
			field++;
		}
		s.n++;
	}
	return s;
}

static const struct cpustat *snap_find(const struct stat_snap *s, const char *name)
{
	const struct cpustat *found = NULL;

	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			found = &s->v[i]; /* the last one, as awk's array keeps it */
	return found;
}

/* "cpuN=PCT " of one CPU between @before and @after (either may be NULL: no ticks). */
static void print_busy(const char *name, const struct cpustat *before, const struct cpustat *after)
{
	double dt = after ? after->all - (before ? before->all : 0) : 0;
	double di = after ? after->idle - (before ? before->idle : 0) : 0;

	printf("%s=%.0f ", name, dt != 0 ? 100 * (dt - di) / dt : 0);
}

/*
 * busy [LIST]: two /proc/stat snapshots on stdin (cpuN lines, a line "--", cpuN lines): each
 * CPU's busy share in between (all time but idle and iowait), "cpuN=PCT " for each CPU of LIST
 * in order (0 for one not in the snapshots), or without LIST for each CPU of the second
 * snapshot in its order.
 */
static int cmd_busy(const char *list)
{
	char *text = read_stdin(), *rest;
	struct stat_snap b = parse_snap(text, &rest), a = {NULL, 0};
	char name[32];

	if (!rest) {
		fprintf(stderr, "vmcheck: busy: no line \"--\" between the two snapshots\n");
		exit(2);
	}
	a = parse_snap(rest, &rest);
	if (list) {
		struct cpumask *m = mask_or_die(list);

		cpumask_for_each(cpu, m) {
			snprintf(name, sizeof(name), "cpu%d", cpu);
			print_busy(name, snap_find(&b, name), snap_find(&a, name));
		}
		cpumask_free(m);
	} else {
		for (unsigned int i = 0; i < a.n; i++)
			print_busy(a.v[i].name, snap_find(&b, a.v[i].name), &a.v[i]);
	}
	free(a.v);
	free(b.v);
	free(text);
	return 0;
}

/* min_pct "cpuN=PCT ...": the smallest PCT as written (nothing for none). */
static int cmd_min_pct(const char *pcts)
{
	char *copy = strdup(pcts), *tok, *save = NULL;
	const char *best = NULL;
	double bv = 0;

	if (!copy) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(2);
	}
	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		const char *eq = strchr(tok, '=');
		double v;

		if (strncmp(tok, "cpu", 3) || !eq ||
		    strspn(tok + 3, "0123456789") != (size_t)(eq - tok - 3))
			continue;
		v = number_or_die(eq + 1);
		if (!best || v < bv) {
			best = eq + 1;
			bv = v;
		}
	}
	if (best)
		printf("%s\n", best);
	free(copy);
	return 0;
}

/* ---- the host's view of qemu (tests/vm/run.sh) ---------------------------------------------- */

/* One line of run.sh's qemu-cpu.log: "TIME CPU_NS WAIT_NS STATE CONSOLE_BYTES". */
struct sample {
	double t, c, w, by;
	bool stopped; /* state T */
};

struct samples {
	struct sample *v;
	unsigned int n;
};

static char *read_file_or_die(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n;
	char *buf = malloc(cap);

	if (!f || !buf) {
		fprintf(stderr, "vmcheck: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	*len = 0;
	while ((n = fread(buf + *len, 1, cap - *len - 1, f)) > 0) {
		*len += n;
		if (cap - *len - 1 == 0 && !(buf = realloc(buf, cap *= 2))) {
			fprintf(stderr, "vmcheck: out of memory\n");
			exit(2);
		}
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static struct samples read_samples(const char *path)
{
	size_t len;
	char *text = read_file_or_die(path, &len), *line, *save = NULL;
	struct samples s = {NULL, 0};
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	s.v = calloc(lines, sizeof(*s.v));

	if (!s.v) {
		fprintf(stderr, "vmcheck: out of memory\n");
		exit(2);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sample *x = &s.v[s.n++];
		char st[16] = "";

		if (sscanf(line, "%lf %lf %lf %15s %lf", &x->t, &x->c, &x->w, st, &x->by) < 4) {
			fprintf(stderr, "vmcheck: %s: not a qemu sample: '%s'\n", path, line);
			exit(2);
		}
		x->stopped = !strcmp(st, "T");
	}
	free(text);
	return s;
}

/*
 * Was qemu starved in the period that ends with sample @j: it got less than @pct % of one host
 * CPU although it wanted to run (its threads waited for a CPU at least half of the period), or
 * it was stopped.
 */
static bool starved(const struct sample *v, unsigned int j, double pct)
{
	double dt = (v[j].t - v[j - 1].t) * 1e9;

	return dt > 0 && (v[j].c - v[j - 1].c) < dt * pct / 100 &&
	       ((v[j].w - v[j - 1].w) >= dt / 2 || v[j].stopped);
}

/* The longest run of starved periods in samples @lo..@hi (seconds) and its start (seconds
 * after the first sample). */
static double longest(const struct samples *s, unsigned int lo, unsigned int hi, double pct,
		      double *at)
{
	double best = 0, run = 0, start = 0;

	*at = 0;
	for (unsigned int j = lo + 1; j <= hi; j++) {
		if (!starved(s->v, j, pct)) {
			run = 0;
			continue;
		}
		if (run == 0)
			start = s->v[j - 1].t - s->v[0].t;
		run += s->v[j].t - s->v[j - 1].t;
		if (run > best) {
			best = run;
			*at = start;
		}
	}
	return best;
}

/* qemu's mean share of one host CPU between samples @lo and @hi, in percent. */
static double share(const struct samples *s, unsigned int lo, unsigned int hi)
{
	const struct sample *a = &s->v[lo], *b = &s->v[hi];

	return b->t > a->t ? (b->c - a->c) / 1e9 / (b->t - a->t) * 100 : 0;
}

struct marker {
	char name[128];
	double begin, end; /* console bytes up to the end of the marker line; end < 0: none */
};

/*
 * stalls CONSOLE CPULOG PCT: per case that began on CONSOLE (its @@VMTEST BEGIN/END markers),
 * in order, "NAME SHARE STALL AT": qemu's mean share of one host CPU while the case ran, the
 * longest run of starved periods (seconds) and when it began (seconds after qemu started). A
 * case's window: from the sample before the console reached its BEGIN marker to the first that
 * reached its END marker (or the last).
 */
static int cmd_stalls(const char *console, const char *cpulog, const char *pct_s)
{
	double pct = number_or_die(pct_s), off = 0;
	struct samples s = read_samples(cpulog);
	size_t len;
	char *text = read_file_or_die(console, &len), *p = text, *end = text + len;
	struct marker *m = NULL;
	unsigned int nm = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *q = p;

		off += (double)(eol - p) + 1;
		/* the first "@@VMTEST BEGIN|END NAME" of the line, NAME up to a blank or '@' */
		while ((q = memmem(q, (size_t)(eol - q), "@@VMTEST ", 9))) {
			bool begin = !strncmp(q + 9, "BEGIN ", 6) && q + 15 <= eol;
			bool fin = !strncmp(q + 9, "END ", 4) && q + 13 <= eol;
			char *name = q + 9 + (begin ? 6 : 4);
			size_t nlen = 0;
			unsigned int i;

			if (begin || fin)
				while (name + nlen < eol && name[nlen] != ' ' && name[nlen] != '@')
					nlen++;
			if (!nlen) {
				q += 9;
				continue;
			}
			for (i = 0; i < nm; i++)
				if (strlen(m[i].name) == nlen && !memcmp(m[i].name, name, nlen))
					break;
			if (begin && i == nm) {
				m = realloc(m, (nm + 1) * sizeof(*m));
				if (!m) {
					fprintf(stderr, "vmcheck: out of memory\n");
					exit(2);
				}
				snprintf(m[nm].name, sizeof(m[nm].name), "%.*s", (int)nlen, name);
				m[nm].begin = off;
				m[nm++].end = -1;
			} else if (fin && i < nm && m[i].end < 0) {
				m[i].end = off;
			}
			break;
		}
		p = eol + 1;
	}
	for (unsigned int i = 0; i < nm; i++) {
		unsigned int lo = 0, hi = s.n - 1, j;
		double best, at;

		for (j = 0; j < s.n && s.v[j].by < m[i].begin; j++)
			;
		if (j == s.n)
			continue;
		lo = j ? j - 1 : 0;
		for (j = lo; m[i].end >= 0 && j < s.n; j++)
			if (s.v[j].by >= m[i].end) {
				hi = j;
				break;
			}
		best = longest(&s, lo, hi, pct, &at);
		printf("%s %.0f %.1f %.1f\n", m[i].name, share(&s, lo, hi), best, at);
	}
	free(m);
	free(text);
	free(s.v);
	return 0;
}

/*
 * stall_total CPULOG PCT: over the whole run, "SHARE WAITED STALL": qemu's mean share of one host
 * CPU and of the time it waited for one (percent), its longest starved run (seconds).
 */
static int cmd_stall_total(const char *cpulog, const char *pct_s)
{
	double pct = number_or_die(pct_s), best, at;
	struct samples s = read_samples(cpulog);
	const struct sample *a, *b;

	if (!s.n) {
		fprintf(stderr, "vmcheck: stall_total: no samples in %s\n", cpulog);
		exit(2);
	}
	a = &s.v[0];
	b = &s.v[s.n - 1];
	best = longest(&s, 0, s.n - 1, pct, &at);
	printf("%.0f %.0f %.1f\n", share(&s, 0, s.n - 1),
	       (b->w - a->w) / 1e9 / (b->t - a->t + 1e-9) * 100, best);
	free(s.v);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"vmcheck: usage: vmcheck expand|count LIST | subset|intersect A B | cells|summary|brief "
		"LOG | cell LOG NAME FIELD | top LOG FIELD | cmp LOG NAME FIELD OP V | agg LOG "
		"MARK max|min|mean NAME FIELD | partition LOG ONLINE | owns_exactly LOG LIST | "
		"no_cpu LOG CPU | t_ms LOG N ERE | split PREFIX | fcmp A OP B | median V... | calc "
		"EXPR | busy [LIST] | min_pct PCTS | stalls CONSOLE CPULOG PCT | stall_total CPULOG PCT\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int n = argc - 2; /* arguments after the command */
	char **a = argv + 2;

	if (!strcmp(cmd, "expand") && n == 1) {
		struct cpumask *m = mask_or_die(a[0]);

		print_expanded(m);
		cpumask_free(m);
		return 0;
	}
	if (!strcmp(cmd, "count") && n == 1) {
		struct cpumask *m = mask_or_die(a[0]);

		printf("%u\n", cpumask_weight(m));
		cpumask_free(m);
		return 0;
	}
	if ((!strcmp(cmd, "subset") || !strcmp(cmd, "intersect")) && n == 2) {
		struct cpumask *x = mask_or_die(a[0]), *y = mask_or_die(a[1]);
		bool yes = cmd[0] == 's' ? cpumask_subset(x, y) : cpumask_intersects(x, y);

		cpumask_free(x);
		cpumask_free(y);
		return !yes;
	}
	if (!strcmp(cmd, "cells") && n == 1)
		return cmd_cells(a[0], false);
	if (!strcmp(cmd, "summary") && n == 1)
		return cmd_cells(a[0], true);
	if (!strcmp(cmd, "cell") && n == 3)
		return cmd_cell(a[0], a[1], a[2]);
	if (!strcmp(cmd, "top") && n == 2)
		return cmd_top(a[0], a[1]);
	if (!strcmp(cmd, "brief") && n == 1)
		return cmd_brief(a[0]);
	if (!strcmp(cmd, "cmp") && n == 5)
		return cmd_cmp(a[0], a[1], a[2], a[3], a[4]);
	if (!strcmp(cmd, "agg") && n == 5)
		return cmd_agg(a[0], a[1], a[2], a[3], a[4]);
	if (!strcmp(cmd, "partition") && n == 2)
		return cmd_partition(a[0], a[1]);
	if (!strcmp(cmd, "owns_exactly") && n == 2)
		return cmd_owns_exactly(a[0], a[1]);
	if (!strcmp(cmd, "no_cpu") && n == 2)
		return cmd_no_cpu(a[0], a[1]);
	if (!strcmp(cmd, "t_ms") && n == 3)
		return cmd_t_ms(a[0], a[1], a[2]);
	if (!strcmp(cmd, "split") && n == 1)
		return cmd_split(a[0]);
	if (!strcmp(cmd, "fcmp") && n == 3) {
		double x = number_or_die(a[0]), y = number_or_die(a[2]);

		check_op(a[1]);
		return compare(x, a[1], y) != 1;
	}
	if (!strcmp(cmd, "median"))
		return cmd_median(n, a);
	if (!strcmp(cmd, "calc") && n == 1)
		return cmd_calc(a[0]);
	if (!strcmp(cmd, "busy") && n <= 1)
		return cmd_busy(n ? a[0] : NULL);
	if (!strcmp(cmd, "min_pct") && n == 1)
		return cmd_min_pct(a[0]);
	if (!strcmp(cmd, "stalls") && n == 3)
		return cmd_stalls(a[0], a[1], a[2]);
	if (!strcmp(cmd, "stall_total") && n == 2)
		return cmd_stall_total(a[0], a[1]);
	if (!strcmp(cmd, "moves") && n == 2)
		return cmd_moves(a[0], a[1]);
	return usage();
}
