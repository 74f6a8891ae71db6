// SPDX-License-Identifier: GPL-2.0
/*
 * readfile - small attribute files read whole. See readfile.h.
 */
#include <errno.h>
#include <stdio.h>

#include "readfile.h"

int read_small_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;
	int ret;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	ret = ferror(f) ? -EIO : (int)n;
	if (ret >= 0 && n == len - 1 && fgetc(f) != EOF)
		ret = -EFBIG;
	fclose(f);
	if (ret >= 0)
		buf[n] = '\0';
	return ret;
}
