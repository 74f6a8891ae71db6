/* SPDX-License-Identifier: GPL-2.0 */
/*
 * readfile - read a small text file (a sysfs or cgroupfs attribute) whole into the caller's
 * buffer. Kernel attribute files are read in one go: a partial read would mix two values.
 */
#ifndef SCX_CELLS_READFILE_H
#define SCX_CELLS_READFILE_H

#include <stddef.h>

/*
 * Read @path into @buf (@len bytes, NUL-terminated). Returns the length or -errno. A file that
 * does not fit is an error (-EFBIG): no attribute we read is that long, so it must be garbage.
 */
int read_small_file(const char *path, char *buf, size_t len);

#endif /* SCX_CELLS_READFILE_H */
