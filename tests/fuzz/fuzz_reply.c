// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_reply - scxstats_decode_reply() on arbitrary bytes: what `--monitor` does with whatever
 * the process behind the stats socket sends back (the one parser of another process's bytes on
 * the client side).
 *
 * Byte 0 picks the expected reply type (object for --json, string for the text view); the rest
 * is the reply line. Properties checked beyond "no sanitizer report":
 *   - the result is 0, -EPROTO, -EBADMSG or -ENOMEM; an error leaves a message of printable
 *     ASCII only (it goes to a terminal);
 *   - on 0 the view is NULL (EAGAIN: nothing yet) or a NUL-terminated string, and for objects one
 *     line ending in a newline;
 *   - a reply we build ourselves (scxstats_reply / scxstats_error_reply) always decodes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"

static void check_printable(const char *s)
{
	for (; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f, "non-printable byte %#x in a message",
			   (unsigned char)*s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "", *view = NULL, *line, *msg;
	bool want_object;
	int ret;

	if (!size)
		return 0;
	want_object = data[0] & 1;
	ret = scxstats_decode_reply((const char *)data + 1, size - 1, want_object, &view, err,
				    sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EBADMSG || ret == -ENOMEM, "result %d",
		   ret);
	if (ret) {
		FUZZ_CHECK(err[0], "error without a message");
		FUZZ_CHECK(!view, "a view with an error");
		check_printable(err);
	} else if (view && want_object) {
		size_t n = strlen(view);

		FUZZ_CHECK(n && view[n - 1] == '\n' && !memchr(view, '\n', n - 1),
			   "object view is not one line: %s", view);
	}
	free(view);

	/* Our own error reply carrying these bytes as its reason decodes as a refusal. */
	msg = fuzz_strndup(data + 1, size - 1);
	line = scxstats_error_reply(EINVAL, msg);
	FUZZ_CHECK(line, "no error reply");
	err[0] = '\0';
	ret = scxstats_decode_reply(line, strlen(line), want_object, &view, err, sizeof(err));
	FUZZ_CHECK(ret == -EPROTO, "own error reply decoded as %d (%s): %s", ret, err, line);
	check_printable(err);
	free(line);
	free(msg);
	return 0;
}
