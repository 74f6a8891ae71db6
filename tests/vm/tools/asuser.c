// SPDX-License-Identifier: GPL-2.0
/*
 * asuser - run a program as another user (no setuid bit involved: must be started as root).
 * Used by the VM tests to check how scx_cells behaves when it is not run as root.
 *
 *   asuser UID GID PROG [ARGS...]
 *
 * Drops supplementary groups, sets the real/effective/saved GID and UID, then execs PROG
 * (searched in PATH). Exit status 2 on usage errors, 127 if exec failed, 126 if the identity
 * could not be changed.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 0xfffffffeUL)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int uid, gid;

	if (argc < 4 || parse_id(argv[1], &uid) || parse_id(argv[2], &gid)) {
		fprintf(stderr, "usage: asuser UID GID PROG [ARGS...]\n");
		return 2;
	}
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		fprintf(stderr, "asuser: cannot become %u:%u: %s\n", uid, gid, strerror(errno));
		return 126;
	}
	if (geteuid() != uid || getegid() != gid) {
		fprintf(stderr, "asuser: identity did not change (euid %u egid %u)\n", geteuid(),
			getegid());
		return 126;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "asuser: cannot run %s: %s\n", argv[3], strerror(errno));
	return 127;
}
