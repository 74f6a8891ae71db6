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
 * cgroup_find_mount(@mountinfo, NULL: CGROUP_DEFAULT_MOUNTINFO) then cgroup_resolve_parent(), or
 * only cgroup_resolve_parent_any() when @any_dir is set (--dry-run on a directory tree).
 */
int cgroup_parent_path(const char *mountinfo, const char *user, bool any_dir, char *out,
		       size_t outlen, char *err, size_t errlen);

/*
 * scx_cells needs no cgroup controller (tasks are matched by cgroup id), but cpusets of cells only
 * exist when the cpuset controller is enabled below @parent: say so once on stderr, do not fail.
 */
void cgroup_check_controllers(const char *parent);

#endif /* SCX_CELLS_CGROUPFS_H */
