#!/bin/sh
# bench_ownerwait: isolation and work conservation at once (#10), measured where the emulator
# interferes least. bench/vm/run.sh boots it with multi-threaded TCG (one host thread per vCPU)
# and cpusets keep the whole load on two vCPUs, so no more than one busy vCPU runs per host core
# (the host has two): cell a owns CPU Y and runs 4 spinners allowed on Y and X; cell b owns X and
# runs the probe (benchlat, 1 ms timer loop). With borrowing, a's spinners use X whenever the
# probe sleeps, and reclaim must hand X back the moment it wakes. Per configuration, from one
# boot: the probe's wake-up latency p50/p90/p99/max; its mean run-queue wait per wake-up from the
# guest's own accounting (rqwait_us, /proc/self/schedstat: the scheduler's share) and, for
# scx_cells, the same wait as the BPF side timed it for cell b (bpf_wait_us, from the exit
# summary; see cell_wake_wait in tests/vm/lib.sh for how the two differ); the CPUs' worth of time
# a's spinners got (spin_cpus, cpu.stat, guest time: the work conservation); and the BPF side's
# counters. EEVDF (same cpusets) is the baseline; cells (no borrowing) is isolation without work
# conservation; cells_noreclaim and cells_longslice are the deliberately bad settings that must
# measure worse in the same boot. With ROUNDS > 1 samples are merged and CPU times averaged.
# Table "ownerwait". Benchmark: run by name only.
# shellcheck source=bench_common.sh
. /tests/cases/bench_common.sh

CONFIGS=${BENCH_CONFIGS:-"eevdf cells cells_borrow cells_noreclaim cells_longslice"}
# One round: every scheduler enable/disable live-patches static keys, which is what crashes
# multi-threaded TCG ('Oops: int3', tests/vm/README.md), so the boot does as few as it can.
ROUNDS=${BENCH_ROUNDS:-1}
SAMPLES=3000 # per configuration and round, one per ms, or fewer within MAX_S
MAX_S=4
WARM_S=1
NSPIN=4
X=$((NCPUS - 1)) Y=$((NCPUS - 2))

bench_env
cg_create "$BENCH_PARENT/a" >/dev/null
cg_create "$BENCH_PARENT/b" >/dev/null
cg_set_cpus "$BENCH_PARENT/a" "$Y-$X"
cg_set_cpus "$BENCH_PARENT/b" "$X"
wc_spawn "$BENCH_PARENT/a" "$NSPIN"
wait_for 5 "spinners in cell a" cg_has_procs "$BENCH_PARENT/a"

r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		# spinners stopped while the scheduler is switched: their vCPUs idle instead of running
		# the code being patched (fewer int3 crashes under multi-threaded TCG)
		# shellcheck disable=SC2086
		kill -STOP $SPINNERS
		bench_on "$c"
		# shellcheck disable=SC2086
		kill -CONT $SPINNERS
		sleep $WARM_S # benchmark warm-up (borrowers settle), not a synchronisation
		bench_probe "$c" "$BENCH_PARENT/b" "$BENCH_PARENT/a" "$SAMPLES" "$MAX_S"
		view=$(bench_cells_view "$c")
		log "round $r $c [$view]: $BENCH_RES; a's spinners $BENCH_CPUS CPUs"
		case $c in cells*)
			[ "$(cell_cpus a)" = "$Y" ] && [ "$(cell_cpus b)" = "$X" ] ||
				fail "$c: expected a=$Y b=$X from the cpusets, got [$view]"
			;;
		esac
		# shellcheck disable=SC2086
		kill -STOP $SPINNERS
		bench_off "$c"
		# shellcheck disable=SC2086
		kill -CONT $SPINNERS
		case $c in cells*) bench_record_sched "$c" "$r" b ;; esac
	done
	r=$((r + 1))
done
kill_spinners

bench_header ownerwait config n p50_us p90_us p99_us max_us rqwait_us bpf_wait_us spin_cpus owner_busy owner_busy_lent reclaims reclaim_runs borrow_pulls
for c in $CONFIGS; do
	res=$(benchlat --merge "$CASE_DIR/raw.$c")
	cpus=$(bench_mean "$CASE_DIR/cpus.$c" 3)
	bw=$(bench_mean "$CASE_DIR/bwait.$c" 1)
	ctr=$(bench_counters "$c")
	# shellcheck disable=SC2086
	set -- $ctr
	bench_row ownerwait "$c" "$(kv n "$res")" "$(kv p50_us "$res")" "$(kv p90_us "$res")" \
		"$(kv p99_us "$res")" "$(kv max_us "$res")" "$(kv rqwait_us "$res")" "$bw" "$cpus" "$1" "$2" \
		"$3" "$4" "$5"
done
cg_remove "$BENCH_PARENT"
echo ok
