# shellcheck shell=sh
# tests/vm/lib.sh — the one library of helpers for VM cases (tests/vm/cases, bench/vm/cases,
# demo/): every helper is defined here exactly once (tests/host/run.sh checks it).
#
# Runs INSIDE the test VM under busybox sh (ash); it is sourced by every case
# (`. /tests/lib.sh`) and by /init. Keep it POSIX sh + busybox applets only.
# lib_rel.sh and lib_wc.sh remain for cases that source them: the first installs the
# reliability cases' exit trap, the second is empty.
#
# Conventions for cases:
#   - fail MSG            print "FAIL: MSG" and exit 1
#   - skip MSG            print "SKIP: MSG" and exit 77: this VM does not suit the case
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
# The checker tool (tests/vm/tools/vmcheck.c, /bin/vmcheck in the VM).
VMCHECK=${VMCHECK:-vmcheck}

# ---- basics ------------------------------------------------------------------

# fail MSG...: report a test failure and end the case with exit status 1.
fail() {
	echo "FAIL: $*"
	exit 1
}

# skip REASON...: end the case as skipped (exit status 77; run.sh prints "SKIP NAME (REASON)"):
# for a VM that cannot show what the case tests (one LLC, too few vCPUs). Call it before the
# case starts anything, so there is nothing to clean up.
skip() {
	echo "SKIP: $*"
	exit 77
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

# log_has ERE: the daemon's log has a line matching the grep -E pattern ERE; prints "no line
# matching 'ERE' in the daemon log" otherwise (for wait_for).
log_has() {
	grep -qE -e "$1" "$SCHED_LOG" && return 0
	echo "no line matching '$1' in the daemon log"
	return 1
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

# cg_usage_us CGPATH: CPU time of the cgroup and its descendants so far, in us (cpu.stat
# usage_usec: guest time, so a share of it does not depend on how fast the host runs the VM).
cg_usage_us() {
	sed -n 's/^usage_usec //p' "$CGROUP_ROOT/$1/cpu.stat"
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

# nprocs_is CGPATH N: the cgroup holds exactly N processes (not counting its descendants');
# prints how many it holds otherwise (for wait_for).
nprocs_is() {
	_n=$(wc -l <"$CGROUP_ROOT/$1/cgroup.procs")
	[ "$_n" -eq "$2" ] && return 0
	echo "$1 has $_n processes, want $2"
	return 1
}

# ---- cpulists and the daemon's stats lines: decided by vmcheck (tests/vm/tools/vmcheck.c) ----
# Cpulists are parsed strictly (a malformed one is a harness bug: the two predicates below fail
# the case instead of answering "no"); stats lines are parsed as JSON, whatever the key order.

# expand_cpulist LIST: "0-2,5" -> "0 1 2 5 ".
expand_cpulist() {
	"$VMCHECK" expand "$1"
}

# cpulist_subset A B: every CPU of cpulist A is in cpulist B.
cpulist_subset() {
	"$VMCHECK" subset "$1" "$2"
	_vc=$?
	[ "$_vc" -le 1 ] || fail "cpulist_subset: malformed cpulist in '$1' or '$2'"
	return "$_vc"
}

# cpulists_intersect A B: some CPU is in both.
cpulists_intersect() {
	"$VMCHECK" intersect "$1" "$2"
	_vc=$?
	[ "$_vc" -le 1 ] || fail "cpulists_intersect: malformed cpulist in '$1' or '$2'"
	return "$_vc"
}

# last_stats: the daemon's latest JSON stats line.
last_stats() {
	grep '^{"t":' "$SCHED_LOG" | tail -n 1
}

# cell_field NAME FIELD: a field of cell NAME (cgroup basename, "(root)" for cell 0) from the
# latest stats line (a string without its quotes, a number as written).
cell_field() {
	"$VMCHECK" cell "$SCHED_LOG" "$1" "$2"
}

# cell_cpus NAME: primary CPUs of cell NAME in the latest stats line (the whole cpulist, also
# when it is not contiguous: "0,3").
cell_cpus() {
	cell_field "$1" cpus
}

# stats_have_cells NAME...: the latest stats line lists every cell, each with CPUs.
stats_have_cells() {
	for _c in "$@"; do
		[ -n "$(cell_cpus "$_c")" ] || { echo "no CPUs for cell $_c in: $(last_stats)"; return 1; }
	done
}

# cell_owns NAME LIST: the latest stats line gives cell NAME exactly the cpulist LIST, written as
# the daemon writes it ("0-1,3"; "" for a cell without CPUs); prints what it has and every cell's
# CPUs otherwise (for wait_for / wait_stats).
cell_owns() {
	_c=$(cell_cpus "$1")
	[ "$_c" = "$2" ] && return 0
	echo "cell $1 has '$_c', want '$2': $(stats_cells_summary)"
	return 1
}

# nr_is NAME N: the latest stats line gives cell NAME exactly N primary CPUs (nr_cpus); prints
# what it has and every cell's CPUs otherwise.
nr_is() {
	_n=$(cell_field "$1" nr_cpus)
	[ "$_n" = "$2" ] && return 0
	echo "cell $1 has ${_n:-no} CPUs, want $2; cells: $(stats_cells_summary)"
	return 1
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
			# A pid that exited while sampled ("PID gone") has nothing to check.
			[ "$_cpus" != gone ] || continue
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
	"$VMCHECK" cells "$SCHED_LOG"
}

# stats_cells_summary: the latest stats line's cells on one line, "ID:NAME=CPUS ...".
stats_cells_summary() {
	"$VMCHECK" summary "$SCHED_LOG"
}

# cell_id NAME: id of cell NAME in the latest stats line (empty if it is not listed).
cell_id() {
	stats_cells_table | while read -r _i _n _c; do [ "$_n" = "$1" ] && echo "$_i"; done | head -n 1
}

# stats_plans: the "plans" counter (plans applied so far) of the latest stats line.
stats_plans() {
	"$VMCHECK" top "$SCHED_LOG" plans
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
	"$VMCHECK" partition "$SCHED_LOG" "$(online_cpus)"
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

# _stress_over SEQ: every stress-ng of $STRESS_PIDS has exited, or the scheduler is no longer
# healthy (then waiting on is pointless; the caller's assert_sched_healthy says why).
_stress_over() {
	sched_healthy "$1" >/dev/null || return 0
	for _p in $STRESS_PIDS; do
		pid_alive "$_p" && { echo "stress-ng $_p still running"; return 1; }
	done
	return 0
}

# stress_finish SEQ SECONDS CELL=STRESSOR,...: the end of a stress-ng run started in the
# background (pids in $STRESS_PIDS, output of cell CELL in $CASE_DIR/stress.CELL.log, --timeout
# SECONDS): wait for every run to end, the scheduler still healthy (enable_seq SEQ), every run
# exited 0, and every listed stressor of each cell made progress (bogo ops > 0). Logs the
# metrics; fails with the stress-ng output otherwise.
stress_finish() {
	_sf_seq=$1 _sf_s=$2
	shift 2
	_sf_t0=$(now_cs)
	wait_for $((_sf_s + 45)) "stress-ng to finish" _stress_over "$_sf_seq"
	log "stress-ng finished after $(fmt_cs $(($(now_cs) - _sf_t0)))s"
	assert_sched_healthy "$_sf_seq"
	_sf_rc=0
	for _p in $STRESS_PIDS; do
		wait "$_p" || { _sf_rc=$?; log "stress-ng $_p exited with status $_sf_rc"; }
	done
	for _c in "$@"; do
		_c=${_c%%=*}
		sed -n 's/^stress-ng: metrc: \[[0-9]*\] /# '"$_c"': /p' "$CASE_DIR/stress.$_c.log"
	done
	if [ "$_sf_rc" -ne 0 ]; then
		for _c in "$@"; do
			_c=${_c%%=*}
			sed "s/^/$_c| /" "$CASE_DIR/stress.$_c.log"
		done
		fail "a stress-ng run failed (exit status $_sf_rc)"
	fi
	for _spec in "$@"; do
		_c=${_spec%%=*}
		for _s in $(echo "${_spec#*=}" | tr ',' ' '); do
			_ops=$(sed -n "s/^stress-ng: metrc: \[[0-9]*\] $_s  *\([0-9][0-9]*\) .*/\1/p" "$CASE_DIR/stress.$_c.log")
			if [ -z "$_ops" ] || [ "$_ops" -le 0 ]; then
				sed "s/^/$_c| /" "$CASE_DIR/stress.$_c.log"
				fail "stressor $_s in cell $_c made no progress (bogo ops '${_ops:-none}')"
			fi
		done
	done
}

# stats_count: how many stats lines the daemon has printed so far (a mark for stats_since);
# prints 0 when there are none or no log yet.
stats_count() {
	# grep -c prints 0 and fails when nothing matches: do not add a second 0.
	_scn=$(grep -c '^{"t":' "$SCHED_LOG" 2>/dev/null)
	echo "${_scn:-0}"
}

# stats_t_ms N ERE: the daemon's clock ("t", in ms) of the first stats line after the first N
# that matches ERE (empty if none). With N from stats_count taken before an event, the
# difference to the t of line N (stats_t_ms $((N - 1)) '') bounds the daemon's reaction time
# on its own clock, free of this shell's polling overhead.
stats_t_ms() {
	"$VMCHECK" t_ms "$SCHED_LOG" "$1" "$2"
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

# ---- reliability cases (rel_*, stats_protocol; formerly lib_rel.sh) -------------------------

# cpulist_count LIST: number of CPUs in a cpulist ("0-2,5" -> 4; "" -> 0).
cpulist_count() {
	"$VMCHECK" count "$1"
}

# stats_field NAME: a top-level numeric field ("plans", "waiting", ...) of the latest stats line.
stats_field() {
	"$VMCHECK" top "$SCHED_LOG" "$1"
}

# stats_field_is NAME WANT: the latest stats line has NAME == WANT (prints what it has otherwise).
stats_field_is() {
	_v=$(stats_field "$1")
	[ "$_v" = "$2" ] && return 0
	echo "\"$1\" is '${_v:-<none>}', want $2; cells: $(stats_cells_summary)"
	return 1
}

# stats_newer_than N: the daemon printed more than N stats lines (for "a fresh line after X").
stats_newer_than() {
	_n=$(stats_count)
	[ "$_n" -gt "$1" ] && return 0
	echo "$_n stats lines, waiting for more than $1"
	return 1
}

# restarted_since SEQ NSTATS: the scheduler was enabled again after SEQ (enable_seq above SEQ),
# is enabled now, the daemon is alive and printed a stats line after the first NSTATS (from
# stats_count). Prints which of these does not hold otherwise (for wait_for).
restarted_since() {
	pid_alive "$SCHED_PID" || { echo "scx_cells (pid $SCHED_PID) exited"; return 1; }
	state_is enabled || return 1
	_s=$(enable_seq)
	[ "$_s" -gt "$1" ] || { echo "enable_seq still $_s"; return 1; }
	stats_newer_than "$2"
}

# cpu_online_restart ONLINE VALUE WHAT: write VALUE (0 or 1) to a CPU's sysfs online file ONLINE
# (the kernel unloads the scheduler) and wait up to 30 s until the daemon has restarted it
# (restarted_since); logs the online CPUs and how long the write and the restart took. Sets
# HOTPLUG_T0 to now_cs just before the write. If the write fails, or the scheduler does not come
# back, prints the daemon log (for the latter) and fails naming WHAT.
cpu_online_restart() {
	_cor_seq=$(enable_seq)
	_cor_n=$(stats_count)
	HOTPLUG_T0=$(now_cs)
	echo "$2" >"$1" || fail "$3: cannot write $2 to $1"
	log "$3: write took $(fmt_cs $(($(now_cs) - HOTPLUG_T0)))s; online now $(online_cpus)"
	if ! (wait_for 30 "$3: scheduler restarted (enabled again) by the daemon" restarted_since "$_cor_seq" "$_cor_n"); then
		print_sched_log
		fail "$3: the scheduler did not come back"
	fi
	log "$3: enabled again after $(fmt_cs $(($(now_cs) - HOTPLUG_T0)))s (enable_seq $_cor_seq -> $(enable_seq))"
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
	"$VMCHECK" no_cpu "$SCHED_LOG" "$1"
}

# stats_all_cpus LIST: the placed cells of the latest stats line together own exactly the CPUs
# in LIST, each once (a partition of LIST).
stats_all_cpus() {
	"$VMCHECK" owns_exactly "$SCHED_LOG" "$1"
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

# _rel_exit STATUS: the exit trap that sourcing lib_rel.sh installs. On a failing exit, show the
# end of the daemon log (all non-stats lines up to 80, and the last 3 stats lines) so the
# evidence is in the case log. REL_ON_EXIT (shell code) runs first, on every exit, for clean-ups
# such as putting a CPU back online.
_rel_exit() {
	_st=$1
	[ -z "${REL_ON_EXIT:-}" ] || eval "$REL_ON_EXIT"
	if [ "$_st" -ne 0 ] && [ "$_st" -ne 77 ] && [ -n "$SCHED_LOG" ] && [ -f "$SCHED_LOG" ]; then
		echo "--- scx_cells log at failure (non-stats lines, then the last 3 stats lines) ---"
		grep -v '^{"t":' "$SCHED_LOG" | tail -n 80 | sed 's/^/  | /'
		grep '^{"t":' "$SCHED_LOG" | tail -n 3 | sed 's/^/  | /'
	fi
}

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

# ---- work conservation (wc_*, cpu8_*; formerly lib_wc.sh) --------------------------------
# Everything reads the daemon's JSON stats lines (start it with --stats-format json), so every
# helper works on $SCHED_LOG of the current (or last) daemon run.

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
	"$VMCHECK" fcmp "$1" "$2" "$3"
}

# fcalc EXPR: an arithmetic expression (numbers, + - * / ( ), comparisons, A ? B : C) with 3
# decimals.
fcalc() {
	"$VMCHECK" calc "$1"
}

# cpu_snapshot: the cpuN lines of /proc/stat, for busy_pct.
cpu_snapshot() {
	grep '^cpu[0-9]' /proc/stat
}

# busy_pct BEFORE AFTER [CPULIST]: "cpuN=PCT ..." (busy = all but idle and iowait) between two
# cpu_snapshots, per CPU of CPULIST (default: every CPU of AFTER).
busy_pct() {
	printf '%s\n--\n%s\n' "$1" "$2" | "$VMCHECK" busy ${3:+"$3"}
}

# min_pct "cpuN=PCT ...": the smallest PCT.
min_pct() {
	"$VMCHECK" min_pct "$1"
}

# stats_top FIELD: a top-level numeric field (plans, rebalances, rejected, waiting, t) of the
# latest stats line.
stats_top() {
	"$VMCHECK" top "$SCHED_LOG" "$1"
}

# queue_share FIELD: a field of the latest stats line's "queue" object (idle, cell, pinned,
# borrowed), in percent.
queue_share() {
	"$VMCHECK" top "$SCHED_LOG" "queue.$1"
}

# cell_num NAME FIELD: numeric field of cell NAME in the latest stats line (empty if absent).
cell_num() {
	"$VMCHECK" cell "$SCHED_LOG" "$1" "$2"
}

# stats_brief: one line summing up the latest stats line: rebalances, plans and per cell
# name=nr_cpus[cpus] with smoothed utilisation.
stats_brief() {
	"$VMCHECK" brief "$SCHED_LOG"
}

# sched_summary: the daemon's exit summary line (placements, reclaim preemptions, ...).
sched_summary() {
	sed -n 's/^scx_cells: summary: //p' "$SCHED_LOG" | tail -n 1
}

# sched_prog_stats: the daemon's "bpf run time" exit line (mean ns and runs per BPF program), if
# the kernel kept BPF statistics (boot with VM_APPEND=sysctl.kernel.bpf_stats_enabled=1).
sched_prog_stats() {
	sed -n 's/^scx_cells: bpf run time: //p' "$SCHED_LOG" | tail -n 1
}

# cell_wake_wait NAME: from the last summary, the mean wait from wake-up to running (us) of the
# unpinned tasks of cell NAME as the BPF side timed it (ktime, ops.runnable to ops.running);
# empty if it had no wake-ups. A second view of what benchlat's rqwait_us (schedstat run_delay)
# shows: run_delay is counted on the run queue's clock, which the kernel does not update again
# after a wake-up that preempts (wakeup_preempt -> rq_clock_skip_update), so it can miss part of
# a reschedule; this one cannot. The two differ by a roughly constant offset under TCG.
cell_wake_wait() {
	sched_summary | sed -n "s/.*; wake-up wait by cell:.* $1 \([0-9.]*\) us (.*/\1/p"
}

# _stat_cmp NAME FIELD OP VALUE: compare a field of the latest stats line (NAME = cell cgroup
# basename, or "" for a top-level field) in one process (wait_for polls these every 50 ms and,
# under TCG, every extra fork shows up as CPU load of the root cell). Prints what it saw when
# the comparison fails.
_stat_cmp() {
	"$VMCHECK" cmp "$SCHED_LOG" "$1" "$2" "$3" "$4"
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

# stats_count_ge N: at least N stats lines so far (for wait_for).
stats_count_ge() {
	_sc=$(stats_count)
	[ "$_sc" -ge "$1" ] && return 0
	echo "$_sc stats lines so far, want $1"
	return 1
}

# lines_since MARK N: at least N stats lines were printed after the first MARK (from
# stats_count); prints "HAVE of N stats lines" otherwise (for wait_for).
lines_since() {
	_have=$(($(stats_count) - $1))
	[ "$_have" -ge "$2" ] && return 0
	echo "$_have of $2 stats lines"
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
	"$VMCHECK" agg "$SCHED_LOG" "$1" "$2" "$3" "$4"
}

# stats_max MARK NAME FIELD / stats_min / stats_mean: aggregate of cell NAME's FIELD (NAME "-"
# for the queue shares) over the stats lines since MARK.
stats_max() { _stats_agg "$1" max "$2" "$3"; }
stats_min() { _stats_agg "$1" min "$2" "$3"; }
stats_mean() { _stats_agg "$1" mean "$2" "$3"; }

# median VALUES...: the median (lower middle for an even count) of numbers, as given.
median() {
	"$VMCHECK" median "$@"
}

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
	[ "$_rc" -ne 0 ] && [ "$_rc" -ne 77 ] || return 0
	[ -n "$SCHED_LOG" ] && [ -f "$SCHED_LOG" ] || return 0
	echo "--- scx_cells log without stats lines (last 80) ---"
	grep -v '^{"t":' "$SCHED_LOG" | tail -n 80 | sed 's/^/  | /'
	echo "--- last stats line ---"
	last_stats | sed 's/^/  | /'
}
