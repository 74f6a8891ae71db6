# shellcheck shell=sh
# tests/vm/lib_rel.sh — helpers for the reliability cases (cases/rel_*.sh).
#
# Runs INSIDE the test VM under busybox sh; packed as /tests/lib_rel.sh. Source it after
# lib.sh:
#   . /tests/lib.sh
#   . /tests/lib_rel.sh

# cpulist_count LIST: number of CPUs in a cpulist ("0-2,5" -> 4; "" -> 0).
cpulist_count() {
	# shellcheck disable=SC2046 # one word per CPU is the point
	set -- $(expand_cpulist "$1")
	echo $#
}

# stats_field NAME: a top-level numeric field ("plans", "waiting", ...) of the latest stats line.
stats_field() {
	last_stats | sed -n "s/^{\"t\":[^,]*,.*\"$1\":\\([0-9.]*\\).*/\\1/p" | head -n 1
}

# stats_field_is NAME WANT: the latest stats line has NAME == WANT (prints what it has otherwise).
stats_field_is() {
	_v=$(stats_field "$1")
	[ "$_v" = "$2" ] && return 0
	echo "\"$1\" is '${_v:-<none>}', want $2; cells: $(stats_cells_summary)"
	return 1
}

# stats_lines: how many stats lines the daemon has printed so far.
stats_lines() {
	grep -c '^{"t":' "$SCHED_LOG"
}

# stats_newer_than N: the daemon printed more than N stats lines (for "a fresh line after X").
stats_newer_than() {
	_n=$(stats_lines)
	[ "$_n" -gt "$1" ] && return 0
	echo "$_n stats lines, waiting for more than $1"
	return 1
}

# stats_cell_names: the workload cells (not the root cell) of the latest stats line, as
# "ID:NAME" words sorted by id, on one line.
stats_cell_names() {
	stats_cells_table | while read -r _i _n _c; do
		[ "$_i" = 0 ] || echo "$_i:$_n"
	done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# stats_cells_are WANT: stats_cell_names equals WANT ("1:a 2:b"); prints what it is otherwise.
stats_cells_are() {
	_have=$(stats_cell_names)
	[ "$_have" = "$1" ] && return 0
	echo "cells are '$_have', want '$1'"
	return 1
}

# stats_no_cpu CPU: no cell of the latest stats line owns CPU (e.g. an offline one), and there is
# a stats line.
stats_no_cpu() {
	_tab=$(stats_cells_table)
	[ -n "$_tab" ] || { echo "no stats line yet"; return 1; }
	_bad=$(echo "$_tab" | while read -r _i _n _c; do
		case " $(expand_cpulist "$_c") " in *" $1 "*) echo "cell $_i ($_n) owns cpu $1" ;; esac
	done)
	[ -z "$_bad" ] && return 0
	echo "$_bad; cells: $(stats_cells_summary)"
	return 1
}

# stats_all_cpus LIST: the placed cells of the latest stats line together own exactly the CPUs
# in LIST, each once (a partition of LIST).
stats_all_cpus() {
	_owned=$(stats_cells_table | while read -r _i _n _c; do expand_cpulist "$_c"; done |
		tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
	_want=$(expand_cpulist "$1" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
	[ "$_owned" = "$_want" ] && return 0
	echo "cells own CPUs '$_owned', want each of '$_want' exactly once; cells: $(stats_cells_summary)"
	return 1
}

# summary_line: the daemon's "summary:" line (empty until it exited).
summary_line() {
	grep 'scx_cells: summary:' "$SCHED_LOG" | tail -n 1
}

# summary_plans: "N plans applied" from the summary line.
summary_plans() {
	summary_line | sed -n 's/.* \([0-9][0-9]*\) plans applied.*/\1/p'
}

# summary_secs_cs: the run time of the summary line ("summary: 12.3 s") in centiseconds.
summary_secs_cs() {
	_s=$(summary_line | sed -n 's/.*summary: \([0-9]*\)\.\([0-9]\) s.*/\1 \2/p')
	[ -n "$_s" ] || return 1
	# shellcheck disable=SC2086
	set -- $_s
	echo $(($1 * 100 + $2 * 10))
}

# applied_plans: number of "applied plan" lines in the daemon log.
applied_plans() {
	grep -c '(applied plan [0-9]*: ' "$SCHED_LOG"
}

# proc_alive_all PIDS...: every PID is alive (prints the dead ones otherwise). PIDS may be
# space-separated lists.
proc_alive_all() {
	_dead=
	# shellcheck disable=SC2048 # split lists of pids
	for _p in $*; do
		pid_alive "$_p" || _dead="$_dead $_p"
	done
	[ -z "$_dead" ] && return 0
	echo "dead:$_dead"
	return 1
}

# utimes PIDS...: "PID:UTIME" words for the PIDs (utime in clock ticks); PIDS may be
# space-separated lists.
utimes() {
	# shellcheck disable=SC2048 # split lists of pids
	for _p in $*; do
		printf '%s:%s ' "$_p" "$(proc_utime "$_p")"
	done
}

# all_progressed BASE MIN: every "PID:UTIME" word of BASE (from utimes) gained >= MIN ticks.
all_progressed() {
	_rc=0
	for _w in $1; do
		_p=${_w%%:*} _b=${_w#*:}
		_u=$(proc_utime "$_p") || { echo "pid $_p gone"; _rc=1; continue; }
		[ "$_u" -ge $((_b + $2)) ] || { echo "pid $_p utime $_u, base $_b, want +$2"; _rc=1; }
	done
	return $_rc
}

# run_capture OUT CMD...: run CMD with stdout+stderr into OUT; sets RC to its exit status.
run_capture() {
	_out=$1
	shift
	"$@" >"$_out" 2>&1
	# shellcheck disable=SC2034 # read by the cases
	RC=$?
}

# check_one_error OUT RC WHAT PATTERN: the output of a failed start (file OUT, status RC) is a
# clean error: RC in 1..127 (not a signal), no crash words, exactly one line (plus an optional
# "Try ... --help" line) and that line matches the grep -E PATTERN. Fails naming WHAT.
check_one_error() {
	_f=$1 _rc=$2 _what=$3 _pat=$4
	log "$_what: exit status $_rc, output:"
	sed 's/^/  | /' "$_f"
	[ "$_rc" -ne 0 ] || fail "$_what: exit status 0, want non-zero"
	[ "$_rc" -lt 128 ] || fail "$_what: exit status $_rc (killed by signal $((_rc - 128)))"
	! grep -qiE 'segmentation|aborted|core dumped|assert' "$_f" ||
		fail "$_what: crash words in the output: $(cat "$_f")"
	_n=$(grep -vc "^Try 'scx_cells --help'" "$_f")
	[ "$_n" -eq 1 ] || fail "$_what: $_n output lines, want exactly one error line: $(cat "$_f")"
	grep -qE "$_pat" "$_f" || fail "$_what: the error line does not match /$_pat/: $(cat "$_f")"
}

# wait_exit PID T DESC: wait up to T s for PID to exit, then reap it; sets RC to its status.
wait_exit() {
	if ! (wait_for "$2" "$3" _not_alive "$1"); then
		print_sched_log
		kill -KILL "$1" 2>/dev/null
		fail "$3: pid $1 still running after $2 s"
	fi
	wait "$1"
	# shellcheck disable=SC2034 # read by the cases
	RC=$?
}

# On a failing exit, show the end of the daemon log (all non-stats lines up to 80, and the last
# 3 stats lines) so the evidence is in the case log. REL_ON_EXIT (shell code) runs first, on
# every exit, for clean-ups such as putting a CPU back online.
_rel_exit() {
	_st=$1
	[ -z "${REL_ON_EXIT:-}" ] || eval "$REL_ON_EXIT"
	if [ "$_st" -ne 0 ] && [ -n "$SCHED_LOG" ] && [ -f "$SCHED_LOG" ]; then
		echo "--- scx_cells log at failure (non-stats lines, then the last 3 stats lines) ---"
		grep -v '^{"t":' "$SCHED_LOG" | tail -n 80 | sed 's/^/  | /'
		grep '^{"t":' "$SCHED_LOG" | tail -n 3 | sed 's/^/  | /'
	fi
}
trap '_rel_exit $?' EXIT

# assert_cells_where MS NAME...: sample the processes of every work/NAME at once for MS ms; a
# placed cell's processes must run only on its own CPUs, an unplaced cell's (listed without
# CPUs) only on the root cell's CPUs.
assert_cells_where() {
	sample_cells "$@"
	shift
	_root=$(cell_cpus "(root)")
	for _c in "$@"; do
		_own=$(cell_cpus "$_c") _where="cell $_c (cpus $_own)"
		[ -n "$_own" ] || { _own=$_root _where="unplaced cell $_c (root cell cpus $_root)"; }
		while read -r _pid _cpus _n; do
			_cpus=${_cpus#cpus=}
			log "$_where: pid $_pid ran on ${_cpus:-nothing} ($_n)"
			if [ -z "$_cpus" ] || [ "$_cpus" = gone ]; then
				fail "pid $_pid of $_where was never seen running"
			fi
			cpulist_subset "$_cpus" "$_own" ||
				fail "pid $_pid of $_where ran on CPUs $_cpus, outside $_own"
		done <"$CASE_DIR/sample.$_c"
	done
}

# cell_cpus NAME: primary CPUs of cell NAME in the latest stats line. Overrides lib.sh's version,
# whose cell_field stops at the first ',' ("0,3" -> "0"), so that lib.sh's helpers
# (assert_cells_isolated, stats_have_cells, ...) also see non-contiguous CPU lists whole.
cell_cpus() {
	stats_cells_table | while read -r _i _n _c; do [ "$_n" = "$1" ] && echo "$_c"; done | head -n 1
}
