#!/bin/sh
# rel_hotplug: CPU hotplug while scx_cells runs with cells a and b (two spinners each).
#  - offline vCPU 3 (/sys/devices/system/cpu/cpu3/online): the daemon logs a restart and stays
#    alive, sched_ext is enabled again (enable_seq + 1), the new plan owns no offline CPU and
#    partitions the online ones, the cells are isolated again;
#  - online it again: another restart, and the plan covers all 4 CPUs again, isolation holds.
# Recovery times (hotplug write -> state enabled with a fresh plan) are printed.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

CPU=3
ONLINE=/sys/devices/system/cpu/cpu$CPU/online
[ -w "$ONLINE" ] || fail "$ONLINE is not writable: CPU $CPU cannot be hot-unplugged in this VM"
[ "$(cat "$ONLINE")" = 1 ] || fail "cpu$CPU is not online at the start"
# whatever happens, leave the CPU online for the cases after this one
# shellcheck disable=SC2034 # run by lib_rel.sh's exit trap
REL_ON_EXIT="echo 1 >$ONLINE 2>/dev/null"

for c in a b; do
	cg_create "work/$c" >/dev/null
	spawn_spinner "work/$c"
	spawn_spinner "work/$c"
done
wait_for 5 "spinners in a and b" cg_has_procs work/a work/b

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 50
wait_stats 50 "cells a b in the stats" stats_cells_are "1:a 2:b"
wait_stats 25 "all 4 CPUs in the plan" stats_all_cpus 0-3
log "before: $(stats_cells_summary)"

# hotplug_replan VALUE WHAT WANT_CPUS: write VALUE to cpu3/online, wait for the restart
# (cpu_online_restart), check the plan and record the recovery time.
hotplug_replan() {
	cpu_online_restart "$ONLINE" "$1" "$2"
	# the first stats line after the restart may predate the re-plan: wait for the plan itself
	wait_stats 50 "$2: the plan to own exactly CPUs $3" stats_all_cpus "$3"
	_t3=$(now_cs)
	log "$2: plan on $3 after $(fmt_cs $((_t3 - HOTPLUG_T0)))s"
	wait_stats 50 "$2: cells a b listed" stats_cells_are "1:a 2:b"
	log "$2: cells $(stats_cells_summary)"
	grep -qi 'restart' "$SCHED_LOG" || fail "$2: the daemon logged no restart"
	RECOVERY="$RECOVERY $2=$(fmt_cs $((_t3 - HOTPLUG_T0)))s"
}

RECOVERY=
hotplug_replan 0 "offline cpu$CPU" 0-2
stats_no_cpu "$CPU" || fail "a cell owns offline cpu $CPU: $(stats_no_cpu "$CPU")"
log "restart lines: $(grep -i 'restart' "$SCHED_LOG" | tr '\n' ' ')"
assert_cells_isolated 1500 a b
assert_cells_disjoint a b

hotplug_replan 1 "online cpu$CPU" 0-3
assert_cells_isolated 1500 a b
assert_cells_disjoint a b
pid_alive "$SCHED_PID" || fail "daemon died"
log "recovery times:$RECOVERY"
nre=$(grep -ci 'asked for a restart' "$SCHED_LOG")
log "daemon restarts logged: $nre"
kmsg_kernel_problems | grep -v 'sched_ext' && fail "kernel problems after hotplug (above)"
log "daemon log without stats lines:"
grep -v '^{"t":' "$SCHED_LOG" | sed 's/^/  | /'
kill_spinners
stop_sched
cg_remove work
echo ok
