#!/bin/sh
# demo: what `./run.sh demo` shows. Three cells with contrasting workloads under scx_cells with
# borrowing and rebalancing. Each phase says what happens, then `scx_cells --monitor` shows the
# live view (CPU map + per-cell stats), redrawn in place on the console, until the phase's
# condition is met. At the end every interval's JSON stats line is printed with a DEMOJSON
# prefix, from which the host draws the picture (scripts/demo_plot.py). Not part of `all`: it is
# a show, not a test (but it still fails if the scheduler does).
# shellcheck source=../lib.sh
. /tests/lib.sh

MON=
say() {
	monitor_stop
	printf '\n>>> %s\n\n' "$*"
}

# The live view until the next say(); it redraws in place because the console is a terminal.
monitor_start() {
	"$SCX_BIN" --monitor 1 &
	MON=$!
}

monitor_stop() {
	[ -n "$MON" ] || return 0
	kill -INT "$MON" 2>/dev/null
	wait "$MON" 2>/dev/null
	MON=
}

intervals() {
	grep -c '^{"t"' "$SCHED_LOG"
}

for c in web batch analytics; do
	cg_create "work/$c" >/dev/null
done

say "cgroups /work/web, /work/batch and /work/analytics become cells; CPU map: 'owner' is the cell owning each CPU, 'runs' the cell running there now (* = borrowed, . = idle)"
start_sched --cell-parent-cgroup /work --enable-borrowing --enable-rebalancing \
	--rebalance-cooldown-s 2 --monitor-interval-s 1 --json

say "batch: 4 CPU spinners start; web: a request/response load (pipes); analytics: idle - batch borrows the idle CPUs"
for _ in 1 2 3 4; do spawn_spinner work/batch; done
sh -c "echo \$\$ > $CGROUP_ROOT/work/web/cgroup.procs && exec hackbench -p -g 1 -f 2 -l 2000000" >/dev/null 2>&1 &
WEB=$!
monitor_start
wait_for 20 "batch to borrow CPUs" sh -c "grep '^{\"t\"' '$SCHED_LOG' | grep -q '\"borrowed\":[1-9]'"
wait_for 20 "a few intervals of the view" sh -c "[ \$(grep -c '^{\"t\"' '$SCHED_LOG') -ge 10 ]"

say "analytics wakes up with 3 spinners: its CPUs are reclaimed from batch, and rebalancing follows the demand"
for _ in 1 2 3; do spawn_spinner work/analytics; done
monitor_start
wait_for 20 "a few more intervals" sh -c "[ \$(grep -c '^{\"t\"' '$SCHED_LOG') -ge 20 ]"

say "a new cell appears (mkdir /work/adhoc) and gets CPUs of its own"
cg_create work/adhoc >/dev/null
spawn_spinner work/adhoc
monitor_start
wait_for 20 "the adhoc cell" sh -c "grep -q 'Created cell [0-9]* for cgroup .*/adhoc ' '$SCHED_LOG'"
wait_for 20 "a few more intervals" sh -c "[ \$(grep -c '^{\"t\"' '$SCHED_LOG') -ge 30 ]"
monitor_stop

kill "$WEB" 2>/dev/null
kill_spinners
stop_sched
grep "summary" "$SCHED_LOG"
log "$(intervals) intervals recorded"
grep '^{"t"' "$SCHED_LOG" | sed 's/^/DEMOJSON /'
say "done: the scheduler unloaded cleanly (state $(sched_state))"
cg_remove work
