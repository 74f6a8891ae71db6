#!/usr/bin/env bash
# tests/vm/run.sh — run scx_cells VM test cases inside one qemu (TCG) boot.
#
# Usage: tests/vm/run.sh [--cpus N] [--mem MB] [--timeout S] [--live] [--out DIR]
#                        [--tcg single|multi] CASE...
#        CASE is the name of tests/vm/cases/CASE.sh, or `all`.
# Env:   VMLINUZ (required) kernel with sched_ext; BUILD_DIR (default: build);
#        VM_TCG_THREAD (default for --tcg: single); VM_SMP (a full qemu -smp value,
#        e.g. "4,sockets=2,cores=2" for two LLCs; overrides --cpus).
#
# Steps: pack an initramfs (busybox, our binaries, test tools + their shared
# libraries, lib.sh, the cases, tests/vm/init.sh as /init), boot qemu once, let
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

die() {
	echo "run.sh: $*" >&2
	exit 2
}

# list_cases: names of all tests/vm/cases/*.sh, sorted; `all` runs these. The demo
# (cases/demo*.sh) and the benchmarks (cases/bench_*.sh) are not tests, and the llc_* cases need
# a VM with two LLCs (VM_SMP): those run only when named.
list_cases() {
	local f b
	for f in "$here"/cases/*.sh; do
		b=$(basename "$f" .sh)
		[[ -f $f && $b != demo* && $b != bench_* && $b != llc_* ]] && echo "$b"
	done | LC_ALL=C sort
}

usage() {
	sed -n '3,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
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
cases=()
while (($#)); do
	case $1 in
	--cpus) cpus=${2:?--cpus needs a value}; shift 2 ;;
	--mem) mem=${2:?--mem needs a value}; shift 2 ;;
	--timeout) case_timeout=${2:?--timeout needs a value}; shift 2 ;;
	--out) out=${2:?--out needs a value}; shift 2 ;;
	--live) live=1; shift ;;
	--tcg) tcg=${2:?--tcg needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option: $1" ;;
	*) cases+=("$1"); shift ;;
	esac
done
for v in cpus mem case_timeout; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v/case_/} must be a positive integer, got '${!v}'"
done
[[ $tcg == single || $tcg == multi ]] || die "--tcg must be single or multi, got '$tcg'"
((${#cases[@]})) || { usage >&2; die "no CASE given"; }

# `all` expands to every case file, sorted; otherwise every name must exist.
if [[ " ${cases[*]} " == *" all "* ]]; then
	mapfile -t cases < <(list_cases)
fi
for c in "${cases[@]}"; do
	[[ $c =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad case name '$c'"
	[[ -f $here/cases/$c.sh ]] || die "no such case: $c (expected $here/cases/$c.sh)"
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
	add_file "$here/cases/$c.sh" "/tests/cases/$c.sh"
done
printf 'CASES="%s"\nCASE_TIMEOUT=%s\n' "${cases[*]}" "$case_timeout" >"$root/tests/vm.conf"
chmod 755 "$root/init"

# Uncompressed newc cpio: the kernel unpacks it faster than gzip under TCG.
initrd=$out/initramfs.cpio
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$initrd"

# ---- boot ---------------------------------------------------------------------------
console=$out/console.log
host_timeout=$((BOOT_MARGIN_S + ${#cases[@]} * (case_timeout + CLEANUP_MARGIN_S)))
# -nodefaults: no VGA, NIC, floppy or CD-ROM (nothing here needs them); the
# only device we add is the serial port, ttyS0, connected to our stdout.
# shellcheck disable=SC2054 # the commas are qemu option syntax
qemu=(
	qemu-system-x86_64
	-accel "tcg,thread=$tcg" -cpu max -smp "${VM_SMP:-$cpus}" -m "$mem"
	-kernel "$VMLINUZ" -initrd "$initrd"
	-append "console=ttyS0 quiet panic=-1"
	-nodefaults -display none -monitor none -serial stdio -no-reboot
)

t_start=$(date +%s.%N)
set +e
if ((live)); then
	timeout -k 5 "$host_timeout" "${qemu[@]}" </dev/null 2>"$out/qemu.log" | tee "$console"
	qemu_rc=${PIPESTATUS[0]}
else
	timeout -k 5 "$host_timeout" "${qemu[@]}" </dev/null >"$console" 2>"$out/qemu.log"
	qemu_rc=$?
fi
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

console_tail() {
	echo "---- last $TAIL_LINES lines of $console ----"
	tr -d '\r' <"$console" | tail -n "$TAIL_LINES" | sed 's/^/  /'
	if [[ -s $out/qemu.log ]]; then
		echo "---- qemu stderr ($out/qemu.log) ----"
		sed 's/^/  /' "$out/qemu.log"
	fi
}

((live)) && echo
passed=0 failed=0 tail_shown=0
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
	failed=$((failed + 1))
	if ((ended)); then
		case $status in
		timeout) reason="timed out after ${case_timeout}s" ;;
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
echo "vm: $passed passed, $failed failed"
((failed == 0 && passed > 0))
