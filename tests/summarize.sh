#!/usr/bin/env bash
# Sums the "<suite>: N passed, M failed" lines of the given logs into one final line,
# "N passed, M failed" (always the last line). Cases that skipped themselves (a suite's
# "<suite>: K skipped" line, tests/vm/run.sh) are summed on a line of their own before it.
# A log that is missing or has no result line counts as one failure (the suite did not finish).
set -u
passed=0
failed=0
skipped=0
for log in "$@"; do
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" 2>/dev/null | tail -n1)
	if [ -z "$line" ]; then
		echo "summary: $log has no result line: counted as 1 failure"
		failed=$((failed + 1))
		continue
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	s=$(grep -E '^[a-z-]+: [0-9]+ skipped$' "$log" 2>/dev/null | tail -n1 | sed -E 's/.*: ([0-9]+) skipped/\1/')
	skipped=$((skipped + ${s:-0}))
done
((skipped == 0)) || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
