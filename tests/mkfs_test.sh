#!/bin/sh
# mkfs_test.sh - scripts/mkfs.sh: usage, refusals, options, the result
# Prints TAP.  Needs the sqlite3 shell.
set -u
mkfs=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/mkfs_test.XXXXXX")
trap 'rm -rf "$dir"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
q() { sqlite3 -batch "$dir/$1" "$2"; }

echo "1..12"
"$mkfs" >/dev/null 2>"$dir/err"; rc=$?
check "no argument: exit 2 with a usage line" \
	'[ $rc -eq 2 ] && grep -q "^usage: " "$dir/err"'
"$mkfs" -b 1000 "$dir/x.db" >/dev/null 2>"$dir/err"; rc=$?
check "bad block size refused, nothing created" \
	'[ $rc -ne 0 ] && [ ! -e "$dir/x.db" ] && [ -s "$dir/err" ]'
"$mkfs" -q "$dir/x.db" >/dev/null 2>&1; rc=$?
check "unknown option: exit 2" '[ $rc -eq 2 ] && [ ! -e "$dir/x.db" ]'
"$mkfs" "$dir/fs.db" >/dev/null 2>&1; rc=$?
check "creates a database" '[ $rc -eq 0 ] && [ -f "$dir/fs.db" ]'
check "format identified" \
	'[ "$(q fs.db "PRAGMA application_id")" = 1397835347 ] && [ "$(q fs.db "PRAGMA user_version")" = 2 ]'
check "root directory, owned by the caller" \
	'[ "$(q fs.db "SELECT mode, nlink, uid FROM inode WHERE ino = 1")" = "16877|2|$(id -u)" ]'
check "integrity_check ok, WAL journal, default block size" \
	'[ "$(q fs.db "PRAGMA integrity_check")" = ok ] && [ "$(q fs.db "PRAGMA journal_mode")" = wal ] && [ "$(q fs.db "SELECT value FROM settings WHERE key = '"'block_size'"'")" = 65536 ]'
cksum "$dir/fs.db" >"$dir/sum"
"$mkfs" "$dir/fs.db" >/dev/null 2>"$dir/err"; rc=$?
check "refuses to overwrite, file unchanged" \
	'[ $rc -ne 0 ] && grep -q "already exists" "$dir/err" && cksum "$dir/fs.db" | cmp -s - "$dir/sum"'
q fs.db "INSERT INTO settings VALUES ('marker', 1)"
"$mkfs" -f -b 4096 -p 4096 "$dir/fs.db" >/dev/null 2>&1; rc=$?
check "-f overwrites" \
	'[ $rc -eq 0 ] && [ -z "$(q fs.db "SELECT value FROM settings WHERE key = '"'marker'"'")" ]'
check "-b and -p are stored" \
	'[ "$(q fs.db "SELECT value FROM settings WHERE key = '"'block_size'"'")" = 4096 ] && [ "$(q fs.db "PRAGMA page_size")" = 4096 ]'
"$mkfs" "$dir/missing/fs.db" >/dev/null 2>&1; rc=$?
check "missing directory refused" '[ $rc -ne 0 ]'
check "listing view answers" \
	'[ "$(q fs.db "SELECT path, type, perms FROM listing")" = "/|dir|drwxr-xr-x" ]'
exit $fail
