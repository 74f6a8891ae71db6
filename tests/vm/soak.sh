#!/usr/bin/env bash
# tests/vm/soak.sh — the long soak (`make soak`; not part of `make test` or CI).
#
# Usage: tests/vm/soak.sh            Env: SOAK_MIN (minutes, default 30), VMLINUZ, BUILD_DIR,
#        SOAK_OUT (default $BUILD_DIR/vm-soak), extra run.sh options in SOAK_RUN_OPTS.
#
# Boots one VM (4 vCPUs) and runs tests/vm/cases/soak.sh for SOAK_MIN minutes: cgroup churn,
# cpuset writes, CPU hotplug, borrowing and rebalancing together, checked after every round (no
# exit, no stall, no leaked cell id, daemon RSS flat; see the case's header). The minutes reach
# the guest as the kernel command-line word scx_soak_min=N (VM_APPEND). Prints the case's
# "SOAK:" summary line and run.sh's result; exit status is run.sh's.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
export BUILD_DIR
min=${SOAK_MIN:-30}
[[ $min =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: SOAK_MIN must be a positive integer, got '$min'" >&2; exit 2; }
out=${SOAK_OUT:-$BUILD_DIR/vm-soak}
# The case runs for $min minutes, then stops the daemon; 10 minutes of margin for the last
# round, the restarts and the checks (run.sh multiplies it by the time scale for its host-side
# limit).
timeout=$((min * 60 + 600))
read -r -a extra <<<"${SOAK_RUN_OPTS:-}"
echo "soak: $min min, output in $out (case log $out/soak.log)"
VM_APPEND="scx_soak_min=$min${VM_APPEND:+ $VM_APPEND}" \
	"$here/run.sh" --out "$out" --timeout "$timeout" "${extra[@]}" soak
rc=$?
grep -h '^SOAK:' "$out/soak.log" 2>/dev/null || echo "soak: no SOAK: line in $out/soak.log"
exit $rc
