#!/bin/sh
# rel_cgroup_v1: a cgroup v1 hierarchy beside cgroup2 (#13 checklist, scx_mitosis's user
# report). A named v1 hierarchy without controllers (mount -t cgroup -o none,name=scxtest; the
# controllers are all bound to cgroup2) with the same directory names as the cells (work/a,
# work/b) and two more groups; cells a and b (cgroup2) run two spinners each.
#  A. v1 mounted at $CASE_DIR/v1 before the daemon starts; the spinners are moved among the v1
#     groups MOVES times and v1 groups are created and removed meanwhile.
#  B. the systemd "hybrid" layout, in a private mount namespace for the daemon only: tmpfs on
#     /sys/fs/cgroup, cgroup2 on /sys/fs/cgroup/unified, the v1 hierarchy on
#     /sys/fs/cgroup/systemd; the daemon must find cgroup2 there and resolve /work inside it.
# Passes if in both the stats list exactly cells 1:a 2:b (no v1 directory is taken for a cell),
# every spinner runs only on its cell's CPUs (sampled CPU field 39) before and after the v1
# moves, the scheduler never exits or restarts, and it unloads to `disabled`.
# How it fails: code that takes a task's cgroup from another hierarchy than the default one (the
# first line of /proc/PID/cgroup is now the v1 one), or the first "cgroup" mount instead of the
# cgroup2 one, puts the spinners in the root cell (they then run outside their cells' CPUs) or
# refuses to start; events of the v1 hierarchy taken for cgroup2 ones show extra cells.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

MOVES=${V1_MOVES:-200}
V1=$CASE_DIR/v1

mkdir -p "$V1"
mount -t cgroup -o none,name=scxtest none "$V1" ||
	fail "cannot mount a named cgroup v1 hierarchy (none,name=scxtest) on $V1: kernel without cgroup v1?"
# shellcheck disable=SC2034 # run by lib_rel.sh's exit trap: remove the v1 groups, unmount
REL_ON_EXIT="find $V1 -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null; umount $V1 2>/dev/null"
mkdir -p "$V1/work/a" "$V1/work/b" "$V1/g1" "$V1/g2" || fail "mkdir in the v1 hierarchy"

cg_create work/a >/dev/null
cg_create work/b >/dev/null
for c in a a b b; do spawn_spinner "work/$c"; done
wait_for 5 "spinners in work/a and work/b" cg_has_procs work/a work/b
# Put the spinners somewhere in v1 before the daemon starts: b's in v1's work/a, a's in g1.
for p in $(cg_procs work/a); do echo "$p" >"$V1/g1/cgroup.procs" || fail "v1 move of $p"; done
for p in $(cg_procs work/b); do echo "$p" >"$V1/work/a/cgroup.procs" || fail "v1 move of $p"; done
p1=${SPINNERS# }
p1=${p1%% *}
log "/proc/$p1/cgroup: $(tr '\n' ' ' <"/proc/$p1/cgroup")"
grep -q '^0::/work/a$' "/proc/$p1/cgroup" || fail "spinner $p1 is not in cgroup2's /work/a"
grep -q 'name=scxtest:/g1$' "/proc/$p1/cgroup" || fail "spinner $p1 is not in v1's /g1"

# check WHAT: exactly cells a b, each cell's spinners on its CPUs, healthy.
check() {
	wait_stats 50 "$1: exactly cells 1:a 2:b" stats_cells_are "1:a 2:b"
	log "$1: cells $(stats_cells_summary)"
	assert_cells_isolated 1500 a b
	assert_sched_healthy "$seq0"
}

# v1_moves N: move every spinner to another v1 group, N moves in all, creating and removing a v1
# group every 10th move.
v1_moves() {
	_i=0 _n=$1
	_groups="g1 g2 work/a work/b"
	while [ $_i -lt "$_n" ]; do
		for _p in $SPINNERS; do
			# shellcheck disable=SC2086 # pick the (i % 4)-th group
			set -- $_groups
			shift $((_i % 4))
			echo "$_p" >"$V1/$1/cgroup.procs" || fail "v1 move $_i of $_p into $1"
			_i=$((_i + 1))
			if [ $((_i % 10)) -eq 0 ]; then
				{ mkdir "$V1/work/t$_i" && rmdir "$V1/work/t$_i"; } || fail "v1 mkdir/rmdir work/t$_i"
			fi
		done
	done
}

# ---- A: v1 mounted beside cgroup2 -----------------------------------------------------------
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 50
seq0=$(enable_seq)
check "A before the v1 moves"
v1_moves "$MOVES"
log "A: $MOVES v1 moves done; /proc/$p1/cgroup: $(tr '\n' ' ' <"/proc/$p1/cgroup")"
check "A after the v1 moves"
stop_sched

# ---- B: the hybrid layout, in the daemon's own mount namespace --------------------------------
HYB="mount --make-rprivate / && umount -l /sys/fs/cgroup && mount -t tmpfs none /sys/fs/cgroup &&
mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/systemd &&
mount -t cgroup2 none /sys/fs/cgroup/unified &&
mount -t cgroup -o none,name=scxtest none /sys/fs/cgroup/systemd &&
grep cgroup /proc/self/mountinfo && exec /bin/scx_cells \"\$@\""
SCX_BIN=/bin/busybox start_sched unshare -m -- sh -c "$HYB" scx_cells --cell-parent-cgroup /work \
	--monitor-interval-s 0.2 --stats-format json --debounce-ms 50
seq0=$(enable_seq)
log "B: the daemon's cgroup mounts:"
sed -n '/ cgroup/p' "$SCHED_LOG" | grep -v '^{' | sed 's/^/  | /'
grep -q ' /sys/fs/cgroup/unified .* cgroup2 ' "$SCHED_LOG" ||
	fail "B: the daemon's namespace does not show cgroup2 on /sys/fs/cgroup/unified"
check "B hybrid before the v1 moves"
v1_moves "$MOVES"
check "B hybrid after the v1 moves"
problems=$(kmsg_kernel_problems)
[ -z "$problems" ] || fail "kernel problems: $problems"
kill_spinners
stop_sched
cg_remove work
echo ok
