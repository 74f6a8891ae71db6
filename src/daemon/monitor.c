// SPDX-License-Identifier: GPL-2.0
/*
 * monitor - `scx_cells --monitor`: connect to the daemon's stats socket, ask for snapshots, print
 * them. See monitor.h; the frames are taken apart by wire.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"
#include "util.h"
#include "wire.h"

struct monitor {
	double period_s;
	FILE *out;
	struct wire_reader rd; /* received, not yet framed */
	char *latest;	       /* latest complete snapshot, decoded, not yet printed */
	size_t latest_len;
	bool have_latest, printed_any;
	double next_due; /* monotonic seconds */
};

#define MONITOR_MAX_WAIT_MS 250

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int monitor_print(struct monitor *m, char *err, size_t errlen)
{
	int ret;

	m->have_latest = false;
	m->printed_any = true;
	m->next_due = mono_s() + m->period_s;
	errno = 0;
	if (fwrite(m->latest, 1, m->latest_len, m->out) != m->latest_len || fflush(m->out)) {
		ret = errno ? -errno : -EIO;
		set_err(err, errlen, "cannot write the stats to the output: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* Take every complete snapshot out of the reader; print those that are due. */
static int monitor_parse(struct monitor *m, char *err, size_t errlen)
{
	int ret;

	while ((ret = wire_reader_next(&m->rd, m->latest, &m->latest_len, err, errlen)) > 0) {
		m->have_latest = true;
		if (!m->printed_any || m->period_s <= 0 || mono_s() >= m->next_due) {
			ret = monitor_print(m, err, errlen);
			if (ret)
				return ret;
		}
	}
	return ret;
}

/* The daemon closed the connection. */
static int monitor_eof(struct monitor *m, const char *path, char *err, size_t errlen)
{
	if (wire_refusal(m->rd.in, m->rd.in_len, err, errlen))
		return -EPROTO;
	if (m->rd.in_len) {
		set_err(err, errlen,
			"scx_cells closed %s in the middle of a snapshot (it drops monitors that fall too far behind)",
			path);
		return -ECONNRESET;
	}
	return m->have_latest ? monitor_print(m, err, errlen) : 0;
}

static int monitor_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd, ret;

	ret = wire_addr(&sun, path, err, errlen);
	if (ret)
		return ret;
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

int monitor_run(const char *path, bool json, double period_s, FILE *out,
		volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	const char *req = json ? "json\n" : "text\n";
	struct monitor m = {.period_s = period_s, .out = out, .rd.json = json};
	int fd, ret = 0;

	fd = monitor_connect(path, err, errlen);
	if (fd < 0)
		return fd;
	m.rd.in = malloc(WIRE_READER_CAP);
	m.latest = malloc(STATSOCK_MAX_FRAME);
	if (!m.rd.in || !m.latest) {
		set_err(err, errlen, "out of memory for the monitor buffers");
		ret = -ENOMEM;
		goto out;
	}
	/* A fresh socket's buffer always takes a few bytes. */
	errno = 0;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		ret = errno ? -errno : -EIO;
		set_err(err, errlen, "cannot send the request to %s: %s", path, strerror(-ret));
		goto out;
	}
	while (!(stop && *stop)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int timeout = MONITOR_MAX_WAIT_MS;
		ssize_t n;

		/* A snapshot held back by the period: wake up when it is due. */
		if (m.have_latest) {
			double wait_ms = (m.next_due - mono_s()) * 1e3;

			if (wait_ms <= 0) {
				ret = monitor_print(&m, err, errlen);
				if (ret)
					break;
				continue;
			}
			if (wait_ms < timeout)
				timeout = (int)wait_ms + 1;
		}
		n = poll(&pfd, 1, timeout);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			set_err(err, errlen, "poll on %s failed: %s", path, strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		n = recv(fd, m.rd.in + m.rd.in_len, WIRE_READER_CAP - m.rd.in_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* ECONNRESET: the daemon closed with our request unread; the data came first. */
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			ret = monitor_eof(&m, path, err, errlen);
			break;
		}
		if (n < 0) {
			ret = -errno;
			set_err(err, errlen, "cannot read from %s: %s", path, strerror(errno));
			break;
		}
		m.rd.in_len += (size_t)n;
		ret = monitor_parse(&m, err, errlen);
		if (ret)
			break;
	}
out:
	close(fd);
	free(m.rd.in);
	free(m.latest);
	return ret;
}
