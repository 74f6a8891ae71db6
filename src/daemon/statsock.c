// SPDX-License-Identifier: GPL-2.0
/*
 * statsock - the scx_stats protocol server inside the daemon. See statsock.h.
 *
 * One listening unix stream socket, up to STATSOCK_MAX_CLIENTS clients and a timer, all in a
 * private level-triggered epoll fd that the daemon's own loop watches as a single fd.
 *
 * Each client has a fixed input buffer of STATSOCK_MAX_REQUEST bytes and an output buffer that
 * holds at most one reply. Requests are taken from the input buffer one line at a time, and only
 * while no reply is waiting: a client that sends requests without reading the replies fills its
 * own socket buffers and then simply stops being read (the kernel's flow control pushes back on
 * it), so what we hold for it stays bounded without dropping anyone who is merely slow. The
 * timer enforces the time limits (statsock.h) and runs only while clients are connected.
 *
 * Replies are built once per snapshot (statsock_publish()) and copied to each client that asks,
 * so a request costs a copy and a send, never a rendering.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "statsock.h"
#include "util.h"

#define LISTEN_TAG	UINT64_MAX
#define TIMER_TAG	(UINT64_MAX - 1)
#define LISTEN_BACKLOG	16
#define DISPATCH_EVENTS 16
#define ACCEPT_BATCH	8

struct reply {
	char *line; /* NULL until built */
	size_t len;
};

struct client {
	int fd; /* -1: free slot */
	uint32_t gen;
	bool rd_closed;	    /* peer shut down its write side: answer what is buffered, then close */
	bool closing;	    /* close once the queued reply is sent (after a fatal error reply) */
	uint32_t events;    /* what is registered in epoll */
	uint64_t active_ns; /* accepted, or last complete request */
	uint64_t partial_ns; /* first byte of the unfinished request line arrived */
	uint64_t out_ns;     /* the queued reply became pending */
	size_t in_len;
	char in[STATSOCK_MAX_REQUEST];
	char *out; /* queued reply: [out_off, out_len) not yet sent */
	size_t out_off, out_len, out_cap;
};

struct statsock {
	int lfd, epfd, tfd;
	bool listen_paused; /* out of fds: accepting resumes at the next publish */
	bool timer_armed;
	uid_t euid;
	char *path;
	dev_t dev; /* of the socket file we created */
	ino_t ino;
	uint32_t next_gen;
	struct statsock_cfg cfg;
	struct reply stats, text, meta;
	struct statsock_stats st; /* counters; clients/queued computed on demand */
	struct client clients[STATSOCK_MAX_CLIENTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fill_addr(struct sockaddr_un *sun, const char *path, char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!path || !*path || strlen(path) >= sizeof(sun->sun_path)) {
		set_err(err, errlen, "stats socket path '%s' is empty or longer than %zu bytes",
			path ? path : "", sizeof(sun->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* mkdir -p of @path's parent directories, mode 0755; existing ones are left as they are. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		/* 0755 whatever the umask, but only on directories we create. */
		if (mkdir(dir, 0755) ? errno != EEXIST : chmod(dir, 0755)) {
			int ret = -errno;

			set_err(err, errlen, "cannot create directory %s for the stats socket: %s",
				dir, strerror(errno));
			return ret;
		}
		*p = '/';
	}
	return 0;
}

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

int statsock_listen(struct statsock **out, const char *path, const struct statsock_cfg *cfg,
		    char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTEN_TAG};
	struct epoll_event tev = {.events = EPOLLIN, .data.u64 = TIMER_TAG};
	struct sockaddr_un sun;
	struct statsock *s;
	bool bound = false;
	char *meta;
	int ret;

	*out = NULL;
	ret = fill_addr(&sun, path, err, errlen);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		set_err(err, errlen, "out of memory setting up the stats socket");
		return -ENOMEM;
	}
	s->lfd = s->epfd = s->tfd = -1;
	s->euid = geteuid();
	s->cfg = cfg ? *cfg
		     : (struct statsock_cfg){
			       .request_timeout_ms = STATSOCK_REQUEST_TIMEOUT_MS,
			       .idle_timeout_ms = STATSOCK_IDLE_TIMEOUT_MS,
			       .stall_timeout_ms = STATSOCK_STALL_TIMEOUT_MS,
		       };
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	/* stats_meta never changes: its reply is built once. */
	meta = metrics_meta_json();
	s->meta.line = scxstats_reply(meta);
	free(meta);
	if (!s->meta.line) {
		set_err(err, errlen, "out of memory setting up the stats socket");
		ret = -ENOMEM;
		goto fail;
	}
	s->meta.len = strlen(s->meta.line);

	ret = make_parents(path, err, errlen);
	if (ret)
		goto fail;
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
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->epfd < 0 || s->tfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &tev)) {
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
	if (s->tfd >= 0)
		close(s->tfd);
	free(s->meta.line);
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

/* Best effort: one error reply to a peer we are about to close, which may not even read it. */
static void say_and_close(int fd, int errnum, const char *msg)
{
	char *line = scxstats_error_reply(errnum, msg);

	if (line)
		(void)!send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	free(line);
	close(fd);
}

static void close_client(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also removes it from the epoll set */
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Register what @c needs now; returns false (client closed) if epoll refuses. */
static bool set_events(struct statsock *s, struct client *c)
{
	bool reading = !c->rd_closed && !c->closing && !client_pending(c);
	uint32_t want = (reading ? EPOLLIN : 0) | (client_pending(c) ? EPOLLOUT : 0);
	struct epoll_event ev = {.events = want};

	/* EPOLLHUP and EPOLLERR are reported even with an empty mask, so a gone peer is noticed. */
	if (want == c->events)
		return true;
	ev.data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(c - s->clients);
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
		close_client(c);
		return false;
	}
	c->events = want;
	return true;
}

/* Send what the socket takes now. Returns false if the client had to be closed. */
static bool flush_client(struct client *c)
{
	while (client_pending(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off, client_pending(c),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			close_client(c); /* peer gone */
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (!client_pending(c))
		c->out_off = c->out_len = 0;
	return true;
}

/* Queue one reply line for @c (there is none pending: see process_requests()). */
static bool queue_reply(struct client *c, const char *line, size_t len)
{
	if (c->out_cap < len) {
		char *p = realloc(c->out, len);

		if (!p) {
			close_client(c);
			return false;
		}
		c->out = p;
		c->out_cap = len;
	}
	memcpy(c->out, line, len);
	c->out_off = 0;
	c->out_len = len;
	c->out_ns = now_ms();
	return flush_client(c);
}

/*
 * An error reply, counted as a bad request unless it is EAGAIN (not the client's fault); @fatal:
 * the connection is closed once it is sent.
 */
static bool queue_error(struct statsock *s, struct client *c, int errnum, const char *msg,
			bool fatal)
{
	char *line = scxstats_error_reply(errnum, msg);
	bool ok;

	if (errnum != EAGAIN)
		s->st.bad_requests++;
	if (!line) {
		close_client(c);
		return false;
	}
	ok = queue_reply(c, line, strlen(line));
	free(line);
	if (ok && fatal)
		c->closing = true;
	return ok;
}

/* Answer one request line (@len bytes, newline excluded). Returns false if @c was closed. */
static bool answer(struct statsock *s, struct client *c, const char *line, size_t len)
{
	const struct reply *r = NULL;
	struct scxstats_req req;
	char err[160], msg[192];

	if (scxstats_parse_request(line, len, &req, err, sizeof(err)))
		return queue_error(s, c, EINVAL, err, false);
	if (req.kind == SCXSTATS_STATS_META) {
		r = &s->meta;
	} else if (!strcmp(req.target, "top")) {
		r = &s->stats;
	} else if (!strcmp(req.target, "text")) {
		r = &s->text;
	} else {
		snprintf(msg, sizeof(msg), "unknown target \"%s\" (known: top, text)", req.target);
		return queue_error(s, c, EINVAL, msg, false);
	}
	if (!r->line)
		return queue_error(
			s, c, EAGAIN,
			"no stats yet: scx_cells publishes its first snapshot one --monitor-interval-s after it starts; ask again",
			false);
	s->st.requests++;
	return queue_reply(c, r->line, r->len);
}

/*
 * Answer the complete lines in c->in while no reply is waiting, then register what the client
 * needs next (more input, output, or nothing: closed). Bounded: once the client's socket stops
 * taking replies, one stays queued and the rest of the input waits. Returns false if @c was
 * closed.
 */
static bool process_requests(struct statsock *s, struct client *c)
{
	while (!client_pending(c) && !c->closing) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t len, used;

		if (!nl) {
			if (c->in_len == sizeof(c->in)) {
				char msg[80];

				snprintf(msg, sizeof(msg), "request longer than %d bytes; closing",
					 STATSOCK_MAX_REQUEST - 1);
				if (!queue_error(s, c, EINVAL, msg, true))
					return false;
				break;
			}
			if (!c->rd_closed || !c->in_len)
				break;
			/* `printf '{"req":"stats"}' | socat ...`: end of input ends the line. */
			nl = c->in + c->in_len;
		}
		len = (size_t)(nl - c->in);
		used = len < c->in_len ? len + 1 : len;
		c->active_ns = now_ms();
		if (len && c->in[len - 1] == '\r')
			len--;
		if (!answer(s, c, c->in, len))
			return false;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->partial_ns = c->active_ns;
	}
	if (!client_pending(c) && (c->closing || (c->rd_closed && !c->in_len))) {
		close_client(c);
		return false;
	}
	return set_events(s, c);
}

static void client_readable(struct statsock *s, struct client *c)
{
	ssize_t n;

	if (c->in_len == sizeof(c->in)) {
		process_requests(s, c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			close_client(c);
		return;
	}
	if (n == 0) {
		c->rd_closed = true;
	} else {
		if (!c->in_len)
			c->partial_ns = now_ms();
		c->in_len += (size_t)n;
	}
	process_requests(s, c);
}

static void client_writable(struct statsock *s, struct client *c)
{
	if (flush_client(c))
		process_requests(s, c);
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

/* The timer ticks at a quarter of the shortest limit (5 ms .. 1 s), only while clients exist. */
static void arm_timer(struct statsock *s, bool on)
{
	unsigned int ms = s->cfg.request_timeout_ms;
	struct itimerspec its = {0};

	if (on == s->timer_armed)
		return;
	if (s->cfg.idle_timeout_ms < ms)
		ms = s->cfg.idle_timeout_ms;
	if (s->cfg.stall_timeout_ms < ms)
		ms = s->cfg.stall_timeout_ms;
	ms /= 4;
	ms = ms < 5 ? 5 : ms > 1000 ? 1000 : ms;
	if (on) {
		its.it_value.tv_sec = its.it_interval.tv_sec = ms / 1000;
		its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000L;
	}
	if (!timerfd_settime(s->tfd, 0, &its, NULL))
		s->timer_armed = on;
}

static void check_limits(struct statsock *s)
{
	uint64_t now = now_ms(), ticks;
	unsigned int live = 0;

	(void)!read(s->tfd, &ticks, sizeof(ticks));
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		if (client_pending(c)) {
			if (now - c->out_ns >= s->cfg.stall_timeout_ms) {
				s->st.dropped++;
				close_client(c);
				continue;
			}
		} else if (c->in_len && !c->closing) {
			if (now - c->partial_ns >= s->cfg.request_timeout_ms) {
				char msg[96];

				snprintf(msg, sizeof(msg),
					 "request line not finished within %u ms; closing",
					 s->cfg.request_timeout_ms);
				s->st.bad_requests++;
				say_and_close(c->fd, EINVAL, msg);
				c->fd = -1; /* closed: close_client() only frees */
				close_client(c);
				continue;
			}
		} else if (now - c->active_ns >= s->cfg.idle_timeout_ms) {
			s->st.idle_closed++;
			close_client(c);
			continue;
		}
		live++;
	}
	if (!live)
		arm_timer(s, false);
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
			say_and_close(fd, EACCES,
				      "permission denied: only root may read scx_cells stats");
			continue;
		}
		c = free_slot(s);
		if (!c) {
			s->st.busy++;
			say_and_close(fd, EBUSY,
				      "too many clients (at most 32 at a time); try again later");
			continue;
		}
		c->gen = ++s->next_gen;
		ev.data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(c - s->clients);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		c->active_ns = now_ms();
		s->st.accepted++;
		arm_timer(s, true);
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
		if (tag == TIMER_TAG) {
			check_limits(s);
			continue;
		}
		c = &s->clients[(uint32_t)tag];
		/* The slot may have been closed, or even reused, earlier in this batch. */
		if (c->fd < 0 || c->gen != (uint32_t)(tag >> 32))
			continue;
		/* Hung up in both directions: no reply can reach it any more. */
		if (e & (EPOLLERR | EPOLLHUP)) {
			close_client(c);
			continue;
		}
		if (e & EPOLLOUT)
			client_writable(s, c);
		else if (e & EPOLLIN)
			client_readable(s, c);
	}
	return 0;
}

/* @resp_json as a reply line into @r, unless it is too long. */
static int build_reply(struct reply *r, const char *resp_json)
{
	char *line = scxstats_reply(resp_json);
	size_t len;

	if (!line)
		return -ENOMEM;
	len = strlen(line);
	if (len > STATSOCK_MAX_REPLY) {
		free(line);
		return -EMSGSIZE;
	}
	free(r->line);
	r->line = line;
	r->len = len;
	return 0;
}

/* @text as a JSON string; bytes that are not valid UTF-8 make every non-ASCII byte a '?'. */
static char *text_json(const char *text)
{
	json_t *j = json_string(text);
	char *out;

	if (!j) {
		char *copy = strdup(text);

		if (!copy)
			return NULL;
		for (char *p = copy; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		j = json_string(copy);
		free(copy);
	}
	out = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

int statsock_publish(struct statsock *s, const char *stats_json, const char *text)
{
	int ret = 0, r;

	s->st.published++;
	if (stats_json)
		ret = build_reply(&s->stats, stats_json);
	if (text) {
		char *t = strlen(text) > STATSOCK_MAX_REPLY ? NULL : text_json(text);

		r = t					? build_reply(&s->text, t)
		    : strlen(text) > STATSOCK_MAX_REPLY ? -EMSGSIZE
							: -ENOMEM;
		free(t);
		ret = ret ?: r;
	}
	resume_listen(s);
	return ret;
}

void statsock_get_stats(const struct statsock *s, struct statsock_stats *st)
{
	*st = s->st;
	st->clients = 0;
	st->queued_bytes = 0;
	for (int i = 0; i < STATSOCK_MAX_CLIENTS; i++) {
		const struct client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		st->clients++;
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
		close_client(c);
	}
	close(s->epfd);
	close(s->lfd);
	close(s->tfd);
	/* Only our own socket: a successor may already have replaced a file we lost track of. */
	if (!lstat(s->path, &st) && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->stats.line);
	free(s->text.line);
	free(s->meta.line);
	free(s->path);
	free(s);
}
