# VM benchmarks: `make bench` runs the six comparisons of docs/benchmarks.md, each in one qemu
# boot (bench/vm/cases/bench_*.sh via tests/vm/run.sh), and writes tables, CSV and PNG plots to
# build/bench/. Driver: bench/vm/run.sh. Included by the top Makefile (BUILD, VMLINUZ, KERNEL_SRC,
# LIBBPF_DIR, BPFTOOL, BPF_CLANG, CC, CFLAGS_BASE come from there and scripts/env.sh).
#
#   make bench                       everything (~10-15 min on the 2-core host)
#   make bench BENCH=isolation       some of: isolation ownerwait workcons overhead reconfig footprint
#   make bench-tools                 only build what the VM needs (scx_simple, helpers)
#   make bench SCX_CELLS_BIN=PATH    benchmark another scx_cells binary (default $(BUILD)/scx_cells)

.PHONY: bench bench-tools bench-plots

BENCH ?= isolation ownerwait workcons overhead reconfig footprint
BENCH_OUT := $(BUILD)/bench
# The VM helpers the bench cases use (tests/vm/tools/*.c, built by the top Makefile's rule;
# vmcheck for tests/vm/lib.sh's decisions).
BENCH_VM_TOOLS := $(addprefix $(BUILD)/vm-bin/,benchlat benchts benchreconf benchmk vmcheck)

# ---- baseline: the kernel's scx_simple, built from the same source tree with our toolchain ----
SCX_SIMPLE_SRC := $(KERNEL_SRC)/tools/sched_ext
SCX_SIMPLE_OBJ := $(BUILD)/bench/scx_simple
SCX_SIMPLE_BPF_CFLAGS = -target bpf -O2 -g -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -Wall \
	-Wno-compare-distinct-pointer-types -Wno-missing-declarations -I$(BUILD)/include -I$(SCX_SIMPLE_SRC)/include \
	-I$(SCX_SIMPLE_SRC)/include/bpf-compat -I$(LIBBPF_DIR)/include

$(SCX_SIMPLE_OBJ)/scx_simple.bpf.o: $(SCX_SIMPLE_SRC)/scx_simple.bpf.c $(BUILD)/include/vmlinux.h
	@mkdir -p $(SCX_SIMPLE_OBJ)
	$(BPF_CLANG) $(SCX_SIMPLE_BPF_CFLAGS) -c $< -o $(SCX_SIMPLE_OBJ)/scx_simple.tmp.o
	$(BPFTOOL) gen object $@ $(SCX_SIMPLE_OBJ)/scx_simple.tmp.o

$(SCX_SIMPLE_OBJ)/scx_simple.bpf.skel.h: $(SCX_SIMPLE_OBJ)/scx_simple.bpf.o
	$(BPFTOOL) gen skeleton $< name scx_simple > $@

# Static like scx_cells, so it runs in the busybox initramfs; shipped as /bin/scx_simple.
$(BUILD)/vm-bin/scx_simple: $(SCX_SIMPLE_SRC)/scx_simple.c $(SCX_SIMPLE_OBJ)/scx_simple.bpf.skel.h
	@mkdir -p $(BUILD)/vm-bin
	$(CC) -std=gnu11 -g -O2 -D_GNU_SOURCE -Wall -I$(SCX_SIMPLE_OBJ) -isystem $(SCX_SIMPLE_SRC)/include \
		-isystem $(LIBBPF_DIR)/include -static -o $@ $< $(LIBBPF_DIR)/lib64/libbpf.a -lelf -lz

bench-tools: $(BUILD)/scx_cells $(BUILD)/vm-bin/scx_simple $(BENCH_VM_TOOLS)

# ---- the runs ---------------------------------------------------------------------------------
bench: bench-tools
	VMLINUZ=$(VMLINUZ) BUILD_DIR=$(BUILD) SCX_CELLS_BIN=$(or $(SCX_CELLS_BIN),$(BUILD)/scx_cells) \
		bench/vm/run.sh --out $(BENCH_OUT) $(BENCH)

# Re-draw the plots and tables from the CSV files of an earlier run.
bench-plots:
	bench/vm/run.sh --out $(BENCH_OUT) --report-only $(BENCH)
