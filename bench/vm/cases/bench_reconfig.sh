#!/bin/sh
# bench_reconfig: how fast scx_cells follows cgroup changes (default --debounce-ms 100). The
# daemon's output goes through benchts, which timestamps every line (CLOCK_MONOTONIC).
#   reconfig_new:     REPS times, benchreconf makes a new child cgroup and moves a CPU spinner
#                     (running in the root cell) into it; time from the mkdir until the plan that
#                     gives the new cell CPUs is applied (plan_ms) and until the spinner runs only
#                     on those CPUs (confined_ms, never before plan_ms; "never": still running
#                     elsewhere at the end of the WATCH_MS window).
#   reconfig_publish: N = 1, 16, 128, 255 children created (then removed) in one burst by benchmk;
#                     time from the end of the burst to the applied plan with all of them
#                     (settle_ms, which includes the debounce window) and how many plans it took.
#   reconfig_moves:   a sequence of single changes (cells added/removed); CPUs that changed owner
#                     per change, the fewest any plan with the same cell sizes could move, and what
#                     re-cutting contiguous ranges by cell id (scx_mitosis's way) would move.
# Benchmark: run by name only.
# shellcheck source=bench_common.sh
. /tests/cases/bench_common.sh

DEBOUNCE_MS=100
REPS=5
WATCH_MS=2000 # how long benchreconf watches the spinner after the mkdir
W=$CGROUP_ROOT/$BENCH_PARENT

bench_env
cg_create "$BENCH_PARENT/a" >/dev/null
spawn_spinner "$BENCH_PARENT/a"
start_sched_ts --cell-parent-cgroup "/$BENCH_PARENT" --stats-format json --monitor-interval-s 0.2 \
	--debounce-ms $DEBOUNCE_MS
wait_for 10 "cell a in the stats" stats_have_cells a

# plan_after T: arrival time of the first "applied plan" line after T.
plan_after() {
	awk -v t="$1" '$1 > t && /applied plan/ { print $1; exit }' "$SCHED_TS"
}
# plan_with_after T N: "TIME PLANS PLACED" for the first applied plan after T that lists N cells
# (PLANS: applied plans after T up to it; PLACED: how many of the N got CPUs).
plan_with_after() {
	awk -v t="$1" -v n="$2" '$1 > t && /applied plan/ {
		plans++; cfg = $0; sub(/ \(applied plan .*/, "", cfg)
		c = gsub(/ \[[0-9]+[(:]/, "&", cfg); p = c - gsub(/: unplaced, /, "&", cfg)
		if (c == n) { print $1, plans, p; found = 1; exit }
	} END { exit !found }' "$SCHED_TS"
}
has_plan_with_after() {
	plan_with_after "$1" "$2" >/dev/null || { echo "no plan with $2 cells after $1 yet"; return 1; }
}

# ---- a new cell: mkdir -> plan -> confined ------------------------------------------------
bench_header reconfig_new rep plan_ms confined_ms outside_after_plan_ms cell_cpus debounce_ms
k=1
while [ $k -le $REPS ]; do
	benchreconf run "$W/n$k" $WATCH_MS >"$CASE_DIR/run.$k" || fail "benchreconf run n$k"
	t0=$(kv t0 "$(head -n 1 "$CASE_DIR/run.$k")")
	wait_for 5 "a plan after the mkdir of n$k" sh -c "[ -n \"\$(awk -v t=$t0 '\$1 > t && /applied plan/' '$SCHED_TS')\" ]"
	tp=$(plan_after "$t0")
	wait_for 5 "cell n$k in the stats" stats_have_cells "n$k"
	cpus=$(cell_cpus "n$k")
	res=$(benchreconf analyze "$cpus" "$tp" <"$CASE_DIR/run.$k") || fail "analyze n$k: $res"
	log "n$k (cpus $cpus): $res"
	bench_row reconfig_new "$k" "$(kv plan_ms "$res")" "$(kv confined_ms "$res")" \
		"$(kv outside_after_plan_ms "$res")" "$cpus" "$DEBOUNCE_MS"
	rmdir "$W/n$k" || fail "rmdir n$k"
	wait_for 5 "cell n$k gone" stats_lack_cell "n$k"
	sleep 0.3 # past the debounce's minimum interval, so the next mkdir is timed alone
	k=$((k + 1))
done
kill_spinners
cg_remove "$BENCH_PARENT/a"
wait_for 5 "cell a gone" stats_lack_cell a
sleep 0.3

# ---- many cells at once ------------------------------------------------------------------
bench_header reconfig_publish op cells rep burst_ms settle_ms settle_minus_debounce_ms plans placed debounce_ms
for n in 1 1 16 16 128 128 255 255; do
	rep=1
	[ -f "$CASE_DIR/done.$n" ] && rep=2
	touch "$CASE_DIR/done.$n"
	for op in mkdir rmdir; do
		out=$(benchmk "$op" "$W" c "$n") || fail "benchmk $op $n: $out"
		first=$(kv first "$out") last=$(kv last "$out")
		want=$((n + 1))
		[ $op = rmdir ] && want=1
		wait_for 30 "the plan after $op of $n cells" has_plan_with_after "$first" "$want"
		# shellcheck disable=SC2046 # three words
		set -- $(plan_with_after "$first" "$want")
		tp=$1 plans=$2 placed=$3
		row=$(awk -v f="$first" -v l="$last" -v p="$tp" -v d=$DEBOUNCE_MS \
			'BEGIN { printf "%.1f %.1f %.1f", (l - f) * 1e3, (p - l) * 1e3, (p - l) * 1e3 - d }')
		# shellcheck disable=SC2086 # three numbers
		bench_row reconfig_publish "$op" "$n" "$rep" $row "$plans" "$placed" "$DEBOUNCE_MS"
		log "$op $n cells: burst/settle/net ms $row, $plans plan(s), $placed placed"
		sleep 0.3
	done
done

# ---- CPUs moved per change ---------------------------------------------------------------

# step DESC CMD...: run CMD (a cgroup change), wait for the stats line of the new plan, diff it.
STEP=0
step() {
	_desc=$1
	shift
	_p0=$(stats_plans)
	"$@" || fail "step $_desc"
	wait_for 10 "a new plan after: $_desc" sh -c ". /tests/lib.sh; SCHED_LOG=$SCHED_LOG; [ \"\$(stats_plans)\" -gt $_p0 ]"
	sleep 0.5 # let a trailing plan of the same burst land
	stats_cells_table >"$CASE_DIR/step.$STEP"
	if [ $STEP -gt 0 ]; then
		# shellcheck disable=SC2046 # three numbers
		set -- $("$VMCHECK" moves "$CASE_DIR/step.$((STEP - 1))" "$CASE_DIR/step.$STEP")
		bench_row reconfig_moves "$STEP" "$_desc" "$1" "$2" "$3" "$(stats_cells_summary | sed 's/ *$//; s/ /;/g')"
		log "step $STEP $_desc: moved $1 (fewest possible $2, contiguous re-cut $3): $(stats_cells_summary)"
	fi
	STEP=$((STEP + 1))
}
bench_header reconfig_moves step change moved fewest contiguous_recut cells
step "+p" mkdir "$W/p"
for c in q r s t; do
	step "+$c" mkdir "$W/$c"
done
step "-q" rmdir "$W/q"
step "+u" mkdir "$W/u"
step "-p" rmdir "$W/p"
step "-s" rmdir "$W/s"
step "+v+w" sh -c "mkdir $W/v && mkdir $W/w"

stop_sched >/dev/null
cg_remove "$BENCH_PARENT"
echo ok
