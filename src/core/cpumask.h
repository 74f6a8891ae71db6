/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpumask - runtime-sized CPU bitmaps, cpulist parsing/formatting and set algebra.
 *
 * A mask is one allocation: a header with the number of valid bits followed by the words. All
 * binary operations require masks of the same size (nbits); bits at or beyond nbits are always 0.
 */
#ifndef SCX_CELLS_CPUMASK_H
#define SCX_CELLS_CPUMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUMASK_MAX_CPUS 65536u

struct cpumask {
	unsigned int nbits;
	uint64_t words[];
};

/* Zeroed mask of @nbits bits (1..CPUMASK_MAX_CPUS); NULL on bad size or ENOMEM. */
struct cpumask *cpumask_alloc(unsigned int nbits);
struct cpumask *cpumask_dup(const struct cpumask *m);
void cpumask_free(struct cpumask *m);

void cpumask_set(struct cpumask *m, unsigned int cpu);	 /* cpu >= nbits: ignored */
void cpumask_clear(struct cpumask *m, unsigned int cpu); /* cpu >= nbits: ignored */
bool cpumask_test(const struct cpumask *m, unsigned int cpu);
void cpumask_zero(struct cpumask *m);
void cpumask_fill(struct cpumask *m); /* all nbits set */
void cpumask_copy(struct cpumask *dst, const struct cpumask *src);

/* dst = a OP b; dst may alias a or b. */
void cpumask_and(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b);
void cpumask_or(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b);
void cpumask_andnot(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b);
void cpumask_xor(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b);

bool cpumask_equal(const struct cpumask *a, const struct cpumask *b);
bool cpumask_empty(const struct cpumask *m);
bool cpumask_subset(const struct cpumask *a, const struct cpumask *b); /* a ⊆ b */
bool cpumask_intersects(const struct cpumask *a, const struct cpumask *b);
unsigned int cpumask_weight(const struct cpumask *m);

/* First set bit, or -1. Next set bit strictly after @prev (prev may be -1), or -1. */
int cpumask_first(const struct cpumask *m);
int cpumask_next(const struct cpumask *m, int prev);

#define cpumask_for_each(cpu, m)                                                                   \
	for (int cpu = cpumask_first(m); cpu >= 0; cpu = cpumask_next(m, cpu))

/*
 * Parse a cpulist ("0-3,8-11", "5", "" = empty; one trailing '\n' accepted, as sysfs prints it)
 * into @m (cleared first). Strict: "3-1", "a", "1,,2", ",1", "1,", "1-", leading/inner spaces,
 * numbers >= m->nbits, numeric overflow and trailing garbage are errors. Returns 0, or -EINVAL /
 * -ERANGE with a one-line human message in @err (if @err is not NULL) naming the offending text.
 */
int cpumask_parse(struct cpumask *m, const char *s, char *err, size_t errlen);

/*
 * Format @m as a cpulist with ranges ("0-3,8-11", "" for empty) into @buf, snprintf-style:
 * always NUL-terminated when @len > 0, returns the length the full string needs.
 */
size_t cpumask_format(const struct cpumask *m, char *buf, size_t len);

/*
 * The cpulist of @m for a message or a table, in @buf: cut with "..." at the end when it does
 * not fit (@len > 4), "-" for a NULL @m. Returns @buf, or the constant "-".
 */
const char *cpumask_str(const struct cpumask *m, char *buf, size_t len);

#endif /* SCX_CELLS_CPUMASK_H */
