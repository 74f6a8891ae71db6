#!/bin/sh
# rel_exit_rmdir: tasks exiting in a cell cgroup while that cgroup is being removed (#13
# checklist, scx_mitosis's user report), ROUNDS (100) rounds. Each round creates work/xN (N cycles
# through 1-3), starts three CPU-bound tasks in it and then removes it with rmdir retried in a
# tight loop while the tasks go away: odd rounds SIGKILL them, even rounds let them exit on
# their own after a short spin. Every 4th round first waits until xN is a cell (listed in the
# stats), so its tasks exit while queued/running as a cell's tasks; the others race the daemon's
# scan. A long-lived cell `keep` runs a hog throughout.
# Passes if every rmdir succeeds, the scheduler never exits or restarts (daemon alive, enable_seq
# unchanged, no sched_ext error/stall in dmesg), afterwards the stats list exactly 1:keep again
# (num cells back to baseline), created - destroyed log lines = 1, churn cells never got an id
# above 3 (at most one exists at a time; 3 allows a scan racing a mkdir), a new cell then gets
# id 2 (the lowest free: nothing leaked), and SIGINT unloads it to `disabled`.
# How it fails: a cell whose cgroup died with exiting tasks that is never freed shows up as an
# extra cell or a growing id; an exit path that touches the dying cgroup's cell wrongly makes
# sched_ext eject the scheduler (enable_seq/state change, daemon exit).
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

ROUNDS=${EXIT_RMDIR_ROUNDS:-100}

# rmdir_busy DIR: remove DIR, retrying at once while it is still populated (EBUSY); after 500
# quick tries fall back to polling. Adds the retries to RETRIES.
rmdir_busy() {
	_i=0
	while [ $_i -lt 500 ]; do
		rmdir "$1" 2>/dev/null && { RETRIES=$((RETRIES + _i)); return 0; }
		_i=$((_i + 1))
	done
	RETRIES=$((RETRIES + _i))
	wait_for 10 "rmdir $1 (its tasks are gone)" rmdir "$1"
}

# listed NAME: the latest stats line lists cell NAME.
listed() {
	[ -n "$(cell_id "$1")" ] && return 0
	echo "cell $1 not listed: $(stats_cells_summary)"
	return 1
}

cg_create work/keep >/dev/null
sh -c "echo \$\$ > $CGROUP_ROOT/work/keep/cgroup.procs && exec dutyspin 10 10" &
SPINNERS=$!
wait_for 5 "the hog in work/keep" cg_has_procs work/keep
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 20
seq0=$(enable_seq)
wait_stats 50 "cell keep in the stats" stats_cells_are "1:keep"
log "baseline: $(stats_cells_summary)"
lines0=$(wc -l <"$SCHED_LOG")

RETRIES=0 as_cell=0
t0=$(now_cs)
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	name=x$((r % 3 + 1))
	dir=$CGROUP_ROOT/work/$name
	mkdir "$dir" || fail "round $r: mkdir $dir"
	pids=
	for _ in 1 2 3; do
		if [ $((r % 2)) -eq 1 ]; then
			sh -c "echo \$\$ > $dir/cgroup.procs && exec dutyspin 5 1" &
		else
			sh -c "echo \$\$ > $dir/cgroup.procs && i=0 && while [ \$i -lt 400 ]; do i=\$((i + 1)); done" &
		fi
		pids="$pids $!"
	done
	if [ $((r % 4)) -eq 0 ]; then
		wait_stats 25 "round $r: $name to be a cell" listed "$name"
		as_cell=$((as_cell + 1))
	fi
	# shellcheck disable=SC2086 # one word per pid
	[ $((r % 2)) -eq 0 ] || kill -KILL $pids 2>/dev/null
	rmdir_busy "$dir"
	# shellcheck disable=SC2086
	wait $pids 2>/dev/null
	pid_alive "$SCHED_PID" || fail "round $r: scx_cells exited"
	state_is enabled >/dev/null || fail "round $r: sched_ext is $(sched_state)"
done
t1=$(now_cs)
log "$ROUNDS rounds in $(fmt_cs $((t1 - t0)))s ($as_cell waited for the cell), $RETRIES rmdir retries"

wait_stats 50 "the cells back to the baseline 1:keep" stats_cells_are "1:keep"
assert_sched_healthy "$seq0"
problems=$(kmsg_kernel_problems)
[ -z "$problems" ] || fail "kernel problems: $problems"
created=$(grep -c '^scx_cells: Created cell [0-9]* for cgroup ' "$SCHED_LOG")
destroyed=$(grep -c '^scx_cells: Destroyed cell [0-9]* for cgroup ' "$SCHED_LOG")
ids=$(sed -n "$((lines0 + 1)),\$p" "$SCHED_LOG" | sed -n 's/^scx_cells: Created cell \([0-9]*\) for cgroup .*\/work\/x[0-9]* .*/\1/p' |
	sort -n | uniq -c | awk '{printf "id%s x%s ", $2, $1}')
log "churn cells created, by id: ${ids:-none}; log lines $created created, $destroyed destroyed"
[ "$as_cell" -eq 0 ] || [ -n "$ids" ] || fail "no churn cell was ever created"
[ $((created - destroyed)) -eq 1 ] ||
	fail "created ($created) - destroyed ($destroyed) = $((created - destroyed)), want 1 live cell (keep)"
high=$(sed -n "$((lines0 + 1)),\$p" "$SCHED_LOG" | sed -n 's/^scx_cells: Created cell \([0-9]*\) for cgroup .*/\1/p' |
	awk '$1 > 3' | sort -un | tr '\n' ' ')
[ -z "$high" ] || fail "churn cells got ids $high: with one churn cgroup at a time, ids above 3 are leaked ids"
mkdir "$CGROUP_ROOT/work/after" || fail "mkdir work/after"
wait_stats 50 "a new cell after gets id 2 (lowest free)" stats_cells_are "1:keep 2:after"
log "after: $(stats_cells_summary)"
assert_sched_healthy "$seq0"
kill_spinners
stop_sched
cg_remove work
echo ok
