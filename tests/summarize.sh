#!/usr/bin/env bash
# Sums the "<suite>: N passed, M failed" lines of the given logs into one final line.
# A log that is missing or has no such line counts as one failure (the suite did not finish).
set -u
passed=0
failed=0
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
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
