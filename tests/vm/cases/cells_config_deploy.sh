#!/bin/sh
# cells_config_deploy: the commands of docs/deploy.md, run as written (issue #14 item 4), each
# printed as "$ COMMAND" with its output so the document can quote this log. The VM has no
# systemd and no kubelet: the cgroups they would create are made with mkdir, and what
# `systemctl set-property workloads-web.slice CPUWeight=300` does is done by its cgroup file
# write. Asserted: the pods of a kubelet-shaped tree become cells (guaranteed pods one level
# and burstable/best-effort pods two levels below kubepods.slice), SIGHUP reloads with the
# scheduler still enabled, a cpu.weight write moves CPUs, and after SIGINT and after SIGKILL the
# kernel's state is "disabled" (every task back on the default scheduler).
# shellcheck source=../lib.sh
. /tests/lib.sh

[ "$NCPUS" -eq 4 ] || fail "the expected counts are for 4 vCPUs, have $NCPUS"
CG=/sys/fs/cgroup

# sh_x COMMAND...: print "$ COMMAND" and run it through sh, output indented; fail if it fails.
sh_x() {
	echo "\$ $*"
	sh -c "$*" 2>&1 | sed 's/^/    /'
}

# ---- Kubernetes node --------------------------------------------------------------------------
G=kubepods.slice/kubepods-pod0a1b.slice
B=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c3d.slice
E=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod4e5f.slice
# what the kubelet would have made (with the systemd cgroup driver), plus a container each
for p in "$G" "$B" "$E"; do
	cg_create "$p" >/dev/null
	mkdir "$CG/$p/cri-containerd-1.scope" || fail "mkdir container of $p"
	sh -c "echo \$\$ > $CG/$p/cri-containerd-1.scope/cgroup.procs && exec sh -c 'while :; do :; done'" &
	SPINNERS="$SPINNERS $!"
done
sh_x "find $CG/kubepods.slice -type d | sort"
mkdir -p /etc/scx_cells
cat >/etc/scx_cells/cells.json <<'EOF'
{
  "comment": "one cell per pod: Guaranteed pods sit one level below kubepods.slice, the others two",
  "rules": [
    {"match": "kubepods.slice/kubepods-pod*.slice", "weight": 200, "lend": false},
    {"match": "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod*.slice"},
    {"match": "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod*.slice",
     "weight": 50, "max_cpus": 1}
  ]
}
EOF
sh_x "cat /etc/scx_cells/cells.json"
sh_x "scx_cells --dry-run --cell-config /etc/scx_cells/cells.json"
scx_cells --dry-run --cell-config /etc/scx_cells/cells.json >"$CASE_DIR/dry" 2>&1 ||
	fail "dry-run failed: $(cat "$CASE_DIR/dry")"
for p in "$G" "$B" "$E"; do
	grep -qF "$p" "$CASE_DIR/dry" || fail "dry-run does not list $p"
done
grep -q 'cri-containerd' "$CASE_DIR/dry" && fail "a container became a cell"

start_sched --cell-config /etc/scx_cells/cells.json --enable-borrowing --monitor-interval-s 0.2 \
	--stats-format json
wait_stats 50 "the three pods as cells" stats_have_cells "$G" "$B" "$E"
sh_x "cat /sys/kernel/sched_ext/state /sys/kernel/sched_ext/root/ops"
sh_x "grep -E 'Created cell|Applied initial' $SCHED_LOG"
seq0=$(enable_seq)
# a rule changes: best-effort pods may not borrow; reload without a restart
sed -i 's/"weight": 50, "max_cpus": 1}/"weight": 50, "max_cpus": 1, "borrow": false}/' \
	/etc/scx_cells/cells.json
sh_x "grep besteffort-pod /etc/scx_cells/cells.json"
sh_x "kill -HUP \$(pidof scx_cells)"
wait_for 10 "the reload" log_has 'SIGHUP: reloaded'
wait_for 10 "the rule change" log_has 'borrow no'
sh_x "grep -E 'SIGHUP|borrow no' $SCHED_LOG"
sh_x "cat /sys/kernel/sched_ext/state /sys/kernel/sched_ext/enable_seq"
if [ "$(enable_seq)" != "$seq0" ] || ! state_is enabled >/dev/null; then
	fail "reload reloaded the scheduler: enable_seq $(enable_seq) (was $seq0), $(sched_state)"
fi
# stopping: SIGINT (what the systemd unit sends), then the kernel state
echo "\$ kill -INT \$(pidof scx_cells)"
stop_sched
sh_x "cat /sys/kernel/sched_ext/state"
# SIGKILL (a DaemonSet pod deleted with --grace-period=0, the OOM killer): the same end state
start_sched --cell-config /etc/scx_cells/cells.json
sh_x "kill -KILL \$(pidof scx_cells)"
wait_for 20 "state disabled after SIGKILL" state_is disabled
SCHED_PID=
sh_x "cat /sys/kernel/sched_ext/state"
sh_x "dmesg | grep -i sched_ext | tail -n 2"
# in a DaemonSet pod the host's cgroup tree is a second mount: --cgroup-root points the rules at it
sh_x "mkdir -p /host/sys/fs/cgroup && mount -t cgroup2 none /host/sys/fs/cgroup"
echo "\$ scx_cells --cell-config /etc/scx_cells/cells.json --cgroup-root /host/sys/fs/cgroup &"
start_sched --cell-config /etc/scx_cells/cells.json --cgroup-root /host/sys/fs/cgroup \
	--monitor-interval-s 0.2 --stats-format json
wait_stats 50 "the pods as cells below --cgroup-root" stats_have_cells "$G" "$B" "$E"
sh_x "grep -E 'Created cell' $SCHED_LOG"
echo "\$ kill -INT \$(pidof scx_cells)"
stop_sched
sh_x "umount /host/sys/fs/cgroup"
kill_spinners
cg_remove kubepods.slice

# ---- systemd host with slices -----------------------------------------------------------------
# systemd would create workloads.slice/workloads-web.slice and workloads-batch.slice
for s in web batch; do
	cg_create "workloads.slice/workloads-$s.slice" >/dev/null
	spawn_spinner "workloads.slice/workloads-$s.slice"
	spawn_spinner "workloads.slice/workloads-$s.slice"
done
start_sched --cell-parent-cgroup /workloads.slice --monitor-interval-s 0.2 --stats-format json
wait_stats 50 "web and batch as cells" stats_have_cells workloads-web.slice workloads-batch.slice
wait_stats 20 "web at 1 CPU" nr_is workloads-web.slice 1
sh_x "cat $CG/workloads.slice/workloads-web.slice/cpu.weight"
# systemctl set-property workloads-web.slice CPUWeight=300 writes:
sh_x "echo 300 > $CG/workloads.slice/workloads-web.slice/cpu.weight"
wait_stats 20 "web at 2 CPUs" nr_is workloads-web.slice 2
sh_x "grep -E 'weight 100 -> 300|cpu.weight/cpu.max changed;' $SCHED_LOG"
log "cells: $(stats_cells_summary)"
echo "\$ kill -INT \$(pidof scx_cells)"
stop_sched
kill_spinners
cg_remove workloads.slice
echo ok
