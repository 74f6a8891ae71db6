#!/usr/bin/env bash
# tests/vm/run.sh — run scx_cells VM test cases inside one qemu (TCG) boot.
#
# Usage: tests/vm/run.sh [--cpus N] [--mem MB] [--timeout S] [--time-scale K] [--live]
#                        [--out DIR] [--tcg single|multi] CASE...
#        CASE names CASE.sh in tests/vm/cases, bench/vm/cases or demo (searched in that
#        order), or is `all` (every case of tests/vm/cases).
# Env:   VMLINUZ (required) kernel with sched_ext; BUILD_DIR (default: build);
#        VM_TCG_THREAD (default for --tcg: single); VM_SMP (a full qemu -smp value,
#        e.g. "4,sockets=2,cores=2" for two LLCs; overrides --cpus); VM_TIME_SCALE
#        (default for --time-scale: 3); VM_APPEND (extra kernel command-line words).
# Exit:  0 no case failed (some may have skipped: exit 77, "SKIP" lines); 1 a case failed (or
#        none ran); 2 usage error; 3 no failure, but an emulator event (the host starved qemu
#        and the guest's lockup detectors fired) made a case inconclusive.
#
# Steps: pack an initramfs (busybox, our binaries, test tools + their shared
# libraries, lib*.sh, the cases, tests/vm/init.sh as /init), boot qemu once, let
# /init run the cases and print marker lines on the serial console, then split
# the console into one log per case and print PASS/FAIL lines. See README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Host tools shipped into the VM (dynamically linked: libraries come along).
VM_TOOLS=(stress-ng taskset cyclictest hackbench)
BOOT_MARGIN_S=60   # host-side allowance for boot + power-off
CLEANUP_MARGIN_S=30 # per case: in-VM unload/cleanup after the case's own timeout
TAIL_LINES=40
# Kernel command line. Besides the console: `tsc=reliable` and the two lockup-detector
# thresholds keep a host that stops feeding qemu for a while (heavy host load) from looking
# like a broken guest; see README.md, "Emulator events", for the measurements behind them.
#  - tsc=reliable: under TCG the guest TSC is the host's clock; when qemu gets no host CPU for
#    a few seconds the clocksource watchdog sees the TSC "skew" against the (equally emulated)
#    HPET, marks the TSC unstable and switches to the HPET, whose every read is an emulated
#    MMIO access: the rest of the boot runs slower. It also stops the watchdog's cross-CPU TSC
#    reads, which single-threaded TCG cannot answer in time anyway ("remote CPU read timed out").
#  - watchdog_thresh=60 (soft lockup report after 120 s, sched_ext's soft-lockup ejection after
#    90 s instead of 15 s) and rcupdate.rcu_cpu_stall_timeout=60 (sched_ext also ejects on RCU
#    stalls, default 21 s): a 17 s host stall of qemu got both scx_cells and the kernel's own
#    scx_simple ejected with the defaults. sched_ext's own watchdog (a runnable task not run for
#    30 s, checked from the tick) stays as it is: it is the detector for scheduler stalls.
KERNEL_ARGS="console=ttyS0 quiet panic=-1 tsc=reliable watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=60"
# A failed case is an emulator event when the guest reported a lockup or stall and, in the same
# case, qemu got (almost) no host CPU for at least EMU_STALL_MIN_S seconds and for at least half
# of the duration the guest reported. "Almost no": under STARVED_PCT % of one host CPU per
# monitor period.
EMU_STALL_MIN_S=5
STARVED_PCT=10

die() {
	echo "run.sh: $*" >&2
	exit 2
}

# Where cases live, searched in this order: the tests, the benchmarks (bench_*), the demo.
# Only the tests are in `all`; the others run when named. In the VM every case is
# /tests/cases/NAME.sh whichever folder it came from.
CASE_DIRS=("$here/cases" "$repo/bench/vm/cases" "$repo/demo")

# case_file NAME: the path of case NAME (the first CASE_DIRS entry that has NAME.sh).
case_file() {
	local d
	for d in "${CASE_DIRS[@]}"; do
		[[ -f $d/$1.sh ]] && { echo "$d/$1.sh"; return 0; }
	done
	return 1
}

# list_cases: names of all tests/vm/cases/*.sh but soak* (`make soak` runs those), sorted; `all`
# runs these. Cases that need a VM of another shape (llc_*: two LLCs, VM_SMP; cpu8_*: 8 vCPUs)
# are in it too and skip themselves on a VM that does not suit them; `make vm-test` runs them
# again on a boot that does.
list_cases() {
	local f
	for f in "$here"/cases/*.sh; do
		[[ -f $f && $(basename "$f" .sh) != soak* ]] && basename "$f" .sh
	done | LC_ALL=C sort
}

usage() {
	sed -n '4,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	echo "Cases: $(list_cases | tr '\n' ' ')"
}

# ---- arguments ----------------------------------------------------------------------
# TCG threading: "single" runs all vCPUs on one host thread. "multi" (one thread
# per vCPU) is faster on parallel work but qemu 7.2 then occasionally (~5% of
# boots here) delivers a stale int3 while the kernel live-patches a static key,
# giving "Oops: int3" in sched_clock/timekeeping code. See README.md.
# Default from the environment (VM_TCG_THREAD), else single.
tcg=${VM_TCG_THREAD:-single}
cpus=4 mem=1024 case_timeout=120 live=0 out=
time_scale=${VM_TIME_SCALE:-3}
cases=()
while (($#)); do
	case $1 in
	--cpus) cpus=${2:?--cpus needs a value}; shift 2 ;;
	--mem) mem=${2:?--mem needs a value}; shift 2 ;;
	--timeout) case_timeout=${2:?--timeout needs a value}; shift 2 ;;
	--time-scale) time_scale=${2:?--time-scale needs a value}; shift 2 ;;
	--out) out=${2:?--out needs a value}; shift 2 ;;
	--live) live=1; shift ;;
	--tcg) tcg=${2:?--tcg needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option: $1" ;;
	*) cases+=("$1"); shift ;;
	esac
done
for v in cpus mem case_timeout time_scale; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$(tr _ - <<<"${v/case_/}") must be a positive integer, got '${!v}'"
done
# Every wall-clock limit in the VM (wait_for deadlines, the per-case timeout) is multiplied by
# the time scale: they are deadlines, not durations, so passing cases are not slowed down.
case_limit=$((case_timeout * time_scale))
[[ $tcg == single || $tcg == multi ]] || die "--tcg must be single or multi, got '$tcg'"
((${#cases[@]})) || { usage >&2; die "no CASE given"; }

# `all` expands to every case file, sorted; otherwise every name must exist.
if [[ " ${cases[*]} " == *" all "* ]]; then
	mapfile -t cases < <(list_cases)
fi
for c in "${cases[@]}"; do
	[[ $c =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad case name '$c'"
	case_file "$c" >/dev/null || die "no such case: $c (looked for $c.sh in ${CASE_DIRS[*]})"
done

[[ -n ${VMLINUZ:-} ]] || die "VMLINUZ is not set; point it at a kernel with sched_ext, e.g.
  VMLINUZ=\$(sed -n 's/^VMLINUZ := //p' ~/.cache/scx_cells/env.mk) $0 ..."
[[ -f $VMLINUZ ]] || die "VMLINUZ=$VMLINUZ is not a file (run scripts/bootstrap.sh?)"

BUILD_DIR=${BUILD_DIR:-$repo/build}
out=${out:-$BUILD_DIR/vm}
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed"
command -v cpio >/dev/null || die "cpio not installed"

# ---- initramfs ----------------------------------------------------------------------
root=$out/initramfs.d
rm -rf -- "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,tests/cases}

# add_file SRC DEST: copy a file (dereferencing symlinks) to DEST inside the
# image, replacing whatever is there (e.g. a busybox applet symlink: copying
# through it would overwrite busybox itself).
add_file() {
	mkdir -p "$root$(dirname "$2")"
	rm -f -- "$root$2"
	cp -L -- "$1" "$root$2"
}

# add_elf SRC DEST: add a program and, if it is dynamically linked, every
# shared library `ldd` resolves plus the ELF interpreter, at their host paths
# (the loader searches the same default directories inside the VM).
add_elf() {
	local src=$1 dest=$2 ldd_out lib
	add_file "$src" "$dest"
	if ! ldd_out=$(ldd "$src" 2>&1); then
		return 0 # "not a dynamic executable": static, nothing more to add
	fi
	[[ $ldd_out != *"not found"* ]] || die "$src: missing shared libraries:
$ldd_out"
	# Lines look like "libm.so.6 => /lib/.../libm.so.6 (0x...)" or
	# "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no path.
	while read -r lib; do
		[[ -e $root$lib ]] || add_file "$lib" "$lib"
	done < <(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }' <<<"$ldd_out")
}

# busybox (static) with a symlink for each applet.
bb=$(command -v busybox) || die "busybox not installed (apt-get install busybox-static)"
if ldd "$bb" >/dev/null 2>&1; then
	die "$bb is dynamically linked; install busybox-static"
fi
add_file "$bb" /bin/busybox
while read -r applet; do
	[[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done < <("$bb" --list-full)

# Test tools from the host (replace the busybox applets of the same name).
for t in "${VM_TOOLS[@]}"; do
	p=$(command -v "$t") || die "$t not installed on the host"
	add_elf "$p" "/usr/bin/$t"
done

# Our binaries: the scheduler and any helper programs in $BUILD_DIR/vm-bin/.
if [[ -f $BUILD_DIR/scx_cells ]]; then
	add_elf "$BUILD_DIR/scx_cells" /bin/scx_cells
else
	echo "run.sh: note: $BUILD_DIR/scx_cells not built; cases that need it will fail" >&2
fi
if [[ -d $BUILD_DIR/vm-bin ]]; then
	for f in "$BUILD_DIR"/vm-bin/*; do
		[[ -f $f ]] && add_elf "$f" "/bin/$(basename "$f")"
	done
fi

# Test scripts and the run configuration read by /init.
add_file "$here/init.sh" /init
for f in "$here"/lib*.sh; do add_file "$f" "/tests/$(basename "$f")"; done
for c in "${cases[@]}"; do
	add_file "$(case_file "$c")" "/tests/cases/$c.sh"
done
printf 'CASES="%s"\nCASE_TIMEOUT=%s\nVM_TIME_SCALE=%s\n' "${cases[*]}" "$case_limit" "$time_scale" \
	>"$root/tests/vm.conf"
chmod 755 "$root/init"

# Uncompressed newc cpio: the kernel unpacks it faster than gzip under TCG.
initrd=$out/initramfs.cpio
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$initrd"

# ---- boot ---------------------------------------------------------------------------
console=$out/console.log
host_timeout=$((BOOT_MARGIN_S + ${#cases[@]} * (case_limit + CLEANUP_MARGIN_S * time_scale)))
# -nodefaults: no VGA, NIC, floppy or CD-ROM (nothing here needs them); the
# only device we add is the serial port, ttyS0, connected to our stdout.
# shellcheck disable=SC2054 # the commas are qemu option syntax
qemu=(
	qemu-system-x86_64
	-accel "tcg,thread=$tcg" -cpu max -smp "${VM_SMP:-$cpus}" -m "$mem"
	-kernel "$VMLINUZ" -initrd "$initrd"
	-append "$KERNEL_ARGS${VM_APPEND:+ $VM_APPEND}"
	-nodefaults -display none -monitor none -serial stdio -no-reboot
)

# monitor_qemu PID: every MON_PERIOD_S, append "HOST_TIME CPU_NS WAIT_NS STATE CONSOLE_BYTES"
# to $out/qemu-cpu.log until PID is gone: the host's clock; the CPU time qemu's threads got and
# the time they spent runnable but waiting for a host CPU (sums of /proc/PID/task/*/schedstat);
# qemu's process state (T = stopped); how much of the console had been written (which places
# case markers in host time). This is the host-side evidence for emulator events: a guest whose
# emulator wants the CPU but does not get it makes no progress, whatever its scheduler does
# (README.md, "Emulator events").
MON_PERIOD_S=0.5
monitor_qemu() {
	local pid=$1 st f cpu wait a b c
	: >"$out/qemu-cpu.log"
	while st=$(cat "/proc/$pid/stat" 2>/dev/null) && [[ -n $st ]]; do
		st=${st##*) } # the fields after "(comm)": the state first
		cpu=0 wait=0
		for f in "/proc/$pid/task/"*/schedstat; do
			read -r a b c <"$f" 2>/dev/null || continue
			cpu=$((cpu + a)) wait=$((wait + b))
		done
		echo "$EPOCHREALTIME $cpu $wait ${st%% *} $(stat -c %s "$console" 2>/dev/null || echo 0)" \
			>>"$out/qemu-cpu.log"
		sleep "$MON_PERIOD_S"
	done
}

t_start=$(date +%s.%N)
rm -f -- "$out/qemu.pid"
set +e
# qemu runs under timeout(1) in the background so that its pid can be watched; the pid goes to
# $out/qemu.pid for tools that want to observe (or, in experiments, stop) the emulator.
if ((live)); then
	timeout -k 5 "$host_timeout" "${qemu[@]}" </dev/null 2>"$out/qemu.log" > >(tee "$console") &
else
	timeout -k 5 "$host_timeout" "${qemu[@]}" </dev/null >"$console" 2>"$out/qemu.log" &
fi
tpid=$!
qpid=
for _ in $(seq 100); do
	qpid=$(pgrep -P "$tpid" 2>/dev/null | head -n1) && [[ -n $qpid ]] && break
	sleep 0.05
done
mpid=
if [[ -n $qpid ]]; then
	echo "$qpid" >"$out/qemu.pid"
	monitor_qemu "$qpid" &
	mpid=$!
fi
wait "$tpid"
qemu_rc=$?
[[ -z $mpid ]] || { kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; }
set -e
t_end=$(date +%s.%N)

# ---- results ------------------------------------------------------------------------
# One awk pass over the console: write CASE.log files (lines between BEGIN and
# END markers, CRs stripped) and print "name began ended rc secs status" per case.
# A RESULT line overrides what END said (it is printed when the console is quiet).
for c in "${cases[@]}"; do rm -f -- "$out/$c.log"; done
results=$(tr -d '\r' <"$console" | awk -v out="$out" -v names="${cases[*]}" '
	function field(s, key,    m) { return match(s, key "=[^ @]*") ? substr(s, RSTART + length(key) + 1, RLENGTH - length(key) - 1) : "" }
	BEGIN { n = split(names, order, " ") }
	match($0, /@@VMTEST [A-Z]+ [^@]*@@/) {
		m = substr($0, RSTART + 9, RLENGTH - 11); split(m, w, " ")
		if (w[1] == "BEGIN") { cur = w[2]; began[cur] = 1; file = out "/" cur ".log"; printf "" > file; next }
		if (w[1] == "END" || w[1] == "RESULT") {
			ended[w[2]] = 1; rc[w[2]] = field(m, "rc"); secs[w[2]] = field(m, "secs"); st[w[2]] = field(m, "status")
			if (w[1] == "END") { close(file); cur = "" }
			next
		}
	}
	cur != "" { print >> file }
	END { for (i = 1; i <= n; i++) { c = order[i]; printf "%s %d %d %s %s %s\n", c, began[c], ended[c], rc[c] == "" ? "-" : rc[c], secs[c] == "" ? "-" : secs[c], st[c] == "" ? "-" : st[c] } }
')

# ---- host-side view of each case (emulator events) -----------------------------------
# A monitor period is "starved" when qemu got less than STARVED_PCT % of one host CPU although it
# wanted to run: its threads waited for a CPU at least half of the period, or it was stopped.
# (Low CPU alone is not enough: an idle guest's qemu uses little CPU too, and a scheduler that
# leaves tasks stranded idles the guest.) vmcheck stalls reads the samples and the console's
# BEGIN/END markers and prints, per case that began, "name share_pct stall_s stall_at_s": qemu's
# mean share of one host CPU while the case ran, the longest run of starved periods and when it
# began (seconds after qemu started). Case windows come from the console size of each sample and
# the byte offsets of the case's markers. (vmcheck is the host build of the VM's checker tool.)
VMCHECK_HOST=$BUILD_DIR/vm-bin/vmcheck
host_stats() {
	[[ -s $out/qemu-cpu.log ]] || return 0
	if [[ ! -x $VMCHECK_HOST ]]; then
		echo "run.sh: note: $VMCHECK_HOST not built: no host-side view, no emulator events" >&2
		return 0
	fi
	"$VMCHECK_HOST" stalls "$console" "$out/qemu-cpu.log" "$STARVED_PCT" ||
		echo "run.sh: note: vmcheck stalls failed: no host-side view, no emulator events" >&2
}
hstats=$(host_stats)

# guest_lockup LOG: the first line of a case log where the guest reported a lockup or stall
# (the kernel messages sched_ext ejects a scheduler for, and its own watchdog).
GUEST_LOCKUP_RE='soft lockup|hard lockup|rcu.*(self-detected )?stall|RCU CPU stall|failed to run for|watchdog failed to check in'
guest_lockup() {
	grep -m1 -aiE "$GUEST_LOCKUP_RE" "$1" 2>/dev/null
}

# emulator_event NAME LOG: succeeds (and prints the evidence) when the failure of case NAME is
# an emulator event: the guest reported a lockup/stall of D seconds and the host monitor saw
# qemu starved for >= max(EMU_STALL_MIN_S, D / 2) seconds while the case ran.
emulator_event() {
	local name=$1 log=$2 line share stall at d
	line=$(guest_lockup "$log") || return 1
	read -r _ share stall at < <(awk -v c="$name" '$1 == c' <<<"$hstats") || return 1
	[[ -n $stall ]] || return 1
	# "stuck for 19s", "failed to run for 30.512s", "check in for 31.000s"
	d=$(sed -n 's/.* for \([0-9][0-9]*\)\(\.[0-9]*\)\{0,1\}s.*/\1/p' <<<"$line" | head -n1)
	"$VMCHECK_HOST" fcmp "$stall" '>=' "$EMU_STALL_MIN_S" || return 1
	"$VMCHECK_HOST" fcmp "$stall" '>=' "$("$VMCHECK_HOST" calc "${d:-0} / 2")" || return 1
	echo "the host starved qemu (< ${STARVED_PCT}% of a CPU while it waited for one, or stopped) for ${stall}s from +${at}s, mean ${share}% of a CPU during the case; guest: ${line#kmsg| }"
}

console_tail() {
	echo "---- last $TAIL_LINES lines of $console ----"
	tr -d '\r' <"$console" | tail -n "$TAIL_LINES" | sed 's/^/  /'
	if [[ -s $out/qemu.log ]]; then
		echo "---- qemu stderr ($out/qemu.log) ----"
		sed 's/^/  /' "$out/qemu.log"
	fi
}

((live)) && echo
passed=0 failed=0 skipped=0 emulated=0 tail_shown=0
vm_note=
((qemu_rc == 124 || qemu_rc == 137)) && vm_note="; host timeout ${host_timeout}s killed qemu"
grep -aq 'Kernel panic' "$console" && vm_note+="; kernel panic"
if grep -aq 'Oops: int3' "$console"; then
	vm_note+="; 'Oops: int3' is the known qemu TCG cross-modifying-code race"
	[[ $tcg == multi ]] && vm_note+=" of --tcg multi: rerun, or use --tcg single"
fi
while read -r name began ended rc secs status; do
	log=$out/$name.log
	if ((ended)) && [[ $rc == 0 && $status == ok ]]; then
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
		continue
	fi
	# Exit status 77 (lib.sh's skip): the case decided this VM cannot show what it tests.
	if ((ended)) && [[ $rc == 77 && $status == ok ]]; then
		why=$(grep -m1 '^SKIP: ' "$log" 2>/dev/null || true)
		echo "SKIP $name (${why:+${why#SKIP: }, }${secs}s)"
		skipped=$((skipped + 1))
		continue
	fi
	if ((ended)) && evidence=$(emulator_event "$name" "$log"); then
		echo "EMUL $name (emulator event, not counted as a failure; rerun: $evidence)"
		emulated=$((emulated + 1))
		continue
	fi
	failed=$((failed + 1))
	if ((ended)); then
		case $status in
		timeout) reason="timed out after ${case_limit}s" ;;
		left_loaded) reason="left the scheduler loaded" ;;
		*) reason="exit status $rc" ;;
		esac
		first_fail=$(grep -m1 '^FAIL: ' "$log" 2>/dev/null || true)
		[[ -z $first_fail || $status == timeout ]] || reason+=": ${first_fail#FAIL: }"
		echo "FAIL $name ($reason, ${secs}s)"
		echo "---- last $TAIL_LINES lines of $log ----"
		tail -n "$TAIL_LINES" "$log" | sed 's/^/  /'
	else
		if ((began)); then
			echo "FAIL $name (started but never ended: VM crashed, hung or was killed$vm_note)"
		else
			echo "FAIL $name (never started$vm_note)"
		fi
		if ((tail_shown)); then
			echo "  (console tail shown above)"
		else
			console_tail
			tail_shown=1
		fi
	fi
done <<<"$results"

boot=$(tr -d '\r' <"$console" | sed -n 's/.*@@VMTEST BOOT uptime=\([0-9.]*\).*/\1/p' | head -n1)
echo "vm: console $console; tcg $tcg, $cpus vCPUs; guest uptime at /init ${boot:-?}s; wall $(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.1f", b - a }')s; qemu exit $qemu_rc"
# The host's share of CPU for qemu over the whole run, and its longest stall.
if [[ -s $out/qemu-cpu.log && -x $VMCHECK_HOST ]] &&
	read -r h_share h_wait h_stall < <("$VMCHECK_HOST" stall_total "$out/qemu-cpu.log" "$STARVED_PCT"); then
	echo "vm: host: qemu got ${h_share}% of one host CPU, waited for one ${h_wait}% of the time, longest stall ${h_stall}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi
# Skips go on a line of their own: the last line stays "vm: N passed, M failed" for
# tests/summarize.sh (which sums the "vm: K skipped" lines separately).
((skipped)) && echo "vm: $skipped skipped"
echo "vm: $passed passed, $failed failed$( ((emulated)) && echo ", $emulated emulator events (inconclusive, rerun them)")"
((failed == 0 && passed + skipped > 0)) && ((emulated)) && exit 3
((failed == 0 && passed + skipped > 0))
