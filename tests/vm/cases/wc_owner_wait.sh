#!/bin/sh
# wc_owner_wait: with --enable-borrowing, an owner's task gets its lent CPU back at once (#10).
# Cell b owns one CPU X and runs a latency-sensitive task (benchlat: 1 ms timer loop); cell a owns
# Y and runs 4 spinners that borrow X whenever b's task sleeps, and must get it (work conservation) (cpusets a: Y,X; b: X keep the load
# on these two vCPUs, as wc_reclaim explains). One boot, four daemon runs:
#   fix        --enable-borrowing (reclaim on, borrow slice = slice / 8)
#   noreclaim  --enable-borrowing --no-reclaim
#   longslice  --enable-borrowing --borrow-slice-us 20000 (reclaim on)
#   noborrow   no borrowing: nothing stands between b's task and X
# For each: wake-up latency p50/p90/p99/max and the guest's own mean run-queue wait of the probe
# per wake-up (/proc/self/schedstat run_delay, read by benchlat: the scheduler's share, not the
# emulator's), plus the daemon's counters. Asserts that with the fix the owner's mean run-queue
# wait stays within WAIT_BOUND_US, reclaim acted and a's spinners got at least SPIN_CPUS_MIN
# CPUs' worth of time (X does not idle while they wait), and that --no-reclaim measures at least
# NORECLAIM_RATIO times worse in this boot (the measurement can tell the mechanism from the
# emulator). All four runs are measured before anything is asserted, so a failure shows them all.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

# Mean run-queue wait per wake-up the fix must stay under. The goal (#10) is 50 us; under
# single-threaded TCG the no-borrowing baseline already measures a few us and a reclaim costs a
# context switch plus, when the wake-up lands on another vCPU, qemu's round-robin to reach it.
# Measured with the fix: 68.6 and 74 us in two boots, 119.3 us in a third (fresh-clone CI run,
# idle host); on the tree with slice shrinking and --cell-config (2026-12-02) 153.4, 213.4,
# 392.2 and 450.2 us (the last with another VM running beside it), --no-reclaim 1173 us in the
# same boot as the 213.4. The bound is 600 us: still far below the 2.5 ms borrow slice that
# bounded the wait before; what tells a working reclaim from a broken one is the ratio check
# below (--no-reclaim at least 2x worse in the same boot), which no host speed moves.
WAIT_BOUND_US=${WAIT_BOUND_US:-600}
# Work conservation at the same time: with borrowing, a's spinners must get most of X while the
# probe sleeps, in CPUs' worth of guest CPU time (cpu.stat) over the probe's run, so host speed
# does not move it. Measured (2026-12-02, same boot): 1.933 with borrowing at dispatch, 1.001
# without borrowing; the tree before it (a CPU whose owner slept idled until a borrower next
# enqueued) 1.231.
SPIN_CPUS_MIN=1.6
NORECLAIM_RATIO=2
SAMPLES=2000
MAX_S=8
NSPIN=4
X=$((NCPUS - 1)) Y=$((NCPUS - 2))
BASE="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json"

# summary_num REGEX: the number captured by REGEX's \(...\) in the last daemon summary.
summary_num() {
	sched_summary | sed -n "s/.*$1.*/\\1/p"
}

# run TAG OPTS...: one daemon run; sets RES (benchlat's line) and logs counters.
run() {
	_tag=$1
	shift
	# shellcheck disable=SC2086
	start_sched $BASE "$@"
	wait_for 10 "a stats line listing cells a and b" stats_have_cells a b
	if [ "$(cell_cpus a)" != "$Y" ] || [ "$(cell_cpus b)" != "$X" ]; then
		fail "$_tag: expected a=$Y b=$X from the cpusets, got a=$(cell_cpus a) b=$(cell_cpus b)"
	fi
	case " $* " in *" --enable-borrowing "*)
		wait_for 10 "$_tag: cell a to borrow b's CPU (b lent_pct > 0)" cell_cmp b lent_pct '>' 0
		;;
	esac
	_u0=$(cg_usage_us work/a) _t0=$(benchts -n)
	RES=$(sh -c "echo \$\$ > $CGROUP_ROOT/work/b/cgroup.procs && exec benchlat 1000 $SAMPLES $MAX_S" 2>&1) ||
		fail "$_tag: benchlat failed: $RES"
	_u1=$(cg_usage_us work/a) _t1=$(benchts -n)
	# CPUs' worth of time the spinners got while the probe ran (guest time, any host speed)
	eval "C_$_tag=\$(fcalc \"($_u1 - $_u0) / 1e6 / ($_t1 - $_t0)\")"
	case "$RES" in n=*) ;; *) fail "$_tag: unexpected benchlat output: $RES" ;; esac
	stop_sched
	save_sched_log "$_tag"
	log "$_tag: $RES"
	log "$_tag: summary: $(sched_summary)"
	[ -z "$(sched_prog_stats)" ] || log "$_tag: bpf run time: $(sched_prog_stats)"
	RECLAIMS=$(summary_num ' \([0-9]*\) reclaim preemptions')
	RAN=$(summary_num ' \([0-9]*\) owner tasks ran on reclaimed CPUs')
	LENT=$(summary_num ' \([0-9]*\) of them with a CPU lent')
	eval "W_$_tag=\$(kv rqwait_us \"\$RES\")"
	eval "B_$_tag=\$(cell_wake_wait b)"
	eval "R_$_tag=\$RES"
}

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_set_cpus work/a "$Y-$X"
cg_set_cpus work/b "$X"
wc_spawn work/a "$NSPIN"
wait_for 5 "$NSPIN spinners in work/a" nprocs_is work/a "$NSPIN"

run fix --enable-borrowing
FIX_RECLAIMS=$RECLAIMS FIX_RAN=$RAN FIX_LENT=$LENT
run noreclaim --enable-borrowing --no-reclaim
[ "${RECLAIMS:-x}" = 0 ] || fail "noreclaim: $RECLAIMS reclaim preemptions with --no-reclaim"
run longslice --enable-borrowing --borrow-slice-us 20000
run noborrow
kill_spinners

# shellcheck disable=SC2154 # set by eval in run
for t in fix noreclaim longslice noborrow; do
	eval "r=\$R_$t"
	eval "c=\$C_$t b=\$B_$t"
	log "RESULT $t: rqwait_us=$(kv rqwait_us "$r") bpf_wake_wait_us=$b p50/p90/p99/max us" \
		"$(kv p50_us "$r")/$(kv p90_us "$r")/$(kv p99_us "$r")/$(kv max_us "$r") n=$(kv n "$r")" \
		"spinners_cpus=$c"
done
# shellcheck disable=SC2154 # set by eval in run
fcmp "$W_fix" '<=' "$WAIT_BOUND_US" ||
	fail "with borrowing and reclaim the owner's mean run-queue wait is ${W_fix}us, above ${WAIT_BOUND_US}us ($R_fix)"
if [ "${FIX_RECLAIMS:-0}" -eq 0 ] || [ "${FIX_RAN:-0}" -eq 0 ]; then
	fail "fix: reclaim did not act (reclaims ${FIX_RECLAIMS:-?}, owner ran on ${FIX_RAN:-?}, lent found ${FIX_LENT:-?})"
fi
# shellcheck disable=SC2154 # set by eval in run
fcmp "$C_fix" '>=' "$SPIN_CPUS_MIN" ||
	fail "with borrowing a's spinners got only $C_fix CPUs of 2 (want >= $SPIN_CPUS_MIN; without borrowing $C_noborrow): X idled while they waited"
# shellcheck disable=SC2154
fcmp "$W_noreclaim" '>' "$(fcalc "$W_fix * $NORECLAIM_RATIO")" ||
	fail "with --no-reclaim the owner's mean run-queue wait is ${W_noreclaim}us, not ${NORECLAIM_RATIO}x the fix's ${W_fix}us: this boot cannot tell reclaim from no reclaim"
cg_remove work
echo ok
