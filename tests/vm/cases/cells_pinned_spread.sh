#!/bin/sh
# cells_pinned_spread: --dynamic-affinity-cpu-selection (#14 item 3, scx_mitosis's spelling).
# The root cell owns all NCPUS CPUs; NSPIN spinners are allowed on CPUs 1..NSPIN only (a subset of
# the cell, so they use per-CPU queues). Each daemon run first pins them all to CPU 1 (taskset
# -p), waits until they run there, then widens their affinity to 1..NSPIN, the way tasks pile up
# when a mask grows or when they were all started from one CPU. Without the flag a task stays on
# its previous CPU's queue, so all of them stay on CPU 1 while the others idle (the issue measured
# one CPU of four at 16 % while three were at 100 %); with it a re-enqueued task goes to an idle
# CPU of its mask. One boot, two runs; per-CPU busy time from /proc/stat over a window counted in
# the guest. Asserts every allowed CPU is at least BUSY_MIN % busy with the flag, and that the
# least busy one is below PILE_MAX % without it (the case can tell the two apart).
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

BUSY_MIN=${BUSY_MIN:-70}
PILE_MAX=${PILE_MAX:-50}
NSPIN=3
ALLOWED=1-$NSPIN
WINDOW_S=3
BASE="--monitor-interval-s 0.2 --stats-format json"
[ "$NCPUS" -ge $((NSPIN + 1)) ] || fail "needs at least $((NSPIN + 1)) CPUs, have $NCPUS"

# Measured (one boot, 4 vCPUs, host overloaded by a second VM): without the flag CPUs 1/2/3 were
# 100/12/14 % busy, with it 98/99/99 % (affn_spread 10).
# run TAG OPTS...: one daemon run; sets B_TAG (per-CPU busy) and A_TAG (affn_spread counter).
run() {
	_tag=$1
	shift
	# shellcheck disable=SC2086
	start_sched $BASE "$@"
	seq0=$(enable_seq)
	wait_intervals 2
	for _p in $PIDS; do taskset -p -c 1 "$_p" >/dev/null || fail "taskset -p -c 1 $_p failed"; done
	# shellcheck disable=SC2086
	wait_for 30 "$NSPIN spinners to run on CPU 1" pids_ran_within 300 1 $PIDS
	for _p in $PIDS; do
		taskset -p -c "$ALLOWED" "$_p" >/dev/null || fail "taskset -p -c $ALLOWED $_p failed"
	done
	# Let a few slices pass (20 ms each), then measure.
	wait_intervals 2
	_b0=$(cpu_snapshot)
	sleep "$WINDOW_S"
	_b1=$(cpu_snapshot)
	_busy=$(busy_pct "$_b0" "$_b1" "$ALLOWED")
	wait_intervals 1
	_spr=$(stats_top counters.affn_spread)
	assert_sched_healthy "$seq0"
	stop_sched
	save_sched_log "$_tag"
	log "$_tag: busy over ${WINDOW_S}s: $_busy; affn_spread=$_spr"
	eval "B_$_tag=\$_busy"
	eval "A_$_tag=\$_spr"
}

PIDS=
n=0
while [ "$n" -lt "$NSPIN" ]; do
	taskset -c "$ALLOWED" sh -c 'exec sh -c "while :; do :; done"' &
	PIDS="$PIDS $!"
	n=$((n + 1))
done
SPINNERS="$SPINNERS $PIDS"

run plain
run dynaff --dynamic-affinity-cpu-selection
kill_spinners

# shellcheck disable=SC2154 # set by eval in run
log "RESULT plain: $B_plain affn_spread=$A_plain"
# shellcheck disable=SC2154
log "RESULT dynaff: $B_dynaff affn_spread=$A_dynaff"
# shellcheck disable=SC2154
[ "${A_dynaff:-0}" -gt 0 ] || fail "with the flag no task was spread (affn_spread ${A_dynaff:-?})"
# shellcheck disable=SC2154
[ "${A_plain:-x}" = 0 ] || fail "without the flag affn_spread is ${A_plain:-?}, not 0"
# shellcheck disable=SC2154
m=$(min_pct "$B_dynaff")
[ "${m:-0}" -ge "$BUSY_MIN" ] ||
	fail "with --dynamic-affinity-cpu-selection the least busy allowed CPU is at ${m:-?}% (< ${BUSY_MIN}%): $B_dynaff"
# shellcheck disable=SC2154
m=$(min_pct "$B_plain")
[ "${m:-100}" -lt "$PILE_MAX" ] ||
	fail "without the flag the least busy allowed CPU is at ${m:-?}% (not < ${PILE_MAX}%): this boot does not show the pile-up the flag fixes ($B_plain)"
echo ok
