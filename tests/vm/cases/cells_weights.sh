#!/bin/sh
# cells_weights: a cell's share follows its cgroup's cpu.weight and its cpu.max caps it, both
# changed at run time (issue #14 item 1). 4 vCPUs, cells a and b with two spinners each:
#  1. cpu.weight 100 / 100 (and the root cell's 100): 4 CPUs over three equal shares give a and
#     b one CPU each (the root cell wins the tie for the fourth);
#  2. b's cpu.weight becomes 300: the daemon notices at its next interval ("weight 100 -> 300"
#     in its log) and re-plans through the debounce; b gets 2 CPUs (root 1, a 1, b 2 by
#     100 : 100 : 300), within a bounded number of the daemon's stats lines;
#  3. b's cpu.max becomes "100000 100000" (1 CPU): b is back to exactly 1 CPU despite its weight;
#  4. with --enable-rebalancing (and borrowing) and 4 spinners in b, the cap holds: b owns 1 CPU
#     in every stats line while its demand is 4 CPUs; once the cap is lifted ("max 100000"),
#     b grows past 1 CPU, so the earlier "1" was the cap and not a rebalancer that did nothing.
# Shown to fail on the old behaviour: with the planner ignoring cpu.weight (the lead's main
# before this branch) step 2 gives up waiting for b to get 2 CPUs.
# shellcheck source=../lib.sh
. /tests/lib.sh

# A weight or cap write -> the new plan in a stats line: the daemon polls the files each 0.2 s
# interval, then the 0.1 s debounce; within 10 of its stats lines (2 s at full speed) on its
# own clock, counted in lines so a slow host does not fail it.
MAX_DAEMON_LINES=10
# Rebalancing with the cap on: watched for this many stats lines (cooldown 1 s = 5 lines).
CAP_LINES=25
[ "$NCPUS" -eq 4 ] || fail "the expected counts are for 4 vCPUs, have $NCPUS"

# nr_above NAME N: cell NAME has more than N primary CPUs.
nr_above() {
	_n=$(cell_field "$1" nr_cpus)
	[ -n "$_n" ] && [ "$_n" -gt "$2" ] && return 0
	echo "cell $1 has ${_n:-no} CPUs, want more than $2; cells: $(stats_cells_summary)"
	return 1
}

# b_line N: ERE of a stats line where cell b has N CPUs.
b_line() {
	echo "\"cgroup\":\"b\",\"cpus\":\"[^\"]*\",\"nr_cpus\":$1[,}]"
}

# reacts N0 DESC ERE: the first stats line after the first N0 matching ERE came within
# MAX_DAEMON_LINES lines; logs the daemon-clock latency.
reacts() {
	_lines=$(stats_lines_until "$1" "$3")
	_ms=$(($(stats_t_ms "$1" "$3") - $(stats_t_ms $(($1 - 1)) '')))
	log "$2: in stats line $_lines after the write (<= $_ms ms on the daemon's clock)"
	[ "$_lines" -le "$MAX_DAEMON_LINES" ] ||
		fail "$2 took $_lines stats lines ($_ms ms on the daemon's clock), want <= $MAX_DAEMON_LINES"
}

cg_create work/a >/dev/null
cg_create work/b >/dev/null
# cg_create put +cpu in every ancestor's subtree_control: the cells have cpu.weight / cpu.max.
for f in work/a/cpu.weight work/b/cpu.weight work/b/cpu.max; do
	[ -f "$CGROUP_ROOT/$f" ] || fail "$CGROUP_ROOT/$f is missing (cpu controller not enabled?)"
done
echo 100 >"$CGROUP_ROOT/work/a/cpu.weight" || fail "cannot write work/a/cpu.weight"
echo 100 >"$CGROUP_ROOT/work/b/cpu.weight" || fail "cannot write work/b/cpu.weight"
spawn_spinner work/a
spawn_spinner work/a
spawn_spinner work/b
spawn_spinner work/b
wait_for 5 "spinners in work/a and work/b" cg_has_procs work/a work/b

# ---- 1. equal weights ------------------------------------------------------------------------
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
wait_stats 25 "a and b to own 1 CPU each (equal weights)" nr_is b 1
nr_is a 1 || fail "$(nr_is a 1)"
log "weights 100/100: $(stats_cells_summary)"

# ---- 2. cpu.weight 300 -----------------------------------------------------------------------
n0=$(stats_count)
echo 300 >"$CGROUP_ROOT/work/b/cpu.weight" || fail "cannot write work/b/cpu.weight"
wait_stats 50 "b to get 2 CPUs after cpu.weight 300" nr_is b 2
nr_is a 1 || fail "$(nr_is a 1)"
nr_is '(root)' 1 || fail "$(nr_is '(root)' 1)"
reacts "$n0" "cpu.weight 300 -> b owns 2 CPUs" "$(b_line 2)"
grep -q 'Limits changed for cell [0-9]* for cgroup .*/b (cgid=[0-9]*): weight 100 -> 300, cap none -> none CPUs' "$SCHED_LOG" || {
	print_sched_log
	fail "no 'weight 100 -> 300' line for b in the daemon log"
}
grep -q 'applied plan .*cpu.weight/cpu.max changed' "$SCHED_LOG" || {
	print_sched_log
	fail "no '(applied plan N: cpu.weight/cpu.max changed ...)' line in the daemon log"
}
log "weights 100/300: $(stats_cells_summary)"
wait_stats 25 "CPUs partitioned" stats_partition_ok

# ---- 3. cpu.max caps b at 1 CPU --------------------------------------------------------------
n0=$(stats_count)
echo "100000 100000" >"$CGROUP_ROOT/work/b/cpu.max" || fail "cannot write work/b/cpu.max"
wait_stats 50 "b to be capped at 1 CPU by cpu.max" nr_is b 1
reacts "$n0" "cpu.max 1 CPU -> b owns 1 CPU" "$(b_line 1)"
grep -q 'for cgroup .*/b (cgid=[0-9]*): weight 300 -> 300, cap none -> 1 CPUs' "$SCHED_LOG" || {
	print_sched_log
	fail "no 'cap none -> 1' line for b in the daemon log"
}
log "b capped: $(stats_cells_summary)"
assert_sched_healthy "$seq0"
stop_sched

# ---- 4. the cap holds with rebalancing on ----------------------------------------------------
spawn_spinner work/b
spawn_spinner work/b
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--enable-rebalancing --enable-borrowing --rebalance-cooldown-s 1 --rebalance-threshold 20
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
n0=$(stats_count)
wait_stats $((CAP_LINES + 25)) "$CAP_LINES stats lines with rebalancing on" \
	lines_since "$n0" "$CAP_LINES"
over=$(grep '^{"t":' "$SCHED_LOG" | grep -cE "$(b_line '([02-9]|[1-9][0-9])')")
log "capped, rebalancing: $(stats_cells_summary); b above 1 CPU in $over stats lines"
[ "$over" -eq 0 ] || {
	print_sched_log
	fail "b owned more than its cap of 1 CPU in $over stats lines with rebalancing on"
}
echo "max 100000" >"$CGROUP_ROOT/work/b/cpu.max" || fail "cannot write work/b/cpu.max"
wait_stats 50 "b (4 spinners) to grow past 1 CPU once uncapped" nr_above b 1
log "uncapped, rebalancing: $(stats_cells_summary)"
assert_sched_healthy "$seq0"

kill_spinners
stop_sched
cg_remove work
echo ok
