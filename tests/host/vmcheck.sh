# shellcheck shell=sh
# tests/host/vmcheck.sh — the VM cases' checker tool (tests/vm/tools/vmcheck.c) on sample input,
# sourced by tests/host/run.sh (uses its ok/bad/show, $T, $repo).
#
# 1. tests/vm/lib.sh's helpers that call vmcheck print exactly what they printed when they were
#    sed/awk pipelines (tests/host/vmcheck/helpers.expected, recorded from the old libraries).
# 2. vmcheck itself: any key order, escaped names, a line still being written, and malformed
#    input (JSON, cpulists, arguments): exit status 2 with a message, never an answer.

VMCHECK=${VMCHECK:-$repo/build/vm-bin/vmcheck}
VMCHECK_DATA=$repo/tests/host/vmcheck
export VMCHECK VMCHECK_DATA

# vc WHAT WANT_RC WANT_OUT ARGS...: run vmcheck ARGS; pass iff the exit status is WANT_RC, stdout
# is WANT_OUT and, for status 2, stderr names the problem (starts with "vmcheck: ").
vc() {
	_what=$1 _want_rc=$2 _want_out=$3
	shift 3
	LAST_CMD="vmcheck $*"
	"$VMCHECK" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq "$_want_rc" ] && [ "$(cat "$T/out")" = "$_want_out" ] &&
		{ [ "$RC" -ne 2 ] || grep -q '^vmcheck: ' "$T/err"; }; then
		ok "vmcheck: $_what"
	else
		bad "vmcheck: $_what: want exit $_want_rc and output '$_want_out'"
	fi
}

if [ ! -x "$VMCHECK" ]; then
	: >"$T/out"
	: >"$T/err"
	LAST_CMD="test -x $VMCHECK" RC=1
	bad "$VMCHECK is missing; run make host-test (it builds it)"
else
	# ---- 1. the shell helpers, old outputs ----
	_sh="sh"
	command -v busybox >/dev/null && _sh="busybox sh" # the VM's shell
	LAST_CMD="$_sh -c '. tests/vm/lib.sh; . tests/host/vmcheck/helpers.sh'"
	# shellcheck disable=SC2086 # "busybox sh"
	$_sh -c ". '$repo/tests/vm/lib.sh'; . '$VMCHECK_DATA/helpers.sh'" >"$T/helpers.out" 2>&1
	RC=$?
	if cmp -s "$T/helpers.out" "$VMCHECK_DATA/helpers.expected"; then
		ok "lib.sh helpers through vmcheck: $(grep -c '^=== ' "$T/helpers.out") calls print what the sed/awk helpers printed"
	else
		diff "$VMCHECK_DATA/helpers.expected" "$T/helpers.out" | head -n 40 >"$T/out"
		: >"$T/err"
		bad "lib.sh helpers through vmcheck differ from helpers.expected (diff expected seen)"
	fi

	# ---- 2. the tool ----
	L=$T/vc.log
	# Keys in another order than the daemon's, an escaped name, a \u escape and a surrogate pair.
	cat >"$L" <<'EOT'
scx_cells: starting
{"t":1.000,"cells":[{"cpus":"0-1","cgroup":"(root)","id":0,"nr_cpus":2},{"nr_cpus":1,"id":1,"cgroup":"ba\"tch","cpus":"2"},{"cgroup":"caf\u00e9\ud83d\ude00","cpus":"","id":2}],"queue":{"borrowed":1.5,"idle":2.25},"plans":7}
EOT
	vc "cells in any key order, names unescaped" 0 "0 (root) 0-1
1 ba\"tch 2
2 café😀 " cells "$L"
	vc "a field of a cell named with a quote" 0 1 cell "$L" 'ba"tch' nr_cpus
	vc "a nested field" 0 2.25 top "$L" queue.idle
	vc "an absent field prints nothing" 0 "" cell "$L" web nr_cpus
	vc "partition of 0-2" 0 "" partition "$L" 0-2
	vc "partition misses an online CPU" 1 " online cpu 3 is in no cell; cells: 0:(root)=0-1 1:ba\"tch=2 2:café😀= " partition "$L" 0-3
	vc "cmp on a top-level field" 0 "" cmp "$L" "" plans ">=" 7
	# A line still being written (no newline yet) is not the latest stats line.
	printf '{"t":2.000,"cells":[{"id":0,"cgroup":"(root)","cpus":"0-3"' >>"$L"
	vc "a line without its newline is ignored" 0 "0-1" cell "$L" "(root)" cpus
	vc "agg over the complete lines" 0 "2.2" agg "$L" 0 max - idle
	vc "agg after the last line prints nothing" 0 "" agg "$L" 5 mean - idle
	# Malformed latest lines: exit 2, no answer.
	for bad_line in '{"t":1,"cells":[}' '{"t":1} trailing' '{"t":"bad \q escape"}' \
		'{"t":"unterminated' '{"t":01}' '{"t":1,"x":tru}' '{"t":"\ud800"}' \
		'{"t":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}'; do
		printf '%s\n' "$bad_line" >"$T/bad.log"
		vc "malformed stats line $bad_line" 2 "" cells "$T/bad.log"
	done
	vc "a missing log" 2 "" cells "$T/no-such.log"
	vc "a log without stats lines" 0 "" cells "$VMCHECK_DATA/empty.log"
	# cpulists
	vc "expand" 0 "0 1 2 5 8 9 " expand "8-9,0-2,5"
	vc "count with overlapping ranges" 0 4 count "0-2,1-3"
	vc "subset" 0 "" subset "1,3" "0-3"
	vc "not a subset" 1 "" subset "1,4" "0-3"
	vc "intersect" 0 "" intersect "0-1" "1-2"
	vc "disjoint" 1 "" intersect "0-1" "2-3"
	for bad_list in "3-1" "a" "1,,2" ",1" "1-" "gone" "1 2"; do
		vc "malformed cpulist '$bad_list'" 2 "" subset "$bad_list" "0-3"
	done
	# bench_split: the placed cells of a --dry-run --json plan under a parent (c is unplaced).
	LAST_CMD="vmcheck split /sys/fs/cgroup/work/ <plan.json"
	"$VMCHECK" split /sys/fs/cgroup/work/ <"$VMCHECK_DATA/plan.json" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq 0 ] && [ "$(cat "$T/out")" = "a=1-2 b=3 " ]; then
		ok "vmcheck: split of a dry-run plan, as bench_split's sed printed it"
	else
		bad "vmcheck: split should print 'a=1-2 b=3 '"
	fi
	LAST_CMD="echo '{\"cells\":[' | vmcheck split /x/"
	echo '{"cells":[' | "$VMCHECK" split /x/ >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq 2 ] && [ ! -s "$T/out" ] && grep -q '^vmcheck: split: ' "$T/err"; then
		ok "vmcheck: split of a malformed plan is an error"
	else
		bad "vmcheck: split of a malformed plan should exit 2 with a message"
	fi
	vc "t_ms with a bad regular expression" 2 "" t_ms "$L" 0 "("
	vc "t_ms of a line that does not exist" 1 "" t_ms "$L" 9 ""
	vc "fcmp" 0 "" fcmp 2.5 ">" 2.49
	vc "fcmp false" 1 "" fcmp 2.5 "<" 2.49
	vc "fcmp with a non-number" 2 "" fcmp x ">" 1
	vc "fcmp with an unknown operator" 2 "" fcmp 1 "!=" 1
	vc "cmp with an unknown operator" 2 "" cmp "$L" "" plans "=" 7
	vc "median, even count: lower middle" 0 3 median 4 3 1 9
	vc "median of a non-number" 2 "" median 1 x
	# calc (fcalc): awk's precedence and conditional; errors, never a number.
	vc "calc: * before +, left to right" 0 "-1.000" calc "12 / 4 / 3 - 1 * 2"
	vc "calc: a comparison in a conditional" 0 "0.500" calc "1 / (0 >= 1 ? 0 : 2)"
	vc "calc: no division by zero in the branch not taken" 0 "7.000" calc "1 > 0 ? 7 : 1 / 0"
	for bad_expr in "1 / 0" "1 +" "(1" "2 3" "x" "" "1 ? 2"; do
		vc "calc of '$bad_expr' is an error" 2 "" calc "$bad_expr"
	done
	# busy (busy_pct) and min_pct: malformed input is an error.
	LAST_CMD="printf 'cpu0 1 2 3\\n' | vmcheck busy"
	printf 'cpu0 1 2 3\n' | "$VMCHECK" busy >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq 2 ] && [ ! -s "$T/out" ] && grep -q '^vmcheck: busy: ' "$T/err"; then
		ok "vmcheck: busy without the second snapshot is an error"
	else
		bad "vmcheck: busy without a line -- should exit 2 with a message"
	fi
	for bad_stat in 'cpu0 1 x 3' 'cpu0 1 2 3'; do
		LAST_CMD="printf '$bad_stat\\n--\\n$bad_stat\\n' | vmcheck busy 3-1"
		printf '%s\n--\n%s\n' "$bad_stat" "$bad_stat" | "$VMCHECK" busy 3-1 >"$T/out" 2>"$T/err"
		RC=$?
		if [ "$RC" -eq 2 ] && [ ! -s "$T/out" ] && grep -q '^vmcheck: ' "$T/err"; then
			ok "vmcheck: busy of '$bad_stat' over the CPUs 3-1 is an error"
		else
			bad "vmcheck: busy of '$bad_stat' over 3-1 should exit 2 with a message"
		fi
	done
	vc "min_pct skips what is not cpuN=PCT" 0 "5" min_pct "cpux=1 cpu2=7 total=0 cpu10=5 "
	vc "min_pct of a non-number" 2 "" min_pct "cpu1=x"
	# run.sh's host-side view of qemu: what its awk printed on a sample console and monitor log
	# (stalls.expected, recorded with the run.sh of commit de547e5; its whole-run sentence as
	# numbers): a case cut off without END, a duplicate BEGIN, an END without BEGIN, a starved
	# stretch and a stopped one (the latter alone starved at 1 %).
	LAST_CMD="vmcheck stalls stalls.console stalls.cpu PCT; vmcheck stall_total stalls.cpu PCT"
	for pct in 10 1; do
		"$VMCHECK" stalls "$VMCHECK_DATA/stalls.console" "$VMCHECK_DATA/stalls.cpu" "$pct" &&
			"$VMCHECK" stall_total "$VMCHECK_DATA/stalls.cpu" "$pct"
	done >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq 0 ] && cmp -s "$T/out" "$VMCHECK_DATA/stalls.expected"; then
		ok "vmcheck: stalls and stall_total print what run.sh's awk printed"
	else
		bad "vmcheck: stalls/stall_total differ from stalls.expected"
	fi
	vc "stalls of a missing console" 2 "" stalls "$T/no-such.log" "$VMCHECK_DATA/stalls.cpu" 10
	: >"$T/empty.cpu"
	vc "stall_total without samples" 2 "" stall_total "$T/empty.cpu" 10
	vc "stall_total of a line that is no sample" 2 "" stall_total "$VMCHECK_DATA/empty.log" 10
	# bench_reconfig's CPUs moved by a re-plan: what its awk (moves_between) printed for the same
	# two tables (a cell shrinks, one is new, one unplaced, a cell renumbered), and a bad table.
	vc "moves between two cell tables" 0 "4 2 4" moves "$VMCHECK_DATA/moves_a.txt" \
		"$VMCHECK_DATA/moves_b.txt"
	vc "moves with a missing table" 2 "" moves "$T/no-such.txt" "$VMCHECK_DATA/moves_b.txt"
	vc "moves with a malformed table" 2 "" moves "$VMCHECK_DATA/stat.txt" "$VMCHECK_DATA/moves_b.txt"
	vc "no command" 2 "" 
	vc "wrong argument count" 2 "" cells
	# The shell helpers fail a case on a malformed cpulist instead of answering "no".
	LAST_CMD="cpulist_subset 3-1 0-3"
	# shellcheck disable=SC2086
	$_sh -c ". '$repo/tests/vm/lib.sh'; cpulist_subset 3-1 0-3; echo survived" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq 1 ] && grep -q '^FAIL: cpulist_subset: malformed cpulist' "$T/out" &&
		! grep -q survived "$T/out"; then
		ok "cpulist_subset fails the case on a malformed cpulist"
	else
		bad "cpulist_subset should fail the case on a malformed cpulist"
	fi
fi
