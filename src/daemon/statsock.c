// SPDX-License-Identifier: GPL-2.0
/*
 * statsock - the stats socket server (inside the daemon); the client is monitor.c, the bytes
 * both exchange are wire.c.
 *
 * Server: one listening unix stream socket and up to STATSOCK_MAX_CLIENTS clients, all registered
 * in a private level-triggered epoll fd that the daemon's own loop watches as a single fd. Each
 * client is a small state machine:
 *
 *	REQUEST  reading the request line into a fixed 64-byte buffer (never more is buffered)
 *	STREAM   receives the latest snapshot, then every new one
 *
 * Output goes straight to the socket while the socket takes it; the rest waits in a per-client
 * buffer flushed on EPOLLOUT. The buffer is bounded: a client that would need more is dropped,
 * because the alternative (blocking, or unbounded memory) would let one stuck `--monitor` hurt
 * the scheduler.
 *
 * Framing (one line per JSON snapshot, dot-stuffed text) is wire.c's; the latest frame of each
 * format is kept and queued for every new client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "statsock.h"
#include "util.h"
#include "wire.h"

#define LISTEN_TAG	UINT64_MAX
#define LISTEN_BACKLOG	16
#define DISPATCH_EVENTS 16
#define ACCEPT_BATCH	8
#define DISCARD_CHUNK	512
#define OUT_MIN_CAP	(16 * 1024)

enum client_state {
	C_REQUEST,
	C_STREAM,
};

struct client {
	int fd; /* -1: free slot */
	uint32_t gen;
	enum client_state state;
	bool json;
	bool rd_closed;	 /* peer shut down its write side: stop watching EPOLLIN */
	uint32_t events; /* what is registered in epoll */
	uint64_t born;	 /* statsock_stats.published when accepted */
	size_t req_len;
	char req[STATSOCK_MAX_REQUEST];
	char *out; /* queued output: [out_off, out_len) not yet sent */
	size_t out_off, out_len, out_cap;
};

struct frame {
	char *buf; /* NULL until the first snapshot */
	size_t len;
};

struct statsock {
	int lfd, epfd;
	bool listen_paused; /* out of fds: accepting resumes at the next publish */
	uid_t euid;
	char *path;
	dev_t dev; /* of the socket file we created */
	ino_t ino;
	uint32_t next_gen;
	struct frame json, text;
	struct statsock_stats st; /* counters; clients/streaming/queued computed on demand */
	struct client clients[STATSOCK_MAX_CLIENTS];
};

/* ---- server ---------------------------------------------------------------------------------- */

/*
 * Decide what to do about something already at @path. Returns 0 if the path is free (possibly
 * after removing a stale socket), -errno with a message otherwise.
 */
static int clear_path(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path;
	struct stat st;
	int fd, ret;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		set_err(err, errlen, "cannot check stats socket path %s: %s", path,
			strerror(errno));
		return ret;
	}
	if (!S_ISSOCK(st.st_mode)) {
		set_err(err, errlen,
			"%s exists and is not a socket; remove it or choose another stats socket path",
			path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot create a socket: %s", strerror(errno));
		return ret;
	}
	/* Non-blocking: a live server with a full backlog answers EAGAIN, which is still live. */
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ? -errno : 0;
	close(fd);
	if (ret == 0 || ret == -EAGAIN || ret == -EINPROGRESS) {
		set_err(err, errlen,
			"another scx_cells is running (socket %s is live); stop it first or choose another stats socket path",
			path);
		return -EADDRINUSE;
	}
	if (ret != -ECONNREFUSED) {
		set_err(err, errlen, "cannot check whether socket %s is in use: %s", path,
			strerror(-ret));
		return ret;
	}
	/* Nobody listens: left behind by a daemon that died. */
	if (unlink(path) && errno != ENOENT) {
		ret = -errno;
		set_err(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
		return ret;
	}
	return 0;
}

/* The file bind() created must be a socket owned by us with mode 0600; fix the mode if needed. */
static int check_socket_file(struct statsock *s, char *err, size_t errlen)
{
	struct stat st;

	for (int attempt = 0;; attempt++) {
		if (lstat(s->path, &st)) {
			int ret = -errno;

			set_err(err, errlen, "cannot stat stats socket %s after bind: %s", s->path,
				strerror(errno));
			return ret;
		}
		if (!S_ISSOCK(st.st_mode) || st.st_uid != s->euid) {
			set_err(err, errlen,
				"stats socket %s is not a socket owned by uid %u after bind; check who else writes to its directory",
				s->path, (unsigned int)s->euid);
			return -EPERM;
		}
		if ((st.st_mode & 07777) == 0600)
			break;
		if (attempt || chmod(s->path, 0600)) {
			set_err(err, errlen, "cannot make stats socket %s mode 0600 (it is %04o)",
				s->path, (unsigned int)(st.st_mode & 07777));
			return -EPERM;
		}
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

int statsock_listen(struct statsock **out, const char *path, char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTEN_TAG};
	struct sockaddr_un sun;
	struct statsock *s;
	bool bound = false;
	int ret;

	*out = NULL;
	ret = wire_addr(&sun, path, err, errlen);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		set_err(err, errlen, "out of memory setting up the stats socket");
		return -ENOMEM;
	}
	s->lfd = s->epfd = -1;
	s->euid = geteuid();
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;

	ret = clear_path(&sun, err, errlen);
	if (ret)
		goto fail;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot create the stats socket: %s", strerror(errno));
		goto fail;
	}
	/*
	 * Linux creates the socket file with the socket inode's mode minus the umask, so setting
	 * the mode before bind() means the file never exists with looser permissions, without
	 * touching the process-wide umask. check_socket_file() verifies and falls back to chmod.
	 */
	(void)fchmod(s->lfd, 0600);
	if (bind(s->lfd, (const struct sockaddr *)&sun, sizeof(sun))) {
		ret = -errno;
		set_err(err, errlen, "cannot bind the stats socket to %s: %s", path,
			strerror(errno));
		goto fail;
	}
	bound = true;
	ret = check_socket_file(s, err, errlen);
	if (ret)
		goto fail;
	if (listen(s->lfd, LISTEN_BACKLOG)) {
		ret = -errno;
		set_err(err, errlen, "cannot listen on stats socket %s: %s", path, strerror(errno));
		goto fail;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev)) {
		ret = -errno;
		set_err(err, errlen, "cannot set up epoll for stats socket %s: %s", path,
			strerror(errno));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (bound)
		unlink(path); /* ours: bind() just created it */
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->path);
	free(s);
	return ret;
}

int statsock_fd(const struct statsock *s)
{
	return s->epfd;
}

static size_t client_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

/* Best effort: a short message to a peer we are about to close, which may not even read it. */
static void say_and_close(int fd, const char *msg)
{
	char discard[DISCARD_CHUNK];

	(void)!send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	/*
	 * Closing a unix socket with unread input makes the peer's next read fail with ECONNRESET
	 * instead of EOF; reading what is there first lets a well-behaved peer see a clean EOF.
	 */
	(void)!recv(fd, discard, sizeof(discard), MSG_DONTWAIT);
	close(fd);
}

static void close_client(struct client *c, const char *msg)
{
	if (msg)
		say_and_close(c->fd, msg);
	else
		close(c->fd); /* also removes it from the epoll set */
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void bad_request(struct statsock *s, struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad_request(struct statsock *s, struct client *c, const char *fmt, ...)
{
	char msg[160];
	size_t n;
	va_list ap;

	n = (size_t)snprintf(msg, sizeof(msg), WIRE_ERROR_PREFIX);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n - 1, fmt, ap);
	va_end(ap);
	strcat(msg, "\n");
	s->st.bad_requests++;
	close_client(c, msg);
}

/* Register what @c needs now; returns false (client closed) if epoll refuses. */
static bool set_events(struct statsock *s, struct client *c)
{
	uint32_t want = (c->rd_closed ? 0 : EPOLLIN) | (client_pending(c) ? EPOLLOUT : 0);
	struct epoll_event ev = {.events = want};

	/* EPOLLHUP and EPOLLERR are reported even with an empty mask, so a gone peer is noticed. */
	if (want == c->events)
		return true;
	ev.data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(c - s->clients);
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
		close_client(c, NULL);
		return false;
	}
	c->events = want;
	return true;
}

/* Send what the socket takes now. Returns false if the client had to be closed. */
static bool flush_client(struct statsock *s, struct client *c)
{
	while (client_pending(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off, client_pending(c),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			close_client(c, NULL); /* peer gone */
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (!client_pending(c))
		c->out_off = c->out_len = 0;
	return set_events(s, c);
}

/* Queue one frame for @c; drops the client if it is too far behind. */
static void queue_frame(struct statsock *s, struct client *c, const struct frame *f)
{
	const char *buf = f->buf;
	size_t len = f->len;

	if (!client_pending(c)) {
		ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				close_client(c, NULL);
				return;
			}
			n = 0;
		}
		buf += n;
		len -= (size_t)n;
		c->out_off = c->out_len = 0;
		if (!len)
			return;
	}
	if (client_pending(c) + len > STATSOCK_CLIENT_BUF) {
		s->st.dropped++;
		close_client(c, NULL);
		return;
	}
	if (c->out_off && c->out_len + len > c->out_cap) {
		memmove(c->out, c->out + c->out_off, client_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : OUT_MIN_CAP;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		if (cap > STATSOCK_CLIENT_BUF)
			cap = STATSOCK_CLIENT_BUF;
		p = realloc(c->out, cap);
		if (!p) {
			s->st.dropped++;
			close_client(c, NULL);
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	set_events(s, c);
}

/* @len: length of the line in c->req without its newline. */
static void handle_request(struct statsock *s, struct client *c, size_t len)
{
	char shown[33];
	size_t n = 0;

	if (len && c->req[len - 1] == '\r')
		len--;
	if (len == 4 && (!memcmp(c->req, "json", 4) || !memcmp(c->req, "text", 4))) {
		const struct frame *f;

		c->state = C_STREAM;
		c->json = c->req[0] == 'j';
		f = c->json ? &s->json : &s->text;
		if (!set_events(s, c))
			return;
		if (f->buf)
			queue_frame(s, c, f);
		return;
	}
	for (size_t i = 0; i < len && n < sizeof(shown) - 1; i++)
		shown[n++] = c->req[i] >= 0x20 && c->req[i] < 0x7f ? c->req[i] : '?';
	shown[n] = '\0';
	bad_request(s, c, "unknown request '%s%s'; send 'json' or 'text' and a newline", shown,
		    len > n ? "..." : "");
}

static void client_readable(struct statsock *s, struct client *c)
{
	char *nl;
	ssize_t n;

	if (c->state == C_STREAM) {
		char discard[DISCARD_CHUNK];

		/* Nothing more is expected after the request; read and ignore, bounded per call. */
		n = recv(c->fd, discard, sizeof(discard), MSG_DONTWAIT);
		if (n == 0) {
			c->rd_closed = true; /* half-closed: keep streaming */
			set_events(s, c);
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			close_client(c, NULL);
		}
		return;
	}
	n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			close_client(c, NULL);
		return;
	}
	if (n == 0) {
		if (!c->req_len) {
			close_client(c, NULL); /* e.g. another daemon probing for a live socket */
			return;
		}
		/* `printf json | socat ...`: end of input ends the line too. */
		c->rd_closed = true;
		handle_request(s, c, c->req_len);
		return;
	}
	nl = memchr(c->req + c->req_len, '\n', (size_t)n);
	c->req_len += (size_t)n;
	if (nl)
		handle_request(s, c, (size_t)(nl - c->req));
	else if (c->req_len == sizeof(c->req))
		bad_request(s, c,
			    "request longer than %d bytes; send 'json' or 'text' and a newline",
			    STATSOCK_MAX_REQUEST);
}

static void pause_listen(struct statsock *s)
{
	if (!s->listen_paused && !epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL))
		s->listen_paused = true;
}

static void resume_listen(struct statsock *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTEN_TAG};

	if (s->listen_paused && !epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev))
		s->listen_paused = false;
}

static bool peer_allowed(const struct statsock *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || len != sizeof(cred))
		return false;
	return cred.uid == 0 || cred.uid == s->euid;
}

static struct client *free_slot(struct statsock *s)
{
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd < 0)
			return &s->clients[i];
	return NULL;
}

static void listen_readable(struct statsock *s)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};
		struct client *c;

		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			/*
			 * Out of fds or memory: the listening socket stays readable and a level-
			 * triggered loop would spin on it. Stop watching it until the next publish.
			 */
			if (errno != EAGAIN)
				pause_listen(s);
			return;
		}
		if (!peer_allowed(s, fd)) {
			s->st.refused++;
			say_and_close(fd, WIRE_ERROR_PREFIX
				      "permission denied: only root may read scx_cells stats\n");
			continue;
		}
		c = free_slot(s);
		if (!c) {
			s->st.busy++;
			say_and_close(fd, WIRE_ERROR_PREFIX
				      "too many clients (at most 32 at a time); try again later\n");
			continue;
		}
		c->gen = ++s->next_gen;
		ev.data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(c - s->clients);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = C_REQUEST;
		c->events = EPOLLIN;
		c->born = s->st.published;
		s->st.accepted++;
	}
}

int statsock_dispatch(struct statsock *s)
{
	struct epoll_event evs[DISPATCH_EVENTS];
	int n = epoll_wait(s->epfd, evs, DISPATCH_EVENTS, 0);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		uint32_t e = evs[i].events;
		struct client *c;

		if (tag == LISTEN_TAG) {
			listen_readable(s);
			continue;
		}
		c = &s->clients[(uint32_t)tag];
		/* The slot may have been closed, or even reused, earlier in this batch. */
		if (c->fd < 0 || c->gen != (uint32_t)(tag >> 32))
			continue;
		if (e & (EPOLLERR | EPOLLHUP)) {
			close_client(c, NULL);
			continue;
		}
		if ((e & EPOLLOUT) && !flush_client(s, c))
			continue;
		if (e & EPOLLIN)
			client_readable(s, c);
	}
	return 0;
}

static void broadcast(struct statsock *s, bool json)
{
	const struct frame *f = json ? &s->json : &s->text;

	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->fd >= 0 && c->state == C_STREAM && c->json == json)
			queue_frame(s, c, f);
	}
}

/* A new snapshot built by wire_frame_*() replaces @f's (on their failure @f keeps its own). */
static void frame_set(struct frame *f, char *buf, size_t len)
{
	free(f->buf);
	f->buf = buf;
	f->len = len;
}

int statsock_publish(struct statsock *s, const char *json_line, const char *text)
{
	size_t len = 0;
	char *buf = NULL;
	int ret = 0, r;

	s->st.published++;
	if (json_line) {
		r = wire_frame_json(json_line, &buf, &len);
		if (r) {
			ret = r;
		} else {
			frame_set(&s->json, buf, len);
			broadcast(s, true);
		}
	}
	if (text) {
		r = wire_frame_text(text, &buf, &len);
		if (r) {
			ret = ret ?: r;
		} else {
			frame_set(&s->text, buf, len);
			broadcast(s, false);
		}
	}
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->fd >= 0 && c->state == C_REQUEST &&
		    s->st.published - c->born >= STATSOCK_REQUEST_PUBLISHES)
			bad_request(
				s, c,
				"no request received; send 'json' or 'text' and a newline right after connecting");
	}
	resume_listen(s);
	return ret;
}

void statsock_get_stats(const struct statsock *s, struct statsock_stats *st)
{
	*st = s->st;
	st->clients = st->streaming = 0;
	st->queued_bytes = 0;
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++) {
		const struct client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		st->clients++;
		st->streaming += c->state == C_STREAM;
		st->queued_bytes += client_pending(c);
	}
}

void statsock_close(struct statsock *s)
{
	struct stat st;

	if (!s)
		return;
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		if (client_pending(c))
			(void)!send(c->fd, c->out + c->out_off, client_pending(c),
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		close_client(c, NULL);
	}
	close(s->epfd);
	close(s->lfd);
	/* Only our own socket: a successor may already have replaced a file we lost track of. */
	if (!lstat(s->path, &st) && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->json.buf);
	free(s->text.buf);
	free(s->path);
	free(s);
}
