#!/bin/sh
# cli_test.sh - sqlitefs's command line: --help on one screen, versions,
# unknown options refused before the database is touched, fstab-only
# options ignored, the views of an older database replaced by a
# read-write mount only.  Prints TAP.  Needs root (mounts), $SQLITEFS,
# $MKFS_C, sqlite3, flock.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/cli_test.XXXXXX")
cleanup() {
	grep -q " $dir/mnt " /proc/mounts && umount -l "$dir/mnt"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
q() { sqlite3 -batch "$dir/fs.db" "$1"; }
mounted() { grep -q " $dir/mnt fuse.sqlitefs " /proc/mounts; }
# Unmounts and waits until the daemon let go of the database (its flock).
unmount() {
	umount "$dir/mnt" || return 1
	flock -x -w 10 "$dir/fs.db" true
}

mkdir "$dir/mnt"
"$mkfs" "$dir/fs.db" >/dev/null

echo "1..15"
"$daemon" --help >"$dir/out" 2>&1; rc=$?
check "--help exits 0 and fits on one screen ($(wc -l <"$dir/out") lines)" \
	'[ $rc -eq 0 ] && [ "$(wc -l <"$dir/out")" -le 24 ] && [ "$(awk "length > 80" "$dir/out")" = "" ]'
check "--help lists our options with their defaults" \
	'(for o in "commit=5" "timeout=86400" "spin=100" nowriteback relatime noatime strictatime "-o rw" "-o ro" allow_other "-f " "-d "; do grep -q -e "$o" "$dir/out" || exit 1; done)'
"$daemon" -h >"$dir/out2" 2>&1
check "-h is --help" 'cmp -s "$dir/out" "$dir/out2"'
"$daemon" -V >"$dir/out" 2>&1; rc=$?
check "-V names sqlitefs, libfuse and SQLite versions" \
	'[ $rc -eq 0 ] && grep -q "^sqlitefs [0-9].*libfuse .*SQLite " "$dir/out"'

cksum "$dir/fs.db" >"$dir/sum"
"$daemon" -o commit=3,bogus "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "an unknown -o option: named on one line, exit 1, nothing mounted or changed" \
	'[ $rc -eq 1 ] && [ "$(wc -l <"$dir/out")" -eq 1 ] && grep -q "^sqlitefs: unknown option.*bogus" "$dir/out" && ! mounted && cksum "$dir/fs.db" | cmp -s - "$dir/sum" && [ ! -e "$dir/fs.db-wal" ]'
"$daemon" --bogus "$dir/missing.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "an unknown option is reported before a missing database" \
	'[ $rc -eq 1 ] && grep -q "unknown option.*--bogus" "$dir/out" && [ ! -e "$dir/missing.db" ]'
"$daemon" -o commit=soon "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a bad value is refused" \
	'[ $rc -eq 1 ] && grep -q "bad options" "$dir/out" && ! mounted'
"$daemon" -o cache=9999999 "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a page cache larger than 1 TiB is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: cache=9999999: at most" "$dir/out" && ! mounted'
"$daemon" -o spin=1000001 "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "polling for longer than a second is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: spin=1000001: at most" "$dir/out" && ! mounted'
"$daemon" -o timeout=nan "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a timeout that is not a number is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: timeout=nan: not a number" "$dir/out" && ! mounted'

"$daemon" -o defaults,auto,nofail,_netdev,comment=x,x-systemd.automount \
	"$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "fstab-only options are ignored" '[ $rc -eq 0 ] && mounted'
unmount
"$daemon" -o noatime -- "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "names after -- mount" '[ $rc -eq 0 ] && mounted'
unmount

# A database whose views are older than this build's.
q "DROP VIEW largest; DROP VIEW du; DELETE FROM settings WHERE key = 'views'"
cksum "$dir/fs.db" >"$dir/sum"
"$daemon" -o ro "$dir/fs.db" "$dir/mnt" && unmount
check "a read-only mount leaves older views alone" \
	'cksum "$dir/fs.db" | cmp -s - "$dir/sum"'
"$daemon" "$dir/fs.db" "$dir/mnt" && unmount
check "a read-write mount installs the current views" \
	'[ "$(q "SELECT count(*) FROM sqlite_schema WHERE type = '"'view'"' AND name IN ('"'largest', 'du'"')")" = 2 ] && [ -n "$(q "SELECT value FROM settings WHERE key = '"'views'"'")" ]'
version=$(q "PRAGMA schema_version")
"$daemon" "$dir/fs.db" "$dir/mnt" && unmount
check "current views are left as they are (schema_version $version)" \
	'[ "$(q "PRAGMA schema_version")" = "$version" ] && [ "$(q "PRAGMA integrity_check")" = ok ]'
exit $fail
