#!/bin/sh
# bench_footprint: the daemon's own cost. scx_cells with --monitor-interval-s 0.01 and JSON stats
# (printed every interval, as a user watching it would have them) over 1,000 intervals, with
# three cells (one spinner, one sleeper, one empty); plain and with borrowing + rebalancing.
# Table "footprint": CPU time (utime + stime) per 1,000 intervals, wall time they took, VmRSS and
# VmHWM at the end. Benchmark: run by name only.
# shellcheck source=bench_common.sh
. /tests/cases/bench_common.sh

INTERVALS=1000

bench_env
for c in a b c; do
	cg_create "$BENCH_PARENT/$c" >/dev/null
done
spawn_spinner "$BENCH_PARENT/a"
in_cgroup "$BENCH_PARENT/b" sleep 100000 &

nstats() {
	grep -c '^{"t":' "$SCHED_LOG"
}
have_stats() {
	[ "$(nstats)" -ge "$1" ] || { echo "$(nstats) stats lines"; return 1; }
}
# cpu_ticks PID: utime + stime (fields 14, 15 of /proc/PID/stat), clock ticks.
cpu_ticks() {
	_st=$(cat "/proc/$1/stat")
	_st=${_st##*) }
	# shellcheck disable=SC2086
	set -- $_st
	echo $((${12} + ${13}))
}
status_kb() {
	sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"
}

hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
bench_header footprint config intervals wall_s cpu_ms cpu_ms_per_1000 cpu_pct rss_kb hwm_kb interval_s
for cfg in plain borrow_rebal; do
	extra=
	[ $cfg = borrow_rebal ] && extra="--enable-borrowing --enable-rebalancing --rebalance-cooldown-s 1"
	# shellcheck disable=SC2086
	start_sched --cell-parent-cgroup "/$BENCH_PARENT" --stats-format json --monitor-interval-s 0.01 $extra
	wait_for 30 "50 stats lines" have_stats 50
	n0=$(nstats) c0=$(cpu_ticks "$SCHED_PID") t0=$(benchts -n)
	wait_for 120 "$INTERVALS more stats lines" have_stats $((n0 + INTERVALS))
	n1=$(nstats) c1=$(cpu_ticks "$SCHED_PID") t1=$(benchts -n)
	rss=$(status_kb "$SCHED_PID" VmRSS) hwm=$(status_kb "$SCHED_PID" VmHWM)
	row=$(awk -v n=$((n1 - n0)) -v a="$t0" -v b="$t1" -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN {
		ms = c * 1000 / hz; printf "%d %.2f %.0f %.0f %.1f", n, b - a, ms, ms * 1000 / n, ms / 10 / (b - a) }')
	# shellcheck disable=SC2086
	bench_row footprint "$cfg" $row "$rss" "$hwm" 0.01
	log "$cfg: intervals wall_s cpu_ms cpu_ms_per_1000 cpu_pct = $row; VmRSS $rss kB, VmHWM $hwm kB"
	stop_sched >/dev/null
done
kill_spinners
cg_remove "$BENCH_PARENT"
echo ok
