#!/bin/sh
# rel_signals: ordinary signals and a closed stdout never unload the scheduler (#13 item 10).
#  - stdout into a pipe to `head -n 2`: once head has exited, writes get EPIPE (SIGPIPE used to
#    kill the daemon, which unloaded the scheduler). The daemon must stay alive, state `enabled`,
#    its --metrics-file must go on being rewritten (two more stats intervals), and it must say
#    once on stderr that stdout failed.
#  - SIGHUP (it used to kill the daemon too): the daemon stays alive, the state stays `enabled`,
#    enable_seq does not change (no reload of the BPF side), and it logs a rescan that found the
#    cells; then SIGINT unloads cleanly (`disabled`, exit 0).
# shellcheck source=../lib.sh
. /tests/lib.sh

need_scx_bin
state_is disabled >/dev/null || fail "sched_ext is '$(sched_state)' before start"
cg_create work/a >/dev/null
cg_create work/b >/dev/null
spawn_spinner work/a
spawn_spinner work/b
wait_for 5 "spinners in a and b" cg_has_procs work/a work/b

SCHED_LOG=$CASE_DIR/scx_cells.err
METRICS=$CASE_DIR/metrics.prom
FIFO=$CASE_DIR/stdout.fifo
rm -f "$FIFO" "$METRICS"
mkfifo "$FIFO" || fail "mkfifo $FIFO"
head -n 2 <"$FIFO" >"$CASE_DIR/head.out" &
HEAD_PID=$!
log "starting: $SCX_BIN ... >fifo (read by head -n 2, pid $HEAD_PID) 2>$SCHED_LOG"
"$SCX_BIN" --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--metrics-file "$METRICS" >"$FIFO" 2>"$SCHED_LOG" &
SCHED_PID=$!
if ! (wait_for 60 "scx_cells (pid $SCHED_PID) to be enabled as 'cells'" _sched_up_or_dead); then
	print_sched_log
	fail "scheduler did not come up"
fi
pid_alive "$SCHED_PID" || { print_sched_log; fail "scx_cells exited before the scheduler was enabled"; }

# metrics_uptime: the daemon's uptime_seconds in its metrics file (empty before the first one).
metrics_uptime() {
	awk '$1 == "scx_cells_uptime_seconds" { print $2 }' "$METRICS" 2>/dev/null
}

# alive_and_past UPTIME: the daemon is alive, sched_ext enabled, and the metrics file was
# rewritten at an uptime at least 0.4 s (two 0.2 s intervals) after UPTIME.
alive_and_past() {
	pid_alive "$SCHED_PID" || { echo "scx_cells (pid $SCHED_PID) exited"; return 1; }
	state_is enabled || return 1
	_u=$(metrics_uptime)
	[ -n "$_u" ] || { echo "no metrics file yet"; return 1; }
	awk -v u="$_u" -v base="$1" 'BEGIN { exit !(u >= base + 0.4) }' || {
		echo "uptime_seconds $_u, want >= $1 + 0.4"
		return 1
	}
}

wait_for 30 "head -n 2 to exit (2 lines read)" _not_alive "$HEAD_PID"
wait "$HEAD_PID"
log "head exited after reading: $(tr '\n' ' ' <"$CASE_DIR/head.out" | cut -c1-120)"
u0=$(metrics_uptime)
u0=${u0:-0}
if ! (wait_for 30 "the daemon alive and scheduling 2 stats intervals after head exited" alive_and_past "$u0"); then
	print_sched_log
	fail "closed stdout: the daemon did not go on (state $(sched_state))"
fi
grep -q 'writing to stdout failed' "$SCHED_LOG" || { print_sched_log; fail "the daemon did not say that stdout failed"; }
n=$(grep -c 'writing to stdout failed' "$SCHED_LOG")
[ "$n" -eq 1 ] || { print_sched_log; fail "stdout failure logged $n times, want once"; }
log "closed stdout: alive, state $(sched_state), uptime $u0 -> $(metrics_uptime) s; stderr: $(grep 'stdout failed' "$SCHED_LOG")"

# SIGHUP: rescan, no reload of the BPF side
seq0=$(enable_seq)
kill -HUP "$SCHED_PID"
# reload_logged: the daemon logged the rescan of a SIGHUP, naming 3 cells (root, a, b).
reload_logged() {
	pid_alive "$SCHED_PID" || { echo "scx_cells (pid $SCHED_PID) exited"; return 1; }
	grep -q 'reload 1: rescanned 3 cells' "$SCHED_LOG" || { tail -n 2 "$SCHED_LOG"; return 1; }
}
if ! (wait_for 30 "the rescan of SIGHUP in the daemon's log" reload_logged); then
	print_sched_log
	fail "SIGHUP: no rescan logged (state $(sched_state))"
fi
u1=$(metrics_uptime)
if ! (wait_for 30 "the daemon alive and scheduling 2 stats intervals after SIGHUP" alive_and_past "$u1"); then
	print_sched_log
	fail "SIGHUP: the daemon did not go on (state $(sched_state))"
fi
seq1=$(enable_seq)
[ "$seq1" = "$seq0" ] || { print_sched_log; fail "SIGHUP: enable_seq $seq0 -> $seq1, want unchanged"; }
log "SIGHUP: $(grep 'reload 1:' "$SCHED_LOG"); enable_seq $seq0 -> $seq1, state $(sched_state)"
assert_sched_healthy "$seq0"

stop_sched
kill_spinners
cg_remove work
echo ok
