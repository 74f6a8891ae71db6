#!/bin/sh
# cells_dry_run_path: `scx_cells --dry-run --cell-parent-cgroup /work`, as the README shows it,
# resolves /work inside the cgroup2 mount exactly as the scheduler does (#13 item 9); it used to
# take the path as a plain directory and fail with "cgroup /work does not exist". Checks the
# absolute and the relative form, text and JSON, against cells a and b under
# /sys/fs/cgroup/work, and that the scheduler's own lookup plans the same cells.
# shellcheck source=../lib.sh
. /tests/lib.sh

need_scx_bin
cg_create work/a >/dev/null
cg_create work/b >/dev/null
[ -e /work ] && log "note: /work exists in the guest as a plain path: $(ls -ld /work)"

# dry_run_lists ARGS...: the dry run with ARGS exits 0 and its table lists cells a and b.
dry_run_lists() {
	_out=$("$SCX_BIN" --dry-run "$@" 2>&1)
	_rc=$?
	log "scx_cells --dry-run $*: exit $_rc"
	echo "$_out" | sed 's/^/  | /'
	[ "$_rc" -eq 0 ] || fail "--dry-run $* exited $_rc, want 0: $_out"
	echo "$_out" | grep -qE '^[0-9]+ +a ' || fail "--dry-run $*: no cell a in: $_out"
	echo "$_out" | grep -qE '^[0-9]+ +b ' || fail "--dry-run $*: no cell b in: $_out"
}

dry_run_lists --cell-parent-cgroup /work
dry_run_lists --cell-parent-cgroup work
dry_run_lists --cell-parent-cgroup /sys/fs/cgroup/work
json=$("$SCX_BIN" --dry-run --json --cell-parent-cgroup /work 2>&1) ||
	fail "--dry-run --json --cell-parent-cgroup /work failed: $json"
for c in a b; do
	echo "$json" | grep -q "\"cgroup\": *\"[^\"]*$c\"" ||
		fail "--dry-run --json: no cell $c in: $json"
done
log "json: $(echo "$json" | cut -c1-200)"

# a cgroup that does not exist is still an error, one line
out=$("$SCX_BIN" --dry-run --cell-parent-cgroup /nonexistent_cells_parent 2>&1)
rc=$?
[ "$rc" -eq 1 ] || fail "--dry-run on a missing cgroup exited $rc, want 1: $out"
log "missing parent: $out"

# the scheduler resolves the same parent into the same cells
start_sched --cell-parent-cgroup /work --monitor-interval-s 0.2 --stats-format json
wait_for 10 "a stats line listing cells a and b" stats_have_cells a b
log "scheduler cells: $(stats_cells_summary)"
stop_sched
cg_remove work
echo ok
