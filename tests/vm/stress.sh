#!/usr/bin/env bash
# tests/vm/stress.sh — the VM suite on a busy host (`make test-stress`).
#
# Usage: tests/vm/stress.sh [RUNS]      (default: $STRESS_RUNS, else 1)
# Env:   VMLINUZ, BUILD_DIR as for run.sh; VM_CPUS (default 4); STRESS_HOGS (default: one
#        per host core, `nproc`); extra run.sh options in STRESS_RUN_OPTS.
#
# Starts STRESS_HOGS CPU hogs (stress-ng --cpu) on the host, then runs the VM suite RUNS
# times in a row the way `make vm-test` does (every case on VM_CPUS vCPUs, then the llc_* cases on a
# two-LLC VM), each run into its own $BUILD_DIR/vm-stress-N{,-llc}. The hogs are stopped when
# this script ends, however it ends (a trap; and stress-ng's own --timeout as a backstop if
# this script is SIGKILLed). Prints one summary line per run and the total; exit status 0 iff
# every run had no failure (run.sh's status 3, emulator events only, counts as no failure but
# is reported).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
runs=${1:-${STRESS_RUNS:-1}}
hogs=${STRESS_HOGS:-$(nproc)}
vm_cpus=${VM_CPUS:-4}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "stress.sh: RUNS must be a positive integer, got '$runs'" >&2; exit 2; }
[[ $hogs =~ ^[0-9]+$ ]] || { echo "stress.sh: STRESS_HOGS must be a number, got '$hogs'" >&2; exit 2; }
command -v stress-ng >/dev/null || { echo "stress.sh: stress-ng is not installed" >&2; exit 2; }

hog_pid=
stop_hogs() {
	[[ -n $hog_pid ]] || return 0
	kill -INT "$hog_pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$hog_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$hog_pid" 2>/dev/null
	wait "$hog_pid" 2>/dev/null
	hog_pid=
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

if ((hogs > 0)); then
	# --timeout: a backstop in case this script is killed without running its trap.
	stress-ng --cpu "$hogs" --cpu-method int64 --timeout 4h --quiet &
	hog_pid=$!
	sleep 1
	kill -0 "$hog_pid" 2>/dev/null || { echo "stress.sh: stress-ng did not start" >&2; exit 2; }
fi
echo "stress: $hogs CPU hogs on $(nproc) host cores (stress-ng pid ${hog_pid:-none}); $runs run(s)"

# STRESS_RUN_OPTS: extra run.sh options, word-split on purpose.
read -r -a extra <<<"${STRESS_RUN_OPTS:-}"
bad=0 summary=()
mapfile -t llc_cases < <(cd "$here/cases" && ls llc_*.sh | sed 's/\.sh$//')
for ((i = 1; i <= runs; i++)); do
	t0=$SECONDS
	o=$BUILD_DIR/vm-stress-$i
	BUILD_DIR=$BUILD_DIR "$here/run.sh" --cpus "$vm_cpus" --out "$o" "${extra[@]}" all | tee "$o.log"
	rc1=${PIPESTATUS[0]}
	VM_SMP=4,sockets=2,cores=2 BUILD_DIR=$BUILD_DIR "$here/run.sh" --out "$o-llc" "${extra[@]}" \
		"${llc_cases[@]}" | tee "$o-llc.log"
	rc2=${PIPESTATUS[0]}
	line="run $i: $(grep -h '^vm: [0-9]* passed' "$o.log" "$o-llc.log" | sed 's/^vm: //' | paste -sd ';' -)"
	line+="; $((SECONDS - t0)) s; run.sh status $rc1/$rc2"
	{ ((rc1 == 0 || rc1 == 3)) && ((rc2 == 0 || rc2 == 3)); } || bad=$((bad + 1))
	summary+=("$line")
	echo "stress: $line"
done
stop_hogs
echo "stress: ---- summary ($hogs host CPU hogs) ----"
printf 'stress: %s\n' "${summary[@]}"
echo "stress: $((runs - bad)) of $runs runs without failures"
((bad == 0))
