# tests/host/deb.sh — sourced by tests/host/run.sh (uses its ok/bad, cmd, files_under, $T, $repo):
# the Debian package. dpkg-buildpackage builds it from a copy of the tree (its outputs land in
# the parent folder, which must not be the repository's), lintian must report no error or
# warning, and the .deb must hold exactly the expected files with a working binary.

DEB_SRC=$T/deb/scx-cells
rm -rf "$T/deb"
mkdir -p "$DEB_SRC"
# The tracked files as they are in the working tree (committed or not), without build outputs.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$DEB_SRC") 2>"$T/err"
cmd sh -c "cd '$DEB_SRC' && dpkg-buildpackage -b -us -uc"
DEB=$(ls "$T"/deb/scx-cells_*_amd64.deb 2>/dev/null | head -n 1)
if [ "$RC" -eq 0 ] && [ -n "$DEB" ]; then
	ok "dpkg-buildpackage -b builds $(basename "$DEB")"
else
	cp "$T/out" "$T/deb-build.log"
	bad "dpkg-buildpackage failed (status $RC): $(tail -n 5 "$T/out" | tr '\n' ' ') $(tail -n 3 "$T/err" | tr '\n' ' ')"
fi

if [ -n "$DEB" ]; then
	got=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | LC_ALL=C sort)
	want='etc/default/scx_cells
usr/lib/systemd/system/scx_cells.service
usr/sbin/scx_cells
usr/share/doc/scx-cells/changelog.gz
usr/share/doc/scx-cells/copyright
usr/share/man/man8/scx_cells.8.gz'
	if [ "$got" = "$want" ]; then
		ok "the .deb holds exactly the binary, unit, man page, environment file and Debian docs"
	else
		bad "the .deb holds [$got], want [$want]"
	fi
	X=$T/deb/x
	dpkg-deb -x "$DEB" "$X"
	cmd "$X/usr/sbin/scx_cells" --version
	if [ "$RC" -eq 0 ] && grep -q '^scx_cells ' "$T/out" &&
		grep -qx 'ExecStart=/usr/sbin/scx_cells $SCX_CELLS_FLAGS' "$X/usr/lib/systemd/system/scx_cells.service"; then
		ok "the packaged binary runs ($(cat "$T/out")) and the packaged unit starts /usr/sbin/scx_cells"
	else
		bad "packaged binary/unit: --version gave status $RC [$(cat "$T/out" "$T/err")]"
	fi
	if dpkg-deb -f "$DEB" Depends | grep -q libjansson; then
		ok "the packaged binary is dynamically linked against the distribution's libraries ($(dpkg-deb -f "$DEB" Depends))"
	else
		bad "the .deb's Depends lacks the shared libraries: $(dpkg-deb -f "$DEB" Depends)"
	fi
	if ! command -v lintian >/dev/null; then
		bad "lintian is missing (scripts/bootstrap.sh installs it)"
	else
		# --fail-on error,warning: any E: or W: tag fails; I: (informational) tags are shown.
		cmd lintian --fail-on error,warning "${DEB%.deb}.changes"
		[ -f "${DEB%.deb}.changes" ] || cmd lintian --fail-on error,warning "$DEB"
		if [ "$RC" -eq 0 ]; then
			ok "lintian reports no error or warning for the package"
		else
			bad "lintian: $(grep -E '^(E|W):' "$T/out" | head -n 5 | tr '\n' ' ')"
		fi
		# The check can fail: the same package without its copyright file is an error.
		B=$T/deb/broken
		rm -rf "$B"
		cp -a "$X" "$B"
		mkdir -p "$B/DEBIAN"
		dpkg-deb -e "$DEB" "$B/DEBIAN"
		rm -f "$B/usr/share/doc/scx-cells/copyright"
		dpkg-deb -b "$B" "$T/deb/broken.deb" >/dev/null 2>&1
		cmd lintian --fail-on error,warning "$T/deb/broken.deb"
		if [ "$RC" -ne 0 ] && grep -q 'no-copyright-file' "$T/out"; then
			ok "lintian fails a package without its copyright file (the check can fail)"
		else
			bad "lintian accepted a package without a copyright file (status $RC)"
		fi
	fi
fi
