# shellcheck shell=sh
# tests/vm/lib_wc.sh — helpers for the work-conservation cases (wc_*: borrowing, lender
# reclaim, rebalancing). Source it after lib.sh:
#   . /tests/lib.sh
#   . /tests/lib_wc.sh
# Everything reads the daemon's JSON stats lines (start it with --stats-format json), so every
# helper works on $SCHED_LOG of the current (or last) daemon run. POSIX sh + busybox applets.

# wc_spawn CGPATH N: start N spinners in CGPATH (spawn_spinner from lib.sh; kill_spinners stops
# them all).
wc_spawn() {
	_wn=$2
	while [ "$_wn" -gt 0 ]; do
		spawn_spinner "$1"
		_wn=$((_wn - 1))
	done
}

# fcmp A OP B: numeric (floating point) comparison, OP one of > >= < <= ==.
fcmp() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		a += 0; b += 0
		if (op == ">") r = a > b; else if (op == ">=") r = a >= b
		else if (op == "<") r = a < b; else if (op == "<=") r = a <= b
		else if (op == "==") r = a == b; else r = 0
		exit !r
	}'
}

# fcalc EXPR: evaluate an arithmetic expression with awk, print it with 3 decimals.
fcalc() {
	awk "BEGIN { printf \"%.3f\", $1 }"
}

# stats_top FIELD: a top-level numeric field (plans, rebalances, rejected, waiting, t) of the
# latest stats line.
stats_top() {
	last_stats | sed -n "s/^{\\(.*,\\)\\{0,1\\}\"$1\":\\([0-9.]*\\).*/\\2/p"
}

# queue_share FIELD: a field of the latest stats line's "queue" object (idle, cell, pinned,
# borrowed), in percent.
queue_share() {
	last_stats | sed -n "s/.*\"queue\":{[^}]*\"$1\":\\([0-9.]*\\).*/\\1/p"
}

# cell_num NAME FIELD: numeric field of cell NAME in the latest stats line (empty if absent).
# One awk process (forks are expensive under TCG and count as root-cell load).
cell_num() {
	tail -n 40 "$SCHED_LOG" 2>/dev/null | awk -v name="$1" -v field="$2" '
		/^\{"t":/ { last = $0 }
		END {
			n = split(last, parts, "\\},\\{")
			for (i = 1; i <= n; i++)
				if (index(parts[i], "\"cgroup\":\"" name "\"") &&
				    match(parts[i], "\"" field "\":\"?[0-9.]+")) {
					v = substr(parts[i], RSTART, RLENGTH); sub(/.*:"?/, "", v); print v; exit
				}
		}'
}

# stats_brief: one line summing up the latest stats line: rebalances, plans and per cell
# name=nr_cpus[cpus] with smoothed utilisation.
stats_brief() {
	tail -n 40 "$SCHED_LOG" 2>/dev/null | awk '
		/^\{"t":/ { last = $0 }
		function get(s, f,    v) {
			if (!match(s, "\"" f "\":(\"[^\"]*|[^,}]*)")) return "?"
			v = substr(s, RSTART, RLENGTH); sub(/^"[^"]*":"?/, "", v); sub(/"$/, "", v); return v
		}
		END {
			out = "t=" get(last, "t") " rebalances=" get(last, "rebalances") " plans=" get(last, "plans")
			n = split(last, parts, "\\},\\{")
			for (i = 1; i <= n; i++)
				if (index(parts[i], "\"cgroup\":"))
					out = out " " get(parts[i], "cgroup") "=" get(parts[i], "nr_cpus") "[" get(parts[i], "cpus") "] util=" get(parts[i], "smoothed_util_pct") "% used=" get(parts[i], "cpus_used")
			print out
		}'
}

# sched_summary: the daemon's exit summary line (placements, reclaim preemptions, ...).
sched_summary() {
	sed -n 's/^scx_cells: summary: //p' "$SCHED_LOG" | tail -n 1
}

# _stat_cmp NAME FIELD OP VALUE: compare a field of the latest stats line (NAME = cell cgroup
# basename, or "" for a top-level field) in one awk process: wait_for polls these every 50 ms
# and, under TCG, every extra fork shows up as CPU load of the root cell. Prints what it saw
# when the comparison fails.
_stat_cmp() {
	tail -n 40 "$SCHED_LOG" 2>/dev/null | awk -v name="$1" -v field="$2" -v op="$3" -v want="$4" '
		/^\{"t":/ { last = $0 }
		END {
			s = last
			if (name != "") {
				n = split(last, parts, "\\},\\{"); s = ""
				for (i = 1; i <= n; i++)
					if (index(parts[i], "\"cgroup\":\"" name "\"")) { s = parts[i]; break }
			}
			v = ""
			if (s != "" && match(s, "\"" field "\":\"?[0-9.]+")) {
				v = substr(s, RSTART, RLENGTH); sub(/.*:"?/, "", v)
			}
			a = v + 0; b = want + 0
			if (op == ">") r = a > b; else if (op == ">=") r = a >= b
			else if (op == "<") r = a < b; else if (op == "<=") r = a <= b
			else if (op == "==") r = a == b; else r = 0
			if (v != "" && r) exit 0
			printf "%s%s=%s (want %s %s); stats: %s\n", name == "" ? "" : "cell " name " ", field, v == "" ? "<missing>" : v, op, want, last == "" ? "<none yet>" : last
			exit 1
		}'
}

# cell_cmp NAME FIELD OP VALUE: cell NAME's numeric field compares as asked (OP > >= < <= ==);
# otherwise prints what it is (for wait_for's failure message).
cell_cmp() {
	_stat_cmp "$1" "$2" "$3" "$4"
}

# top_cmp FIELD OP VALUE: a top-level stats field compares as asked (prints it otherwise).
top_cmp() {
	_stat_cmp "" "$1" "$2" "$3"
}

# stats_count: how many stats lines the daemon has printed so far (a mark for stats_since).
stats_count() {
	# grep -c prints 0 and fails when nothing matches: do not add a second 0.
	_scn=$(grep -c '^{"t":' "$SCHED_LOG" 2>/dev/null)
	echo "${_scn:-0}"
}

# stats_count_ge N: at least N stats lines so far (for wait_for).
stats_count_ge() {
	_sc=$(stats_count)
	[ "$_sc" -ge "$1" ] && return 0
	echo "$_sc stats lines so far, want $1"
	return 1
}

# wait_intervals N: wait until the daemon has printed N more stats lines (N fresh intervals).
wait_intervals() {
	_wi=$(($(stats_count) + $1))
	wait_for $(($1 * 2 + 10)) "$1 more stats intervals" stats_count_ge "$_wi"
}

# stats_since MARK: stats lines printed after the first MARK ones (MARK from stats_count).
stats_since() {
	grep '^{"t":' "$SCHED_LOG" | tail -n +$(($1 + 1))
}

# _stats_agg MARK AGG NAME FIELD: max|min|mean of a cell's field over the stats lines since MARK
# (NAME "-" = the queue object). Prints "" when no line has it.
_stats_agg() {
	stats_since "$1" | awk -v agg="$2" -v name="$3" -v field="$4" '
		{
			v = ""
			if (name == "-") {
				if (match($0, "\"queue\":\\{[^}]*\\}")) s = substr($0, RSTART, RLENGTH); else next
			} else {
				n = split($0, parts, "\\},\\{"); s = ""
				for (i = 1; i <= n; i++)
					if (index(parts[i], "\"cgroup\":\"" name "\"")) { s = parts[i]; break }
				if (s == "") next
			}
			if (!match(s, "\"" field "\":\"?[0-9.]+")) next
			v = substr(s, RSTART, RLENGTH); sub(/.*:"?/, "", v); v += 0
			cnt++; sum += v
			if (cnt == 1 || v > mx) mx = v
			if (cnt == 1 || v < mn) mn = v
		}
		END {
			if (!cnt) exit
			if (agg == "max") printf "%.1f\n", mx
			else if (agg == "min") printf "%.1f\n", mn
			else printf "%.1f\n", sum / cnt
		}'
}

# stats_max MARK NAME FIELD / stats_min / stats_mean: aggregate of cell NAME's FIELD (NAME "-"
# for the queue shares) over the stats lines since MARK.
stats_max() { _stats_agg "$1" max "$2" "$3"; }
stats_min() { _stats_agg "$1" min "$2" "$3"; }
stats_mean() { _stats_agg "$1" mean "$2" "$3"; }

# save_sched_log NAME: keep a copy of this daemon run's log as $CASE_DIR/NAME.log (the next
# start_sched overwrites $SCHED_LOG).
save_sched_log() {
	cp "$SCHED_LOG" "$CASE_DIR/$1.log"
}

# cpu_seconds MS CGPATH: CPU-seconds the cgroup's processes consumed over MS ms (cputime tool);
# prints "cpu_s=.. wall_s=.. cpus=.. pids=.. gone=..".
cpu_seconds() {
	# shellcheck disable=SC2046
	cputime "$1" $(cg_procs "$2")
}

# kv KEY LINE: the value of KEY=VALUE in LINE (output of cputime, wakeprobe, ...).
kv() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# fail_stats MARK MSG...: print the stats lines since MARK (what was seen), then fail with MSG.
fail_stats() {
	_fm=$1
	shift
	echo "--- stats lines since mark $_fm ---"
	stats_since "$_fm" | sed 's/^/  | /'
	fail "$@"
}

# wc_debug_on_fail: on a failing exit, show what the daemon said besides its stats lines (plan
# changes, errors, the BPF exit dump) and its last stats line. Install with
#   trap wc_debug_on_fail EXIT
wc_debug_on_fail() {
	_rc=$?
	[ "$_rc" -ne 0 ] || return 0
	[ -n "$SCHED_LOG" ] && [ -f "$SCHED_LOG" ] || return 0
	echo "--- scx_cells log without stats lines (last 80) ---"
	grep -v '^{"t":' "$SCHED_LOG" | tail -n 80 | sed 's/^/  | /'
	echo "--- last stats line ---"
	last_stats | sed 's/^/  | /'
}
