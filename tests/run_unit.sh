#!/usr/bin/env bash
# Runs each cmocka test binary given as an argument, prints its own output, and ends with
# "N passed, M failed" summed over all of them. A binary that dies without a cmocka summary
# (sanitizer abort, crash) counts as one failure.
set -u
passed=0
failed=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END {print s+0}')
	if ! grep -q '^\[  PASSED  \]' <<<"$out"; then
		echo "!! $t produced no cmocka summary (exit $rc): counted as 1 failure"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $t exited $rc: counted as 1 failure"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
