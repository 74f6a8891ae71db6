#!/bin/sh
# cells_pinned_fairness: tasks pinned (taskset) to a CPU of another cell get a fair share of it.
# Cell a has one spinner on its own CPU and two spinners pinned to X, a CPU of cell b, where
# cell b's two spinners run: four equal-weight tasks on X, so each should get about a quarter
# of it (the dispatcher serves X's per-CPU queue and cell b's queue "in vtime order"). Passes
# if each pinned task gets at least a third of what a cell b spinner gets on X over the same
# window; a cross-cell vtime comparison that favours one side shows up as a lower ratio.
# shellcheck source=../lib.sh
. /tests/lib.sh

WINDOW_TICKS=200 # measure until a cell b spinner got this much CPU (clock ticks)
MIN_PCT=33       # each pinned task's gain, in % of that cell b spinner's gain

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_create work/c >/dev/null
spawn_spinner work/a # runs on cell a's own CPU and drives cell a's vtime clock
spawn_spinner work/a
a_repin=$!
spawn_spinner work/b
b1=$!
spawn_spinner work/b
b2=$!
wait_for 5 "spinners in their cgroups" cg_has_procs work/a work/b

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a, b and c" stats_have_cells a b c
log "cells: $(stats_cells_summary)"
x=$(expand_cpulist "$(cell_cpus b)")
x=${x%% *}
! cpulist_subset "$x" "$(cell_cpus a)" || fail "CPU $x of cell b is also cell a's"
spawn_pinned_spinner work/a "$x"
pinned=$!
wait_for 5 "pinned spinner $pinned in work/a" grep -qx "$pinned" "$CGROUP_ROOT/work/a/cgroup.procs"
taskset -pc "$x" "$a_repin" >/dev/null || fail "taskset -pc $x $a_repin"
# Let the new affinities settle: both pinned tasks have run on X at least once.
wait_for 60 "pinned tasks to run on CPU $x" pids_ran_within 300 "$x" "$pinned" "$a_repin"

# measure_window: utime gains of the pinned tasks and of b1 until b1 gained WINDOW_TICKS.
measure_window() {
	_u0p=$(proc_utime "$pinned") _u0r=$(proc_utime "$a_repin")
	_u0b=$(proc_utime "$b1") _u0b2=$(proc_utime "$b2")
	wait_for 120 "cell b spinner $b1 to get $WINDOW_TICKS ticks" utime_grew "$b1" "$_u0b" "$WINDOW_TICKS"
	gp=$(($(proc_utime "$pinned") - _u0p)) gr=$(($(proc_utime "$a_repin") - _u0r))
	gb=$(($(proc_utime "$b1") - _u0b)) gb2=$(($(proc_utime "$b2") - _u0b2))
	log "on CPU $x: pinned a-task +$gp, re-pinned a-task +$gr, cell b spinners +$gb +$gb2 ticks"
}
measure_window
measure_window
assert_sched_healthy "$seq0"
for g in "$gp" "$gr"; do
	[ $((g * 100)) -ge $((gb * MIN_PCT)) ] ||
		fail "a cell a task pinned to CPU $x got $g ticks while a cell b spinner got $gb" \
			"(< $MIN_PCT%; fair is 100%): pinned tasks are starved on a foreign CPU"
done

kill_spinners
stop_sched
cg_remove work
echo ok
