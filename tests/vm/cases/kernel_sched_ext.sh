#!/bin/sh
# kernel_sched_ext: the VM kernel offers sched_ext and the cgroup controllers we
# need, and nothing is loaded before the first scheduler starts.
# shellcheck source=../lib.sh
. /tests/lib.sh

log "kernel $(uname -r), $NCPUS vCPUs"
[ -d "$SCX_SYSFS" ] || fail "$SCX_SYSFS missing: kernel built without CONFIG_SCHED_CLASS_EXT?"
[ -r "$SCX_SYSFS/state" ] || fail "$SCX_SYSFS/state missing"
state=$(sched_state)
log "sched_ext state: $state"
[ "$state" = disabled ] || fail "sched_ext state is '$state' before anything loaded, want 'disabled'"

controllers=$(cat "$CGROUP_ROOT/cgroup.controllers")
log "cgroup2 controllers: $controllers"
for want in cpuset cpu; do
	case " $controllers " in
	*" $want "*) ;;
	*) fail "cgroup2 does not offer the '$want' controller" ;;
	esac
done
subtree=$(cat "$CGROUP_ROOT/cgroup.subtree_control")
log "root subtree_control: $subtree"
for want in cpuset cpu; do
	case " $subtree " in
	*" $want "*) ;;
	*) fail "'$want' is not enabled in the root cgroup.subtree_control" ;;
	esac
done

# A child cgroup gets the cpuset/cpu interface files.
cg_create vmtest_probe >/dev/null
for f in cpuset.cpus cpuset.cpus.effective cpu.weight; do
	[ -e "$CGROUP_ROOT/vmtest_probe/$f" ] || fail "child cgroup lacks $f"
done
log "child cgroup cpuset.cpus.effective: $(cat "$CGROUP_ROOT/vmtest_probe/cpuset.cpus.effective")"
cg_remove vmtest_probe
echo "ok"
