// SPDX-License-Identifier: GPL-2.0
/*
 * scxstats - a client of the scx_stats protocol (the sched_ext ecosystem's stats socket), used by
 * the VM tests to read a running scx_cells the way scx tools do, and to decide pass/fail in C.
 *
 *   scxstats PATH raw LINE        send LINE (a newline is added), print the reply line
 *   scxstats PATH check [NCPUS]   check stats_meta and stats (below); NCPUS: online CPUs that
 *                                 the cells' num_cpus must add up to
 *   scxstats PATH bad             send malformed requests: each must get an error reply, and
 *                                 the same connection must still answer "stats" afterwards
 *   scxstats metrics OLD NEW      two --metrics-file contents written at different intervals:
 *                                 each is a complete exposition (ends in "# EOF", every sample
 *                                 has a TYPE), the same daemon wrote both (start_time_seconds
 *                                 equal), NEW is later (uptime_seconds grew), and no counter
 *                                 went backwards (every counter series of OLD is in NEW, >=)
 *
 * `check` verifies: stats_meta has a top struct with an OpenMetrics prefix and a per-cell struct
 * with the `cell` label; every field of the stats reply (top and per cell) is described there
 * with the right datum type; num_cells equals the number of cells; every cell has >= 1 CPU; the
 * cells' num_cpus add up to NCPUS. Prints "scxstats: ok ..." or "FAIL: ..." with what it saw;
 * exit status 0 ok, 1 failed check, 2 usage or connection error.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *conn_in, *conn_out;
static int failures;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		printf("FAIL: " __VA_ARGS__);                                                      \
		putchar('\n');                                                                     \
		failures++;                                                                        \
	} while (0)

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "scxstats: connect %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	conn_in = fdopen(fd, "r");
	conn_out = fdopen(dup(fd), "w");
	return conn_in && conn_out ? 0 : -1;
}

/* Send @line, read one reply line into a malloc'd string (NULL: connection closed). */
static char *request_line(const char *line)
{
	char *reply = NULL;
	size_t cap = 0;

	fprintf(conn_out, "%s\n", line);
	fflush(conn_out);
	if (getline(&reply, &cap, conn_in) < 0) {
		free(reply);
		return NULL;
	}
	return reply;
}

/* Send @line; return the parsed reply (caller decrefs) and its errno in *@err_no. */
static json_t *request(const char *line, int *err_no)
{
	char *reply = request_line(line);
	json_error_t jerr;
	json_t *o;

	if (!reply) {
		FAIL("no reply to %s (connection closed)", line);
		return NULL;
	}
	o = json_loads(reply, 0, &jerr);
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "errno")) ||
	    !json_object_get(json_object_get(o, "args"), "resp")) {
		FAIL("reply to %s is not {\"errno\":N,\"args\":{\"resp\":...}}: %s", line, reply);
		json_decref(o);
		free(reply);
		return NULL;
	}
	*err_no = (int)json_integer_value(json_object_get(o, "errno"));
	free(reply);
	return o;
}

static json_t *resp_of(json_t *reply)
{
	return json_object_get(json_object_get(reply, "args"), "resp");
}

static const char *user_attr(json_t *meta_struct, const char *name)
{
	return json_string_value(json_object_get(json_object_get(meta_struct, "user"), name));
}

/* Every field of @values is described in @fields with the right datum; count checked. */
static void check_described(const char *what, json_t *values, json_t *fields)
{
	const char *key;
	json_t *v;

	json_object_foreach(values, key, v)
	{
		json_t *m = json_object_get(fields, key);
		const char *datum = json_string_value(json_object_get(m, "datum"));
		const char *want = json_is_string(v)	? "string"
				   : json_is_integer(v) ? "u64"
				   : json_is_real(v)	? "float"
							: NULL;

		if (!m) {
			FAIL("%s field %s is not described by stats_meta", what, key);
		} else if (json_is_object(v)) {
			if (!json_object_get(m, "dict"))
				FAIL("%s field %s is an object but stats_meta has no dict", what,
				     key);
		} else if (!datum || !want || strcmp(datum, want)) {
			FAIL("%s field %s is a %s, stats_meta says %s", what, key, want ?: "?",
			     datum ?: "(none)");
		} else if (!json_string_value(json_object_get(m, "desc"))) {
			FAIL("%s field %s has no description", what, key);
		}
	}
}

static int check(const char *ncpus_arg)
{
	json_t *meta_reply, *stats_reply, *meta, *top = NULL, *cell_struct, *stats, *cells, *c;
	const char *name, *key, *cell_name;
	long long sum = 0;
	int e = -1;

	meta_reply = request("{\"req\":\"stats_meta\",\"args\":{}}", &e);
	if (!meta_reply || e) {
		FAIL("stats_meta: errno %d", e);
		return 1;
	}
	meta = resp_of(meta_reply);
	json_object_foreach(meta, name, c)
	{
		if (json_string_value(json_object_get(c, "top")))
			top = c;
	}
	if (!top) {
		FAIL("stats_meta has no struct marked top");
		return 1;
	}
	if (!user_attr(top, "_om_prefix"))
		FAIL("top struct has no _om_prefix");
	cell_name = json_string_value(json_object_get(
		json_object_get(
			json_object_get(json_object_get(json_object_get(top, "fields"), "cells"),
					"dict"),
			"datum"),
		"struct"));
	cell_struct = cell_name ? json_object_get(meta, cell_name) : NULL;
	if (!cell_struct)
		FAIL("stats_meta: top field cells is not a dict of a described struct");
	else if (!user_attr(cell_struct, "_om_label") ||
		 strcmp(user_attr(cell_struct, "_om_label"), "cell"))
		FAIL("per-cell struct %s has no _om_label \"cell\"", cell_name);

	stats_reply = request("{\"req\":\"stats\",\"args\":{\"target\":\"top\"}}", &e);
	if (!stats_reply || e) {
		FAIL("stats: errno %d", e);
		return 1;
	}
	stats = resp_of(stats_reply);
	check_described("top", stats, json_object_get(top, "fields"));
	cells = json_object_get(stats, "cells");
	if (json_integer_value(json_object_get(stats, "num_cells")) !=
	    (long long)json_object_size(cells))
		FAIL("num_cells %lld but %zu cells",
		     json_integer_value(json_object_get(stats, "num_cells")),
		     json_object_size(cells));
	json_object_foreach(cells, key, c)
	{
		long long n = json_integer_value(json_object_get(c, "num_cpus"));

		if (cell_struct)
			check_described(key, c, json_object_get(cell_struct, "fields"));
		if (n < 1)
			FAIL("cell %s has num_cpus %lld", key, n);
		sum += n;
	}
	if (ncpus_arg && sum != atoll(ncpus_arg))
		FAIL("cells hold %lld CPUs, want %s", sum, ncpus_arg);
	if (!failures)
		printf("scxstats: ok: %zu cells, %lld CPUs, %zu top fields, meta structs %s and "
		       "%s\n",
		       json_object_size(cells), sum, json_object_size(stats),
		       json_string_value(json_object_get(top, "name")), cell_name);
	json_decref(meta_reply);
	json_decref(stats_reply);
	return failures ? 1 : 0;
}

static int bad(void)
{
	static const char *const bad_requests[] = {
		"not json",
		"[]",
		"{}",
		"{\"req\":42}",
		"{\"req\":\"frobnicate\"}",
		"{\"req\":\"stats\",\"args\":[1]}",
		"{\"req\":\"stats\",\"args\":{\"target\":\"nosuch\"}}",
	};
	json_t *r;
	int e;

	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		e = 0;
		r = request(bad_requests[i], &e);
		if (!r)
			return 1;
		if (!e || !json_is_string(resp_of(r)))
			FAIL("bad request %s got errno %d", bad_requests[i], e);
		else
			printf("scxstats: %s -> errno %d \"%s\"\n", bad_requests[i], e,
			       json_string_value(resp_of(r)));
		json_decref(r);
	}
	r = request("{\"req\":\"stats\"}", &e);
	if (!r || e)
		FAIL("after bad requests the connection no longer answers stats (errno %d)", e);
	json_decref(r);
	return failures ? 1 : 0;
}

/* ---- metrics OLD NEW ------------------------------------------------------------------------ */

#define MAX_SERIES 2048

struct series {
	char *name;   /* metric name (before '{') */
	char *series; /* name and labels */
	double value;
	bool counter;
};

struct expo {
	size_t n;
	struct series s[MAX_SERIES];
};

/* Parse one exposition; FAIL() for what is malformed. Returns false if unreadable. */
static bool load_expo(const char *path, struct expo *e)
{
	char types[MAX_SERIES][128];
	bool is_counter[MAX_SERIES];
	size_t nt = 0, cap = 0;
	bool eof = false;
	char *line = NULL;
	FILE *f = fopen(path, "r");

	if (!f) {
		FAIL("cannot open %s: %s", path, strerror(errno));
		return false;
	}
	e->n = 0;
	while (getline(&line, &cap, f) > 0) {
		char *nl = strchr(line, '\n'), *sp, *brace, *end;
		char tname[128], ttype[32];
		bool counter = false;

		if (nl)
			*nl = '\0';
		if (eof)
			FAIL("%s: line after # EOF: %s", path, line);
		if (!strcmp(line, "# EOF")) {
			eof = true;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			if (sscanf(line + 7, "%127s %31s", tname, ttype) != 2 || nt == MAX_SERIES) {
				FAIL("%s: bad TYPE line: %s", path, line);
				continue;
			}
			strcpy(types[nt], tname);
			is_counter[nt++] = !strcmp(ttype, "counter");
			continue;
		}
		if (line[0] == '#' || !line[0])
			continue;
		sp = strrchr(line, ' ');
		if (!sp || e->n == MAX_SERIES) {
			FAIL("%s: bad sample line: %s", path, line);
			continue;
		}
		*sp = '\0';
		brace = strchr(line, '{');
		e->s[e->n].series = strdup(line);
		e->s[e->n].name = strndup(line, brace ? (size_t)(brace - line) : strlen(line));
		e->s[e->n].value = strtod(sp + 1, &end);
		if (end == sp + 1 || *end)
			FAIL("%s: bad value in: %s %s", path, line, sp + 1);
		for (size_t i = 0; i < nt; i++) {
			if (!strcmp(types[i], e->s[e->n].name)) {
				counter = is_counter[i];
				break;
			}
			if (i == nt - 1)
				FAIL("%s: sample %s has no TYPE line before it", path, line);
		}
		e->s[e->n++].counter = counter;
	}
	if (!eof)
		FAIL("%s does not end with # EOF (a torn write?)", path);
	free(line);
	fclose(f);
	return true;
}

static const struct series *find_series(const struct expo *e, const char *series)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].series, series))
			return &e->s[i];
	return NULL;
}

static double value_of(const char *path, const struct expo *e, const char *series)
{
	const struct series *s = find_series(e, series);

	if (!s) {
		FAIL("%s has no %s", path, series);
		return -1;
	}
	return s->value;
}

static int metrics(const char *old_path, const char *new_path)
{
	static struct expo old, new;
	size_t counters = 0, grew = 0;
	double up0, up1, st0, st1;

	if (!load_expo(old_path, &old) || !load_expo(new_path, &new))
		return 1;
	up0 = value_of(old_path, &old, "scx_cells_uptime_seconds");
	up1 = value_of(new_path, &new, "scx_cells_uptime_seconds");
	st0 = value_of(old_path, &old, "scx_cells_start_time_seconds");
	st1 = value_of(new_path, &new, "scx_cells_start_time_seconds");
	value_of(new_path, &new, "scx_cells_num_cells");
	if (!(up1 > up0))
		FAIL("uptime_seconds did not grow: %g -> %g (file not rewritten?)", up0, up1);
	if (st0 != st1)
		FAIL("start_time_seconds changed: %f -> %f (another daemon?)", st0, st1);
	for (size_t i = 0; i < old.n; i++) {
		const struct series *n;

		if (!old.s[i].counter)
			continue;
		counters++;
		n = find_series(&new, old.s[i].series);
		if (!n)
			FAIL("counter %s vanished from %s", old.s[i].series, new_path);
		else if (n->value < old.s[i].value)
			FAIL("counter %s went backwards: %g -> %g", old.s[i].series, old.s[i].value,
			     n->value);
		else
			grew += n->value > old.s[i].value;
	}
	if (!counters)
		FAIL("%s has no counters", old_path);
	if (!failures)
		printf("scxstats: metrics ok: %zu series, %zu counters (%zu grew), uptime %.3f -> "
		       "%.3f s\n",
		       new.n, counters, grew, up0, up1);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "metrics"))
		return metrics(argv[2], argv[3]);
	if (argc < 3) {
		fprintf(stderr,
			"usage: scxstats PATH raw LINE | check [NCPUS] | bad; scxstats metrics OLD NEW\n");
		return 2;
	}
	if (connect_to(argv[1]))
		return 2;
	if (!strcmp(argv[2], "raw") && argc == 4) {
		char *reply = request_line(argv[3]);

		if (!reply)
			return 2;
		fputs(reply, stdout);
		free(reply);
		return 0;
	}
	if (!strcmp(argv[2], "check"))
		return check(argc > 3 ? argv[3] : NULL);
	if (!strcmp(argv[2], "bad"))
		return bad();
	fprintf(stderr, "usage: scxstats PATH raw LINE | check [NCPUS] | bad\n");
	return 2;
}
