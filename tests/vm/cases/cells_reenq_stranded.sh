#!/bin/sh
# cells_reenq_stranded: tasks waiting in a cell's queue when a publication gives the only CPUs
# their affinity allows to another cell are re-examined and keep running (#13 item 1).
#  A. four spinners of cell a bound (taskset) to a's two CPUs; then a new cell b gets
#     cpuset.cpus = those CPUs, so a moves elsewhere while two of its spinners are queued;
#  B. three root-cell spinners bound to the root cell's only CPU R; then cell a gets
#     cpuset.cpus = R, so the root cell moves while two of them are queued.
# Before the fix the queued ones were never looked at again (the new owner skips the old cell's
# queue, the old cell's new CPUs may not run them) and the watchdog unloaded the scheduler.
# Passes if every bound spinner gains CPU time after each change, the scheduler stays healthy and
# the exit summary counts re-examined tasks and tasks moved for affinity.
# shellcheck source=../lib.sh
. /tests/lib.sh

MIN_TICKS=10 # "it runs": 0.1 s of CPU
WAIT_S=20    # well below the 30 s watchdog, far above what a spinner needs at 1/2 CPU

# all_gain BASEFILE: every "PID UTIME" line of BASEFILE gained MIN_TICKS.
all_gain() {
	while read -r _p _u; do
		utime_grew "$_p" "$_u" "$MIN_TICKS" || return 1
	done <"$1"
}

# nprocs_ge CGPATH N: the cgroup holds at least N processes.
nprocs_ge() {
	[ "$(wc -l <"$CGROUP_ROOT/$1/cgroup.procs")" -ge "$2" ]
}

# snapshot FILE PID...: write "PID UTIME" lines.
snapshot() {
	_f=$1
	shift
	for _p in "$@"; do echo "$_p $(proc_utime "$_p")"; done >"$_f"
}

cg_create work/a >/dev/null
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_for 10 "a stats line listing cell a" stats_have_cells a
a_cpus=$(cell_cpus a)
log "cells: $(stats_cells_summary)"

# ---- A: cell a's bound tasks, a's CPUs taken by a new cell's cpuset -------------------------
A_PIDS=
for _i in 1 2 3 4; do
	spawn_pinned_spinner work/a "$a_cpus"
	A_PIDS="$A_PIDS $!"
done
wait_for 5 "bound spinners in work/a" nprocs_ge work/a 4
# shellcheck disable=SC2086
snapshot "$CASE_DIR/a0" $A_PIDS
wait_for 30 "cell a's bound spinners to run before the change" all_gain "$CASE_DIR/a0"

cg_create work/b >/dev/null
cg_set_cpus work/b "$a_cpus"
wait_for 10 "cell b to own $a_cpus" cell_owns b "$a_cpus"
log "after b got cpuset.cpus=$a_cpus: $(stats_cells_summary)"
# shellcheck disable=SC2086
snapshot "$CASE_DIR/a1" $A_PIDS
wait_for "$WAIT_S" "every bound spinner of cell a to run after its CPUs moved" all_gain "$CASE_DIR/a1"
assert_sched_healthy "$seq0"
kill_spinners

# ---- B: root-cell tasks bound to the root cell's only CPU, taken by a cpuset ----------------
r_cpus=$(cell_cpus '(root)')
if [ -z "$r_cpus" ] || [ "$(expand_cpulist "$r_cpus")" != "$r_cpus " ]; then
	fail "the root cell should own one CPU now, has '$r_cpus': $(stats_cells_summary)"
fi
R_PIDS=
for _i in 1 2 3; do
	taskset -c "$r_cpus" sh -c 'while :; do :; done' &
	SPINNERS="$SPINNERS $!"
	R_PIDS="$R_PIDS $!"
done
# shellcheck disable=SC2086
snapshot "$CASE_DIR/r0" $R_PIDS
wait_for 30 "root-cell bound spinners to run before the change" all_gain "$CASE_DIR/r0"
cg_set_cpus work/a "$r_cpus"
wait_for 10 "cell a to own $r_cpus" cell_owns a "$r_cpus"
log "after a got cpuset.cpus=$r_cpus: $(stats_cells_summary)"
# shellcheck disable=SC2086
snapshot "$CASE_DIR/r1" $R_PIDS
wait_for "$WAIT_S" "every root-cell spinner bound to CPU $r_cpus to run after it moved" \
	all_gain "$CASE_DIR/r1"
assert_sched_healthy "$seq0"
kill_spinners

stop_sched
summary=$(sed -n 's/^scx_cells: summary: //p' "$SCHED_LOG" | tail -n 1)
log "summary: $summary"
reenq=$(echo "$summary" | sed -n 's/.* \([0-9]*\) queued tasks re-examined.*/\1/p')
affn=$(echo "$summary" | sed -n 's/.* \([0-9]*\) of them moved for affinity.*/\1/p')
[ "${reenq:-0}" -gt 0 ] || fail "no queued task was re-examined after the publications: $summary"
[ "${affn:-0}" -gt 0 ] || fail "no re-examined task was moved for its affinity: $summary"
cg_remove work
echo ok
