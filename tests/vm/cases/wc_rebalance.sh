#!/bin/sh
# wc_rebalance: CPUs follow measured demand (--enable-rebalancing, threshold 20, cooldown 1 s,
# interval 0.2 s). Cells a and b start with equal targets; then
#   1. a oversubscribed (2 spinners per CPU it could get) beside an idle b -> a gains CPUs
#      (rebalances > 0, a's nr_cpus grows);
#   2. the load moves to b (a's spinners killed, as many started in b) -> b gains CPUs and a
#      gives them back;
#   3. cell c is created while a is busy -> c gets >= 1 CPU at once and the busy cell keeps more
#      than the average CPUs per cell, also after further rebalance rounds.
# For step 3, b is removed first (after its spinners stop): with 4 vCPUs and four cells (root,
# a, b, c) every cell gets exactly one CPU whatever the demand, so "more than the average" could
# not be observed. Prints how long each step took.
# Borrowing is on: without it a saturated cell's measured demand is capped at its own CPUs, and
# under TCG the root cell's measured run time (short tasks whose vCPU qemu does not run for a
# while still count as running) was 1.8-1.9 CPUs, so the spare CPU stayed with the root cell
# (a grew after 28 s in one boot, not within 30 s in the next).
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

[ "$NCPUS" -ge 4 ] || fail "needs at least 4 vCPUs (root, a, b and room to move), have $NCPUS"
OPTS="--cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
--enable-rebalancing --rebalance-cooldown-s 1 --rebalance-threshold 20 --cell0-min-cpus 1
--enable-borrowing"
# With three cells the most one cell can get is NCPUS - 2; twice that keeps it oversubscribed.
NSPIN=$((2 * (NCPUS - 2)))

# cell_gone NAME: the latest stats line no longer lists cell NAME.
cell_gone() {
	[ -z "$(cell_cpus "$1")" ] && return 0
	echo "cell $1 still listed: $(stats_brief)"
	return 1
}

# elapsed T0_CS: seconds since T0 (centiseconds from now_cs), formatted.
elapsed() {
	fmt_cs $(($(now_cs) - $1))
}

cg_create work/a >/dev/null
cg_create work/b >/dev/null
# shellcheck disable=SC2086
start_sched $OPTS
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
A0=$(cell_num a nr_cpus)
log "initial: $(stats_brief)"
[ "$A0" -lt $((NCPUS - 2)) ] || fail "a starts with $A0 CPUs, already the most it can get; nothing to observe"

# ---- 1: a busy, b idle -> a grows --------------------------------------------------------------
R0=$(stats_top rebalances)
t0=$(now_cs)
wc_spawn work/a "$NSPIN"
wait_for 5 "$NSPIN spinners in work/a" nprocs_is work/a "$NSPIN"
wait_stats 150 "a to gain CPUs (more than $A0) by rebalancing" cell_cmp a nr_cpus '>' "$A0"
T1=$(elapsed "$t0")
A1=$(cell_num a nr_cpus)
log "step 1: a grew $A0 -> $A1 CPUs after ${T1}s: $(stats_brief)"
top_cmp rebalances '>' "$R0" >/dev/null || fail "a grew but rebalances did not move: $(stats_brief)"
wait_stats 150 "a to reach $((NCPUS - 2)) CPUs" cell_cmp a nr_cpus '>=' $((NCPUS - 2))
T1FULL=$(elapsed "$t0")
log "step 1: a at $(cell_num a nr_cpus) CPUs after ${T1FULL}s"
B1=$(cell_num b nr_cpus)

# ---- 2: load moves to b -> b grows, a shrinks ---------------------------------------------------
kill_spinners
t0=$(now_cs)
wc_spawn work/b "$NSPIN"
wait_for 5 "$NSPIN spinners in work/b" nprocs_is work/b "$NSPIN"
wait_stats 150 "b to gain CPUs (more than $B1)" cell_cmp b nr_cpus '>' "$B1"
T2B=$(elapsed "$t0")
log "step 2: b grew $B1 -> $(cell_num b nr_cpus) CPUs after ${T2B}s: $(stats_brief)"
wait_stats 150 "a to give CPUs back (fewer than $A1)" cell_cmp a nr_cpus '<' "$A1"
T2A=$(elapsed "$t0")
log "step 2: a shrank $A1 -> $(cell_num a nr_cpus) CPUs after ${T2A}s: $(stats_brief)"
wait_stats 150 "b to reach $((NCPUS - 2)) CPUs" cell_cmp b nr_cpus '>=' $((NCPUS - 2))
log "step 2: b at $(cell_num b nr_cpus) CPUs after $(elapsed "$t0")s: $(stats_brief)"

# ---- 3: new cell c while a is busy ---------------------------------------------------------------
kill_spinners
cg_remove work/b
wait_stats 50 "cell b to leave the plan" cell_gone b
t0=$(now_cs)
wc_spawn work/a "$NSPIN"
wait_for 5 "$NSPIN spinners in work/a" nprocs_is work/a "$NSPIN"
# Two cells now (root, a): a must hold more than half; it need not get all but the root's one.
wait_stats 150 "busy a to get $((NCPUS / 2)) or more CPUs (b gone)" cell_cmp a nr_cpus '>=' $((NCPUS / 2))
log "step 3: a at $(cell_num a nr_cpus) CPUs after $(elapsed "$t0")s: $(stats_brief)"
t0=$(now_cs)
cg_create work/c >/dev/null
wait_stats 50 "cell c in the stats with CPUs" stats_have_cells c
T3=$(elapsed "$t0")
log "step 3: c appeared after ${T3}s: $(stats_brief)"

# check_share: c has >= 1 CPU and a more than the average CPUs per cell.
check_share() {
	_nc=$(cell_num c nr_cpus) _na=$(cell_num a nr_cpus)
	_ncells=$(last_stats | grep -o '"nr_cpus":' | wc -l)
	[ "${_nc:-0}" -ge 1 ] || fail "new cell c has ${_nc:-no} CPUs: $(stats_brief)"
	fcmp "${_na:-0}" '>' "$(fcalc "$NCPUS / $_ncells")" ||
		fail "busy a has $_na CPUs, not more than the average $NCPUS/$_ncells: $(stats_brief)"
	log "$1: c=$_nc a=$_na CPUs (average $(fcalc "$NCPUS / $_ncells") over $_ncells cells)"
}
check_share "step 3, when c appeared"
# Several more rebalance rounds (cooldown 1 s = 5 intervals): the busy cell keeps its share.
wait_intervals 15
check_share "step 3, 3 s later"
log "RESULT rebalance timings: a grew after ${T1}s (to NCPUS-2 after ${T1FULL}s); b grew after" \
	"${T2B}s, a gave back after ${T2A}s; c got a CPU ${T3}s after mkdir;" \
	"rebalances=$(stats_top rebalances) plans=$(stats_top plans)"
kill_spinners
stop_sched
cg_remove work
echo ok
