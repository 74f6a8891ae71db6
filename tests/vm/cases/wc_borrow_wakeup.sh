#!/bin/sh
# wc_borrow_wakeup: borrowing for a wake-up-heavy load. Cell a runs hackbench (pipes: tasks
# block on reads and are woken all the time, so placements go through select_cpu), cell b is
# idle. With --enable-borrowing the placements include borrowed ones (queue.borrowed > 0) and a
# has demand_borrow_pct > 0; in a second daemon run in the same boot without the option nothing
# is borrowed (both stay 0 in every interval). Prints hackbench's completion time with and
# without borrowing and the speed-up.
# Note: the stats do not tell select_cpu borrows from enqueue borrows (queue.borrowed is their
# sum); with this load almost every placement is a wake-up.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

HB_GROUPS=2
LOOPS=${WC_HACKBENCH_LOOPS:-200}
BASE_OPTS="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json"

# run_hackbench TAG: run hackbench inside cell a to completion; sets HB_TIME (hackbench's own
# "Time:" in seconds) and HB_WALL (wall seconds, measured here).
run_hackbench() {
	_t0=$(now_cs)
	sh -c "echo \$\$ > $CGROUP_ROOT/work/a/cgroup.procs && exec hackbench -p -g $HB_GROUPS -l $LOOPS" \
		>"$CASE_DIR/hackbench.$1" 2>&1 || {
		sed 's/^/  | /' "$CASE_DIR/hackbench.$1"
		fail "$1: hackbench failed"
	}
	HB_WALL=$(fmt_cs $(($(now_cs) - _t0)))
	HB_TIME=$(sed -n 's/^Time: *\([0-9.]*\).*/\1/p' "$CASE_DIR/hackbench.$1")
	[ -n "$HB_TIME" ] || { sed 's/^/  | /' "$CASE_DIR/hackbench.$1"; fail "$1: no Time: line from hackbench"; }
	log "$1: hackbench -p -g $HB_GROUPS -l $LOOPS: Time ${HB_TIME}s (wall ${HB_WALL}s)"
}

cg_create work/a >/dev/null
cg_create work/b >/dev/null

# ---- run 1: --enable-borrowing -------------------------------------------------------------
# shellcheck disable=SC2086
start_sched $BASE_OPTS --enable-borrowing
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
OWN_CPUS=$(cell_cpus a) OWN=$(cell_num a nr_cpus)
log "plan: root=$(cell_cpus '(root)') a=$OWN_CPUS ($OWN CPUs) b=$(cell_cpus b)"
mark=$(stats_count)
run_hackbench borrow
wait_intervals 1
wait_for 5 "hackbench to leave cell a" nprocs_is work/a 0
ON_TIME=$HB_TIME ON_WALL=$HB_WALL
ON_Q=$(stats_max "$mark" - borrowed) ON_QMEAN=$(stats_mean "$mark" - borrowed)
ON_BORROW=$(stats_max "$mark" a demand_borrow_pct) ON_BMEAN=$(stats_mean "$mark" a demand_borrow_pct)
ON_LENT_B=$(stats_max "$mark" b lent_pct) ON_LMEAN=$(stats_mean "$mark" b lent_pct)
ON_N=$(($(stats_count) - mark))
log "borrow run, $ON_N intervals: queue.borrowed max=$ON_Q% mean=$ON_QMEAN%;" \
	"a demand_borrow_pct max=$ON_BORROW mean=$ON_BMEAN; b lent_pct max=$ON_LENT_B mean=$ON_LMEAN"
stop_sched
save_sched_log borrow
fcmp "$ON_Q" '>' 0 || fail "with borrowing, queue.borrowed stayed 0 during hackbench"
fcmp "$ON_BORROW" '>' 0 || fail "with borrowing, a's demand_borrow_pct stayed 0 during hackbench"
fcmp "$ON_LENT_B" '>' 0 || fail "with borrowing, b's lent_pct stayed 0 during hackbench"

# ---- run 2: no borrowing -------------------------------------------------------------------
# shellcheck disable=SC2086
start_sched $BASE_OPTS
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
[ "$(cell_cpus a)" = "$OWN_CPUS" ] || fail "plan differs between runs: a=$(cell_cpus a), before $OWN_CPUS"
mark=$(stats_count)
run_hackbench noborrow
wait_intervals 1
wait_for 5 "hackbench to leave cell a" nprocs_is work/a 0
OFF_TIME=$HB_TIME OFF_WALL=$HB_WALL
OFF_Q=$(stats_max "$mark" - borrowed) OFF_BORROW=$(stats_max "$mark" a demand_borrow_pct)
OFF_LENT_B=$(stats_max "$mark" b lent_pct) OFF_N=$(($(stats_count) - mark))
log "no-borrow run, $OFF_N intervals: queue.borrowed max=$OFF_Q%; a demand_borrow_pct max=$OFF_BORROW;" \
	"b lent_pct max=$OFF_LENT_B"
stop_sched
save_sched_log noborrow
fcmp "$OFF_Q" '==' 0 || fail "without borrowing, queue.borrowed reached $OFF_Q%"
fcmp "$OFF_BORROW" '==' 0 || fail "without borrowing, a's demand_borrow_pct reached $OFF_BORROW"
# Per-CPU kthreads of the root cell (pinned, on their per-CPU queues) still run on b's CPU and
# count as lent time there, so "nothing lent" means a fraction of a percent.
fcmp "$OFF_LENT_B" '<' 1 || fail "without borrowing, b's lent_pct reached $OFF_LENT_B"

SPEEDUP=$(fcalc "$OFF_TIME / ($ON_TIME > 0 ? $ON_TIME : 0.001)")
log "RESULT hackbench -p -g $HB_GROUPS -l $LOOPS in cell a ($OWN own CPUs of $NCPUS):" \
	"borrowing ${ON_TIME}s, no borrowing ${OFF_TIME}s, speed-up $SPEEDUP x" \
	"(wall ${ON_WALL}s vs ${OFF_WALL}s)"
cg_remove work
echo ok
