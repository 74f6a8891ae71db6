#!/bin/sh
# demo: what `./run.sh demo` shows. Three cells with contrasting workloads under scx_cells with
# borrowing and rebalancing, its live view (CPU map + per-cell stats) streamed for ~30 s, then a
# summary. Not part of `all`: it is a show, not a test (but it still fails if the scheduler does).
# shellcheck source=../lib.sh
. /tests/lib.sh

say() {
	printf '\n>>> %s\n\n' "$*"
}

for c in web batch analytics; do
	cg_create "work/$c" >/dev/null
done

say "cgroups /work/web, /work/batch and /work/analytics become cells; CPU map: 'owner' is the cell owning each CPU, 'runs' the cell running there now (* = borrowed, . = idle)"
start_sched --cell-parent-cgroup /work --enable-borrowing --enable-rebalancing \
	--rebalance-cooldown-s 2 --monitor-interval-s 1
tail -f "$SCHED_LOG" &
TAIL=$!

say "batch: 4 CPU spinners start; web: a request/response load (pipes); analytics: idle - batch borrows the idle CPUs"
for _ in 1 2 3 4; do spawn_spinner work/batch; done
sh -c "echo \$\$ > $CGROUP_ROOT/work/web/cgroup.procs && exec hackbench -p -g 1 -f 2 -l 2000000" >/dev/null 2>&1 &
WEB=$!
wait_for 15 "batch to borrow CPUs" sh -c "grep -q 'borrowed [1-9]' '$SCHED_LOG'"
wait_for 12 "a few intervals of the view" sh -c "[ \$(grep -c 'plans' '$SCHED_LOG') -ge 10 ]"

say "analytics wakes up with 3 spinners: its CPUs are reclaimed from batch, and rebalancing follows the demand"
for _ in 1 2 3; do spawn_spinner work/analytics; done
wait_for 15 "a few more intervals" sh -c "[ \$(grep -c 'plans' '$SCHED_LOG') -ge 20 ]"

say "a new cell appears (mkdir /work/adhoc) and gets CPUs of its own"
cg_create work/adhoc >/dev/null
spawn_spinner work/adhoc
wait_for 15 "the adhoc cell" sh -c "grep -q 'created: adhoc' '$SCHED_LOG'"
wait_for 15 "a few more intervals" sh -c "[ \$(grep -c 'plans' '$SCHED_LOG') -ge 30 ]"

kill "$WEB" 2>/dev/null
kill_spinners
stop_sched
kill "$TAIL" 2>/dev/null
grep "summary" "$SCHED_LOG"
say "done: the scheduler unloaded cleanly (state $(sched_state))"
cg_remove work
