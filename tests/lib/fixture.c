// SPDX-License-Identifier: GPL-2.0
/*
 * fixture - file trees for tests. See fixture.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

int fx_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int fx_write(const char *path, const void *data, size_t len)
{
	char dir[PATH_MAX];
	char *slash;
	ssize_t n;
	int fd, ret;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		ret = fx_mkdirs(dir);
		if (ret)
			return ret;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int fx_write_str(const char *path, const char *s)
{
	return fx_write(path, s, strlen(s));
}

/* fx_write_str() of printf(@fmt, ...) to @dir/@rel. */
static int put(const char *dir, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int put(const char *dir, const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX], text[64];
	va_list ap;

	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return fx_write_str(path, text);
}

int fx_sysfs(const char *root, unsigned int nr_cpus, unsigned int llc_size, const char *online)
{
	char cpu[PATH_MAX];
	int ret;

	if (!nr_cpus || !llc_size)
		return -EINVAL;
	ret = put(root, "devices/system/cpu/possible", "0-%u\n", nr_cpus - 1);
	ret = ret ?: put(root, "devices/system/cpu/present", "0-%u\n", nr_cpus - 1);
	if (online)
		ret = ret ?: put(root, "devices/system/cpu/online", "%s\n", online);
	else
		ret = ret ?: put(root, "devices/system/cpu/online", "0-%u\n", nr_cpus - 1);
	for (unsigned int i = 0; !ret && i < nr_cpus; i++) {
		unsigned int core = i / 2 * 2, llc = i / llc_size * llc_size;

		if (snprintf(cpu, sizeof(cpu), "%s/devices/system/cpu/cpu%u", root, i) >=
		    (int)sizeof(cpu))
			return -ENAMETOOLONG;
		ret = put(cpu, "topology/physical_package_id", "0\n");
		ret = ret ?: put(cpu, "topology/core_id", "%u\n", i / 2);
		ret = ret ?: put(cpu, "cache/index0/level", "1\n");
		ret = ret ?: put(cpu, "cache/index0/shared_cpu_list", "%u-%u\n", core, core + 1);
		ret = ret ?: put(cpu, "cache/index3/level", "3\n");
		ret = ret
			      ?: put(cpu, "cache/index3/shared_cpu_list", "%u-%u\n", llc,
				     llc + llc_size - 1);
	}
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -errno : 0;
}

int fx_rm_rf(const char *path)
{
	struct stat st;
	int ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	ret = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return ret < 0 ? -errno : ret;
}
