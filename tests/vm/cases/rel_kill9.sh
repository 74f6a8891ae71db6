#!/bin/sh
# rel_kill9: the daemon is killed with SIGKILL while workloads run in cells.
#  - the kernel falls back to the default scheduler (sched_ext state `disabled`), measured;
#  - every workload process (spinners in cells a and b, plus a sleep/wake loop in a/w) is still
#    alive and still makes progress (utime grows) under the default scheduler;
#  - a restarted scx_cells takes over (state enabled again, enable_seq + 1), re-creates cells a
#    and b, isolation holds, and it stops cleanly (exit 0, state disabled).
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

ARGS="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 50"

for c in a b; do
	cg_create "work/$c" >/dev/null
	spawn_spinner "work/$c"
	spawn_spinner "work/$c"
done
# a task that sleeps and wakes all the time (wake-up path), in cell a but in a sub-cgroup
# (a/w, no controllers) so that the isolation sampling of a's spinners does not see its
# short-lived usleep children
mkdir "$CGROUP_ROOT/work/a/w" || fail "mkdir work/a/w"
sh -c "echo \$\$ > $CGROUP_ROOT/work/a/w/cgroup.procs && exec sh -c 'while :; do usleep 1000; i=0; while [ \$i -lt 300 ]; do i=\$((i + 1)); done; done'" &
sleeper=$!
SPINNERS="$SPINNERS $sleeper"
wait_for 5 "workloads in a, a/w and b" cg_has_procs work/a work/a/w work/b
# shellcheck disable=SC2086
set -- $SPINNERS
nwork=$#

# shellcheck disable=SC2086
start_sched $ARGS
seq0=$(enable_seq)
wait_stats 50 "cells a b in the stats" stats_cells_are "1:a 2:b"
assert_cells_isolated 1000 a b
assert_pids_within 1000 "$(cell_cpus a)" "sleep/wake loop in a/w" "$sleeper"
cp "$SCHED_LOG" "$CASE_DIR/first.log"

# ---- SIGKILL ---------------------------------------------------------------------------------
t0=$(now_cs)
kill -KILL "$SCHED_PID"
wait "$SCHED_PID"
rc=$?
log "daemon killed (wait status $rc)"
SCHED_PID=
wait_for 20 "sched_ext state 'disabled' after SIGKILL of the daemon" state_is disabled
log "fallback: state disabled $(fmt_cs $(($(now_cs) - t0)))s after SIGKILL"
log "kernel: $(dmesg | grep 'sched_ext' | tail -n 2 | tr '\n' ' ')"
proc_alive_all "$SPINNERS" || fail "workload processes lost after SIGKILL: $(proc_alive_all "$SPINNERS")"
base=$(utimes "$SPINNERS")
wait_for 20 "all $nwork workload processes to progress under the default scheduler" \
	all_progressed "$base" 10
log "utime before $base"
log "utime after  $(utimes "$SPINNERS")"
log "all $nwork workload processes alive and progressing after SIGKILL"

# ---- restart ---------------------------------------------------------------------------------
t1=$(now_cs)
# shellcheck disable=SC2086
start_sched $ARGS
[ "$(enable_seq)" -eq $((seq0 + 1)) ] || fail "enable_seq is $(enable_seq), want $((seq0 + 1)) after the restart"
wait_stats 50 "cells a b re-created in the stats" stats_cells_are "1:a 2:b"
log "restart: cells back $(fmt_cs $(($(now_cs) - t1)))s after starting the new daemon: $(stats_cells_summary)"
if ! grep -q 'Created cell 1 for cgroup .*/a (cgid=' "$SCHED_LOG" ||
	! grep -q 'Created cell 2 for cgroup .*/b (cgid=' "$SCHED_LOG"; then
	fail "the new daemon did not log the creation of cells a and b"
fi
proc_alive_all "$SPINNERS" || fail "workload processes lost after the restart: $(proc_alive_all "$SPINNERS")"
assert_cells_isolated 1500 a b
assert_cells_disjoint a b
assert_pids_within 1000 "$(cell_cpus a)" "sleep/wake loop in a/w" "$sleeper"
base=$(utimes "$SPINNERS")
wait_for 20 "all workload processes to progress under the restarted scheduler" \
	all_progressed "$base" 10
assert_sched_healthy "$(enable_seq)"
kill_spinners
stop_sched
cg_remove work
echo ok
