/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cellconfig - the --cell-config file: rules that select cgroups by path glob and say how the
 * cells they make behave. docs/cell-config.md has the format for users; in short:
 *
 *   {"rules": [{"match": "kubepods.slice/ * /pod*", "min_cpus": 1, "max_cpus": 4,
 *               "weight": 300, "borrow": true, "lend": true, "latency_sensitive": false}]}
 *
 * (without the spaces around the middle '*'). A rule's "match" is a glob (fnmatch(3): * ? [..])
 * over the cgroup's path relative to the cgroup root, matched component by component, so '*'
 * never crosses a '/' and a rule of N components matches cgroups N levels below the root. Rules
 * are tried in file order and the first that matches a cgroup is its rule. A cgroup below a cell
 * is never a cell of its own: its tasks stay in the ancestor's cell, whichever rules match it.
 *
 * Pure: parses a buffer (jansson), matches strings; the registry (daemon/cells.c) walks the tree.
 */
#ifndef SCX_CELLS_CELLCONFIG_H
#define SCX_CELLS_CELLCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CELLCONFIG_MAX_RULES 256
#define CELLCONFIG_MAX_DEPTH 32	  /* components of a "match" */
#define CELLCONFIG_MAX_MATCH 4096 /* bytes of a "match" */
#define CELLCONFIG_MAX_CPUS  65536

struct cellconfig_rule {
	char *match;		/* as written, without a leading '/' */
	char **comp;		/* [depth] its components */
	unsigned int depth;	/* >= 1 */
	unsigned int min_cpus;	/* 0 = none (the planner's floor of 1) */
	unsigned int max_cpus;	/* 0 = none; else a cap like cpu.max */
	unsigned int weight;	/* 0 = the cgroup's cpu.weight; else 1..10000 */
	bool borrow;		/* its tasks may run on other cells' idle CPUs (default true) */
	bool lend;		/* its idle CPUs may be lent to other cells (default true) */
	bool latency_sensitive; /* its lent CPUs are reclaimed at once, even with --no-reclaim */
};

struct cellconfig {
	struct cellconfig_rule *rules;
	unsigned int nr_rules;
	unsigned int max_depth; /* deepest rule */
};

/*
 * Parse the config text @text (@len bytes; need not be NUL-terminated). @name (a file name, for
 * messages) prefixes every error. Syntax errors name the line and column ("cells.json:3:17:
 * ..."), semantic ones the rule and field ("cells.json: rules[2].max_cpus: ..."). Unknown keys
 * are errors (a typo must not be silently ignored). Returns 0 and *@out, or -EINVAL / -ENOMEM
 * with a message in @err; *@out is NULL on error.
 */
int cellconfig_parse(const char *text, size_t len, const char *name, struct cellconfig **out,
		     char *err, size_t errlen);

/* Read the file @path (at most 1 MiB) and parse it; errors as cellconfig_parse(), or -errno. */
int cellconfig_load(const char *path, struct cellconfig **out, char *err, size_t errlen);

/*
 * The config of --cell-parent-cgroup: one rule "*" (every child of the registry's root), all
 * defaults. Returns 0 or -ENOMEM.
 */
int cellconfig_single(struct cellconfig **out);

/* A deep copy of @c, or NULL (out of memory). */
struct cellconfig *cellconfig_dup(const struct cellconfig *c);

void cellconfig_free(struct cellconfig *c);

/*
 * The first rule that matches the relative path whose @n components are @comp, or -1. A
 * component is matched with fnmatch(pattern, name, 0): components contain no '/'.
 */
int cellconfig_match(const struct cellconfig *c, const char *const *comp, unsigned int n);

/* cellconfig_match() on a path "a/b/c" (no leading or doubled '/'); -1 if it has none. */
int cellconfig_match_path(const struct cellconfig *c, const char *path);

/* Could a rule match a descendant of the path @comp[0..@n)? (Some deeper rule's prefix does.) */
bool cellconfig_may_descend(const struct cellconfig *c, const char *const *comp, unsigned int n);

/* Same rules, in the same order, with the same fields. */
bool cellconfig_equal(const struct cellconfig *a, const struct cellconfig *b);

#endif /* SCX_CELLS_CELLCONFIG_H */
