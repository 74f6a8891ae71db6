# tests/host/toolchain.sh — sourced by tests/host/run.sh (uses its ok/bad/cmd, $T, $repo, $BIN):
# building without scripts/bootstrap.sh, with a libbpf installed into a prefix and found through
# pkg-config (TOOLCHAIN=system), and scripts/toolchain.sh naming what a system lacks.

ENV_MK=${SCX_CELLS_CACHE:-$HOME/.cache/scx_cells}/env.mk
if [ ! -f "$ENV_MK" ]; then
	echo "note: no $ENV_MK (scripts/bootstrap.sh); skipping the TOOLCHAIN=system build checks"
	return 0
fi
eval "$(sed -n 's/^\([A-Z_]*\) := \(.*\)$/\1="\2"/p' "$ENV_MK")"
TC=$T/toolchain
mkdir -p "$TC/obj"
# A libbpf installed into its own prefix, as a distribution's package would be.
cmd make -C "$KERNEL_SRC/tools/lib/bpf" -j"$(nproc)" BUILD_STATIC_ONLY=1 OUTPUT="$TC/obj/" \
	prefix="$TC/libbpf" install
PC=$(dirname "$(find "$TC/libbpf" -name libbpf.pc | head -n 1)")
if [ "$RC" -ne 0 ] || [ ! -f "$PC/libbpf.pc" ]; then
	bad "could not install libbpf from $KERNEL_SRC into $TC/libbpf"
else
	export_tc() {
		env PKG_CONFIG_PATH="$PC" BPFTOOL="$BPFTOOL" KERNEL_SRC="$KERNEL_SRC" "$@"
	}
	cmd export_tc VMLINUX_H="$VMLINUX_H" make -C "$repo" -s BUILD="$TC/build" TOOLCHAIN=system
	if [ "$RC" -eq 0 ] && grep -q "LIBBPF_LIBS := $TC/libbpf/" "$TC/build/system.mk" 2>/dev/null &&
		[ "$("$TC/build/scx_cells" --version)" = "$("$BIN" --version)" ] &&
		"$TC/build/scx_cells" --help >"$TC/help1" && "$BIN" --help >"$TC/help2" &&
		cmp -s "$TC/help1" "$TC/help2"; then
		ok "make TOOLCHAIN=system builds with a libbpf from pkg-config ($(grep -o 'libbpf [0-9.]*' "$TC/build/system.mk"))"
	else
		bad "make TOOLCHAIN=system with PKG_CONFIG_PATH=$PC failed"
	fi

	# What a system lacks is named: no libbpf, an old one, no sched_ext in the running kernel's
	# BTF (this host), vmlinux.h without sched_ext types.
	cmd env PKG_CONFIG_PATH="$TC/none" PKG_CONFIG_LIBDIR="$TC/none" BPFTOOL="$BPFTOOL" \
		KERNEL_SRC="$KERNEL_SRC" VMLINUX_H="$VMLINUX_H" "$repo/scripts/toolchain.sh" "$TC/x.mk"
	if [ "$RC" -eq 1 ] && grep -q 'libbpf >= 1.7.0 (pkg-config finds no libbpf' "$T/err"; then
		ok "toolchain.sh names a missing libbpf"
	else
		bad "toolchain.sh should name the missing libbpf"
	fi
	mkdir -p "$TC/old"
	sed 's/^Version: .*/Version: 1.6.0/' "$PC/libbpf.pc" >"$TC/old/libbpf.pc"
	cmd env PKG_CONFIG_PATH="$TC/old" BPFTOOL="$BPFTOOL" \
		KERNEL_SRC="$KERNEL_SRC" VMLINUX_H="$VMLINUX_H" "$repo/scripts/toolchain.sh" "$TC/x.mk"
	if [ "$RC" -eq 1 ] && grep -q 'libbpf >= 1.7.0 (pkg-config finds 1.6.0)' "$T/err"; then
		ok "toolchain.sh refuses libbpf 1.6.0"
	else
		bad "toolchain.sh should refuse libbpf 1.6.0"
	fi
	if grep -q 'struct sched_ext_ops {' /sys/kernel/btf/vmlinux 2>/dev/null ||
		[ -e /sys/kernel/sched_ext ]; then
		echo "note: this host's kernel has sched_ext; skipping the 'BTF without sched_ext' check"
	else
		cmd export_tc "$repo/scripts/toolchain.sh" "$TC/x.mk"
		if [ "$RC" -eq 1 ] && grep -q "running kernel's BTF has none" "$T/err"; then
			ok "toolchain.sh refuses this host's BTF (no sched_ext types)"
		else
			bad "toolchain.sh should refuse /sys/kernel/btf/vmlinux without sched_ext types"
		fi
	fi
	echo 'struct not_sched_ext { int x; };' >"$TC/plain.h"
	cmd export_tc VMLINUX_H="$TC/plain.h" "$repo/scripts/toolchain.sh" "$TC/x.mk"
	if [ "$RC" -eq 1 ] && grep -q 'has no struct sched_ext_ops' "$T/err" && [ ! -e "$TC/x.mk" ]; then
		ok "toolchain.sh refuses a vmlinux.h without sched_ext types"
	else
		bad "toolchain.sh should refuse $TC/plain.h"
	fi
fi
