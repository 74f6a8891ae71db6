/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroupfs - the live cgroup2 file system of this machine: where its mountinfo is, which
 * directory --cell-parent-cgroup names on it, and whether cells can have cpusets below it.
 *
 * The parsing and path rules are pure and live in core/cgroup.h; this is the part that knows the
 * real paths (/proc/self/mountinfo) and tells the user about the controllers.
 */
#ifndef SCX_CELLS_CGROUPFS_H
#define SCX_CELLS_CGROUPFS_H

#include <stdbool.h>
#include <stddef.h>

#define CGROUP_DEFAULT_MOUNTINFO "/proc/self/mountinfo"

/*
 * The directory --cell-parent-cgroup @user names, as the scheduler and --dry-run both resolve
 * it: cgroup_find_mount(@mountinfo, NULL: CGROUP_DEFAULT_MOUNTINFO), then
 * cgroup_resolve_parent() inside that mount ("/work" is <mount>/work). With @fallback_dir
 * (--dry-run, whose test trees are plain directories), a @user that is not there (no cgroup2
 * mount, or no such cgroup) is taken as a plain existing directory instead
 * (cgroup_resolve_parent_any()); a cgroup of that name wins over a directory. Returns 0 or
 * -errno with the cgroup lookup's message in @err.
 */
int cgroup_parent_path(const char *mountinfo, const char *user, bool fallback_dir, char *out,
		       size_t outlen, char *err, size_t errlen);

/*
 * scx_cells needs no cgroup controller (tasks are matched by cgroup id), but cpusets of cells only
 * exist when the cpuset controller is enabled below @parent: say so once on stderr, do not fail.
 */
void cgroup_check_controllers(const char *parent);

#endif /* SCX_CELLS_CGROUPFS_H */
