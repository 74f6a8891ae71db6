#!/bin/sh
# exit_after: `scx_cells --exit-after-s 1` loads, then exits 0 by itself after
# about a second and sched_ext returns to disabled.
# shellcheck source=../lib.sh
. /tests/lib.sh

need_scx_bin
seq0=$(enable_seq)
SCHED_LOG=$CASE_DIR/scx_cells.log
t0=$(now_cs)
"$SCX_BIN" --exit-after-s 1 >"$SCHED_LOG" 2>&1 &
pid=$!
if ! (wait_for 30 "scx_cells --exit-after-s 1 to exit by itself" _not_alive "$pid"); then
	print_sched_log
	fail "scx_cells did not exit after 1 s"
fi
wait "$pid"
rc=$?
secs=$(fmt_cs $(($(now_cs) - t0)))
log "exit status $rc after ${secs}s"
if [ "$rc" -ne 0 ]; then
	print_sched_log
	fail "scx_cells --exit-after-s 1 exited with status $rc, want 0"
fi
[ "$(enable_seq)" -gt "$seq0" ] || fail "the scheduler never got enabled (enable_seq $seq0 -> $(enable_seq))"
[ $(($(now_cs) - t0)) -ge 100 ] || fail "exited after ${secs}s, before the requested 1 s"
wait_for 10 "sched_ext state 'disabled' after the timed exit" state_is disabled
print_sched_log
echo "ok"
