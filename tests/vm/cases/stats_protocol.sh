#!/bin/sh
# stats_protocol: a running scx_cells with two cells serves the scx_stats protocol on its
# conventional socket /var/run/scx/root/stats (parent directories created by the daemon):
#  - scxstats check: stats_meta describes every field of the stats reply (OpenMetrics prefix,
#    `cell` label), num_cells matches, the cells' num_cpus add up to the online CPUs;
#  - scxstats bad: malformed requests get error replies on a connection that keeps answering,
#    and the scheduler keeps running (state enabled, no re-enable, a later check passes);
#  - `--monitor --json` prints the "top" object (num_cells 3) once per snapshot, never the same
#    snapshot twice although it asks four times per daemon interval; `--monitor` prints the
#    text view; both exit 0 on SIGINT;
#  - --metrics-file is rewritten every interval (uptime grows), complete (# EOF), from the same
#    daemon, with no counter going backwards (scxstats metrics); the last one is copied into
#    this log as "metrics| " lines for the host's promtool check (tests/host/metrics.sh); when
#    its directory vanishes the daemon says so once, keeps scheduling, and says so again when
#    it can write it again;
#  - the daemon removes its socket on exit; the scheduler unloads cleanly.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

SOCK=/var/run/scx/root/stats
MDIR=$CASE_DIR/textfile
MF=$MDIR/scx_cells.prom
mkdir -p "$MDIR"
command -v scxstats >/dev/null || fail "scxstats is missing from the initramfs (make build/vm-bin/scxstats)"

cg_create work/a >/dev/null
cg_create work/b >/dev/null
spawn_spinner work/a
spawn_spinner work/b
wait_for 5 "spinners in work/a and work/b" cg_has_procs work/a work/b
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json \
	--metrics-file "$MF"
seq0=$(enable_seq)
wait_for 10 "cells a and b (ids 1, 2) in the stats" stats_cells_are "1:a 2:b"

# ---- the socket and the protocol ----------------------------------------------------------------
[ -S "$SOCK" ] || fail "no socket at $SOCK: $(ls -la /var/run/scx/root 2>&1)"
perm=$(stat -c '%a %u' "$SOCK")
[ "$perm" = "600 0" ] || fail "$SOCK has mode/owner '$perm', want '600 0'"
log "socket $SOCK: mode/owner $perm; /var/run/scx/root: $(stat -c '%a' /var/run/scx/root)"

# stats_ready: a stats request gets errno 0 (the first snapshot exists).
stats_ready() {
	_r=$(scxstats "$SOCK" raw '{"req":"stats","args":{"target":"top"}}')
	case $_r in '{"errno":0,'*) return 0 ;; esac
	echo "reply: $_r"
	return 1
}
wait_for 10 "a stats snapshot on $SOCK" stats_ready
ncpu=$(cpulist_count "$(online_cpus)")
out=$(scxstats "$SOCK" check "$ncpu") || fail "scxstats check: $out"
log "$out"
out=$(scxstats "$SOCK" bad) || fail "scxstats bad: $out"
echo "$out" | sed 's/^/  /'
assert_sched_healthy "$seq0"
n0=$(stats_count)
wait_for 5 "the daemon to keep printing stats after the bad requests" stats_newer_than "$n0"
out=$(scxstats "$SOCK" check "$ncpu") || fail "scxstats check after the bad requests: $out"
log "after the bad requests: $out"
# Real replies, for docs/stats.md.
for req in '{"req":"stats","args":{"target":"top"}}' '{"req":"stats_meta"}' \
	'{"req":"stats","args":{"target":"nosuch"}}' '{"req":"stats","args":{"target":"text"}}'; do
	echo "request| $req"
	echo "reply| $(scxstats "$SOCK" raw "$req")"
done

# ---- --monitor --json and the text view ---------------------------------------------------------
MON=$CASE_DIR/monitor.json
"$SCX_BIN" --monitor=0.05 --json >"$MON" 2>"$MON.err" &
mpid=$!
# mon_lines N: the monitor has printed at least N lines.
mon_lines() {
	_n=$(wc -l <"$MON")
	[ "$_n" -ge "$1" ] && return 0
	echo "$_n lines: $(tail -n 2 "$MON") $(cat "$MON.err")"
	return 1
}
wait_for 15 "--monitor --json to print 8 lines" mon_lines 8
kill -INT "$mpid"
wait "$mpid"
rc=$?
[ "$rc" -eq 0 ] || fail "--monitor --json exited with status $rc on SIGINT: $(cat "$MON.err")"
# Every line has scx_mitosis's --monitor JSON fields, top level and per cell.
for key in '^{"num_cells":3,' '"rebalance_count":[0-9]' '"borrowed_pct":[0-9]' \
	'"cells":{"0":{' '"num_cpus":[1-9]' '"util_pct":' '"demand_borrow_pct":' '"lent_pct":' \
	'"smoothed_util_pct":'; do
	n=$(grep -vc -- "$key" "$MON")
	[ "$n" -eq 0 ] || fail "--monitor --json printed $n lines without $key: $(head -n 2 "$MON")"
done
dups=$(uniq -d "$MON" | wc -l)
[ "$dups" -eq 0 ] || fail "--monitor --json printed the same snapshot twice in a row ($dups times): $(uniq -d "$MON" | head -n 1)"
log "--monitor --json: $(wc -l <"$MON") lines, none repeated; first: $(head -c 160 "$MON")..."

MONT=$CASE_DIR/monitor.txt
"$SCX_BIN" --monitor=0.2 >"$MONT" 2>"$MONT.err" &
mpid=$!
# mon_text: the text view with both cells has been printed twice.
mon_text() {
	[ "$(grep -c 'cgroup' "$MONT")" -ge 2 ] && grep -qE '^ +1 +a ' "$MONT" && return 0
	echo "$(cat "$MONT") $(cat "$MONT.err")"
	return 1
}
wait_for 15 "--monitor to print the text view twice" mon_text
kill -INT "$mpid"
wait "$mpid"
rc=$?
[ "$rc" -eq 0 ] || fail "--monitor exited with status $rc on SIGINT: $(cat "$MONT.err")"
! grep -q "$(printf '\033')" "$MONT" || fail "--monitor wrote cursor control to a file (not a terminal)"
log "--monitor (text, not a terminal): $(grep -c cgroup "$MONT") views, plain lines"

# ---- --metrics-file -------------------------------------------------------------------------------
[ -f "$MF" ] || fail "no metrics file $MF: $(ls -la "$MDIR")"
cp "$MF" "$CASE_DIR/m1.prom"
# metrics_newer: the file was rewritten since m1 (its uptime differs).
metrics_newer() {
	cp "$MF" "$CASE_DIR/m2.prom" || return 1
	_u1=$(grep '^scx_cells_uptime_seconds ' "$CASE_DIR/m1.prom")
	_u2=$(grep '^scx_cells_uptime_seconds ' "$CASE_DIR/m2.prom")
	[ "$_u1" != "$_u2" ] && return 0
	echo "still $_u2"
	return 1
}
for i in 1 2 3; do
	wait_for 5 "the metrics file to be rewritten ($i)" metrics_newer
	out=$(scxstats metrics "$CASE_DIR/m1.prom" "$CASE_DIR/m2.prom") ||
		fail "metrics file $i: $out"
	log "metrics file $i: $out"
	cp "$CASE_DIR/m2.prom" "$CASE_DIR/m1.prom"
done
left=$(ls "$MDIR" | grep -v '^scx_cells.prom$')
[ -z "$left" ] || fail "temporary files left next to the metrics file: $left"
grep -q '^scx_cells_cell_num_cpus{cell="1",cgroup="a"} [1-9]' "$CASE_DIR/m2.prom" ||
	fail "no num_cpus for cell 1 (a) in the metrics file: $(grep cell_num_cpus "$CASE_DIR/m2.prom")"
sed 's/^/metrics| /' "$CASE_DIR/m2.prom"

# A metrics file that cannot be written: one line in the log, scheduling goes on, and writing
# resumes (with one more line) once it can.
rm -rf "$MDIR"
# log_count ERE: lines of the daemon's log matching ERE.
log_count() {
	grep -cE "$1" "$SCHED_LOG"
}
wait_for 5 "the daemon to report the unwritable metrics file" log_has 'cannot write the metrics file'
n0=$(stats_count)
wait_for 5 "three more intervals with the file unwritable" stats_newer_than $((n0 + 2))
n=$(log_count 'cannot write the metrics file')
[ "$n" -eq 1 ] || fail "the metrics file failure was logged $n times, want once: $(grep 'metrics file' "$SCHED_LOG")"
assert_sched_healthy "$seq0"
mkdir -p "$MDIR"
wait_for 5 "the daemon to write the metrics file again" log_has 'metrics file .* is written again'
wait_for 5 "the metrics file to reappear" test -f "$MF"
log "unwritable metrics file: $(grep 'metrics file' "$SCHED_LOG" | tr '\n' ' ')"

assert_sched_healthy "$seq0"
stop_sched
[ ! -e "$SOCK" ] || fail "the daemon left its socket $SOCK behind"
kill_spinners
echo ok
