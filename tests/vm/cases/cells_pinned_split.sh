#!/bin/sh
# cells_pinned_split: a CPU shared by its per-CPU queue (tasks pinned there from other cells) and
# its cell's queue splits its time by the number of tasks on each side, not half and half
# (#13 item 6). Cell b owns one CPU X and runs 3 spinners; one spinner of cell a is pinned to X.
# Four equal tasks on X: each should get about a quarter. Taking turns gave the pinned task half
# of X and each of b's a sixth, so one pinned thread per foreign CPU took half of each. Passes if
# the pinned task's gain is within [1/2, 3/2] of the mean gain of b's spinners over the same
# window, and nothing starves (the scheduler stays healthy).
# shellcheck source=../lib.sh
. /tests/lib.sh

WINDOW_TICKS=150 # measure until the pinned task and b's spinners together gained 4x this much
LO_PCT=50
HI_PCT=150

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_create work/c >/dev/null
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_for 10 "a stats line listing cells a, b and c" stats_have_cells a b c
log "cells: $(stats_cells_summary)"
x=$(cell_cpus b)
[ "$(expand_cpulist "$x")" = "$x " ] || fail "cell b should own one CPU, has $x"
spawn_spinner work/b
b1=$!
spawn_spinner work/b
b2=$!
spawn_spinner work/b
b3=$!
spawn_pinned_spinner work/a "$x"
p=$!
wait_for 5 "spinners in their cgroups" cg_has_procs work/a work/b
wait_for 30 "all four to run on CPU $x" pids_ran_within 500 "$x" "$p" "$b1" "$b2" "$b3"

# total_gain: ticks gained by the four since the snapshot.
total_gain() {
	_g=$(($(proc_utime "$p") - up + $(proc_utime "$b1") - u1 + $(proc_utime "$b2") - u2 + $(proc_utime "$b3") - u3))
	[ "$_g" -ge $((4 * WINDOW_TICKS)) ] && return 0
	echo "gained $_g ticks together, want $((4 * WINDOW_TICKS))"
	return 1
}
up=$(proc_utime "$p") u1=$(proc_utime "$b1") u2=$(proc_utime "$b2") u3=$(proc_utime "$b3")
wait_for 90 "the four tasks on CPU $x to gain $((4 * WINDOW_TICKS)) ticks" total_gain
gp=$(($(proc_utime "$p") - up))
g1=$(($(proc_utime "$b1") - u1)) g2=$(($(proc_utime "$b2") - u2)) g3=$(($(proc_utime "$b3") - u3))
mean=$(((g1 + g2 + g3) / 3))
log "on CPU $x: pinned cell a task +$gp, cell b spinners +$g1 +$g2 +$g3 (mean $mean) ticks"
assert_sched_healthy "$seq0"
[ $((gp * 100)) -ge $((mean * LO_PCT)) ] ||
	fail "the pinned task got $gp ticks, under $LO_PCT% of a cell b spinner's mean $mean"
[ $((gp * 100)) -le $((mean * HI_PCT)) ] ||
	fail "the pinned task got $gp ticks, over $HI_PCT% of a cell b spinner's mean $mean: pinned tasks take more than their share"
for g in "$g1" "$g2" "$g3"; do
	[ "$g" -gt 0 ] || fail "a cell b spinner got no CPU: $g1 $g2 $g3"
done

kill_spinners
stop_sched
cg_remove work
echo ok
