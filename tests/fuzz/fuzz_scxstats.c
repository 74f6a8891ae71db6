// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_scxstats - scxstats_parse_request() on arbitrary bytes: the one parser of what another
 * process sends to the scx_stats socket.
 *
 * The input is one request line (any bytes, embedded NULs included: the socket delivers them).
 * Properties checked beyond "no sanitizer report":
 *   - the result is 0 or -EINVAL; an error leaves a non-empty message;
 *   - an accepted request has a known kind and a NUL-terminated target ("top" by default);
 *   - the reply the server would send is one line of valid JSON whatever the message says:
 *     the error reply built from the parser's message, and for "stats" a reply built from a
 *     stats object.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"

static void check_reply_line(char *line)
{
	size_t n;
	json_t *o;

	FUZZ_CHECK(line != NULL, "no reply");
	n = strlen(line);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n' && !memchr(line, '\n', n - 1),
		   "reply is not one line: %s", line);
	o = json_loadb(line, n - 1, 0, NULL);
	FUZZ_CHECK(json_is_object(o), "reply is not a JSON object: %s", line);
	FUZZ_CHECK(json_is_integer(json_object_get(o, "errno")), "reply has no errno: %s", line);
	FUZZ_CHECK(json_object_get(json_object_get(o, "args"), "resp") != NULL,
		   "reply has no args.resp: %s", line);
	json_decref(o);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scxstats_req req;
	char err[256] = "";
	int ret = scxstats_parse_request((const char *)data, size, &req, err, sizeof(err));

	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "unexpected result %d", ret);
	if (ret) {
		FUZZ_CHECK(err[0] != '\0', "error without a message");
		check_reply_line(scxstats_error_reply(-ret, err));
		return 0;
	}
	FUZZ_CHECK(req.kind == SCXSTATS_STATS || req.kind == SCXSTATS_STATS_META, "kind %d",
		   (int)req.kind);
	FUZZ_CHECK(memchr(req.target, '\0', sizeof(req.target)) != NULL, "target not terminated");
	if (req.kind == SCXSTATS_STATS) {
		struct metrics_cell c = {.id = 1, .cgroup = req.target, .cpus = "0"};
		struct metrics_snapshot s = {.num_cells = 1, .cells = &c};
		char *resp = metrics_stats_json(&s);

		FUZZ_CHECK(resp != NULL, "no stats object");
		check_reply_line(scxstats_reply(resp));
		free(resp);
	}
	return 0;
}
