/* SPDX-License-Identifier: GPL-2.0 */
/*
 * statsock - the stats socket: the daemon serves its latest stats snapshot on a unix socket and
 * `scx_cells --monitor` reads it from another process. docs/monitor.md has the wire protocol.
 *
 * Server side. The daemon is a single-threaded epoll loop, so the server never blocks and hands
 * the loop exactly one fd: statsock_fd() is an epoll fd of its own (the listening socket and every
 * client live inside it), readable whenever something needs attention. The loop adds it once and
 * calls statsock_dispatch() when it is readable; client fds never appear in the daemon's loop.
 *
 *	ret = statsock_listen(&ss, o->stats_socket ?: STATSOCK_DEFAULT_PATH, err, sizeof(err));
 *	loop_add(d, FD_STATSOCK, statsock_fd(ss));
 *	...
 *	case FD_STATSOCK: statsock_dispatch(ss); break;
 *	...
 *	every interval: statsock_publish(ss, json_line, text);
 *	...
 *	statsock_close(ss);
 *
 * A client that stops reading cannot hold the daemon up: writes are non-blocking, what the kernel
 * does not take is queued in a per-client buffer of at most STATSOCK_CLIENT_BUF bytes, and a
 * client that would need more is disconnected ("dropped") and counted.
 *
 * Security: the socket file is created with mode 0600 (owner only, whatever the umask) and
 * checked with lstat() after bind(); peers are checked again with SO_PEERCRED, and a peer whose
 * uid is neither 0 nor the daemon's own effective uid is disconnected at once and counted. The
 * daemon runs as root, so in production that is "root only"; the second case lets tests and
 * unprivileged experiments talk to their own server.
 *
 * The client (`--monitor`) is monitor.h; the frames both sides exchange are wire.h.
 *
 * All functions are for one thread; the state lives in struct statsock, nothing is global.
 */
#ifndef SCX_CELLS_STATSOCK_H
#define SCX_CELLS_STATSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire.h" /* STATSOCK_MAX_REQUEST, STATSOCK_MAX_FRAME */

#define STATSOCK_DEFAULT_PATH "/run/scx_cells.sock"

/* Bytes queued for one client beyond what its socket took; needing more drops the client. */
#define STATSOCK_CLIENT_BUF	   (256 * 1024)
/* Clients at once (counting those still sending the request); more are turned away. */
#define STATSOCK_MAX_CLIENTS	   32
/*
 * A client that has not sent a complete request by the time this many snapshots have been
 * published since it connected is disconnected as a bad request, so idle connections cannot use
 * up the client slots.
 */
#define STATSOCK_REQUEST_PUBLISHES 2

struct statsock;

struct statsock_stats {
	unsigned int clients;	/* connected now, including those still sending the request */
	unsigned int streaming; /* of which have sent a valid request and receive snapshots */
	size_t queued_bytes;	/* buffered for all clients, not yet taken by their sockets */
	uint64_t accepted;	/* connections let in */
	uint64_t refused;	/* peers with a uid other than 0 or ours, closed at once */
	uint64_t busy;		/* turned away: STATSOCK_MAX_CLIENTS already connected */
	uint64_t dropped;	/* disconnected for falling more than STATSOCK_CLIENT_BUF behind */
	uint64_t bad_requests;	/* too long, unknown, or never completed */
	uint64_t published;	/* statsock_publish() calls */
};

/*
 * Create the listening socket at @path (non-blocking, close-on-exec, mode 0600) and the state
 * around it. If @path already exists:
 *  - a socket nobody accepts on (a daemon that died without cleaning up) is unlinked and reused;
 *  - a socket a live process accepts on: -EADDRINUSE, "another scx_cells is running";
 *  - anything else (file, directory, symlink): -EEXIST, and it is left untouched.
 * Two daemons started in the very same instant could both find a stale socket and race to replace
 * it; only one of them can attach its scheduler anyway (sched_ext runs one at a time).
 * Returns 0 and sets *@out, or -errno with a message in @err (if not NULL).
 */
int statsock_listen(struct statsock **out, const char *path, char *err, size_t errlen);

/* The one fd for the daemon's epoll loop: wait for EPOLLIN, then call statsock_dispatch(). */
int statsock_fd(const struct statsock *s);

/*
 * Handle whatever is ready: new connections, requests, sockets that can take more output, clients
 * that went away. Never blocks; does a bounded amount of work per call (the fd stays readable if
 * more is left). Returns 0, or -errno if the internal epoll fd failed (the server is then no
 * longer working; the daemon can go on without it).
 */
int statsock_dispatch(struct statsock *s);

/*
 * Make @json_line and @text the latest snapshot and queue it for every streaming client of that
 * format. @json_line is one JSON document; a trailing newline is optional and any other newline
 * or carriage return is sent as a space, so it always travels as one line. @text is any number of
 * lines, sent framed (see docs/monitor.md). Either may be NULL: that format keeps its previous
 * snapshot and nothing is sent for it. Returns 0, or -EMSGSIZE if a snapshot framed is larger than
 * STATSOCK_MAX_FRAME or -ENOMEM; that format then keeps its previous snapshot, the other one is
 * still published. Never blocks.
 */
int statsock_publish(struct statsock *s, const char *json_line, const char *text);

void statsock_get_stats(const struct statsock *s, struct statsock_stats *st);

/*
 * Give every client one last non-blocking chance to take its queued output, close everything and
 * unlink the socket file if it is still the one we created (same device and inode: a successor
 * daemon's socket is never removed). NULL is a no-op.
 */
void statsock_close(struct statsock *s);

#endif /* SCX_CELLS_STATSOCK_H */
