// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_wire - the --monitor side of the stats socket (wire_reader_next(), wire_refusal()) on
 * arbitrary bytes from the "daemon", and the server's framing (wire_frame_json/text()) against it.
 *
 * Input: byte 0 picks the format (bit 0: JSON, else text) and a chunk size (bits 1-7, plus 1);
 * the rest is what the daemon sent. It is decoded twice, as one recv() and in chunks of that
 * size, exactly as the monitor loop does: fill, then take frames out until none is complete.
 * Properties checked beyond "no sanitizer report":
 *   - the frames, the error and (without one) the bytes left over do not depend on how the
 *     bytes arrived;
 *   - results are 1 (frame), 0 (need more) or -EPROTO / -EMSGSIZE with a message;
 *   - a JSON frame is one line, returned as it came; a text frame decodes to whole lines, shorter
 *     than what came, and framing it again decodes back to the same text;
 *   - round trip: the rest of the input as a C string, framed as text by the server's encoder,
 *     decodes to the same string (plus a final newline); framed as JSON, to one line.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

struct result {
	char *frames; /* every decoded frame, each after its length */
	size_t len;
	int ret;      /* last non-1 result of wire_reader_next() */
	size_t left;  /* bytes still buffered at the end */
	bool refusal; /* what wire_refusal() says of them (the monitor's EOF check) */
};

static char *in_buf, *out_buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in_buf = malloc(WIRE_READER_CAP);
	out_buf = malloc(STATSOCK_MAX_FRAME);
	FUZZ_CHECK(in_buf && out_buf, "out of memory");
	return 0;
}

static void record(struct result *res, const char *frame, size_t len)
{
	res->frames = realloc(res->frames, res->len + sizeof(len) + len);
	FUZZ_CHECK(res->frames, "out of memory");
	memcpy(res->frames + res->len, &len, sizeof(len));
	memcpy(res->frames + res->len + sizeof(len), frame, len);
	res->len += sizeof(len) + len;
}

/* Decode @data as the monitor would, @chunk bytes per fill; checks every frame on the way. */
static void decode(bool json, const char *data, size_t size, size_t chunk, struct result *res)
{
	struct wire_reader r = {.json = json, .in = in_buf};
	char err[256];
	size_t off = 0;

	*res = (struct result){0};
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		int ret;

		FUZZ_CHECK(r.in_len + n <= WIRE_READER_CAP, "the reader would overflow");
		memcpy(r.in + r.in_len, data + off, n);
		r.in_len += n;
		off += n;
		for (;;) {
			size_t before = r.in_len, len = 0;

			err[0] = '\0';
			ret = wire_reader_next(&r, out_buf, &len, err, sizeof(err));
			if (ret != 1)
				break;
			FUZZ_CHECK(r.in_len < before, "a frame was returned but nothing consumed");
			if (json) {
				FUZZ_CHECK(len == before - r.in_len, "a JSON frame changed length");
				FUZZ_CHECK(memchr(out_buf, '\n', len) == out_buf + len - 1,
					   "a JSON frame is not one line");
			} else {
				FUZZ_CHECK(len + 2 <= before - r.in_len,
					   "decoded text (%zu) not shorter than its frame (%zu)",
					   len, before - r.in_len);
				FUZZ_CHECK(!len || out_buf[len - 1] == '\n',
					   "decoded text does not end in a newline");
			}
			record(res, out_buf, len);
		}
		res->ret = ret;
		FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EMSGSIZE, "result %d", ret);
		FUZZ_CHECK(ret == 0 || err[0], "error %d without a message", ret);
		if (ret)
			break;
	}
	res->left = r.in_len;
	res->refusal = wire_refusal(r.in, r.in_len, err, sizeof(err));
}

/* Frame @s as @json (the server's encoder) and decode it: one frame, @want. */
static void round_trip(bool json, const char *s, const char *want, size_t want_len)
{
	struct wire_reader r = {.json = json, .in = in_buf};
	char err[256], *frame;
	size_t flen, len = 0;
	int ret;

	ret = json ? wire_frame_json(s, &frame, &flen) : wire_frame_text(s, &frame, &flen);
	FUZZ_CHECK(ret == 0, "framing %zu bytes failed: %d", strlen(s), ret);
	memcpy(r.in, frame, flen);
	r.in_len = flen;
	free(frame);
	ret = wire_reader_next(&r, out_buf, &len, err, sizeof(err));
	/* a JSON line that starts like the server's refusal is taken as one (ours start with '{')
	 */
	if (json && ret == -EPROTO && want_len >= strlen(WIRE_ERROR_PREFIX) &&
	    !memcmp(want, WIRE_ERROR_PREFIX, strlen(WIRE_ERROR_PREFIX)))
		return;
	FUZZ_CHECK(ret == 1, "own frame not decoded: %d %s", ret, err);
	FUZZ_CHECK(r.in_len == 0, "%zu bytes left after the own frame", r.in_len);
	FUZZ_CHECK(len == want_len && !memcmp(out_buf, want, len),
		   "round trip changed the %s snapshot (%zu -> %zu bytes)", json ? "JSON" : "text",
		   want_len, len);
}

static void check_round_trips(const char *s)
{
	size_t n = strlen(s), k;
	char *want = malloc(n + 2);

	FUZZ_CHECK(want, "out of memory");
	/* text: as it was, a final newline added if missing */
	memcpy(want, s, n);
	k = n;
	if (n && s[n - 1] != '\n')
		want[k++] = '\n';
	round_trip(false, s, want, k);
	/* JSON: trailing newlines dropped, the others become spaces, one newline at the end */
	k = n;
	while (k && (s[k - 1] == '\n' || s[k - 1] == '\r'))
		k--;
	for (size_t i = 0; i < k; i++)
		want[i] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
	want[k++] = '\n';
	round_trip(true, s, want, k);
	free(want);
}

/* Every decoded text frame, framed again by the server's encoder, decodes to itself. */
static void check_reencode(const struct result *res)
{
	for (size_t off = 0; off < res->len;) {
		size_t len;
		char *s;

		memcpy(&len, res->frames + off, sizeof(len));
		s = fuzz_strndup((const uint8_t *)res->frames + off + sizeof(len), len);
		if (strlen(s) == len)
			round_trip(false, s, res->frames + off + sizeof(len), len);
		free(s);
		off += sizeof(len) + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, chunked;
	const char *stream = (const char *)data + 1;
	size_t chunk;
	bool json;
	char *s;

	if (size < 1 || size - 1 > STATSOCK_MAX_FRAME)
		return 0;
	json = data[0] & 1;
	chunk = (size_t)(data[0] >> 1) + 1;
	size--;

	decode(json, stream, size, size ? size : 1, &whole);
	decode(json, stream, size, chunk, &chunked);
	FUZZ_CHECK(whole.ret == chunked.ret, "result %d whole, %d in chunks of %zu", whole.ret,
		   chunked.ret, chunk);
	FUZZ_CHECK(whole.len == chunked.len &&
			   (!whole.len || !memcmp(whole.frames, chunked.frames, whole.len)),
		   "other frames in chunks of %zu", chunk);
	/* after an error the monitor stops reading, so only a clean end leaves the same bytes */
	if (!whole.ret)
		FUZZ_CHECK(whole.left == chunked.left && whole.refusal == chunked.refusal,
			   "left %zu/%d whole, %zu/%d in chunks", whole.left, whole.refusal,
			   chunked.left, chunked.refusal);
	if (!json)
		check_reencode(&whole);
	free(whole.frames);
	free(chunked.frames);

	s = fuzz_strndup((const uint8_t *)stream, size);
	check_round_trips(s);
	free(s);
	return 0;
}
