/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util - the chores every module repeats, written once: set_err() fills the caller's
 * "char *err, size_t errlen" message buffer, CMP() is the three-way comparison of qsort()
 * comparators. Header-only so that every module (and its unit test) gets them without another
 * link dependency.
 */
#ifndef SCX_CELLS_UTIL_H
#define SCX_CELLS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* printf into @err (if the caller gave a buffer); always NUL-terminated when @errlen > 0. */
static inline __attribute__((format(printf, 3, 4))) void set_err(char *err, size_t errlen,
								 const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* -1, 0 or 1 as @a is less than, equal to or greater than @b (each evaluated twice). */
#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

#endif /* SCX_CELLS_UTIL_H */
