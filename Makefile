# scx_cells build. `make` builds build/scx_cells (static); `make test` runs every suite.
# Toolchain locations come from scripts/env.sh (written by scripts/bootstrap.sh); see README.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
BUILD := build
CC ?= gcc

WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS_BASE := -std=gnu11 -g -D_GNU_SOURCE $(WARN) -iquote src
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all unit unit-build host-test vm-test demo test fuzz clean bench-plan bootstrap
.DEFAULT_GOAL := all

VERSION := 0.1.0
# Toolchain (libbpf, bpftool, sched_ext headers, vmlinux.h, VM kernel) from scripts/bootstrap.sh.
SCX_CELLS_CACHE ?= $(HOME)/.cache/scx_cells
ENV_MK := $(SCX_CELLS_CACHE)/env.mk
-include $(ENV_MK)
SCX_INC = $(KERNEL_SRC)/tools/sched_ext/include

BPF_CFLAGS = -target bpf -O2 -g -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -Wall \
	-Wno-compare-distinct-pointer-types -Wno-missing-declarations -I$(BUILD)/include -I$(SCX_INC) \
	-I$(SCX_INC)/bpf-compat -I$(LIBBPF_DIR)/include -Isrc/bpf
USER_CFLAGS = $(CFLAGS_BASE) -O2 -DSCX_CELLS_VERSION='"$(VERSION)"' -I$(BUILD) \
	-isystem $(SCX_INC) -isystem $(LIBBPF_DIR)/include -Isrc/bpf
USER_LIBS = $(LIBBPF_DIR)/lib64/libbpf.a -lelf -lz

# Pure modules (tested on the host) and the parts that talk to the kernel.
PURE_SRCS := $(filter-out src/main.c src/sched.c,$(wildcard src/*.c))
DAEMON_SRCS := $(PURE_SRCS) src/sched.c src/main.c

all: $(BUILD)/scx_cells

$(ENV_MK):
	scripts/bootstrap.sh

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

$(BUILD)/scx_cells: $(DAEMON_SRCS) $(wildcard src/*.h) src/bpf/intf.h $(BUILD)/scx_cells.skel.h
	$(CC) $(USER_CFLAGS) -static -o $@ $(DAEMON_SRCS) $(USER_LIBS)

# ---- unit tests (host, cmocka, ASan+UBSan) ----------------------------------------------------
# Each tests/unit/test_NAME.c has a tests/unit/test_NAME.mk declaring
#   test_NAME_DEPS := module1 module2      (src/module1.c, src/module2.c linked in)
-include $(wildcard tests/unit/*.mk)
-include $(wildcard bench/*.mk)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c $$(addprefix src/,$$(addsuffix .c,$$(test_$$*_DEPS))) $$(wildcard src/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS_BASE) -O1 $(SAN) -Itests/unit -o $@ $(filter %.c,$^) -lcmocka

$(BUILD)/tests:
	mkdir -p $@

unit-build: $(UNIT_TESTS)

unit: unit-build
	@tests/run_unit.sh $(UNIT_TESTS) | tee $(BUILD)/unit.log

# ---- VM tests (the bundled sched_ext kernel under qemu) ---------------------------------------
VM_CPUS ?= 4
# Static helper programs shipped into the VM (tests/vm/tools/NAME.c -> build/vm-bin/NAME).
VM_TOOLS := $(patsubst tests/vm/tools/%.c,$(BUILD)/vm-bin/%,$(wildcard tests/vm/tools/*.c))
$(BUILD)/vm-bin/%: tests/vm/tools/%.c src/cpumask.c src/cpumask.h
	@mkdir -p $(BUILD)/vm-bin
	$(CC) $(CFLAGS_BASE) -O2 -static -o $@ $< src/cpumask.c

# Two boots: every case on $(VM_CPUS) vCPUs, then the llc_* cases on a VM with two LLCs.
vm-test: $(BUILD)/scx_cells $(VM_TOOLS)
	@rc=0; VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh --cpus $(VM_CPUS) all \
		| tee $(BUILD)/vm.log || rc=1; \
	VM_SMP=4,sockets=2,cores=2 VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh \
		--out $(BUILD)/vm-llc llc_cells | tee $(BUILD)/vm-llc.log || rc=1; \
	exit $$rc

demo: $(BUILD)/scx_cells $(VM_TOOLS)
	VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) tests/vm/run.sh --cpus 8 --timeout 240 --out $(BUILD)/vm-demo --live demo

# ---- fuzzing (libFuzzer, bounded time; corpus in tests/fuzz/corpus) ----------------------------
FUZZ_SECONDS ?= 10
fuzz:
	@mkdir -p $(BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh | tee $(BUILD)/fuzz.log

# ---- host tests of the binary (no sched_ext here: errors, options, dry-run plans) ---------------
host-test: $(BUILD)/scx_cells
	tests/host/run.sh | tee $(BUILD)/host.log

# Every suite, then one summary line summing them all.
test:
	@rm -f $(BUILD)/unit.log $(BUILD)/host.log $(BUILD)/vm.log $(BUILD)/vm-llc.log \
		$(BUILD)/fuzz.log; rc=0; \
	$(MAKE) --no-print-directory unit || rc=1; \
	$(MAKE) --no-print-directory host-test || rc=1; \
	$(MAKE) --no-print-directory fuzz || rc=1; \
	$(MAKE) --no-print-directory vm-test || rc=1; \
	tests/summarize.sh $(BUILD)/unit.log $(BUILD)/host.log $(BUILD)/fuzz.log $(BUILD)/vm.log \
		$(BUILD)/vm-llc.log; \
	exit $$rc

clean:
	rm -rf $(BUILD)

# ---- the VM suite on a busy host (issue #13): a CPU hog on every host core while it runs ---------
# STRESS_RUNS suites in a row (each like vm-test); tests/vm/stress.sh stops the hogs however it ends.
STRESS_RUNS ?= 1
test-stress: $(BUILD)/scx_cells $(VM_TOOLS)
	VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) VM_CPUS=$(VM_CPUS) tests/vm/stress.sh $(STRESS_RUNS)
.PHONY: test-stress
