// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cpulist - cpumask_parse() and cpumask_format() on arbitrary bytes.
 *
 * The input is the cpulist text itself (a C string: an embedded NUL ends it, as it would for any
 * caller). It is parsed into masks of several sizes, because the size decides which CPU numbers
 * are in range and the parser has word-at-a-time fast paths whose edges depend on it:
 *   1      a single bit, every number but 0 out of range
 *   100    not a multiple of 64: the tail word is partial
 *   65536  CPUMASK_MAX_CPUS, the size topology uses to measure sysfs files
 * Properties checked beyond "no sanitizer report":
 *   - the result is 0, -EINVAL or -ERANGE; an error leaves a message and an empty mask;
 *   - no bit at or beyond nbits is ever set (cpumask.h promises this to every caller);
 *   - accepted by a smaller mask => accepted by a larger one, with the same CPUs;
 *   - round trip: format() of an accepted mask parses back to an equal mask, format() returns
 *     strlen of what it wrote, and a truncated format() is a NUL-terminated prefix of the full one.
 */
#include <errno.h>
#include <string.h>

#include "cpumask.h"
#include "fuzz.h"

static const unsigned int sizes[] = {1, 100, CPUMASK_MAX_CPUS};
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static void check_tail_clear(const struct cpumask *m)
{
	unsigned int words = (m->nbits + 63) / 64;

	if (m->nbits % 64)
		FUZZ_CHECK(!(m->words[words - 1] >> (m->nbits % 64)),
			   "bits beyond nbits=%u set: word %#llx", m->nbits,
			   (unsigned long long)m->words[words - 1]);
}

/* format @m, check the snprintf contract (also for a short buffer), parse back, compare. */
static void round_trip(const struct cpumask *m, size_t cut)
{
	size_t need = cpumask_format(m, NULL, 0);
	char *buf = malloc(need + 1), *part, err[256];
	struct cpumask *back = cpumask_alloc(m->nbits);
	int ret;

	FUZZ_CHECK(buf && back, "out of memory");
	FUZZ_CHECK(cpumask_format(m, buf, need + 1) == need, "format length changed");
	FUZZ_CHECK(strlen(buf) == need, "format returned %zu but wrote %zu bytes", need,
		   strlen(buf));

	/* snprintf semantics: a buffer of @cut bytes gets the first cut-1 bytes and a NUL */
	cut %= need + 2;
	part = malloc(cut ? cut : 1);
	FUZZ_CHECK(part, "out of memory");
	FUZZ_CHECK(cpumask_format(m, part, cut) == need, "short format returned another length");
	if (cut) {
		FUZZ_CHECK(strlen(part) == (cut - 1 < need ? cut - 1 : need),
			   "short format of %zu bytes wrote %zu", cut, strlen(part));
		FUZZ_CHECK(!strncmp(part, buf, strlen(part)),
			   "short format '%s' is no prefix of '%s'", part, buf);
	}
	free(part);

	ret = cpumask_parse(back, buf, err, sizeof(err));
	FUZZ_CHECK(ret == 0, "own output '%.200s' rejected: %s", buf, err);
	FUZZ_CHECK(cpumask_equal(m, back), "round trip changed the mask: '%.200s'", buf);
	FUZZ_CHECK(cpumask_weight(m) == cpumask_weight(back), "round trip changed the weight");
	cpumask_free(back);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	struct cpumask *m[NR_SIZES];
	int ret[NR_SIZES];

	for (size_t i = 0; i < NR_SIZES; i++) {
		char err[512];

		m[i] = cpumask_alloc(sizes[i]);
		FUZZ_CHECK(m[i], "out of memory");
		/* garbage in the mask first: parse must clear it whatever the outcome */
		cpumask_fill(m[i]);
		err[0] = '\0';
		ret[i] = cpumask_parse(m[i], s, err, sizeof(err));
		FUZZ_CHECK(ret[i] == 0 || ret[i] == -EINVAL || ret[i] == -ERANGE,
			   "unexpected return %d", ret[i]);
		check_tail_clear(m[i]);
		if (ret[i]) {
			FUZZ_CHECK(err[0] && !strchr(err, '\n'),
				   "error %d without a one-line message: '%s'", ret[i], err);
			FUZZ_CHECK(cpumask_empty(m[i]), "mask not cleared after error %d", ret[i]);
		} else {
			round_trip(m[i], size);
		}
	}

	/* parsing must not depend on the error buffer */
	{
		struct cpumask *q = cpumask_alloc(sizes[NR_SIZES - 1]);

		FUZZ_CHECK(q, "out of memory");
		FUZZ_CHECK(cpumask_parse(q, s, NULL, 0) == ret[NR_SIZES - 1],
			   "result depends on err being NULL");
		FUZZ_CHECK(cpumask_equal(q, m[NR_SIZES - 1]), "mask depends on err being NULL");
		cpumask_free(q);
	}

	/* a list that fits a small mask fits every larger one, with the same CPUs */
	for (size_t i = 0; i + 1 < NR_SIZES; i++) {
		if (ret[i])
			continue;
		FUZZ_CHECK(ret[i + 1] == 0, "accepted with %u bits, rejected (%d) with %u",
			   sizes[i], ret[i + 1], sizes[i + 1]);
		for (unsigned int c = 0; c < sizes[i]; c++)
			FUZZ_CHECK(cpumask_test(m[i], c) == cpumask_test(m[i + 1], c),
				   "CPU %u differs between %u and %u bits", c, sizes[i],
				   sizes[i + 1]);
		FUZZ_CHECK(cpumask_weight(m[i]) == cpumask_weight(m[i + 1]),
			   "CPUs beyond %u bits in the larger mask", sizes[i]);
	}

	for (size_t i = 0; i < NR_SIZES; i++)
		cpumask_free(m[i]);
	free(s);
	return 0;
}
