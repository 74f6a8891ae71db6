// SPDX-License-Identifier: GPL-2.0
/*
 * cpumask - runtime-sized CPU bitmaps. See cpumask.h for the contract.
 *
 * Bits beyond nbits are kept at zero by every operation, so weight/equal/empty can work on whole
 * words without masking the tail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumask.h"

static inline size_t nr_words(unsigned int nbits)
{
	return ((size_t)nbits + 63) / 64;
}

struct cpumask *cpumask_alloc(unsigned int nbits)
{
	struct cpumask *m;

	if (nbits == 0 || nbits > CPUMASK_MAX_CPUS)
		return NULL;
	m = calloc(1, sizeof(*m) + nr_words(nbits) * sizeof(uint64_t));
	if (!m)
		return NULL;
	m->nbits = nbits;
	return m;
}

struct cpumask *cpumask_dup(const struct cpumask *m)
{
	struct cpumask *d = cpumask_alloc(m->nbits);

	if (d)
		cpumask_copy(d, m);
	return d;
}

void cpumask_free(struct cpumask *m)
{
	free(m);
}

void cpumask_set(struct cpumask *m, unsigned int cpu)
{
	if (cpu < m->nbits)
		m->words[cpu / 64] |= 1ULL << (cpu % 64);
}

void cpumask_clear(struct cpumask *m, unsigned int cpu)
{
	if (cpu < m->nbits)
		m->words[cpu / 64] &= ~(1ULL << (cpu % 64));
}

bool cpumask_test(const struct cpumask *m, unsigned int cpu)
{
	if (cpu >= m->nbits)
		return false;
	return (m->words[cpu / 64] >> (cpu % 64)) & 1;
}

void cpumask_zero(struct cpumask *m)
{
	memset(m->words, 0, nr_words(m->nbits) * sizeof(uint64_t));
}

void cpumask_fill(struct cpumask *m)
{
	size_t n = nr_words(m->nbits);

	memset(m->words, 0xff, n * sizeof(uint64_t));
	if (m->nbits % 64)
		m->words[n - 1] = (1ULL << (m->nbits % 64)) - 1;
}

void cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
	memmove(dst->words, src->words, nr_words(src->nbits) * sizeof(uint64_t));
}

void cpumask_and(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b)
{
	for (size_t i = 0, n = nr_words(a->nbits); i < n; i++)
		dst->words[i] = a->words[i] & b->words[i];
}

void cpumask_or(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b)
{
	for (size_t i = 0, n = nr_words(a->nbits); i < n; i++)
		dst->words[i] = a->words[i] | b->words[i];
}

void cpumask_andnot(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b)
{
	for (size_t i = 0, n = nr_words(a->nbits); i < n; i++)
		dst->words[i] = a->words[i] & ~b->words[i];
}

void cpumask_xor(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b)
{
	for (size_t i = 0, n = nr_words(a->nbits); i < n; i++)
		dst->words[i] = a->words[i] ^ b->words[i];
}

bool cpumask_equal(const struct cpumask *a, const struct cpumask *b)
{
	if (a->nbits != b->nbits)
		return false;
	return memcmp(a->words, b->words, nr_words(a->nbits) * sizeof(uint64_t)) == 0;
}

bool cpumask_empty(const struct cpumask *m)
{
	for (size_t i = 0, n = nr_words(m->nbits); i < n; i++)
		if (m->words[i])
			return false;
	return true;
}

bool cpumask_subset(const struct cpumask *a, const struct cpumask *b)
{
	for (size_t i = 0, n = nr_words(a->nbits); i < n; i++)
		if (a->words[i] & ~b->words[i])
			return false;
	return true;
}

bool cpumask_intersects(const struct cpumask *a, const struct cpumask *b)
{
	for (size_t i = 0, n = nr_words(a->nbits); i < n; i++)
		if (a->words[i] & b->words[i])
			return true;
	return false;
}

unsigned int cpumask_weight(const struct cpumask *m)
{
	unsigned int w = 0;

	for (size_t i = 0, n = nr_words(m->nbits); i < n; i++)
		w += (unsigned int)__builtin_popcountll(m->words[i]);
	return w;
}

/* First set bit at or after @from, or -1. */
static int find_from(const struct cpumask *m, unsigned int from)
{
	size_t n = nr_words(m->nbits);
	size_t i = from / 64;
	uint64_t w;

	if (from >= m->nbits)
		return -1;
	w = m->words[i] & (~0ULL << (from % 64));
	for (;;) {
		if (w)
			return (int)(i * 64 + (size_t)__builtin_ctzll(w));
		if (++i >= n)
			return -1;
		w = m->words[i];
	}
}

int cpumask_first(const struct cpumask *m)
{
	return find_from(m, 0);
}

int cpumask_next(const struct cpumask *m, int prev)
{
	if (prev < -1)
		prev = -1;
	return find_from(m, (unsigned int)(prev + 1));
}

/*
 * Parse one decimal number at *@p. Only digits are accepted (no sign, no spaces), so strtoul's
 * leniency cannot sneak " 1" or "+1" through. Returns 0, -EINVAL when there is no digit, -ERANGE on
 * overflow past CPUMASK_MAX_CPUS (any larger value is out of range for every mask anyway).
 */
static int parse_num(const char **p, unsigned long *out)
{
	const char *s = *p;
	unsigned long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > CPUMASK_MAX_CPUS * 16ul)
			v = CPUMASK_MAX_CPUS * 16ul; /* saturate; reported as -ERANGE below */
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

/* Describe the character at @p for an error message. */
static const char *describe(const char *p, char *buf, size_t len)
{
	if (*p == '\0')
		return "end of input";
	if (*p == '\n')
		return "'\\n'";
	if (*p == ' ' || *p == '\t')
		return "whitespace";
	if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
		snprintf(buf, len, "byte 0x%02x", (unsigned char)*p);
	else
		snprintf(buf, len, "'%c'", *p);
	return buf;
}

/*
 * Copy at most @n bytes of @s into @buf with control and non-ASCII bytes escaped, so the message
 * stays on one line whatever the input holds.
 */
static void escape_input(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			o += (size_t)snprintf(buf + o, len - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(buf + o, len - o, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
}

#define PARSE_ERR(ret, ...)                                                                        \
	do {                                                                                       \
		if (err && errlen) {                                                               \
			char in_[64 * 4 + 8];                                                      \
			int n_;                                                                    \
			escape_input(s, shown, in_, sizeof(in_));                                  \
			n_ = snprintf(err, errlen, "invalid cpulist '%s%s': ", in_,                \
				      shown < len ? "..." : "");                                   \
			if (n_ >= 0 && (size_t)n_ < errlen)                                        \
				snprintf(err + n_, errlen - (size_t)n_, __VA_ARGS__);              \
		}                                                                                  \
		cpumask_zero(m);                                                                   \
		return ret;                                                                        \
	} while (0)

int cpumask_parse(struct cpumask *m, const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s);
	size_t shown;
	const char *p = s, *end;
	char cb[16];

	cpumask_zero(m);
	if (len && s[len - 1] == '\n')
		len--; /* sysfs style; the newline is not part of the list */
	shown = len > 64 ? 64 : len;
	end = s + len;
	if (len == 0)
		return 0;

	for (;;) {
		unsigned long lo, hi;
		const char *start = p;

		if (parse_num(&p, &lo))
			PARSE_ERR(-EINVAL, "expected a CPU number at offset %td, found %s",
				  start - s, describe(p, cb, sizeof(cb)));
		hi = lo;
		if (p < end && *p == '-') {
			const char *hs = ++p;

			if (parse_num(&p, &hi))
				PARSE_ERR(-EINVAL, "range at offset %td has no end, found %s",
					  start - s, describe(hs, cb, sizeof(cb)));
			if (hi < lo)
				PARSE_ERR(-EINVAL, "range end %lu is below start %lu", hi, lo);
		}
		if (hi >= m->nbits)
			PARSE_ERR(-ERANGE, "CPU %s%lu is out of range (mask holds CPUs 0-%u)",
				  hi >= CPUMASK_MAX_CPUS * 16ul ? ">= " : "", hi, m->nbits - 1);
		for (unsigned long c = lo; c <= hi;) {
			/* Whole words at a time so "0-65535" stays cheap. */
			if (c % 64 == 0 && hi - c >= 63) {
				m->words[c / 64] = ~0ULL;
				c += 64;
			} else {
				m->words[c / 64] |= 1ULL << (c % 64);
				c++;
			}
		}
		if (p == end)
			return 0;
		if (*p != ',')
			PARSE_ERR(-EINVAL, "unexpected %s at offset %td",
				  describe(p, cb, sizeof(cb)), p - s);
		p++;
		if (p == end)
			PARSE_ERR(-EINVAL, "trailing ',' at offset %td", p - 1 - s);
	}
}

size_t cpumask_format(const struct cpumask *m, char *buf, size_t len)
{
	size_t need = 0;
	int cpu = cpumask_first(m);

	if (len)
		buf[0] = '\0';
	while (cpu >= 0) {
		int last = cpu, nxt;
		char tmp[32];
		int n;

		while ((nxt = cpumask_next(m, last)) == last + 1)
			last = nxt;
		if (last == cpu)
			n = snprintf(tmp, sizeof(tmp), "%s%d", need ? "," : "", cpu);
		else
			n = snprintf(tmp, sizeof(tmp), "%s%d-%d", need ? "," : "", cpu, last);
		/* Copy what fits, keep counting what does not (snprintf semantics). */
		if (need + 1 < len) {
			size_t room = len - 1 - need;
			size_t k = (size_t)n < room ? (size_t)n : room;

			memcpy(buf + need, tmp, k);
			buf[need + k] = '\0';
		}
		need += (size_t)n;
		cpu = nxt;
	}
	return need;
}

const char *cpumask_str(const struct cpumask *m, char *buf, size_t len)
{
	if (!m)
		return "-";
	if (cpumask_format(m, buf, len) >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}
