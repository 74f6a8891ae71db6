#!/bin/sh
# shellcheck shell=sh
# tests/vm/init.sh — becomes /init of the test VM's initramfs (busybox sh, PID 1).
#
# Sets up a minimal system, runs every case listed in /tests/vm.conf one after
# the other and reports on the serial console with marker lines that
# tests/vm/run.sh parses on the host:
#
#   @@VMTEST BOOT uptime=S ncpus=N kernel=K@@       init started
#   @@VMTEST BEGIN name@@                            case output follows
#   @@VMTEST END name rc=N secs=S status=ST@@        ST: ok | timeout | left_loaded;
#                                                    rc=77 with ok: the case skipped itself
#   @@VMTEST RESULT name rc=N secs=S status=ST@@     repeated for all cases at the end
#   @@VMTEST ABORT reason@@                          remaining cases skipped
#   @@VMTEST DONE@@                                  all cases ran; powering off
#
# Markers may be preceded by kernel console text on the same line; the host
# matches them anywhere in a line. The RESULT block is printed when nothing else
# is running, so it survives a marker that a kernel message garbled.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# ---- system setup ---------------------------------------------------------------
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node, so the kernel started us without
# stdio: attach to the console now that devtmpfs provides it.
exec 0</dev/console 1>/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Optional mounts that debugging cases may want; failure is not fatal.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
echo "+cpuset +cpu" >/sys/fs/cgroup/cgroup.subtree_control ||
	echo "init: WARNING: could not enable cpuset/cpu controllers"
hostname vmtest

# CASES (space-separated names), CASE_TIMEOUT (seconds, already multiplied by the time scale)
# and VM_TIME_SCALE (the factor lib.sh's wait_for applies to its limits) come from run.sh.
# shellcheck source=/dev/null
. /tests/vm.conf
# shellcheck source=lib.sh
. /tests/lib.sh

M=@@VMTEST
NCPUS=$(nproc)
export NCPUS CASE_TIMEOUT VM_TIME_SCALE
read -r _up _idle </proc/uptime
echo "$M BOOT uptime=$_up ncpus=$NCPUS kernel=$(uname -r)@@"

RESULTS=
ABORTED=

# ---- helpers --------------------------------------------------------------------

# kill_group PGID SIG: signal every process of a case's process group.
kill_group() {
	kill "-$2" "-$1" 2>/dev/null
}

# unload_leftovers PGID: make sure no scheduler stays loaded after a case.
# Asks the case's processes to exit (SIGTERM = clean unload), then SIGKILLs them
# and any stray scx_cells. Returns non-zero if sched_ext is still not disabled.
unload_leftovers() {
	state_is disabled >/dev/null && return 0
	kill_group "$1" TERM
	# shellcheck disable=SC2046 # word splitting of pidof output is intended
	kill -TERM $(pidof scx_cells) 2>/dev/null
	(wait_for 10 "scheduler unload after SIGTERM" state_is disabled) >/dev/null && return 0
	kill_group "$1" KILL
	# shellcheck disable=SC2046
	kill -KILL $(pidof scx_cells) 2>/dev/null
	(wait_for 10 "scheduler unload after SIGKILL" state_is disabled)
}

# clean_cgroups: remove every cgroup a case created (moving stray tasks to root).
clean_cgroups() {
	for _d in /sys/fs/cgroup/*/; do
		[ -d "$_d" ] || continue
		_n=${_d#/sys/fs/cgroup/}
		cg_remove "${_n%/}" >/dev/null 2>&1
	done
}

# run_case NAME: run one case in its own session/process group with a deadline.
run_case() {
	name=$1
	CASE_DIR=/tmp/case/$name
	mkdir -p "$CASE_DIR"
	echo "$M BEGIN $name@@"
	dmesg -c >/dev/null # so the kernel log printed on failure is this case's only
	t0=$(now_cs)
	deadline=$((t0 + CASE_TIMEOUT * 100))
	# setsid: the case leads its own process group, so everything it started
	# (scheduler, workers) can be signalled at once afterwards. As a background
	# child of a shell without job control it is not a group leader, so setsid
	# does not fork and $! is the case's pid and pgid.
	CASE_NAME=$name CASE_DIR=$CASE_DIR setsid sh "/tests/cases/$name.sh" </dev/null &
	pid=$!
	status=ok
	while pid_alive "$pid"; do
		if [ "$(now_cs)" -ge "$deadline" ]; then
			status=timeout
			echo "FAIL: case timed out after ${CASE_TIMEOUT}s; killing it"
			kill_group "$pid" KILL
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	secs=$(fmt_cs $(($(now_cs) - t0)))
	[ "$status" = timeout ] && rc=124

	# Every case must leave sched_ext disabled. Allow 3 s for an unload that
	# is already in flight, then call it a failure and clean up.
	if [ "$status" = ok ] && ! (wait_for 3 "sched_ext disabled at end of case" state_is disabled) >/dev/null; then
		status=left_loaded
		echo "FAIL: case ended with the scheduler still loaded" \
			"(state=$(sched_state), ops=$(sched_ops)); every case must unload it"
	fi
	if ! unload_leftovers "$pid"; then
		ABORTED="sched_ext is stuck in state '$(sched_state)' after case $name"
	fi
	kill_group "$pid" KILL # stray workers of a passing case
	clean_cgroups

	# rc 77: the case skipped itself (lib.sh's skip), nothing to explain.
	if { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; } || [ "$status" != ok ]; then
		echo "--- kernel log during case $name ---"
		dmesg | sed 's/^/kmsg| /' | grep . || echo "(none)"
	fi
	echo "$M END $name rc=$rc secs=$secs status=$status@@"
	RESULTS="$RESULTS$M RESULT $name rc=$rc secs=$secs status=$status@@
"
}

# ---- main -----------------------------------------------------------------------
for c in $CASES; do
	run_case "$c"
	if [ -n "$ABORTED" ]; then
		echo "$M ABORT $ABORTED@@"
		break
	fi
done
printf '%s' "$RESULTS"
echo "$M DONE@@"
sync
poweroff -f
