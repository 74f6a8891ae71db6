#!/bin/sh
# rel_ci_smoke: the sched_ext project's CI smoke (45 s of `stress-ng --aggressive` with
# affinity-changing stressors) with --enable-borrowing AND --enable-rebalancing (#13 checklist;
# stress_smoke runs it with borrowing only). Three cells with unequal load so that borrowing and
# rebalancing have something to do: work/a runs stress-ng --cpu 2, work/b --cpu 1, each with a
# fork/exit loop and --affinity 1 (hops its CPU affinity over every vCPU); work/c only --cpu 1
# --cpu-load 20 (a light cell whose CPU the others can borrow and rebalancing can take; an
# affinity stressor of its own would keep it saturated); all with --aggressive (which also
# migrates every worker between CPUs); --rebalance-cooldown-s 2.
# Passes if the daemon stays alive, enable_seq does not change, no sched_ext error or kernel
# stall/lockup/warning shows up in dmesg, the daemon keeps printing stats, every stressor of
# every cell makes progress (bogo ops > 0), tasks ran on borrowed CPUs (borrowing was exercised,
# not only switched on), and SIGINT unloads it to `disabled`. The rebalances applied are logged,
# with the cells' smoothed utilisation in the middle of the run, but not required: three cells
# and the root cell on 4 vCPUs own one CPU each, so there is no CPU to move (0 rebalances in 4
# runs although the spread was ~98 points; see docs/reliability.md).
# How it fails: any ejection by the kernel (runnable task stall, an invalid dispatch from an
# affinity change racing a rebalance publication) ends the run early with the reason.
# Needs --timeout >= 100 (the default 120 is enough).
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

STRESS_S=45
CELLS="a b c"

for c in $CELLS; do
	cg_create "work/$c" >/dev/null
done
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--enable-borrowing --enable-rebalancing --rebalance-cooldown-s 2
seq0=$(enable_seq)
# shellcheck disable=SC2086
wait_stats 50 "a stats line listing cells $CELLS" stats_have_cells $CELLS
log "cells: $(stats_cells_summary)"
n0=$(stats_count)

STRESS_PIDS=
for c in $CELLS; do
	load="--cpu 1"
	[ "$c" = a ] && load="--cpu 2"
	[ "$c" = c ] && load="--cpu 1 --cpu-load 20"
	[ "$c" = c ] || load="$load --fork 1 --affinity 1"
	mkdir -p "$CASE_DIR/tmp.$c"
	sh -c "echo \$\$ > $CGROUP_ROOT/work/$c/cgroup.procs && exec stress-ng --aggressive \
		$load --timeout ${STRESS_S}s --metrics-brief \
		--temp-path $CASE_DIR/tmp.$c" >"$CASE_DIR/stress.$c.log" 2>&1 &
	STRESS_PIDS="$STRESS_PIDS $!"
done
wait_for 10 "stress-ng in every cell" cg_has_procs work/a work/b work/c
log "stress-ng running (pids$STRESS_PIDS)"

stress_finish "$seq0" "$STRESS_S" a=cpu,fork,affinity b=cpu,fork,affinity c=cpu

n1=$(stats_count)
log "the daemon printed $((n1 - n0)) stats lines during the run (every 0.2 s requested)"
[ $((n1 - n0)) -ge $((STRESS_S / 2)) ] ||
	fail "only $((n1 - n0)) stats lines in ${STRESS_S}s: the daemon was starved or hung"
log "last stats: plans $(stats_plans), rebalances $(stats_field rebalances);" \
	"$(last_stats | sed -n 's/.*"queue":\({[^}]*}\).*"counters":{\("reenq":[0-9]*,"reenq_affn":[0-9]*\).*/queue \1 \2/p')"
problems=$(kmsg_kernel_problems)
[ -z "$problems" ] || fail "kernel problems during the stress run: $problems"
stop_sched
log "daemon: $(summary_line)"
nrebal=$(summary_line | sed -n 's/.* \([0-9]*\) rebalances.*/\1/p')
nborrow=$(summary_line | sed -n 's/.* \([0-9]*\) borrowed;.*/\1/p')
log "rebalances applied: ${nrebal:-?}; cells in the middle of the run (id:smoothed util %):" \
	"$(grep '^{"t":' "$SCHED_LOG" | sed -n "$(((n0 + n1) / 2))p" | sed 's/},{/}\n{/g' |
		sed -n 's/.*"id":\([0-9]*\),.*"smoothed_util_pct":\([0-9.]*\),.*/\1:\2/p' | tr '\n' ' ')"
[ "${nborrow:-0}" -ge 1 ] || fail "no placement on a borrowed CPU in ${STRESS_S}s: $(summary_line)"
cg_remove work
echo ok
