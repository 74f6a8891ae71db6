#!/bin/sh
# rel_slots: more children than cell slots. With --max-cells 3 (root + 2) and children a b c
# (d added while running):
#  - a and b become cells 1 and 2 (name order), c and then d wait: a warning names them,
#    "waiting" is 1 and then 2 in the stats, the scheduler keeps running (no exit, no restart);
#  - the waiting children's spinners run in the root cell (on its CPUs) and make progress;
#  - rmdir a (tasks moved out first) -> the first waiting child (c) takes the freed slot, id 1
#    (lowest free), "waiting" drops to 1; rmdir b -> d gets id 2, "waiting" 0;
#  - isolation holds between the cells in the end.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

for c in a b c d; do
	cg_create "work/$c" >/dev/null
done
rmdir "$CGROUP_ROOT/work/d" || fail "rmdir work/d"
for c in a b c; do
	spawn_spinner "work/$c"
done
wait_for 5 "spinners in a b c" cg_has_procs work/a work/b work/c

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--debounce-ms 50 --max-cells 3
seq0=$(enable_seq)
wait_stats 50 "cells a and b (ids 1, 2) in the stats" stats_cells_are "1:a 2:b"
wait_stats 25 "\"waiting\":1 (c)" stats_field_is waiting 1
grep -q 'warning: .*stay.* in the root cell.*(c)' "$SCHED_LOG" || {
	print_sched_log
	fail "no warning naming the waiting child c"
}
log "at start: $(stats_cells_summary) waiting=$(stats_field waiting)"
log "warning: $(grep 'warning: ' "$SCHED_LOG" | tail -n 1)"

# ---- a fourth child while running: it waits too -----------------------------------------------
mkdir "$CGROUP_ROOT/work/d" || fail "mkdir work/d"
spawn_spinner work/d
wait_for 5 "spinner in d" cg_has_procs work/d
wait_stats 50 "\"waiting\":2 (c, d)" stats_field_is waiting 2
wait_for 5 "a warning naming c and d" grep -q 'warning: 2 child cgroups .*(c, d)' "$SCHED_LOG"
log "after mkdir d: $(stats_cells_summary) waiting=$(stats_field waiting)"
log "warning: $(grep 'warning: ' "$SCHED_LOG" | tail -n 1)"
stats_cells_are "1:a 2:b" >/dev/null || fail "cells changed when d arrived: $(stats_cell_names)"
assert_sched_healthy "$seq0"

# Waiting children run in the root cell and make progress.
root_cpus=$(cell_cpus "(root)")
wait_pids="$(cg_procs work/c)$(cg_procs work/d)"
base=$(utimes "$wait_pids")
# shellcheck disable=SC2086
assert_pids_within 1500 "$root_cpus" "waiting children c, d (root cell cpus $root_cpus)" $wait_pids
wait_for 10 "waiting children's spinners to progress (>= 20 ticks)" all_progressed "$base" 20
assert_cells_isolated 1000 a b

# ---- a slot frees up: the first waiting child takes it, with the freed id ---------------------
a_pids=$(cg_procs work/a)
for p in $a_pids; do echo "$p" >"$CGROUP_ROOT/cgroup.procs" || fail "move $p out of a"; done
rmdir "$CGROUP_ROOT/work/a" || fail "rmdir work/a"
t0=$(now_cs)
wait_stats 50 "c to take the freed slot as cell 1" stats_cells_are "1:c 2:b"
log "rmdir a -> c became cell 1 after $(fmt_cs $(($(now_cs) - t0)))s: $(stats_cells_summary)"
wait_stats 25 "\"waiting\":1 (d)" stats_field_is waiting 1
grep -q 'Created cell 1 for cgroup .*/c (cgid=' "$SCHED_LOG" || fail "no 'Created cell 1 for cgroup .../c' line"

b_pids=$(cg_procs work/b)
for p in $b_pids; do echo "$p" >"$CGROUP_ROOT/cgroup.procs" || fail "move $p out of b"; done
rmdir "$CGROUP_ROOT/work/b" || fail "rmdir work/b"
wait_stats 50 "d to take the freed slot as cell 2" stats_cells_are "1:c 2:d"
wait_stats 25 "\"waiting\":0" stats_field_is waiting 0
log "rmdir b -> $(stats_cells_summary) waiting=$(stats_field waiting)"
wait_stats 25 "CPUs partitioned" stats_partition_ok
assert_cells_isolated 1500 c d
assert_cells_disjoint c d
assert_sched_healthy "$seq0"

kill_spinners
# shellcheck disable=SC2086
kill $a_pids $b_pids 2>/dev/null
stop_sched
cg_remove work
echo ok
