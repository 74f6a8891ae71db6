#!/bin/sh
# stress_smoke: three cells (work/a, b, c) each running stress-ng with a CPU hog, a fork/exit
# loop and an affinity-changing stressor (hops its CPU affinity over all vCPUs), 45 s, with
# --enable-borrowing. The scheduler must survive it: the daemon stays alive, enable_seq does
# not change, no sched_ext error or kernel stall/lockup/warning in dmesg, the daemon keeps
# printing stats, every stressor makes progress (bogo ops > 0), and SIGINT unloads it to
# `disabled`. Needs --timeout >= 100 (the default 120 is enough).
# shellcheck source=../lib.sh
. /tests/lib.sh

STRESS_S=45
CELLS="a b c"

for c in $CELLS; do
	cg_create "work/$c" >/dev/null
done
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--enable-borrowing
seq0=$(enable_seq)
# shellcheck disable=SC2086
wait_stats 50 "a stats line listing cells $CELLS" stats_have_cells $CELLS
log "cells: $(stats_cells_summary)"
n0=$(stats_count)

STRESS_PIDS=
for c in $CELLS; do
	mkdir -p "$CASE_DIR/tmp.$c"
	sh -c "echo \$\$ > $CGROUP_ROOT/work/$c/cgroup.procs && exec stress-ng --cpu 1 --fork 1 \
		--affinity 1 --timeout ${STRESS_S}s --metrics-brief --temp-path $CASE_DIR/tmp.$c" \
		>"$CASE_DIR/stress.$c.log" 2>&1 &
	STRESS_PIDS="$STRESS_PIDS $!"
done
# shellcheck disable=SC2086
wait_for 10 "stress-ng in every cell" cg_has_procs work/a work/b work/c
log "stress-ng running (pids$STRESS_PIDS)"

stress_finish "$seq0" "$STRESS_S" a=cpu,fork,affinity b=cpu,fork,affinity c=cpu,fork,affinity

n1=$(stats_count)
log "the daemon printed $((n1 - n0)) stats lines during the run (every 0.2 s requested)"
[ $((n1 - n0)) -ge $((STRESS_S / 2)) ] ||
	fail "only $((n1 - n0)) stats lines in ${STRESS_S}s: the daemon was starved or hung"
problems=$(kmsg_kernel_problems)
[ -z "$problems" ] || fail "kernel problems during the stress run: $problems"
grep -v '^{"t":' "$SCHED_LOG" | tail -n 5 | while read -r l; do log "daemon: $l"; done
stop_sched
grep 'summary' "$SCHED_LOG" | while read -r l; do log "daemon: $l"; done
cg_remove work
echo ok
