// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for statsock (the scx_stats protocol server) and monitor (the --monitor client):
 * real unix sockets in a mkdtemp() directory. The server side runs in this process and is driven
 * by hand (pump() dispatches while its fd is readable); unix stream sockets deliver
 * synchronously, so "nothing arrived" is checked with a zero-timeout poll, never by sleeping.
 * Time limits are tested with limits of tens of milliseconds, waiting for what the server does
 * (a reply, a close) with generous deadlines. The monitor runs against a server in a forked
 * child.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "monitor.h"
#include "statsock.h"

#define WAIT_MS 5000 /* generous upper bound for anything that should happen at once */
#define RD_CAP	(1024 * 1024)

struct fx {
	char dir[64];
	char path[128];
	struct statsock *s;
	const struct statsock_cfg *cfg; /* NULL: the default limits */
};

/* ---- helpers --------------------------------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_statsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	statsock_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static void do_listen(struct fx *f)
{
	char err[256] = "";
	int ret = statsock_listen(&f->s, f->path, f->cfg, err, sizeof(err));

	if (ret)
		print_error("statsock_listen: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(f->s);
}

static struct statsock_stats stats(struct statsock *s)
{
	struct statsock_stats st;

	statsock_get_stats(s, &st);
	return st;
}

/* Let the server handle everything that is ready now. */
static void pump(struct statsock *s)
{
	struct pollfd p = {.fd = statsock_fd(s), .events = POLLIN};

	for (int i = 0; i < 256 && poll(&p, 1, 0) == 1; i++)
		assert_int_equal(statsock_dispatch(s), 0);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void say(int fd, const char *msg)
{
	assert_int_equal(send(fd, msg, strlen(msg), MSG_NOSIGNAL), (ssize_t)strlen(msg));
}

/* Connect, send @req and let the server take it. */
static int client(struct fx *f, const char *req)
{
	int fd = raw_connect(f->path);

	assert_true(fd >= 0);
	if (req)
		say(fd, req);
	pump(f->s);
	return fd;
}

/* A buffered reader over a client fd; it pumps @s while waiting (large frames need EPOLLOUT). */
struct rd {
	int fd;
	char *buf;
	size_t len;
	bool eof;
};

static void rd_init(struct rd *r, int fd)
{
	r->fd = fd;
	r->buf = malloc(RD_CAP + 1);
	r->len = 0;
	r->eof = false;
	assert_non_null(r->buf);
}

static void rd_free(struct rd *r)
{
	close(r->fd);
	free(r->buf);
}

/* Wait for more input (or EOF). Fails the test if nothing happens within WAIT_MS. */
static void rd_fill(struct rd *r, struct statsock *s)
{
	struct pollfd p[2] = {{.fd = r->fd, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
	ssize_t n;

	if (s)
		p[1].fd = statsock_fd(s);
	for (;;) {
		int ret = poll(p, 2, WAIT_MS);

		assert_true(ret > 0); /* 0: timed out waiting for the server */
		if (p[1].revents) {
			assert_int_equal(statsock_dispatch(s), 0);
			if (!p[0].revents)
				continue;
		}
		break;
	}
	assert_true(r->len < RD_CAP);
	n = recv(r->fd, r->buf + r->len, RD_CAP - r->len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		r->eof = true;
	else if (n > 0)
		r->len += (size_t)n;
	else
		assert_true(errno == EAGAIN);
}

/* Next complete line (NUL-terminated, newline included, caller frees), or NULL at EOF. */
static char *rd_line(struct rd *r, struct statsock *s)
{
	for (int i = 0; i < 10000; i++) {
		char *nl = memchr(r->buf, '\n', r->len);

		if (nl) {
			size_t n = (size_t)(nl - r->buf) + 1;
			char *out = strndup(r->buf, n);

			memmove(r->buf, r->buf + n, r->len - n);
			r->len -= n;
			return out;
		}
		if (r->eof)
			return NULL;
		rd_fill(r, s);
	}
	fail_msg("no line after 10000 reads");
	return NULL;
}

/* Everything up to EOF, NUL-terminated in r->buf. */
static const char *rd_all(struct rd *r, struct statsock *s)
{
	for (int i = 0; i < 10000 && !r->eof; i++)
		rd_fill(r, s);
	assert_true(r->eof);
	r->buf[r->len] = '\0';
	return r->buf;
}

/* Nothing is waiting to be read (the server has sent all it was going to). */
static bool quiet(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 0;
}

/* The next reply must be exactly @want. */
static void expect_line(struct rd *r, struct statsock *s, const char *want)
{
	char *got = rd_line(r, s);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/*
 * The next reply must be an error with @errnum whose message contains @needle; the reply must be
 * valid JSON of the protocol's shape.
 */
static void expect_error(struct rd *r, struct statsock *s, int errnum, const char *needle)
{
	char *got = rd_line(r, s);
	json_error_t jerr;
	json_t *o, *resp;

	assert_non_null(got);
	print_message("reply: %s", got);
	o = json_loads(got, 0, &jerr);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), errnum);
	resp = json_object_get(json_object_get(o, "args"), "resp");
	assert_true(json_is_string(resp));
	assert_non_null(strstr(json_string_value(resp), needle));
	json_decref(o);
	free(got);
}

/* Send one request line (newline added) and let the server take it. */
static void ask(struct rd *r, struct statsock *s, const char *req)
{
	say(r->fd, req);
	say(r->fd, "\n");
	pump(s);
}

#define REQ_TOP	 "{\"req\":\"stats\",\"args\":{\"target\":\"top\"}}"
#define REQ_TEXT "{\"req\":\"stats\",\"args\":{\"target\":\"text\"}}"
#define REQ_META "{\"req\":\"stats_meta\"}"

static void publish(struct statsock *s, const char *json, const char *text)
{
	assert_int_equal(statsock_publish(s, json, text), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *read_file(const char *path)
{
	static char buf[256];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* A socket file nobody listens on, as a daemon killed with SIGKILL leaves behind. */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

/* ---- server ---------------------------------------------------------------------------------- */

static void test_stats_top_text_meta(void **state)
{
	struct fx *f = *state;
	struct rd r;
	char *meta;
	json_t *o;

	do_listen(f);
	rd_init(&r, client(f, NULL));
	/* Before the first snapshot: errno EAGAIN, and the connection stays usable. */
	ask(&r, f->s, REQ_TOP);
	expect_error(&r, f->s, EAGAIN, "no stats yet");
	ask(&r, f->s, REQ_TEXT);
	expect_error(&r, f->s, EAGAIN, "no stats yet");

	publish(f->s, "{\"n\":1}", "one\n\"two\"\n");
	/* Several requests on one connection; args {} or missing mean target "top". */
	ask(&r, f->s, REQ_TOP);
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	ask(&r, f->s, "{\"req\":\"stats\",\"args\":{}}");
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	ask(&r, f->s, "{\"req\":\"stats\"}");
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	ask(&r, f->s, REQ_TEXT);
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":\"one\\n\\\"two\\\"\\n\"}}\n");

	/* stats_meta: the table of metrics.c, as the protocol's reply. */
	ask(&r, f->s, REQ_META);
	meta = rd_line(&r, f->s);
	assert_non_null(meta);
	o = json_loads(meta, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "errno")), 0);
	assert_true(json_is_object(json_object_get(
		json_object_get(json_object_get(o, "args"), "resp"), "CellMetrics")));
	json_decref(o);
	free(meta);

	/* A new snapshot is what the next request gets. */
	publish(f->s, "{\"n\":2}", NULL);
	ask(&r, f->s, REQ_TOP);
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":2}}}\n");
	ask(&r, f->s, REQ_TEXT);
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":\"one\\n\\\"two\\\"\\n\"}}\n");
	assert_true(quiet(r.fd));
	assert_int_equal(stats(f->s).requests, 7);
	assert_int_equal(stats(f->s).bad_requests, 0);
	assert_int_equal(stats(f->s).clients, 1);
	rd_free(&r);
	pump(f->s);
	assert_int_equal(stats(f->s).clients, 0);
}

static void test_pipelined(void **state)
{
	struct fx *f = *state;
	struct rd r;

	do_listen(f);
	publish(f->s, "{\"n\":1}", "t\n");
	/* Four requests in one write, one of them bad: four replies, in order. */
	rd_init(&r, client(f, REQ_TOP "\n" REQ_TEXT "\nnonsense\n" REQ_TOP "\r\n"));
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":\"t\\n\"}}\n");
	expect_error(&r, f->s, EINVAL, "not JSON");
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	assert_true(quiet(r.fd));
	rd_free(&r);
}

static void test_bad_requests_keep_connection(void **state)
{
	static const struct {
		const char *req, *needle;
	} bad[] = {
		{"", "not JSON"},
		{"hello", "not JSON"},
		{"{\"req\":\"stats\"", "not JSON"},
		{"[1,2]", "not a JSON object"},
		{"{}", "no \"req\""},
		{"{\"req\":7}", "no \"req\""},
		{"{\"req\":\"nope\"}", "unknown request"},
		{"{\"req\":\"stats\",\"args\":[]}", "\"args\" is not an object"},
		{"{\"req\":\"stats\",\"args\":{\"target\":5}}", "not a string"},
		{"{\"req\":\"stats\",\"args\":{\"target\":\"bogus\"}}", "unknown target \"bogus\""},
		{"{\"req\":\"stats\",\"req\":\"stats\"}", "not JSON"},
		{"\x01\xff{", "not JSON"},
	};
	struct fx *f = *state;
	struct rd r;

	do_listen(f);
	publish(f->s, "{\"n\":1}", "t\n");
	rd_init(&r, client(f, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ask(&r, f->s, bad[i].req);
		expect_error(&r, f->s, EINVAL, bad[i].needle);
		/* ... and the same connection still answers. */
		ask(&r, f->s, REQ_TOP);
		expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	}
	assert_int_equal(stats(f->s).bad_requests, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(stats(f->s).clients, 1);
	rd_free(&r);
}

static void test_request_variants(void **state)
{
	struct fx *f = *state;
	struct rd split, halfclosed;

	do_listen(f);
	publish(f->s, "{\"n\":1}", "one\n");
	/* A request may arrive in pieces and end in CRLF. */
	rd_init(&split, client(f, "{\"req\":\"st"));
	assert_true(quiet(split.fd));
	say(split.fd, "ats\"}\r");
	pump(f->s);
	assert_true(quiet(split.fd));
	say(split.fd, "\n");
	pump(f->s);
	expect_line(&split, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");

	/* End of input ends the last line: `printf REQ | socat`; then the server closes. */
	rd_init(&halfclosed, client(f, REQ_META "\n" REQ_TEXT));
	assert_int_equal(shutdown(halfclosed.fd, SHUT_WR), 0);
	pump(f->s);
	free(rd_line(&halfclosed, f->s));
	expect_line(&halfclosed, f->s, "{\"errno\":0,\"args\":{\"resp\":\"one\\n\"}}\n");
	assert_null(rd_line(&halfclosed, f->s));
	assert_int_equal(stats(f->s).bad_requests, 0);
	assert_int_equal(stats(f->s).clients, 1);
	rd_free(&split);
	rd_free(&halfclosed);
}

static void test_request_length_bound(void **state)
{
	struct fx *f = *state;
	char *big = malloc(STATSOCK_MAX_REQUEST + 2);
	struct rd r;

	assert_non_null(big);
	do_listen(f);
	publish(f->s, "{}", NULL);
	/* The longest request line that is read: 4095 bytes (padded JSON) and a newline... */
	memset(big, ' ', STATSOCK_MAX_REQUEST - 1);
	memcpy(big, REQ_TOP, strlen(REQ_TOP));
	big[STATSOCK_MAX_REQUEST - 1] = '\n';
	big[STATSOCK_MAX_REQUEST] = '\0';
	rd_init(&r, client(f, big));
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
	rd_free(&r);

	/* ... 4096 without a newline is not: an error reply, and the connection is closed. */
	memset(big, 'x', STATSOCK_MAX_REQUEST);
	big[STATSOCK_MAX_REQUEST] = '\0';
	rd_init(&r, client(f, big));
	expect_error(&r, f->s, EINVAL, "request longer than 4095 bytes");
	assert_null(rd_line(&r, f->s));
	rd_free(&r);
	assert_int_equal(stats(f->s).clients, 0);
	free(big);
}

static const struct statsock_cfg fast_limits = {
	.request_timeout_ms = 40,
	.idle_timeout_ms = 60,
	.stall_timeout_ms = 80,
};

/* Dispatch until @cond holds or WAIT_MS pass; the server's timer makes its fd readable. */
#define PUMP_UNTIL(s, cond)                                                                        \
	do {                                                                                       \
		for (int _i = 0; _i < 1000 && !(cond); _i++) {                                     \
			struct pollfd _p = {.fd = statsock_fd(s), .events = POLLIN};               \
			assert_int_equal(poll(&_p, 1, WAIT_MS), 1);                                \
			assert_int_equal(statsock_dispatch(s), 0);                                 \
		}                                                                                  \
		assert_true(cond);                                                                 \
	} while (0)

static void test_time_limits(void **state)
{
	struct fx *f = *state;
	struct rd partial, idle, busy;

	f->cfg = &fast_limits;
	do_listen(f);
	publish(f->s, "{}", NULL);
	/* A request line left unfinished: an error reply, then the end of the connection. */
	rd_init(&partial, client(f, "{\"req\":"));
	expect_error(&partial, f->s, EINVAL, "not finished within 40 ms");
	assert_null(rd_line(&partial, f->s));
	assert_int_equal(stats(f->s).bad_requests, 1);

	/* A connection that sends nothing: closed after the idle limit. */
	rd_init(&idle, client(f, NULL));
	/* One that keeps asking (every 20 ms, under the limit) is not. */
	rd_init(&busy, client(f, NULL));
	for (int i = 0; i < 6; i++) {
		struct pollfd p = {.fd = -1};

		ask(&busy, f->s, REQ_TOP);
		expect_line(&busy, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
		(void)poll(&p, 0, 20); /* the client's pace, not a wait for the server */
		pump(f->s);
	}
	PUMP_UNTIL(f->s, stats(f->s).idle_closed == 1);
	assert_string_equal(rd_all(&idle, f->s), "");
	assert_int_equal(stats(f->s).clients, 1);
	ask(&busy, f->s, REQ_TOP);
	expect_line(&busy, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
	rd_free(&partial);
	rd_free(&idle);
	rd_free(&busy);
}

static const struct statsock_cfg stall_limits = {
	.request_timeout_ms = 60000,
	.idle_timeout_ms = 60000,
	.stall_timeout_ms = 80,
};

static void test_stalled_client_dropped(void **state)
{
	size_t big_len = 200 * 1024;
	char *big = malloc(big_len + 1), *got;
	struct fx *f = *state;
	struct rd good, stalled;

	assert_non_null(big);
	memset(big, ' ', big_len);
	big[0] = '{';
	big[big_len - 1] = '}';
	big[big_len] = '\0';
	f->cfg = &stall_limits;
	do_listen(f);
	publish(f->s, big, NULL);
	/* Asks 50 times for 200 KiB and never reads. */
	rd_init(&stalled, client(f, NULL));
	for (int i = 0; i < 50; i++)
		(void)!send(stalled.fd, REQ_TOP "\n", strlen(REQ_TOP) + 1, MSG_DONTWAIT);
	pump(f->s);
	/* We hold at most one reply for it, however much it asks. */
	assert_true(stats(f->s).queued_bytes <= STATSOCK_MAX_REPLY);
	assert_int_equal(stats(f->s).dropped, 0);
	/* Meanwhile a client that reads is served. */
	rd_init(&good, client(f, REQ_TOP "\n"));
	got = rd_line(&good, f->s);
	assert_non_null(got);
	assert_int_equal(strlen(got), big_len + strlen("{\"errno\":0,\"args\":{\"resp\":}}\n"));
	free(got);
	PUMP_UNTIL(f->s, stats(f->s).dropped == 1);
	assert_true(stats(f->s).requests < 50);
	assert_int_equal(stats(f->s).clients, 1);
	assert_int_equal(stats(f->s).queued_bytes, 0);
	/* The server closed it: reading what is there ends in EOF, not a hang. */
	rd_all(&stalled, NULL);
	rd_free(&good);
	rd_free(&stalled);
	free(big);
}

static void test_too_large_snapshot(void **state)
{
	struct fx *f = *state;
	char *huge = malloc(STATSOCK_MAX_REPLY + 1);
	struct rd r;

	assert_non_null(huge);
	memset(huge, ' ', STATSOCK_MAX_REPLY);
	huge[0] = '{';
	huge[STATSOCK_MAX_REPLY - 1] = '}';
	huge[STATSOCK_MAX_REPLY] = '\0';
	do_listen(f);
	publish(f->s, "{\"n\":1}", "one\n");
	/* Refused, the previous snapshot stays; the other target is still published. */
	assert_int_equal(statsock_publish(f->s, huge, "two\n"), -EMSGSIZE);
	rd_init(&r, client(f, REQ_TOP "\n" REQ_TEXT "\n"));
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{\"n\":1}}}\n");
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":\"two\\n\"}}\n");
	/* Text grows when escaped as JSON: the reply's size is what counts. */
	memset(huge, '\n', STATSOCK_MAX_REPLY - 100);
	huge[STATSOCK_MAX_REPLY - 100] = '\0';
	assert_int_equal(statsock_publish(f->s, NULL, huge), -EMSGSIZE);
	ask(&r, f->s, REQ_TEXT);
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":\"two\\n\"}}\n");
	rd_free(&r);
	free(huge);
}

static void test_too_many_clients(void **state)
{
	struct fx *f = *state;
	int fds[STATSOCK_MAX_CLIENTS];
	struct rd extra;

	do_listen(f);
	publish(f->s, "{}", NULL);
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++)
		fds[i] = client(f, NULL);
	assert_int_equal(stats(f->s).clients, STATSOCK_MAX_CLIENTS);
	rd_init(&extra, client(f, REQ_TOP "\n"));
	expect_error(&extra, f->s, EBUSY, "too many clients");
	assert_null(rd_line(&extra, f->s));
	assert_int_equal(stats(f->s).busy, 1);
	rd_free(&extra);
	/* A slot frees up when a client leaves. */
	close(fds[0]);
	pump(f->s);
	rd_init(&extra, client(f, REQ_TOP "\n"));
	expect_line(&extra, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
	assert_int_equal(stats(f->s).busy, 1);
	rd_free(&extra);
	for (int i = 1; i < STATSOCK_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void test_mode_0600(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(0); /* the mode must not depend on the caller's umask */
	struct stat st;

	do_listen(f);
	umask(old);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
}

static void test_parent_dirs_created(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(077);
	char dir[160];
	struct stat st;
	struct rd r;

	/* As /var/run/scx/root/stats on a fresh system: the missing levels are made, 0755. */
	snprintf(f->path, sizeof(f->path), "%s/scx/root/stats", f->dir);
	do_listen(f);
	umask(old);
	snprintf(dir, sizeof(dir), "%s/scx", f->dir);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(dir, sizeof(dir), "%s/scx/root", f->dir);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* An existing directory keeps its mode. */
	assert_int_equal(lstat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	publish(f->s, "{}", NULL);
	rd_init(&r, client(f, REQ_TOP "\n"));
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
	rd_free(&r);

	/* A parent that is a file: a clear error. */
	statsock_close(f->s);
	f->s = NULL;
	snprintf(dir, sizeof(dir), "%s/file", f->dir);
	write_file(dir, "x\n");
	snprintf(f->path, sizeof(f->path), "%s/file/stats", f->dir);
	{
		struct statsock *s = NULL;
		char err[256] = "";

		assert_true(statsock_listen(&s, f->path, NULL, err, sizeof(err)) < 0);
		print_message("error text: %s\n", err);
		assert_null(s);
	}
}

static void test_stale_socket_replaced(void **state)
{
	struct fx *f = *state;
	struct stat after;
	struct rd r;

	make_stale_socket(f->path);
	do_listen(f);
	assert_int_equal(lstat(f->path, &after), 0);
	assert_true(S_ISSOCK(after.st_mode));
	assert_int_equal(after.st_mode & 07777, 0600);
	publish(f->s, "{}", NULL);
	rd_init(&r, client(f, REQ_TOP "\n"));
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
	rd_free(&r);
}

static void test_live_socket_refused(void **state)
{
	struct fx *f = *state;
	struct statsock *second = (struct statsock *)&second; /* must be reset to NULL */
	struct stat before, after;
	char err[256] = "";
	struct rd r;

	do_listen(f);
	assert_int_equal(lstat(f->path, &before), 0);
	assert_int_equal(statsock_listen(&second, f->path, NULL, err, sizeof(err)), -EADDRINUSE);
	print_message("error text: %s\n", err);
	assert_null(second);
	assert_non_null(strstr(err, "another scx_cells is running"));
	assert_non_null(strstr(err, f->path));
	/* The live daemon keeps its socket and keeps working. */
	assert_int_equal(lstat(f->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	pump(f->s); /* the probe's connection comes and goes */
	assert_int_equal(stats(f->s).clients, 0);
	publish(f->s, "{}", NULL);
	rd_init(&r, client(f, REQ_TOP "\n"));
	expect_line(&r, f->s, "{\"errno\":0,\"args\":{\"resp\":{}}}\n");
	rd_free(&r);
}

static void test_not_a_socket_untouched(void **state)
{
	struct fx *f = *state;
	struct statsock *s = NULL;
	char err[256] = "", target[160], link[160];
	struct stat st;

	write_file(f->path, "keep me\n");
	assert_int_equal(statsock_listen(&s, f->path, NULL, err, sizeof(err)), -EEXIST);
	print_message("error text: %s\n", err);
	assert_null(s);
	assert_non_null(strstr(err, "not a socket"));
	assert_string_equal(read_file(f->path), "keep me\n");

	/* A directory, and a symlink (even to a stale socket) are left alone too. */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(statsock_listen(&s, f->path, NULL, err, sizeof(err)), -EEXIST);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rmdir(f->path), 0);

	snprintf(target, sizeof(target), "%s/stale.sock", f->dir);
	snprintf(link, sizeof(link), "%s", f->path);
	make_stale_socket(target);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(statsock_listen(&s, f->path, NULL, err, sizeof(err)), -EEXIST);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(target, &st), 0);

	/* A path too long for a unix socket is an error, not a truncated path. */
	memset(link, 'p', sizeof(link) - 1);
	link[0] = '/';
	link[sizeof(link) - 1] = '\0';
	assert_int_equal(statsock_listen(&s, link, NULL, err, sizeof(err)), -ENAMETOOLONG);
	assert_null(s);
}

static void test_close_unlinks_only_ours(void **state)
{
	struct fx *f = *state;
	struct stat st;
	int fd;

	do_listen(f);
	fd = client(f, NULL);
	statsock_close(f->s);
	f->s = NULL;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* The client sees the end of the stream. */
	{
		char c;
		struct pollfd p = {.fd = fd, .events = POLLIN};

		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		assert_int_equal(recv(fd, &c, 1, 0), 0);
	}
	close(fd);

	/* Someone replaced our socket file (another socket, a file): close leaves theirs alone. */
	do_listen(f);
	assert_int_equal(unlink(f->path), 0);
	make_stale_socket(f->path);
	statsock_close(f->s);
	f->s = NULL;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(unlink(f->path), 0);
	do_listen(f);
	assert_int_equal(unlink(f->path), 0);
	write_file(f->path, "theirs\n");
	statsock_close(f->s);
	f->s = NULL;
	assert_string_equal(read_file(f->path), "theirs\n");
	statsock_close(NULL);
}

/* Runs in a forked child: a root-less peer must be refused even if the file mode let it in. */
static int nonroot_child(const char *path)
{
	char buf[512];
	struct pollfd p;
	ssize_t n, len = 0;
	int fd;

	if (setgid(65534) || setuid(65534))
		return 10;
	fd = raw_connect(path);
	if (fd < 0)
		return 11;
	(void)!send(fd, REQ_TOP "\n", strlen(REQ_TOP) + 1, MSG_NOSIGNAL); /* may be closed */
	for (;;) {
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		if (poll(&p, 1, WAIT_MS) != 1)
			return 12; /* not closed in time */
		n = recv(fd, buf + len, sizeof(buf) - 1 - (size_t)len, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0)
			return 13;
		len += n;
	}
	buf[len] = '\0';
	return strstr(buf, "{\"errno\":13,\"args\":{\"resp\":\"permission denied") ? 0 : 14;
}

static void test_nonroot_refused(void **state)
{
	struct fx *f = *state;
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		print_message("not root: cannot test SO_PEERCRED refusal\n");
		skip();
	}
	do_listen(f);
	publish(f->s, "{}", NULL);
	/* Open the file system permissions so only the SO_PEERCRED check stands in the way. */
	assert_int_equal(chmod(f->dir, 0711), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nonroot_child(f->path));
	/* Until the child's connection has been decided on, either way. */
	for (int i = 0; i < 100 && !stats(f->s).refused && !stats(f->s).accepted; i++) {
		struct pollfd p = {.fd = statsock_fd(f->s), .events = POLLIN};

		if (poll(&p, 1, WAIT_MS) == 1)
			assert_int_equal(statsock_dispatch(f->s), 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stats(f->s).refused, 1);
	assert_int_equal(stats(f->s).accepted, 0);
	assert_int_equal(stats(f->s).clients, 0);
}

/* ---- client (--monitor) ---------------------------------------------------------------------- */

/*
 * Forked server: listen, tell the parent, publish snapshot 0 made by @make, and after every
 * @per requests answered publish the next one; after @n snapshots (each asked for @per times),
 * close. Exit status 0 when all went as planned.
 */
typedef void (*make_fn)(int i, char *json, char *text, size_t len);

static int server_child(const char *path, int ready_fd, int n, int per, make_fn make)
{
	char err[256], json[4096], text[4096];
	struct statsock_stats st;
	struct statsock *s;
	int i = 0;

	if (statsock_listen(&s, path, NULL, err, sizeof(err)))
		return 20;
	make(0, json, text, sizeof(json));
	if (statsock_publish(s, json, text))
		return 23;
	if (write(ready_fd, "r", 1) != 1)
		return 21;
	for (int loops = 0;; loops++) {
		struct pollfd p = {.fd = statsock_fd(s), .events = POLLIN};

		statsock_get_stats(s, &st);
		if (st.requests >= (uint64_t)(per * (i + 1))) {
			if (++i == n)
				break;
			make(i, json, text, sizeof(json));
			if (statsock_publish(s, json, text))
				return 23;
		}
		if (loops == 100000 || poll(&p, 1, WAIT_MS) != 1)
			return 22;
		statsock_dispatch(s);
	}
	statsock_get_stats(s, &st);
	if (st.queued_bytes) /* small replies: the socket took all */
		return 24;
	statsock_close(s);
	return 0;
}

static pid_t start_server(struct fx *f, int n, int per, make_fn make)
{
	struct pollfd p;
	int pipefd[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		_exit(server_child(f->path, pipefd[1], n, per, make));
	}
	close(pipefd[1]);
	p = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	return pid;
}

static void wait_server(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void make_seq(int i, char *json, char *text, size_t len)
{
	snprintf(json, len, "{\"seq\":%d,\"cells\":{\"0\":{\"num_cpus\":%d}}}", i, i + 1);
	snprintf(text, len, "[seq %d]\n  cell 0\n", i);
}

/* Run the monitor against @n snapshots each asked for @per times; the output in *@buf. */
static int run_monitor(struct fx *f, bool json, bool redraw, int n, int per, char **buf, char *err,
		       size_t errlen)
{
	size_t len = 0;
	FILE *out = open_memstream(buf, &len);
	struct monitor_cfg cfg = {
		.path = f->path, .json = json, .redraw = redraw, .period_s = 0.001, .out = out};
	pid_t pid;
	int ret;

	assert_non_null(out);
	pid = start_server(f, n, per, make_seq);
	ret = monitor_run(&cfg, err, errlen);
	if (ret)
		print_error("monitor_run: %s\n", err);
	fclose(out);
	wait_server(pid);
	return ret;
}

static void test_monitor_json_each_snapshot_once(void **state)
{
	struct fx *f = *state;
	char err[256] = "", *buf = NULL;

	/* Every snapshot is asked for three times and printed once, as one line. */
	assert_int_equal(run_monitor(f, true, false, 4, 3, &buf, err, sizeof(err)), 0);
	assert_string_equal(buf, "{\"seq\":0,\"cells\":{\"0\":{\"num_cpus\":1}}}\n"
				 "{\"seq\":1,\"cells\":{\"0\":{\"num_cpus\":2}}}\n"
				 "{\"seq\":2,\"cells\":{\"0\":{\"num_cpus\":3}}}\n"
				 "{\"seq\":3,\"cells\":{\"0\":{\"num_cpus\":4}}}\n");
	free(buf);
}

static void test_monitor_text_plain_and_redraw(void **state)
{
	struct fx *f = *state;
	char err[256] = "", *buf = NULL;

	/* Not a terminal: plain lines. */
	assert_int_equal(run_monitor(f, false, false, 3, 2, &buf, err, sizeof(err)), 0);
	assert_string_equal(buf, "[seq 0]\n  cell 0\n[seq 1]\n  cell 0\n[seq 2]\n  cell 0\n");
	free(buf);
	buf = NULL;
	/* A terminal: each view goes up over the previous one (2 lines) and clears below. */
	assert_int_equal(run_monitor(f, false, true, 3, 2, &buf, err, sizeof(err)), 0);
	assert_string_equal(buf, "[seq 0]\n  cell 0\n"
				 "\033[2A\033[J[seq 1]\n  cell 0\n"
				 "\033[2A\033[J[seq 2]\n  cell 0\n");
	free(buf);
}

static void test_monitor_no_daemon(void **state)
{
	struct fx *f = *state;
	struct monitor_cfg cfg = {.path = f->path, .json = true, .period_s = 1, .out = stdout};
	char err[256] = "";

	assert_int_equal(monitor_run(&cfg, err, sizeof(err)), -ENOENT);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "no scx_cells is running"));
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "start one first"));
	make_stale_socket(f->path);
	assert_int_equal(monitor_run(&cfg, err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "no scx_cells is running"));
}

static void test_monitor_stop(void **state)
{
	struct fx *f = *state;
	volatile sig_atomic_t stop = 1;
	char err[256] = "", *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct monitor_cfg cfg = {
		.path = f->path, .json = true, .period_s = 1, .out = out, .stop = &stop};

	assert_non_null(out);
	do_listen(f);
	publish(f->s, "{}", "x\n");
	assert_int_equal(monitor_run(&cfg, err, sizeof(err)), 0);
	fclose(out);
	assert_int_equal(len, 0);
	free(buf);
}

/* A fake daemon that answers the first request line with @reply and closes. */
static int fake_child(const char *path, int ready_fd, const char *reply)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char req[256];
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	ssize_t n;

	strcpy(sun.sun_path, path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) || listen(lfd, 1))
		return 30;
	if (write(ready_fd, "r", 1) != 1)
		return 31;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 32;
	n = recv(fd, req, sizeof(req) - 1, 0);
	if (n <= 0)
		return 33;
	req[n] = '\0';
	if (!strstr(req, "\"req\":\"stats\""))
		return 35;
	if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) != (ssize_t)strlen(reply))
		return 34;
	close(fd);
	close(lfd);
	return 0;
}

static int monitor_against_fake(struct fx *f, bool json, const char *reply, char *err,
				size_t errlen, char **outbuf)
{
	size_t len = 0;
	FILE *out = open_memstream(outbuf, &len);
	struct monitor_cfg cfg = {.path = f->path, .json = json, .period_s = 0.001, .out = out};
	struct pollfd p;
	int pipefd[2], ret;
	char c;
	pid_t pid;

	assert_non_null(out);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		_exit(fake_child(f->path, pipefd[1], reply));
	}
	close(pipefd[1]);
	p = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	ret = monitor_run(&cfg, err, errlen);
	fclose(out);
	wait_server(pid);
	unlink(f->path);
	return ret;
}

static void test_monitor_protocol_errors(void **state)
{
	struct fx *f = *state;
	char err[256] = "", *buf = NULL;

	/* The daemon refused the request: its reason is shown. */
	assert_int_equal(monitor_against_fake(f, false,
					      "{\"errno\":22,\"args\":{\"resp\":\"go away\"}}\n",
					      err, sizeof(err), &buf),
			 -EPROTO);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "refused the request: go away (errno 22)"));
	assert_string_equal(buf, "");
	free(buf);
	buf = NULL;
	/* Not the protocol at all (an old scx_cells, or another program). */
	assert_int_equal(monitor_against_fake(f, true, "hello\n", err, sizeof(err), &buf),
			 -EBADMSG);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "does not speak the scx_stats protocol"));
	free(buf);
	buf = NULL;
	/* The right protocol but a text reply to a JSON request. */
	assert_int_equal(monitor_against_fake(f, true, "{\"errno\":0,\"args\":{\"resp\":\"x\"}}\n",
					      err, sizeof(err), &buf),
			 -EBADMSG);
	free(buf);
	buf = NULL;
	/* No snapshot yet, then the daemon stopped: nothing printed, not an error. */
	assert_int_equal(monitor_against_fake(
				 f, true, "{\"errno\":11,\"args\":{\"resp\":\"no stats yet\"}}\n",
				 err, sizeof(err), &buf),
			 0);
	assert_string_equal(buf, "");
	free(buf);
	buf = NULL;
	/* A reply cut off by the daemon's end: nothing printed, not an error. */
	assert_int_equal(monitor_against_fake(f, true, "{\"errno\":0,\"ar", err, sizeof(err), &buf),
			 0);
	assert_string_equal(buf, "");
	free(buf);
}

static int nonroot_monitor_child(const char *path)
{
	struct monitor_cfg cfg = {.path = path, .json = true, .period_s = 1, .out = stdout};
	char err[256] = "";
	int ret;

	if (setgid(65534) || setuid(65534))
		return 10;
	ret = monitor_run(&cfg, err, sizeof(err));
	if (ret != -EACCES)
		return 11;
	return strstr(err, "must run as root") ? 0 : 12;
}

static void test_monitor_nonroot_eacces(void **state)
{
	struct fx *f = *state;
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		print_message("not root: cannot test the 0600 socket from another uid\n");
		skip();
	}
	do_listen(f);
	assert_int_equal(chmod(f->dir, 0711), 0); /* only the socket's own mode is in the way */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nonroot_monitor_child(f->path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	pump(f->s);
	assert_int_equal(stats(f->s).accepted, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_stats_top_text_meta),
		T(test_pipelined),
		T(test_bad_requests_keep_connection),
		T(test_request_variants),
		T(test_request_length_bound),
		T(test_time_limits),
		T(test_stalled_client_dropped),
		T(test_too_large_snapshot),
		T(test_too_many_clients),
		T(test_mode_0600),
		T(test_parent_dirs_created),
		T(test_stale_socket_replaced),
		T(test_live_socket_refused),
		T(test_not_a_socket_untouched),
		T(test_close_unlinks_only_ours),
		T(test_nonroot_refused),
		T(test_monitor_json_each_snapshot_once),
		T(test_monitor_text_plain_and_redraw),
		T(test_monitor_no_daemon),
		T(test_monitor_stop),
		T(test_monitor_protocol_errors),
		T(test_monitor_nonroot_eacces),
	};

	/* A test failing between fork and exec-less child must not kill the runner via SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
