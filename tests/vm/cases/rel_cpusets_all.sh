#!/bin/sh
# rel_cpusets_all: cpusets that cover every CPU, with more cells than CPUs. Six children a..f,
# each with cpuset.cpus 0-3 (every CPU claimed by every child), on 4 vCPUs, with a CPU hog in
# each and one in the root cgroup:
#  A. --cell0-min-cpus 1: the root cell still owns >= 1 CPU; the placed cells own disjoint CPUs
#     that partition the online CPUs; at least 3 children are unplaced (listed without CPUs);
#     placed cells' tasks run on their own CPUs, unplaced cells' tasks on the root cell's, and
#     every hog makes progress (utime grows); the scheduler never exits or restarts.
#  B. the same with --cell0-min-cpus 2: the root cell owns >= 2 CPUs, >= 4 children unplaced.
# (Mixed trees, children without cpusets and other minimums are covered by tests/host/run.sh on
# the dry-run planner.)
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

PROGRESS_TICKS=20 # 0.2 s of CPU time

# unplaced_cells: names of cells of the latest stats line that have no CPU.
unplaced_cells() {
	stats_cells_table | while read -r _i _n _c; do [ -n "$_c" ] || printf '%s ' "$_n"; done
}

# check_phase WHAT MIN_ROOT NAMES...: a stats line lists every cell; root owns >= MIN_ROOT CPUs;
# CPUs are partitioned; placed cells' tasks run on their own CPUs and unplaced cells' tasks on
# the root cell's; every hog progresses. (Variables are prefixed: lib.sh helpers use _what etc.)
check_phase() {
	_cp_what=$1 _cp_min=$2
	shift 2
	_cp_seq=$(enable_seq)
	_cp_n0=$(stats_count)
	wait_stats 50 "$_cp_what: a fresh stats line" stats_newer_than "$_cp_n0"
	for _cp_c in "$@"; do
		wait_for 10 "$_cp_what: cell $_cp_c listed" grep -q "\"cgroup\":\"$_cp_c\"" "$SCHED_LOG"
	done
	wait_stats 50 "$_cp_what: the CPUs partitioned among placed cells" stats_partition_ok
	_cp_root=$(cell_cpus "(root)")
	log "$_cp_what: cells $(stats_cells_summary) (unplaced: $(unplaced_cells))"
	log "$_cp_what: plan line: $(grep 'applied plan' "$SCHED_LOG" | tail -n 1)"
	[ "$(cpulist_count "$_cp_root")" -ge "$_cp_min" ] ||
		fail "$_cp_what: the root cell owns CPUs '$_cp_root', want >= $_cp_min (--cell0-min-cpus $_cp_min)"
	assert_cells_where 1000 "$@"
	_cp_base=$(utimes "$SPINNERS")
	wait_for 20 "$_cp_what: every hog to progress >= $PROGRESS_TICKS ticks" \
		all_progressed "$_cp_base" "$PROGRESS_TICKS"
	log "$_cp_what: utime before $_cp_base"
	log "$_cp_what: utime after  $(utimes "$SPINNERS")"
	assert_sched_healthy "$_cp_seq"
}

# hog CGPATH: a 50% duty-cycle CPU hog in CGPATH (full spinners on every vCPU make the shell
# helpers crawl under TCG and the case would not fit its timeout).
hog() {
	sh -c "echo \$\$ > $CGROUP_ROOT/$1/cgroup.procs && exec dutyspin 10 10" &
	SPINNERS="$SPINNERS $!"
}

hog "" # a task of the root cell itself
for c in a b c d e f; do
	cg_create "work/$c" >/dev/null
	cg_set_cpus "work/$c" 0-3
	hog "work/$c"
done
wait_for 5 "hogs in a b c d e f" cg_has_procs work/a work/b work/c work/d work/e work/f

# ---- A: --cell0-min-cpus 1 -------------------------------------------------------------------
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--debounce-ms 50 --cell0-min-cpus 1
check_phase "A (6 children, cpusets 0-3, min 1)" 1 a b c d e f
nun=$(unplaced_cells)
# shellcheck disable=SC2086
set -- $nun
log "A: $# unplaced cells: $nun"
[ $# -ge 3 ] || fail "A: only $# cells unplaced ($nun) with 6 children and 3 CPUs left after the root cell"
stop_sched

# ---- B: --cell0-min-cpus 2 -------------------------------------------------------------------
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--debounce-ms 50 --cell0-min-cpus 2
check_phase "B (6 children, cpusets 0-3, min 2)" 2 a b c d e f
nun=$(unplaced_cells)
# shellcheck disable=SC2086
set -- $nun
log "B: $# unplaced cells: $nun"
[ $# -ge 4 ] || fail "B: only $# cells unplaced ($nun) with 6 children and 2 CPUs left after the root cell"

kill_spinners
stop_sched
cg_remove work
echo ok
