#!/usr/bin/env bash
# bench/vm/run.sh — run the scx_cells VM benchmarks (`make bench`), one qemu boot per comparison.
#
# Usage: bench/vm/run.sh [--out DIR] [--report-only] [NAME...]
#        NAME: isolation ownerwait workcons overhead reconfig footprint (default: all six)
# Env:   VMLINUZ (required unless --report-only), BUILD_DIR (default build),
#        SCX_CELLS_BIN (default $BUILD_DIR/scx_cells): the scheduler binary to benchmark.
#
# Each NAME boots tests/vm/run.sh with the cases bench_common + bench_NAME (TCG single-threaded,
# see docs/benchmarks.md for why; ownerwait multi-threaded, its load on one vCPU per host
# core), retrying once if the boot fails (twice under multi-threaded TCG), collects the case's
# BENCHHDR/BENCHCSV lines into DIR/TABLE.csv, prints the tables, draws DIR/*.png with gnuplot and
# writes DIR/summary.md (environment, tables, goals). --report-only redoes the last three from
# the CSV files already in DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ALL=(isolation ownerwait workcons overhead reconfig footprint)
out='' report_only=0 names=()
while (($#)); do
	case $1 in
	--out) out=${2:?--out needs a value}; shift 2 ;;
	--report-only) report_only=1; shift ;;
	-h | --help) sed -n '3,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	-*) echo "bench/vm/run.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
((${#names[@]})) || names=("${ALL[@]}")
for n in "${names[@]}"; do
	[[ " ${ALL[*]} " == *" $n "* ]] || { echo "bench/vm/run.sh: unknown benchmark '$n' (${ALL[*]})" >&2; exit 2; }
done
BUILD_DIR=${BUILD_DIR:-$repo/build}
out=${out:-$BUILD_DIR/bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)
SCX_CELLS_BIN=${SCX_CELLS_BIN:-$BUILD_DIR/scx_cells}

# Per comparison: vCPUs and per-case timeout (s).
declare -A CPUS=([isolation]=4 [ownerwait]=4 [workcons]=4 [overhead]=4 [reconfig]=8 [footprint]=4)
declare -A TIMEOUT=([isolation]=420 [ownerwait]=300 [workcons]=420 [overhead]=360 [reconfig]=240
	[footprint]=240)
# TCG threading per comparison (default single).
declare -A TCG=([ownerwait]=multi)
# Tables each comparison writes.
declare -A TABLES=([isolation]=isolation [ownerwait]=ownerwait [workcons]=workcons [overhead]=overhead
	[reconfig]="reconfig_new reconfig_publish reconfig_moves" [footprint]=footprint)

host_load() { cut -d' ' -f1-3 /proc/loadavg; }

# run_one NAME: boot, collect; returns non-zero if no attempt passed.
run_one() {
	local name=$1 vmout=$out/vm-$1 attempt rc log t0 t1 load0 load1 tcg=${TCG[$1]:-single}
	log=$vmout/bench_$name.log
	local attempts=2
	[[ $tcg == multi ]] && attempts=3 # its boots crash more often ('Oops: int3')
	for ((attempt = 1; attempt <= attempts; attempt++)); do
		load0=$(host_load)
		t0=$(date +%s)
		echo "== $name: boot $attempt (${CPUS[$name]} vCPUs, TCG $tcg; host load $load0)"
		rc=0
		VMLINUZ=$VMLINUZ BUILD_DIR=$stage "$repo/tests/vm/run.sh" --tcg "$tcg" \
			--cpus "${CPUS[$name]}" --timeout "${TIMEOUT[$name]}" --out "$vmout" \
			bench_common "bench_$name" >"$out/run-$name.log" 2>&1 || rc=$?
		t1=$(date +%s)
		load1=$(host_load)
		sed 's/^/   /' "$out/run-$name.log" | grep -E '^   (PASS|FAIL|vm:)' || true
		if ((rc == 0)); then
			{
				grep -a '^BENCHENV,' "$log" | head -n 1 | cut -d, -f2- | tr ',' '\n'
				echo "host_load_before=$load0"
				echo "host_load_after=$load1"
				echo "wall_s=$((t1 - t0))"
				echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
				echo "scx_cells=$bin_id"
			} >"$out/env-$name.txt"
			for t in ${TABLES[$name]}; do
				{
					grep -a "^BENCHHDR,$t," "$log" | head -n 1 | cut -d, -f3-
					grep -a "^BENCHCSV,$t," "$log" | cut -d, -f3-
				} >"$out/$t.csv"
			done
			return 0
		fi
		echo "   (details: $out/run-$name.log)"
	done
	return 1
}

failed=()
if ((!report_only)); then
	[[ -n ${VMLINUZ:-} ]] || { echo "bench/vm/run.sh: VMLINUZ is not set" >&2; exit 2; }
	# The VM gets a snapshot of the binaries (tests/vm/run.sh packs $BUILD_DIR/scx_cells and
	# $BUILD_DIR/vm-bin/*), so a rebuild by someone else during the ~15 min cannot mix versions.
	stage=$out/stage
	rm -rf "$stage"
	mkdir -p "$stage/vm-bin"
	[[ -x $SCX_CELLS_BIN ]] || { echo "bench/vm/run.sh: no scheduler binary $SCX_CELLS_BIN" >&2; exit 2; }
	cp "$SCX_CELLS_BIN" "$stage/scx_cells"
	cp "$BUILD_DIR"/vm-bin/* "$stage/vm-bin/"
	bin_id="$("$stage/scx_cells" --version 2>&1 | head -n 1 | tr ' ,' '_;') sha256:$(sha256sum "$stage/scx_cells" | cut -c1-12) git:$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" diff --quiet -- src 2>/dev/null || echo +dirty)"
	echo "== scheduler under test: $SCX_CELLS_BIN ($bin_id)"
	start=$(date +%s)
	for n in "${names[@]}"; do
		run_one "$n" || failed+=("$n")
	done
	echo "== all boots: $(($(date +%s) - start)) s"
fi

"$here/report.sh" "$out" "${names[@]}"
if ((${#failed[@]})); then
	echo "bench/vm/run.sh: failed: ${failed[*]}" >&2
	exit 1
fi
