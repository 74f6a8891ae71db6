// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cellconfig - cellconfig_parse() on arbitrary bytes: the --cell-config file, which the
 * daemon reads at start and on every SIGHUP.
 *
 * Properties checked beyond "no sanitizer report":
 *   - the result is 0 or -EINVAL; an error leaves a message that starts with the file name and
 *     *out is NULL;
 *   - an accepted config keeps every bound cellconfig.h states (rule count, depth 1..32,
 *     non-empty components without '/', "." or "..", min <= max, weight 0 or 1..10000) and
 *     max_depth is the deepest rule;
 *   - each rule's own match string, split at '/', matches that rule or an earlier one (first
 *     match wins) whenever it contains no glob characters, and nothing deeper than max_depth
 *     may be descended into;
 *   - it equals itself.
 */
#include <errno.h>
#include <string.h>

#include "cellconfig.h"
#include "fuzz.h"

static void check_rule(const struct cellconfig *c, unsigned int i)
{
	const struct cellconfig_rule *r = &c->rules[i];
	const char *comp[CELLCONFIG_MAX_DEPTH];
	bool literal = !strpbrk(r->match, "*?[\\");
	int m;

	FUZZ_CHECK(r->depth >= 1 && r->depth <= CELLCONFIG_MAX_DEPTH, "rule %u depth %u", i,
		   r->depth);
	FUZZ_CHECK(r->depth <= c->max_depth, "rule %u deeper than max_depth", i);
	FUZZ_CHECK(r->match[0] != '/', "rule %u match keeps a leading '/'", i);
	for (unsigned int k = 0; k < r->depth; k++) {
		const char *s = r->comp[k];

		FUZZ_CHECK(*s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."),
			   "rule %u component %u is '%s'", i, k, s);
		comp[k] = s;
	}
	FUZZ_CHECK(!r->min_cpus || !r->max_cpus || r->min_cpus <= r->max_cpus,
		   "rule %u min %u > max %u", i, r->min_cpus, r->max_cpus);
	FUZZ_CHECK(r->min_cpus <= CELLCONFIG_MAX_CPUS && r->max_cpus <= CELLCONFIG_MAX_CPUS,
		   "rule %u cpus out of range", i);
	FUZZ_CHECK(r->weight <= 10000, "rule %u weight %u", i, r->weight);
	if (literal) {
		m = cellconfig_match(c, comp, r->depth);
		FUZZ_CHECK(m >= 0 && m <= (int)i, "rule %u's own path matched %d", i, m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cellconfig *c = (struct cellconfig *)1;
	const char *deep[CELLCONFIG_MAX_DEPTH + 1];
	unsigned int max = 0;
	char err[512] = "";
	int ret = cellconfig_parse((const char *)data, size, "f.json", &c, err, sizeof(err));

	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "unexpected result %d", ret);
	if (ret) {
		FUZZ_CHECK(!strncmp(err, "f.json", 6), "error without the file name: '%s'", err);
		FUZZ_CHECK(c == NULL, "error with a config");
		return 0;
	}
	FUZZ_CHECK(c && c->nr_rules <= CELLCONFIG_MAX_RULES, "bad rule count");
	for (unsigned int i = 0; i < c->nr_rules; i++) {
		check_rule(c, i);
		if (c->rules[i].depth > max)
			max = c->rules[i].depth;
	}
	FUZZ_CHECK(max == c->max_depth, "max_depth %u, deepest rule %u", c->max_depth, max);
	for (unsigned int k = 0; k <= CELLCONFIG_MAX_DEPTH; k++)
		deep[k] = "x";
	FUZZ_CHECK(!cellconfig_may_descend(c, deep, c->max_depth), "descends below max_depth");
	FUZZ_CHECK(cellconfig_equal(c, c), "not equal to itself");
	cellconfig_free(c);
	return 0;
}
