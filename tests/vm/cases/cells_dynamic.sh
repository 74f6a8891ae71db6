#!/bin/sh
# cells_dynamic: cells follow cgroups created and removed while the scheduler runs.
#  - mkdir work/new: a cell with CPUs of its own shows up within the debounce window plus a
#    margin (measured, must be <= 2 s here), and its spinners run only on its CPUs;
#  - rmdir work/new (tasks moved out first): the cell is gone, its CPUs are back with the other
#    cells (every online CPU owned by exactly one cell) and its former tasks run in the root cell;
#  - a further child reuses the freed cell id (lowest free);
#  - an excluded child (--cell-exclude skipme) never becomes a cell and its spinner runs on the
#    root cell's CPUs.
# shellcheck source=../lib.sh
. /tests/lib.sh

# mkdir -> cell with CPUs in a stats line: within 10 of the daemon's 0.2 s stats intervals (2 s
# at full speed: debounce 0.1 s + re-plan + the next stats line, emulated); as seen by this
# shell, whose polling (fork+exec under TCG) adds more, within 25 intervals (5 s at full speed).
# Both bounds count the daemon's own stats lines, not seconds, so a loaded host that slows the
# whole guest down does not fail them; the times in seconds are logged.
MAX_DAEMON_LINES=10
MAX_SHELL_LINES=25

cg_create work/a >/dev/null
cg_create work/b >/dev/null
cg_create work/skipme >/dev/null
spawn_spinner work/a
spawn_spinner work/b
wait_for 5 "spinners in work/a and work/b" cg_has_procs work/a work/b

start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--debounce-ms 100 --cell-exclude skipme
seq0=$(enable_seq)
wait_stats 50 "a stats line listing cells a and b" stats_have_cells a b
log "cells at start: $(stats_cells_summary)"
wait_stats 25 "the start-up plan to partition the CPUs" stats_partition_ok

# ---- a new child becomes a cell -------------------------------------------------------------
# new_in_stats: cheap poll (two processes) for the latest stats line listing cell new with CPUs.
new_in_stats() {
	tail -n 3 "$SCHED_LOG" | grep -q '^{"t":.*"cgroup":"new","cpus":"[0-9]'
}
n0=$(stats_count)
t0=$(now_cs)
mkdir "$CGROUP_ROOT/work/new" || fail "mkdir work/new"
wait_stats 50 "cell 'new' with CPUs in a stats line" new_in_stats
lat=$(($(now_cs) - t0))
shell_lines=$(($(stats_count) - n0))
stats_have_cells new >/dev/null || fail "cell new not in the latest stats line after all: $(last_stats)"
# On the daemon's clock: from the last stats line before the mkdir to the first one with the
# new cell (an upper bound of the reaction time, free of this shell's polling overhead).
prev_ms=$(stats_t_ms $((n0 - 1)) '')
with_ms=$(stats_t_ms "$n0" '"cgroup":"new","cpus":"[0-9]')
dlat=$((with_ms - prev_ms))
daemon_lines=$(stats_lines_until "$n0" '"cgroup":"new","cpus":"[0-9]')
log "mkdir work/new -> cell with CPUs in stats: stats line $daemon_lines after the mkdir" \
	"(<= $dlat ms on the daemon's clock); seen by this shell after $shell_lines lines," \
	"$(fmt_cs "$lat")s (debounce 0.1s, stats every 0.2s)"
[ "$daemon_lines" -le "$MAX_DAEMON_LINES" ] ||
	fail "cell 'new' appeared in stats line $daemon_lines after the mkdir ($dlat ms on the daemon's clock), want <= $MAX_DAEMON_LINES"
[ "$shell_lines" -le "$MAX_SHELL_LINES" ] ||
	fail "cell 'new' seen by the shell $shell_lines stats lines ($(fmt_cs "$lat")s) after the mkdir, want <= $MAX_SHELL_LINES"
new_id=$(cell_id new)
new_cpus=$(cell_cpus new)
log "cell new: id $new_id, cpus $new_cpus; all: $(stats_cells_summary)"
grep -q "Created cell $new_id for cgroup .*/work/new (cgid=" "$SCHED_LOG" || {
	print_sched_log
	fail "no 'Created cell $new_id for cgroup .../work/new' line in the daemon log"
}
wait_stats 25 "CPUs partitioned with cell new" stats_partition_ok

spawn_spinner work/new
spawn_spinner work/new
wait_for 5 "spinners in work/new" cg_has_procs work/new
new_pids=$(cg_procs work/new)
# shellcheck disable=SC2086
assert_pids_within 1500 "$new_cpus" "cell new (cpus $new_cpus)" $new_pids
assert_cells_isolated 1000 a b

# ---- removing it gives its CPUs back ---------------------------------------------------------
for p in $new_pids; do
	echo "$p" >"$CGROUP_ROOT/cgroup.procs" || fail "cannot move pid $p out of work/new"
done
rmdir "$CGROUP_ROOT/work/new" || fail "rmdir work/new: $(cat "$CGROUP_ROOT/work/new/cgroup.procs")"
t0=$(now_cs)
wait_stats 50 "cell new to leave the stats" stats_lack_cell new
log "rmdir work/new -> cell gone from stats after $(fmt_cs $(($(now_cs) - t0)))s"
grep -q "Destroyed cell $new_id for cgroup .*/work/new (cgid=" "$SCHED_LOG" || {
	print_sched_log
	fail "no 'Destroyed cell $new_id for cgroup .../work/new' line in the daemon log"
}
if ! why=$(stats_partition_ok); then
	print_sched_log
	fail "after removing cell new: $why"
fi
log "cells after rmdir: $(stats_cells_summary)"
root_cpus=$(cell_cpus "(root)")
# The former tasks of work/new now live in the root cgroup: they belong to the root cell.
# shellcheck disable=SC2086
assert_pids_within 1500 "$root_cpus" "former work/new tasks in the root cell (cpus $root_cpus)" $new_pids
assert_cells_isolated 1000 a b

# ---- the freed id is reused ------------------------------------------------------------------
mkdir "$CGROUP_ROOT/work/again" || fail "mkdir work/again"
wait_stats 50 "cell 'again' with CPUs in a stats line" stats_have_cells again
again_id=$(cell_id again)
log "cell again: id $again_id (freed id was $new_id); all: $(stats_cells_summary)"
[ "$again_id" = "$new_id" ] || {
	print_sched_log
	fail "cell 'again' got id $again_id, want the freed (lowest free) id $new_id"
}
grep -q "Created cell $again_id for cgroup .*/work/again (cgid=" "$SCHED_LOG" ||
	fail "no 'Created cell $again_id for cgroup .../work/again' log line"
wait_stats 25 "CPUs partitioned with cell again" stats_partition_ok

# ---- the excluded child stays in the root cell -----------------------------------------------
spawn_spinner work/skipme
wait_for 5 "spinner in work/skipme" cg_has_procs work/skipme
# One more plan-relevant event so a wrongly-handled exclusion would have had every chance.
mkdir "$CGROUP_ROOT/work/skipme/sub" || fail "mkdir work/skipme/sub"
wait_stats 25 "a stats line after the skipme events" stats_have_cells a b again
root_cpus=$(cell_cpus "(root)")
# shellcheck disable=SC2046
assert_pids_within 1500 "$root_cpus" "excluded work/skipme (root cell cpus $root_cpus)" $(cg_procs work/skipme)
if grep -q 'Created cell [0-9]* for cgroup .*/skipme \|"cgroup":"skipme"' "$SCHED_LOG"; then
	print_sched_log
	fail "the excluded child skipme became a cell"
fi
assert_sched_healthy "$seq0"

kill_spinners
stop_sched
cg_remove work
echo ok
