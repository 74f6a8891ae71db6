/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire - the stats socket's wire format, both directions (docs/monitor.md is the reference).
 *
 * The client sends one request line ("json\n" or "text\n"). The server answers with snapshots,
 * each one frame: a JSON snapshot is one line; a text snapshot is its lines, each line that
 * starts with '.' sent with one more '.', then a line holding only "." (the SMTP trick): any text
 * can be framed and the reader needs no length arithmetic. A refused request gets one line
 * starting with WIRE_ERROR_PREFIX, then the server closes the connection.
 *
 * No socket I/O here: the server (statsock.c) and the client (monitor.c) move the bytes; this file
 * only builds and takes apart frames, so the decoder can be fuzzed on plain buffers.
 */
#ifndef SCX_CELLS_WIRE_H
#define SCX_CELLS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

/* A request line, newline included, is at most this long; longer is a bad request. */
#define STATSOCK_MAX_REQUEST 64
/*
 * Largest framed snapshot (JSON line + newline, or dot-stuffed text + terminator). Half the client
 * buffer, so a client that is one snapshot behind is never dropped for it.
 */
#define STATSOCK_MAX_FRAME   (128 * 1024)
/* What the server says before the reason when it refuses a request. */
#define WIRE_ERROR_PREFIX    "error: "
/* A reader buffers at most this much: one frame being received behind one complete frame. */
#define WIRE_READER_CAP	     (2 * STATSOCK_MAX_FRAME)

/* The unix socket address of @path; -ENAMETOOLONG (message in @err) if empty or too long. */
int wire_addr(struct sockaddr_un *sun, const char *path, char *err, size_t errlen);

/*
 * Frame @line as a JSON snapshot: trailing newlines dropped, any other newline or carriage return
 * sent as a space, one '\n' at the end. Returns 0 with a malloc'ed *@buf of *@len bytes, -EMSGSIZE
 * if the frame would be larger than STATSOCK_MAX_FRAME, or -ENOMEM.
 */
int wire_frame_json(const char *line, char **buf, size_t *len);

/* Frame @text (any lines; a missing final newline is added) as a dot-stuffed text snapshot. */
int wire_frame_text(const char *text, char **buf, size_t *len);

/* The receiving side of one connection: bytes in, decoded snapshots out. */
struct wire_reader {
	bool json;
	char *in;      /* [WIRE_READER_CAP]: received, not yet taken out as a frame */
	size_t in_len; /* bytes in @in */
	size_t scan;   /* where the search for the next newline resumes */
};

/*
 * Take the next complete frame out of @r and decode it into @out (room for STATSOCK_MAX_FRAME
 * bytes): a JSON frame as it came, a text frame without its terminator and with one stuffing dot
 * removed per line. Returns 1 with *@out_len set, 0 if no complete frame is buffered yet, or
 * -EPROTO (the server refused the request: its reason in @err) or -EMSGSIZE (a frame larger than
 * STATSOCK_MAX_FRAME).
 */
int wire_reader_next(struct wire_reader *r, char *out, size_t *out_len, char *err, size_t errlen);

/*
 * Is @buf[0, @len) the server's refusal? Then its reason (up to the first newline) goes into @err
 * as "scx_cells refused the request: ..." and true is returned.
 */
bool wire_refusal(const char *buf, size_t len, char *err, size_t errlen);

#endif /* SCX_CELLS_WIRE_H */
