/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup - where cgroup2 is mounted, and which directory --cell-parent-cgroup names.
 *
 * cgroup2 is not always at /sys/fs/cgroup: hybrid systems mount it at /sys/fs/cgroup/unified
 * (next to v1 controllers), containers elsewhere. So the mount point is read from mountinfo,
 * whose path the caller passes (the daemon: /proc/self/mountinfo, see cgroupfs.h; tests: their
 * own file). Nothing here knows the live system's paths.
 */
#ifndef SCX_CELLS_CGROUP_H
#define SCX_CELLS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Find the cgroup2 mount point in the mountinfo file @mountinfo and copy it into @buf.
 * Octal escapes (\040 for a space, \011, \012, \134) are decoded. With several cgroup2 mounts the
 * first one of the hierarchy root ("/" as mount root) wins, else the first one. Returns 0,
 * -ENOENT ("cgroup2 is not mounted; ..."), -ENAMETOOLONG, or the -errno of opening the file;
 * a message is left in @err (if not NULL).
 */
int cgroup_find_mount(const char *mountinfo, char *buf, size_t len, char *err, size_t errlen);

/*
 * Resolve the user's --cell-parent-cgroup @user against the cgroup2 mount @mount into @out:
 * a path starting with @mount (followed by '/' or the end) is taken as is; any other path is
 * inside the mount ("/workloads.slice" and "workloads.slice" both mean @mount/workloads.slice).
 * Trailing slashes are dropped. ".." components are refused (-EINVAL), so the result cannot
 * leave the mount. The result must exist (-ENOENT) and be a directory (-ENOTDIR).
 */
int cgroup_resolve_parent(const char *mount, const char *user, char *out, size_t outlen, char *err,
			  size_t errlen);

/*
 * For the dry-run planner: @user must be an existing directory anywhere (a cgroup tree copied or
 * faked for tests); no mount lookup, no ".." check. Trailing slashes are dropped.
 */
int cgroup_resolve_parent_any(const char *user, char *out, size_t outlen, char *err, size_t errlen);

/* The kernel's cpu.weight range and default (a cgroup without the cpu controller). */
#define CGROUP_WEIGHT_MIN     1
#define CGROUP_WEIGHT_MAX     10000
#define CGROUP_WEIGHT_DEFAULT 100

/*
 * Parse the contents of a cpu.weight file: one decimal integer in 1..10000, optionally followed
 * by a newline. Nothing else is accepted (no sign, no spaces, no trailing text), so a file that
 * is not what the kernel writes is noticed. Returns 0 and *@weight, or -EINVAL with a message
 * ("cpu.weight \"abc\" is not an integer in 1..10000"); *@weight is untouched on error.
 */
int cgroup_parse_weight(const char *text, unsigned int *weight, char *err, size_t errlen);

/*
 * Parse the contents of a cpu.max file into a cap in whole CPUs: "max PERIOD" (or just "max")
 * is no cap (*@cap = 0); "QUOTA PERIOD" with 1 <= QUOTA and 1 <= PERIOD (decimal, one space,
 * optional newline) is ceil(QUOTA / PERIOD) CPUs, which is never below 1 (a quota of 1.5 CPUs
 * needs 2 CPUs to be usable). Returns 0, or -EINVAL with a message; *@cap is untouched on error.
 */
int cgroup_parse_max(const char *text, unsigned int *cap, char *err, size_t errlen);

#endif /* SCX_CELLS_CGROUP_H */
