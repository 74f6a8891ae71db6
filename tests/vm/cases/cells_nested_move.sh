#!/bin/sh
# cells_nested_move: a task anywhere below a cell's cgroup belongs to that cell, and a task
# moved between cells (cgroup.procs) while running follows its new cell.
#  - a spinner in work/a/inner/deeper runs only on cell a's CPUs (as does one in work/a);
#  - a spinner moved from work/a to work/b while spinning runs, within a bounded time, only on
#    cell b's CPUs; the nested one stays on a's.
# The nested directories are plain mkdirs (no controllers enabled in work/a) so work/a itself
# may keep processes (cgroup v2's no-internal-process rule applies only with controllers on).
# shellcheck source=../lib.sh
. /tests/lib.sh

cg_create work/a >/dev/null
cg_create work/b >/dev/null
mkdir -p "$CGROUP_ROOT/work/a/inner/deeper" || fail "mkdir work/a/inner/deeper"
spawn_spinner work/a/inner/deeper
spawn_spinner work/a
spawn_spinner work/b
wait_for 5 "spinners in their cgroups" cg_has_procs work/a/inner/deeper work/a work/b
read -r deep <"$CGROUP_ROOT/work/a/inner/deeper/cgroup.procs"
read -r mover <"$CGROUP_ROOT/work/a/cgroup.procs"
read -r inb <"$CGROUP_ROOT/work/b/cgroup.procs"
log "spinners: nested $deep, mover $mover (work/a), b $inb"

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
a_cpus=$(cell_cpus a)
b_cpus=$(cell_cpus b)
log "cells: $(stats_cells_summary)"
! cpulists_intersect "$a_cpus" "$b_cpus" || fail "cells a ($a_cpus) and b ($b_cpus) share CPUs"

assert_pids_within 1500 "$a_cpus" "nested work/a/inner/deeper in cell a (cpus $a_cpus)" "$deep"
assert_pids_within 1000 "$a_cpus" "work/a in cell a (cpus $a_cpus)" "$mover"
assert_pids_within 1000 "$b_cpus" "work/b in cell b (cpus $b_cpus)" "$inb"

# ---- move a running spinner from a to b ------------------------------------------------------
t0=$(now_cs)
cg_move work/b "$mover"
# A 300 ms window that saw it only on b's CPUs: it has picked up its new cell.
wait_for 10 "moved pid $mover to run only on cell b's CPUs ($b_cpus)" \
	pids_ran_within 300 "$b_cpus" "$mover"
log "moved spinner on cell b's CPUs after $(fmt_cs $(($(now_cs) - t0)))s"
if [ "$(cell_cpus a)" != "$a_cpus" ] || [ "$(cell_cpus b)" != "$b_cpus" ]; then
	fail "cells' CPUs changed during the move: $(stats_cells_summary)"
fi
assert_pids_within 1500 "$b_cpus" "moved spinner in cell b (cpus $b_cpus)" "$mover" "$inb"
assert_pids_within 1000 "$a_cpus" "nested spinner still in cell a (cpus $a_cpus)" "$deep"
assert_sched_healthy "$seq0"

kill_spinners
stop_sched
cg_remove work
echo ok
