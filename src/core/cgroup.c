// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup - cgroup2 mount lookup, --cell-parent-cgroup resolution, cpu.weight / cpu.max parsing.
 * See cgroup.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "util.h"

/* Decode mountinfo's octal escapes (\040 etc.) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/*
 * Split one mountinfo line; on a cgroup2 entry return true with @root and @mnt pointing into
 * @line (unescaped). Format: id parent maj:min root mountpoint opts [optional...] - fstype src
 * sopts
 */
static bool parse_cgroup2_line(char *line, char **root, char **mnt)
{
	char *save = NULL, *tok;
	char *fields[5];
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
		fields[i++] = tok;
	if (i < 5)
		return false;
	/* skip mount options and optional fields up to the "-" separator */
	while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-"))
		;
	if (!tok)
		return false;
	tok = strtok_r(NULL, " ", &save);
	if (!tok || strcmp(tok, "cgroup2"))
		return false;
	unescape(fields[3]);
	unescape(fields[4]);
	*root = fields[3];
	*mnt = fields[4];
	return true;
}

int cgroup_find_mount(const char *mountinfo, char *buf, size_t len, char *err, size_t errlen)
{
	char *line = NULL, *best = NULL;
	bool best_is_root = false;
	size_t cap = 0;
	FILE *f;
	int ret;

	f = fopen(mountinfo, "re");
	if (!f) {
		ret = -errno;
		set_err(err, errlen, "cannot read %s to find the cgroup2 mount: %s", mountinfo,
			strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *root, *mnt;

		if (!parse_cgroup2_line(line, &root, &mnt))
			continue;
		if (best && (best_is_root || strcmp(root, "/")))
			continue;
		free(best);
		best = strdup(mnt);
		if (!best) {
			free(line);
			fclose(f);
			set_err(err, errlen, "out of memory reading %s", mountinfo);
			return -ENOMEM;
		}
		best_is_root = !strcmp(root, "/");
	}
	free(line);
	fclose(f);
	if (!best) {
		set_err(err, errlen,
			"cgroup2 is not mounted; mount it with: mount -t cgroup2 none /sys/fs/cgroup");
		return -ENOENT;
	}
	if (strlen(best) >= len) {
		set_err(err, errlen, "cgroup2 mount point %s is too long", best);
		free(best);
		return -ENAMETOOLONG;
	}
	strcpy(buf, best);
	free(best);
	return 0;
}

static size_t strip_trailing_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return n;
}

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2) {
		bool start = s == p || s[-1] == '/';
		bool end = s[2] == '\0' || s[2] == '/';

		if (start && end)
			return true;
	}
	return false;
}

static int check_dir(const char *path, const char *user, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (stat(path, &st)) {
		ret = -errno;
		if (ret == -ENOENT)
			set_err(err, errlen,
				"cgroup %s does not exist; create it (mkdir %s) or pass another --cell-parent-cgroup",
				path, path);
		else
			set_err(err, errlen,
				"cannot access cgroup %s (from --cell-parent-cgroup %s): %s", path,
				user, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		set_err(err, errlen,
			"%s is not a directory; --cell-parent-cgroup must name a cgroup directory",
			path);
		return -ENOTDIR;
	}
	return 0;
}

static int copy_out(char *out, size_t outlen, const char *a, const char *b, const char *user,
		    char *err, size_t errlen)
{
	int n = snprintf(out, outlen, "%s%s", a, b);

	if (n < 0 || (size_t)n >= outlen) {
		set_err(err, errlen, "--cell-parent-cgroup %s: resulting path is too long", user);
		return -ENAMETOOLONG;
	}
	strip_trailing_slashes(out);
	return 0;
}

int cgroup_resolve_parent(const char *mount, const char *user, char *out, size_t outlen, char *err,
			  size_t errlen)
{
	size_t mlen = strlen(mount);
	const char *sep;
	int ret;

	if (!*user) {
		set_err(err, errlen,
			"--cell-parent-cgroup is empty; pass a cgroup path such as /workloads.slice");
		return -EINVAL;
	}
	if (has_dotdot(user)) {
		set_err(err, errlen,
			"--cell-parent-cgroup %s contains '..'; pass a path inside the cgroup2 mount %s",
			user, mount);
		return -EINVAL;
	}
	/* the mount point without trailing slashes, "/" stays "/" */
	while (mlen > 1 && mount[mlen - 1] == '/')
		mlen--;
	if (mlen == 1 && mount[0] == '/') {
		sep = user[0] == '/' ? "" : "/";
		ret = copy_out(out, outlen, sep, user, user, err, errlen);
	} else if (!strncmp(user, mount, mlen) && (user[mlen] == '/' || user[mlen] == '\0')) {
		ret = copy_out(out, outlen, "", user, user, err, errlen);
	} else {
		char m[mlen + 1];

		memcpy(m, mount, mlen);
		m[mlen] = '\0';
		sep = user[0] == '/' ? "" : "/";
		ret = snprintf(out, outlen, "%s%s%s", m, sep, user);
		if (ret < 0 || (size_t)ret >= outlen) {
			set_err(err, errlen, "--cell-parent-cgroup %s: resulting path is too long",
				user);
			return -ENAMETOOLONG;
		}
		strip_trailing_slashes(out);
		ret = 0;
	}
	if (ret)
		return ret;
	ret = check_dir(out, user, err, errlen);
	if (ret == -ENOENT && strcmp(out, user)) {
		/* say how the path was interpreted: users on hybrid systems trip over this */
		size_t n = err ? strlen(err) : 0;

		if (err && n < errlen)
			snprintf(
				err + n, errlen - n,
				" (--cell-parent-cgroup %s is taken relative to the cgroup2 mount %.*s)",
				user, (int)mlen, mount);
	}
	return ret;
}

int cgroup_resolve_parent_any(const char *user, char *out, size_t outlen, char *err, size_t errlen)
{
	int ret;

	if (!*user) {
		set_err(err, errlen, "--cell-parent-cgroup is empty; pass a directory");
		return -EINVAL;
	}
	ret = copy_out(out, outlen, "", user, user, err, errlen);
	if (ret)
		return ret;
	return check_dir(out, user, err, errlen);
}

/*
 * Parse the decimal number at *@p (digits only, at least one, no overflow past UINT64_MAX / 10)
 * and advance *@p past it. Returns false when there is no digit or the value overflows.
 */
static bool parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return true;
}

/* The end of a value: nothing, or one newline and nothing after it. */
static bool at_end(const char *p)
{
	return !*p || (p[0] == '\n' && !p[1]);
}

int cgroup_parse_weight(const char *text, unsigned int *weight, char *err, size_t errlen)
{
	const char *p = text;
	uint64_t v;

	if (!parse_u64(&p, &v) || !at_end(p) || v < CGROUP_WEIGHT_MIN || v > CGROUP_WEIGHT_MAX) {
		set_err(err, errlen, "cpu.weight \"%.32s\" is not an integer in %u..%u", text,
			CGROUP_WEIGHT_MIN, CGROUP_WEIGHT_MAX);
		return -EINVAL;
	}
	*weight = (unsigned int)v;
	return 0;
}

int cgroup_parse_max(const char *text, unsigned int *cap, char *err, size_t errlen)
{
	const char *p = text;
	uint64_t quota = 0, period, c;
	bool unlimited = !strncmp(p, "max", 3);

	if (unlimited)
		p += 3;
	else if (!parse_u64(&p, &quota) || !quota)
		goto bad;
	if (unlimited && at_end(p)) {
		*cap = 0;
		return 0;
	}
	if (*p++ != ' ' || !parse_u64(&p, &period) || !period || !at_end(p))
		goto bad;
	if (unlimited) {
		*cap = 0;
		return 0;
	}
	c = quota / period + (quota % period != 0);
	*cap = c > UINT_MAX ? UINT_MAX : (unsigned int)c;
	return 0;
bad:
	set_err(err, errlen,
		"cpu.max \"%.48s\" is neither \"max PERIOD\" nor \"QUOTA PERIOD\" with positive integers",
		text);
	return -EINVAL;
}
