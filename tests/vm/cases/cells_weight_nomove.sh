#!/bin/sh
# cells_weight_nomove: a re-plan that moves no CPU publishes nothing (#13 item 10c). It used to
# republish with "0 CPUs moved", and every task of every cell re-resolved its cell.
# 4 vCPUs, cell a with cpuset.cpus=1, cell b without:
#  1. a's cpu.weight 100 -> 1000: a's target grows but its cpuset keeps it on CPU 1, and no
#     other cell's CPUs change (the planner's targets and reasons do): the daemon notices the
#     write ("weight 100 -> 1000" in its log), and over the next 10 stats lines the published
#     plan count ("plans" in the stats JSON) stays the same and so do all cells' CPUs;
#  2. b's cpu.weight 100 -> 10000: b gets 2 CPUs, and that plan is published (plans + 1).
# shellcheck source=../lib.sh
. /tests/lib.sh

[ "$NCPUS" -eq 4 ] || fail "the expected counts are for 4 vCPUs, have $NCPUS"
cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_set_cpus work/a 1
spawn_spinner work/a
spawn_spinner work/b
wait_for 5 "spinners in a and b" cg_has_procs work/a work/b

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 50
wait_stats 50 "cells a and b listed" stats_have_cells a b

# b_has N: cell b has N primary CPUs in the latest stats line.
b_has() {
	_n=$(cell_field b nr_cpus)
	[ "$_n" = "$1" ] && return 0
	echo "b has ${_n:-no} CPUs, want $1; cells: $(stats_cells_summary)"
	return 1
}

# settle: 5 more stats lines, so the start's plans are all in
n=$(stats_count)
wait_stats 10 "5 stats lines after start" lines_since "$n" 5
b_has 1 || fail "before: $(b_has 1)"
[ "$(cell_cpus a)" = 1 ] || fail "before: cell a on '$(cell_cpus a)', want 1"
p0=$(stats_plans)
cells0=$(stats_cells_summary)
log "before: plans $p0, cells $cells0"

echo 1000 >"$CGROUP_ROOT/work/a/cpu.weight" || fail "cannot write a's cpu.weight"
wait_for 30 "the daemon to notice a's weight 100 -> 1000" grep -q 'weight 100 -> 1000' "$SCHED_LOG"
n=$(stats_count)
wait_stats 20 "10 stats lines after the weight was noticed" lines_since "$n" 10
p1=$(stats_plans)
cells1=$(stats_cells_summary)
log "a weight 1000: plans $p0 -> $p1, cells $cells1"
log "daemon lines since: $(grep -v '^{"t":' "$SCHED_LOG" | grep -A3 'weight 100 -> 1000' | tr '\n' ' ')"
if [ "$p1" != "$p0" ]; then
	grep -v '^{"t":' "$SCHED_LOG" | sed 's/^/  | /'
	fail "a weight-only change that moves no CPU was published: plans $p0 -> $p1 (cells $cells0 -> $cells1)"
fi
[ "$cells1" = "$cells0" ] || fail "cells changed without a publication: $cells0 -> $cells1"

echo 10000 >"$CGROUP_ROOT/work/b/cpu.weight" || fail "cannot write b's cpu.weight"
wait_stats 20 "b to get 2 CPUs after its weight 100 -> 10000" b_has 2
p2=$(stats_plans)
log "b weight 10000: plans $p1 -> $p2, cells $(stats_cells_summary)"
[ "$p2" -gt "$p1" ] || fail "b's CPUs moved but plans stayed $p1 -> $p2"
assert_cells_disjoint a b
kill_spinners
stop_sched
cg_remove work
echo ok
