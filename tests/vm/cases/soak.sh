#!/bin/sh
# soak: everything at once for SOAK_MIN minutes (`make soak`; not in `all`, not in CI): cgroup
# churn (cells created and destroyed by cgchurn), cpuset writes, CPU hotplug (cpu3 off and on),
# with --enable-borrowing and --enable-rebalancing, CPU hogs in three long-lived cells (a: three
# hogs and a pinned task; b: one hog, a fork loop and a cpuset rewritten every round; c: two hogs
# every other 3 rounds, so demand swings and rebalancing has work). Rounds repeat until the time is up; after every round it checks:
#  - no exit: the daemon is alive, sched_ext is enabled, enable_seq is the start value plus the
#    restarts the hotplug writes asked for (each write is one restart, waited for), nothing else;
#  - no stall, lockup, oops, warning or sched_ext error in dmesg (hotplug restarts excepted);
#  - no leaked cell id: once the churn cgroups are gone the stats list exactly cells 1:a 2:b 3:c
#    (ids in use == live cells, lowest ids);
#  - the daemon's memory is flat: VmRSS of /proc/PID/status sampled every round; at the end
#    first/last/max are printed and max - first must stay below RSS_GROWTH_KB.
# Minutes: SOAK_MIN (30 by default) from the kernel command line (tests/vm/soak.sh passes
# scx_soak_min=N through VM_APPEND; the kernel hands unknown name=value words to /init's
# environment). Per-case timeout must exceed it: tests/vm/soak.sh sets --timeout.
# The last line before "ok" is "SOAK: ..." with the numbers docs/reliability.md quotes.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

SOAK_MIN=${scx_soak_min:-30}
RSS_GROWTH_KB=2048   # bound on max VmRSS - first VmRSS (after the first round)
CHURN_PER_ROUND=30   # cgchurn cycles per round
HOTPLUG_EVERY=4      # a hotplug write every 4th round
CPU=3
ONLINE=/sys/devices/system/cpu/cpu$CPU/online
CPUSETS="0-1 2-3 1-3 1-2 0,2"

[ -w "$ONLINE" ] || fail "$ONLINE is not writable: CPU $CPU cannot be hot-unplugged in this VM"
# shellcheck disable=SC2034 # run by lib_rel.sh's exit trap: leave the CPU online
REL_ON_EXIT="echo 1 >$ONLINE 2>/dev/null"

# stall_lines: kernel log lines that mean a stall, lockup, crash or a sched_ext error other than
# the restarts hotplug asks for (empty = none).
stall_lines() {
	dmesg | grep -iE 'rcu.*stall|soft lockup|hard lockup|hung task|blocked for more than|BUG:|WARNING:|Oops|failed to run for|watchdog failed|sched_ext.*(error|errored|fail)' |
		grep -viE 'going (on|off)line|hotplug'
}

# rss_kb: the daemon's VmRSS in kB.
rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SCHED_PID/status"
}

# restarted_to SEQ: the scheduler is enabled with enable_seq >= SEQ and the daemon is alive.
restarted_to() {
	pid_alive "$SCHED_PID" || { echo "scx_cells (pid $SCHED_PID) exited"; return 1; }
	state_is enabled || return 1
	_s=$(enable_seq)
	[ "$_s" -ge "$1" ] || { echo "enable_seq $_s, want $1"; return 1; }
}

# check WHAT: the per-round checks (see the header).
check() {
	pid_alive "$SCHED_PID" || fail "$1: scx_cells (pid $SCHED_PID) has exited"
	state_is enabled >/dev/null || fail "$1: sched_ext is '$(sched_state)', want enabled"
	_s=$(enable_seq)
	[ "$_s" = "$want_seq" ] ||
		fail "$1: enable_seq is $_s, want $want_seq ($seq0 + $hotplugs hotplug restarts)"
	_p=$(stall_lines)
	[ -z "$_p" ] || fail "$1: kernel problems: $_p"
	wait_stats 50 "$1: churn cells gone, exactly 1:a 2:b 3:c listed" stats_cells_are "1:a 2:b 3:c"
	_r=$(rss_kb)
	[ -n "$_r" ] || fail "$1: cannot read VmRSS of pid $SCHED_PID"
	[ -n "$rss_first" ] || rss_first=$_r
	[ "$_r" -le "$rss_max" ] || rss_max=$_r
	rss_last=$_r
	[ $((rss_max - rss_first)) -lt "$RSS_GROWTH_KB" ] ||
		fail "$1: daemon VmRSS grew from $rss_first kB to $rss_max kB (bound +$RSS_GROWTH_KB kB)"
}

for c in a b c; do
	cg_create "work/$c" >/dev/null
done
# Hogs at a 50% duty cycle (full spinners make every cgroup operation crawl under TCG): three in
# a, one in b, a task of a pinned to CPU 1, a fork loop in b; c's come and go (c_hogs).
for c in a a a b; do
	sh -c "echo \$\$ > $CGROUP_ROOT/work/$c/cgroup.procs && exec dutyspin 10 10" &
	SPINNERS="$SPINNERS $!"
done
taskset -c 1 sh -c "echo \$\$ > $CGROUP_ROOT/work/a/cgroup.procs && exec dutyspin 5 15" &
SPINNERS="$SPINNERS $!"
sh -c "echo \$\$ > $CGROUP_ROOT/work/b/cgroup.procs && while :; do /bin/true; sleep 0.05; done" &
SPINNERS="$SPINNERS $!"
wait_for 5 "hogs in work/a and work/b" cg_has_procs work/a work/b
C_HOGS=

# c_hogs on|off: start or stop the two hogs of cell c.
c_hogs() {
	if [ "$1" = on ]; then
		for _ in 1 2; do
			sh -c "echo \$\$ > $CGROUP_ROOT/work/c/cgroup.procs && exec dutyspin 10 10" &
			C_HOGS="$C_HOGS $!"
		done
	elif [ -n "$C_HOGS" ]; then
		# shellcheck disable=SC2086 # one word per pid
		kill $C_HOGS && wait $C_HOGS 2>/dev/null
		C_HOGS=
	fi
}

start_sched --cell-parent-cgroup /work --monitor-interval-s 1 --stats-format json \
	--debounce-ms 50 --enable-borrowing --enable-rebalancing --rebalance-cooldown-s 2
want_seq=$(enable_seq)
seq0=$want_seq
wait_stats 20 "cells a b c in the stats" stats_cells_are "1:a 2:b 3:c"
log "soak: $SOAK_MIN min; cells $(stats_cells_summary); enable_seq $seq0"

rss_first='' rss_last='' rss_max=0
rounds=0 churn=0 cpuset_writes=0 hotplugs=0 offline=0
t0=$(now_cs)
t_end=$((t0 + SOAK_MIN * 6000))
while [ "$(now_cs)" -lt "$t_end" ]; do
	rounds=$((rounds + 1))
	# churn: cells created and destroyed (every 5th cycle moves a task through, every 10th
	# writes a one-CPU cpuset)
	res=$(cgchurn -m 5 -c 10 "$CGROUP_ROOT/work" "$CHURN_PER_ROUND" c1 c2 c3 2>&1) ||
		fail "round $rounds: cgchurn failed: $res"
	churn=$((churn + $(echo "$res" | sed -n 's/.*cycles=\([0-9]*\).*/\1/p')))
	# a cpuset write on a long-lived cell (an empty list puts it back to "inherit")
	# shellcheck disable=SC2086 # one word per cpuset
	set -- $CPUSETS
	shift $(((rounds - 1) % $#))
	cg_set_cpus work/b "$1"
	cpuset_writes=$((cpuset_writes + 1))
	# demand swings: c busy for 3 rounds, idle for 3
	if [ $((rounds % 6)) -eq 1 ]; then c_hogs on; elif [ $((rounds % 6)) -eq 4 ]; then c_hogs off; fi
	# hotplug: each write makes the kernel end the scheduler; the daemon restarts it
	if [ $((rounds % HOTPLUG_EVERY)) -eq 0 ]; then
		if [ "$offline" = 0 ]; then v=0 offline=1; else v=1 offline=0; fi
		echo "$v" >"$ONLINE" || fail "round $rounds: cannot write $v to $ONLINE"
		hotplugs=$((hotplugs + 1))
		want_seq=$((want_seq + 1))
		if ! (wait_for 30 "round $rounds: restart after cpu$CPU online=$v" restarted_to "$want_seq"); then
			print_sched_log
			fail "round $rounds: the scheduler did not come back after cpu$CPU online=$v"
		fi
	fi
	check "round $rounds"
	if [ $((rounds % 10)) -eq 0 ]; then
		log "round $rounds at $(fmt_cs $(($(now_cs) - t0)))s: churn $churn, cpusets $cpuset_writes," \
			"hotplugs $hotplugs, enable_seq $(enable_seq), VmRSS $rss_last kB (max $rss_max)," \
			"plans $(stats_plans), rebalances $(stats_field rebalances)"
	fi
done
[ "$offline" = 0 ] || {
	echo 1 >"$ONLINE" || fail "cannot bring cpu$CPU back online"
	hotplugs=$((hotplugs + 1)) want_seq=$((want_seq + 1))
	wait_for 30 "restart after cpu$CPU online=1" restarted_to "$want_seq"
	check "final online"
}
t1=$(now_cs)
[ "$rounds" -ge 2 ] || fail "only $rounds rounds in $SOAK_MIN min"
c_hogs off
kill_spinners
stop_sched
log "daemon: $(summary_line)"
# numbers from the daemon's exit summary: plans and rebalances are the daemon's own totals; the
# BPF counters (reenq, reenq_affn) start again with every hotplug restart, so they cover only
# the last scheduler instance
plans=$(summary_plans)
rebal=$(summary_line | sed -n 's/.* \([0-9]*\) rebalances.*/\1/p')
counters=$(summary_line | sed -n 's/.* \([0-9]*\) queued tasks re-examined after publications, \([0-9]*\) of them.*/reenq=\1 reenq_affn=\2/p')
echo "SOAK: minutes=$SOAK_MIN wall_s=$(fmt_cs $((t1 - t0))) rounds=$rounds churn_cycles=$churn" \
	"cpuset_writes=$cpuset_writes hotplug_writes=$hotplugs restarts=$((want_seq - seq0))" \
	"enable_seq=$seq0->$(enable_seq) plans=$plans rebalances=$rebal $counters" \
	"rss_kb_first=$rss_first rss_kb_last=$rss_last rss_kb_max=$rss_max bound_kb=$RSS_GROWTH_KB" \
	"stats_lines=$(stats_count)"
cg_remove work
echo ok
