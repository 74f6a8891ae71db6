# scx_cells build. `make` builds build/scx_cells (static); `make test` runs every suite.
# Toolchain locations come from scripts/env.sh (written by scripts/bootstrap.sh); see README.
SHELL := /bin/bash
BUILD := build
CC ?= gcc

WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS_BASE := -std=gnu11 -g -D_GNU_SOURCE $(WARN) -Isrc
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all unit test clean bench-plan
.DEFAULT_GOAL := all

# ---- unit tests (host, cmocka, ASan+UBSan) ----------------------------------------------------
# Each tests/unit/test_NAME.c has a tests/unit/test_NAME.mk declaring
#   test_NAME_DEPS := module1 module2      (src/module1.c, src/module2.c linked in)
-include $(wildcard tests/unit/*.mk)
-include $(wildcard bench/*.mk)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c $$(patsubst %,src/%.c,$$(test_$$*_DEPS)) $$(wildcard src/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS_BASE) -O1 $(SAN) -Itests/unit -o $@ $(filter %.c,$^) -lcmocka

$(BUILD)/tests:
	mkdir -p $@

unit-build: $(UNIT_TESTS)

unit: unit-build
	@tests/run_unit.sh $(UNIT_TESTS)

clean:
	rm -rf $(BUILD)
