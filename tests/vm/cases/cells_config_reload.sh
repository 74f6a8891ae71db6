#!/bin/sh
# cells_config_reload: SIGHUP re-reads --cell-config without unloading the scheduler (issue #14
# item 2). 4 vCPUs, cells svc/a and svc/b (two spinners each) from the rule "svc/*":
#  1. equal weights: a and b own 1 CPU each (root 1 and the fourth to the root by the tie);
#  2. the file gains {"match": "svc/b", "weight": 300} before "svc/*" and the daemon gets
#     SIGHUP: the log says "reloaded", b owns 2 CPUs within a bounded number of stats lines, and
#     all along /sys/kernel/sched_ext/state stays "enabled" and enable_seq does not move (the
#     scheduler was not reloaded); b's spinners run only on b's new CPUs;
#  3. a file that does not parse (weight 0) and SIGHUP: the error is logged naming the rule and
#     field, the old rules stay: b keeps 2 CPUs for the next stats lines, state and enable_seq
#     unchanged;
#  4. a rule set without svc/* but with "svc/a": b stops being a cell (its tasks go to the root
#     cell), a keeps its id;
#  5. the scheduler unloads cleanly.
# Fails on the old behaviour: without this branch SIGHUP kills the daemon (default action) and
# --cell-config is an unknown option (exit 2).
# shellcheck source=../lib.sh
. /tests/lib.sh

MAX_DAEMON_LINES=15
KEEP_LINES=10
[ "$NCPUS" -eq 4 ] || fail "the expected counts are for 4 vCPUs, have $NCPUS"

# still_loaded SEQ: state enabled, ops cells, enable_seq SEQ, daemon alive.
still_loaded() {
	pid_alive "$SCHED_PID" || { echo "daemon died"; return 1; }
	state_is enabled || return 1
	[ "$(sched_ops)" = cells ] || { echo "ops '$(sched_ops)'"; return 1; }
	[ "$(enable_seq)" = "$1" ] || { echo "enable_seq $(enable_seq), was $1"; return 1; }
}

# hup_and_watch SEQ LINES: SIGHUP the daemon, then check still_loaded at every poll until LINES
# more stats lines were printed (a state change in between is caught, not only at the end).
hup_and_watch() {
	_end=$(($(stats_count) + $2))
	kill -HUP "$SCHED_PID"
	while [ "$(stats_count)" -lt "$_end" ]; do
		_o=$(still_loaded "$1") || fail "after SIGHUP: $_o"
		sleep 0.05
	done
}

# b_isolated MS: b's processes ran only on cell svc/b's CPUs during MS ms.
b_isolated() {
	_own=$(cell_cpus svc/b)
	# shellcheck disable=SC2046
	cpusample "$1" $(cg_procs svc/b) >"$CASE_DIR/sample.b"
	while read -r _pid _cpus _n; do
		_cpus=${_cpus#cpus=}
		log "cell svc/b (cpus $_own): pid $_pid ran on ${_cpus:-nothing} ($_n)"
		[ -n "$_cpus" ] || fail "pid $_pid of svc/b was never seen running"
		cpulist_subset "$_cpus" "$_own" ||
			fail "pid $_pid of svc/b ran on CPUs $_cpus, outside its cell's CPUs $_own"
	done <"$CASE_DIR/sample.b"
}

cfg=$CASE_DIR/cells.json
for c in a b; do
	cg_create "svc/$c" >/dev/null
	spawn_spinner "svc/$c"
	spawn_spinner "svc/$c"
done
wait_for 5 "spinners in their cgroups" cg_has_procs svc/a svc/b

echo '{"rules": [{"match": "svc/*"}]}' >"$cfg"
start_sched --cell-config "$cfg" --monitor-interval-s 0.2 --stats-format json
wait_stats 50 "cells svc/a and svc/b" stats_have_cells svc/a svc/b || fail "no cells"
wait_stats "$MAX_DAEMON_LINES" "b at 1 CPU" nr_is svc/b 1
seq0=$(enable_seq)
id_a=$(cell_id svc/a)
log "before: $(stats_cells_summary) enable_seq $seq0"

# 2. a good reload that changes the plan
printf '%s\n' '{"rules": [{"match": "svc/b", "weight": 300}, {"match": "svc/*"}]}' >"$cfg"
n0=$(stats_count)
hup_and_watch "$seq0" 2
wait_for 10 "the reload in the log" log_has 'SIGHUP: reloaded .*cells.json \(2 rules\)'
wait_stats "$MAX_DAEMON_LINES" "b at 2 CPUs after the reload" nr_is svc/b 2
log "reload: b has 2 CPUs $(stats_lines_until "$n0" '"cgroup":"svc/b","cpus":"[^"]*","nr_cpus":2[,}]') stats lines after SIGHUP: $(stats_cells_summary)"
still_loaded "$seq0" >/dev/null || fail "after the reload: $(still_loaded "$seq0")"
b_isolated 1500

# 3. a bad reload keeps the old config
printf '%s\n' '{"rules": [{"match": "svc/b", "weight": 0}, {"match": "svc/*"}]}' >"$cfg"
hup_and_watch "$seq0" "$KEEP_LINES"
wait_for 10 "the error in the log" \
	log_has 'SIGHUP: reload failed, keeping the previous cell config: .*cells.json: rules\[0\]\.weight: 0 is out of range'
nr_is svc/b 2 >/dev/null || fail "bad reload changed the plan: $(nr_is svc/b 2)"
nr_is svc/a 1 >/dev/null || fail "bad reload changed the plan: $(nr_is svc/a 1)"
log "bad reload kept the plan for $KEEP_LINES stats lines: $(stats_cells_summary)"

# 4. rules that drop a cell
printf '%s\n' '{"rules": [{"match": "svc/a"}]}' >"$cfg"
hup_and_watch "$seq0" 2
wait_stats "$MAX_DAEMON_LINES" "svc/b no longer a cell" stats_lack_cell svc/b
[ "$(cell_id svc/a)" = "$id_a" ] || fail "svc/a changed id: $id_a -> $(cell_id svc/a)"
log "after dropping svc/b: $(stats_cells_summary)"

kill_spinners
stop_sched
cg_remove svc
echo ok
