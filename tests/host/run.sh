#!/bin/sh
# tests/host/run.sh — checks of build/scx_cells that run on the host, where the kernel has no
# sched_ext: the "no sched_ext" error, strict option validation, --help/--version, and the
# --dry-run planner on fake cgroup trees and fake sysfs topologies (tests/host/check_plan.py
# checks the JSON plans).
#
# Usage: tests/host/run.sh [-v]        (SCX_CELLS=path overrides build/scx_cells)
# Prints "FAIL: ..." with what was seen for every failed check (-v: "ok: ..." too) and ends with
# "host: N passed, M failed"; exit status 1 if anything failed, 2 if it could not run.

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${SCX_CELLS:-$repo/build/scx_cells}
CHECK_PLAN=$here/check_plan.py
VERBOSE=
[ "${1:-}" = -v ] && VERBOSE=1

[ -x "$BIN" ] || { echo "host: $BIN is missing; run make first" >&2; exit 2; }
command -v python3 >/dev/null || { echo "host: python3 is needed for the plan checks" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/scx_cells_host.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT

PASSED=0
FAILED=0

ok() {
	PASSED=$((PASSED + 1))
	[ -z "$VERBOSE" ] || echo "ok: $*"
}

# bad WHAT: count a failure; the details (what was seen) come from show.
bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $*"
	show
}

# show: the last command, its exit status and output.
show() {
	echo "  command: $LAST_CMD"
	echo "  exit status: $RC"
	sed 's/^/  stdout| /' "$T/out"
	sed 's/^/  stderr| /' "$T/err"
}

# run ARGS...: run scx_cells with ARGS (the word EMPTY stands for an empty argument); stdout in
# $T/out, stderr in $T/err, exit status in RC.
run() {
	LAST_CMD=scx_cells
	_n=$#
	while [ "$_n" -gt 0 ]; do
		_a=$1
		shift
		[ "$_a" = EMPTY ] && _a=
		set -- "$@" "$_a"
		LAST_CMD="$LAST_CMD '$_a'"
		_n=$((_n - 1))
	done
	timeout 20 "$BIN" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# lines FILE: number of lines.
lines() {
	wc -l <"$1" | tr -d ' '
}

# ---- 1. no sched_ext on this host -------------------------------------------------------------
if [ -e /sys/kernel/sched_ext/state ]; then
	echo "note: this host has sched_ext; skipping the 'no sched_ext' checks"
else
	for args in "" "--cell-parent-cgroup /" "--enable-borrowing --enable-rebalancing"; do
		# shellcheck disable=SC2086
		run $args
		if [ "$RC" -eq 1 ] && [ ! -s "$T/out" ] && [ "$(lines "$T/err")" -eq 1 ] &&
			grep -q 'sched_ext' "$T/err"; then
			ok "no sched_ext: '$args' -> one line, exit 1"
		else
			bad "no sched_ext: '$args' should print one line naming sched_ext on stderr and exit 1"
		fi
	done
fi

# ---- 2. invalid options -----------------------------------------------------------------------
# Each line: NEEDLE ARGS... — the single error line must contain NEEDLE (the option, or the
# offending word). EMPTY = an empty argument.
LONG=$(printf 'x%.0s' $(seq 1 120))
while read -r needle args; do
	[ -n "$needle" ] || continue
	case $needle in '#'*) continue ;; esac
	# shellcheck disable=SC2086
	run $args
	errl=$(grep -vc "^Try 'scx_cells --help'" "$T/err")
	if [ "$RC" -eq 2 ] && [ ! -s "$T/out" ] && [ "$errl" -eq 1 ] && [ "$(lines "$T/err")" -le 2 ] &&
		grep -v "^Try 'scx_cells --help'" "$T/err" | grep -qF -- "$needle"; then
		ok "invalid: $args"
	else
		bad "invalid: '$args' should give exactly one error line naming '$needle' and exit 2"
	fi
done <<EOF
--monitor-interval-s --monitor-interval-s 0
--monitor-interval-s --monitor-interval-s -1
--monitor-interval-s --monitor-interval-s -0.5
--monitor-interval-s --monitor-interval-s 0.0
--monitor-interval-s --monitor-interval-s abc
--monitor-interval-s --monitor-interval-s 1x
--monitor-interval-s --monitor-interval-s 0x10
--monitor-interval-s --monitor-interval-s 1e400
--monitor-interval-s --monitor-interval-s nan
--monitor-interval-s --monitor-interval-s inf
--monitor-interval-s --monitor-interval-s 3601
--monitor-interval-s --monitor-interval-s EMPTY
--monitor-interval-s --monitor-interval-s=-2
--demand-smoothing --demand-smoothing 0
--demand-smoothing --demand-smoothing -0.1
--demand-smoothing --demand-smoothing 1.01
--demand-smoothing --demand-smoothing 2
--demand-smoothing --demand-smoothing abc
--demand-smoothing --demand-smoothing nan
--demand-smoothing --demand-smoothing 0.5.5
--rebalance-threshold --rebalance-threshold -1
--rebalance-threshold --rebalance-threshold -0.001
--rebalance-threshold --rebalance-threshold 101
--rebalance-threshold --rebalance-threshold abc
--rebalance-threshold --rebalance-threshold 1e999
--rebalance-threshold --rebalance-threshold 5%
--rebalance-cooldown-s --rebalance-cooldown-s -1
--rebalance-cooldown-s --rebalance-cooldown-s abc
--rebalance-cooldown-s --rebalance-cooldown-s 86401
--cell0-min-cpus --cell0-min-cpus 0
--cell0-min-cpus --cell0-min-cpus -1
--cell0-min-cpus --cell0-min-cpus 1.5
--cell0-min-cpus --cell0-min-cpus abc
--cell0-min-cpus --cell0-min-cpus 65537
--cell0-min-cpus --cell0-min-cpus 99999999999999999999
--max-cells --max-cells 0
--max-cells --max-cells 1
--max-cells --max-cells 257
--max-cells --max-cells -3
--max-cells --max-cells 2.0
--max-cells --max-cells 0x10
--debounce-ms --debounce-ms -1
--debounce-ms --debounce-ms 60001
--debounce-ms --debounce-ms 1.5
--debounce-ms --debounce-ms abc
--slice-us --slice-us 0
--slice-us --slice-us 99
--slice-us --slice-us 1000001
--slice-us --slice-us 1e3
--exit-after-s --exit-after-s -1
--exit-after-s --exit-after-s abc
--test-error-after-ms --test-error-after-ms 0
--test-error-after-ms --test-error-after-ms -1
--test-error-after-ms --test-error-after-ms abc
--monitor --monitor=0
--monitor --monitor=-1
--monitor --monitor=abc
--monitor --monitor 0
--stats-format --stats-format xml
--stats-format --stats-format EMPTY
--cell-exclude --cell-exclude EMPTY
--cell-exclude --cell-exclude a/b
--cell-exclude --cell-exclude .
--cell-exclude --cell-exclude ..
--cell-parent-cgroup --cell-parent-cgroup EMPTY
--sysfs-root --sysfs-root EMPTY
--stats-socket --stats-socket EMPTY
--stats-socket --stats-socket /tmp/$LONG
--metrics-file --metrics-file EMPTY
--metrics-file --metrics-file /tmp/
--metrics-file --metrics-file ..
--cell-parent-cgroup --cell-parent-cgroup
--cell-exclude --cell-exclude
--cell0-min-cpus --cell0-min-cpus
--max-cells --max-cells
--rebalance-threshold --rebalance-threshold
--rebalance-cooldown-s --rebalance-cooldown-s
--demand-smoothing --demand-smoothing
--monitor-interval-s --monitor-interval-s
--debounce-ms --debounce-ms
--slice-us --slice-us
--exit-after-s --exit-after-s
--sysfs-root --sysfs-root
--stats-format --stats-format
--stats-socket --stats-socket
--metrics-file --metrics-file
--test-error-after-ms --test-error-after-ms
--json --json=1
--dry-run --dry-run=yes
--enable-borrowing --enable-borrowing=1
--enable-rebalancing --enable-rebalancing=on
--no-reclaim --no-reclaim=1
--verbose --verbose=2
--bogus --bogus
--bogus --dry-run --bogus
-x -x
--cell --cell
foo foo
foo --dry-run foo
--monitor --monitor --dry-run
EOF

# ---- 3. --help, --version ---------------------------------------------------------------------
OPTIONS="--cell-parent-cgroup --cell-exclude --cell0-min-cpus --max-cells --enable-borrowing
--no-reclaim --borrow-slice-us --enable-rebalancing --rebalance-threshold --rebalance-cooldown-s --demand-smoothing
--monitor-interval-s --monitor --debounce-ms --slice-us --exit-after-s --dry-run --sysfs-root
--stats-format --json --stats-socket --metrics-file --undefok --enable-llc-awareness
--enable-work-stealing --test-error-after-ms --verbose --version --help"
for h in --help -h; do
	run "$h"
	missing=
	for o in $OPTIONS; do
		grep -qE -- "(^|[ ,])$o([ =[]|\$)" "$T/out" || missing="$missing $o"
	done
	if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ -z "$missing" ]; then
		ok "$h mentions every option"
	else
		bad "$h should exit 0, print nothing on stderr and mention every option (missing:${missing:- none})"
	fi
done
# every option the help mentions is known to the parser
run --help
grep -oE -- '--[a-z0-9][a-z0-9-]*' "$T/out" | sort -u >"$T/helpopts"
while read -r o; do
	run "$o" --dry-run --sysfs-root "$T/none"
	if grep -qi 'unknown' "$T/err"; then
		bad "option $o from --help is unknown to the parser"
	else
		ok "option $o from --help is accepted"
	fi
done <"$T/helpopts"
for v in --version -V; do
	run "$v"
	if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ "$(lines "$T/out")" -eq 1 ] &&
		grep -qE '^scx_cells [0-9]+\.[0-9]+' "$T/out"; then
		ok "$v: $(cat "$T/out")"
	else
		bad "$v should print one line 'scx_cells X.Y...' and exit 0"
	fi
done

# ---- 4. --dry-run on fixture trees ------------------------------------------------------------
# mk_sysfs DIR NCPUS LLC_SIZE [ONLINE]: fake sysfs with NCPUS CPUs, 2 SMT threads per core,
# LLCs of LLC_SIZE consecutive CPUs, ONLINE (default all) online.
mk_sysfs() {
	_d=$1/devices/system/cpu
	mkdir -p "$_d"
	echo "0-$(($2 - 1))" >"$_d/possible"
	cp "$_d/possible" "$_d/present"
	echo "${4:-0-$(($2 - 1))}" >"$_d/online"
	_i=0
	while [ "$_i" -lt "$2" ]; do
		mkdir -p "$_d/cpu$_i/topology" "$_d/cpu$_i/cache/index0" "$_d/cpu$_i/cache/index3"
		echo 0 >"$_d/cpu$_i/topology/physical_package_id"
		echo $((_i / 2)) >"$_d/cpu$_i/topology/core_id"
		echo 1 >"$_d/cpu$_i/cache/index0/level"
		echo "$((_i / 2 * 2))-$((_i / 2 * 2 + 1))" >"$_d/cpu$_i/cache/index0/shared_cpu_list"
		echo 3 >"$_d/cpu$_i/cache/index3/level"
		_l=$((_i / $3 * $3))
		echo "$_l-$((_l + $3 - 1))" >"$_d/cpu$_i/cache/index3/shared_cpu_list"
		_i=$((_i + 1))
	done
}

# mk_tree DIR CHILD[=CPUSET]...: fake cgroup parent with children, optionally with cpuset.cpus.
mk_tree() {
	_p=$1
	shift
	rm -rf "$_p"
	mkdir -p "$_p"
	for _c in "$@"; do
		mkdir -p "$_p/${_c%%=*}"
		case $_c in *=*) echo "${_c#*=}" >"$_p/${_c%%=*}/cpuset.cpus" ;; esac
	done
}

# plan WHAT SYSFS TREE [SCX_ARGS...] -- [CHECK_ARGS...]: dry-run in JSON, check the plan.
plan() {
	_what=$1 _sys=$2 _tree=$3
	shift 3
	_sa=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_sa="$_sa $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	run --dry-run --json --sysfs-root "$_sys" --cell-parent-cgroup "$_tree" $_sa
	if [ "$RC" -ne 0 ]; then
		bad "dry-run $_what: exit status $RC, want 0"
		return
	fi
	if _why=$(python3 "$CHECK_PLAN" "$@" <"$T/out"); then
		ok "dry-run $_what"
	else
		bad "dry-run $_what: $_why"
	fi
}

S4=$T/sys4
S8=$T/sys8
S8OFF=$T/sys8off
S4OFF=$T/sys4off
S1=$T/sys1
mk_sysfs "$S4" 4 4
mk_sysfs "$S4OFF" 4 4 0-2
mk_sysfs "$S1" 2 2 0
mk_sysfs "$S8" 8 4
mk_sysfs "$S8OFF" 8 4 0-2,4-7
CG=$T/cg

mk_tree "$CG" a b c
plan "4 CPUs, 3 children" "$S4" "$CG" -- --online 0-3 --cells a,b,c --all-placed --min-root 1
plan "8 CPUs in 2 LLCs, 3 children: LLC and core packing" "$S8" "$CG" -- \
	--online 0-7 --cells a,b,c --all-placed --groups 0-3/4-7
plan "8 CPUs, 3 children: SMT cores kept whole" "$S8" "$CG" -- \
	--groups 0-1/2-3/4-5/6-7 --all-placed
plan "CPU 3 offline" "$S8OFF" "$CG" -- --online 0-2,4-7 --cells a,b,c --all-placed

# text output of the same
run --dry-run --sysfs-root "$S4" --cell-parent-cgroup "$CG"
if [ "$RC" -eq 0 ] && grep -qE '^1 +a ' "$T/out" && grep -qE '^2 +b ' "$T/out" &&
	grep -qE '^3 +c ' "$T/out" && grep -qE '^0 +\(root\)' "$T/out"; then
	ok "dry-run text output lists (root), a, b, c"
else
	bad "dry-run text output should list cells 0 (root), 1 a, 2 b, 3 c"
fi

mk_tree "$CG" a=2-3 b=0-3 c
plan "cpusets a=2-3 b=0-3" "$S4" "$CG" -- --online 0-3 --cells a,b,c --all-placed --min-root 1 \
	--cpuset a=2-3 --cpuset b=0-3

mk_tree "$CG" a=0-3 b=0-3 c=0-3
plan "every child's cpuset is 0-3, --cell0-min-cpus 1" "$S4" "$CG" --cell0-min-cpus 1 -- \
	--online 0-3 --min-root 1
plan "every child's cpuset is 0-3, --cell0-min-cpus 2" "$S4" "$CG" --cell0-min-cpus 2 -- \
	--online 0-3 --min-root 2
plan "every child's cpuset is 0-3, --cell0-min-cpus 3" "$S4" "$CG" --cell0-min-cpus 3 -- \
	--online 0-3 --min-root 3

mk_tree "$CG" a=0-3 b=0-3 c=0-3 d e f
plan "6 children (3 with cpuset 0-3) on 4 CPUs, --cell0-min-cpus 1" "$S4" "$CG" -- --online 0-3 \
	--min-root 1 --max-placed 3 --min-unplaced 3
plan "6 children (3 with cpuset 0-3) on 4 CPUs, --cell0-min-cpus 2" "$S4" "$CG" --cell0-min-cpus 2 \
	-- --online 0-3 --min-root 2 --max-placed 2 --min-unplaced 4
mk_tree "$CG" a b c d e f
plan "6 children on 4 CPUs" "$S4" "$CG" -- --online 0-3 --cells a,b,c,d,e,f --min-root 1 \
	--max-placed 3 --min-unplaced 3
plan "--max-cells 3 with 6 children" "$S4" "$CG" --max-cells 3 -- --online 0-3 --cells a,b \
	--waiting c,d,e,f --all-placed
plan "--cell-exclude b" "$S4" "$CG" --cell-exclude b --cell-exclude d -- --online 0-3 --cells a,c,e,f

mk_tree "$CG" a
plan "1 child, --cell0-min-cpus 3 on 4 CPUs" "$S4" "$CG" --cell0-min-cpus 3 -- --online 0-3 --min-root 3 \
	--all-placed
mk_tree "$CG" a b c
plan "3 children, --cell0-min-cpus 2 on 8 CPUs" "$S8" "$CG" --cell0-min-cpus 2 -- --online 0-7 \
	--min-root 2 --all-placed
mk_tree "$CG" a b
plan "1 online CPU, 2 children" "$S1" "$CG" -- --online 0 --cells a,b --min-root 1 --max-placed 0
mk_tree "$CG" a=3 b
plan "cpuset only on an offline CPU" "$S4OFF" "$CG" -- --online 0-2 --cells a,b --max-placed 1
mk_tree "$CG" a=0-3 b
echo 2 >"$CG/a/cpuset.cpus.effective"
plan "cpuset.cpus.effective (2) wins over cpuset.cpus (0-3)" "$S4" "$CG" -- --online 0-3 \
	--cpuset a=2 --all-placed

mk_tree "$CG" a b
mkdir -p "$CG/a/sub1/deeper" "$CG/b/sub2"
plan "grandchildren do not become cells" "$S8" "$CG" -- --online 0-7 --cells a,b --all-placed

# cpu.weight / cpu.max (issue #14): shares by weight beside the root's 100, caps ceil(quota/period)
mk_tree "$CG" a b
echo 100 >"$CG/a/cpu.weight"
echo 300 >"$CG/b/cpu.weight"
# 8 CPUs, weights 100 (root) : 100 : 300 -> 1.6 / 1.6 / 4.8: a and b split 1 : 3 up to rounding
plan "cpu.weight 100 vs 300 on 8 CPUs" "$S8" "$CG" -- --online 0-7 --all-placed \
	--weight a=100 --weight b=300 --weight "(root)=100" --nr a=1-2 --nr b=4-5 --nr "(root)=1-2" \
	--why a=share --why b=share --cap a=none --cap b=none
plan "--equal-shares ignores cpu.weight" "$S8" "$CG" --equal-shares -- --online 0-7 \
	--nr a=2-3 --nr b=2-3 --nr "(root)=2-3"
echo "150000 100000" >"$CG/a/cpu.max"
echo 10000 >"$CG/a/cpu.weight"
plan "cpu.max of 1.5 CPUs caps a cell at 2, whatever its weight" "$S8" "$CG" -- --online 0-7 \
	--cap a=2 --nr a=2 --why a=cap --weight a=10000 --cap b=none
echo "100000 100000" >"$CG/b/cpu.max"
plan "every workload cell capped: the root cell takes the rest" "$S8" "$CG" -- --online 0-7 \
	--nr a=2 --nr b=1 --nr "(root)=5" --why "(root)=leftover"
run --dry-run --sysfs-root "$S8" --cell-parent-cgroup "$CG"
if [ "$RC" -eq 0 ] && grep -qE '^cell +cgroup +cpuset +weight +cap +cpus +why ' "$T/out" &&
	grep -qE '^1 +a +- +10000 +2 +2 +cap ' "$T/out" &&
	grep -qE '^0 +\(root\) +- +100 +- +5 +leftover ' "$T/out"; then
	ok "dry-run text output shows weight, cap and why"
else
	bad "dry-run text output should show weight, cap and why: $(cat "$T/out")"
fi
echo "lots" >"$CG/a/cpu.weight"
echo "max" >"$CG/a/cpu.max"
run --dry-run --json --sysfs-root "$S8" --cell-parent-cgroup "$CG"
if [ "$RC" -eq 0 ] && grep -q 'a/cpu.weight (cpu.weight "lots" is not an integer in 1..10000); using the default' "$T/err" &&
	python3 "$CHECK_PLAN" --weight a=100 --cap a=none <"$T/out" >/dev/null; then
	ok "dry-run: a malformed cpu.weight is a warning and the default"
else
	bad "dry-run: a malformed cpu.weight should warn and use 100 (rc $RC): $(cat "$T/err")"
fi
rm -f "$CG/a/cpu.weight" "$CG/a/cpu.max" "$CG/b/cpu.weight" "$CG/b/cpu.max"

# determinism: the same inputs give the same plan
mk_tree "$CG" a=1-2 b c d
run --dry-run --json --sysfs-root "$S8" --cell-parent-cgroup "$CG"
cp "$T/out" "$T/plan1"
same=1
for _ in 1 2 3 4 5; do
	run --dry-run --json --sysfs-root "$S8" --cell-parent-cgroup "$CG"
	cmp -s "$T/out" "$T/plan1" || same=
done
if [ -n "$same" ]; then ok "dry-run is deterministic (6 runs)"; else bad "dry-run gave different plans for the same inputs (first: $(cat "$T/plan1"))"; fi

# dry-run errors: one line, exit 1
for args in "--cell-parent-cgroup $T/nonexistent --sysfs-root $S4" \
	"--cell-parent-cgroup $T/plan1 --sysfs-root $S4" \
	"--cell-parent-cgroup $CG --sysfs-root $T/nonexistent"; do
	# shellcheck disable=SC2086
	run --dry-run $args
	if [ "$RC" -eq 1 ] && [ "$(lines "$T/err")" -eq 1 ] && [ ! -s "$T/out" ]; then
		ok "dry-run error: $args -> $(cat "$T/err")"
	else
		bad "dry-run $args should print one error line and exit 1"
	fi
done

# ---- --cell-config: rules on a fake Kubernetes tree (dry-run), bad files -------------------------
K8=$T/k8
rm -rf "$K8"
mkdir -p "$K8/kubepods.slice/burstable.slice/poda/ctr1" "$K8/kubepods.slice/burstable.slice/podb" \
	"$K8/kubepods.slice/besteffort.slice/podc" "$K8/system.slice/x" "$K8/web.slice/inner" \
	"$K8/other.slice"
echo 50 >"$K8/kubepods.slice/burstable.slice/podb/cpu.weight" # the rule's weight wins
echo "100000 100000" >"$K8/kubepods.slice/burstable.slice/podb/cpu.max" # 1 CPU: below max_cpus
cat >"$T/rules.json" <<'EOF2'
{"rules": [
  {"match": "kubepods.slice/*/pod*", "max_cpus": 2, "weight": 300},
  {"match": "kubepods.slice/besteffort.slice/*", "lend": false},
  {"match": "web.slice", "min_cpus": 3, "borrow": false, "latency_sensitive": true},
  {"match": "web.slice/inner"},
  {"match": "system.slice", "lend": false}
]}
EOF2
run --dry-run --json --sysfs-root "$S8" --cell-config "$T/rules.json" --cgroup-root "$K8"
if [ "$RC" -eq 0 ] && _why=$(python3 "$CHECK_PLAN" --online 0-7 --all-placed \
	--cells poda,podb,podc,web.slice,system.slice --nr web.slice=3 --why web.slice=floor \
	--cap poda=2 --cap podb=1 --weight poda=300 --weight podb=300 <"$T/out"); then
	ok "dry-run --cell-config: pods two levels down are cells; min, max, weight apply"
else
	bad "dry-run --cell-config on a fake Kubernetes tree: ${_why:-exit $RC}"
fi
if python3 - "$T/out" <<'EOF2'
import json, sys
p = json.load(open(sys.argv[1]))
def rel(c):
    return c["cgroup"][c["cgroup"].index("k8/") + 3:] if "k8/" in c["cgroup"] else ""
cells = {rel(c): c for c in p["cells"] if c["id"]}
def cpus(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out
want = {"kubepods.slice/burstable.slice/poda": 0, "kubepods.slice/burstable.slice/podb": 0,
        "kubepods.slice/besteffort.slice/podc": 0, "web.slice": 2, "system.slice": 4}
assert set(cells) == set(want), f"cells {sorted(cells)}"
for name, rule in want.items():
    assert cells[name]["rule"] == rule, f"{name}: rule {cells[name]['rule']}, want {rule}"
web, system = cells["web.slice"], cells["system.slice"]
assert web["borrowable"] == "" and not web["borrow"] and web["latency_sensitive"], f"web {web}"
assert web["min"] == 3, f"web min {web['min']}"
assert not system["lend"], f"system {system}"
for c in p["cells"]:
    assert not cpus(c["borrowable"]) & cpus(system["primary"]), \
        f"cell {c['id']} may borrow system.slice's CPUs: {c['borrowable']} vs {system['primary']}"
EOF2
then
	ok "dry-run --cell-config: first match wins, borrow/lend flags on the borrowable masks"
else
	bad "dry-run --cell-config: rules, flags or masks wrong (see the assertion above)"
fi
run --dry-run --sysfs-root "$S8" --cell-config "$T/rules.json" --cgroup-root "$K8"
if [ "$RC" -eq 0 ] &&
	grep -qF 'kubepods.slice/burstable.slice/poda: rules[0] "kubepods.slice/*/pod*"' "$T/out" &&
	grep -qF 'web.slice: rules[2] "web.slice" (min 3, borrow no, lend yes, latency_sensitive yes)' "$T/out" &&
	! grep -q 'inner' "$T/out"; then
	ok "dry-run --cell-config text output names each cell's rule"
else
	bad "dry-run --cell-config text output should name each cell's rule"
fi
# bad files and combinations: exit 2 with the place of the error, before anything is loaded
printf '{"rules": [\n  {"match": "a/*",}\n]}\n' >"$T/bad1.json"
printf '{"rules": [{"match": "a/*", "max_cpus": 0}]}\n' >"$T/bad2.json"
printf '{"rules": [{"match": "a/*", "wieght": 3}]}\n' >"$T/bad3.json"
for spec in "bad1.json:$T/bad1.json:2:" "bad2.json:rules[0].max_cpus: 0 is out of range" \
	"bad3.json:rules[0]: unknown field \"wieght\"" "nonexistent.json:cannot open the cell config"; do
	_f=${spec%%:*} _want=${spec#*:}
	for mode in --dry-run ""; do
		# shellcheck disable=SC2086
		run $mode --cell-config "$T/$_f" --sysfs-root "$S8"
		if [ "$RC" -eq 2 ] && grep -qF -- "$_want" "$T/err" && [ ! -s "$T/out" ]; then
			ok "--cell-config $_f ${mode:-(daemon)}: exit 2, '$(cat "$T/err")'"
		else
			bad "--cell-config $_f ${mode:-(daemon)} should exit 2 naming '$_want'"
		fi
	done
done
run --cell-config "$T/rules.json" --cell-parent-cgroup /work
if [ "$RC" -eq 2 ] && grep -q 'cannot be combined' "$T/err"; then
	ok "--cell-config with --cell-parent-cgroup: exit 2"
else
	bad "--cell-config with --cell-parent-cgroup should exit 2"
fi
run --dry-run --cgroup-root "$K8"
if [ "$RC" -eq 2 ] && grep -q 'only applies to --cell-config' "$T/err"; then
	ok "--cgroup-root without --cell-config: exit 2"
else
	bad "--cgroup-root without --cell-config should exit 2"
fi

# ---- install, systemd unit, man page ------------------------------------------------------------
. "$here/install.sh"

# ---- the Debian package ------------------------------------------------------------------------
. "$here/deb.sh"

# ---- building with the system's toolchain (TOOLCHAIN=system) -------------------------------------
. "$here/toolchain.sh"

# ---- the --metrics-file format (promtool) --------------------------------------------------------
. "$here/metrics.sh"

echo "host: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
