#!/bin/sh
# cells_taskset: tasks whose affinity excludes their own cell's CPUs still run, and nothing
# stalls.
#  - a spinner of cell a started with `taskset -c X`, X one of cell b's CPUs, accumulates CPU
#    time (utime in /proc/PID/stat grows) and is seen running on X only;
#  - a running spinner of cell a re-pinned with `taskset -pc X` moves to X and keeps running;
#  - cell b's spinners, which share X with them, keep making progress, cell a's unpinned spinner
#    stays on a's CPUs, the scheduler stays enabled and the kernel log has no sched_ext error.
# shellcheck source=../lib.sh
. /tests/lib.sh

# Clock ticks (1/100 s) of CPU each task must get within WAIT_S: "it runs", not "it gets its
# share" (cells_pinned_fairness checks shares); bounded generously for a loaded host.
MIN_TICKS=10
WAIT_S=60

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_create work/c >/dev/null
spawn_spinner work/a
a_free=$!
spawn_spinner work/a
a_repin=$!
spawn_spinner work/b
b1=$!
spawn_spinner work/b
b2=$!
spawn_spinner work/c
wait_for 5 "spinners in their cgroups" cg_has_procs work/a work/b work/c

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a, b and c" stats_have_cells a b c
log "cells: $(stats_cells_summary)"
a_cpus=$(cell_cpus a)
b_cpus=$(cell_cpus b)
x=$(expand_cpulist "$b_cpus")
x=${x%% *}
! cpulist_subset "$x" "$a_cpus" || fail "CPU $x of cell b ($b_cpus) is also cell a's ($a_cpus)"
log "pinning cell a tasks to CPU $x (cell b's; cell a has $a_cpus)"

spawn_pinned_spinner work/a "$x"
pinned=$!
wait_for 5 "pinned spinner $pinned in work/a" grep -qx "$pinned" "$CGROUP_ROOT/work/a/cgroup.procs"
taskset -pc "$x" "$a_repin" >/dev/null || fail "taskset -pc $x $a_repin"
grep Cpus_allowed_list "/proc/$pinned/status" "/proc/$a_repin/status" | while read -r l; do log "$l"; done

# ---- everybody makes progress ----------------------------------------------------------------
u_pinned=$(proc_utime "$pinned")
u_repin=$(proc_utime "$a_repin")
u_b1=$(proc_utime "$b1")
u_b2=$(proc_utime "$b2")
u_free=$(proc_utime "$a_free")
t0=$(now_cs)
wait_for "$WAIT_S" "pinned spinner $pinned to get $MIN_TICKS ticks of CPU" utime_grew "$pinned" "$u_pinned" "$MIN_TICKS"
wait_for "$WAIT_S" "re-pinned spinner $a_repin to get $MIN_TICKS ticks of CPU" utime_grew "$a_repin" "$u_repin" "$MIN_TICKS"
wait_for "$WAIT_S" "cell b spinner $b1 to get $MIN_TICKS ticks of CPU" utime_grew "$b1" "$u_b1" "$MIN_TICKS"
wait_for "$WAIT_S" "cell b spinner $b2 to get $MIN_TICKS ticks of CPU" utime_grew "$b2" "$u_b2" "$MIN_TICKS"
wait_for "$WAIT_S" "cell a spinner $a_free to get $MIN_TICKS ticks of CPU" utime_grew "$a_free" "$u_free" "$MIN_TICKS"
log "CPU ticks over $(fmt_cs $(($(now_cs) - t0)))s: pinned +$(($(proc_utime "$pinned") - u_pinned))," \
	"re-pinned +$(($(proc_utime "$a_repin") - u_repin)), b +$(($(proc_utime "$b1") - u_b1))" \
	"+$(($(proc_utime "$b2") - u_b2)), a +$(($(proc_utime "$a_free") - u_free))"

assert_pids_within 1500 "$x" "cell a tasks pinned to CPU $x" "$pinned" "$a_repin"
assert_pids_within 1000 "$a_cpus" "cell a's unpinned spinner (cpus $a_cpus)" "$a_free"
assert_pids_within 1000 "$b_cpus" "cell b's spinners (cpus $b_cpus)" "$b1" "$b2"
assert_cells_isolated 1000 c
assert_sched_healthy "$seq0"

kill_spinners
stop_sched
cg_remove work
echo ok
