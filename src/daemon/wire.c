// SPDX-License-Identifier: GPL-2.0
/*
 * wire - building and taking apart stats socket frames. See wire.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"
#include "wire.h"

int wire_addr(struct sockaddr_un *sun, const char *path, char *err, size_t errlen)
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

int wire_frame_json(const char *line, char **out, size_t *out_len)
{
	size_t len = strlen(line);
	char *buf;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len + 1 > STATSOCK_MAX_FRAME)
		return -EMSGSIZE;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		buf[i] = line[i] == '\n' || line[i] == '\r' ? ' ' : line[i];
	buf[len] = '\n';
	*out = buf;
	*out_len = len + 1;
	return 0;
}

int wire_frame_text(const char *text, char **out, size_t *out_len)
{
	size_t need = 2, len = 0;
	const char *p;
	char *buf;

	for (p = text; *p;) {
		const char *e = strchrnul(p, '\n');

		need += (size_t)(e - p) + 1 + (*p == '.');
		if (need > STATSOCK_MAX_FRAME)
			return -EMSGSIZE;
		p = *e ? e + 1 : e;
	}
	buf = malloc(need);
	if (!buf)
		return -ENOMEM;
	for (p = text; *p;) {
		const char *e = strchrnul(p, '\n');

		if (*p == '.')
			buf[len++] = '.';
		memcpy(buf + len, p, (size_t)(e - p));
		len += (size_t)(e - p);
		buf[len++] = '\n';
		p = *e ? e + 1 : e;
	}
	buf[len++] = '.';
	buf[len++] = '\n';
	*out = buf;
	*out_len = len;
	return 0;
}

bool wire_refusal(const char *buf, size_t len, char *err, size_t errlen)
{
	size_t plen = strlen(WIRE_ERROR_PREFIX);
	const char *nl;
	size_t n;

	if (len < plen || memcmp(buf, WIRE_ERROR_PREFIX, plen))
		return false;
	nl = memchr(buf, '\n', len);
	n = (nl ? (size_t)(nl - buf) : len) - plen;
	set_err(err, errlen, "scx_cells refused the request: %.*s", (int)n, buf + plen);
	return true;
}

static int too_large(char *err, size_t errlen)
{
	set_err(err, errlen,
		"a snapshot from scx_cells is larger than %d bytes; is the daemon the same version as this monitor?",
		STATSOCK_MAX_FRAME);
	return -EMSGSIZE;
}

/* Decode the complete frame @p[0, @len) into @out. */
static int decode(bool json, const char *p, size_t len, char *out, size_t *out_len, char *err,
		  size_t errlen)
{
	const char *end = p + len;

	if (len > STATSOCK_MAX_FRAME)
		return too_large(err, errlen);
	*out_len = 0;
	if (json) {
		if (wire_refusal(p, len, err, errlen))
			return -EPROTO;
		memcpy(out, p, len);
		*out_len = len;
		return 0;
	}
	/* Every line but the final "." terminator, one stuffing dot removed. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p) + 1;

		if (nl == end - 1 && n == 2 && *p == '.')
			break;
		if (*p == '.') {
			p++;
			n--;
		}
		memcpy(out + *out_len, p, n);
		*out_len += n;
		p += n;
	}
	return 0;
}

int wire_reader_next(struct wire_reader *r, char *out, size_t *out_len, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(r->in + r->scan, '\n', r->in_len - r->scan);
		size_t line = r->scan, frame_len;
		int ret;

		if (!nl)
			break;
		r->scan = (size_t)(nl - r->in) + 1;
		/* JSON: every line is a frame. Text: a frame ends at a line holding only ".". */
		if (!r->json && !(r->scan - line == 2 && r->in[line] == '.'))
			continue;
		frame_len = r->scan;
		ret = decode(r->json, r->in, frame_len, out, out_len, err, errlen);
		if (ret)
			return ret;
		memmove(r->in, r->in + frame_len, r->in_len - frame_len);
		r->in_len -= frame_len;
		r->scan = 0;
		return 1;
	}
	if (r->in_len >= STATSOCK_MAX_FRAME)
		return too_large(err, errlen);
	return 0;
}
