#!/usr/bin/env bash
# scx_cells, one command per job. Each bootstraps what it needs first (scripts/bootstrap.sh:
# Debian/Ubuntu packages, Debian sid's sched_ext kernel, libbpf/bpftool), cached in
# ~/.cache/scx_cells, so later runs are fast and work offline.
#
#   ./run.sh demo     boot the bundled sched_ext VM and show scx_cells scheduling cells live
#   ./run.sh test     build and run every test suite (unit tests on the host, VM tests)
#   ./run.sh bench    planner benchmarks (host)
#
# Run as root on Debian 12/13 or Ubuntu (package installation needs it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

usage() {
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

job=${1:-}
case "$job" in
demo | test | bench) ;;
-h | --help | help)
	usage
	exit 0
	;;
*)
	usage >&2
	exit 2
	;;
esac

scripts/bootstrap.sh
case "$job" in
demo) exec make --no-print-directory demo ;;
test) exec make --no-print-directory test ;;
bench) exec make --no-print-directory bench-plan ;;
esac
