# shellcheck shell=sh
# tests/host/vmcheck/helpers.sh: calls of tests/vm/lib.sh's helpers that vmcheck answers, on the
# sample logs here. helpers.expected is what the shell helpers printed before vmcheck decided
# (recorded with the libraries of commit d67040c, minus busybox seq's usage text that the old
# expand_cpulist wrote to stderr for "3 "; the last block with the awk of commit de547e5), so the
# host test proves the outputs identical.
# Sourced by tests/host/vmcheck.sh after lib.sh, with VMCHECK and VMCHECK_DATA set.
online_cpus() { echo 0-3; }
c() { echo "=== $*"; "$@"; echo "rc=$?"; }
for SCHED_LOG in "$VMCHECK_DATA/stats.log" "$VMCHECK_DATA/stats2.log" "$VMCHECK_DATA/empty.log"; do
	echo "##### ${SCHED_LOG##*/}"
	c expand_cpulist 0-2,5
	c expand_cpulist ""
	c expand_cpulist 7
	c cpulist_subset 1 0-3
	c cpulist_subset 0-4 0-3
	c cpulist_subset "3 " 0-3
	c cpulist_subset "" 0-3
	c cpulists_intersect 0-1 1-2
	c cpulists_intersect 0-1 2-3
	c cpulist_count 0-2,5
	c cpulist_count ""
	c last_stats
	for n in "(root)" web batch nosuch; do
		c cell_cpus "$n"
		c cell_field "$n" nr_cpus
		c cell_field "$n" cpus_used
		c cell_num "$n" cpus_used
		c cell_num "$n" smoothed_util_pct
		c cell_id "$n"
		c stats_lack_cell "$n"
		c cell_cmp "$n" cpus_used '>=' 0.5
		c cell_cmp "$n" nr_cpus '==' 1
		c stats_max 0 "$n" cpus_used
		c stats_min 1 "$n" cpus_used
		c stats_mean 0 "$n" cpus_used
		c stats_mean 5 "$n" cpus_used
	done
	c stats_have_cells "(root)" web
	c stats_cells_table
	c stats_cells_summary
	c stats_plans
	c stats_partition_ok
	c stats_field plans
	c stats_field waiting
	c stats_field_is plans 5
	c stats_field_is plans 4
	c stats_cell_names
	c stats_cells_are "1:web 2:batch"
	for cpu in 0 2 3 9; do c stats_no_cpu $cpu; done
	c stats_all_cpus 0-3
	c stats_all_cpus 0-2
	c fcmp 1.5 '>' 1
	c fcmp 1.5 '<' 1
	c fcmp 2 '==' 2.0
	c fcmp 2 '<=' 2
	c stats_top t
	c stats_top plans
	c stats_top rebalances
	c queue_share idle
	c queue_share borrowed
	c stats_brief
	c top_cmp plans '>' 4
	c top_cmp plans '<' 4
	c top_cmp waiting '==' 2
	c stats_max 0 - idle
	c stats_min 0 - idle
	c stats_mean 1 - idle
	c stats_count
	c stats_t_ms 0 ''
	c stats_t_ms 0 '"plans":3'
	c stats_t_ms 0 '"plans":9'
	c stats_t_ms 3 ''
	c stats_lines_until 0 '"plans":5'
	c median 5 1 3 2
	c median 4
	c median 10 2 33
done
# Outside the stats logs: fcalc, busy_pct (between the two snapshots of stat.txt) and min_pct,
# awk in lib.sh and two cases before vmcheck's calc, busy and min_pct.
echo "##### arithmetic and /proc/stat"
c fcalc "5 * 1.25"
c fcalc "2 / 3"
c fcalc "7 / (0 > 0 ? 0 : 0.001)"
c fcalc "3 / (2 > 0 ? 2 : 0.001)"
c fcalc "1.5 * 1.05 + 0.05"
c fcalc "-2.5 + 1"
c fcalc "(8 / 3 >= 2) + 1"
c fcalc "12 / 4 / 3 - 1 - 1"
c fcalc "(0 > 0 ? 5 / 0 : 0)"
c fcalc "(2.5 > 0 ? 1.25 / 2.5 : 0)"
c fcalc "1500000 / 1e6 / (12.500000 - 10.000000)"
B0=$(sed '/^--$/,$d' "$VMCHECK_DATA/stat.txt")
B1=$(sed '1,/^--$/d' "$VMCHECK_DATA/stat.txt")
busy() { busy_pct "$B0" "$B1" "$@"; }
c busy 1-3
c busy 0,7
c busy
c min_pct "cpu1=98 cpu2=12 cpu3=14 "
c min_pct "cpu0=100 "
c min_pct ""
