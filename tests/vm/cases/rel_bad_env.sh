#!/bin/sh
# rel_bad_env: scx_cells in a hostile environment. Every start-up problem must give exactly ONE
# clear error line and a non-zero exit status that is not a signal (no crash), and leave
# sched_ext disabled:
#  1. the parent cgroup does not exist; 2. the parent is a file, not a directory;
#  3. cgroup2 is not mounted (in a private mount namespace: unshare -m + umount);
#  4. not root (uid 65534 through the asuser helper);
#  5. another sched_ext scheduler is already loaded (a second scx_cells): the error names the
#     loaded one, and the first instance is unaffected.
# Then, while running:
#  6. the parent cgroup is removed (tasks moved out, children removed, rmdir /work): the daemon
#     exits non-zero with a message naming the parent, sched_ext goes back to disabled.
# And, reported rather than judged (the lead decides what it should be):
#  7. the cpu/cpuset controllers are not enabled in the parent's cgroup.subtree_control.
# shellcheck source=../lib.sh
. /tests/lib.sh
# shellcheck source=../lib_rel.sh
. /tests/lib_rel.sh

need_scx_bin
OUT=$CASE_DIR/out
cg_create work/a >/dev/null

# still_disabled WHAT: sched_ext was not left loaded by a failed start.
still_disabled() {
	state_is disabled >/dev/null || fail "$1: sched_ext is '$(sched_state)' after the failed start"
}

# ---- 1. parent does not exist -----------------------------------------------------------------
run_capture "$OUT" "$SCX_BIN" --cell-parent-cgroup /no-such-parent
check_one_error "$OUT" "$RC" "1. missing parent" 'no-such-parent.*(does not exist|No such)'
still_disabled "1. missing parent"

# ---- 2. parent is a file ----------------------------------------------------------------------
run_capture "$OUT" "$SCX_BIN" --cell-parent-cgroup /work/a/cgroup.procs
check_one_error "$OUT" "$RC" "2. parent is a file" 'not a directory'
still_disabled "2. parent is a file"

# ---- 3. cgroup2 not mounted -------------------------------------------------------------------
command -v unshare >/dev/null || fail "busybox unshare is missing"
run_capture "$OUT" unshare -m --propagation private sh -c \
	"umount /sys/fs/cgroup || exit 99; exec $SCX_BIN --cell-parent-cgroup /work"
[ "$RC" -ne 99 ] || fail "3. could not umount /sys/fs/cgroup in a private mount namespace: $(cat "$OUT")"
check_one_error "$OUT" "$RC" "3. cgroup2 not mounted" 'cgroup2.*not mounted'
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || fail "3. the umount leaked out of the namespace"
still_disabled "3. cgroup2 not mounted"

# ---- 4. not root ------------------------------------------------------------------------------
run_capture "$OUT" asuser 65534 65534 "$SCX_BIN" --cell-parent-cgroup /work
check_one_error "$OUT" "$RC" "4. not root (uid 65534)" 'root'
still_disabled "4. not root"

# ---- 5. another scheduler loaded --------------------------------------------------------------
spawn_spinner work/a
wait_for 5 "spinner in a" cg_has_procs work/a
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json --debounce-ms 50
seq0=$(enable_seq)
wait_stats 50 "cell a" stats_cells_are "1:a"
run_capture "$OUT" "$SCX_BIN" --cell-parent-cgroup /work --stats-socket /run/second.sock
check_one_error "$OUT" "$RC" "5. second instance" "another sched_ext scheduler.*cells"
assert_sched_healthy "$seq0"
n0=$(stats_count)
wait_stats 25 "the first instance to keep printing stats" stats_newer_than "$n0"
assert_cells_isolated 1000 a
log "5. the first instance is unaffected: $(stats_cells_summary)"

# ---- 6. parent removed while running ----------------------------------------------------------
kill_spinners
rmdir "$CGROUP_ROOT/work/a" || fail "6. rmdir work/a: $(cat "$CGROUP_ROOT/work/a/cgroup.procs")"
rmdir "$CGROUP_ROOT/work" || fail "6. rmdir work"
t0=$(now_cs)
wait_exit "$SCHED_PID" 20 "6. scx_cells to exit after its parent cgroup was removed"
pid=$SCHED_PID
SCHED_PID=
log "6. daemon (pid $pid) exited with status $RC $(fmt_cs $(($(now_cs) - t0)))s after rmdir /work"
log "6. its last lines:"
grep -v '^{"t":' "$SCHED_LOG" | tail -n 5 | sed 's/^/  | /'
[ "$RC" -ne 0 ] || fail "6. exit status 0 after the parent vanished, want non-zero"
[ "$RC" -lt 128 ] || fail "6. exit status $RC: killed by signal $((RC - 128))"
! grep -qiE 'segmentation|aborted|core dumped' "$SCHED_LOG" || fail "6. crash words in the log"
msg=$(grep -E '/work.*(removed|gone|does not exist|No such)' "$SCHED_LOG")
[ -n "$msg" ] || fail "6. no line says that the parent /work is gone"
[ "$(echo "$msg" | wc -l)" -eq 1 ] || fail "6. several lines about the parent: $msg"
log "6. message: $msg"
wait_for 10 "6. sched_ext 'disabled' after the daemon exited" state_is disabled

# ---- 7. controllers not enabled in the parent's subtree_control (reported) --------------------
mkdir "$CGROUP_ROOT/work2" "$CGROUP_ROOT/work2/a" "$CGROUP_ROOT/work2/b" || fail "7. mkdir work2"
log "7. work2/cgroup.subtree_control: '$(cat "$CGROUP_ROOT/work2/cgroup.subtree_control")';" \
	"work2/a has cpuset.cpus: $([ -e "$CGROUP_ROOT/work2/a/cpuset.cpus" ] && echo yes || echo no)"
spawn_spinner work2/a
spawn_spinner work2/b
wait_for 5 "spinners in work2/a and work2/b" cg_has_procs work2/a work2/b
SCHED_LOG=$CASE_DIR/scx_cells.log
"$SCX_BIN" --cell-parent-cgroup /work2 --monitor-interval-s 0.2 --stats-format json \
	--debounce-ms 50 >"$SCHED_LOG" 2>&1 &
SCHED_PID=$!
if (wait_for 20 "7. the daemon to enable or exit" _sched_up_or_dead) && pid_alive "$SCHED_PID"; then
	wait_stats 50 "7. a stats line" stats_newer_than 0
	log "7. without controllers the daemon runs: $(stats_cells_summary)"
	log "7. its warnings: $(grep -i 'warn' "$SCHED_LOG" | tr '\n' ' ')"
	for c in a b; do
		own=$(cell_cpus "$c")
		# shellcheck disable=SC2046
		r=$(pids_ran_within 1000 "${own:-none}" $(cg_procs "work2/$c")) && v=isolated || v="NOT isolated"
		log "7. cell $c (cpus ${own:-none}): $v: $r"
	done
	stop_sched
else
	wait "$SCHED_PID"
	RC=$?
	SCHED_PID=
	log "7. without controllers the daemon exits with status $RC:"
	sed 's/^/  | /' "$SCHED_LOG"
	[ "$RC" -lt 128 ] || fail "7. exit status $RC: killed by signal $((RC - 128))"
	wait_for 10 "7. sched_ext disabled" state_is disabled
fi
kill_spinners
cg_remove work2
echo ok
