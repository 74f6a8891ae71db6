#!/bin/sh
# load_unload: scx_cells with no options loads as `cells`, its sysfs stats are
# readable, and SIGINT unloads it with exit status 0.
# shellcheck source=../lib.sh
. /tests/lib.sh

seq0=$(enable_seq)
start_sched
[ "$(sched_state)" = enabled ] || fail "state is '$(sched_state)', want enabled"
[ "$(sched_ops)" = cells ] || fail "root/ops is '$(sched_ops)', want cells"
[ "$(enable_seq)" -gt "$seq0" ] || fail "enable_seq did not increase ($seq0 -> $(enable_seq))"

# Print every sched_ext sysfs attribute (global ones and the root scheduler's,
# including its event counters); each must be readable.
[ -r "$SCX_SYSFS/nr_rejected" ] || fail "$SCX_SYSFS/nr_rejected not readable"
for f in $(find "$SCX_SYSFS" -type f | sort); do
	v=$(cat "$f" 2>&1) || fail "cannot read $f: $v"
	printf '  %s:' "${f#"$SCX_SYSFS"/}"
	case $v in
	*"
"*) echo; echo "$v" | sed 's/^/      /' ;;
	*) echo " $v" ;;
	esac
done

pid_alive "$SCHED_PID" || fail "scx_cells exited while stats were read"
stop_sched
[ "$(sched_ops)" = "" ] || log "root/ops after unload: '$(sched_ops)'"
echo "ok"
