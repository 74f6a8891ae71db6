#!/usr/bin/env bash
# Prepares everything scx_cells needs to build and test, and caches it under one folder.
#
#   scripts/bootstrap.sh            install/fetch/build what is missing (root, Debian/Ubuntu)
#   scripts/bootstrap.sh --check    only report what is missing; exit 1 if anything is
#
# What it does:
#   1. installs the host's Debian/Ubuntu packages (compiler, clang, libelf, zlib, qemu,
#      busybox-static, cpio, cmocka, stress-ng, rt-tests, ...) that are not installed yet;
#   2. fetches from Debian sid - with a private apt configuration, the system's apt sources are
#      never touched - the cloud kernel image (a kernel with sched_ext to boot in the VM), its
#      config, linux-bpf-dev (vmlinux.h with sched_ext types) and linux-source (for libbpf,
#      bpftool and the sched_ext headers);
#   3. builds libbpf (static) and bpftool from that kernel source;
#   4. writes $CACHE/env.mk, which the Makefile includes.
# Every step leaves a stamp; a second run with everything cached does no network access.
#
# Environment:
#   SCX_CELLS_CACHE  cache folder (default: ~/.cache/scx_cells)
#   KERNEL_SRC       use this kernel source tree instead of fetching linux-source
#   VMLINUX_H        use this vmlinux.h (must contain sched_ext types) instead of linux-bpf-dev
#   VMLINUZ          use this kernel image for the VM instead of Debian sid's cloud kernel
set -euo pipefail

CACHE=${SCX_CELLS_CACHE:-${HOME:-/root}/.cache/scx_cells}
CHECK_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1

HOST_PKGS=(make gcc libc6-dev clang-19 llvm-19 libelf-dev zlib1g-dev pkg-config xz-utils
	qemu-system-x86 busybox-static cpio libcmocka-dev stress-ng rt-tests python3 ca-certificates
	gnuplot-nox libclang-rt-19-dev help2man systemd libjansson-dev prometheus
	git dpkg-dev debhelper lintian)
SID_MIRROR=${SID_MIRROR:-http://deb.debian.org/debian}

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

missing_pkgs() {
	local p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

# ---- 1. host packages ----------------------------------------------------------------------
host_packages() {
	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
		die "this is not a Debian/Ubuntu system (no apt/dpkg). Install by hand: ${HOST_PKGS[*]}," \
			"then run with KERNEL_SRC, VMLINUX_H and VMLINUZ pointing at a sched_ext kernel's" \
			"source tree, vmlinux.h and image"
	fi
	local miss
	miss=$(missing_pkgs | tr '\n' ' ')
	[ -z "$miss" ] && return 0
	if [ $CHECK_ONLY = 1 ] || [ "$(id -u)" != 0 ]; then
		printf 'bootstrap: missing packages: %s\n' "$miss" >&2
		printf 'bootstrap: install them as root: apt-get install %s\n' "$miss" >&2
		return 1
	fi
	log "installing: $miss"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y --no-install-recommends $miss >"$CACHE/apt-install.log" 2>&1; then
		apt-get update >"$CACHE/apt-update.log" 2>&1 || die "apt-get update failed, see $CACHE/apt-update.log"
		# shellcheck disable=SC2086
		apt-get install -y --no-install-recommends $miss >"$CACHE/apt-install.log" 2>&1 ||
			die "apt-get install failed, see $CACHE/apt-install.log"
	fi
}

# ---- 2. Debian sid: kernel, vmlinux.h, kernel source --------------------------------------------
SID="$CACHE/sid"
sid_apt() {
	apt-get -o Dir::Etc::SourceList="$SID/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$SID/lists" -o Dir::Cache="$SID/cache" \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
		-o APT::Architecture=amd64 -o Debug::NoLocking=1 "$@"
}
sid_cache() {
	apt-cache -o Dir::Etc::SourceList="$SID/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$SID/lists" -o Dir::Cache="$SID/cache" \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
		-o APT::Architecture=amd64 "$@"
}

fetch_sid() {
	[ -f "$CACHE/stamp.sid" ] && return 0
	[ $CHECK_ONLY = 1 ] && { echo "bootstrap: missing: Debian sid kernel/headers/source in $CACHE" >&2; return 1; }
	mkdir -p "$SID/lists/partial" "$SID/cache/archives/partial" "$CACHE/debs"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $SID_MIRROR sid main" >"$SID/sources.list"
	log "reading Debian sid package lists (private apt configuration)"
	sid_apt update >"$SID/update.log" 2>&1 || die "could not read Debian sid's package lists, see $SID/update.log"
	# Sid moves: resolve the current cloud kernel version instead of hard-coding it.
	local kver
	kver=$(sid_cache show linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^Depends:.*linux-image-\([0-9][^ ,]*\)-cloud-amd64.*/\1/p' | head -n1)
	[ -n "$kver" ] || die "could not resolve the cloud kernel version in Debian sid"
	local srcver=${kver%%+*}        # 7.2.13
	srcver=${srcver%.*}             # 7.2
	local pkgs=("linux-binary-$kver-cloud-amd64" "linux-base-$kver-cloud-amd64")
	[ -n "${VMLINUX_H:-}" ] || pkgs+=(linux-bpf-dev)
	[ -n "${KERNEL_SRC:-}" ] || pkgs+=("linux-source-$srcver")
	log "downloading ${pkgs[*]}"
	(cd "$CACHE/debs" && sid_apt download "${pkgs[@]}" >"$SID/download.log" 2>&1) ||
		die "download failed, see $SID/download.log"
	echo "$kver" >"$CACHE/kernel-version"
	echo "$srcver" >"$CACHE/source-version"
	touch "$CACHE/stamp.sid"
}

extract_sid() {
	[ -f "$CACHE/stamp.extract" ] && return 0
	[ $CHECK_ONLY = 1 ] && return 1
	local kver srcver tmp
	kver=$(cat "$CACHE/kernel-version")
	srcver=$(cat "$CACHE/source-version")
	tmp=$(mktemp -d "$CACHE/x.XXXXXX")
	log "unpacking kernel $kver"
	dpkg-deb -x "$CACHE"/debs/linux-binary-"$kver"-cloud-amd64_*.deb "$tmp/bin"
	dpkg-deb -x "$CACHE"/debs/linux-base-"$kver"-cloud-amd64_*.deb "$tmp/base"
	mkdir -p "$CACHE/kernel"
	find "$tmp/bin" -name 'vmlinuz*' -type f -exec cp {} "$CACHE/kernel/vmlinuz" \;
	find "$tmp/base" -name 'config*' -type f -exec cp {} "$CACHE/kernel/config" \;
	[ -s "$CACHE/kernel/vmlinuz" ] || die "no vmlinuz in the kernel package"
	if [ -f "$CACHE/kernel/config" ] && ! grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$CACHE/kernel/config"; then
		die "the fetched kernel $kver has no CONFIG_SCHED_CLASS_EXT; set VMLINUZ to a sched_ext kernel"
	fi
	if [ -z "${VMLINUX_H:-}" ]; then
		dpkg-deb -x "$CACHE"/debs/linux-bpf-dev_*.deb "$tmp/bpf"
		mkdir -p "$CACHE/include"
		find "$tmp/bpf" -name vmlinux.h -exec cp {} "$CACHE/include/vmlinux.h" \;
		[ -s "$CACHE/include/vmlinux.h" ] || die "no vmlinux.h in linux-bpf-dev"
	fi
	if [ -z "${KERNEL_SRC:-}" ]; then
		log "unpacking the kernel source subset (tools/, a few scripts)"
		dpkg-deb --fsys-tarfile "$CACHE"/debs/linux-source-"$srcver"_*.deb |
			tar -x -C "$tmp" --wildcards '*.tar.xz'
		local tarball
		tarball=$(find "$tmp" -name "linux-source-$srcver.tar.xz" | head -n1)
		[ -n "$tarball" ] || die "no source tarball in linux-source-$srcver"
		rm -rf "$CACHE/linux"
		mkdir -p "$CACHE/linux"
		# One tar call: every call decompresses the whole archive.
		tar -xJf "$tarball" -C "$CACHE/linux" --strip-components=1 \
			"linux-source-$srcver/tools/sched_ext" "linux-source-$srcver/tools/lib" \
			"linux-source-$srcver/tools/include" "linux-source-$srcver/tools/arch/x86/include" \
			"linux-source-$srcver/tools/build" "linux-source-$srcver/tools/scripts" \
			"linux-source-$srcver/tools/bpf" "linux-source-$srcver/scripts/bpf_doc.py" \
			"linux-source-$srcver/kernel/bpf/disasm.c" "linux-source-$srcver/kernel/bpf/disasm.h" \
			"linux-source-$srcver/tools/testing/selftests/sched_ext" \
			"linux-source-$srcver/include/uapi/linux/bpf.h" \
			"linux-source-$srcver/kernel/sched/ext" \
			"linux-source-$srcver/include/linux/sched/ext.h"
	fi
	rm -rf "$tmp"
	touch "$CACHE/stamp.extract"
}

# ---- 3. libbpf and bpftool from the kernel source ---------------------------------------------
build_tools() {
	[ -f "$CACHE/stamp.tools" ] && return 0
	[ $CHECK_ONLY = 1 ] && { echo "bootstrap: missing: libbpf/bpftool build in $CACHE" >&2; return 1; }
	local src=${KERNEL_SRC:-$CACHE/linux}
	[ -d "$src/tools/lib/bpf" ] || die "$src has no tools/lib/bpf; KERNEL_SRC must be a kernel source tree"
	log "building libbpf (static) from $src"
	rm -rf "$CACHE/libbpf" "$CACHE/build"
	mkdir -p "$CACHE/build/libbpf" "$CACHE/build/bpftool" "$CACHE/libbpf"
	make -C "$src/tools/lib/bpf" -j"$(nproc)" BUILD_STATIC_ONLY=1 OUTPUT="$CACHE/build/libbpf/" \
		DESTDIR="$CACHE/libbpf" prefix= LIBDIR=/lib install >"$CACHE/build/libbpf.log" 2>&1 ||
		die "libbpf build failed, see $CACHE/build/libbpf.log"
	log "building bpftool from $src"
	make -C "$src/tools/bpf/bpftool" -j"$(nproc)" OUTPUT="$CACHE/build/bpftool/" \
		CLANG=clang-19 LLVM_STRIP=llvm-strip-19 >"$CACHE/build/bpftool.log" 2>&1 ||
		die "bpftool build failed, see $CACHE/build/bpftool.log"
	touch "$CACHE/stamp.tools"
}

write_env() {
	local src=${KERNEL_SRC:-$CACHE/linux}
	local vmh=${VMLINUX_H:-$CACHE/include/vmlinux.h}
	local vmlinuz=${VMLINUZ:-$CACHE/kernel/vmlinuz}
	grep -q 'struct sched_ext_ops {' "$vmh" ||
		die "$vmh has no sched_ext types (struct sched_ext_ops); use a vmlinux.h from a kernel built with CONFIG_SCHED_CLASS_EXT=y"
	cat >"$CACHE/env.mk.tmp" <<EOF
# Written by scripts/bootstrap.sh; included by the Makefile.
SCX_CACHE := $CACHE
KERNEL_SRC := $src
VMLINUX_H := $vmh
VMLINUZ := $vmlinuz
LIBBPF_DIR := $CACHE/libbpf
BPFTOOL := $CACHE/build/bpftool/bpftool
BPF_CLANG := clang-19
EOF
	mv "$CACHE/env.mk.tmp" "$CACHE/env.mk"
}

main() {
	mkdir -p "$CACHE"
	local t0=$SECONDS
	if [ $CHECK_ONLY = 1 ]; then
		# Report everything that is missing; change nothing.
		local rc=0
		host_packages || rc=1
		for s in sid extract tools; do
			[ -f "$CACHE/stamp.$s" ] || { echo "bootstrap: missing: step '$s' (cache $CACHE)" >&2; rc=1; }
		done
		[ $rc = 0 ] && echo "bootstrap: everything is in place (cache $CACHE)"
		exit $rc
	fi
	# No '||' around these: errexit must stay in force inside them.
	host_packages
	fetch_sid
	extract_sid
	build_tools
	write_env
	log "ready in $((SECONDS - t0)) s (cache: $CACHE)"
}
main "$@"
