#!/bin/sh
# cpu8_virt_llc: --virt-llc MIN-MAX (#14 item 3) splits a large LLC into groups of MIN..MAX cores,
# each with its own cell queue. On 8 vCPUs that share one LLC, --dry-run without the flag lists
# one LLC queue per cell; with --virt-llc 2-4 it lists two (cores 0-3 and 4-7: 8 cores, at most 4
# a group, balanced), and the loaded scheduler says it made 2 queues per cell. With the queues
# split, 2*NCPUS spinners of one cell (the root cell: all CPUs) keep every CPU busy (a CPU whose
# own queue is empty steals from the other), measured from /proc/stat; the scheduler unloads
# cleanly. Needs 8 vCPUs (cpu8_* boots: tests/vm/run.sh --cpus 8 cpu8_virt_llc).
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_wc.sh
. /tests/lib_wc.sh
trap wc_debug_on_fail EXIT

# Measured (8 vCPUs, one LLC): without the flag '1 per cell (one per LLC): 0-7', with 2-4 '2 per
# cell: 0-3 | 4-7'; 16 spinners kept all 8 CPUs at 100 %. Passed in 11.9 s.
[ "$NCPUS" -ge 8 ] || skip "needs at least 8 vCPUs, have $NCPUS: run tests/vm/run.sh --cpus 8 cpu8_virt_llc"
BUSY_MIN=${BUSY_MIN:-70}
WINDOW_S=3

# queues_line OPTS...: the "LLC queues:" line of --dry-run with OPTS.
queues_line() {
	# shellcheck disable=SC2068
	"$SCX_BIN" --dry-run $@ 2>&1 | grep '^LLC queues:'
}

need_scx_bin
plain=$(queues_line)
split=$(queues_line --virt-llc 2-4)
log "dry-run without --virt-llc: $plain"
log "dry-run with --virt-llc 2-4: $split"
n_plain=$(echo "$plain" | sed -n 's/^LLC queues: \([0-9]*\) per cell.*/\1/p')
n_split=$(echo "$split" | sed -n 's/^LLC queues: \([0-9]*\) per cell.*/\1/p')
if [ -z "$n_plain" ] || [ -z "$n_split" ]; then
	fail "no 'LLC queues:' line in --dry-run: '$plain' / '$split'"
fi
[ "$n_split" -gt 1 ] || fail "--virt-llc 2-4 on $NCPUS CPUs gave $n_split LLC queue(s): $split"
[ "$n_split" -gt "$n_plain" ] || fail "--virt-llc 2-4 gave $n_split queues, no more than the $n_plain without it"
if [ "$n_plain" = 1 ] && [ "$NCPUS" = 8 ]; then
	case "$split" in *": 0-3 | 4-7") ;; *) fail "8 cores in one LLC, 2-4: want groups 0-3 | 4-7, got: $split" ;; esac
fi
out=$("$SCX_BIN" --dry-run --virt-llc 4-2 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "--virt-llc 4-2 exited $rc, want 2: $out"
log "--virt-llc 4-2: exit 2: $out"

start_sched --monitor-interval-s 0.2 --stats-format json --virt-llc 2-4
seq0=$(enable_seq)
grep -q "scheduler enabled on $NCPUS CPUs, .*, $n_split LLC queues per cell" "$SCHED_LOG" ||
	fail "the daemon did not report $n_split LLC queues per cell: $(grep 'enabled on' "$SCHED_LOG")"
wc_spawn "" $((NCPUS * 2))
wait_intervals 3
b0=$(cpu_snapshot)
sleep "$WINDOW_S"
b1=$(cpu_snapshot)
busy=$(busy_pct "$b0" "$b1")
log "busy over ${WINDOW_S}s with --virt-llc 2-4: $busy"
kill_spinners
assert_sched_healthy "$seq0"
stop_sched
low=$(min_pct "$busy")
[ "${low:-0}" -ge "$BUSY_MIN" ] ||
	fail "with --virt-llc 2-4 and $((NCPUS * 2)) spinners the least busy CPU was at ${low:-?}% (< ${BUSY_MIN}%): $busy"
echo ok
