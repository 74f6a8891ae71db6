#!/bin/sh
# rel_churn: >= 1,000 create/delete cycles of child cgroups under /work (six names; every 10th
# cycle moves a spinning task in and out via cgroup.procs, every 25th writes a one-CPU cpuset),
# as fast as a C helper (cgchurn) can do them, while scx_cells runs with --debounce-ms 50 and
# CPU hogs run in two long-lived cells a and b.
#  - the scheduler never exits or restarts (pid alive, enable_seq unchanged), no sched_ext
#    error, stall or lockup in the kernel log;
#  - at most one churn child exists at any moment, so churn cells get id 3 (4 if a scan races a
#    mkdir), never higher (lowest free id); after the churn, two survivors are created and must
#    be cells 3 and 4, and the final stats list exactly a, b and the survivors (no leaked cell,
#    no leaked id); the log's "created" minus "destroyed" lines equal the live cells;
#  - plans applied during the churn stay within the debounce bound: at most
#    elapsed / debounce + 1 (+2 slack), and likewise for the whole run (summary line);
#  - a, b and the survivors are isolated afterwards (each one's tasks run on its own CPUs, or on
#    the root cell's if it is unplaced: 5 cells on 4 CPUs).
# The hogs in a and b run at a 50% duty cycle (dutyspin 10 ms busy / 10 ms asleep): under TCG,
# 100% spinners make every cgroup mkdir/rmdir wait for the busy vCPUs (measured: 263 -> 18
# cycles/s without scx_cells, 9/s with it), and 1,000 cycles would not fit in a case timeout.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

CYCLES=${CHURN_CYCLES:-1200}
DEBOUNCE_MS=50
SLACK=2
CHURN_NAMES="c1 c2 c3 c4 c5 c6"

cg_create work/a >/dev/null
cg_create work/b >/dev/null
for c in a b; do
	sh -c "echo \$\$ > $CGROUP_ROOT/work/$c/cgroup.procs && exec dutyspin 10 10" &
	SPINNERS="$SPINNERS $!"
done
wait_for 5 "spinners in work/a and work/b" cg_has_procs work/a work/b

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--debounce-ms "$DEBOUNCE_MS"
seq0=$(enable_seq)
wait_stats 50 "cells a and b in the stats" stats_cells_are "1:a 2:b"
plans0=$(stats_plans)
log "before churn: plans=$plans0, cells: $(stats_cells_summary)"
log_lines0=$(wc -l <"$SCHED_LOG")

# ---- the churn --------------------------------------------------------------------------------
t0=$(now_cs)
# shellcheck disable=SC2086
res=$(cgchurn -m 10 -c 25 "$CGROUP_ROOT/work" "$CYCLES" $CHURN_NAMES 2>&1)
churn_rc=$?
t1=$(now_cs)
log "cgchurn: $res (exit $churn_rc)"
[ "$churn_rc" -eq 0 ] || fail "cgchurn failed (exit $churn_rc): $res"
done_cycles=$(echo "$res" | sed -n 's/.*cycles=\([0-9]*\).*/\1/p')
[ "${done_cycles:-0}" -ge 1000 ] || fail "only ${done_cycles:-0} cycles done, want >= 1000"
assert_sched_healthy "$seq0"

# ---- survivors; wait for the daemon to settle -------------------------------------------------
mkdir "$CGROUP_ROOT/work/c2" "$CGROUP_ROOT/work/c5" || fail "mkdir survivors c2 c5"
if ! (wait_stats 75 "final cells a b c2 c5 (ids 1-4) in the stats" stats_cells_are "1:a 2:b 3:c2 4:c5"); then
	log "directories under work: $(cd "$CGROUP_ROOT/work" && find . -mindepth 1 -maxdepth 1 -type d | tr '\n' ' ')"
	tail -n 30 "$SCHED_LOG"
	fail "the cells did not settle to the final cgroup tree (see above)"
fi
wait_stats 25 "\"waiting\":0" stats_field_is waiting 0
t_settle=$(now_cs)
plans1=$(stats_plans)
if ! why=$(stats_partition_ok); then
	fail "final plan is not a partition of the online CPUs: $why"
fi
log "settled $(fmt_cs $((t_settle - t1)))s after the churn: $(stats_cells_summary)"

# Ids during the churn: at most one churn child existed at a time, so every one was cell 3.
churn_ids=$(sed -n "$((log_lines0 + 1)),\$p" "$SCHED_LOG" |
	sed -n 's/^scx_cells: Created cell \([0-9]*\) for cgroup .*\/c[1-6] .*/\1/p' | sort -n | uniq -c |
	awk '{printf "id%s x%s ", $2, $1}')
log "churn cells created, by id: ${churn_ids:-none}"
bad_ids=$(sed -n "$((log_lines0 + 1)),\$p" "$SCHED_LOG" |
	sed -n 's/^scx_cells: Created cell \([0-9]*\) for cgroup .*/\1/p' | awk '$1 > 4' | sort -un | tr '\n' ' ')
[ -z "$bad_ids" ] || fail "cells were created with ids $bad_ids: with at most one churn child alive at a time (a scan racing a mkdir may see two) and two survivors at the end, ids above 4 mean leaked ids"
created=$(grep -c '^scx_cells: Created cell [0-9]* for cgroup ' "$SCHED_LOG")
destroyed=$(grep -c '^scx_cells: Destroyed cell [0-9]* for cgroup ' "$SCHED_LOG")
log "log lines: $created created, $destroyed destroyed"
[ $((created - destroyed)) -eq 4 ] ||
	fail "created ($created) - destroyed ($destroyed) = $((created - destroyed)), want 4 live cells"

# ---- plans vs the debounce bound --------------------------------------------------------------
elapsed=$((t_settle - t0))
nplans=$((plans1 - plans0))
bound=$((elapsed * 10 / DEBOUNCE_MS + 1))
log "churn: $done_cycles cycles in $(fmt_cs $((t1 - t0)))s; plans applied from churn start to settle" \
	"($(fmt_cs "$elapsed")s): $nplans; debounce bound $bound (+$SLACK slack)"
[ "$nplans" -le $((bound + SLACK)) ] ||
	fail "$nplans plans applied in $(fmt_cs "$elapsed")s, more than the debounce bound $bound + $SLACK"
[ "$nplans" -ge 1 ] || fail "no plan was applied during the churn; the daemon did not follow it"

# The survivors are cells in the kernel too, not only in the stats: their tasks run on their CPUs
# (5 cells on 4 CPUs: one of them may be unplaced, its tasks then run on the root cell's CPUs).
for c in c2 c5; do
	sh -c "echo \$\$ > $CGROUP_ROOT/work/$c/cgroup.procs && exec dutyspin 10 10" &
	SPINNERS="$SPINNERS $!"
done
wait_for 5 "hogs in the survivors c2 and c5" cg_has_procs work/c2 work/c5
assert_cells_where 1500 a b c2 c5
assert_cells_disjoint a b c2 c5
assert_sched_healthy "$seq0"
problems=$(kmsg_kernel_problems)
[ -z "$problems" ] || fail "kernel problems during the churn: $problems"

kill_spinners
stop_sched
total_plans=$(summary_plans)
total_cs=$(summary_secs_cs) || fail "no summary line: $(tail -n 3 "$SCHED_LOG")"
total_bound=$((total_cs * 10 / DEBOUNCE_MS + 1))
log "whole run: $(summary_line)"
log "whole run: $total_plans plans in $(fmt_cs "$total_cs")s, debounce bound $total_bound (+$SLACK)"
[ "$total_plans" -le $((total_bound + SLACK)) ] ||
	fail "$total_plans plans in $(fmt_cs "$total_cs")s, more than the bound $total_bound + $SLACK"
[ "$total_plans" = "$plans1" ] ||
	log "note: summary says $total_plans plans, the last stats line said $plans1"
cg_remove work
echo ok
