/* SPDX-License-Identifier: GPL-2.0 */
/*
 * errmsg - the one way modules fill the caller's "char *err, size_t errlen" message buffer.
 * Header-only so that every module (and its unit test) gets it without another link dependency.
 */
#ifndef SCX_CELLS_ERRMSG_H
#define SCX_CELLS_ERRMSG_H

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

#endif /* SCX_CELLS_ERRMSG_H */
