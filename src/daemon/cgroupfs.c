// SPDX-License-Identifier: GPL-2.0
/*
 * cgroupfs - the live cgroup2 mount and the parent cgroup's controllers. See cgroupfs.h.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "readfile.h"

int cgroup_parent_path(const char *mountinfo, const char *user, bool fallback_dir, char *out,
		       size_t outlen, char *err, size_t errlen)
{
	char mount[4096];
	int ret;

	ret = cgroup_find_mount(mountinfo ? mountinfo : CGROUP_DEFAULT_MOUNTINFO, mount,
				sizeof(mount), err, errlen);
	if (!ret)
		ret = cgroup_resolve_parent(mount, user, out, outlen, err, errlen);
	/* a test tree is a plain directory: no cgroup2 mount here, or not a path inside it */
	if (ret && fallback_dir) {
		char err2[512];

		if (!cgroup_resolve_parent_any(user, out, outlen, err2, sizeof(err2)))
			return 0;
	}
	return ret;
}

void cgroup_check_controllers(const char *parent)
{
	char path[PATH_MAX + 32], line[4096];

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent);
	if (read_small_file(path, line, sizeof(line)) < 0)
		return;
	if (!strstr(line, "cpuset"))
		fprintf(stderr,
			"scx_cells: note: the cpuset controller is not enabled below %s, so cells have no cpusets (enable with: echo +cpuset > %s)\n",
			parent, path);
}
