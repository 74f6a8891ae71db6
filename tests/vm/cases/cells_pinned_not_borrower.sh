#!/bin/sh
# cells_pinned_not_borrower: a task that runs on another cell's CPU because its affinity allows
# nothing else is not a borrower (#13 item 5). Cells a, b, c own one CPU each; a spinner of cell a
# is pinned (taskset) to X, cell b's CPU, and cell b runs a task that sleeps 1 ms and wakes
# (wakeprobe). With --enable-borrowing, counting the pinned task as a borrower made every one of
# b's wake-ups preempt X ("reclaim") and kept b from borrowing the idle CPUs of a and c. Passes
# if reclaim preemptions stay under a tenth of b's wake-ups and most wake-ups borrow.
# shellcheck source=../lib.sh
. /tests/lib.sh

COUNT=600

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_create work/c >/dev/null
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --enable-borrowing
seq0=$(enable_seq)
wait_for 10 "a stats line listing cells a, b and c" stats_have_cells a b c
log "cells: $(stats_cells_summary)"
x=$(cell_cpus b)
[ "$(expand_cpulist "$x")" = "$x " ] || fail "cell b should own one CPU, has $x"
spawn_pinned_spinner work/a "$x"
p=$!
wait_for 30 "the pinned spinner to run on CPU $x" pids_ran_within 300 "$x" "$p"
out=$(sh -c "echo \$\$ > $CGROUP_ROOT/work/b/cgroup.procs && exec wakeprobe 1000 $COUNT" 2>&1) ||
	fail "wakeprobe failed: $out"
log "cell b wake-ups: $out"
assert_sched_healthy "$seq0"
kill_spinners
stop_sched
summary=$(sed -n 's/^scx_cells: summary: //p' "$SCHED_LOG" | tail -n 1)
log "summary: $summary"
kicks=$(echo "$summary" | sed -n 's/.* \([0-9]*\) reclaim preemptions.*/\1/p')
borrowed=$(echo "$summary" | sed -n 's/.* \([0-9]*\) borrowed.*/\1/p')
if [ -z "$kicks" ] || [ -z "$borrowed" ]; then fail "cannot read the summary: $summary"; fi
[ $((kicks * 10)) -lt "$COUNT" ] ||
	fail "$kicks reclaim preemptions for $COUNT wake-ups of cell b with nothing lent: the pinned task counts as a borrower"
[ $((borrowed * 2)) -ge "$COUNT" ] ||
	fail "only $borrowed borrowed placements for $COUNT wake-ups of cell b while a and c were idle"
cg_remove work
echo ok
