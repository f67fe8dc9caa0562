#!/bin/sh
# background_test.sh - sqlitefs without -f returns only once it serves:
# exit 0 with the mount answering at once, or exit 1 with the reason on
# stderr, nothing mounted and no daemon left.  Prints TAP.  Needs root
# (mounts), $SQLITEFS, $MKFS_C, sqlite3, flock.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/background_test.XXXXXX")
shell=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$shell" ] && kill "$shell" 2>/dev/null
	grep -q " $dir/mnt " /proc/mounts && umount -l "$dir/mnt"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
mounted() { grep -q " $dir/mnt fuse.sqlitefs " /proc/mounts; }
# The mountpoint is the directory itself again, not a mounted root.
bare() { [ "$(stat -c %d "$dir/mnt")" = "$(stat -c %d "$dir")" ]; }
# No daemon holds the database (each holds its flock until it exits).
no_daemon() { flock -n -x "$dir/fs.db" true; }
# Waits up to 10 s for a line in a file.
wait_for() {
	i=0
	while ! grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

mkdir "$dir/mnt" "$dir/src"
echo hello >"$dir/src/hello"
"$mkfs" -d "$dir/src" "$dir/fs.db" >/dev/null

echo "1..7"
# Another program holds SQLite's write lock: the daemon cannot open the
# database for writing (it gives up after SQLite's busy timeout).
mkfifo "$dir/in"
sqlite3 "$dir/fs.db" <"$dir/in" >"$dir/shell.out" 2>&1 &
shell=$!
exec 3>"$dir/in"
echo "BEGIN IMMEDIATE; SELECT 'holding';" >&3
if wait_for holding "$dir/shell.out"; then
	ok "a sqlite3 shell holds the write lock"
else
	not_ok "a sqlite3 shell holds the write lock: $(cat "$dir/shell.out")"
fi
timeout 60 "$daemon" "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>"$dir/err"
rc=$?
sed 's/^/# /' "$dir/err"
check "the command exits 1 (it exited $rc)" '[ $rc -eq 1 ]'
check "the reason is on stderr, on one line" \
	'[ "$(cat "$dir/err")" = "sqlitefs: $dir/fs.db: in use by another program (it holds the write lock)" ] && [ ! -s "$dir/out" ]'
check "nothing is mounted, and no daemon is left" \
	'! mounted && bare && no_daemon'
echo "COMMIT; .quit" >&3
exec 3>&-
wait "$shell"
shell=

# A normal mount: the command returns once the daemon serves.
"$daemon" "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>"$dir/err"
rc=$?
content=$(cat "$dir/mnt/hello" 2>&1)
check "without the lock it exits 0, and a file reads at once" \
	'[ $rc -eq 0 ] && [ "$content" = hello ] && mounted && [ ! -s "$dir/err" ] && [ ! -s "$dir/out" ]'
check "the daemon keeps the database locked" '! no_daemon'
umount "$dir/mnt" && flock -x -w 10 "$dir/fs.db" true
check "unmounted, the daemon exits" '! mounted && bare && no_daemon'
exit $fail
