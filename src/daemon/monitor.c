// SPDX-License-Identifier: GPL-2.0
/*
 * monitor - the `--monitor` client of the scx_stats protocol. See monitor.h.
 *
 * One connection for the whole run: send a request, wait for its reply line (polling in steps of
 * at most 250 ms so a signal is noticed), print it unless it is the view printed last, sleep
 * until the next period while watching the socket (a daemon that stops is noticed at once), and
 * again.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "monitor.h"
#include "statsock.h"
#include "util.h"

#define MAX_WAIT_MS 250
#define REQ_TOP	    "{\"req\":\"stats\",\"args\":{\"target\":\"top\"}}\n"
#define REQ_TEXT    "{\"req\":\"stats\",\"args\":{\"target\":\"text\"}}\n"
/* Cursor up N lines, then clear from the cursor to the end of the screen. */
#define CURSOR_UP   "\033[%uA"
#define CLEAR_DOWN  "\033[J"

struct mon {
	const struct monitor_cfg *cfg;
	int fd;
	char *in; /* received, not yet taken: [0, in_len) */
	size_t in_len;
	char *last; /* the view printed last (as printed), NULL before the first */
	unsigned int last_lines;
};

#define IN_CAP (STATSOCK_MAX_REPLY + 1)

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool stopped(const struct mon *m)
{
	return m->cfg->stop && *m->cfg->stop;
}

static int connect_daemon(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, ret;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path)) {
		set_err(err, errlen, "stats socket path '%s' is empty or longer than %zu bytes",
			path ? path : "", sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot create a socket: %s", strerror(errno));
		return ret;
	}
	if (!connect(fd, (const struct sockaddr *)&sun, sizeof(sun)))
		return fd;
	ret = -errno;
	close(fd);
	switch (ret) {
	case -ENOENT:
	case -ECONNREFUSED:
		set_err(err, errlen,
			"no scx_cells is running (cannot connect to %s: %s); start one first", path,
			strerror(-ret));
		break;
	case -EACCES:
	case -EPERM:
		set_err(err, errlen,
			"permission denied connecting to %s; --monitor must run as root (the stats socket is root-only)",
			path);
		break;
	case -EAGAIN:
		set_err(err, errlen,
			"scx_cells at %s is not accepting connections right now; try again", path);
		break;
	default:
		set_err(err, errlen, "cannot connect to %s: %s", path, strerror(-ret));
	}
	return ret;
}

/*
 * Wait up to @timeout_ms for one complete line. Returns its length (newline included) at the
 * start of m->in, 0 when the daemon closed the connection (or *stop was set), or -errno.
 */
static ssize_t read_line(struct mon *m, int timeout_ms, char *err, size_t errlen)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *nl = memchr(m->in, '\n', m->in_len);
		struct pollfd p = {.fd = m->fd, .events = POLLIN};
		uint64_t now = mono_ms();
		ssize_t n;

		if (nl)
			return nl - m->in + 1;
		if (m->in_len == IN_CAP) {
			set_err(err, errlen, "a reply from scx_cells is longer than %d bytes",
				STATSOCK_MAX_REPLY);
			return -EMSGSIZE;
		}
		if (stopped(m))
			return 0;
		if (now >= deadline) {
			set_err(err, errlen, "scx_cells at %s did not answer within %d ms",
				m->cfg->path, timeout_ms);
			return -ETIMEDOUT;
		}
		n = poll(&p, 1, deadline - now < MAX_WAIT_MS ? (int)(deadline - now) : MAX_WAIT_MS);
		if (n < 0 && errno != EINTR) {
			n = -errno;
			set_err(err, errlen, "poll on %s failed: %s", m->cfg->path,
				strerror(errno));
			return n;
		}
		if (n <= 0)
			continue;
		n = recv(m->fd, m->in + m->in_len, IN_CAP - m->in_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* ECONNRESET: the daemon closed with input of ours unread; its data came first. */
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0) {
			n = -errno;
			set_err(err, errlen, "cannot read from %s: %s", m->cfg->path,
				strerror(errno));
			return n;
		}
		m->in_len += (size_t)n;
	}
}

static int print_view(struct mon *m, char *view, char *err, size_t errlen)
{
	FILE *out = m->cfg->out;
	size_t len = strlen(view);
	unsigned int lines = 0;

	if (m->last && !strcmp(m->last, view)) {
		free(view); /* the daemon has not published a new snapshot since */
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		lines += view[i] == '\n';
	errno = 0;
	if (!m->cfg->json && m->cfg->redraw && m->last_lines)
		fprintf(out, CURSOR_UP CLEAR_DOWN, m->last_lines);
	fputs(view, out);
	if (!len || view[len - 1] != '\n') {
		fputc('\n', out);
		lines++;
	}
	free(m->last);
	m->last = view;
	m->last_lines = lines;
	if (fflush(out) || ferror(out)) {
		int ret = errno ? -errno : -EIO;

		set_err(err, errlen, "cannot write the stats to the output: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* One reply line of @len bytes: print it, skip it (EAGAIN) or turn it into an error. */
static int handle_reply(struct mon *m, size_t len, char *err, size_t errlen)
{
	char *view, why[256];
	int ret = scxstats_decode_reply(m->in, len, m->cfg->json, &view, why, sizeof(why));

	if (ret == -EBADMSG)
		set_err(err, errlen,
			"%s does not speak the scx_stats protocol as expected: %s; is it scx_cells?",
			m->cfg->path, why);
	else if (ret)
		set_err(err, errlen, "%s", why);
	if (ret || !view)
		return ret;
	return print_view(m, view, err, errlen);
}

/* Sleep until @due (ms), waking for a stop request or the daemon closing. 0, or 1 on EOF. */
static int wait_until(struct mon *m, uint64_t due)
{
	for (;;) {
		struct pollfd p = {.fd = m->fd, .events = POLLIN};
		uint64_t now = mono_ms();
		ssize_t n;

		if (stopped(m) || now >= due)
			return 0;
		if (poll(&p, 1, due - now < MAX_WAIT_MS ? (int)(due - now) : MAX_WAIT_MS) <= 0)
			continue;
		if (m->in_len == IN_CAP)
			return 0; /* read_line() reports it */
		/* The daemon sends nothing between replies; readable means it closed. */
		n = recv(m->fd, m->in + m->in_len, IN_CAP - m->in_len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
		if (n > 0)
			m->in_len += (size_t)n;
	}
}

int monitor_run(const struct monitor_cfg *cfg, char *err, size_t errlen)
{
	const char *req = cfg->json ? REQ_TOP : REQ_TEXT;
	struct mon m = {.cfg = cfg};
	uint64_t period_ms = cfg->period_s > 0 ? (uint64_t)(cfg->period_s * 1000.0) : 0;
	int ret = 0;

	m.fd = connect_daemon(cfg->path, err, errlen);
	if (m.fd < 0)
		return m.fd;
	m.in = malloc(IN_CAP);
	if (!m.in) {
		set_err(err, errlen, "out of memory for the monitor buffer");
		ret = -ENOMEM;
		goto out;
	}
	while (!stopped(&m)) {
		uint64_t due = mono_ms() + period_ms;
		ssize_t len;

		/*
		 * A request is a few bytes on a socket with nothing else outstanding: it fits. If
		 * the daemon already closed (it refused us), its error reply is still read below.
		 */
		(void)!send(m.fd, req, strlen(req), MSG_NOSIGNAL);
		len = read_line(&m, MONITOR_REPLY_TIMEOUT_MS, err, errlen);
		if (len <= 0) {
			ret = (int)len;
			break;
		}
		ret = handle_reply(&m, (size_t)len, err, errlen);
		memmove(m.in, m.in + len, m.in_len - (size_t)len);
		m.in_len -= (size_t)len;
		if (ret || wait_until(&m, due))
			break;
	}
out:
	close(m.fd);
	free(m.in);
	free(m.last);
	return ret;
}
