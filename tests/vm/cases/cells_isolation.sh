#!/bin/sh
# cells_isolation: three cells with two CPU spinners each. Under scx_cells every spinner's
# sampled CPUs stay inside its own cell's primary CPUs and the cells' CPUs are disjoint. The same
# sampling under the default scheduler (before loading) must find cells sharing CPUs, so the
# check is shown able to fail.
# shellcheck source=../lib.sh
. /tests/lib.sh

CELLS="a b c"
for c in $CELLS; do
	cg_create "work/$c" >/dev/null
	spawn_spinner "work/$c"
	spawn_spinner "work/$c"
done
# shellcheck disable=SC2086
wait_for 5 "spinners in their cgroups" cg_has_procs work/a work/b work/c

log "control run under the default scheduler"
shared=$(cells_sharing_cpus 1500 $CELLS)
log "cells sharing CPUs under the default scheduler: ${shared:-none}"
[ -n "$shared" ] || fail "control: the default scheduler kept cells apart; this check could not fail"

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
# shellcheck disable=SC2086
wait_stats 50 "a stats line listing cells $CELLS" stats_have_cells $CELLS || { print_sched_log; fail "no cells"; }
assert_cells_isolated 2000 $CELLS
assert_cells_disjoint $CELLS
kill_spinners
stop_sched
cg_remove work
echo ok
