// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_mountinfo - cgroup_find_mount() on an arbitrary mountinfo file.
 *
 * The input is the whole file. It goes into one memfd, rewritten for each input, and the parser
 * opens it by its /proc/self/fd/N name: no disk I/O, nothing left behind on a crash.
 *
 * Properties checked beyond "no sanitizer report":
 *   - the result is 0, -ENOENT or -ENAMETOOLONG, an error leaves a message;
 *   - found => the file mentions "cgroup2", the result is NUL-terminated within the buffer and
 *     not longer than the input (unescaping only shrinks);
 *   - the answer does not depend on the buffer size: a buffer too short for the mount point
 *     gives -ENAMETOOLONG and a large enough one gives the same path;
 *   - parsing twice gives the same answer (no state kept between calls).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup.h"
#include "fuzz.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = memfd_create("fuzz_mountinfo", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "memfd_create failed");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

static int find(char *buf, size_t len, char *err, size_t errlen)
{
	int ret;

	err[0] = '\0';
	ret = cgroup_find_mount(path, buf, len, err, errlen);
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -ENAMETOOLONG, "unexpected return %d (%s)",
		   ret, err);
	FUZZ_CHECK(ret == 0 || err[0], "error %d without a message", ret);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char big[4096], again[4096], small[8], err[512];
	int ret, ret2;

	FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate failed");
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size, "pwrite failed");

	ret = find(big, sizeof(big), err, sizeof(err));
	if (ret == 0) {
		FUZZ_CHECK(memmem(data, size, "cgroup2", 7), "found '%s' without any cgroup2 entry",
			   big);
		FUZZ_CHECK(strnlen(big, sizeof(big)) < sizeof(big), "result not NUL-terminated");
		FUZZ_CHECK(strlen(big) <= size, "result longer than the input");
	}

	ret2 = find(again, sizeof(again), err, sizeof(err));
	FUZZ_CHECK(ret2 == ret, "second parse returned %d, first %d", ret2, ret);
	FUZZ_CHECK(ret || !strcmp(big, again), "second parse found '%s', first '%s'", again, big);

	ret2 = find(small, sizeof(small), err, sizeof(err));
	if (ret == 0 && strlen(big) < sizeof(small))
		FUZZ_CHECK(ret2 == 0 && !strcmp(small, big), "8-byte buffer: %d '%s' vs '%s'", ret2,
			   ret2 ? "" : small, big);
	else if (ret == 0)
		FUZZ_CHECK(ret2 == -ENAMETOOLONG, "8-byte buffer for '%s' gave %d", big, ret2);
	else
		FUZZ_CHECK(ret2 == ret, "8-byte buffer gave %d, 4096 bytes gave %d", ret2, ret);

	/* a NULL err must be fine too */
	FUZZ_CHECK(cgroup_find_mount(path, again, sizeof(again), NULL, 0) == ret,
		   "result depends on err being NULL");
	return 0;
}
