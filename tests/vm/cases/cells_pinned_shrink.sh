#!/bin/sh
# cells_pinned_shrink: --enable-slice-shrinking (#10 item 2, scx_mitosis's spelling). Cell b owns
# CPUs X-1..X (cpuset); a spinner of the root cell is pinned (taskset) to X, and so is a
# short-running probe of cell b (benchlat: 1 ms timer loop). Both wait on X's per-CPU queue, so
# without shrinking every wake-up of the probe waits for the rest of the spinner's 20 ms slice;
# with it the spinner's slice is cut to 2x the probe's average run time (clamped to 500 us), so
# the probe runs within about a context switch. One boot, two daemon runs (with and without the
# flag); compares the probe's guest-side mean run-queue wait per wake-up (/proc/self/schedstat
# run_delay, read by benchlat) and the slice_shrinks counter. Both runs are measured before
# anything is asserted.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

# With shrinking the probe's wait must be at most 1/RATIO of the wait without it, and below
# BOUND_US (a fifth of a 4 ms tick: what a cut that only took effect at the next tick would give).
RATIO=${RATIO:-4}
BOUND_US=${BOUND_US:-2000}
SAMPLES=300
MAX_S=8
X=$((NCPUS - 1))
BASE="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json"

# Measured (one boot, 4 vCPUs, host overloaded by a second VM): with shrinking 610.3 us mean
# run-queue wait (p50 502 us, 363 slices cut), without 19454.5 us (p50 23007 us): 32x.
# run TAG OPTS...: one daemon run with the spinner on X; sets W_TAG (mean run-queue wait, us),
# R_TAG (benchlat's line) and S_TAG (slice_shrinks of the last stats line).
run() {
	_tag=$1
	shift
	# shellcheck disable=SC2086
	start_sched $BASE "$@"
	seq0=$(enable_seq)
	wait_for 10 "a stats line listing cell b" stats_have_cells b
	[ "$(cell_cpus b)" = "$((X - 1))-$X" ] ||
		fail "$_tag: expected cell b to own $((X - 1))-$X from its cpuset, got $(cell_cpus b)"
	wait_for 30 "the pinned spinner to run on CPU $X" pids_ran_within 300 "$X" "$SPIN"
	# Into the cgroup first, then taskset: joining a cpuset cgroup resets the affinity.
	_res=$(sh -c "echo \$\$ > $CGROUP_ROOT/work/b/cgroup.procs && exec taskset -c $X benchlat 1000 $SAMPLES $MAX_S" 2>&1) ||
		fail "$_tag: benchlat failed: $_res"
	case "$_res" in n=*) ;; *) fail "$_tag: unexpected benchlat output: $_res" ;; esac
	wait_intervals 2
	_shr=$(stats_top counters.slice_shrinks)
	assert_sched_healthy "$seq0"
	stop_sched
	save_sched_log "$_tag"
	log "$_tag: $_res"
	log "$_tag: slice_shrinks=$_shr; summary: $(sched_summary)"
	eval "W_$_tag=\$(kv rqwait_us \"\$_res\")"
	eval "R_$_tag=\$_res"
	eval "S_$_tag=\$_shr"
}

cg_create work/b >/dev/null
cg_set_cpus work/b "$((X - 1))-$X"
taskset -c "$X" sh -c 'exec sh -c "while :; do :; done"' &
SPIN=$!
SPINNERS="$SPINNERS $SPIN"

run shrink --enable-slice-shrinking
run plain
kill_spinners

# shellcheck disable=SC2154 # set by eval in run
for t in shrink plain; do
	eval "r=\$R_$t s=\$S_$t"
	log "RESULT $t: rqwait_us=$(kv rqwait_us "$r") p50/p90/p99/max us" \
		"$(kv p50_us "$r")/$(kv p90_us "$r")/$(kv p99_us "$r")/$(kv max_us "$r") n=$(kv n "$r") slice_shrinks=$s"
done
# shellcheck disable=SC2154
[ "${S_shrink:-0}" -gt 0 ] || fail "with --enable-slice-shrinking no slice was cut (slice_shrinks ${S_shrink:-?}): $R_shrink"
# shellcheck disable=SC2154
[ "${S_plain:-x}" = 0 ] || fail "without the flag slice_shrinks is ${S_plain:-?}, not 0"
# shellcheck disable=SC2154
fcmp "$W_shrink" '<=' "$BOUND_US" ||
	fail "with slice shrinking the pinned probe's mean run-queue wait is ${W_shrink}us, above ${BOUND_US}us ($R_shrink)"
# shellcheck disable=SC2154
fcmp "$W_plain" '>' "$(fcalc "$W_shrink * $RATIO")" ||
	fail "without slice shrinking the probe waits ${W_plain}us per wake-up, not ${RATIO}x the ${W_shrink}us with it: the flag made no measurable difference"
cg_remove work
echo ok
