#!/bin/sh
# bench_workcons: work conservation. A busy cell (work/busy: stress-ng --cpu NCPUS, int64) beside
# two idle cells (work/idle1, work/idle2: a sleeping task each) under each configuration of
# bench_common.sh, measured over MEASURE_S after WARM_S of the same load (rebalancing and
# borrowing get to act). Primary metric: the CPU time the busy cgroup got (cpu.stat usage_usec)
# per second of wall time, i.e. how many CPUs' worth the scheduler gave it; this is what a
# scheduler controls, and unlike work done it does not depend on how fast the emulated CPUs run
# on a loaded host. Secondary: stress-ng's bogo ops/s (real time). Configurations interleaved
# over ROUNDS rounds; medians go to table "workcons". Benchmark: run by name only.
# shellcheck source=bench_common.sh
. /tests/cases/bench_common.sh

CONFIGS="eevdf cpuset simple cells cells_borrow cells_rebal"
ROUNDS=2
WARM_S=2
MEASURE_S=3

bench_env
for c in busy idle1 idle2; do
	cg_create "$BENCH_PARENT/$c" >/dev/null
done
for c in idle1 idle2; do
	in_cgroup "$BENCH_PARENT/$c" sleep 100000 &
done
BENCH_SPLIT=$(bench_split)
log "split (scx_cells --dry-run): $BENCH_SPLIT"
case $BENCH_SPLIT in *busy=*) ;; *) fail "dry-run did not place the busy cell: $BENCH_SPLIT" ;; esac

# usage_us: CPU time of the busy cgroup so far, in us.
usage_us() {
	sed -n 's/^usage_usec //p' "$CGROUP_ROOT/$BENCH_PARENT/busy/cpu.stat"
}

# ops_per_s SECONDS: run the busy load for SECONDS, print its bogo ops/s (real time).
ops_per_s() {
	_o=$(in_cgroup "$BENCH_PARENT/busy" stress-ng --cpu "$NCPUS" --cpu-method int64 -t "$1" \
		--metrics-brief --temp-path "$CASE_DIR" 2>&1) || { echo "stress-ng failed: $_o" >&2; return 1; }
	# "stress-ng: metrc: [PID] cpu  OPS REAL USR SYS OPS/S(real) OPS/S(usr+sys)"
	echo "$_o" | awk '$2 == "metrc:" && $4 == "cpu" { print $9; found = 1 } END { exit !found }' ||
		{ echo "no metrics in: $_o" >&2; return 1; }
}

r=1
while [ $r -le $ROUNDS ]; do
	for c in $CONFIGS; do
		bench_on "$c"
		ops_per_s $WARM_S >/dev/null || fail "warm-up under $c"
		u0=$(usage_us) t0=$(benchts -n)
		ops=$(ops_per_s $MEASURE_S) || fail "measurement under $c"
		u1=$(usage_us) t1=$(benchts -n)
		cpus=$(fcalc "$((u1 - u0)) / 1e6 / ($t1 - $t0)")
		view=$(bench_cells_view "$c")
		echo "$view" >"$CASE_DIR/view.$c"
		echo "$ops" >>"$CASE_DIR/ops.$c"
		echo "$cpus" >>"$CASE_DIR/cpus.$c"
		log "round $r $c [$view]: $cpus CPUs' worth, $ops bogo ops/s"
		bench_off "$c"
	done
	r=$((r + 1))
done

# shellcheck disable=SC2046 # one number per line
base_cpus=$(median $(cat "$CASE_DIR/cpus.eevdf"))
# shellcheck disable=SC2046
base_ops=$(median $(cat "$CASE_DIR/ops.eevdf"))
bench_header workcons config cpus vs_eevdf cpus_min cpus_max ops_per_s ops_vs_eevdf rounds cells
for c in $CONFIGS; do
	# shellcheck disable=SC2046
	m=$(median $(cat "$CASE_DIR/cpus.$c"))
	# shellcheck disable=SC2046
	o=$(median $(cat "$CASE_DIR/ops.$c"))
	bench_row workcons "$c" "$m" "$(ratio "$m" "$base_cpus")" "$(sort -n "$CASE_DIR/cpus.$c" | head -n 1)" \
		"$(sort -n "$CASE_DIR/cpus.$c" | tail -n 1)" "$o" "$(ratio "$o" "$base_ops")" \
		"$(wc -l <"$CASE_DIR/cpus.$c")" "$(cat "$CASE_DIR/view.$c")"
done
cg_remove "$BENCH_PARENT"
echo ok
