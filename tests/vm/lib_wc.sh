# shellcheck shell=sh
# tests/vm/lib_wc.sh — kept so that cases written as
#   . /tests/lib.sh
#   . /tests/lib_wc.sh
# keep working. Every work-conservation helper (wc_spawn, cell_cmp, stats_max, ...) lives in
# lib.sh, one definition each; this file defines nothing.
:
