#!/usr/bin/env bash
# Checks whether this system can build scx_cells with its own tools, without scripts/bootstrap.sh,
# and if so writes a makefile fragment with their locations.
#
#   scripts/toolchain.sh OUT.mk     write OUT.mk and exit 0, or explain what is missing, exit 1
#
# Needed (each may be given in the environment):
#   libbpf >= 1.7.0 found by pkg-config (bpf_program__assoc_struct_ops appeared in 1.7; the
#            skeleton of a current bpftool needs it too); PKG_CONFIG_PATH for a private prefix
#   BPFTOOL  bpftool (default: bpftool in PATH) to generate the skeleton
#   BPF_CLANG clang that targets BPF (default: clang-19, else clang, version >= 17)
#   SCX_INCLUDE the sched_ext headers (tools/sched_ext/include of a kernel tree), or KERNEL_SRC
#   VMLINUX_H a vmlinux.h with sched_ext types; default: dumped from /sys/kernel/btf/vmlinux,
#            used only if the running kernel's BTF has them (struct sched_ext_ops)
# The Makefile runs this once per build folder when TOOLCHAIN=system (or auto and no bootstrap
# cache exists); scripts/bootstrap.sh remains the way when anything here is missing.
set -uo pipefail

out=${1:?usage: scripts/toolchain.sh OUT.mk}
LIBBPF_MIN=1.7.0
missing=()

if ! command -v pkg-config >/dev/null; then
	missing+=("pkg-config (package pkg-config)")
elif ! pkg-config --exists libbpf; then
	missing+=("libbpf >= $LIBBPF_MIN (pkg-config finds no libbpf; set PKG_CONFIG_PATH)")
elif ! pkg-config --atleast-version=$LIBBPF_MIN libbpf; then
	missing+=("libbpf >= $LIBBPF_MIN (pkg-config finds $(pkg-config --modversion libbpf))")
fi

bpftool=${BPFTOOL:-$(command -v bpftool)}
[ -n "$bpftool" ] && [ -x "$bpftool" ] || missing+=("bpftool (BPFTOOL=... or in PATH)")

clang=${BPF_CLANG:-}
if [ -z "$clang" ]; then
	for c in clang-19 clang; do
		command -v "$c" >/dev/null && { clang=$c; break; }
	done
fi
if [ -z "$clang" ]; then
	missing+=("clang >= 17 (BPF_CLANG=...)")
else
	major=$("$clang" -dumpversion 2>/dev/null | cut -d. -f1)
	[ "${major:-0}" -ge 17 ] 2>/dev/null || missing+=("clang >= 17 ($clang is version ${major:-unknown})")
fi

scx_inc=${SCX_INCLUDE:-${KERNEL_SRC:+$KERNEL_SRC/tools/sched_ext/include}}
if [ -z "$scx_inc" ]; then
	missing+=("the sched_ext headers (SCX_INCLUDE=<kernel>/tools/sched_ext/include or KERNEL_SRC=<kernel>)")
elif [ ! -f "$scx_inc/scx/common.bpf.h" ]; then
	missing+=("the sched_ext headers: $scx_inc/scx/common.bpf.h does not exist")
fi

vmlinux=${VMLINUX_H:-}
if [ -n "$vmlinux" ]; then
	grep -q 'struct sched_ext_ops {' "$vmlinux" 2>/dev/null ||
		missing+=("a vmlinux.h with sched_ext types: $vmlinux has no struct sched_ext_ops")
elif [ -n "$bpftool" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	vmlinux=$(dirname "$out")/vmlinux.h
	mkdir -p "$(dirname "$out")"
	if ! "$bpftool" btf dump file /sys/kernel/btf/vmlinux format c >"$vmlinux.tmp" 2>/dev/null; then
		missing+=("vmlinux.h: $bpftool could not dump /sys/kernel/btf/vmlinux")
	elif ! grep -q 'struct sched_ext_ops {' "$vmlinux.tmp"; then
		missing+=("a vmlinux.h with sched_ext types: the running kernel's BTF has none (no CONFIG_SCHED_CLASS_EXT); set VMLINUX_H")
	else
		mv "$vmlinux.tmp" "$vmlinux"
	fi
	rm -f "$vmlinux.tmp"
else
	missing+=("vmlinux.h (VMLINUX_H=..., or a kernel with /sys/kernel/btf/vmlinux)")
fi

if ((${#missing[@]})); then
	echo "toolchain: this system cannot build scx_cells by itself; missing:" >&2
	printf '  - %s\n' "${missing[@]}" >&2
	echo "toolchain: scripts/bootstrap.sh provides all of it (make TOOLCHAIN=bootstrap)" >&2
	exit 1
fi

# Static if the system's libbpf has an archive (the binary then runs in any initramfs).
libdir=$(pkg-config --variable=libdir libbpf)
if [ -f "$libdir/libbpf.a" ]; then
	libs="$libdir/libbpf.a $(pkg-config --static --libs-only-l libbpf | sed 's/-lbpf//')"
	static=-static
else
	libs=$(pkg-config --libs libbpf)
	static=
fi
mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
# Written by scripts/toolchain.sh: the system's own toolchain (libbpf $(pkg-config --modversion libbpf)).
TOOLCHAIN_NAME := system
LIBBPF_CFLAGS := $(pkg-config --cflags libbpf)
LIBBPF_BPF_INC := $(pkg-config --variable=includedir libbpf)
LIBBPF_LIBS := $libs
USER_STATIC := $static
BPFTOOL := $bpftool
BPF_CLANG := $clang
SCX_INC := $scx_inc
VMLINUX_H := $vmlinux
EOF
echo "toolchain: using the system's libbpf $(pkg-config --modversion libbpf), $bpftool, $clang, $scx_inc, $vmlinux" >&2
