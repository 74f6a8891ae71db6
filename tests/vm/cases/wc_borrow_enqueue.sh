#!/bin/sh
# wc_borrow_enqueue: borrowing on the enqueue path. Cell a runs pure CPU spinners (they never
# sleep, so they reach other CPUs only when re-enqueued at the end of a slice), cell b is idle.
# With --enable-borrowing a's spinners run on other cells' idle CPUs: a's demand_borrow_pct > 0,
# b's lent_pct > 0, and the spinners together get clearly more CPU time than a's own CPUs can
# give. Second daemon run in the same boot without the option: nothing is borrowed, the spinners
# are only ever seen on a's CPUs and get at most a's own CPUs. Prints both throughputs and their
# ratio.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

WIN_MS=3000
# Enough spinners to fill the machine: a's own CPUs plus everything it could borrow.
NSPIN=$NCPUS
[ "$NSPIN" -ge 3 ] || NSPIN=3
BASE_OPTS="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json"

# measure TAG: sample a's spinners for WIN_MS: CPU time (cputime) and the CPUs they ran on
# (cpusample) at the same time. Sets TP_CPUS (CPUs' worth of run time), TP_CPU_S, TP_WALL,
# SEEN (union of CPUs).
measure() {
	# shellcheck disable=SC2046
	cpusample "$WIN_MS" $(cg_procs work/a) >"$CASE_DIR/sample.$1" &
	_sp=$!
	_ct=$(cpu_seconds "$WIN_MS" work/a) || fail "cputime failed: $_ct"
	wait "$_sp"
	TP_CPU_S=$(kv cpu_s "$_ct") TP_WALL=$(kv wall_s "$_ct") TP_CPUS=$(kv cpus "$_ct")
	[ "$(kv gone "$_ct")" = 0 ] || fail "a spinner vanished during the window: $_ct"
	SEEN=$(sed -n 's/.* cpus=\([^ ]*\) .*/\1/p' "$CASE_DIR/sample.$1" | tr '\n' ',' | sed 's/,*$//')
	log "$1: a's $NSPIN spinners got ${TP_CPU_S} CPU-s in ${TP_WALL}s = ${TP_CPUS} CPUs; ran on CPUs ${SEEN:-none}"
	sed "s/^/#   $1 cpusample: /" "$CASE_DIR/sample.$1"
}

cg_create work/a >/dev/null
cg_create work/b >/dev/null
wc_spawn work/a "$NSPIN"
wait_for 5 "$NSPIN spinners in work/a" nprocs_is work/a "$NSPIN"

# ---- run 1: --enable-borrowing -------------------------------------------------------------
# shellcheck disable=SC2086
start_sched $BASE_OPTS --enable-borrowing
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
OWN_CPUS=$(cell_cpus a) OWN=$(cell_num a nr_cpus)
log "plan: root=$(cell_cpus '(root)') a=$OWN_CPUS ($OWN CPUs) b=$(cell_cpus b)"
[ "$OWN" -lt "$NSPIN" ] || fail "cell a owns $OWN CPUs, not fewer than its $NSPIN spinners: nothing to borrow"
wait_stats 50 "cell a to borrow (demand_borrow_pct > 0)" cell_cmp a demand_borrow_pct '>' 0
wait_stats 50 "cell b to lend (lent_pct > 0)" cell_cmp b lent_pct '>' 0
mark=$(stats_count)
measure borrow
wait_intervals 1
[ "$(cell_cpus a)" = "$OWN_CPUS" ] || fail "a's CPUs changed during the window: $OWN_CPUS -> $(cell_cpus a)"
ON_CPUS=$TP_CPUS ON_SEEN=$SEEN
ON_BORROW=$(stats_mean "$mark" a demand_borrow_pct) ON_LENT_B=$(stats_mean "$mark" b lent_pct)
ON_LENT_ROOT=$(stats_mean "$mark" '(root)' lent_pct) ON_Q=$(stats_mean "$mark" - borrowed)
ON_UTIL=$(stats_mean "$mark" a util_pct)
log "borrow run stats (mean over the window): a demand_borrow_pct=$ON_BORROW util_pct=$ON_UTIL;" \
	"b lent_pct=$ON_LENT_B; root lent_pct=$ON_LENT_ROOT; queue.borrowed=$ON_Q%"
stop_sched
save_sched_log borrow

fcmp "$ON_BORROW" '>' 0 || fail_stats "$mark" "with borrowing, a's mean demand_borrow_pct over the window is $ON_BORROW"
fcmp "$ON_LENT_B" '>' 0 || fail_stats "$mark" "with borrowing, b's mean lent_pct over the window is $ON_LENT_B"
! cpulist_subset "$ON_SEEN" "$OWN_CPUS" ||
	fail "with borrowing, a's spinners were only seen on a's own CPUs $OWN_CPUS (seen: $ON_SEEN)"
# More than a's own CPUs could give, with a margin for accounting granularity.
LIMIT=$(fcalc "$OWN * 1.25")
fcmp "$ON_CPUS" '>' "$LIMIT" ||
	fail "with borrowing a's spinners got $ON_CPUS CPUs, not more than own $OWN x 1.25 = $LIMIT"

# ---- run 2: no borrowing -------------------------------------------------------------------
# shellcheck disable=SC2086
start_sched $BASE_OPTS
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
[ "$(cell_cpus a)" = "$OWN_CPUS" ] || fail "plan differs between runs: a=$(cell_cpus a), before $OWN_CPUS"
# Let the first partial intervals pass so the window only sees this daemon's steady state.
wait_intervals 2
mark=$(stats_count)
measure noborrow
wait_intervals 1
OFF_CPUS=$TP_CPUS OFF_SEEN=$SEEN
OFF_BORROW=$(stats_max "$mark" a demand_borrow_pct) OFF_LENT_B=$(stats_max "$mark" b lent_pct)
OFF_LENT_ROOT=$(stats_max "$mark" '(root)' lent_pct) OFF_Q=$(stats_max "$mark" - borrowed)
OFF_UTIL=$(stats_mean "$mark" a util_pct) OFF_ROOT_B=$(stats_max "$mark" '(root)' demand_borrow_pct)
log "no-borrow run stats (max over the window): a demand_borrow_pct=$OFF_BORROW;" \
	"b lent_pct=$OFF_LENT_B; root lent_pct=$OFF_LENT_ROOT; root demand_borrow_pct=$OFF_ROOT_B;" \
	"queue.borrowed=$OFF_Q%; a util_pct mean=$OFF_UTIL"
stop_sched
save_sched_log noborrow

fcmp "$OFF_BORROW" '==' 0 || fail_stats "$mark" "without borrowing, a's demand_borrow_pct reached $OFF_BORROW"
fcmp "$OFF_Q" '==' 0 || fail_stats "$mark" "without borrowing, queue.borrowed reached $OFF_Q%"
# Per-CPU kthreads of the root cell (pinned, on their per-CPU queues) still run on a's and b's
# CPUs and count as lent time there, so "nothing lent" means a fraction of a percent.
fcmp "$OFF_LENT_B" '<' 1 || fail_stats "$mark" "without borrowing, b's lent_pct reached $OFF_LENT_B"
cpulist_subset "$OFF_SEEN" "$OWN_CPUS" ||
	fail "without borrowing, a's spinners ran on CPUs $OFF_SEEN, outside a's CPUs $OWN_CPUS"
LIMIT=$(fcalc "$OWN * 1.05 + 0.05")
fcmp "$OFF_CPUS" '<=' "$LIMIT" ||
	fail "without borrowing a's spinners got $OFF_CPUS CPUs, more than own $OWN (limit $LIMIT)"

RATIO=$(fcalc "$ON_CPUS / ($OFF_CPUS > 0 ? $OFF_CPUS : 0.001)")
log "RESULT throughput of a ($NSPIN spinners, $OWN own CPUs): borrowing $ON_CPUS CPUs," \
	"no borrowing $OFF_CPUS CPUs, ratio $RATIO"
fcmp "$RATIO" '>' 1.25 || fail "borrowing gave only $RATIO x the throughput without it"
kill_spinners
cg_remove work
echo ok
