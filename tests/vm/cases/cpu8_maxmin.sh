#!/bin/sh
# cpu8_maxmin: rebalancing must not undo isolation (issue #10 item 5). With --enable-rebalancing
# (and borrowing, as in the measurement) cell a runs 2 spinners beside cell b with 30.
# The planner allocates max-min fair: each of the three cells (root, a, b) is entitled to
# NCPUS/3 CPUs, a needs about 2.5 (2 CPUs of demand + headroom), so a must keep >= 2 CPUs while
# b takes what the root and a leave. Proportional weights (the old planner) split the CPUs 30:2
# and cut a to 1 CPU (8 vCPUs: root 1, a 1, b 6).
# Asserts, after b has visibly gained CPUs by rebalancing (so the loop did act on b's demand):
#   1. what the daemon published: a's nr_cpus >= 2 in every stats line over 25 intervals
#      (5 s, five rebalance cooldowns);
#   2. what the kernel did: a's spinners got >= 1.5 CPUs of CPU time over 3 s (cputime);
#   3. b still got the rest: b's nr_cpus >= NCPUS - 2 - (root's CPUs), i.e. nothing idles in a.
# Needs 8 vCPUs: with 4 the fair share is 4/3, so max-min promises a only 1 CPU - exactly what
# the proportional planner gave it too; nothing on 4 vCPUs tells the two apart. So on fewer vCPUs
# the case skips itself (it would prove nothing); `make vm-test` runs cpu8_* cases again on an
# 8-vCPU boot of their own.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

[ "$NCPUS" -ge 8 ] || skip "needs at least 8 vCPUs, have $NCPUS: run tests/vm/run.sh --cpus 8 cpu8_maxmin"
OPTS="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
--enable-rebalancing --rebalance-cooldown-s 1 --rebalance-threshold 20 --cell0-min-cpus 1
--enable-borrowing"
NSMALL=2
NBIG=30

cg_create work/a >/dev/null
cg_create work/b >/dev/null
# shellcheck disable=SC2086
start_sched $OPTS
wait_for 10 "a stats line listing cells a and b" stats_have_cells a b
B0=$(cell_num b nr_cpus)
log "initial: $(stats_brief)"

t0=$(now_cs)
R0=$(stats_top rebalances)
wc_spawn work/a "$NSMALL"
wc_spawn work/b "$NBIG"
wait_for 10 "$NSMALL spinners in work/a" nprocs_is work/a "$NSMALL"
wait_for 10 "$NBIG spinners in work/b" nprocs_is work/b "$NBIG"
# The loop must act on b's demand first, or "a kept its CPUs" would prove nothing.
wait_for 60 "b to gain CPUs (more than $B0) by rebalancing" cell_cmp b nr_cpus '>' "$B0"
top_cmp rebalances '>' "$R0" >/dev/null || fail "b grew but rebalances did not move: $(stats_brief)"
log "b grew $B0 -> $(cell_num b nr_cpus) CPUs after $(fmt_cs $(($(now_cs) - t0)))s: $(stats_brief)"
# Let b's smoothed demand converge (30 runnable tasks) before judging a: a few cooldowns.
wait_intervals 15
log "settled: $(stats_brief)"

# ---- 1: what the daemon published ---------------------------------------------------------------
MARK=$(stats_count)
R1=$(stats_top rebalances)
wait_intervals 25
AMIN=$(stats_min "$MARK" a nr_cpus)
AMAX=$(stats_max "$MARK" a nr_cpus)
BMIN=$(stats_min "$MARK" b nr_cpus)
RMAX=$(stats_max "$MARK" "(root)" nr_cpus)
ADEM=$(stats_mean "$MARK" a smoothed_cpus)
BDEM=$(stats_mean "$MARK" b smoothed_cpus)
log "over 25 intervals: a nr_cpus $AMIN..$AMAX (demand $ADEM), b min $BMIN (demand $BDEM)," \
	"root max $RMAX, rebalances $R1 -> $(stats_top rebalances)"
[ -n "$AMIN" ] || fail_stats "$MARK" "no stats line listed cell a"
fcmp "$BDEM" '>=' 10 || fail_stats "$MARK" "b's smoothed demand is $BDEM CPUs, not the ~$NBIG" \
	"runnable spinners: the scenario did not happen"
fcmp "$AMIN" '>=' 2 || fail_stats "$MARK" "cell a ($NSMALL spinners) was cut to $AMIN CPUs beside" \
	"b ($NBIG spinners); max-min fair gives it >= 2 of $NCPUS"
# a gets no more than its demand rounded up (need 2.5 -> 3): the rest is b's.
fcmp "$AMAX" '<=' 3 || fail_stats "$MARK" "cell a got $AMAX CPUs for $NSMALL spinners"
fcmp "$BMIN" '>=' "$((NCPUS - 3 - ${RMAX%.*}))" ||
	fail_stats "$MARK" "b has $BMIN CPUs; a and root leave it at least $((NCPUS - 3 - ${RMAX%.*}))"

# ---- 2: what the kernel did ---------------------------------------------------------------------
CT=$(cpu_seconds 3000 work/a)
ACPUS=$(kv cpus "$CT")
log "a's spinners over 3 s: $CT"
fcmp "$ACPUS" '>=' 1.5 || fail "a's $NSMALL spinners ran on $ACPUS CPUs on average ($CT);" \
	"with >= 2 CPUs of its own they should keep about 2 busy: $(stats_brief)"
log "RESULT maxmin: a kept $AMIN..$AMAX CPUs and ran $ACPUS CPUs beside b ($BDEM CPUs of demand," \
	">= $BMIN CPUs) on $NCPUS vCPUs"
kill_spinners
stop_sched
cg_remove work
echo ok
