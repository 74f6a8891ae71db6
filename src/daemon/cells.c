// SPDX-License-Identifier: GPL-2.0
/*
 * cells - the cell registry. See cells.h for the model.
 *
 * A rescan builds the complete new slot table off to the side (names, paths, cpusets) and only
 * swaps it in when nothing failed, so an error (parent gone, ENOMEM) leaves the registry as it
 * was. cgroups can be removed at any moment: a child that vanishes between readdir() and
 * fstatat(), or before its cpuset files are read, is simply not a cell (or has no cpuset) in this
 * scan; the inotify event for its removal triggers the next scan anyway.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellconfig.h"
#include "cells.h"
#include "cgroup.h"
#include "util.h"

/* How many waiting names a warning lists before "...". */
#define WAITING_LIST_MAX 8

struct slot {
	bool used;
	char *name;
	char *path;
	uint64_t ino;
	struct cpumask *cpuset;
	unsigned int weight, cap; /* effective: the rule's override, else the cgroup's files */
	int rule;		  /* index into the registry's config; -1 for the root cell */
	unsigned int min;	  /* the rule's min_cpus */
	unsigned int flags;	  /* CELLS_F_* from the rule */
	bool bad_weight, bad_max; /* warned about that file; quiet until it parses again */
	struct cell pub;
};

struct child {
	char *name; /* path relative to the root */
	uint64_t ino;
	int rule;
	bool placed;
};

/* A watched directory; @gen is the scan that last went through it. */
struct watch {
	int wd;
	unsigned int gen;
};

struct cells {
	char *parent;
	struct cellconfig *config;
	char **exclude;
	unsigned int nr_exclude;
	unsigned int max_cells;
	unsigned int nr_cpus;
	int ifd;
	int wd;		       /* the root's watch */
	struct watch *watches; /* below the root */
	unsigned int nr_watches, gen;
	bool watch_limit_warned;
	bool parent_gone;
	struct slot *slots; /* [max_cells] */
	char **waiting;	    /* names, sorted */
	unsigned int nr_waiting;
};

/* ---- diffs ------------------------------------------------------------------------------- */

static void free_changes(struct cells_change *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

void cells_diff_free(struct cells_diff *diff)
{
	if (!diff)
		return;
	free_changes(diff->created, diff->nr_created);
	free_changes(diff->destroyed, diff->nr_destroyed);
	free_changes(diff->cpuset_changed, diff->nr_cpuset_changed);
	free_changes(diff->limits_changed, diff->nr_limits_changed);
	for (unsigned int i = 0; i < diff->nr_warnings; i++)
		free(diff->warnings[i]);
	free(diff->warnings);
	memset(diff, 0, sizeof(*diff));
}

bool cells_diff_changed(const struct cells_diff *diff)
{
	return diff->nr_created || diff->nr_destroyed || diff->nr_cpuset_changed ||
	       diff->nr_limits_changed;
}

static int add_change(struct cells_change **arr, unsigned int *n, unsigned int id, const char *name,
		      uint64_t ino)
{
	struct cells_change *a = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!a)
		return -ENOMEM;
	*arr = a;
	a[*n].name = strdup(name);
	if (!a[*n].name)
		return -ENOMEM;
	a[*n].id = id;
	a[*n].ino = ino;
	a[*n].old_weight = a[*n].weight = a[*n].old_cap = a[*n].cap = 0;
	a[*n].old_min = a[*n].min = a[*n].old_flags = a[*n].flags = 0;
	(*n)++;
	return 0;
}

/* Warnings are best effort: out of memory just drops one. NULL @diff drops them all. */
static void add_warning(struct cells_diff *diff, const char *fmt, ...)
{
	va_list ap;
	char *s, **w;

	if (!diff)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	w = realloc(diff->warnings, (diff->nr_warnings + 1) * sizeof(*w));
	if (!w) {
		free(s);
		return;
	}
	diff->warnings = w;
	w[diff->nr_warnings++] = s;
}

/* ---- cpusets ----------------------------------------------------------------------------- */

/*
 * Read a whole small file into a malloc'ed string with trailing whitespace removed. Returns 0,
 * -ENOENT if it (or its cgroup) does not exist, or another -errno.
 */
static int read_trimmed(const char *dir, const char *file, char **out)
{
	size_t cap = 256, len = 0;
	char *buf = NULL, *path = NULL;
	int fd, ret = 0;

	*out = NULL;
	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				ret = -ENOMEM;
				goto out;
			}
			buf = b;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

/*
 * The cpuset of the cgroup at @path: *@mask is NULL when it has none (not configured, gone,
 * unreadable or unparsable; the last two add a warning). Returns 0 or -ENOMEM.
 */
static int read_cpuset(struct cells *r, const char *path, const char *name, struct cells_diff *diff,
		       struct cpumask **mask)
{
	const char *file = "cpuset.cpus";
	char *cpus = NULL, *eff = NULL, perr[256] = "";
	const char *text;
	struct cpumask *m;
	int ret;

	*mask = NULL;
	ret = read_trimmed(path, "cpuset.cpus", &cpus);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		/* no such file: cpuset controller not enabled, or the cgroup just vanished */
		if (ret != -ENOENT && ret != -ENODEV)
			add_warning(
				diff,
				"cell %s: cannot read %s/cpuset.cpus (%s); treating it as having no cpuset",
				name, path, strerror(-ret));
		return 0;
	}
	if (!*cpus) {
		free(cpus);
		return 0;
	}
	ret = read_trimmed(path, "cpuset.cpus.effective", &eff);
	if (ret == -ENOMEM) {
		free(cpus);
		return ret;
	}
	text = cpus;
	if (!ret && *eff) {
		text = eff;
		file = "cpuset.cpus.effective";
	}
	m = cpumask_alloc(r->nr_cpus);
	if (!m) {
		free(cpus);
		free(eff);
		return -ENOMEM;
	}
	ret = cpumask_parse(m, text, perr, sizeof(perr));
	if (ret) {
		add_warning(diff,
			    "cell %s: cannot parse %s/%s (%s); treating it as having no cpuset",
			    name, path, file, perr);
		cpumask_free(m);
		m = NULL;
	}
	free(cpus);
	free(eff);
	*mask = m;
	return 0;
}

/*
 * One limit file of a cell: cpu.weight or cpu.max through @parse into *@val, *@val = @dfl when
 * the file is absent (no cpu controller, or the cgroup just vanished), unreadable or malformed;
 * the last two warn once (*@bad remembers it until the file parses again). Returns 0 or -ENOMEM.
 */
static int read_limit(const char *path, const char *name, const char *file,
		      int (*parse)(const char *, unsigned int *, char *, size_t), unsigned int dfl,
		      bool *bad, struct cells_diff *diff, unsigned int *val)
{
	char *text = NULL, perr[256] = "";
	int ret = read_trimmed(path, file, &text);

	*val = dfl;
	if (ret == -ENOMEM)
		return ret;
	if (ret == -ENOENT || ret == -ENODEV) {
		*bad = false;
		return 0;
	}
	if (ret) {
		snprintf(perr, sizeof(perr), "%s", strerror(-ret));
	} else if (!parse(text, val, perr, sizeof(perr))) {
		free(text);
		*bad = false;
		return 0;
	}
	free(text);
	*val = dfl;
	if (!*bad)
		add_warning(diff, "cell %s: cannot use %s/%s (%s); using the default (%s)", name,
			    path, file, perr, dfl ? "weight 100" : "no cap");
	*bad = true;
	return 0;
}

static int read_limits(struct slot *s, struct cells_diff *diff)
{
	int ret = read_limit(s->path, s->name, "cpu.weight", cgroup_parse_weight,
			     CGROUP_WEIGHT_DEFAULT, &s->bad_weight, diff, &s->weight);

	return ret ? ret
		   : read_limit(s->path, s->name, "cpu.max", cgroup_parse_max, 0, &s->bad_max, diff,
				&s->cap);
}

/* What @s's rule changes: weight and cap override the files (the smaller cap holds), min, flags. */
static void apply_rule(const struct cells *r, struct slot *s)
{
	const struct cellconfig_rule *ru;

	s->min = 0;
	s->flags = 0;
	if (s->rule < 0 || (unsigned int)s->rule >= r->config->nr_rules)
		return;
	ru = &r->config->rules[s->rule];
	if (ru->weight)
		s->weight = ru->weight;
	if (ru->max_cpus && (!s->cap || ru->max_cpus < s->cap))
		s->cap = ru->max_cpus;
	s->min = ru->min_cpus;
	s->flags = (ru->borrow ? 0 : CELLS_F_NO_BORROW) | (ru->lend ? 0 : CELLS_F_NO_LEND) |
		   (ru->latency_sensitive ? CELLS_F_LATENCY : 0);
}

/* The limits of a slot, to compare before and after. */
struct limits {
	unsigned int weight, cap, min, flags;
};

static struct limits limits_of(const struct slot *s)
{
	return (struct limits){s->weight, s->cap, s->min, s->flags};
}

/* Report @s (now) against @old (before) in @diff if they differ. */
static int note_limits(struct cells_diff *diff, unsigned int id, const struct slot *s,
		       struct limits old)
{
	struct cells_change *ch;

	if (!diff || (old.weight == s->weight && old.cap == s->cap && old.min == s->min &&
		      old.flags == s->flags))
		return 0;
	if (add_change(&diff->limits_changed, &diff->nr_limits_changed, id, s->name, s->ino))
		return -ENOMEM;
	ch = &diff->limits_changed[diff->nr_limits_changed - 1];
	ch->old_weight = old.weight;
	ch->weight = s->weight;
	ch->old_cap = old.cap;
	ch->cap = s->cap;
	ch->old_min = old.min;
	ch->min = s->min;
	ch->old_flags = old.flags;
	ch->flags = s->flags;
	return 0;
}

static bool same_cpuset(const struct cpumask *a, const struct cpumask *b)
{
	if (!a || !b)
		return !a && !b;
	return cpumask_equal(a, b);
}

/* ---- slots ------------------------------------------------------------------------------- */

static void slot_clear(struct slot *s)
{
	free(s->name);
	free(s->path);
	cpumask_free(s->cpuset);
	memset(s, 0, sizeof(*s));
}

static void slots_free(struct slot *slots, unsigned int n)
{
	if (!slots)
		return;
	for (unsigned int i = 0; i < n; i++)
		slot_clear(&slots[i]);
	free(slots);
}

static void slot_publish(const struct cells *r, struct slot *s, unsigned int id)
{
	s->pub.id = id;
	s->pub.name = s->name;
	s->pub.path = s->path;
	s->pub.ino = s->ino;
	s->pub.cpuset = s->cpuset;
	s->pub.weight = s->weight;
	s->pub.cap = s->cap;
	s->pub.rule = s->rule;
	s->pub.match = s->rule >= 0 && (unsigned int)s->rule < r->config->nr_rules
			       ? r->config->rules[s->rule].match
			       : NULL;
	s->pub.min = s->min;
	s->pub.borrow = !(s->flags & CELLS_F_NO_BORROW);
	s->pub.lend = !(s->flags & CELLS_F_NO_LEND);
	s->pub.latency_sensitive = s->flags & CELLS_F_LATENCY;
}

static int slot_fill(struct cells *r, struct slot *s, const char *name, uint64_t ino)
{
	s->used = true;
	s->ino = ino;
	s->name = strdup(name);
	if (!s->name || asprintf(&s->path, "%s/%s", r->parent, name) < 0) {
		s->path = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- scanning ---------------------------------------------------------------------------- */

static bool excluded(const struct cells *r, const char *name)
{
	for (unsigned int i = 0; i < r->nr_exclude; i++)
		if (!strcmp(r->exclude[i], name))
			return true;
	return false;
}

static int cmp_child(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->name, ((const struct child *)b)->name);
}

static void children_free(struct child *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

static int parent_gone_err(struct cells *r, int ret, char *err, size_t errlen)
{
	if (ret == -ENOENT || ret == -ENOTDIR)
		set_err(err, errlen,
			"parent cgroup %s is gone (removed or renamed); recreate it and restart, or pass another --cell-parent-cgroup",
			r->parent);
	else
		set_err(err, errlen, "cannot read parent cgroup %s: %s", r->parent, strerror(-ret));
	return ret;
}

/* ---- watches ----------------------------------------------------------------------------- */

#define WATCH_MASK                                                                                 \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |     \
	 IN_ONLYDIR)

/*
 * Watch @path (below the root) for this scan (r->gen), before it is read, so that no child made
 * in between is missed. A directory that vanished is simply not watched (its parent's event
 * brings the next scan); hitting the watch limit is a warning, once.
 */
static int watch_dir(struct cells *r, const char *path, struct cells_diff *diff)
{
	int wd = inotify_add_watch(r->ifd, path, WATCH_MASK);
	struct watch *w;

	if (wd < 0) {
		if (errno == ENOSPC && !r->watch_limit_warned) {
			add_warning(
				diff,
				"cannot watch %s: inotify watch limit reached; cgroups created below it are noticed only at the next rescan. Raise fs.inotify.max_user_watches (sysctl)",
				path);
			r->watch_limit_warned = true;
		}
		return 0;
	}
	if (wd == r->wd)
		return 0;
	for (unsigned int i = 0; i < r->nr_watches; i++) {
		if (r->watches[i].wd == wd) {
			r->watches[i].gen = r->gen;
			return 0;
		}
	}
	w = realloc(r->watches, (r->nr_watches + 1) * sizeof(*w));
	if (!w) {
		inotify_rm_watch(r->ifd, wd);
		return -ENOMEM;
	}
	r->watches = w;
	w[r->nr_watches++] = (struct watch){.wd = wd, .gen = r->gen};
	return 0;
}

/* After a complete scan: drop the watches it did not go through. */
static void sweep_watches(struct cells *r)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nr_watches; i++) {
		if (r->watches[i].gen == r->gen)
			r->watches[n++] = r->watches[i];
		else
			inotify_rm_watch(r->ifd, r->watches[i].wd);
	}
	r->nr_watches = n;
}

/* ---- the walk ---------------------------------------------------------------------------- */

struct walk {
	struct cells *r;
	struct cells_diff *diff;
	struct child *c;
	unsigned int n, cap;
	const char *comp[CELLCONFIG_MAX_DEPTH];
	char *err;
	size_t errlen;
};

static int add_child(struct walk *w, const char *rel, uint64_t ino, int rule)
{
	if (w->n == w->cap) {
		struct child *nc;

		w->cap = w->cap ? w->cap * 2 : 16;
		nc = realloc(w->c, w->cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		w->c = nc;
	}
	w->c[w->n].name = strdup(rel);
	if (!w->c[w->n].name)
		return -ENOMEM;
	w->c[w->n].ino = ino;
	w->c[w->n].rule = rule;
	w->c[w->n].placed = false;
	w->n++;
	return 0;
}

/*
 * The directory @path (relative path @rel, "" for the root; @depth components) : its
 * subdirectories that match a rule become candidates, those a deeper rule can match below are
 * walked in turn. Returns 0 or -errno (-ENOMEM, or the root unreadable, with a message).
 */
static int walk_dir(struct walk *w, const char *path, const char *rel, unsigned int depth)
{
	struct cells *r = w->r;
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	if (depth && watch_dir(r, path, w->diff))
		return -ENOMEM;
	dir = opendir(path);
	if (!dir)
		return depth ? 0 : parent_gone_err(r, -errno, w->err, w->errlen);
	for (;;) {
		char name[NAME_MAX + 1], *crel = NULL, *cpath = NULL;
		struct stat st;
		int rule;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno && !depth)
				ret = parent_gone_err(r, -errno, w->err, w->errlen);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (excluded(r, de->d_name) || depth >= CELLCONFIG_MAX_DEPTH)
			continue;
		/* the inode from stat, not d_ino: they differ on some stacked filesystems */
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* removed since readdir() */
		if (!S_ISDIR(st.st_mode))
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		w->comp[depth] = name;
		rule = cellconfig_match(r->config, w->comp, depth + 1);
		if (rule < 0 && !cellconfig_may_descend(r->config, w->comp, depth + 1))
			continue;
		if (asprintf(&crel, "%s%s%s", rel, *rel ? "/" : "", name) < 0) {
			ret = -ENOMEM;
			break;
		}
		if (rule >= 0) {
			ret = add_child(w, crel, st.st_ino, rule);
		} else if (asprintf(&cpath, "%s/%s", path, name) < 0) {
			cpath = NULL;
			ret = -ENOMEM;
		} else {
			ret = walk_dir(w, cpath, crel, depth + 1);
		}
		free(crel);
		free(cpath);
		if (ret)
			break;
	}
	closedir(dir);
	if (ret == -ENOMEM)
		set_err(w->err, w->errlen, "out of memory scanning %s", r->parent);
	return ret;
}

/*
 * The candidate cells below the root, sorted by name; every directory the walk went through is
 * watched, and after a complete walk only those.
 */
static int scan_children(struct cells *r, struct child **out, unsigned int *nr,
			 struct cells_diff *diff, char *err, size_t errlen)
{
	struct walk w = {.r = r, .diff = diff, .err = err, .errlen = errlen};
	int ret;

	r->gen++;
	ret = walk_dir(&w, r->parent, "", 0);
	if (ret) {
		children_free(w.c, w.n);
		return ret;
	}
	sweep_watches(r);
	if (w.n)
		qsort(w.c, w.n, sizeof(*w.c), cmp_child);
	*out = w.c;
	*nr = w.n;
	return 0;
}

static struct child *find_child(struct child *c, unsigned int n, const char *name)
{
	struct child key = {.name = (char *)name};

	return n ? bsearch(&key, c, n, sizeof(*c), cmp_child) : NULL;
}

static void waiting_free(char **w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

static void warn_waiting(struct cells *r, struct cells_diff *diff, char **w, unsigned int n)
{
	char list[1024] = "";
	size_t len = 0;

	for (unsigned int i = 0; i < n && i < WAITING_LIST_MAX && len < sizeof(list); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", w[i]);
	if (n > WAITING_LIST_MAX && len < sizeof(list))
		snprintf(list + len, sizeof(list) - len, ", ...");
	if (r->max_cells == 1)
		add_warning(
			diff,
			"%u child cgroup%s of %s stay%s in the root cell: max cells is 1, no workload cells are possible (%s)",
			n, n == 1 ? "" : "s", r->parent, n == 1 ? "s" : "", list);
	else
		add_warning(
			diff,
			"%u child cgroup%s of %s stay%s in the root cell: all %u workload cell slots are in use (%s); they become cells as slots free up",
			n, n == 1 ? "" : "s", r->parent, n == 1 ? "s" : "", r->max_cells - 1, list);
}

int cells_rescan(struct cells *r, struct cells_diff *diff, char *err, size_t errlen)
{
	struct child *kids = NULL;
	unsigned int nr_kids = 0, nr_wait = 0;
	struct slot *ns = NULL;
	char **wait = NULL;
	int ret;

	cells_diff_free(diff);
	ret = scan_children(r, &kids, &nr_kids, diff, err, errlen);
	if (ret)
		return ret;
	ns = calloc(r->max_cells, sizeof(*ns));
	wait = calloc(nr_kids ? nr_kids : 1, sizeof(*wait));
	if (!ns || !wait)
		goto enomem;

	/* root cell */
	ns[0].used = true;
	ns[0].name = strdup("");
	ns[0].path = strdup(r->parent);
	ns[0].weight = CGROUP_WEIGHT_DEFAULT;
	ns[0].rule = -1;
	if (!ns[0].name || !ns[0].path)
		goto enomem;

	/* keep cells whose (name, inode) still exists; the rest are destroyed */
	for (unsigned int id = 1; id < r->max_cells; id++) {
		struct slot *old = &r->slots[id];
		struct child *k;

		if (!old->used)
			continue;
		k = find_child(kids, nr_kids, old->name);
		if (k && k->ino == old->ino) {
			k->placed = true;
			if (slot_fill(r, &ns[id], k->name, k->ino))
				goto enomem;
			ns[id].rule = k->rule;
			ns[id].bad_weight = old->bad_weight;
			ns[id].bad_max = old->bad_max;
		} else if (diff && add_change(&diff->destroyed, &diff->nr_destroyed, id, old->name,
					      old->ino)) {
			goto enomem;
		}
	}

	/* new children, in name order, take the lowest free ids; the rest wait */
	for (unsigned int i = 0, id = 1; i < nr_kids; i++) {
		if (kids[i].placed)
			continue;
		while (id < r->max_cells && ns[id].used)
			id++;
		if (id >= r->max_cells) {
			wait[nr_wait] = strdup(kids[i].name);
			if (!wait[nr_wait])
				goto enomem;
			nr_wait++;
			continue;
		}
		if (slot_fill(r, &ns[id], kids[i].name, kids[i].ino))
			goto enomem;
		ns[id].rule = kids[i].rule;
		if (diff &&
		    add_change(&diff->created, &diff->nr_created, id, kids[i].name, kids[i].ino))
			goto enomem;
	}

	/* cpusets; a kept cell whose cpuset differs is reported */
	for (unsigned int id = 1; id < r->max_cells; id++) {
		struct slot *s = &ns[id], *old = &r->slots[id];

		if (!s->used)
			continue;
		if (read_cpuset(r, s->path, s->name, diff, &s->cpuset))
			goto enomem;
		if (diff && old->used && old->ino == s->ino && !strcmp(old->name, s->name) &&
		    !same_cpuset(old->cpuset, s->cpuset) &&
		    add_change(&diff->cpuset_changed, &diff->nr_cpuset_changed, id, s->name,
			       s->ino))
			goto enomem;
		if (read_limits(s, diff))
			goto enomem;
		apply_rule(r, s);
		if (old->used && old->ino == s->ino && !strcmp(old->name, s->name) &&
		    note_limits(diff, id, s, limits_of(old)))
			goto enomem;
	}

	if (nr_wait)
		warn_waiting(r, diff, wait, nr_wait);
	if (diff)
		diff->nr_waiting = nr_wait;

	/* commit */
	slots_free(r->slots, r->max_cells);
	r->slots = ns;
	for (unsigned int id = 0; id < r->max_cells; id++)
		if (ns[id].used)
			slot_publish(r, &ns[id], id);
	waiting_free(r->waiting, r->nr_waiting);
	r->waiting = wait;
	r->nr_waiting = nr_wait;
	children_free(kids, nr_kids);
	return 0;
enomem:
	set_err(err, errlen, "out of memory rescanning %s", r->parent);
	slots_free(ns, r->max_cells);
	waiting_free(wait, nr_wait);
	children_free(kids, nr_kids);
	cells_diff_free(diff);
	return -ENOMEM;
}

int cells_reread_cpusets(struct cells *r, struct cells_diff *diff, char *err, size_t errlen)
{
	struct cpumask **masks;

	cells_diff_free(diff);
	masks = calloc(r->max_cells, sizeof(*masks));
	if (!masks)
		goto enomem;
	for (unsigned int id = 1; id < r->max_cells; id++) {
		struct slot *s = &r->slots[id];

		if (!s->used)
			continue;
		if (read_cpuset(r, s->path, s->name, diff, &masks[id]))
			goto enomem;
		if (diff && !same_cpuset(s->cpuset, masks[id]) &&
		    add_change(&diff->cpuset_changed, &diff->nr_cpuset_changed, id, s->name,
			       s->ino))
			goto enomem;
	}
	for (unsigned int id = 1; id < r->max_cells; id++) {
		struct slot *s = &r->slots[id];

		if (!s->used)
			continue;
		cpumask_free(s->cpuset);
		s->cpuset = masks[id];
		slot_publish(r, s, id);
	}
	free(masks);
	return 0;
enomem:
	if (masks)
		for (unsigned int id = 0; id < r->max_cells; id++)
			cpumask_free(masks[id]);
	free(masks);
	cells_diff_free(diff);
	set_err(err, errlen, "out of memory re-reading cpusets under %s", r->parent);
	return -ENOMEM;
}

int cells_reread_limits(struct cells *r, struct cells_diff *diff, char *err, size_t errlen)
{
	cells_diff_free(diff);
	for (unsigned int id = 1; id < r->max_cells; id++) {
		struct slot *s = &r->slots[id];
		struct limits old = limits_of(s);

		if (!s->used)
			continue;
		if (read_limits(s, diff) || (apply_rule(r, s), note_limits(diff, id, s, old))) {
			cells_diff_free(diff);
			set_err(err, errlen, "out of memory re-reading cpu.weight/cpu.max under %s",
				r->parent);
			return -ENOMEM;
		}
		slot_publish(r, s, id);
	}
	return 0;
}

/* ---- life cycle -------------------------------------------------------------------------- */

static int watch_parent(struct cells *r, char *err, size_t errlen)
{
	const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
			      IN_MOVE_SELF | IN_ONLYDIR;
	int ret;

	r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->ifd < 0) {
		ret = -errno;
		if (ret == -EMFILE)
			set_err(err, errlen,
				"cannot create an inotify instance: limit reached; raise fs.inotify.max_user_instances (sysctl)");
		else
			set_err(err, errlen, "cannot create an inotify instance: %s",
				strerror(-ret));
		return ret;
	}
	r->wd = inotify_add_watch(r->ifd, r->parent, mask);
	if (r->wd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			set_err(err, errlen,
				"parent cgroup %s does not exist; create it or pass another --cell-parent-cgroup",
				r->parent);
		else if (ret == -ENOTDIR)
			set_err(err, errlen, "parent cgroup %s is not a directory", r->parent);
		else if (ret == -ENOSPC)
			set_err(err, errlen,
				"cannot watch %s: inotify watch limit reached; raise fs.inotify.max_user_watches (sysctl)",
				r->parent);
		else
			set_err(err, errlen, "cannot watch %s with inotify: %s", r->parent,
				strerror(-ret));
		return ret;
	}
	return 0;
}

int cells_new(const struct cells_cfg *cfg, struct cells **out, struct cells_diff *diff, char *err,
	      size_t errlen)
{
	struct cells *r;
	int ret;

	*out = NULL;
	if (!cfg->parent || !*cfg->parent || !cfg->max_cells || !cfg->nr_cpus ||
	    cfg->nr_cpus > CPUMASK_MAX_CPUS) {
		set_err(err, errlen,
			"cell registry needs a parent cgroup, at least one cell slot and 1..%u CPUs",
			CPUMASK_MAX_CPUS);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto enomem;
	r->ifd = -1;
	r->max_cells = cfg->max_cells;
	r->nr_cpus = cfg->nr_cpus;
	r->parent = strdup(cfg->parent);
	r->slots = calloc(cfg->max_cells, sizeof(*r->slots));
	r->exclude = calloc(cfg->nr_exclude ? cfg->nr_exclude : 1, sizeof(*r->exclude));
	if (cfg->config)
		r->config = cellconfig_dup(cfg->config);
	else if (cellconfig_single(&r->config))
		r->config = NULL;
	if (!r->parent || !r->slots || !r->exclude || !r->config)
		goto enomem;
	for (unsigned int i = 0; i < cfg->nr_exclude; i++) {
		r->exclude[i] = strdup(cfg->exclude[i]);
		if (!r->exclude[i])
			goto enomem;
		r->nr_exclude++;
	}
	/* watch before the first scan so that no child created in between is missed */
	ret = watch_parent(r, err, errlen);
	if (ret)
		goto fail;
	ret = cells_rescan(r, diff, err, errlen);
	if (ret)
		goto fail;
	*out = r;
	return 0;
enomem:
	set_err(err, errlen, "out of memory creating the cell registry");
	ret = -ENOMEM;
fail:
	cells_free(r);
	return ret;
}

void cells_free(struct cells *r)
{
	if (!r)
		return;
	if (r->ifd >= 0)
		close(r->ifd);
	slots_free(r->slots, r->max_cells);
	waiting_free(r->waiting, r->nr_waiting);
	for (unsigned int i = 0; i < r->nr_exclude; i++)
		free(r->exclude[i]);
	free(r->exclude);
	free(r->parent);
	free(r->watches);
	cellconfig_free(r->config);
	free(r);
}

int cells_set_config(struct cells *r, const struct cellconfig *config, struct cells_diff *diff,
		     char *err, size_t errlen)
{
	struct cellconfig *old = r->config, *nc = cellconfig_dup(config);
	int ret;

	if (!nc) {
		set_err(err, errlen, "out of memory copying the cell config");
		return -ENOMEM;
	}
	r->config = nc;
	ret = cells_rescan(r, diff, err, errlen);
	if (ret) {
		r->config = old;
		cellconfig_free(nc);
		return ret;
	}
	cellconfig_free(old);
	return 0;
}

const struct cellconfig *cells_config(const struct cells *r)
{
	return r->config;
}

unsigned int cells_nr_watches(const struct cells *r)
{
	return 1 + r->nr_watches;
}

/* ---- events ------------------------------------------------------------------------------ */

int cells_process_events(struct cells *r, const void *buf, size_t len, bool *rescan, char *err,
			 size_t errlen)
{
	const char *p = buf, *end = p + len;

	while (p < end) {
		struct inotify_event ev;
		const char *name;

		if ((size_t)(end - p) < sizeof(ev))
			break;
		memcpy(&ev, p, sizeof(ev));
		if ((size_t)(end - p) - sizeof(ev) < ev.len)
			break;
		name = ev.len ? p + sizeof(ev) : "";
		p += sizeof(ev) + ev.len;

		if (ev.mask & IN_Q_OVERFLOW) {
			/* events were lost: only a full rescan knows the truth */
			*rescan = true;
			continue;
		}
		if (ev.wd == r->wd &&
		    ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
			r->parent_gone = true;
			continue;
		}
		/*
		 * A watched directory below the root vanished or moved: rescan (its parent's
		 * event says so too, unless that one was lost). IN_IGNORED alone follows our own
		 * inotify_rm_watch() or the removal: nothing new.
		 */
		if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
			*rescan = true;
			continue;
		}
		if (ev.mask & IN_IGNORED)
			continue;
		/* The kernel NUL-pads names; a record without a NUL in its name is malformed. */
		if (ev.len && !memchr(name, '\0', ev.len))
			continue;
		if (!(ev.mask & IN_ISDIR) || !*name)
			continue;
		if (ev.mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) &&
		    !excluded(r, name))
			*rescan = true;
	}
	if (r->parent_gone) {
		set_err(err, errlen,
			"parent cgroup %s was removed or renamed; its cells are gone. Recreate it and restart, or pass another --cell-parent-cgroup",
			r->parent);
		return -ENOENT;
	}
	return 0;
}

int cells_handle_events(struct cells *r, bool *rescan, char *err, size_t errlen)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int ret;

	*rescan = false;
	for (;;) {
		n = read(r->ifd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			ret = -errno;
			set_err(err, errlen, "cannot read inotify events for %s: %s", r->parent,
				strerror(-ret));
			return ret;
		}
		if (!n)
			break;
		/* record the parent's fate but keep draining so the fd goes quiet */
		cells_process_events(r, buf, (size_t)n, rescan, NULL, 0);
	}
	return cells_process_events(r, NULL, 0, rescan, err, errlen);
}

/* ---- queries ----------------------------------------------------------------------------- */

int cells_watch_fd(const struct cells *r)
{
	return r->ifd;
}

unsigned int cells_max(const struct cells *r)
{
	return r->max_cells;
}

unsigned int cells_count(const struct cells *r)
{
	unsigned int n = 0;

	for (unsigned int id = 0; id < r->max_cells; id++)
		n += r->slots[id].used;
	return n;
}

const struct cell *cells_get(const struct cells *r, unsigned int id)
{
	if (id >= r->max_cells || !r->slots[id].used)
		return NULL;
	return &r->slots[id].pub;
}

const struct cell *cells_find_ino(const struct cells *r, uint64_t ino)
{
	for (unsigned int id = 1; id < r->max_cells; id++)
		if (r->slots[id].used && r->slots[id].ino == ino)
			return &r->slots[id].pub;
	return NULL;
}

unsigned int cells_nr_waiting(const struct cells *r)
{
	return r->nr_waiting;
}

const char *cells_waiting_name(const struct cells *r, unsigned int i)
{
	return i < r->nr_waiting ? r->waiting[i] : NULL;
}
