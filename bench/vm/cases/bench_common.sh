#!/bin/sh
# bench_common: helpers shared by the bench_* cases (sourced: `. /tests/cases/bench_common.sh`).
# tests/vm/run.sh finds bench/vm/cases/*.sh by name and packs them as /tests/cases/NAME.sh; it
# ships only the cases it is told to run, so bench/vm/run.sh names bench_common first in every
# boot; run as a case it only defines functions and passes. Not part of `all`. The general
# helpers (kv, cell_cpus, ...) come from tests/vm/lib.sh; a helper is defined once across both.
#
# Results leave the VM as marker lines the host driver (bench/vm/run.sh) collects:
#   BENCHENV,KEY=VALUE,...        facts about the boot (kernel, vCPUs)
#   BENCHHDR,NAME,COL,...         CSV header of table NAME (build/bench/NAME.csv)
#   BENCHCSV,NAME,VALUE,...       one CSV row of table NAME
# Scheduler configurations (bench_on/bench_off CONFIG):
#   eevdf         no BPF scheduler (the kernel's default, EEVDF)
#   cpuset        no BPF scheduler; the cells' split written to their cpuset.cpus ($BENCH_SPLIT)
#   simple        the kernel's scx_simple example (/bin/scx_simple, weighted vtime, one queue)
#   cells         scx_cells --cell-parent-cgroup /work
#   cells_borrow  ... --enable-borrowing
#   cells_noreclaim  ... --enable-borrowing --no-reclaim (a deliberately bad setting: the owner
#                 waits for the borrower's slice)
#   cells_longslice  ... --enable-borrowing --borrow-slice-us 20000 (deliberately bad: borrowers
#                 keep a full default slice)
#   cells_rebal   ... --enable-rebalancing (cooldown 1 s, interval 0.5 s)
#   cells_root    scx_cells without a parent: every task in the root cell (all CPUs)
# shellcheck source=../../../tests/vm/lib.sh
. /tests/lib.sh

BENCH_PARENT=work
# Extra scx_cells options for every cells* configuration (a case may add to it).
BENCH_CELLS_ARGS=${BENCH_CELLS_ARGS:-}
# "NAME=CPULIST ..." applied to $BENCH_PARENT/NAME/cpuset.cpus by the cpuset configuration.
BENCH_SPLIT=
SIMPLE_PID=

# ratio A B: A / B with 3 decimals; 0 unless B > 0 (an empty value counts as 0).
ratio() {
	fcalc "(${2:-0} > 0 ? ${1:-0} / ${2:-0} : 0)"
}

# bench_env: describe the boot for the report.
bench_env() {
	echo "BENCHENV,case=$CASE_NAME,kernel=$(uname -r),ncpus=$NCPUS,mem_kb=$(sed -n 's/MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
}

# bench_header NAME COL...: CSV header of table NAME.
bench_header() {
	_bn=$1
	shift
	echo "BENCHHDR,$_bn,$(echo "$*" | tr ' ' ',')"
}

# bench_row NAME VALUE...: one CSV row of table NAME. Values must not contain spaces; commas in
# them (CPU lists such as 3,7) become "+".
bench_row() {
	_bn=$1
	shift
	_row=
	for _v in "$@"; do
		_row="$_row,$(echo "$_v" | tr ',' '+')"
	done
	echo "BENCHCSV,$_bn$_row"
}

# bench_probe CONFIG PROBE_CG LOAD_CG SAMPLES MAX_S: run the latency probe (benchlat, 1 ms timer
# loop, raw samples to $CASE_DIR/raw.CONFIG) in PROBE_CG; meanwhile measure the CPUs' worth of
# time LOAD_CG got (cpu.stat, guest time), appended to $CASE_DIR/cpus.CONFIG. Sets BENCH_RES
# (benchlat's result line) and BENCH_CPUS.
bench_probe() {
	_u0=$(cg_usage_us "$3") _t0=$(benchts -n)
	BENCH_RES=$(in_cgroup "$2" benchlat 1000 "$4" "$5" "$CASE_DIR/raw.$1") ||
		fail "benchlat failed under $1: $BENCH_RES"
	_u1=$(cg_usage_us "$3") _t1=$(benchts -n)
	BENCH_CPUS=$(fcalc "($_u1 - $_u0) / 1e6 / ($_t1 - $_t0)")
	echo "$BENCH_CPUS" >>"$CASE_DIR/cpus.$1"
}

# bench_record_sched CONFIG ROUND CELL: after a scx_cells configuration stopped, log its exit
# summary (and the BPF programs' run times if the kernel kept them) and keep, per CONFIG, cell
# CELL's BPF-timed wake-up wait ($CASE_DIR/bwait.CONFIG) and the counters owner_busy,
# owner_busy_lent, reclaims, reclaim_runs, borrow_pulls ($CASE_DIR/ctr.CONFIG, one line per round).
bench_record_sched() {
	_s=$(sched_summary)
	log "round $2 $1 summary: $_s"
	[ -z "$(sched_prog_stats)" ] || log "round $2 $1 bpf run time: $(sched_prog_stats)"
	cell_wake_wait "$3" >>"$CASE_DIR/bwait.$1"
	echo "$_s" | sed -n 's/.* \([0-9]*\) reclaim preemptions.* \([0-9]*\) wake-ups found their cell busy, \([0-9]*\) of them with a CPU lent; \([0-9]*\) owner tasks ran on reclaimed CPUs.* \([0-9]*\) borrow pulls.*/\2 \3 \1 \4 \5/p' >>"$CASE_DIR/ctr.$1"
}

# bench_counters CONFIG: the five counters of bench_record_sched summed over rounds, or "- - - - -".
bench_counters() {
	if [ -s "$CASE_DIR/ctr.$1" ]; then
		awk '{ for (i = 1; i <= 5; i++) s[i] += $i } END { print s[1], s[2], s[3], s[4], s[5] }' "$CASE_DIR/ctr.$1"
	else
		echo "- - - - -"
	fi
}

# bench_mean FILE DECIMALS: mean of the numbers in FILE (one per line), or "-" if none.
bench_mean() {
	if [ -s "$1" ]; then
		awk -v d="$2" 'NF { s += $1; n++ } END { if (n) printf "%." d "f", s / n; else print "-" }' "$1"
	else
		echo -
	fi
}

# in_cgroup CGPATH CMD...: run CMD (exec'd by a shell that first joins CGPATH) in the foreground.
in_cgroup() {
	_cg=$1
	shift
	sh -c "echo \$\$ > $CGROUP_ROOT/$_cg/cgroup.procs && exec \"\$@\"" sh "$@"
}

# ---- scx_simple ---------------------------------------------------------------------------

_simple_up_or_dead() {
	pid_alive "$SIMPLE_PID" || return 0
	[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = simple ] && return 0
	echo "state=$(sched_state) ops=$(sched_ops)"
	return 1
}

simple_start() {
	[ -x /bin/scx_simple ] || fail "/bin/scx_simple missing (make build/vm-bin/scx_simple)"
	state_is disabled >/dev/null || fail "simple_start: sched_ext is '$(sched_state)'"
	/bin/scx_simple >"$CASE_DIR/scx_simple.log" 2>&1 &
	SIMPLE_PID=$!
	wait_for 60 "scx_simple to be enabled" _simple_up_or_dead
	pid_alive "$SIMPLE_PID" || { cat "$CASE_DIR/scx_simple.log"; fail "scx_simple exited early"; }
}

simple_stop() {
	kill -INT "$SIMPLE_PID" 2>/dev/null
	wait "$SIMPLE_PID"
	_rc=$?
	SIMPLE_PID=
	[ "$_rc" -eq 0 ] || { tail -n 20 "$CASE_DIR/scx_simple.log"; fail "scx_simple exited with $_rc"; }
	wait_for 10 "sched_ext disabled after scx_simple" state_is disabled
}

# ---- configurations -----------------------------------------------------------------------

# bench_split: the split scx_cells would make of the children of $BENCH_PARENT right now, as
# "NAME=CPULIST ..." (from --dry-run --json; unplaced cells are left out).
bench_split() {
	"$SCX_BIN" --dry-run --json --cell-parent-cgroup "$CGROUP_ROOT/$BENCH_PARENT" |
		"$VMCHECK" split "$CGROUP_ROOT/$BENCH_PARENT/"
}

_cpusets_write() { # VALUE-OR-EMPTY: write each cell's cpuset.cpus (empty: its split's CPUs)
	for _p in $BENCH_SPLIT; do
		_n=${_p%%=*}
		if [ "$1" = reset ]; then
			echo "" >"$CGROUP_ROOT/$BENCH_PARENT/$_n/cpuset.cpus" || fail "cannot reset cpuset of $_n"
		else
			cg_set_cpus "$BENCH_PARENT/$_n" "${_p#*=}"
		fi
	done
}

# bench_on CONFIG: bring up a scheduler configuration (see the top of this file).
# shellcheck disable=SC2086 # BENCH_CELLS_ARGS is a list of options
bench_on() {
	_cp="--cell-parent-cgroup /$BENCH_PARENT --stats-format json"
	case $1 in
	eevdf) ;;
	cpuset)
		[ -n "$BENCH_SPLIT" ] || fail "bench_on cpuset: BENCH_SPLIT is empty"
		_cpusets_write set
		;;
	simple) simple_start ;;
	cells) start_sched $_cp $BENCH_CELLS_ARGS ;;
	cells_borrow) start_sched $_cp --enable-borrowing $BENCH_CELLS_ARGS ;;
	cells_noreclaim) start_sched $_cp --enable-borrowing --no-reclaim $BENCH_CELLS_ARGS ;;
	cells_longslice) start_sched $_cp --enable-borrowing --borrow-slice-us 20000 $BENCH_CELLS_ARGS ;;
	cells_rebal) start_sched $_cp --enable-rebalancing --rebalance-cooldown-s 1 --monitor-interval-s 0.5 $BENCH_CELLS_ARGS ;;
	cells_root) start_sched --stats-format json $BENCH_CELLS_ARGS ;;
	*) fail "bench_on: unknown configuration '$1'" ;;
	esac
}

# bench_off CONFIG: undo bench_on CONFIG (the system is back to EEVDF without cpusets).
bench_off() {
	case $1 in
	eevdf) ;;
	cpuset) _cpusets_write reset ;;
	simple) simple_stop ;;
	cells*) stop_sched >/dev/null ;;
	esac
}

# bench_cells_view: what the configuration in force does with the cells, for the log and CSV:
# "NAME=CPULIST/..." (cpusets: the cpusets; cells: the latest stats line; else "all").
bench_cells_view() {
	case $1 in
	cpuset) echo "$BENCH_SPLIT" | sed 's/ *$//; s/ /\//g' ;;
	cells | cells_borrow | cells_noreclaim | cells_longslice | cells_rebal)
		stats_cells_table | while read -r _i _n _c; do printf '%s=%s/' "$_n" "$_c"; done | sed 's/\/$//'
		;;
	*) echo all ;;
	esac
}

# ---- scx_cells with timestamped output (bench_reconfig) -----------------------------------
# start_sched_ts ARGS...: like start_sched, but the daemon's output also goes through benchts,
# which appends each line to $SCHED_TS prefixed with its arrival time (CLOCK_MONOTONIC s).
start_sched_ts() {
	need_scx_bin
	state_is disabled >/dev/null || fail "start_sched_ts: sched_ext is '$(sched_state)'"
	SCHED_LOG=$CASE_DIR/scx_cells.log
	SCHED_TS=$CASE_DIR/scx_cells.ts
	rm -f "$CASE_DIR/sched.fifo" "$SCHED_TS"
	mkfifo "$CASE_DIR/sched.fifo"
	benchts "$SCHED_TS" <"$CASE_DIR/sched.fifo" >"$SCHED_LOG" &
	log "starting: $SCX_BIN $* (timestamped)"
	"$SCX_BIN" "$@" >"$CASE_DIR/sched.fifo" 2>&1 &
	SCHED_PID=$!
	if ! (wait_for 60 "scx_cells (pid $SCHED_PID) enabled" _sched_up_or_dead) || ! pid_alive "$SCHED_PID"; then
		print_sched_log
		fail "start_sched_ts: scheduler did not come up"
	fi
}

# Run as a case: nothing to do.
[ "$CASE_NAME" != bench_common ] || echo ok
