#!/bin/sh
# llc_cells: on a machine with two LLCs (make vm-test boots one with VM_SMP=4,sockets=2,cores=2
# for the llc_* cases), a cell spanning both LLCs has one queue per LLC; its CPUs serve their own
# LLC's queue and steal from the other, so five spinners on its three CPUs all run, on its CPUs
# only. Without stealing, tasks queued on one LLC would wait for that LLC's CPUs alone.
# shellcheck source=../lib.sh
. /tests/lib.sh

llcs=$(cat /sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list 2>/dev/null | sort -u | tr '\n' ' ')
log "LLCs (shared_cpu_list of index3): ${llcs:-none}"
# shellcheck disable=SC2086
set -- $llcs
[ $# -ge 2 ] || skip "needs 2 LLCs, this VM has $# (run it with VM_SMP=4,sockets=2,cores=2)"

# The planner packs cells by LLC, so to span both LLCs the cell gets a cpuset across them.
cg_create work/wide >/dev/null
cg_set_cpus work/wide 1-3
for _ in 1 2 3 4 5; do spawn_spinner work/wide; done
start_sched --cell-parent-cgroup /work --cell0-min-cpus 1 --monitor-interval-s 0.2 --stats-format json
wait_stats 50 "cell wide with CPUs" stats_have_cells wide
wide=$(cell_cpus wide)
log "cell wide owns CPUs $wide"
n=0
for l in $llcs; do cpulists_intersect "$wide" "$l" && n=$((n + 1)); done
[ "$n" -ge 2 ] || fail "cell wide ($wide) does not span both LLCs ($llcs)"
# Every spinner gets CPU time (tasks queued on either LLC's queue are served), on the cell's CPUs.
for p in $(cg_procs work/wide); do
	eval "base_$p=\$(proc_utime $p)"
done
assert_cells_isolated 2000 wide
for p in $(cg_procs work/wide); do
	b=$(eval "echo \"\$base_$p\"")
	wait_for 10 "spinner $p to get CPU time" utime_grew "$p" "$b" 5
done
kill_spinners
stop_sched
cg_remove work
echo ok
