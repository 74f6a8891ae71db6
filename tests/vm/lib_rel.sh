# shellcheck shell=sh
# tests/vm/lib_rel.sh — kept so that cases written as
#   . /tests/lib.sh
#   . /tests/lib_rel.sh
# keep working. Every helper lives in lib.sh (one definition each); sourcing this file only
# installs the reliability cases' exit trap (_rel_exit in lib.sh: runs $REL_ON_EXIT, and on a
# failing exit shows the end of the daemon log).
trap '_rel_exit $?' EXIT
