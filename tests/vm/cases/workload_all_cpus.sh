#!/bin/sh
# workload_all_cpus: one CPU-bound worker per vCPU runs to completion under
# scx_cells; the scheduler stays enabled (no error exit, no reload) and unloads
# cleanly afterwards.
# shellcheck source=../lib.sh
. /tests/lib.sh

OPS=${WORKLOAD_OPS:-300} # bogo ops per worker: ~5 s for the run under single-thread TCG

start_sched
seq0=$(enable_seq)
dmesg -c >/dev/null

total=$((NCPUS * OPS))
log "running $NCPUS stress-ng cpu workers, $total bogo ops in all"
cd "$CASE_DIR" || fail "cd $CASE_DIR"
t0=$(now_cs)
# stress-ng 0.15 splits --cpu-ops among the instances; -v logs each instance's
# start and exit so we can check that every worker finished.
stress-ng -v --cpu "$NCPUS" --cpu-method int64 --cpu-ops "$total" --metrics-brief \
	--timeout 90s >"$CASE_DIR/stress.log" 2>&1
rc=$?
log "stress-ng finished in $(fmt_cs $(($(now_cs) - t0)))s with status $rc"
grep -E 'cpu: (started|exited)|metrc|successful|fail|error' "$CASE_DIR/stress.log" | sed 's/^/  | /'
[ "$rc" -eq 0 ] || fail "stress-ng exited with status $rc"
grep -q 'successful run completed' "$CASE_DIR/stress.log" || fail "stress-ng did not report a successful run"
exited=$(grep -c 'cpu: exited \[[0-9]*\] (instance' "$CASE_DIR/stress.log")
[ "$exited" -eq "$NCPUS" ] || fail "$exited of $NCPUS cpu workers reported completion"
# The bogo-op limit, not the 90 s --timeout, must be what ended the run.
ops_done=$(awk '$2 == "metrc:" && $4 == "cpu" { print $5; exit }' "$CASE_DIR/stress.log")
log "bogo ops completed: ${ops_done:-?} (want $total)"
[ "${ops_done:-0}" -ge "$total" ] || fail "workers completed ${ops_done:-0} bogo ops, want $total"

state_is enabled >/dev/null || fail "scheduler no longer enabled after the workload (state $(sched_state))"
[ "$(enable_seq)" = "$seq0" ] || fail "scheduler was re-enabled during the workload"
pid_alive "$SCHED_PID" || fail "scx_cells exited during the workload"
errs=$(kmsg_errors)
[ -z "$errs" ] || fail "sched_ext errors in the kernel log: $errs"
stop_sched
echo "ok"
