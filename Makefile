# scx_cells build. `make` builds build/scx_cells (static); `make test` runs every suite.
# Toolchain: scripts/bootstrap.sh (cache env.mk) or the system's own (scripts/toolchain.sh); see README.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
BUILD := build
CC ?= gcc

WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS_BASE := -std=gnu11 -g -D_GNU_SOURCE $(WARN)
# Flags a distribution's build adds to the daemon and its library (debian/rules passes
# dpkg-buildflags' hardening flags here); empty by default.
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all unit unit-build host-test vm-test demo test fuzz fuzz-build clean bench-plan bootstrap
.DEFAULT_GOAL := all

VERSION := 0.1.0
# Toolchain (libbpf, bpftool, sched_ext headers, vmlinux.h, VM kernel) from scripts/bootstrap.sh.
# TOOLCHAIN=system builds with the system's own libbpf (>= 1.7, pkg-config), bpftool, clang and
# sched_ext headers (scripts/toolchain.sh checks them and says what is missing); TOOLCHAIN=bootstrap
# with ours. auto (default): a build folder that was configured for the system keeps it; else
# bootstrap if its cache exists; else the system's tools if they are complete; else bootstrap.
SCX_CELLS_CACHE ?= $(HOME)/.cache/scx_cells
ENV_MK := $(SCX_CELLS_CACHE)/env.mk
SYSTEM_MK := $(BUILD)/system.mk
TOOLCHAIN ?= auto
ifeq ($(TOOLCHAIN),auto)
ifneq ($(wildcard $(SYSTEM_MK)),)
TOOLCHAIN := system
else ifneq ($(wildcard $(ENV_MK)),)
TOOLCHAIN := bootstrap
else
TOOLCHAIN := $(shell scripts/toolchain.sh $(SYSTEM_MK) >/dev/null 2>&1 && echo system || echo bootstrap)
endif
endif
ifeq ($(TOOLCHAIN),system)
ENV_MK := $(SYSTEM_MK)
-include $(SYSTEM_MK)
else ifeq ($(TOOLCHAIN),bootstrap)
-include $(ENV_MK)
SCX_INC = $(KERNEL_SRC)/tools/sched_ext/include
LIBBPF_CFLAGS = -isystem $(LIBBPF_DIR)/include
LIBBPF_BPF_INC = $(LIBBPF_DIR)/include
LIBBPF_LIBS = $(LIBBPF_DIR)/lib64/libbpf.a -lelf -lz
USER_STATIC := -static
else
$(error TOOLCHAIN must be auto, system or bootstrap, not '$(TOOLCHAIN)')
endif

BPF_CFLAGS = -target bpf -O2 -g -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -Wall \
	-Wno-compare-distinct-pointer-types -Wno-missing-declarations -I$(BUILD)/include -I$(SCX_INC) \
	-I$(SCX_INC)/bpf-compat -I$(LIBBPF_BPF_INC) -Isrc/bpf
USER_CFLAGS = $(CFLAGS_BASE) -O2 -DSCX_CELLS_VERSION='"$(VERSION)"' -I$(BUILD) \
	-isystem $(SCX_INC) $(LIBBPF_CFLAGS) -Isrc/bpf
USER_LIBS = $(LIBBPF_LIBS)
# What src/core needs besides libc (jansson: the scx_stats protocol's JSON; linked static).
CORE_LIBS := -ljansson -lm

# Two layers. src/core: pure modules (no libbpf, epoll, inotify, sockets, globals, printing),
# built once into an archive that the daemon, the unit tests, the fuzz targets, the benchmark and
# the VM helper programs link. src/daemon: everything that talks to the kernel or the user.
# Core files are compiled with only src/core on the quote path, so a core file that includes a
# daemon header does not build.
INC_CORE := -iquote src/core
INC_DAEMON := -iquote src/core -iquote src/daemon
CORE_SRCS := $(wildcard src/core/*.c)
DAEMON_SRCS := $(wildcard src/daemon/*.c)
# The daemon's modules that unit tests and fuzz targets link: all but main(), the libbpf loader
# and the two that drive it (event loop, stats collection), which need the BPF side's headers.
DAEMON_BPF_SRCS := src/daemon/main.c src/daemon/sched.c src/daemon/loop.c src/daemon/stats.c \
	src/daemon/reload.c
DAEMON_LIB_SRCS := $(filter-out $(DAEMON_BPF_SRCS),$(DAEMON_SRCS))
DEPFLAGS = -MMD -MP
# Where the dependencies of a test or fuzz binary go: not next to it, where build/tests/test_*
# and build/fuzz/fuzz_* would match them.
BIN_DEP = $(BUILD)/deps/$(notdir $@).d

# Three builds of the same sources, each in its own folder: normal (-O2, the daemon, benchmark
# and VM helpers), san (gcc ASan+UBSan, unit tests) and fuzz (clang's libFuzzer instrumentation).
CORE_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CORE_SRCS))
DAEMON_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(DAEMON_SRCS))
SAN_CORE_OBJS := $(patsubst src/%.c,$(BUILD)/san/%.o,$(CORE_SRCS))
SAN_DAEMON_OBJS := $(patsubst src/%.c,$(BUILD)/san/%.o,$(DAEMON_LIB_SRCS))

all: $(BUILD)/scx_cells

ifeq ($(TOOLCHAIN),system)
$(SYSTEM_MK):
	scripts/toolchain.sh $@
else
$(ENV_MK):
	scripts/bootstrap.sh
endif

bootstrap:
	scripts/bootstrap.sh

# Refuse a vmlinux.h without sched_ext types: a build that silently used the host's BTF would
# fail later in confusing ways.
$(BUILD)/include/vmlinux.h: $(ENV_MK) | $(BUILD)/include
	@grep -q 'struct sched_ext_ops {' "$(VMLINUX_H)" || { \
		echo "error: $(VMLINUX_H) has no sched_ext types (struct sched_ext_ops)." >&2; \
		echo "Use a vmlinux.h from a kernel with CONFIG_SCHED_CLASS_EXT=y (VMLINUX_H=...)." >&2; \
		exit 1; }
	cp "$(VMLINUX_H)" $@

$(BUILD)/include $(BUILD)/bpf:
	mkdir -p $@

$(BUILD)/bpf/scx_cells.bpf.o: src/bpf/scx_cells.bpf.c src/bpf/intf.h $(BUILD)/include/vmlinux.h | $(BUILD)/bpf
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $(BUILD)/bpf/scx_cells.tmp.o
	$(BPFTOOL) gen object $@ $(BUILD)/bpf/scx_cells.tmp.o

$(BUILD)/scx_cells.skel.h: $(BUILD)/bpf/scx_cells.bpf.o
	$(BPFTOOL) gen skeleton $< name scx_cells > $@

$(BUILD)/obj/core/%.o: src/core/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 $(EXTRA_CFLAGS) $(INC_CORE) $(DEPFLAGS) -c -o $@ $<

# Order-only: the first build needs the skeleton before sched.c; later, the .d files track it.
$(BUILD)/obj/daemon/%.o: src/daemon/%.c | $(BUILD)/scx_cells.skel.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(EXTRA_CFLAGS) $(INC_DAEMON) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/libcore.a: $(CORE_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/scx_cells: $(DAEMON_OBJS) $(BUILD)/libcore.a
	$(CC) -g $(USER_STATIC) $(EXTRA_LDFLAGS) -o $@ $(DAEMON_OBJS) $(BUILD)/libcore.a $(USER_LIBS) $(CORE_LIBS)

# ---- unit tests (host, cmocka, ASan+UBSan) ----------------------------------------------------
# Each tests/unit/test_NAME.c links the sanitized archives; the linker takes what it uses.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
SAN_CFLAGS := $(CFLAGS_BASE) -O1 $(SAN)

$(BUILD)/san/core/%.o: src/core/%.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(INC_CORE) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/san/daemon/%.o: src/daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(INC_DAEMON) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/san/libcore.a: $(SAN_CORE_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/san/libdaemon.a: $(SAN_DAEMON_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

# Shared test fixtures (tests/lib: fake sysfs and cgroup trees), for unit tests and fuzz targets.
TESTLIB_SRCS := $(wildcard tests/lib/*.c)

$(BUILD)/san/testlib/%.o: tests/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/san/libtestlib.a: $(patsubst tests/lib/%.c,$(BUILD)/san/testlib/%.o,$(TESTLIB_SRCS))
	rm -f $@ && $(AR) rcs $@ $^

SAN_LIBS := $(BUILD)/san/libtestlib.a $(BUILD)/san/libdaemon.a $(BUILD)/san/libcore.a

$(BUILD)/tests/test_%: tests/unit/test_%.c $(SAN_LIBS) | $(BUILD)/tests
	@mkdir -p $(BUILD)/deps
	$(CC) $(SAN_CFLAGS) $(INC_DAEMON) -Itests/unit -Itests/lib $(DEPFLAGS) -MF $(BIN_DEP) -o $@ $< \
		$(SAN_LIBS) -lcmocka $(CORE_LIBS)

$(BUILD)/tests:
	mkdir -p $@

unit-build: $(UNIT_TESTS)

unit: unit-build
	@tests/run_unit.sh $(UNIT_TESTS) | tee $(BUILD)/unit.log

# ---- VM tests (the bundled sched_ext kernel under qemu) ---------------------------------------
VM_CPUS ?= 4
# Static helper programs shipped into the VM (tests/vm/tools/NAME.c -> build/vm-bin/NAME).
VM_TOOLS := $(patsubst tests/vm/tools/%.c,$(BUILD)/vm-bin/%,$(wildcard tests/vm/tools/*.c))
$(BUILD)/vm-bin/%: tests/vm/tools/%.c $(BUILD)/libcore.a
	@mkdir -p $(BUILD)/vm-bin
	$(CC) $(CFLAGS_BASE) $(INC_CORE) -O2 -static -o $@ $< $(BUILD)/libcore.a $(CORE_LIBS)

# Two boots: every case on $(VM_CPUS) vCPUs, then the llc_* cases on a VM with two LLCs.
vm-test: $(BUILD)/scx_cells $(VM_TOOLS)
	@rc=0; VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh --cpus $(VM_CPUS) all \
		| tee $(BUILD)/vm.log || rc=1; \
	VM_SMP=4,sockets=2,cores=2 VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh \
		--out $(BUILD)/vm-llc llc_cells | tee $(BUILD)/vm-llc.log || rc=1; \
	VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh --cpus 8 --out $(BUILD)/vm-8 \
		$(patsubst tests/vm/cases/%.sh,%,$(wildcard tests/vm/cases/cpu8_*.sh)) \
		| tee $(BUILD)/vm-8.log || rc=1; \
	exit $$rc

demo: $(BUILD)/scx_cells $(VM_TOOLS)
	VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh --cpus 8 --timeout 240 --out $(BUILD)/vm-demo --live demo
	@scripts/demo_plot.py $(BUILD)/vm-demo/demo.log $(BUILD)/demo.png

# ---- fuzzing (libFuzzer, bounded time; corpus in tests/fuzz/corpus) ----------------------------
# tests/fuzz/run.sh picks the compiler and builds each target with `make fuzz-build FUZZ_CC=...`;
# the archives live in a folder per compiler, so switching compilers never mixes objects.
FUZZ_SECONDS ?= 10
FUZZ_CC ?= clang
FUZZ_LIB := $(BUILD)/fuzz/lib-$(notdir $(FUZZ_CC))
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all \
	$(WARN)
FUZZ_TARGETS_ALL := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_LIB)/core/%.o: src/core/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined $(INC_CORE) \
		$(DEPFLAGS) -c -o $@ $<

$(FUZZ_LIB)/daemon/%.o: src/daemon/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined $(INC_DAEMON) \
		$(DEPFLAGS) -c -o $@ $<

$(FUZZ_LIB)/libcore.a: $(patsubst src/%.c,$(FUZZ_LIB)/%.o,$(CORE_SRCS))
	rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_LIB)/libdaemon.a: $(patsubst src/%.c,$(FUZZ_LIB)/%.o,$(DAEMON_LIB_SRCS))
	rm -f $@ && $(AR) rcs $@ $^

# The fixtures are not what is fuzzed: no coverage instrumentation, so cov: counts only src/.
$(FUZZ_LIB)/testlib/%.o: tests/lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=address,undefined $(DEPFLAGS) -c -o $@ $<

$(FUZZ_LIB)/libtestlib.a: $(patsubst tests/lib/%.c,$(FUZZ_LIB)/testlib/%.o,$(TESTLIB_SRCS))
	rm -f $@ && $(AR) rcs $@ $^

FUZZ_LIBS := $(FUZZ_LIB)/libtestlib.a $(FUZZ_LIB)/libdaemon.a $(FUZZ_LIB)/libcore.a

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	@mkdir -p $(@D) $(BUILD)/deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(INC_DAEMON) -Itests/lib \
		$(DEPFLAGS) -MF $(BIN_DEP) -o $@ $< $(FUZZ_LIBS) $(CORE_LIBS)

fuzz-build: $(FUZZ_TARGETS_ALL)

fuzz:
	@mkdir -p $(BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh | tee $(BUILD)/fuzz.log

# ---- planner benchmark: `make bench-plan` builds with -O2 (no sanitizers) and prints the table --
$(BUILD)/bench/bench_plan: bench/bench_plan.c $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 $(INC_CORE) $(DEPFLAGS) -o $@ $< $(BUILD)/libcore.a $(CORE_LIBS)

bench-plan: $(BUILD)/bench/bench_plan
	$(BUILD)/bench/bench_plan

# ---- host tests of the binary (no sched_ext here: errors, options, dry-run plans) ---------------
# Host helper programs (tests/host/NAME.c -> build/host-bin/NAME) and the VM's scxstats, which
# also checks metrics files (tests/host/metrics.sh).
HOST_TOOLS := $(patsubst tests/host/%.c,$(BUILD)/host-bin/%,$(wildcard tests/host/*.c))
$(BUILD)/host-bin/%: tests/host/%.c $(BUILD)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(INC_CORE) -O2 -o $@ $< $(BUILD)/libcore.a $(CORE_LIBS)

host-test: $(BUILD)/scx_cells $(HOST_TOOLS) $(BUILD)/vm-bin/scxstats
	tests/host/run.sh | tee $(BUILD)/host.log

# Every suite, then one summary line summing them all.
test:
	@rm -f $(BUILD)/unit.log $(BUILD)/host.log $(BUILD)/vm.log $(BUILD)/vm-llc.log \
		$(BUILD)/fuzz.log $(BUILD)/vm-8.log; rc=0; \
	$(MAKE) --no-print-directory unit || rc=1; \
	$(MAKE) --no-print-directory host-test || rc=1; \
	$(MAKE) --no-print-directory fuzz || rc=1; \
	$(MAKE) --no-print-directory vm-test || rc=1; \
	tests/summarize.sh $(BUILD)/unit.log $(BUILD)/host.log $(BUILD)/fuzz.log $(BUILD)/vm.log \
		$(BUILD)/vm-llc.log $(BUILD)/vm-8.log; \
	exit $$rc

clean:
	rm -rf $(BUILD)

# ---- install (PREFIX, DESTDIR as usual; the environment file goes to SYSCONFDIR) --------------
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
DEFAULTFILE := $(SYSCONFDIR)/default/scx_cells
.PHONY: man install uninstall

# The man page is generated from --help (the option table), so the two cannot drift apart.
man: $(BUILD)/scx_cells.8
$(BUILD)/scx_cells.8: $(BUILD)/scx_cells packaging/scx_cells.h2m
	help2man --no-info --section 8 --include packaging/scx_cells.h2m \
		--name "a sched_ext CPU scheduler that gives every workload cgroup its own CPUs" \
		--output $@ $(BUILD)/scx_cells

# The environment file is configuration: installed once, never overwritten, kept by uninstall.
install: $(BUILD)/scx_cells $(BUILD)/scx_cells.8
	install -D -m 0755 $(BUILD)/scx_cells $(DESTDIR)$(SBINDIR)/scx_cells
	install -D -m 0644 $(BUILD)/scx_cells.8 $(DESTDIR)$(MANDIR)/man8/scx_cells.8
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DEFAULTFILE@|$(DEFAULTFILE)|g' \
		packaging/scx_cells.service.in > $(DESTDIR)$(UNITDIR)/scx_cells.service
	@if [ -e $(DESTDIR)$(DEFAULTFILE) ]; then \
		echo "keeping existing $(DESTDIR)$(DEFAULTFILE)"; \
	else \
		install -D -m 0644 packaging/scx_cells.default $(DESTDIR)$(DEFAULTFILE); \
	fi
	@echo "installed; start with: systemctl daemon-reload && systemctl enable --now scx_cells"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/scx_cells $(DESTDIR)$(MANDIR)/man8/scx_cells.8 \
		$(DESTDIR)$(UNITDIR)/scx_cells.service
	@echo "kept $(DESTDIR)$(DEFAULTFILE) (configuration); remove it by hand if unwanted"

# The VM benchmarks (bench/vm.mk) and the compilers' header dependencies.
-include bench/vm.mk
-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/san/*/*.d $(BUILD)/deps/*.d $(BUILD)/bench/*.d \
	$(BUILD)/fuzz/lib-*/*/*.d)

# ---- the VM suite on a busy host (issue #13): a CPU hog on every host core while it runs ---------
# STRESS_RUNS suites in a row (each like vm-test); tests/vm/stress.sh stops the hogs however it ends.
STRESS_RUNS ?= 1
test-stress: $(BUILD)/scx_cells $(VM_TOOLS)
	VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) VM_CPUS=$(VM_CPUS) tests/vm/stress.sh $(STRESS_RUNS)
.PHONY: test-stress
