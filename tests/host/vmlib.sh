# shellcheck shell=sh
# tests/host/vmlib.sh — checks of the VM harness's shell library, sourced by tests/host/run.sh
# (uses its ok/bad/show, $T, $repo).
#
# One shell library: every helper the VM cases can call is defined once across the files a case
# sources (tests/vm/lib*.sh, bench/vm/cases/bench_common.sh) and /init (tests/vm/init.sh, which
# sources lib.sh). A second definition silently replaces the first (the file sourced last wins),
# so a duplicate is a failure. The cases (tests/vm/cases, bench/vm/cases, demo/) define no
# library name either, and no helper of their own that another case defines too: a helper two
# cases need belongs in lib.sh (issue #11: no shell helper is defined twice).

VMLIB_FILES="$repo/tests/vm/lib.sh $repo/tests/vm/lib_rel.sh $repo/tests/vm/lib_wc.sh
$repo/tests/vm/init.sh $repo/bench/vm/cases/bench_common.sh"
VMCASE_FILES=
for _f in "$repo"/tests/vm/cases/*.sh "$repo"/bench/vm/cases/*.sh "$repo"/demo/*.sh; do
	[ "${_f##*/}" = bench_common.sh ] || VMCASE_FILES="$VMCASE_FILES $_f"
done

# Names several cases may each define for themselves, with different bodies: a case's own main
# step ("run TAG OPTS...": one daemon run of cells_pinned_shrink, cells_pinned_spread and
# wc_owner_wait; "check WHAT": the per-step checks of rel_cgroup_v1 and soak). They are not
# helpers: /init runs every case as its own `sh` process (tests/vm/init.sh, run_case), so one
# case's definition never meets another's, only the libraries'. Still reported when a library
# defines one, or one file defines one twice.
VMCASE_OWN_NAMES="run check"

# shell_defs KIND FILE...: "NAME KIND FILE LINE" for every shell function defined in the FILEs
# (definitions `NAME() {` or `NAME () {`, indented or not; FILE relative to $repo).
shell_defs() {
	_kind=$1
	shift
	for _f in "$@"; do
		grep -nE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(\)' "$_f" |
			sed -E "s|^([0-9]+):[[:space:]]*([A-Za-z_][A-Za-z0-9_]*).*|\\2 $_kind ${_f#"$repo"/} \\1|"
	done
}

# shell_dup_defs FILE...: print "NAME: FILE:LINE FILE:LINE ..." for every shell function defined
# more than once across the FILEs.
shell_dup_defs() {
	shell_defs lib "$@" | _dup_report ""
}

# shell_case_dup_defs "LIBS" "CASES" "OWN": the same for library files LIBS and case files CASES
# (space-separated lists), except for a name in OWN that only cases define, each at most once.
shell_case_dup_defs() {
	# shellcheck disable=SC2086 # lists of files
	{ shell_defs lib $1 && shell_defs case $2; } | _dup_report "$3"
}

# _dup_report OWN: the report of shell_dup_defs from "NAME KIND FILE LINE" lines on stdin.
_dup_report() {
	awk -v own=" $1 " '{
		n[$1]++
		at[$1] = at[$1] " " $3 ":" $4
		if ($2 == "lib") lib[$1] = 1
		if (seen[$1, $3]++) twice[$1] = 1
	}
	END {
		for (k in n)
			if (n[k] > 1 && !(index(own, " " k " ") && !lib[k] && !twice[k]))
				print k ":" at[k]
	}' | LC_ALL=C sort
}

# dup_bad WHAT CMD: report a failed duplicate check (its output is in $_d).
dup_bad() {
	echo "$_d" >"$T/out"
	: >"$T/err"
	# shellcheck disable=SC2034 # read by show (tests/host/run.sh)
	LAST_CMD=$2 RC=0
	bad "$1"
}

# The checks can fail: two files defining one name are reported, with both places.
printf 'a() {\n\t:\n}\nb() { :; }\n' >"$T/dup1.sh"
printf '  b () {\n\t:\n}\n' >"$T/dup2.sh"
_d=$(shell_dup_defs "$T/dup1.sh" "$T/dup2.sh")
if [ "$_d" = "b: $T/dup1.sh:4 $T/dup2.sh:1" ]; then
	ok "shell_dup_defs finds a function defined twice"
else
	dup_bad "shell_dup_defs should report 'b' defined in both sample files (seen above)" \
		"shell_dup_defs dup1.sh dup2.sh"
fi
# A library and three cases: "run" may be each case's own (cases 1 and 2), but not twice in one
# case (3) nor in a library; a helper in two cases, or a library name in a case, is reported.
printf 'lib_helper() { :; }\n' >"$T/lib.sh"
printf 'run() { :; }\nhelper() { :; }\n' >"$T/case1.sh"
printf 'run() { :; }\nhelper() { :; }\nlib_helper() { :; }\n' >"$T/case2.sh"
printf 'check() { :; }\ncheck() { :; }\n' >"$T/case3.sh"
_d=$(shell_case_dup_defs "$T/lib.sh" "$T/case1.sh $T/case2.sh $T/case3.sh" "run check")
_want="check: $T/case3.sh:1 $T/case3.sh:2
helper: $T/case1.sh:2 $T/case2.sh:2
lib_helper: $T/lib.sh:1 $T/case2.sh:3"
if [ "$_d" = "$_want" ]; then
	ok "shell_case_dup_defs: a helper in two cases, a library name in a case, an own name twice in one case"
else
	dup_bad "shell_case_dup_defs should report check, helper and lib_helper, not run (seen above)" \
		"shell_case_dup_defs lib.sh 'case1.sh case2.sh case3.sh' 'run check'"
fi
printf 'run() { :; }\n' >"$T/lib.sh"
_d=$(shell_case_dup_defs "$T/lib.sh" "$T/case1.sh" "run check")
if [ "$_d" = "run: $T/lib.sh:1 $T/case1.sh:1" ]; then
	ok "shell_case_dup_defs: a case's own name defined by a library too"
else
	dup_bad "shell_case_dup_defs should report run, in a library and a case (seen above)" \
		"shell_case_dup_defs lib.sh case1.sh 'run check'"
fi

# shellcheck disable=SC2086 # a list of files
_d=$(shell_dup_defs $VMLIB_FILES)
# shellcheck disable=SC2086
_n=$(shell_defs lib $VMLIB_FILES | wc -l)
if [ -z "$_d" ] && [ "$_n" -gt 50 ]; then
	ok "VM shell library: $_n functions, each defined once"
else
	dup_bad "VM shell library: functions defined more than once (or only $_n found)" \
		"shell_dup_defs $VMLIB_FILES"
fi

# The cases next to the libraries.
_d=$(shell_case_dup_defs "$VMLIB_FILES" "$VMCASE_FILES" "$VMCASE_OWN_NAMES")
# shellcheck disable=SC2086
_nc=$(shell_defs case $VMCASE_FILES | wc -l)
_nf=$(echo "$VMCASE_FILES" | wc -w)
if [ -z "$_d" ] && [ "$_nc" -gt 50 ] && [ "$_nf" -gt 40 ]; then
	ok "VM cases: $_nc functions in $_nf case files, none also in a library or another case" \
		"(own names allowed in several cases: $VMCASE_OWN_NAMES)"
else
	dup_bad "VM cases: functions defined twice, or in a library too (or only $_nc in $_nf files found)" \
		"shell_case_dup_defs (libraries) (tests/vm/cases, bench/vm/cases, demo) '$VMCASE_OWN_NAMES'"
fi
