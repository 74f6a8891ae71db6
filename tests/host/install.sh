# tests/host/install.sh — sourced by tests/host/run.sh (uses its ok/bad/show, $T, $repo, $BIN):
# `make install` / `make uninstall` into temporary roots, the systemd unit checked by
# systemd-analyze, and the man page generated from --help.

# cmd ARGS...: run any command; stdout in $T/out, stderr in $T/err, exit status in RC.
cmd() {
	LAST_CMD="$*"
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# files_under DIR: the files (and links) below DIR, relative, sorted, one per line.
files_under() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
}

D=$T/destdir
cmd make -C "$repo" -s install DESTDIR="$D"
want='etc/default/scx_cells
usr/local/lib/systemd/system/scx_cells.service
usr/local/sbin/scx_cells
usr/local/share/man/man8/scx_cells.8'
got=$(files_under "$D" 2>/dev/null)
if [ "$RC" -eq 0 ] && [ "$got" = "$want" ]; then
	ok "make install DESTDIR installs exactly the binary, unit, man page and environment file"
else
	bad "make install DESTDIR=$D: expected files [$want], got [$got]"
fi

if [ -x "$D/usr/local/sbin/scx_cells" ] && cmp -s "$D/usr/local/sbin/scx_cells" "$BIN" &&
	grep -qx 'ExecStart=/usr/local/sbin/scx_cells $SCX_CELLS_FLAGS' \
		"$D/usr/local/lib/systemd/system/scx_cells.service" &&
	grep -qx 'EnvironmentFile=-/etc/default/scx_cells' \
		"$D/usr/local/lib/systemd/system/scx_cells.service"; then
	ok "installed unit runs the installed binary with flags from /etc/default/scx_cells"
else
	bad "installed binary or unit paths are wrong: $(grep -E '^(ExecStart|EnvironmentFile)=' \
		"$D/usr/local/lib/systemd/system/scx_cells.service" 2>&1 | tr '\n' ' ')"
fi

# A second install keeps the operator's configuration.
echo 'SCX_CELLS_FLAGS="--enable-borrowing"' >"$D/etc/default/scx_cells"
cmd make -C "$repo" -s install DESTDIR="$D"
if [ "$RC" -eq 0 ] && grep -q -- '--enable-borrowing' "$D/etc/default/scx_cells"; then
	ok "make install again keeps an edited /etc/default/scx_cells"
else
	bad "a second make install overwrote the environment file: $(cat "$D/etc/default/scx_cells")"
fi

cmd make -C "$repo" -s uninstall DESTDIR="$D"
got=$(files_under "$D")
if [ "$RC" -eq 0 ] && [ "$got" = "etc/default/scx_cells" ]; then
	ok "make uninstall removes everything but the configuration"
else
	bad "make uninstall left [$got] (want only etc/default/scx_cells)"
fi

# PREFIX: everything moves with it; systemd-analyze checks the unit (ExecStart must exist, so
# the binary is installed under a real temporary prefix rather than a DESTDIR).
P=$T/prefix
cmd make -C "$repo" -s install PREFIX="$P" SYSCONFDIR="$P/etc"
U=$P/lib/systemd/system/scx_cells.service
if ! command -v systemd-analyze >/dev/null; then
	bad "systemd-analyze is missing (scripts/bootstrap.sh installs systemd)"
elif [ "$RC" -ne 0 ] || [ ! -f "$U" ]; then
	bad "make install PREFIX=$P failed"
else
	cmd systemd-analyze verify --man=no "$U"
	if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ]; then
		ok "systemd-analyze verify accepts scx_cells.service"
	else
		bad "systemd-analyze verify rejects $U"
	fi
	# The check can fail: the same unit with a misspelt signal is reported.
	sed 's/^KillSignal=SIGINT$/KillSignal=SIGBOGUS/' "$U" >"$T/broken.service"
	cmd systemd-analyze verify --man=no "$T/broken.service"
	if grep -q SIGBOGUS "$T/err"; then
		ok "systemd-analyze verify reports a broken unit (the check can fail)"
	else
		bad "systemd-analyze verify did not report KillSignal=SIGBOGUS"
	fi
	for line in 'ConditionPathIsDirectory=/sys/kernel/sched_ext' 'KillSignal=SIGINT' \
		'Restart=on-failure' 'RestartPreventExitStatus=2' 'StartLimitBurst=5'; do
		if grep -qx "$line" "$U"; then
			ok "unit has $line"
		else
			bad "unit lacks $line"
		fi
	done
fi

# The man page: generated from --help, so every option there is documented; groff finds no
# problem in it.
M=$P/share/man/man8/scx_cells.8
cmd "$BIN" --help
opts=$(grep -o -- '--[a-z0-9][a-z0-9-]*' "$T/out" | LC_ALL=C sort -u)
missing=
for o in $opts; do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$M" || missing="$missing $o"
done
if [ -n "$opts" ] && [ -z "$missing" ]; then
	ok "man page documents all $(echo "$opts" | wc -l) options of --help"
else
	bad "man page $M lacks:$missing"
fi
cmd groff -man -ww -z "$M"
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ]; then
	ok "groff -man -ww finds no warnings in scx_cells.8"
else
	bad "groff warns about scx_cells.8"
fi
