#!/bin/sh
# cells_cpusets: cells respect their cgroups' cpusets and follow runtime changes to them.
#  - work/a has cpuset.cpus 1 and work/b 2-3 before the scheduler starts: each cell's CPUs are
#    exactly its cpuset (CPUs claimed by one cell's cpuset go to it) and its spinners stay there;
#  - the two cpusets are swapped at runtime: the daemon notices (BPF fentry on the cpuset write,
#    "Cpuset changed for cell" + a new "applied plan" in its log), within a bounded time each cell owns
#    exactly its new cpuset, and its spinners run only there.
# shellcheck source=../lib.sh
. /tests/lib.sh

# cpuset writes -> both cells re-planned in a stats line: within 10 of the daemon's 0.2 s stats
# intervals (2 s at full speed: heartbeat 0.1 s + debounce 0.1 s + the next stats line,
# emulated), within 50 intervals (10 s at full speed) as seen by this shell (its polling under
# TCG adds seconds). Counted in the daemon's stats lines, not seconds, so a loaded host that
# slows the whole guest down does not fail them; the times in seconds are logged.
MAX_DAEMON_LINES=10
MAX_SHELL_LINES=50
[ "$NCPUS" -ge 4 ] || fail "needs at least 4 CPUs, have $NCPUS"

# cells_cpus_are NAME CPUS...: the latest stats line gives each cell exactly these CPUs.
cells_cpus_are() {
	while [ $# -ge 2 ]; do
		[ "$(cell_cpus "$1")" = "$2" ] || {
			echo "cell $1 has '$(cell_cpus "$1")', want $2; cells: $(stats_cells_summary)"
			return 1
		}
		shift 2
	done
}

# effective_is CGPATH CPUS: the kernel applied the cpuset.
effective_is() {
	_eff=$(cat "$CGROUP_ROOT/$1/cpuset.cpus.effective")
	[ "$_eff" = "$2" ] || { echo "$1 cpuset.cpus.effective=$_eff, want $2"; return 1; }
}

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_set_cpus work/a 1
cg_set_cpus work/b 2-3
effective_is work/a 1 || fail "$(effective_is work/a 1)"
effective_is work/b 2-3 || fail "$(effective_is work/b 2-3)"
spawn_spinner work/a
spawn_spinner work/a
spawn_spinner work/b
spawn_spinner work/b
wait_for 5 "spinners in work/a and work/b" cg_has_procs work/a work/b

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
log "cells: $(stats_cells_summary)"
if ! why=$(cells_cpus_are a 1 b 2-3); then
	print_sched_log
	fail "cells do not own exactly their cpusets: $why"
fi
wait_stats 25 "CPUs partitioned" stats_partition_ok
assert_cells_isolated 1500 a b

# ---- swap the cpusets at runtime -------------------------------------------------------------
# Sibling cpusets may overlap in cgroup v2 (no partitions here), so a=2-3 while b is still 2-3
# is accepted; the daemon may briefly plan for that overlap.
plans0=$(grep -c 'applied plan' "$SCHED_LOG")
changed0=$(grep -c 'Cpuset changed for cell' "$SCHED_LOG")
n0=$(stats_count)
t0=$(now_cs)
cg_set_cpus work/a 2-3
cg_set_cpus work/b 1
effective_is work/a 2-3 || fail "$(effective_is work/a 2-3)"
effective_is work/b 1 || fail "$(effective_is work/b 1)"
wait_stats 50 "cells a and b to own their swapped cpusets" cells_cpus_are a 2-3 b 1
lat=$(($(now_cs) - t0))
shell_lines=$(($(stats_count) - n0))
prev_ms=$(stats_t_ms $((n0 - 1)) '')
with_ms=$(stats_t_ms "$n0" '"cgroup":"a","cpus":"2-3".*"cgroup":"b","cpus":"1"')
dlat=$((with_ms - prev_ms))
daemon_lines=$(stats_lines_until "$n0" '"cgroup":"a","cpus":"2-3".*"cgroup":"b","cpus":"1"')
log "cpuset swap -> cells a=2-3 b=1 in stats line $daemon_lines after the writes" \
	"(<= $dlat ms on the daemon's clock); seen by this shell after $shell_lines lines," \
	"$(fmt_cs "$lat")s"
log "cells: $(stats_cells_summary)"
plans1=$(grep -c 'applied plan' "$SCHED_LOG")
changed1=$(grep -c 'Cpuset changed for cell' "$SCHED_LOG")
grep 'Cpuset change\|applied plan' "$SCHED_LOG" | tail -n 4 | while read -r l; do log "daemon: $l"; done
[ "$plans1" -gt "$plans0" ] || fail "no new 'applied plan' line after the cpuset swap"
[ "$changed1" -gt "$changed0" ] || fail "no 'Cpuset changed for cell' line after the cpuset swap"
[ "$daemon_lines" -le "$MAX_DAEMON_LINES" ] ||
	fail "cells followed the swap in stats line $daemon_lines after the writes ($dlat ms on the daemon's clock), want <= $MAX_DAEMON_LINES"
[ "$shell_lines" -le "$MAX_SHELL_LINES" ] ||
	fail "cells followed the swap $shell_lines stats lines ($(fmt_cs "$lat")s) after the writes as seen by the shell, want <= $MAX_SHELL_LINES"
wait_stats 25 "CPUs partitioned after the swap" stats_partition_ok

t0=$(now_cs)
# shellcheck disable=SC2046
wait_for 30 "cell a's spinners on its new CPUs 2-3" pids_ran_within 300 2-3 $(cg_procs work/a)
log "cell a's spinners seen only on 2-3 $(fmt_cs $(($(now_cs) - t0)))s after the cells moved"
# shellcheck disable=SC2046
wait_for 30 "cell b's spinners on its new CPU 1" pids_ran_within 300 1 $(cg_procs work/b)
log "cell b's spinners seen only on 1 $(fmt_cs $(($(now_cs) - t0)))s after the cells moved"
assert_cells_isolated 1500 a b
assert_sched_healthy "$seq0"

kill_spinners
stop_sched
cg_remove work
echo ok
