#!/bin/sh
# bench_overhead: scheduling overhead. hackbench (pipes, processes) with all its tasks in one
# cgroup, work/bench (one cell under scx_cells), timed in two set-ups:
#   1cpu:    work/bench has cpuset.cpus = the last CPU under every scheduler, so all tasks share
#            one vCPU: the time is the cost of the switches themselves, without the cross-vCPU
#            wake-ups that qemu's single-threaded TCG makes very expensive (and the schedulers
#            place differently). Schedulers: EEVDF, scx_simple, scx_cells (the cell = that CPU).
#   spread:  no cpuset. EEVDF, scx_simple, scx_cells with no cell parent (every task in the root
#            cell, all CPUs), scx_cells with work/bench as its one cell (NCPUS - 1 CPUs, the root
#            cell keeps one) plain and with borrowing.
# Configurations interleaved over ROUNDS rounds. Table "overhead": median and best time per
# configuration and their ratios to EEVDF and scx_simple of the same set-up; host load only ever
# slows a run down, so the best of several is the estimate least disturbed by it.
# Benchmark: run by name only.
# shellcheck source=bench_common.sh
. /tests/cases/bench_common.sh

CONFIGS="1cpu:eevdf 1cpu:simple 1cpu:cells spread:eevdf spread:simple spread:cells_root spread:cells spread:cells_borrow"
ROUNDS=3
HB_ARGS="-p -g 4 -f 10 -l 150"
LAST_CPU=$((NCPUS - 1))

bench_env
cg_create "$BENCH_PARENT/bench" >/dev/null

# hb: one hackbench run in work/bench; prints its time in seconds.
hb() {
	# shellcheck disable=SC2086 # HB_ARGS is a list of options
	_o=$(in_cgroup "$BENCH_PARENT/bench" hackbench $HB_ARGS 2>&1) || { echo "hackbench failed: $_o" >&2; return 1; }
	echo "$_o" | sed -n 's/^Time: *//p'
}

r=1
while [ $r -le $ROUNDS ]; do
	for sc in $CONFIGS; do
		setup=${sc%%:*} c=${sc#*:}
		if [ "$setup" = 1cpu ]; then
			cg_set_cpus "$BENCH_PARENT/bench" "$LAST_CPU"
		else
			echo "" >"$CGROUP_ROOT/$BENCH_PARENT/bench/cpuset.cpus" || fail "cannot reset the cpuset"
		fi
		bench_on "$c"
		hb >/dev/null || fail "warm-up under $sc"
		t=$(hb) || fail "hackbench under $sc"
		view=$(bench_cells_view "$c")
		echo "$view" >"$CASE_DIR/view.$setup.$c"
		echo "$t" >>"$CASE_DIR/t.$setup.$c"
		log "round $r $sc [$view]: $t s"
		bench_off "$c"
	done
	r=$((r + 1))
done

# med SETUP CONFIG, best SETUP CONFIG: median and shortest time.
med() {
	# shellcheck disable=SC2046 # one number per line
	median $(cat "$CASE_DIR/t.$1.$2")
}
best() {
	sort -n "$CASE_DIR/t.$1.$2" | head -n 1
}
bench_header overhead setup config median_s vs_eevdf vs_simple best_s best_vs_eevdf best_vs_simple max_s rounds hackbench cells
for sc in $CONFIGS; do
	setup=${sc%%:*} c=${sc#*:}
	m=$(med "$setup" "$c") b=$(best "$setup" "$c")
	bench_row overhead "$setup" "$c" "$m" "$(ratio "$m" "$(med "$setup" eevdf)")" \
		"$(ratio "$m" "$(med "$setup" simple)")" "$b" "$(ratio "$b" "$(best "$setup" eevdf)")" \
		"$(ratio "$b" "$(best "$setup" simple)")" "$(sort -n "$CASE_DIR/t.$setup.$c" | tail -n 1)" \
		"$(wc -l <"$CASE_DIR/t.$setup.$c")" "$(echo "$HB_ARGS" | tr ' ' '_')" \
		"$(cat "$CASE_DIR/view.$setup.$c")"
done
cg_remove "$BENCH_PARENT"
echo ok
