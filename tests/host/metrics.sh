# tests/host/metrics.sh — sourced by tests/host/run.sh (uses its ok/bad/show, $T, $repo):
# the --metrics-file format. promtool (Debian package prometheus) must accept what
# metrics_openmetrics() writes, including cells with awkward cgroup names
# (build/host-bin/metrics_sample renders a synthetic snapshot: the daemon needs sched_ext);
# scxstats's metrics check (the one the VM case uses) must accept two intervals in order and
# refuse them swapped or torn; and a file the daemon wrote in the VM (the stats_protocol case
# copies it into its log as "metrics| " lines) is checked too when that log exists
# (VM_LOG=..., default build/vm/stats_protocol.log).

SAMPLE=$repo/build/host-bin/metrics_sample
SCXSTATS=$repo/build/vm-bin/scxstats
VM_LOG=${VM_LOG:-$repo/build/vm/stats_protocol.log}

if ! command -v promtool >/dev/null; then
	bad "promtool is missing (Debian package prometheus; scripts/bootstrap.sh installs it)"
elif [ ! -x "$SAMPLE" ] || [ ! -x "$SCXSTATS" ]; then
	bad "$SAMPLE or $SCXSTATS is missing; run make host-test (it builds them)"
else
	"$SAMPLE" 5 >"$T/m5.prom" && "$SAMPLE" 6 >"$T/m6.prom"
	cmd promtool check metrics <"$T/m5.prom"
	if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ]; then
		ok "promtool check metrics accepts the exposition (odd cgroup names included)"
	else
		bad "promtool check metrics rejects metrics_openmetrics() output: $(head -c 2000 "$T/m5.prom")"
	fi
	# The check can fail: a counter without the _total suffix is reported by promtool.
	sed 's/scx_cells_resolves_total/scx_cells_resolves/' "$T/m5.prom" >"$T/bad.prom"
	cmd promtool check metrics <"$T/bad.prom"
	if grep -q 'scx_cells_resolves' "$T/out" "$T/err"; then
		ok "promtool reports a counter without _total (the check can fail)"
	else
		bad "promtool did not report scx_cells_resolves as a counter without _total"
	fi
	cmd "$SCXSTATS" metrics "$T/m5.prom" "$T/m6.prom"
	if [ "$RC" -eq 0 ] && grep -q '^scxstats: metrics ok' "$T/out"; then
		ok "scxstats metrics: two intervals in order ($(cat "$T/out"))"
	else
		bad "scxstats metrics refuses two intervals in order"
	fi
	cmd "$SCXSTATS" metrics "$T/m6.prom" "$T/m5.prom"
	if [ "$RC" -eq 1 ] && grep -q 'went backwards' "$T/out"; then
		ok "scxstats metrics refuses counters that went backwards"
	else
		bad "scxstats metrics should refuse the intervals swapped"
	fi
	head -n 20 "$T/m6.prom" >"$T/torn.prom"
	cmd "$SCXSTATS" metrics "$T/m5.prom" "$T/torn.prom"
	if [ "$RC" -eq 1 ] && grep -q 'does not end with # EOF' "$T/out"; then
		ok "scxstats metrics refuses a torn file"
	else
		bad "scxstats metrics should refuse a file without # EOF"
	fi
	if [ -f "$VM_LOG" ] && grep -q '^metrics| ' "$VM_LOG"; then
		sed -n 's/^metrics| //p' "$VM_LOG" >"$T/vm.prom"
		cmd promtool check metrics <"$T/vm.prom"
		if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ] &&
			grep -q '^scx_cells_num_cells ' "$T/vm.prom"; then
			ok "promtool accepts the metrics file the daemon wrote in the VM ($(wc -l <"$T/vm.prom") lines, $VM_LOG)"
		else
			bad "promtool rejects the daemon's metrics file from $VM_LOG: $(cat "$T/vm.prom")"
		fi
	else
		echo "note: no VM log with a metrics file ($VM_LOG); run tests/vm/run.sh stats_protocol to check the daemon's own file"
	fi
fi
