// SPDX-License-Identifier: GPL-2.0
/*
 * cgns - cgroup namespaces for the VM tests (busybox's unshare has no -C).
 *
 *   cgns hold CGDIR        move itself into the cgroup directory CGDIR (on the cgroup2 mount),
 *                          unshare its cgroup namespace (whose root is then CGDIR), move itself
 *                          back to the root cgroup (so CGDIR can get children with controllers),
 *                          print "ready" and sleep until killed: a namespace to join.
 *   cgns run PID PROG ARGS...
 *                          join the cgroup namespace of PID, unshare the mount namespace, make
 *                          every mount private, mount cgroup2 afresh on /sys/fs/cgroup (so it
 *                          shows the namespace's root, as in a container) and exec PROG.
 *
 * Exit status 1 with a message on stderr if a step fails, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define CGROUP_MNT "/sys/fs/cgroup"

static int write_pid(const char *procs)
{
	char buf[32];
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	int len, n;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	n = (int)write(fd, buf, (size_t)len);
	if (n != len) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int die(const char *what, const char *arg, int err)
{
	fprintf(stderr, "cgns: %s %s: %s\n", what, arg, strerror(err));
	return 1;
}

static int hold(const char *cgdir)
{
	char procs[4096];
	int ret;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgdir);
	ret = write_pid(procs);
	if (ret)
		return die("cannot move into", procs, -ret);
	if (unshare(CLONE_NEWCGROUP))
		return die("unshare(CLONE_NEWCGROUP) in", cgdir, errno);
	ret = write_pid(CGROUP_MNT "/cgroup.procs");
	if (ret)
		return die("cannot move back into", CGROUP_MNT "/cgroup.procs", -ret);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int run(const char *pid, char **argv)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/ns/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return die("cannot open", path, errno);
	if (setns(fd, CLONE_NEWCGROUP))
		return die("setns(CLONE_NEWCGROUP)", path, errno);
	close(fd);
	if (unshare(CLONE_NEWNS))
		return die("unshare(CLONE_NEWNS)", "", errno);
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return die("cannot make mounts private:", "/", errno);
	if (umount2(CGROUP_MNT, MNT_DETACH))
		return die("cannot unmount", CGROUP_MNT, errno);
	if (mount("cgroup2", CGROUP_MNT, "cgroup2", 0, NULL))
		return die("cannot mount cgroup2 on", CGROUP_MNT, errno);
	execvp(argv[0], argv);
	return die("cannot exec", argv[0], errno);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv + 3);
	fprintf(stderr, "usage: cgns hold CGDIR | cgns run PID PROG [ARGS...]\n");
	return 2;
}
