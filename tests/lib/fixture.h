/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture - the file-tree chores of the unit tests and fuzz targets, written once: fake sysfs
 * trees (topology), fake cgroup trees (cells, cgroup), mountinfo files, socket directories.
 *
 * Every function returns 0 or -errno and prints nothing, so a cmocka test can assert on the
 * result and a fuzz target can FUZZ_CHECK it.
 */
#ifndef SCX_CELLS_TEST_FIXTURE_H
#define SCX_CELLS_TEST_FIXTURE_H

#include <stddef.h>

/* mkdir -p @path (an existing directory is fine). */
int fx_mkdirs(const char *path);

/* Write @len bytes of @data to @path, created or truncated, its parent directories created. */
int fx_write(const char *path, const void *data, size_t len);

/* fx_write() of the string @s. */
int fx_write_str(const char *path, const char *s);

/*
 * A fake sysfs under @root (the shape of tests/host/run.sh's mk_sysfs): @nr_cpus CPUs, two SMT
 * threads per core, LLCs of @llc_size consecutive CPUs, @online online (NULL: all of them).
 */
int fx_sysfs(const char *root, unsigned int nr_cpus, unsigned int llc_size, const char *online);

/* rm -rf @path: everything below it, then itself; a missing @path is fine. */
int fx_rm_rf(const char *path);

#endif /* SCX_CELLS_TEST_FIXTURE_H */
