#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) into build/fuzz/ and runs each for
# FUZZ_SECONDS (default 20) on a copy of its seed corpus, so CI never grows the repo's corpus.
# Ends with "fuzz: N passed, M failed"; non-zero if a target crashed, leaked, timed out or did
# not build. See tests/fuzz/README.md.
#
#   FUZZ_SECONDS=120 tests/fuzz/run.sh              longer local run
#   FUZZ_SECONDS=0 tests/fuzz/run.sh                only build and run the seeds once
#   FUZZ_TARGETS="cpulist opts" tests/fuzz/run.sh   only these targets
#   FUZZ_CC=clang-19 tests/fuzz/run.sh              force a compiler
set -u
cd "$(dirname "$0")/../.." || exit 1

SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
	echo "fuzz: FUZZ_SECONDS must be a whole number of seconds (0: only run the seeds)" >&2
	exit 2
fi
OUT=build/fuzz
FUZZ=tests/fuzz

# longest input each target gets: enough for its format, small enough to stay fast
declare -A MAX_LEN=(
	[cpulist]=256
	[opts]=512
	[mountinfo]=2048
	[topology]=256
	[inotify]=512
	[scxstats]=4200
	[reply]=4096
	[cellconfig]=2048
)

if [ -n "${FUZZ_TARGETS:-}" ]; then
	read -r -a targets <<<"$FUZZ_TARGETS"
else
	targets=()
	for f in "$FUZZ"/fuzz_*.c; do
		t=${f##*/fuzz_}
		targets+=("${t%.c}")
	done
fi

mkdir -p "$OUT"

# The first compiler that links a sanitized libFuzzer program. Debian splits the runtime into
# libclang-rt-N-dev, so clang alone is not enough.
pick_cc() {
	local cc
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
		>"$OUT/probe.c"
	for cc in ${FUZZ_CC:-clang-19 clang-14 clang}; do
		command -v "$cc" >/dev/null || continue
		if "$cc" -fsanitize=fuzzer,address,undefined -o "$OUT/probe" "$OUT/probe.c" \
			>"$OUT/probe.log" 2>&1; then
			echo "$cc"
			return 0
		fi
	done
	return 1
}

if ! CC=$(pick_cc); then
	echo "fuzz: no clang here links -fsanitize=fuzzer,address,undefined (tried ${FUZZ_CC:-clang-19 clang-14 clang})." >&2
	[ -s "$OUT/probe.log" ] && sed 's/^/  /' "$OUT/probe.log" | head -5 >&2
	echo "fuzz: install the compiler and its runtime: apt-get install clang-19 libclang-rt-19-dev" >&2
	echo "fuzz: 0 passed, ${#targets[@]} failed"
	exit 1
fi
echo "fuzz: compiler $CC ($("$CC" --version | head -1)), ${SECONDS_PER_TARGET}s per target"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
for t in "${targets[@]}"; do
	src=$FUZZ/fuzz_$t.c
	bin=$OUT/fuzz_$t
	work=$OUT/work/$t
	if [ ! -f "$src" ]; then
		echo "fuzz_$t: FAILED: no $src"
		failed=$((failed + 1))
		continue
	fi
	# the Makefile holds the flags; the target links the fuzz build of src/core and src/daemon
	if ! make --no-print-directory FUZZ_CC="$CC" "$bin" >"$OUT/fuzz_$t.build.log" 2>&1; then
		echo "fuzz_$t: FAILED to build:"
		sed 's/^/  /' "$OUT/fuzz_$t.build.log"
		failed=$((failed + 1))
		continue
	fi

	# a fresh copy of the seeds: what the run finds stays in build/, not in the repo
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	[ -d "$FUZZ/corpus/$t" ] && cp -r "$FUZZ/corpus/$t/." "$work/corpus/"
	# -max_total_time=0 would mean "forever"; 0 here means: execute the seeds once, no fuzzing
	if [ "$SECONDS_PER_TARGET" -eq 0 ]; then
		args=(-runs=0)
	else
		args=(-max_total_time="$SECONDS_PER_TARGET")
	fi
	args+=(-max_len="${MAX_LEN[$t]:-1024}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$work/artifacts/")
	[ -f "$FUZZ/dict/$t.dict" ] && args+=(-dict="$FUZZ/dict/$t.dict")
	"$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$work/log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
		if [ "$SECONDS_PER_TARGET" -eq 0 ]; then
			printf 'fuzz_%s: ok, %s seeds run, %s\n' "$t" "${runs:-?}" "${cov:-cov: ?}"
		else
			printf 'fuzz_%s: ok, %s runs (%s/s), %s, corpus %s inputs\n' "$t" "${runs:-?}" \
				"${rate:-?}" "${cov:-cov: ?}" "$(find "$work/corpus" -type f | wc -l)"
		fi
		passed=$((passed + 1))
	else
		echo "fuzz_$t: FAILED (exit $rc) after ${runs:-?} runs, ${cov:-no coverage line}"
		# keep reproducers out of the work dir, which the next run wipes
		mkdir -p "$OUT/crashes/$t"
		for a in "$work"/artifacts/*; do
			[ -e "$a" ] || continue
			cp "$a" "$OUT/crashes/$t/"
			a=$OUT/crashes/$t/${a##*/}
			echo "  reproducer: $a (base64: $(base64 -w0 "$a" | head -c 300))"
			echo "  reproduce:  $bin $a"
		done
		echo "  report ($work/log):"
		# the report starts at the sanitizer / property / libFuzzer banner; ASan's shadow map
		# says nothing a reader needs here
		awk '/^==[0-9]+==|property violated|runtime error|^ALARM|^SUMMARY|deadly signal/ {p=1}
			/^Shadow bytes around/ {skip=1} /ABORTING/ {skip=0} p && !skip' \
			"$work/log" | head -80 | sed 's/^/  | /'
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
