# shellcheck shell=sh
# tests/vm/lib.sh — helpers for VM test cases.
#
# Runs INSIDE the test VM under busybox sh (ash); it is sourced by every case
# (`. /tests/lib.sh`) and by /init. Keep it POSIX sh + busybox applets only.
#
# Conventions for cases:
#   - fail MSG            print "FAIL: MSG" and exit 1
#   - wait_for T DESC CMD...  poll CMD until it succeeds (never use bare sleeps to
#                         synchronise; poll for the condition you need); T is scaled by
#                         VM_TIME_SCALE
#   - wait_stats N DESC CMD...  the same with a deadline of N more daemon stats lines
#   - start_sched ARGS... / stop_sched   run /bin/scx_cells for the case
#   - cg_create / cg_move / cg_set_cpus / cg_remove   cgroup v2 helpers
# Variables set by /init for each case: CASE_NAME, CASE_DIR (scratch directory),
# NCPUS (online vCPUs).

SCX_SYSFS=/sys/kernel/sched_ext
SCX_BIN=${SCX_BIN:-/bin/scx_cells}
CGROUP_ROOT=${CGROUP_ROOT:-/sys/fs/cgroup}
CASE_DIR=${CASE_DIR:-/tmp}
NCPUS=${NCPUS:-$(nproc)}
SCHED_PID=
SCHED_LOG=

# ---- basics ------------------------------------------------------------------

# fail MSG...: report a test failure and end the case with exit status 1.
fail() {
	echo "FAIL: $*"
	exit 1
}

# log MSG...: informational line, prefixed so it stands out in the case log.
log() {
	echo "# $*"
}

# now_cs: time since boot in centiseconds (integer; from /proc/uptime).
now_cs() {
	read -r _up _idle </proc/uptime
	_frac=${_up#*.}
	_frac=${_frac#0} # "05" -> "5": a leading 0 would mean octal
	echo $((${_up%.*} * 100 + _frac))
}

# fmt_cs CS: centiseconds -> "12.34".
fmt_cs() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# pid_alive PID: true while PID exists and is not a zombie (an exited child the
# shell has not reaped yet still answers `kill -0`, so look at /proc instead).
pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	# Field 3 of /proc/PID/stat is the state; comm (field 2) has no spaces for
	# the programs we check, so plain word splitting is good enough.
	read -r _p _c _st _rest <"/proc/$1/stat" 2>/dev/null || return 1
	[ "$_st" != Z ] && [ "$_st" != X ]
}

# VM_TIME_SCALE (integer >= 1, from run.sh --time-scale via /init): every wall-clock limit of
# wait_for is multiplied by it. The limits are only ever deadlines for conditions that are
# polled (a passing case never waits for them), so scaling them up costs time only when a case
# fails; it keeps a loaded host (the guest gets less of the host's CPU) from turning "slow"
# into "failed". Deadlines that matter for an assertion are measured in the daemon's progress
# instead (stats lines: stats_lines_until, wait_stats).
VM_TIME_SCALE=${VM_TIME_SCALE:-1}

# wait_for TIMEOUT_S DESCRIPTION CMD [ARGS...]
# Poll CMD every ~50 ms until it exits 0. On timeout (TIMEOUT_S x VM_TIME_SCALE seconds): fail,
# naming DESCRIPTION and showing what CMD printed on its last attempt.
wait_for() {
	_wf_timeout=$(($1 * VM_TIME_SCALE)) _wf_desc=$2
	shift 2
	_wf_deadline=$(($(now_cs) + _wf_timeout * 100))
	while :; do
		if _wf_out=$("$@" 2>&1); then
			return 0
		fi
		if [ "$(now_cs)" -ge "$_wf_deadline" ]; then
			fail "timed out after ${_wf_timeout}s (time scale $VM_TIME_SCALE) waiting for: $_wf_desc" \
				"(last output of '$*': ${_wf_out:-<none>})"
		fi
		sleep 0.05
	done
}

# ---- sched_ext state ---------------------------------------------------------

# sched_state: enabled | disabled | enabling | disabling (kernel's view).
sched_state() {
	cat "$SCX_SYSFS/state"
}

# sched_ops: name of the loaded BPF scheduler, empty if none.
sched_ops() {
	cat "$SCX_SYSFS/root/ops" 2>/dev/null
}

# state_is WANT: succeeds if the state is WANT; prints the state otherwise
# (so wait_for can show it).
state_is() {
	_s=$(sched_state)
	[ "$_s" = "$1" ] && return 0
	echo "state=$_s"
	return 1
}

# enable_seq: how many times a BPF scheduler has been enabled since boot.
enable_seq() {
	cat "$SCX_SYSFS/enable_seq"
}

# need_scx_bin: fail clearly if the scheduler binary was not packed into the VM.
need_scx_bin() {
	[ -x "$SCX_BIN" ] || fail "$SCX_BIN is missing from the initramfs" \
		"(build it on the host first: make; run.sh packs \$BUILD_DIR/scx_cells)"
}

# Internal for start_sched: done waiting once the scheduler is up, or once the
# daemon has died (start_sched then tells the two apart).
_sched_up_or_dead() {
	pid_alive "$SCHED_PID" || return 0
	_s=$(sched_state) _o=$(sched_ops)
	[ "$_s" = enabled ] && [ "$_o" = cells ] && return 0
	echo "state=$_s ops=${_o:-<none>}"
	return 1
}

# print_sched_log: dump the daemon's output, indented.
print_sched_log() {
	echo "--- scx_cells log ($SCHED_LOG) ---"
	sed 's/^/  | /' "$SCHED_LOG" 2>/dev/null
	echo "--- end of scx_cells log ---"
}

# start_sched [ARGS...]: start scx_cells in the background (output to
# $CASE_DIR/scx_cells.log), wait until the kernel reports it enabled as `cells`.
# Sets SCHED_PID and SCHED_LOG.
start_sched() {
	need_scx_bin
	[ -z "$SCHED_PID" ] || fail "start_sched: scheduler already started (pid $SCHED_PID)"
	state_is disabled >/dev/null || fail "start_sched: sched_ext is '$(sched_state)' before start"
	SCHED_LOG=$CASE_DIR/scx_cells.log
	log "starting: $SCX_BIN $*"
	"$SCX_BIN" "$@" >"$SCHED_LOG" 2>&1 &
	SCHED_PID=$!
	_t0=$(now_cs)
	if ! (wait_for 60 "scx_cells (pid $SCHED_PID) to be enabled as 'cells'" _sched_up_or_dead); then
		print_sched_log
		fail "start_sched: scheduler did not come up"
	fi
	if ! pid_alive "$SCHED_PID"; then
		wait "$SCHED_PID"
		_rc=$?
		print_sched_log
		fail "scx_cells exited (status $_rc) before the scheduler was enabled"
	fi
	log "scheduler enabled after $(fmt_cs $(($(now_cs) - _t0)))s (pid $SCHED_PID)"
}

# stop_sched: SIGINT the daemon, wait for it, require exit status 0 and state
# `disabled`. Prints the daemon log on any failure.
stop_sched() {
	[ -n "$SCHED_PID" ] || fail "stop_sched: no scheduler started"
	if ! pid_alive "$SCHED_PID"; then
		wait "$SCHED_PID"
		_rc=$?
		print_sched_log
		fail "stop_sched: scx_cells had already exited (status $_rc)"
	fi
	kill -INT "$SCHED_PID"
	if ! (wait_for 30 "scx_cells to exit after SIGINT" _not_alive "$SCHED_PID"); then
		print_sched_log
		kill -KILL "$SCHED_PID" 2>/dev/null
		fail "stop_sched: scx_cells did not exit within 30s of SIGINT"
	fi
	wait "$SCHED_PID"
	_rc=$?
	_pid=$SCHED_PID
	SCHED_PID=
	if [ "$_rc" -ne 0 ]; then
		print_sched_log
		fail "stop_sched: scx_cells (pid $_pid) exited with status $_rc, want 0"
	fi
	if ! (wait_for 10 "sched_ext state 'disabled' after exit" state_is disabled); then
		print_sched_log
		fail "stop_sched: scheduler still loaded after the daemon exited"
	fi
	log "scheduler stopped cleanly (exit 0, state disabled)"
}

# _not_alive PID: inverse of pid_alive, for wait_for.
_not_alive() {
	! pid_alive "$1"
}

# kmsg_errors: print sched_ext error lines from the kernel log (empty = none).
kmsg_errors() {
	dmesg | grep -i 'sched_ext' | grep -iE 'error|errored|fail|warn|bug|stall'
}

# ---- cgroups -----------------------------------------------------------------
# Paths are relative to the cgroup2 mount, e.g. "workloads.slice/a".

# cg_create PATH: create the cgroup (and parents), enabling cpuset and cpu
# controllers on every ancestor so PATH gets cpuset.* and cpu.* files.
cg_create() {
	_cg_dir=$CGROUP_ROOT
	_cg_rest=$1
	while [ -n "$_cg_rest" ]; do
		_cg_part=${_cg_rest%%/*}
		if [ "$_cg_part" = "$_cg_rest" ]; then _cg_rest=; else _cg_rest=${_cg_rest#*/}; fi
		[ -n "$_cg_part" ] || continue
		echo "+cpuset +cpu" >"$_cg_dir/cgroup.subtree_control" ||
			fail "cg_create: cannot enable cpuset/cpu in $_cg_dir"
		_cg_dir=$_cg_dir/$_cg_part
		[ -d "$_cg_dir" ] || mkdir "$_cg_dir" || fail "cg_create: mkdir $_cg_dir"
	done
	echo "$_cg_dir"
}

# cg_move PATH PID...: move processes into the cgroup.
cg_move() {
	_cg=$CGROUP_ROOT/$1
	shift
	for _p in "$@"; do
		echo "$_p" >"$_cg/cgroup.procs" || fail "cg_move: cannot move pid $_p into $_cg"
	done
}

# cg_set_cpus PATH LIST: write cpuset.cpus (e.g. "0-1").
cg_set_cpus() {
	echo "$2" >"$CGROUP_ROOT/$1/cpuset.cpus" || fail "cg_set_cpus: cannot set $1 cpuset.cpus=$2"
}

# cg_remove PATH: move any remaining processes to the root cgroup, then remove
# the cgroup and everything below it (deepest first).
cg_remove() {
	_cg=$CGROUP_ROOT/$1
	[ -d "$_cg" ] || return 0
	find "$_cg" -depth -type d | while read -r _d; do
		while read -r _p; do
			echo "$_p" >"$CGROUP_ROOT/cgroup.procs" 2>/dev/null
		done <"$_d/cgroup.procs"
		rmdir "$_d" || echo "cg_remove: could not remove $_d"
	done
}

# ---- cells -------------------------------------------------------------------
# Spinners, CPU sampling (build/vm-bin/cpusample) and the daemon's JSON stats lines
# (start it with --stats-format json) for asserting where tasks ran.

SPINNERS=

# spawn_spinner CGPATH: start a busy loop that first moves itself into CGPATH.
spawn_spinner() {
	sh -c "echo \$\$ > $CGROUP_ROOT/$1/cgroup.procs && exec sh -c 'while :; do :; done'" &
	SPINNERS="$SPINNERS $!"
}

# kill_spinners: stop every spinner started by spawn_spinner.
kill_spinners() {
	# shellcheck disable=SC2086
	[ -z "$SPINNERS" ] || kill $SPINNERS 2>/dev/null
	# shellcheck disable=SC2086
	[ -z "$SPINNERS" ] || wait $SPINNERS 2>/dev/null
	SPINNERS=
}

# cg_procs CGPATH: pids in the cgroup (not its descendants).
cg_procs() {
	tr '\n' ' ' <"$CGROUP_ROOT/$1/cgroup.procs"
}

# cg_has_procs CGPATH...: every cgroup has at least one process.
cg_has_procs() {
	for _c in "$@"; do
		[ -n "$(cg_procs "$_c")" ] || { echo "$_c is empty"; return 1; }
	done
}

# expand_cpulist LIST: "0-2,5" -> "0 1 2 5".
expand_cpulist() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r _a _b; do
		[ -n "$_a" ] || continue
		seq "$_a" "${_b:-$_a}"
	done | tr '\n' ' '
}

# cpulist_subset A B: every CPU of cpulist A is in cpulist B.
cpulist_subset() {
	_in=" $(expand_cpulist "$2") "
	for _x in $(expand_cpulist "$1"); do
		case "$_in" in *" $_x "*) ;; *) return 1 ;; esac
	done
}

# cpulists_intersect A B: some CPU is in both.
cpulists_intersect() {
	_in=" $(expand_cpulist "$2") "
	for _x in $(expand_cpulist "$1"); do
		case "$_in" in *" $_x "*) return 0 ;; esac
	done
	return 1
}

# last_stats: the daemon's latest JSON stats line.
last_stats() {
	grep '^{"t":' "$SCHED_LOG" | tail -n 1
}

# cell_field NAME FIELD: a string field of cell NAME (cgroup basename, "(root)" for cell 0)
# from the latest stats line.
cell_field() {
	# A string value runs to its closing quote (cpulists contain commas); a number to , or }.
	last_stats | sed 's/},{/}\n{/g' | grep "\"cgroup\":\"$1\"" |
		sed -n -e "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" -e "t" \
			-e "s/.*\"$2\":\\([^,}]*\\).*/\\1/p" | head -n 1
}

# cell_cpus NAME: primary CPUs of cell NAME.
cell_cpus() {
	cell_field "$1" cpus
}

# stats_have_cells NAME...: the latest stats line lists every cell, each with CPUs.
stats_have_cells() {
	for _c in "$@"; do
		[ -n "$(cell_cpus "$_c")" ] || { echo "no CPUs for cell $_c in: $(last_stats)"; return 1; }
	done
}

# sampled_cpus MS CGPATH: union of CPUs the cgroup's processes ran on during MS ms.
sampled_cpus() {
	# shellcheck disable=SC2046
	cpusample "$1" $(cg_procs "$2") | sed -n 's/.* cpus=\([^ ]*\) .*/\1/p' | tr '\n' ',' | sed 's/,*$//'
}

# cells_sharing_cpus MS NAME...: sample all cells (under work/) at once; print pairs that ran
# on a common CPU.
cells_sharing_cpus() {
	_ms=$1
	shift
	_jobs=
	for _c in "$@"; do
		sampled_cpus "$_ms" "work/$_c" >"$CASE_DIR/seen.$_c" &
		_jobs="$_jobs $!"
	done
	# shellcheck disable=SC2086
	wait $_jobs
	_rest="$*"
	for _c in "$@"; do
		_rest=${_rest# }
		_rest=${_rest#"$_c"}
		for _d in $_rest; do # every pair once: _d comes after _c
			cpulists_intersect "$(cat "$CASE_DIR/seen.$_c")" "$(cat "$CASE_DIR/seen.$_d")" &&
				printf '%s/%s ' "$_c" "$_d"
		done
	done
}

# sample_cells MS NAME...: sample the processes of every work/NAME at once for MS ms; the
# cpusample output for NAME lands in $CASE_DIR/sample.NAME.
sample_cells() {
	_ms=$1
	shift
	_jobs=
	for _c in "$@"; do
		# shellcheck disable=SC2046
		cpusample "$_ms" $(cg_procs "work/$_c") >"$CASE_DIR/sample.$_c" &
		_jobs="$_jobs $!"
	done
	# Wait for the samplers only: a bare `wait` would also wait for the spinners.
	# shellcheck disable=SC2086
	wait $_jobs
}

# assert_cells_isolated MS NAME...: every process of work/NAME ran only on cell NAME's CPUs.
assert_cells_isolated() {
	sample_cells "$@"
	shift
	for _c in "$@"; do
		_own=$(cell_cpus "$_c")
		while read -r _pid _cpus _n; do
			_cpus=${_cpus#cpus=}
			log "cell $_c (cpus $_own): pid $_pid ran on ${_cpus:-nothing} ($_n)"
			[ -n "$_cpus" ] || fail "pid $_pid of cell $_c was never seen running"
			cpulist_subset "$_cpus" "$_own" ||
				fail "pid $_pid of cell $_c ran on CPUs $_cpus, outside its cell's CPUs $_own"
		done <"$CASE_DIR/sample.$_c"
	done
}

# assert_cells_disjoint NAME...: no two cells share a primary CPU.
assert_cells_disjoint() {
	_rest="$*"
	for _c in "$@"; do
		_rest=${_rest# }
		_rest=${_rest#"$_c"}
		for _d in $_rest; do # every pair once: _d comes after _c
			! cpulists_intersect "$(cell_cpus "$_c")" "$(cell_cpus "$_d")" ||
				fail "cells $_c ($(cell_cpus "$_c")) and $_d ($(cell_cpus "$_d")) share CPUs"
		done
	done
}

# ---- cells: life cycle, pinning, health (cells_dynamic, cells_nested_move, cells_cpusets,
# cells_taskset, stress_smoke) ----------------------------------------------------------------

# stats_cells_table: the cells of the latest stats line, one "ID NAME CPUS" line each (CPUS is
# empty for an unplaced cell).
stats_cells_table() {
	last_stats | sed 's/.*"cells":\[//; s/},{/}\n{/g' |
		sed -n 's/.*"id":\([0-9]*\),"cgroup":"\([^"]*\)","cpus":"\([^"]*\)".*/\1 \2 \3/p'
}

# stats_cells_summary: the latest stats line's cells on one line, "ID:NAME=CPUS ...".
stats_cells_summary() {
	stats_cells_table | while read -r _i _n _c; do printf '%s:%s=%s ' "$_i" "$_n" "$_c"; done
}

# cell_id NAME: id of cell NAME in the latest stats line (empty if it is not listed).
cell_id() {
	stats_cells_table | while read -r _i _n _c; do [ "$_n" = "$1" ] && echo "$_i"; done | head -n 1
}

# stats_plans: the "plans" counter (plans applied so far) of the latest stats line.
stats_plans() {
	last_stats | sed -n 's/.*"plans":\([0-9]*\).*/\1/p'
}

# stats_lack_cell NAME: there is a stats line and the latest one does not list cell NAME.
stats_lack_cell() {
	_s=$(last_stats)
	[ -n "$_s" ] || { echo "no stats line yet"; return 1; }
	case $_s in *"\"cgroup\":\"$1\""*)
		echo "cell $1 still listed: $(stats_cells_summary)"
		return 1
		;;
	esac
	return 0
}

# online_cpus: cpulist of the online CPUs.
online_cpus() {
	cat /sys/devices/system/cpu/online
}

# stats_partition_ok: in the latest stats line no CPU belongs to two cells and the placed cells
# together own every online CPU. Prints what is wrong otherwise.
stats_partition_ok() {
	_tab=$(stats_cells_table)
	[ -n "$_tab" ] || { echo "no cells in the latest stats line: $(last_stats)"; return 1; }
	_seen=" " _msg=
	while read -r _i _n _c; do
		for _x in $(expand_cpulist "$_c"); do
			case $_seen in *" $_x "*) _msg="$_msg cpu $_x is in two cells;" ;; esac
			_seen="$_seen$_x "
		done
	done <<EOT
$_tab
EOT
	for _x in $(expand_cpulist "$(online_cpus)"); do
		case $_seen in *" $_x "*) ;; *) _msg="$_msg online cpu $_x is in no cell;" ;; esac
	done
	[ -z "$_msg" ] && return 0
	echo "$_msg cells: $(stats_cells_summary)"
	return 1
}

# pids_ran_within MS CPULIST PID...: sample the PIDs for MS ms (cpusample); succeed iff each was
# seen running and only on CPUs in CPULIST. Prints one line per PID.
pids_ran_within() {
	_ms=$1 _want=$2
	shift 2
	_out=$(cpusample "$_ms" "$@") || { echo "cpusample $_ms $* failed: $_out"; return 1; }
	_rc=0
	while read -r _pid _cpus _n; do
		_cpus=${_cpus#cpus=}
		echo "pid $_pid ran on ${_cpus:-nothing} ($_n), want within $_want"
		if [ -z "$_cpus" ] || [ "$_cpus" = gone ] || ! cpulist_subset "$_cpus" "$_want"; then
			_rc=1
		fi
	done <<EOT
$_out
EOT
	return $_rc
}

# assert_pids_within MS CPULIST WHAT PID...: pids_ran_within or fail naming WHAT.
assert_pids_within() {
	_ms=$1 _want=$2 _what=$3
	shift 3
	_rc=0
	_res=$(pids_ran_within "$_ms" "$_want" "$@") || _rc=1
	echo "$_res" | while read -r _l; do log "$_what: $_l"; done
	[ "$_rc" -eq 0 ] || fail "$_what: not all of pids $* ran only on CPUs $_want"
}

# spawn_pinned_spinner CGPATH CPULIST: like spawn_spinner, but started under `taskset -c CPULIST`.
spawn_pinned_spinner() {
	taskset -c "$2" sh -c "echo \$\$ > $CGROUP_ROOT/$1/cgroup.procs && exec sh -c 'while :; do :; done'" &
	SPINNERS="$SPINNERS $!"
}

# proc_utime PID: user CPU time of PID in clock ticks (field 14 of /proc/PID/stat).
proc_utime() {
	_st=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "pid $1 gone"; return 1; }
	_st=${_st##*) }
	# shellcheck disable=SC2086 # split the fields after comm
	set -- $_st
	echo "${12}"
}

# utime_grew PID BASE MIN: PID's utime is at least BASE + MIN ticks.
utime_grew() {
	_u=$(proc_utime "$1") || { echo "$_u"; return 1; }
	[ "$_u" -ge $(($2 + $3)) ] && return 0
	echo "pid $1 utime $_u ticks, want >= $(($2 + $3)) (base $2)"
	return 1
}

# kmsg_kernel_problems: stalls, lockups, oopses and warnings in the kernel log (empty = none).
kmsg_kernel_problems() {
	dmesg | grep -iE 'rcu.*stall|soft lockup|hung task|blocked for more than|BUG:|WARNING:|Oops|watchdog'
}

# sched_healthy SEQ: the daemon is alive, sched_ext is enabled, enable_seq is still SEQ (no
# restart) and the kernel log has no sched_ext error. Prints what is wrong otherwise.
sched_healthy() {
	pid_alive "$SCHED_PID" || { echo "scx_cells (pid $SCHED_PID) has exited"; return 1; }
	state_is enabled || return 1
	_seq=$(enable_seq)
	[ "$_seq" = "$1" ] || { echo "enable_seq is $_seq, was $1: the scheduler was re-enabled"; return 1; }
	_e=$(kmsg_errors)
	[ -z "$_e" ] || { echo "sched_ext errors in the kernel log: $_e"; return 1; }
	return 0
}

# assert_sched_healthy SEQ: sched_healthy or fail with the daemon log.
assert_sched_healthy() {
	if ! _why=$(sched_healthy "$1"); then
		print_sched_log
		fail "scheduler not healthy: $_why"
	fi
}

# stats_count: how many stats lines the daemon has printed so far.
stats_count() {
	grep -c '^{"t":' "$SCHED_LOG"
}

# stats_t_ms N ERE: the daemon's clock ("t", in ms) of the first stats line after the first N
# that matches ERE (empty if none). With N from stats_count taken before an event, the
# difference to the t of line N (stats_t_ms $((N - 1)) '') bounds the daemon's reaction time
# on its own clock, free of this shell's polling overhead.
stats_t_ms() {
	_t=$(grep '^{"t":' "$SCHED_LOG" | tail -n "+$(($1 + 1))" | grep -m 1 -E -e "$2" |
		sed -n 's/^{"t":\([0-9]*\)\.\([0-9][0-9][0-9]\),.*/\1 \2/p')
	[ -n "$_t" ] || return 1
	# shellcheck disable=SC2086 # "SECONDS MILLIS"
	set -- $_t
	echo $(($1 * 1000 + 1$2 - 1000))
}

# stats_lines_until N ERE: how many stats lines after the first N it took until one matched ERE
# (1 = the very next line); empty if none matched yet. A reaction time measured in the daemon's
# own progress: on a slow or loaded host the daemon prints fewer lines per second, so a bound in
# lines does not turn host slowness into a failure, while a daemon that needs more of its own
# intervals than allowed still fails.
stats_lines_until() {
	grep '^{"t":' "$SCHED_LOG" | tail -n "+$(($1 + 1))" | grep -n -m 1 -E -e "$2" | cut -d: -f1
}

# wait_stats N DESC CMD...: poll CMD (like wait_for) until it succeeds; the deadline is the
# daemon's progress: fail once it has printed N more stats lines since the call and CMD still
# fails. A daemon that stopped printing fails after N x 2 s x VM_TIME_SCALE of wall time.
wait_stats() {
	_ws_n=$1 _ws_desc=$2
	shift 2
	_ws_end=$(($(stats_count) + _ws_n))
	_ws_deadline=$(($(now_cs) + _ws_n * 200 * VM_TIME_SCALE))
	_ws_i=0
	while :; do
		if _ws_out=$("$@" 2>&1); then
			return 0
		fi
		# Count lines only every 10th poll: under TCG every fork is load in the root cell,
		# which the work-conservation cases measure.
		_ws_i=$((_ws_i + 1))
		if [ $((_ws_i % 10)) -eq 0 ]; then
			_ws_seen=$(stats_count)
			if [ "${_ws_seen:-0}" -ge "$_ws_end" ] || [ "$(now_cs)" -ge "$_ws_deadline" ]; then
				fail "gave up waiting for: $_ws_desc after $((${_ws_seen:-0} + _ws_n - _ws_end))" \
					"of $_ws_n stats intervals (last output of '$*': ${_ws_out:-<none>})"
			fi
		fi
		sleep 0.05
	done
}
