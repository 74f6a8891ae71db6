// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_inotify - cells_process_events() on an arbitrary buffer of raw struct inotify_event
 * records (16-byte header: wd, mask, cookie, len; then len bytes of name).
 *
 * The registry watches a temporary parent directory with two children and excludes the names
 * "excluded" and "batch". It is kept across inputs. A parent-gone event is sticky by design
 * (cells_handle_events() relies on it to drain the fd in several reads), so once one was seen
 * every later call returns -ENOENT too; the expected result below takes that into account.
 * Rebuilding the registry after each such input would be cleaner but costs ~8 ms (closing an
 * inotify fd waits for an SRCU grace period) and cut the rate from ~30000 to ~1000 runs/s, so it
 * is rebuilt only after REBUILD_AFTER inputs in the gone state.
 *
 * Properties checked beyond "no sanitizer report" (ASan catches reads past the buffer, as
 * libFuzzer hands the input over in an allocation of exactly its size):
 *   - the result is 0 or -ENOENT, and -ENOENT leaves a message;
 *   - when every name is NUL-terminated within its record, as the kernel guarantees, the result
 *     and *rescan agree with cells.h, computed here independently: overflow or a non-excluded
 *     child directory created/deleted/moved, or a watched directory other than the parent
 *     (wd != 1) deleted/moved/unmounted => rescan; parent (wd 1) deleted/moved/unwatched/
 *     unmounted => -ENOENT; a truncated last record is ignored.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cells.h"
#include "fixture.h"
#include "fuzz.h"

#define REBUILD_AFTER 256

static char parent[PATH_MAX];
static struct cells *reg;
static unsigned int gone_inputs; /* inputs since reg reported its parent gone; 0: not gone */
static const char *const exclude[] = {"excluded", "batch"};

static void cleanup(void)
{
	cells_free(reg);
	fx_rm_rf(parent);
}

static void make_registry(void)
{
	const struct cells_cfg cfg = {
		.parent = parent,
		.exclude = exclude,
		.nr_exclude = sizeof(exclude) / sizeof(exclude[0]),
		.max_cells = 4,
		.nr_cpus = 8,
	};
	char err[512];
	int ret = cells_new(&cfg, &reg, NULL, err, sizeof(err));

	FUZZ_CHECK(!ret, "cells_new: %s", err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	const char *children[] = {"web", "db", "excluded"};
	char path[PATH_MAX + 16];

	(void)argc;
	(void)argv;
	snprintf(parent, sizeof(parent), "%s/scx_cells_fuzz_inotify.XXXXXX", base);
	FUZZ_CHECK(mkdtemp(parent), "mkdtemp in %s", base);
	atexit(cleanup);
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", parent, children[i]);
		FUZZ_CHECK(!mkdir(path, 0755), "mkdir %s", path);
	}
	make_registry();
	return 0;
}

/* What cells.h says the buffer means; false if some name is not NUL-terminated (no verdict). */
static bool expected(const uint8_t *p, size_t len, bool *rescan, bool *gone)
{
	const uint32_t child = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
	const uint32_t self = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT;
	struct inotify_event ev;

	*rescan = *gone = false;
	while (len >= sizeof(ev)) {
		const char *name;
		bool excl = false;

		memcpy(&ev, p, sizeof(ev));
		if (len - sizeof(ev) < ev.len)
			break;
		name = (const char *)p + sizeof(ev);
		if (ev.len && !memchr(name, '\0', ev.len))
			return false;
		p += sizeof(ev) + ev.len;
		len -= sizeof(ev) + ev.len;
		if (ev.mask & IN_Q_OVERFLOW) {
			*rescan = true;
			continue;
		}
		/* the parent is the registry's first watch: wd 1 on a fresh inotify instance */
		if (ev.wd == 1 && (ev.mask & self)) {
			*gone = true;
			continue;
		}
		/* a watched directory below the parent went away: rescan; IN_IGNORED alone: no */
		if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
			*rescan = true;
			continue;
		}
		if (ev.mask & IN_IGNORED)
			continue;
		if (!(ev.mask & IN_ISDIR) || !(ev.mask & child) || !ev.len || !*name)
			continue;
		for (size_t i = 0; i < sizeof(exclude) / sizeof(exclude[0]); i++)
			excl |= !strcmp(name, exclude[i]);
		if (!excl)
			*rescan = true;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool rescan = false, want_rescan, want_gone;
	char err[512] = "";
	int ret;

	if (gone_inputs >= REBUILD_AFTER) {
		cells_free(reg);
		make_registry();
		gone_inputs = 0;
	}
	ret = cells_process_events(reg, data, size, &rescan, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -ENOENT, "unexpected return %d", ret);
	FUZZ_CHECK(ret == 0 || strstr(err, parent), "-ENOENT without naming the parent: '%s'", err);
	FUZZ_CHECK(!gone_inputs || ret == -ENOENT, "parent gone before, now returned %d", ret);
	if (expected(data, size, &want_rescan, &want_gone)) {
		FUZZ_CHECK(rescan == want_rescan, "rescan %d, cells.h says %d", rescan,
			   want_rescan);
		FUZZ_CHECK((ret == -ENOENT) == (want_gone || gone_inputs),
			   "returned %d, parent gone: in this input %d, before %d", ret, want_gone,
			   gone_inputs > 0);
	}
	if (ret == -ENOENT)
		gone_inputs++;
	return 0;
}
