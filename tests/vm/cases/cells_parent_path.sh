#!/bin/sh
# cells_parent_path: the cell parent's cgroup level comes from the kernel, not from the path
# string (#13 item 8). With --cell-parent-cgroup /./work, counting path components gave level 2
# instead of 1: no task ever matched a cell and isolation silently did not happen while the
# plans looked right. Passes if the spinners of cells a and b run only on their cells' CPUs.
# shellcheck source=../lib.sh
. /tests/lib.sh

cg_create work/a >/dev/null
cg_create work/b >/dev/null
spawn_spinner work/a
spawn_spinner work/a
spawn_spinner work/b
spawn_spinner work/b
wait_for 5 "spinners in their cgroups" cg_has_procs work/a work/b
start_sched --cell-parent-cgroup /./work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_for 10 "a stats line listing cells a and b" stats_have_cells a b
log "cells: $(stats_cells_summary)"
log "cpuset_partition_write in kallsyms: $(grep -c ' cpuset_partition_write$' /proc/kallsyms)"
assert_cells_isolated 1500 a b
assert_sched_healthy "$seq0"
kill_spinners
stop_sched
cg_remove work
echo ok
