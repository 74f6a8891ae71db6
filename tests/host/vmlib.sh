# shellcheck shell=sh
# tests/host/vmlib.sh — checks of the VM harness's shell library, sourced by tests/host/run.sh
# (uses its ok/bad/show, $T, $repo).
#
# One shell library: every helper the VM cases can call is defined once across the files a case
# sources (tests/vm/lib*.sh, bench/vm/cases/bench_common.sh) and /init (tests/vm/init.sh, which
# sources lib.sh). A second definition silently replaces the first (the file sourced last wins),
# so a duplicate is a failure.

VMLIB_FILES="$repo/tests/vm/lib.sh $repo/tests/vm/lib_rel.sh $repo/tests/vm/lib_wc.sh
$repo/tests/vm/init.sh $repo/bench/vm/cases/bench_common.sh"

# shell_dup_defs FILE...: print "NAME: FILE:LINE FILE:LINE ..." for every shell function defined
# more than once across the FILEs (definitions `NAME() {` or `NAME () {`, indented or not).
shell_dup_defs() {
	for _f in "$@"; do
		grep -nE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(\)' "$_f" |
			sed -E "s|^([0-9]+):[[:space:]]*([A-Za-z_][A-Za-z0-9_]*).*|\\2 ${_f#"$repo"/}:\\1|"
	done | awk '{ n[$1]++; at[$1] = at[$1] " " $2 } END { for (k in n) if (n[k] > 1) print k ":" at[k] }' |
		LC_ALL=C sort
}

# The check can fail: two files defining one name are reported, with both places.
printf 'a() {\n\t:\n}\nb() { :; }\n' >"$T/dup1.sh"
printf '  b () {\n\t:\n}\n' >"$T/dup2.sh"
_d=$(shell_dup_defs "$T/dup1.sh" "$T/dup2.sh")
if [ "$_d" = "b: $T/dup1.sh:4 $T/dup2.sh:1" ]; then
	ok "shell_dup_defs finds a function defined twice"
else
	echo "shell_dup_defs: seen '$_d'" >"$T/out"
	: >"$T/err"
	LAST_CMD="shell_dup_defs dup1.sh dup2.sh" RC=0
	bad "shell_dup_defs should report 'b' defined in both sample files"
fi

# shellcheck disable=SC2086 # a list of files
_d=$(shell_dup_defs $VMLIB_FILES)
# shellcheck disable=SC2086
_n=$(cat $VMLIB_FILES | grep -cE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(\)')
if [ -z "$_d" ] && [ "$_n" -gt 50 ]; then
	ok "VM shell library: $_n functions, each defined once"
else
	echo "$_d" >"$T/out"
	: >"$T/err"
	LAST_CMD="shell_dup_defs $VMLIB_FILES" RC=0
	bad "VM shell library: functions defined more than once (or only $_n found)"
fi
