#!/bin/sh
# error_exit: a BPF-side error (--test-error-after-ms) makes scx_cells exit on
# its own with a non-zero status, printing the exit reason; sched_ext returns
# to disabled.
# shellcheck source=../lib.sh
. /tests/lib.sh

need_scx_bin
seq0=$(enable_seq)
SCHED_LOG=$CASE_DIR/scx_cells.log
"$SCX_BIN" --test-error-after-ms 300 >"$SCHED_LOG" 2>&1 &
pid=$!
if ! (wait_for 30 "scx_cells --test-error-after-ms 300 to exit by itself" _not_alive "$pid"); then
	print_sched_log
	fail "scx_cells did not exit after its test error"
fi
wait "$pid"
rc=$?
print_sched_log
log "exit status $rc"
[ "$rc" -ne 0 ] || fail "scx_cells exited 0 after a BPF error, want non-zero"
[ "$(enable_seq)" -gt "$seq0" ] || fail "the scheduler never got enabled (enable_seq $seq0 -> $(enable_seq))"

# The exit reason must be printed and mention the test error.
line=$(grep -i 'test error' "$SCHED_LOG" | head -n1)
[ -n "$line" ] || fail "no line containing 'test error' in the scx_cells output"
log "exit reason line: $line"

wait_for 10 "sched_ext state 'disabled' after the error exit" state_is disabled
log "kernel: $(dmesg | grep -i 'sched_ext' | tail -n 3)"
echo "ok"
