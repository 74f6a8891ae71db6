// SPDX-License-Identifier: GPL-2.0
/*
 * cellconfig - the --cell-config file. See cellconfig.h and docs/cell-config.md.
 *
 * jansson does the JSON (syntax errors come with its line and column); this file checks the
 * shape and every value, and splits each "match" into its components once, so matching is one
 * fnmatch() per component.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellconfig.h"
#include "util.h"

#define CELLCONFIG_MAX_FILE (1u << 20)

static void rule_clear(struct cellconfig_rule *r)
{
	if (r->comp)
		for (unsigned int i = 0; i < r->depth; i++)
			free(r->comp[i]);
	free(r->comp);
	free(r->match);
	memset(r, 0, sizeof(*r));
}

void cellconfig_free(struct cellconfig *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < c->nr_rules; i++)
		rule_clear(&c->rules[i]);
	free(c->rules);
	free(c);
}

/*
 * Split @pat (one leading '/' allowed) into @r's components. Empty components ("a//b", a
 * trailing '/'), "." and ".." are refused: no cgroup path has them.
 */
static int set_match(struct cellconfig_rule *r, const char *pat, const char *name, unsigned int idx,
		     char *err, size_t errlen)
{
	const char *p = pat, *why = NULL;
	unsigned int n = 0;

	if (*p == '/')
		p++;
	if (strlen(pat) > CELLCONFIG_MAX_MATCH)
		why = "longer than 4096 bytes";
	else if (!*p)
		why = "is empty (it must name cgroups below the root, e.g. \"kubepods.slice/*\")";
	if (why)
		goto bad;
	r->match = strdup(p);
	r->comp = calloc(CELLCONFIG_MAX_DEPTH, sizeof(*r->comp));
	if (!r->match || !r->comp)
		return -ENOMEM;
	for (;;) {
		const char *slash = strchrnul(p, '/');
		size_t len = (size_t)(slash - p);

		if (!len) {
			why = "has an empty component ('//' or a trailing '/')";
			goto bad;
		}
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			why = "has a '.' or '..' component";
			goto bad;
		}
		if (n >= CELLCONFIG_MAX_DEPTH) {
			why = "has more than 32 components";
			goto bad;
		}
		r->comp[n] = strndup(p, len);
		if (!r->comp[n])
			return -ENOMEM;
		r->depth = ++n;
		if (!*slash)
			break;
		p = slash + 1;
	}
	return 0;
bad:
	set_err(err, errlen, "%s: rules[%u].match: \"%.200s\" %s", name, idx, pat, why);
	return -EINVAL;
}

/* An integer field in [lo, hi] into *@val; absent leaves *@val. */
static int get_uint(json_t *rule, const char *key, unsigned int lo, unsigned int hi,
		    unsigned int *val, const char *name, unsigned int idx, char *err, size_t errlen)
{
	json_t *v = json_object_get(rule, key);
	json_int_t n;

	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		set_err(err, errlen, "%s: rules[%u].%s: must be an integer from %u to %u", name,
			idx, key, lo, hi);
		return -EINVAL;
	}
	n = json_integer_value(v);
	if (n < (json_int_t)lo || n > (json_int_t)hi) {
		set_err(err, errlen, "%s: rules[%u].%s: %lld is out of range (%u..%u)", name, idx,
			key, (long long)n, lo, hi);
		return -EINVAL;
	}
	*val = (unsigned int)n;
	return 0;
}

static int get_bool(json_t *rule, const char *key, bool *val, const char *name, unsigned int idx,
		    char *err, size_t errlen)
{
	json_t *v = json_object_get(rule, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		set_err(err, errlen, "%s: rules[%u].%s: must be true or false", name, idx, key);
		return -EINVAL;
	}
	*val = json_is_true(v);
	return 0;
}

static const char *const rule_keys[] = {
	"match", "min_cpus", "max_cpus", "weight", "borrow", "lend", "latency_sensitive", "comment",
};

static int parse_rule(json_t *jr, struct cellconfig_rule *r, const char *name, unsigned int idx,
		      char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	int ret;

	if (!json_is_object(jr)) {
		set_err(err, errlen, "%s: rules[%u]: must be an object ({\"match\": ...})", name,
			idx);
		return -EINVAL;
	}
	json_object_foreach(jr, key, v)
	{
		bool known = false;

		for (size_t i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++)
			known |= !strcmp(key, rule_keys[i]);
		if (!known) {
			set_err(err, errlen,
				"%s: rules[%u]: unknown field \"%.100s\" (known: match, min_cpus, max_cpus, weight, borrow, lend, latency_sensitive, comment)",
				name, idx, key);
			return -EINVAL;
		}
	}
	v = json_object_get(jr, "comment");
	if (v && !json_is_string(v)) {
		set_err(err, errlen, "%s: rules[%u].comment: must be a string", name, idx);
		return -EINVAL;
	}
	v = json_object_get(jr, "match");
	if (!v || !json_is_string(v)) {
		set_err(err, errlen,
			"%s: rules[%u].match: %s (a glob such as \"kubepods.slice/*\")", name, idx,
			v ? "must be a string" : "missing");
		return -EINVAL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		set_err(err, errlen, "%s: rules[%u].match: contains a NUL character", name, idx);
		return -EINVAL;
	}
	r->borrow = r->lend = true;
	ret = set_match(r, json_string_value(v), name, idx, err, errlen);
	if (ret == -ENOMEM)
		set_err(err, errlen, "%s: out of memory", name);
	ret = ret
		      ?: get_uint(jr, "min_cpus", 1, CELLCONFIG_MAX_CPUS, &r->min_cpus, name, idx,
				  err, errlen);
	ret = ret
		      ?: get_uint(jr, "max_cpus", 1, CELLCONFIG_MAX_CPUS, &r->max_cpus, name, idx,
				  err, errlen);
	ret = ret ?: get_uint(jr, "weight", 1, 10000, &r->weight, name, idx, err, errlen);
	ret = ret ?: get_bool(jr, "borrow", &r->borrow, name, idx, err, errlen);
	ret = ret ?: get_bool(jr, "lend", &r->lend, name, idx, err, errlen);
	ret = ret
		      ?: get_bool(jr, "latency_sensitive", &r->latency_sensitive, name, idx, err,
				  errlen);
	if (!ret && r->min_cpus && r->max_cpus && r->min_cpus > r->max_cpus) {
		set_err(err, errlen, "%s: rules[%u].min_cpus: %u is above max_cpus (%u)", name, idx,
			r->min_cpus, r->max_cpus);
		ret = -EINVAL;
	}
	return ret;
}

int cellconfig_parse(const char *text, size_t len, const char *name, struct cellconfig **out,
		     char *err, size_t errlen)
{
	struct cellconfig *c = NULL;
	json_error_t jerr;
	json_t *root, *rules, *v;
	const char *key;
	size_t n;
	int ret = -EINVAL;

	*out = NULL;
	if (!name)
		name = "cell config";
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		set_err(err, errlen, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		set_err(err, errlen, "%s: the top level must be an object: {\"rules\": [...]}",
			name);
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "rules") && strcmp(key, "comment")) {
			set_err(err, errlen,
				"%s: unknown top-level field \"%.100s\" (known: rules, comment)",
				name, key);
			goto out;
		}
	}
	rules = json_object_get(root, "rules");
	if (!rules || !json_is_array(rules)) {
		set_err(err, errlen, "%s: \"rules\": %s", name,
			rules ? "must be an array of rule objects" : "missing");
		goto out;
	}
	n = json_array_size(rules);
	if (n > CELLCONFIG_MAX_RULES) {
		set_err(err, errlen, "%s: \"rules\": %zu rules, at most %d", name, n,
			CELLCONFIG_MAX_RULES);
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->rules = calloc(n ? n : 1, sizeof(*c->rules)))) {
		set_err(err, errlen, "%s: out of memory", name);
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		c->nr_rules++;
		ret = parse_rule(json_array_get(rules, i), &c->rules[i], name, (unsigned int)i, err,
				 errlen);
		if (ret)
			goto out;
		if (c->rules[i].depth > c->max_depth)
			c->max_depth = c->rules[i].depth;
	}
	*out = c;
	c = NULL;
	ret = 0;
out:
	cellconfig_free(c);
	json_decref(root);
	return ret;
}

int cellconfig_load(const char *path, struct cellconfig **out, char *err, size_t errlen)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot open the cell config %s: %s", path, strerror(-ret));
		return ret;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t got;

		if (buf && len == cap) {
			char *nb = NULL;

			if (cap >= CELLCONFIG_MAX_FILE) {
				ret = -EFBIG;
				set_err(err, errlen, "%s: larger than 1 MiB; is it the right file?",
					path);
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
		if (!buf) {
			ret = -ENOMEM;
			set_err(err, errlen, "%s: out of memory", path);
			goto out;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			set_err(err, errlen, "cannot read the cell config %s: %s", path,
				strerror(-ret));
			goto out;
		}
		if (!got)
			break;
		len += (size_t)got;
	}
	ret = cellconfig_parse(buf, len, path, out, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}

int cellconfig_single(struct cellconfig **out)
{
	static const char text[] = "{\"rules\":[{\"match\":\"*\"}]}";
	int ret = cellconfig_parse(text, sizeof(text) - 1, NULL, out, NULL, 0);

	return ret ? -ENOMEM : 0;
}

struct cellconfig *cellconfig_dup(const struct cellconfig *c)
{
	struct cellconfig *d = calloc(1, sizeof(*d));

	if (!d || !(d->rules = calloc(c->nr_rules ? c->nr_rules : 1, sizeof(*d->rules))))
		goto fail;
	d->max_depth = c->max_depth;
	for (unsigned int i = 0; i < c->nr_rules; i++) {
		const struct cellconfig_rule *r = &c->rules[i];
		struct cellconfig_rule *n = &d->rules[i];

		d->nr_rules++;
		*n = *r;
		n->comp = calloc(r->depth, sizeof(*n->comp));
		n->match = strdup(r->match);
		if (!n->comp || !n->match) {
			free(n->comp);
			free(n->match);
			n->comp = NULL;
			n->match = NULL;
			n->depth = 0;
			goto fail;
		}
		for (unsigned int k = 0; k < r->depth; k++)
			if (!(n->comp[k] = strdup(r->comp[k])))
				goto fail;
	}
	return d;
fail:
	cellconfig_free(d);
	return NULL;
}

static bool prefix_matches(const struct cellconfig_rule *r, const char *const *comp, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (fnmatch(r->comp[i], comp[i], 0))
			return false;
	return true;
}

int cellconfig_match(const struct cellconfig *c, const char *const *comp, unsigned int n)
{
	for (unsigned int i = 0; i < c->nr_rules; i++)
		if (c->rules[i].depth == n && prefix_matches(&c->rules[i], comp, n))
			return (int)i;
	return -1;
}

int cellconfig_match_path(const struct cellconfig *c, const char *path)
{
	char *copy = strdup(path), *p, *save = NULL;
	const char *comp[CELLCONFIG_MAX_DEPTH];
	unsigned int n = 0;
	int ret = -1;

	if (!copy)
		return -1;
	for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == CELLCONFIG_MAX_DEPTH)
			goto out;
		comp[n++] = p;
	}
	if (n)
		ret = cellconfig_match(c, comp, n);
out:
	free(copy);
	return ret;
}

bool cellconfig_may_descend(const struct cellconfig *c, const char *const *comp, unsigned int n)
{
	for (unsigned int i = 0; i < c->nr_rules; i++)
		if (c->rules[i].depth > n && prefix_matches(&c->rules[i], comp, n))
			return true;
	return false;
}

bool cellconfig_equal(const struct cellconfig *a, const struct cellconfig *b)
{
	if (!a || !b)
		return a == b;
	if (a->nr_rules != b->nr_rules)
		return false;
	for (unsigned int i = 0; i < a->nr_rules; i++) {
		const struct cellconfig_rule *x = &a->rules[i], *y = &b->rules[i];

		if (strcmp(x->match, y->match) || x->min_cpus != y->min_cpus ||
		    x->max_cpus != y->max_cpus || x->weight != y->weight ||
		    x->borrow != y->borrow || x->lend != y->lend ||
		    x->latency_sensitive != y->latency_sensitive)
			return false;
	}
	return true;
}
