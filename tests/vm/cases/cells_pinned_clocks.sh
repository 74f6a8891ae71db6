#!/bin/sh
# cells_pinned_clocks: a per-CPU queue holds tasks of different cells, whose vtime clocks are
# unrelated, so it must not order them by vtime (#13 item 2). A nice-19 spinner in the root cell
# drives the root cell's clock ahead ~100x faster than real time; then two spinners of cell a
# and one root-cell spinner are all pinned (taskset) to X, a CPU of cell c. Ordered by vtime,
# cell a's tasks (a young clock) always won and the root-cell task starved until the watchdog
# unloaded the scheduler. Passes if the root-cell task runs, gets a fair third of X (at least a
# quarter of what each cell a task gets) and the scheduler stays healthy.
# shellcheck source=../lib.sh
. /tests/lib.sh

NICE_TICKS=100 # CPU the nice-19 spinner must have had: 1 s of it = ~100 s of root clock
WINDOW_TICKS=100
MIN_PCT=25

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_create work/c >/dev/null
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_for 10 "a stats line listing cells a, b and c" stats_have_cells a b c
log "cells: $(stats_cells_summary)"
x=$(expand_cpulist "$(cell_cpus c)")
x=${x%% *}
r=$(cell_cpus '(root)')

# Push the root cell's clock far ahead of cell a's (which has run nothing yet).
sh -c 'while :; do :; done' &
nice_pid=$!
SPINNERS="$SPINNERS $nice_pid"
renice -n 19 -p "$nice_pid" >/dev/null || fail "renice -n 19 -p $nice_pid"
u0=$(proc_utime "$nice_pid")
wait_for 60 "the nice-19 root spinner to get $NICE_TICKS ticks" utime_grew "$nice_pid" "$u0" "$NICE_TICKS"
kill "$nice_pid"

spawn_pinned_spinner work/a "$x"
a1=$!
spawn_pinned_spinner work/a "$x"
a2=$!
taskset -c "$x" sh -c 'while :; do :; done' &
root_pinned=$!
SPINNERS="$SPINNERS $root_pinned"
log "pinned to CPU $x (cell c's; root has $r): cell a $a1 $a2, root $root_pinned"
ur=$(proc_utime "$root_pinned")
wait_for 20 "the root-cell task pinned to CPU $x to run" utime_grew "$root_pinned" "$ur" 10
assert_sched_healthy "$seq0"

ur=$(proc_utime "$root_pinned") ua=$(proc_utime "$a1") ua2=$(proc_utime "$a2")
wait_for 60 "cell a task $a1 to get $WINDOW_TICKS ticks" utime_grew "$a1" "$ua" "$WINDOW_TICKS"
gr=$(($(proc_utime "$root_pinned") - ur)) ga=$(($(proc_utime "$a1") - ua)) ga2=$(($(proc_utime "$a2") - ua2))
log "on CPU $x: root task +$gr, cell a tasks +$ga +$ga2 ticks"
[ $((gr * 100)) -ge $((ga * MIN_PCT)) ] ||
	fail "the root-cell task pinned to CPU $x got $gr ticks while a cell a task got $ga (< $MIN_PCT%)"
assert_sched_healthy "$seq0"

kill_spinners
stop_sched
cg_remove work
echo ok
