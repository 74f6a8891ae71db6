#!/bin/sh
# bench_isolation: wake-up latency of a latency-sensitive cell (work/lat: benchlat, 1 ms timer
# loop) beside a CPU-hog cell (work/hog: one shell spinner per vCPU, so it could fill the whole
# machine) under each configuration of bench_common.sh. Configurations are interleaved over
# BENCH_ROUNDS rounds (host load drifts) and each one's samples are merged. Table "isolation":
# p50/p90/p99/p99.9/max wake-up latency (us) per configuration; rqwait_us, the mean time the
# probe sat runnable in the guest's run queue per wake-up (schedstat: the guest scheduler's own
# share); hog_cpus, the CPUs' worth of time the hog got meanwhile (cpu.stat, guest time, mean of
# rounds); and for scx_cells, from the daemon's exit summary: bpf_wait_us, the lat cell's mean
# wake-up-to-running wait as the BPF side timed it (see cell_wake_wait in tests/vm/lib.sh for how
# it differs from rqwait_us), and counters summed over rounds: wake-ups that found their cell's
# CPUs busy (owner_busy), of those with a CPU lent (owner_busy_lent), reclaim preemptions, owner
# tasks that then ran on the reclaimed CPU, and borrow pulls (see bench_record_sched).
# cells_noreclaim and cells_longslice are deliberately bad settings: in the same boot they must
# measure clearly worse than cells_borrow, or the benchmark cannot tell. Benchmark: run by name
# only.
# shellcheck source=bench_common.sh
. /tests/cases/bench_common.sh

CONFIGS=${BENCH_CONFIGS:-"eevdf cpuset simple cells cells_borrow cells_noreclaim cells_longslice cells_rebal"}
ROUNDS=${BENCH_ROUNDS:-2}
SAMPLES=${BENCH_LAT_SAMPLES:-3000} # per configuration and round, one per ms ...
MAX_S=${BENCH_LAT_MAX_S:-4}          # ... or fewer if a configuration makes them late
WARM_S=2

bench_env
cg_create "$BENCH_PARENT/hog" >/dev/null
cg_create "$BENCH_PARENT/lat" >/dev/null
BENCH_SPLIT=$(bench_split)
log "split (scx_cells --dry-run): $BENCH_SPLIT"
case $BENCH_SPLIT in *lat=*hog=* | *hog=*lat=*) ;; *) fail "dry-run did not place both cells: $BENCH_SPLIT" ;; esac

i=0
while [ $i -lt "$NCPUS" ]; do
	spawn_spinner "$BENCH_PARENT/hog"
	i=$((i + 1))
done
wait_for 5 "spinners in the hog cell" cg_has_procs "$BENCH_PARENT/hog"

r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		bench_on "$c"
		sleep $WARM_S # benchmark warm-up (rebalancing acts, hog settles), not a synchronisation
		bench_probe "$c" "$BENCH_PARENT/lat" "$BENCH_PARENT/hog" "$SAMPLES" "$MAX_S"
		view=$(bench_cells_view "$c")
		echo "$view" >"$CASE_DIR/view.$c"
		log "round $r $c [$view]: $BENCH_RES; the hog $BENCH_CPUS CPUs"
		bench_off "$c"
		# the exit summary of the run just stopped: BPF counters of this configuration
		case $c in cells*) bench_record_sched "$c" "$r" lat ;; esac
	done
	r=$((r + 1))
done
kill_spinners

bench_header isolation config n p50_us p90_us p99_us p999_us max_us mean_us over1ms over10ms rqwait_us bpf_wait_us owner_busy owner_busy_lent reclaims reclaim_runs borrow_pulls hog_cpus cells
for c in $CONFIGS; do
	res=$(benchlat --merge "$CASE_DIR/raw.$c")
	ctr=$(bench_counters "$c")
	bw=$(bench_mean "$CASE_DIR/bwait.$c" 1)
	hog=$(bench_mean "$CASE_DIR/cpus.$c" 3)
	# shellcheck disable=SC2086
	set -- $ctr
	bench_row isolation "$c" "$(kv n "$res")" "$(kv p50_us "$res")" "$(kv p90_us "$res")" \
		"$(kv p99_us "$res")" "$(kv p999_us "$res")" "$(kv max_us "$res")" "$(kv mean_us "$res")" \
		"$(kv over1ms "$res")" "$(kv over10ms "$res")" "$(kv rqwait_us "$res")" "$bw" "$1" "$2" "$3" \
		"$4" "$5" "$hog" "$(cat "$CASE_DIR/view.$c")"
done
cg_remove "$BENCH_PARENT"
echo ok
