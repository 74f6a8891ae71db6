/* SPDX-License-Identifier: GPL-2.0 */
/*
 * statsock - the stats socket: the daemon serves the scx_stats protocol (the sched_ext
 * ecosystem's stats protocol, docs/stats.md) on a unix socket, by default (--stats-socket)
 * /var/run/scx/root/stats, the path scx tools look at. One JSON object per line each way:
 *
 *	{"req":"stats","args":{"target":"top"}}  -> {"errno":0,"args":{"resp":{...stats...}}}
 *	{"req":"stats","args":{"target":"text"}} -> {"errno":0,"args":{"resp":"...text view..."}}
 *	{"req":"stats_meta"}                     -> {"errno":0,"args":{"resp":{...field meta...}}}
 *	anything else                            -> {"errno":22,"args":{"resp":"why"}}
 *
 * A connection carries any number of requests, answered in order (pipelining allowed); a bad
 * request gets an error reply and the connection stays open. Replies come from the latest
 * snapshot the daemon published (statsock_publish()), never from a computation on request.
 *
 * The daemon is a single-threaded epoll loop, so the server never blocks and hands the loop
 * exactly one fd: statsock_fd() is an epoll fd of its own (the listening socket, every client and
 * a timer for the time limits live inside it), readable whenever something needs attention.
 *
 *	ret = statsock_listen(&ss, o->stats_socket, NULL, err, sizeof(err));
 *	loop_add(d, FD_STATSOCK, statsock_fd(ss));
 *	...
 *	case FD_STATSOCK: statsock_dispatch(ss); break;
 *	...
 *	every interval: statsock_publish(ss, metrics_stats_json(&snap), text_view);
 *	...
 *	statsock_close(ss);
 *
 * A client cannot hold the daemon up or make it use unbounded memory: a client's requests are
 * read only while it has no reply waiting (so at most one reply, <= STATSOCK_MAX_REPLY, is ever
 * queued for it), writes are non-blocking, and the time limits below close connections that
 * stop taking their reply, leave a request line half sent, or sit idle.
 *
 * Security: the socket file is created with mode 0600 (owner only, whatever the umask) and
 * checked with lstat() after bind(); peers are checked again with SO_PEERCRED, and a peer whose
 * uid is neither 0 nor the daemon's own effective uid gets an error reply and is disconnected at
 * once. The daemon runs as root, so in production that is "root only"; the second case lets
 * tests and unprivileged experiments talk to their own server.
 *
 * The client side (`--monitor`) is monitor.h. All functions are for one thread; the state lives
 * in struct statsock, nothing is global.
 */
#ifndef SCX_CELLS_STATSOCK_H
#define SCX_CELLS_STATSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The scx_stats convention: /var/run/scx/<scheduler>/stats, "root" for the root scheduler. */
#define STATSOCK_DEFAULT_PATH "/var/run/scx/root/stats"

#include "metrics.h"

/* A request line, newline included, is shorter than this; a longer one closes the connection. */
#define STATSOCK_MAX_REQUEST	    SCXSTATS_MAX_REQUEST
/* Largest reply line (a snapshot as a reply); a larger snapshot is refused by publish. */
#define STATSOCK_MAX_REPLY	    (256 * 1024)
/* Clients at once; more get an error reply and are closed. */
#define STATSOCK_MAX_CLIENTS	    32
/* A request line begun but not finished within this time: error reply, connection closed. */
#define STATSOCK_REQUEST_TIMEOUT_MS 5000
/*
 * No request for this long: the connection is closed, so forgotten connections cannot hold the
 * client slots. Longer than the longest --monitor period (3600 s), so a monitor is never cut off.
 */
#define STATSOCK_IDLE_TIMEOUT_MS    (3900 * 1000)
/* A reply the client does not take within this time: the client is dropped (it stopped reading). */
#define STATSOCK_STALL_TIMEOUT_MS   10000

/* The time limits; statsock_listen() with NULL uses the STATSOCK_*_TIMEOUT_MS values. */
struct statsock_cfg {
	unsigned int request_timeout_ms;
	unsigned int idle_timeout_ms;
	unsigned int stall_timeout_ms;
};

struct statsock;

struct statsock_stats {
	unsigned int clients; /* connected now */
	size_t queued_bytes;  /* reply bytes buffered for all clients, not yet taken */
	uint64_t accepted;    /* connections let in */
	uint64_t refused;     /* peers with a uid other than 0 or ours, closed at once */
	uint64_t busy;	      /* turned away: STATSOCK_MAX_CLIENTS already connected */
	uint64_t requests;    /* requests answered with errno 0 */
	uint64_t
		bad_requests; /* answered with an error: malformed, unknown, too long, unfinished */
	uint64_t dropped;     /* closed for not taking a reply within the stall limit */
	uint64_t idle_closed; /* closed for sending nothing within the idle limit */
	uint64_t published;   /* statsock_publish() calls */
};

/*
 * Create the listening socket at @path (non-blocking, close-on-exec, mode 0600) and the state
 * around it. Missing parent directories are created with mode 0755 (as /var/run/scx/root is on
 * a fresh system). If @path already exists:
 *  - a socket nobody accepts on (a daemon that died without cleaning up) is unlinked and reused;
 *  - a socket a live process accepts on: -EADDRINUSE, "another scx_cells is running";
 *  - anything else (file, directory, symlink): -EEXIST, and it is left untouched.
 * Two daemons started in the very same instant could both find a stale socket and race to replace
 * it; only one of them can attach its scheduler anyway (sched_ext runs one at a time).
 * @cfg: time limits, NULL for the defaults. Returns 0 and sets *@out, or -errno with a message in
 * @err (if not NULL).
 */
int statsock_listen(struct statsock **out, const char *path, const struct statsock_cfg *cfg,
		    char *err, size_t errlen);

/* The one fd for the daemon's epoll loop: wait for EPOLLIN, then call statsock_dispatch(). */
int statsock_fd(const struct statsock *s);

/*
 * Handle whatever is ready: new connections, requests, sockets that can take more output, clients
 * that went away, time limits. Never blocks; does a bounded amount of work per call (the fd stays
 * readable if more is left). Returns 0, or -errno if the internal epoll fd failed (the server is
 * then no longer working; the daemon can go on without it).
 */
int statsock_dispatch(struct statsock *s);

/*
 * Make a new snapshot the one requests are answered from: @stats_json is the "resp" object of
 * target "top" (metrics_stats_json()), @text the text view (target "text", sent as a JSON
 * string). Either may be NULL: that target keeps its previous snapshot. Before the first
 * snapshot a target is answered with errno EAGAIN. Returns 0, or -EMSGSIZE if a reply would be
 * longer than STATSOCK_MAX_REPLY, or -ENOMEM; that target then keeps its previous snapshot, the
 * other one is still published. Never blocks; replies already queued are not changed.
 */
int statsock_publish(struct statsock *s, const char *stats_json, const char *text);

void statsock_get_stats(const struct statsock *s, struct statsock_stats *st);

/*
 * Give every client one last non-blocking chance to take its queued reply, close everything and
 * unlink the socket file if it is still the one we created (same device and inode: a successor
 * daemon's socket is never removed). NULL is a no-op.
 */
void statsock_close(struct statsock *s);

#endif /* SCX_CELLS_STATSOCK_H */
