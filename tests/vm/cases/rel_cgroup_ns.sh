#!/bin/sh
# rel_cgroup_ns: scx_cells inside a cgroup namespace, as in a container on cgroup v2 (#13
# checklist, scx_mitosis's user report). The namespace's root is the cgroup /ctr; the cells are
# /ctr/work/a and /ctr/work/b. The daemon is started inside the namespace (cgns: setns into it,
# a private mount namespace with cgroup2 mounted afresh on /sys/fs/cgroup, so /sys/fs/cgroup is
# /ctr), with --cell-parent-cgroup /work as seen there.
# Passes if the daemon really is in the namespace (its /proc/PID/cgroup says 0::/.. and its
# ns/cgroup link is the namespace's), lists cells a and b, and every spinner of a cell runs
# only on that cell's CPUs (CPU field 39 of /proc/PID/task/*/stat, sampled), the scheduler stays
# enabled (enable_seq unchanged) and unloads to `disabled`.
# How it fails: a level counted from the path string ("/work" = 1, the kernel's level of
# /ctr/work is 2) matches no task to a cell; the spinners then run on the root cell's CPUs,
# which are outside their cells' (the plan keeps them disjoint), and the sampling fails.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

mkdir "$CGROUP_ROOT/ctr" || fail "mkdir $CGROUP_ROOT/ctr"
cgns hold "$CGROUP_ROOT/ctr" >"$CASE_DIR/hold.out" 2>&1 &
HOLD=$!
# shellcheck disable=SC2034 # run by lib_rel.sh's exit trap
REL_ON_EXIT="kill $HOLD 2>/dev/null"
wait_for 10 "cgns hold to create the namespace" grep -q ready "$CASE_DIR/hold.out"
ns=$(readlink "/proc/$HOLD/ns/cgroup")
log "namespace $ns (root /ctr); ours is $(readlink /proc/self/ns/cgroup)"

cg_create ctr/work/a >/dev/null
cg_create ctr/work/b >/dev/null
for c in a a b b; do spawn_spinner "ctr/work/$c"; done
wait_for 5 "spinners in ctr/work/a and ctr/work/b" cg_has_procs ctr/work/a ctr/work/b

SCX_BIN=/bin/cgns start_sched run "$HOLD" /bin/scx_cells --cell-parent-cgroup /work \
	--monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
dns=$(readlink "/proc/$SCHED_PID/ns/cgroup")
# /proc/PID/cgroup is shown relative to the reader's namespace: read it from inside too.
dcg=$(cat "/proc/$SCHED_PID/cgroup")
dcg_in=$(cgns run "$HOLD" cat "/proc/$SCHED_PID/cgroup")
sp=$(head -n 1 "$CGROUP_ROOT/ctr/work/a/cgroup.procs")
scg_in=$(cgns run "$HOLD" cat "/proc/$sp/cgroup")
log "daemon pid $SCHED_PID: ns/cgroup $dns; /proc/PID/cgroup '$dcg' from outside, '$dcg_in' from inside"
log "spinner $sp of a: '$(cat "/proc/$sp/cgroup")' from outside, '$scg_in' from inside"
[ "$dns" = "$ns" ] || fail "the daemon is in cgroup namespace $dns, not the test's $ns"
[ "$dcg_in" = "0::/.." ] || fail "inside the namespace the daemon's /proc/PID/cgroup is '$dcg_in', want '0::/..' (root cgroup, above the namespace root /ctr)"
[ "$scg_in" = "0::/work/a" ] || fail "inside the namespace a spinner of a is in '$scg_in', want '0::/work/a'"
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
root=$(cell_cpus '(root)')
log "cells: $(stats_cells_summary)"
for c in a b; do
	own=$(cell_cpus "$c")
	! cpulists_intersect "$own" "$root" ||
		fail "cell $c ($own) shares CPUs with the root cell ($root): the test could not tell a miss"
	# shellcheck disable=SC2046 # one word per pid
	assert_pids_within 1500 "$own" "cell $c" $(cg_procs "ctr/work/$c")
done
assert_sched_healthy "$seq0"
kill_spinners
stop_sched
kill "$HOLD"
wait "$HOLD" 2>/dev/null
cg_remove ctr
echo ok
