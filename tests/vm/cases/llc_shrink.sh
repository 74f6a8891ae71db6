#!/bin/sh
# llc_shrink: tasks left in per-LLC queues after a cell shrinks (#13 checklist, scx_mitosis's
# user report). Needs two LLCs (make vm-test boots VM_SMP=4,sockets=2,cores=2 for llc_*). Cell
# wide gets cpuset.cpus 1-3, so it spans LLC0 (cpu 1) and LLC1 (cpus 2-3) and has a queue on
# each; it runs seven spinners: three with no affinity, one bound to 2-3 and one to 3 (CPUs that
# remain), two bound to cpu 1 (the CPU that goes; with two of them one always waits in LLC0's
# queue, mostly). Then the cell shrinks to LLC1 only, twice:
#  A. a cpuset write: cpuset.cpus 1-3 -> 2-3;
#  B. (back to 1-3 first) another cell appearing: work/other with cpuset.cpus=1 takes cpu 1.
# Passes if after each shrink every spinner gains CPU time (utime from /proc/PID/stat) within a
# deadline of stats intervals, the unbound ones run only on wide's new CPUs, the stats counter
# reenq (queued tasks re-examined after a publication) grows (reenq_affn, moved because their
# affinity no longer fits, is logged: it grew by 1 per shrink in one run, by 0 in another), the
# scheduler never exits or restarts, and it unloads cleanly.
# How it fails: a task left on LLC0's queue that no CPU of the cell serves any more never runs
# again (no utime; sched_ext's watchdog ejects the scheduler after 30 s); counters that stay
# put mean the publication did not re-examine the queues.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

MIN_TICKS=5 # "it runs": 50 ms of CPU

llcs=$(cat /sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list 2>/dev/null | sort -u | tr '\n' ' ')
log "LLCs (shared_cpu_list of index3): ${llcs:-none}"
[ "$llcs" = "0-1 2-3 " ] || skip "needs LLCs 0-1 and 2-3 (VM_SMP=4,sockets=2,cores=2), have '${llcs:-none}'"

# counter NAME: a counter of the latest stats line's "counters" object (parsed by vmcheck).
counter() {
	stats_top "counters.$1"
}

# shrink_check WHAT: after a shrink of wide to 2-3: every spinner progresses, the unbound ones
# run on 2-3 only, reenq and reenq_affn grew since R0/A0.
shrink_check() {
	wait_stats 50 "$1: wide to own 2-3 (LLC1 only)" cell_owns wide 2-3
	log "$1: cells $(stats_cells_summary)"
	_base=$(utimes "$ALL")
	wait_stats 50 "$1: every spinner to gain $MIN_TICKS ticks" all_progressed "$_base" "$MIN_TICKS"
	log "$1: utime before $_base"
	log "$1: utime after  $(utimes "$ALL")"
	# shellcheck disable=SC2086 # one word per pid
	assert_pids_within 1500 2-3 "$1: unbound spinner" $FREE
	wait_stats 10 "$1: a stats line with the counters" stats_newer_than "$(stats_count)"
	_r=$(counter reenq) _a=$(counter reenq_affn)
	log "$1: reenq $R0 -> $_r, reenq_affn $A0 -> $_a"
	[ "$_r" -gt "$R0" ] || fail "$1: reenq stayed at $_r: no queued task was re-examined after the shrink"
	# reenq_affn counts only re-examined tasks that were waiting at the publication and no longer
	# fit: whether a cpu-1-bound spinner was waiting then is luck (run 2 of the first version: +0).
	[ "$_a" -gt "$A0" ] || log "$1: note: no re-examined task was moved for affinity this time"
	assert_sched_healthy "$seq0"
}

# spin CPULIST: a spinner in work/wide, bound to CPULIST unless it is "-"; prints its pid.
spin() {
	if [ "$1" = - ]; then spawn_spinner work/wide; else spawn_pinned_spinner work/wide "$1"; fi
}

cg_create work/wide >/dev/null
cg_set_cpus work/wide 1-3
FREE='' BOUND=''
for _ in 1 2 3; do spin -; FREE="$FREE $!"; done
for l in 2-3 3 1 1; do spin "$l"; BOUND="$BOUND $!"; done
ALL="$FREE $BOUND"
wait_for 5 "seven spinners in work/wide" sh -c "[ \$(wc -l <$CGROUP_ROOT/work/wide/cgroup.procs) -ge 7 ]"
start_sched --cell-parent-cgroup /work --cell0-min-cpus 1 --monitor-interval-s 0.2 \
	--stats-format json --debounce-ms 50
seq0=$(enable_seq)
wait_stats 50 "cell wide to own 1-3 (both LLCs)" cell_owns wide 1-3
base=$(utimes "$ALL")
wait_stats 50 "every spinner to run before the shrink" all_progressed "$base" "$MIN_TICKS"
log "before: cells $(stats_cells_summary)"

# ---- A: cpuset write ------------------------------------------------------------------------
R0=$(counter reenq) A0=$(counter reenq_affn)
cg_set_cpus work/wide 2-3
shrink_check "A (cpuset 1-3 -> 2-3)"

# ---- B: another cell appears on cpu 1 -------------------------------------------------------
cg_set_cpus work/wide 1-3
wait_stats 50 "wide to own 1-3 again" cell_owns wide 1-3
base=$(utimes "$ALL")
wait_stats 50 "every spinner to run before B" all_progressed "$base" "$MIN_TICKS"
R0=$(counter reenq) A0=$(counter reenq_affn)
cg_create work/other >/dev/null
cg_set_cpus work/other 1
shrink_check "B (cell other with cpuset 1)"
log "B: other owns $(cell_cpus other)"

kill_spinners
stop_sched
log "daemon: $(summary_line)"
cg_remove work
echo ok
