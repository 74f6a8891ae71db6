#!/bin/sh
# cells_config_k8s: --cell-config rules make the pods of a fake Kubernetes tree, two levels below
# kubepods.slice, into cells (issue #14 item 2). 4 vCPUs; the rule file has one rule,
# "kubepods.slice/*/pod*":
#  1. kubepods.slice/burstable.slice/poda (one spinner in poda, one in its container
#     poda/ctr1) and kubepods.slice/besteffort.slice/podc (two spinners) become cells; the
#     container is no cell of its own (a descendant of a cell stays in it); the QoS slices are
#     no cells (the rule has three components);
#  2. every spinner runs only on its pod's cell CPUs (CPU numbers from /proc/PID/stat field 39,
#     sampled by cpusample) and the two pods' CPUs are disjoint; the same sampling under the
#     default scheduler first must find the pods sharing CPUs, so the check can fail;
#  3. the registry watches every directory a rule can match below: the root, kubepods.slice and
#     both QoS slices (4 inotify watches, read from the kernel in /proc/PID/fdinfo); a new QoS
#     slice made at run time is watched too (5), and a pod made in it becomes a cell and is
#     isolated within a bounded number of stats lines;
#  4. the scheduler unloads cleanly.
# shellcheck source=../lib.sh
. /tests/lib.sh

K=kubepods.slice
PA=$K/burstable.slice/poda
PC=$K/besteffort.slice/podc
PG=$K/guaranteed.slice/podg
MAX_DAEMON_LINES=25

# inotify_watches: inotify watches the daemon holds (one "inotify wd:" line each in fdinfo).
inotify_watches() {
	cat /proc/"$SCHED_PID"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:'
}

# watches_are N: the daemon holds exactly N inotify watches.
watches_are() {
	_w=$(inotify_watches)
	[ "$_w" = "$1" ] && return 0
	echo "$_w inotify watches, want $1"
	return 1
}

# sample_pod MS CGPATH NAME: CPUs each process of CGPATH (and its descendants) ran on, to
# $CASE_DIR/sample.NAME, as cpusample prints them.
sample_pod() {
	_pids=$(find "$CGROUP_ROOT/$2" -type d | while read -r _d; do cat "$_d/cgroup.procs"; done)
	# shellcheck disable=SC2086
	cpusample "$1" $_pids >"$CASE_DIR/sample.$3"
}

# union NAME: all CPUs in $CASE_DIR/sample.NAME.
union() {
	sed -n 's/.* cpus=\([^ ]*\) .*/\1/p' "$CASE_DIR/sample.$1" | tr '\n' ',' | sed 's/,*$//'
}

# assert_pod_isolated NAME CELL: every process sampled for NAME ran inside CELL's CPUs.
assert_pod_isolated() {
	_own=$(cell_cpus "$2")
	[ -n "$_own" ] || fail "no CPUs for cell $2 in: $(last_stats)"
	while read -r _pid _cpus _n; do
		_cpus=${_cpus#cpus=}
		log "cell $2 (cpus $_own): pid $_pid ran on ${_cpus:-nothing} ($_n)"
		[ -n "$_cpus" ] || fail "pid $_pid of $2 was never seen running"
		cpulist_subset "$_cpus" "$_own" ||
			fail "pid $_pid of $2 ran on CPUs $_cpus, outside its cell's CPUs $_own"
	done <"$CASE_DIR/sample.$1"
}

cg_create "$PA" >/dev/null
# no controllers enabled in poda: it keeps processes of its own next to its container's
mkdir "$CGROUP_ROOT/$PA/ctr1" || fail "mkdir $PA/ctr1"
cg_create "$PC" >/dev/null
spawn_spinner "$PA"
spawn_spinner "$PA/ctr1"
spawn_spinner "$PC"
spawn_spinner "$PC"
wait_for 5 "spinners in their cgroups" cg_has_procs "$PA" "$PA/ctr1" "$PC"

log "control run under the default scheduler"
sample_pod 1500 "$PA" a &
j1=$!
sample_pod 1500 "$PC" c &
wait "$j1" "$!"
log "default scheduler: poda ran on $(union a), podc on $(union c)"
cpulists_intersect "$(union a)" "$(union c)" ||
	fail "control: the default scheduler kept the pods apart; this check could not fail"

printf '{"rules": [{"match": "%s/*/pod*"}]}\n' "$K" >"$CASE_DIR/rules.json"
start_sched --cell-config "$CASE_DIR/rules.json" --monitor-interval-s 0.2 --stats-format json
wait_stats 50 "stats listing cells $PA and $PC" stats_have_cells "$PA" "$PC" ||
	{ print_sched_log; fail "no cells"; }
log "cells: $(stats_cells_summary)"
for _not in "$PA/ctr1" "$K/burstable.slice" "$K/besteffort.slice" "$K"; do
	[ -z "$(cell_id "$_not")" ] || fail "$_not is a cell of its own: $(stats_cells_summary)"
done
sample_pod 2000 "$PA" a &
j1=$!
sample_pod 2000 "$PC" c &
wait "$j1" "$!"
assert_pod_isolated a "$PA"
assert_pod_isolated c "$PC"
cpulists_intersect "$(cell_cpus "$PA")" "$(cell_cpus "$PC")" &&
	fail "cells $PA ($(cell_cpus "$PA")) and $PC ($(cell_cpus "$PC")) share CPUs"

# watches: root, kubepods.slice, burstable.slice, besteffort.slice
wait_for 10 "4 inotify watches" watches_are 4
mkdir "$CGROUP_ROOT/$K/guaranteed.slice" || fail "mkdir guaranteed.slice"
wait_stats "$MAX_DAEMON_LINES" "a 5th watch, on the new QoS slice" watches_are 5
n0=$(stats_count)
cg_create "$PG" >/dev/null
spawn_spinner "$PG"
wait_for 5 "spinner in $PG" cg_has_procs "$PG"
wait_stats "$MAX_DAEMON_LINES" "cell $PG in the stats" stats_have_cells "$PG"
log "new pod became a cell in stats line $(stats_lines_until "$n0" '"cgroup":"'"$PG"'","cpus":"[0-9]') after its mkdir: $(stats_cells_summary)"
grep -vE '^\{' "$SCHED_LOG" | grep -E "podg|applied plan|Created" | tail -n 3 | sed 's/^/  | /'
sample_pod 1500 "$PG" g
assert_pod_isolated g "$PG"

kill_spinners
stop_sched
cg_remove "$K"
echo ok
