#!/bin/sh
# rel_hotplug_cpusets: the hotplug restart re-reads the cells' cpusets (#13 item 7). CPU hotplug
# changes cpuset.cpus.effective without a cpuset write, so only a re-read after the restart sees
# it. 4 vCPUs; cell a has cpuset.cpus=2-3 and cpu.weight 1000 (it wants both), cell b none.
#  1. CPU 3 is offline when the daemon starts: a's effective cpuset is 2, a is planned on 2;
#  2. online CPU 3: the kernel unloads, the daemon restarts the scheduler, and a must be planned
#     on 2-3 again (the daemon used to keep the cpuset it read while CPU 3 was offline, and a
#     stayed on CPU 2 with CPU 3 in the root cell's or b's hands);
#  3. offline CPU 3 again: a on 2 only; 4. online: a on 2-3. Isolation holds after each step.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

CPU=3
ONLINE=/sys/devices/system/cpu/cpu$CPU/online
[ "$NCPUS" -eq 4 ] || fail "the expected plans are for 4 vCPUs, have $NCPUS"
[ -w "$ONLINE" ] || fail "$ONLINE is not writable: CPU $CPU cannot be hot-unplugged in this VM"
[ "$(cat "$ONLINE")" = 1 ] || fail "cpu$CPU is not online at the start"
# whatever happens, leave the CPU online for the cases after this one
# shellcheck disable=SC2034 # run by lib_rel.sh's exit trap
REL_ON_EXIT="echo 1 >$ONLINE 2>/dev/null"

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_set_cpus work/a 2-3
echo 1000 >"$CGROUP_ROOT/work/a/cpu.weight" || fail "cannot set a's cpu.weight"
for c in a b; do
	spawn_spinner "work/$c"
	spawn_spinner "work/$c"
done
wait_for 5 "spinners in a and b" cg_has_procs work/a work/b

# a_on LIST: cell a owns exactly LIST in the latest stats line, and the cells partition the
# online CPUs.
a_on() {
	_c=$(cell_cpus a)
	[ "$_c" = "$1" ] || { echo "cell a on '${_c:-<none>}', want $1; cells: $(stats_cells_summary)"; return 1; }
	stats_all_cpus "$(online_cpus)"
}

# hotplug_a_on VALUE WHAT A_CPUS: write VALUE to cpu3/online, wait for the restart
# (cpu_online_restart), then for a on A_CPUS; the cells must be isolated.
hotplug_a_on() {
	cpu_online_restart "$ONLINE" "$1" "$2"
	log "$2: a's cpuset.cpus.effective $(cat "$CGROUP_ROOT/work/a/cpuset.cpus.effective")"
	wait_stats 50 "$2: cell a planned on $3" a_on "$3"
	log "$2: cells $(stats_cells_summary)"
	assert_cells_isolated 1000 a b
}

echo 0 >"$ONLINE" || fail "cannot offline cpu$CPU"
wait_for 10 "cpu$CPU offline" sh -c "[ \"\$(cat $ONLINE)\" = 0 ]"
log "before start: online $(online_cpus), a's cpuset.cpus $(cat "$CGROUP_ROOT/work/a/cpuset.cpus"), effective $(cat "$CGROUP_ROOT/work/a/cpuset.cpus.effective")"
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 50
wait_stats 50 "cells a b in the stats" stats_cells_are "1:a 2:b"
wait_stats 25 "started with CPU $CPU offline: cell a on 2" a_on 2
log "start (cpu$CPU offline): cells $(stats_cells_summary)"

hotplug_a_on 1 "online cpu$CPU" 2-3
hotplug_a_on 0 "offline cpu$CPU" 2
stats_no_cpu "$CPU" || fail "a cell owns offline cpu $CPU: $(stats_no_cpu "$CPU")"
hotplug_a_on 1 "online cpu$CPU again" 2-3
pid_alive "$SCHED_PID" || fail "daemon died"
log "rescans logged: $(grep -c 'rescanned after CPU hotplug' "$SCHED_LOG"); $(grep 'rescanned after CPU hotplug' "$SCHED_LOG" | tail -n 1)"
kmsg_kernel_problems | grep -v 'sched_ext' && fail "kernel problems after hotplug (above)"
kill_spinners
stop_sched
cg_remove work
echo ok
