// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for statsock: real unix sockets in a mkdtemp() directory. The server side runs in
 * this process and is driven by hand (pump() dispatches while its fd is readable); unix stream
 * sockets deliver synchronously, so "nothing arrived" is checked with a zero-timeout poll, never
 * by sleeping. The --monitor client runs against a server in a forked child.
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

#include "fixture.h"
#include "monitor.h"
#include "statsock.h"

#define WAIT_MS 5000 /* generous upper bound for anything that should happen at once */
#define RD_CAP	(1024 * 1024)

struct fx {
	char dir[64];
	char path[128];
	struct statsock *s;
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

	statsock_close(f->s);
	if (fx_rm_rf(f->dir))
		return -1;
	free(f);
	return 0;
}

static void do_listen(struct fx *f)
{
	char err[256] = "";
	int ret = statsock_listen(&f->s, f->path, err, sizeof(err));

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

/* Length of the first complete frame in @buf, 0 if none yet. */
static size_t frame_len(const char *buf, size_t len, bool json)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (json)
			return i + 1;
		if (buf[i - 1] == '.' && (i == 1 || buf[i - 2] == '\n'))
			return i + 1;
	}
	return 0;
}

/* Next complete frame (raw bytes, NUL-terminated, caller frees), or NULL at EOF. */
static char *rd_frame(struct rd *r, struct statsock *s, bool json)
{
	for (int i = 0; i < 10000; i++) {
		size_t n = frame_len(r->buf, r->len, json);

		if (n) {
			char *out = strndup(r->buf, n);

			memmove(r->buf, r->buf + n, r->len - n);
			r->len -= n;
			return out;
		}
		if (r->eof)
			return NULL;
		rd_fill(r, s);
	}
	fail_msg("no frame after 10000 reads");
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

static void expect_frame(struct rd *r, struct statsock *s, bool json, const char *want)
{
	char *got = rd_frame(r, s, json);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void publish(struct statsock *s, const char *json, const char *text)
{
	assert_int_equal(statsock_publish(s, json, text), 0);
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(fx_write_str(path, text), 0);
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

static void test_json_latest_then_next(void **state)
{
	struct fx *f = *state;
	struct rd early, late;

	do_listen(f);
	/* Before any snapshot: the request is accepted, nothing is sent yet. */
	rd_init(&early, client(f, "json\n"));
	assert_true(quiet(early.fd));
	assert_int_equal(stats(f->s).streaming, 1);

	publish(f->s, "{\"n\":1}", "one\n");
	expect_frame(&early, f->s, true, "{\"n\":1}\n");

	/* A late client gets the latest snapshot at once, then the next one. */
	rd_init(&late, client(f, "json\n"));
	expect_frame(&late, f->s, true, "{\"n\":1}\n");
	assert_true(quiet(late.fd));
	publish(f->s, "{\"n\":2}\n", "two\n");
	expect_frame(&late, f->s, true, "{\"n\":2}\n");
	expect_frame(&early, f->s, true, "{\"n\":2}\n");
	assert_true(quiet(early.fd) && quiet(late.fd));

	/* Only one format changes: the other format's clients get nothing. */
	publish(f->s, NULL, "three\n");
	assert_true(quiet(early.fd) && quiet(late.fd));

	assert_int_equal(stats(f->s).clients, 2);
	assert_int_equal(stats(f->s).accepted, 2);
	assert_int_equal(stats(f->s).published, 3);
	rd_free(&early);
	rd_free(&late);
	pump(f->s);
	assert_int_equal(stats(f->s).clients, 0);
}

static void test_text_framing(void **state)
{
	struct fx *f = *state;
	struct rd t, j;

	do_listen(f);
	rd_init(&t, client(f, "text\n"));
	rd_init(&j, client(f, "json\n"));
	/* Lines starting with '.' get one more; the frame ends with a line holding only ".". */
	publish(f->s, "{\"a\":\n1}\r\n", "header\n.\n..dots\n.x\n\nlast");
	expect_frame(&t, f->s, false, "header\n..\n...dots\n..x\n\nlast\n.\n");
	/* Newlines inside the JSON document travel as spaces: always one line. */
	expect_frame(&j, f->s, true, "{\"a\": 1}\n");
	publish(f->s, "{}", "");
	expect_frame(&t, f->s, false, ".\n");
	expect_frame(&j, f->s, true, "{}\n");
	assert_true(quiet(t.fd) && quiet(j.fd));
	rd_free(&t);
	rd_free(&j);
}

static void test_request_variants(void **state)
{
	struct fx *f = *state;
	struct rd split, halfclosed;

	do_listen(f);
	publish(f->s, "{\"n\":1}", "one\n");
	/* The request may arrive in pieces and end in CRLF. */
	rd_init(&split, client(f, "js"));
	assert_true(quiet(split.fd));
	say(split.fd, "on\r\n");
	pump(f->s);
	expect_frame(&split, f->s, true, "{\"n\":1}\n");

	/* End of input ends the line too, and a half-closed client keeps streaming. */
	rd_init(&halfclosed, client(f, "text"));
	assert_true(quiet(halfclosed.fd));
	assert_int_equal(shutdown(halfclosed.fd, SHUT_WR), 0);
	pump(f->s);
	expect_frame(&halfclosed, f->s, false, "one\n.\n");
	publish(f->s, "{\"n\":2}", "two\n");
	pump(f->s);
	expect_frame(&halfclosed, f->s, false, "two\n.\n");
	expect_frame(&split, f->s, true, "{\"n\":2}\n");
	assert_int_equal(stats(f->s).streaming, 2);
	assert_int_equal(stats(f->s).bad_requests, 0);
	rd_free(&split);
	rd_free(&halfclosed);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	struct rd good, longreq, unknown;
	char big[100];
	const char *got;

	do_listen(f);
	publish(f->s, "{\"n\":1}", "one\n");
	rd_init(&good, client(f, "json\n"));
	expect_frame(&good, f->s, true, "{\"n\":1}\n");

	/* 64 bytes without a newline is already too long; the rest is never buffered. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rd_init(&longreq, client(f, big));
	got = rd_all(&longreq, f->s);
	print_message("too long -> %s", got);
	assert_non_null(strstr(got, "error: request longer than 64 bytes"));
	assert_int_equal(got[strlen(got) - 1], '\n');

	rd_init(&unknown, client(f, "xml\n"));
	got = rd_all(&unknown, f->s);
	print_message("unknown -> %s", got);
	assert_non_null(strstr(got, "error: unknown request 'xml'"));

	/* The well-behaved client is not affected. */
	publish(f->s, "{\"n\":2}", "two\n");
	expect_frame(&good, f->s, true, "{\"n\":2}\n");
	assert_int_equal(stats(f->s).bad_requests, 2);
	assert_int_equal(stats(f->s).clients, 1);
	rd_free(&good);
	rd_free(&longreq);
	rd_free(&unknown);
}

static void test_exactly_64_bytes(void **state)
{
	struct fx *f = *state;
	char req[STATSOCK_MAX_REQUEST + 1];
	struct rd r;

	/* 63 bytes and a newline is the longest request: it is read, and refused as unknown. */
	do_listen(f);
	memset(req, 'y', STATSOCK_MAX_REQUEST - 1);
	req[STATSOCK_MAX_REQUEST - 1] = '\n';
	req[STATSOCK_MAX_REQUEST] = '\0';
	rd_init(&r, client(f, req));
	assert_non_null(strstr(rd_all(&r, f->s), "error: unknown request 'yyyy"));
	rd_free(&r);
}

static void test_silent_client_evicted(void **state)
{
	struct fx *f = *state;
	struct rd r;

	do_listen(f);
	rd_init(&r, client(f, NULL));
	publish(f->s, "{}", "x\n");
	assert_int_equal(stats(f->s).clients, 1);
	assert_true(quiet(r.fd));
	for (int i = 1; i < STATSOCK_REQUEST_PUBLISHES; i++)
		publish(f->s, "{}", "x\n");
	assert_int_equal(stats(f->s).clients, 0);
	assert_int_equal(stats(f->s).bad_requests, 1);
	assert_non_null(strstr(rd_all(&r, f->s), "error: no request received"));
	rd_free(&r);
}

static void test_stalled_client_dropped(void **state)
{
	struct fx *f = *state;
	size_t big_len = 60 * 1024;
	char *big = malloc(big_len + 1);
	struct rd good, stalled;
	int i;

	assert_non_null(big);
	do_listen(f);
	rd_init(&stalled, client(f, "json\n"));
	rd_init(&good, client(f, "json\n"));
	/* Hang guard only: publish must never block, so this never fires when the code is right. */
	alarm(30);
	for (i = 0; i < 100 && stats(f->s).dropped == 0; i++) {
		struct statsock_stats st;
		char *got;

		memset(big, 'a' + i % 26, big_len);
		big[big_len] = '\0';
		publish(f->s, big, NULL);
		st = stats(f->s);
		/* The stalled client never holds more than its bound in our memory. */
		assert_true(st.queued_bytes <= 2 * (size_t)STATSOCK_CLIENT_BUF);
		got = rd_frame(&good, f->s, true);
		assert_non_null(got);
		assert_int_equal(strlen(got), big_len + 1);
		assert_int_equal(got[0], 'a' + i % 26);
		free(got);
	}
	alarm(0);
	print_message("stalled client dropped after %d snapshots of %zu bytes\n", i, big_len);
	assert_int_equal(stats(f->s).dropped, 1);
	/* It took the kernel's socket buffer plus ours, then some: not dropped at the first. */
	assert_true(i > STATSOCK_CLIENT_BUF / (int)big_len);
	assert_int_equal(stats(f->s).clients, 1);
	/* The server closed it: reading what is there ends in EOF, not a hang. */
	rd_all(&stalled, NULL);
	/* And the good client still gets the next snapshot. */
	publish(f->s, "{\"after\":1}", NULL);
	expect_frame(&good, f->s, true, "{\"after\":1}\n");
	rd_free(&good);
	rd_free(&stalled);
	free(big);
}

static void test_too_large_snapshot(void **state)
{
	struct fx *f = *state;
	char *huge = malloc(STATSOCK_MAX_FRAME + 1);
	struct rd r;

	assert_non_null(huge);
	memset(huge, 'z', STATSOCK_MAX_FRAME);
	huge[STATSOCK_MAX_FRAME] = '\0';
	do_listen(f);
	publish(f->s, "{\"n\":1}", "one\n");
	/* Refused, the previous snapshot stays; the other format is still published. */
	assert_int_equal(statsock_publish(f->s, huge, "two\n"), -EMSGSIZE);
	rd_init(&r, client(f, "json\n"));
	expect_frame(&r, f->s, true, "{\"n\":1}\n");
	rd_free(&r);
	rd_init(&r, client(f, "text\n"));
	expect_frame(&r, f->s, false, "two\n.\n");
	/* Text of lines starting with '.' grows when framed: the framed size is what counts. */
	memset(huge, 'x', STATSOCK_MAX_FRAME);
	for (int i = 0; i < 400; i += 2) {
		huge[i] = '.';
		huge[i + 1] = '\n';
	}
	huge[STATSOCK_MAX_FRAME - 100] = '\0'; /* fits unstuffed, 200 bytes too long stuffed */
	assert_int_equal(statsock_publish(f->s, NULL, huge), -EMSGSIZE);
	assert_true(quiet(r.fd));
	rd_free(&r);
	free(huge);
}

static void test_too_many_clients(void **state)
{
	struct fx *f = *state;
	int fds[STATSOCK_MAX_CLIENTS];
	struct rd extra;

	do_listen(f);
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++)
		fds[i] = client(f, "json\n");
	assert_int_equal(stats(f->s).clients, STATSOCK_MAX_CLIENTS);
	rd_init(&extra, client(f, "json\n"));
	assert_non_null(strstr(rd_all(&extra, f->s), "error: too many clients"));
	assert_int_equal(stats(f->s).busy, 1);
	rd_free(&extra);
	/* A slot frees up when a client leaves. */
	close(fds[0]);
	pump(f->s);
	rd_init(&extra, client(f, "json\n"));
	publish(f->s, "{}", NULL);
	expect_frame(&extra, f->s, true, "{}\n");
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

static void test_stale_socket_replaced(void **state)
{
	struct fx *f = *state;
	struct stat before, after;
	struct rd r;

	make_stale_socket(f->path);
	assert_int_equal(lstat(f->path, &before), 0);
	do_listen(f);
	assert_int_equal(lstat(f->path, &after), 0);
	assert_true(S_ISSOCK(after.st_mode));
	assert_int_equal(after.st_mode & 07777, 0600);
	publish(f->s, "{}", NULL);
	rd_init(&r, client(f, "json\n"));
	expect_frame(&r, f->s, true, "{}\n");
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
	assert_int_equal(statsock_listen(&second, f->path, err, sizeof(err)), -EADDRINUSE);
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
	rd_init(&r, client(f, "json\n"));
	expect_frame(&r, f->s, true, "{}\n");
	rd_free(&r);
}

static void test_not_a_socket_untouched(void **state)
{
	struct fx *f = *state;
	struct statsock *s = NULL;
	char err[256] = "", target[160], link[160];
	struct stat st;

	write_file(f->path, "keep me\n");
	assert_int_equal(statsock_listen(&s, f->path, err, sizeof(err)), -EEXIST);
	print_message("error text: %s\n", err);
	assert_null(s);
	assert_non_null(strstr(err, "not a socket"));
	assert_string_equal(read_file(f->path), "keep me\n");

	/* A directory, and a symlink (even to a stale socket) are left alone too. */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(statsock_listen(&s, f->path, err, sizeof(err)), -EEXIST);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rmdir(f->path), 0);

	snprintf(target, sizeof(target), "%s/stale.sock", f->dir);
	snprintf(link, sizeof(link), "%s", f->path);
	make_stale_socket(target);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(statsock_listen(&s, f->path, err, sizeof(err)), -EEXIST);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(target, &st), 0);

	/* A path too long for a unix socket is an error, not a truncated path. */
	memset(link, 'p', sizeof(link) - 1);
	link[0] = '/';
	link[sizeof(link) - 1] = '\0';
	assert_int_equal(statsock_listen(&s, link, err, sizeof(err)), -ENAMETOOLONG);
	assert_null(s);
}

static void test_close_unlinks_only_ours(void **state)
{
	struct fx *f = *state;
	struct stat st;
	int fd;

	do_listen(f);
	fd = client(f, "json\n");
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
	char buf[256];
	struct pollfd p;
	ssize_t n, len = 0;
	int fd;

	if (setgid(65534) || setuid(65534))
		return 10;
	fd = raw_connect(path);
	if (fd < 0)
		return 11;
	(void)!send(fd, "json\n", 5, MSG_NOSIGNAL); /* may already be closed */
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
	return strstr(buf, "error: permission denied") ? 0 : 14;
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
 * Forked server: listen, tell the parent, wait for one streaming client, publish @n snapshots
 * made by @make, close. Exit status 0 when all went as planned.
 */
typedef void (*make_fn)(int i, char *json, char *text, size_t len);

static int server_child(const char *path, int ready_fd, int n, make_fn make)
{
	char err[256], json[4096], text[4096];
	struct statsock *s;
	struct statsock_stats st;

	if (statsock_listen(&s, path, err, sizeof(err)))
		return 20;
	if (write(ready_fd, "r", 1) != 1)
		return 21;
	for (int i = 0;; i++) {
		struct pollfd p = {.fd = statsock_fd(s), .events = POLLIN};

		statsock_get_stats(s, &st);
		if (st.streaming)
			break;
		if (i == 100 || poll(&p, 1, WAIT_MS) != 1)
			return 22;
		statsock_dispatch(s);
	}
	for (int i = 0; i < n; i++) {
		make(i, json, text, sizeof(json));
		if (statsock_publish(s, json, text))
			return 23;
	}
	statsock_get_stats(s, &st);
	if (st.queued_bytes) /* small snapshots: the socket took all */
		return 24;
	statsock_close(s);
	return 0;
}

static pid_t start_server(struct fx *f, int n, make_fn make)
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
		_exit(server_child(f->path, pipefd[1], n, make));
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

static void make_json(int i, char *json, char *text, size_t len)
{
	snprintf(json, len, "{\"seq\":%d}", i);
	snprintf(text, len, "seq %d\n", i);
}

/* Text with lines that need dot-stuffing, to check the round trip. */
static void make_text(int i, char *json, char *text, size_t len)
{
	snprintf(json, len, "{\"seq\":%d}", i);
	snprintf(text, len, "[seq %d]\n.\n..two dots\n  cell 0\n", i);
}

static void test_monitor_prints_every_snapshot(void **state)
{
	struct fx *f = *state;
	char err[256] = "", *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	pid_t pid;
	int ret;

	assert_non_null(out);
	pid = start_server(f, 5, make_json);
	ret = monitor_run(f->path, true, 0, out, NULL, err, sizeof(err));
	if (ret)
		print_error("monitor_run: %s\n", err);
	assert_int_equal(ret, 0);
	fclose(out);
	wait_server(pid);
	assert_string_equal(buf,
			    "{\"seq\":0}\n{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3}\n{\"seq\":4}\n");
	free(buf);
}

static void test_monitor_text_period_skips(void **state)
{
	struct fx *f = *state;
	char err[256] = "", *buf = NULL, want[512];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	pid_t pid;
	int ret;

	assert_non_null(out);
	/*
	 * A period far longer than the test: the first snapshot is printed at once, the ones in
	 * between are skipped, and the latest is printed when the daemon goes away.
	 */
	pid = start_server(f, 10, make_text);
	ret = monitor_run(f->path, false, 3600, out, NULL, err, sizeof(err));
	if (ret)
		print_error("monitor_run: %s\n", err);
	assert_int_equal(ret, 0);
	fclose(out);
	wait_server(pid);
	snprintf(want, sizeof(want), "%s%s", "[seq 0]\n.\n..two dots\n  cell 0\n",
		 "[seq 9]\n.\n..two dots\n  cell 0\n");
	assert_string_equal(buf, want);
	free(buf);
}

static void test_monitor_no_daemon(void **state)
{
	struct fx *f = *state;
	char err[256] = "";

	assert_int_equal(monitor_run(f->path, true, 1, stdout, NULL, err, sizeof(err)), -ENOENT);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "no scx_cells is running"));
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "start one first"));
	make_stale_socket(f->path);
	assert_int_equal(monitor_run(f->path, true, 1, stdout, NULL, err, sizeof(err)),
			 -ECONNREFUSED);
	assert_non_null(strstr(err, "no scx_cells is running"));
}

static void test_monitor_stop(void **state)
{
	struct fx *f = *state;
	volatile sig_atomic_t stop = 1;
	char err[256] = "", *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	do_listen(f);
	publish(f->s, "{}", "x\n");
	assert_int_equal(monitor_run(f->path, true, 1, out, &stop, err, sizeof(err)), 0);
	fclose(out);
	assert_int_equal(len, 0);
	free(buf);
}

/* A fake daemon that answers the request with @reply and closes. */
static int fake_child(const char *path, int ready_fd, const char *reply)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char req[64];
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
	n = recv(fd, req, sizeof(req), 0);
	if (n != 5)
		return 33;
	if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) != (ssize_t)strlen(reply))
		return 34;
	close(fd);
	close(lfd);
	return 0;
}

static int monitor_against_fake(struct fx *f, bool json, const char *reply, char *err,
				size_t errlen, char **outbuf)
{
	struct pollfd p;
	size_t len = 0;
	FILE *out = open_memstream(outbuf, &len);
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
	ret = monitor_run(f->path, json, 0, out, NULL, err, errlen);
	fclose(out);
	wait_server(pid);
	unlink(f->path);
	return ret;
}

static void test_monitor_protocol_errors(void **state)
{
	struct fx *f = *state;
	char err[256] = "", *buf = NULL;

	/* The daemon refused the request (e.g. a newer daemon): its reason is shown. */
	assert_int_equal(monitor_against_fake(f, false, "error: go away\n", err, sizeof(err), &buf),
			 -EPROTO);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "refused the request: go away"));
	free(buf);
	buf = NULL;
	assert_int_equal(monitor_against_fake(f, true, "error: nope\n", err, sizeof(err), &buf),
			 -EPROTO);
	assert_non_null(strstr(err, "refused the request: nope"));
	free(buf);
	buf = NULL;

	/* Closed in the middle of a snapshot (a dropped monitor): an error, complete ones printed.
	 */
	assert_int_equal(monitor_against_fake(f, false, "one\n.\ntwo\n", err, sizeof(err), &buf),
			 -ECONNRESET);
	print_message("error text: %s\n", err);
	assert_non_null(strstr(err, "in the middle of a snapshot"));
	assert_string_equal(buf, "one\n");
	free(buf);
	buf = NULL;
	assert_int_equal(monitor_against_fake(f, true, "{\"a\":1}\n{\"a\"", err, sizeof(err), &buf),
			 -ECONNRESET);
	assert_string_equal(buf, "{\"a\":1}\n");
	free(buf);
}

static int nonroot_monitor_child(const char *path)
{
	char err[256] = "";
	int ret;

	if (setgid(65534) || setuid(65534))
		return 10;
	ret = monitor_run(path, true, 1, stdout, NULL, err, sizeof(err));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_latest_then_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exactly_64_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_client_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_client_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_socket_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_unlinks_only_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonroot_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_prints_every_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_monitor_text_period_skips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_no_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_protocol_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_nonroot_eacces, setup, teardown),
	};

	/* A test failing between fork and exec-less child must not kill the runner via SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
