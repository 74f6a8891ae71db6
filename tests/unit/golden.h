/* SPDX-License-Identifier: GPL-2.0 */
/*
 * golden - compare a renderer's output with a golden file in tests/unit/golden, for the unit
 * tests that pin every byte of what the daemon prints (test_view, test_view_plan).
 *
 * VIEW_GOLDEN_UPDATE=1 rewrites the files instead of comparing; VIEW_GOLDEN_DIR overrides where
 * they are (default tests/unit/golden, from the repo root, where `make unit` runs). Include after
 * cmocka.h.
 */
#ifndef SCX_CELLS_TEST_GOLDEN_H
#define SCX_CELLS_TEST_GOLDEN_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_MAX (1 << 16) /* bytes of a golden file */

/* Fail the test unless @out is byte for byte the golden file @name; show both if not. */
static inline void golden(const char *name, const char *out)
{
	const char *dir = getenv("VIEW_GOLDEN_DIR");
	char path[512], *want = NULL;
	size_t len = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/golden", name);
	if (getenv("VIEW_GOLDEN_UPDATE")) {
		f = fopen(path, "w");
		if (!f)
			fail_msg("cannot write %s: %s", path, strerror(errno));
		fputs(out, f);
		fclose(f);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg(
			"cannot read golden file %s (%s): run from the repo root or set VIEW_GOLDEN_DIR",
			path, strerror(errno));
	want = malloc(GOLDEN_MAX);
	assert_non_null(want);
	while ((n = fread(want + len, 1, GOLDEN_MAX - 1 - len, f)) > 0)
		len += n;
	fclose(f);
	want[len] = '\0';
	if (strcmp(want, out)) {
		size_t i = 0;

		while (want[i] && want[i] == out[i])
			i++;
		fail_msg("%s differs at byte %zu:\n--- want ---\n%s\n--- got ---\n%s", path, i,
			 want, out);
	}
	free(want);
}

#endif /* SCX_CELLS_TEST_GOLDEN_H */
