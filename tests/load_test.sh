#!/bin/sh
# load_test.sh - mkfs.sqlitefs -d: load a tree of every kind of inode,
# mount it, and compare with the source (contents, modes, owners, times,
# hard links, xattrs); refusals and failures leave nothing behind.
# Prints TAP.  Needs root (chown, mknod, trusted.* xattrs), $MKFS_C (the
# mkfs.sqlitefs binary), $SQLITEFS, python3, sqlite3, setfattr.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mkfs=${MKFS_C:?}
daemon=${SQLITEFS:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/load_test.XXXXXX")
pid=""
cleanup() {
	if grep -q " $dir/mnt " /proc/mounts; then
		fusermount3 -u "$dir/mnt" 2>/dev/null || umount -l "$dir/mnt"
	fi
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
q() { sqlite3 -batch "$1" "$2"; }

# The source tree: every inode type, odd modes and owners, hard links
# across directories, holes, all-zero blocks, xattrs, set times.
src=$dir/src
mkdir -p "$src/d/e/f" "$src/empty" "$src/sticky" "$src/sgid"
chmod 1777 "$src/sticky"
chmod 2775 "$src/sgid"
chown 1234:5678 "$src/sgid"
echo hello >"$src/hello.txt"
: >"$src/empty.file"
head -c 300000 /dev/urandom >"$src/d/random.bin"
printf 'begin' >"$src/sparse"
truncate -s 5000000 "$src/sparse"
printf 'end' >>"$src/sparse"
truncate -s 1000000 "$src/hole-only"
head -c 200000 /dev/zero >"$src/zeros"
echo "in sgid dir" >"$src/sgid/file"
echo linked >"$src/d/e/link1"
ln "$src/d/e/link1" "$src/link2"
ln "$src/d/e/link1" "$src/d/e/f/link3"
ln -s hello.txt "$src/rel-link"
ln -s /etc/passwd "$src/abs-link"
ln -s does/not/exist "$src/dangling"
ln -s "$(printf 'x%.0s' $(seq 1 1000))" "$src/long-link"
ln -s hello.txt "$src/d/linked-symlink"
ln "$src/d/linked-symlink" "$src/d/linked-symlink2"
mkfifo "$src/fifo"
mknod "$src/null" c 1 3
mknod "$src/loop" b 7 0
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$src/socket"
echo "name with spaces" >"$src/a name with spaces"
echo utf8 >"$src/été — ünïcödé"
echo dash >"$src/-dash"
echo suid >"$src/suid" && chmod 4755 "$src/suid"
echo sgid >"$src/sgid-file" && chmod 2755 "$src/sgid-file"
echo none >"$src/mode-000" && chmod 000 "$src/mode-000"
chmod 0600 "$src/hello.txt"
chown 65534:65534 "$src/hello.txt" "$src/d"
chown -h 1234:5678 "$src/rel-link"
chown 1234:5678 "$src/fifo" "$src/d/random.bin"
setfattr -n user.comment -v "a comment" "$src/hello.txt"
setfattr -n user.binary -v 0x00ff10 "$src/hello.txt"
setfattr -n user.empty "$src/hello.txt"
setfattr -n user.on-dir -v yes "$src/d"
setfattr -n trusted.secret -v 42 "$src/d/random.bin"
setfattr -n security.loaded -v yes "$src/d/random.bin"
setfattr -h -n trusted.on-link -v 1 "$src/rel-link"
setfattr -n user.on-link -v shared "$src/link2"
setfattr -n user.top -v root "$src"
touch -d '2001-02-03 04:05:06.123456789' "$src/hello.txt"
touch -a -d '2002-03-04 05:06:07.987654321' "$src/hello.txt"
touch -h -d '1999-12-31 23:59:59.5' "$src/rel-link"
touch -d '2010-01-01 00:00:00' "$src/fifo" "$src/sparse"
touch -d '2020-02-02 02:02:02.2' "$src/d/e" "$src/empty"
touch -d '1980-01-01 00:00:01' "$src"

echo "1..20"
python3 "$here/treedesc.py" "$src" >"$dir/before" 2>"$dir/err"
check "the source tree is described" '[ -s "$dir/before" ] && [ ! -s "$dir/err" ]'

"$mkfs" -d "$src" "$dir/fs.db" >"$dir/out" 2>"$dir/err"; rc=$?
check "mkfs.sqlitefs -d loads it" '[ $rc -eq 0 ] && grep -q "loaded" "$dir/out" && [ ! -s "$dir/err" ]'
check "integrity_check and foreign_key_check are clean" \
	'[ "$(q "$dir/fs.db" "PRAGMA integrity_check")" = ok ] && [ -z "$(q "$dir/fs.db" "PRAGMA foreign_key_check")" ]'
check "no temporary file is left" '[ "$(ls "$dir")" = "$(printf "before\nerr\nfs.db\nout\nsrc")" ]'
check "all-zero blocks and holes are not stored" \
	'[ "$(q "$dir/fs.db" "SELECT stored FROM listing WHERE path IN ('"'/zeros', '/hole-only'"')" | sort -u)" = 0 ] && [ "$(q "$dir/fs.db" "SELECT stored <= 2 * 65536 FROM listing WHERE path = '"'/sparse'"'")" = 1 ]'
check "hard links share one inode, also for symlinks" \
	'[ "$(q "$dir/fs.db" "SELECT count(DISTINCT ino), max(nlink) FROM listing WHERE path LIKE '"'%/link_'"'")" = "1|3" ] && [ "$(q "$dir/fs.db" "SELECT count(DISTINCT ino) FROM listing WHERE path LIKE '"'/d/linked-symlink%'"'")" = 1 ]'
bt_src=$(stat -c '%W %w' "$src/d/random.bin" | sed 's/^\([0-9]*\) [^ ]* [0-9:]*\.\([0-9]*\) .*/\1\2/')
bt_db=$(q "$dir/fs.db" "SELECT i.crtime FROM paths p JOIN inode i ON i.ino = p.ino WHERE p.path = '/d/random.bin'")
check "birth time is kept ($bt_src)" '[ "$bt_src" = "$bt_db" ]'
check "the load is where history begins: no event, journal on, start = next" \
	'[ "$(q "$dir/fs.db" "SELECT count(*) FROM journal")" = 0 ] && [ "$(q "$dir/fs.db" "SELECT group_concat(value, \",\") FROM (SELECT value FROM settings WHERE key IN ('"'journal', 'journal_start', 'journal_next'"') ORDER BY key)")" = "1,2,2" ]'

mkdir "$dir/mnt"
"$daemon" -f -o noatime "$dir/fs.db" "$dir/mnt" 2>"$dir/daemon.log" &
pid=$!
dev0=$(stat -c %d "$dir")
i=0
while [ "$(stat -c %d "$dir/mnt")" = "$dev0" ] && [ $i -lt 100 ] &&
	kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
check "the loaded filesystem mounts" '[ "$(stat -c %d "$dir/mnt")" != "$dev0" ]'
# getxattr of a security.* name may skip the query only while there is
# none: the first one asked of a mounted database that has one is found
check "a loaded security.* attribute is found at the first getxattr" \
	'[ "$(getfattr --absolute-names --only-values -n security.loaded "$dir/mnt/d/random.bin" 2>&1)" = yes ]'
python3 "$here/treedesc.py" "$dir/mnt" >"$dir/after" 2>"$dir/err"
sed "s|$src|ROOT|" "$dir/before" >"$dir/b"
sed "s|$dir/mnt|ROOT|" "$dir/after" >"$dir/a"
if diff "$dir/b" "$dir/a" >"$dir/diff"; then
	ok "the mounted tree equals the source: contents, modes, owners, times, links, xattrs"
else
	not_ok "the mounted tree equals the source"
	sed 's/^/# /' "$dir/diff"
fi
check "the description covers every entry" '[ "$(wc -l <"$dir/a")" -eq "$(find "$src" | wc -l)" ]'
fusermount3 -u "$dir/mnt"
wait $pid
rc=$?
pid=""
check "the daemon exits 0" '[ $rc -eq 0 ]'
[ $rc -eq 0 ] || sed 's/^/# /' "$dir/daemon.log"

# Refusals and failures: nothing is created or changed.
"$mkfs" -d "$dir/none" "$dir/x.db" >/dev/null 2>"$dir/err"; rc=$?
check "a missing DIR is refused, nothing is created" \
	'[ $rc -ne 0 ] && [ ! -e "$dir/x.db" ] && grep -q "none" "$dir/err"'
"$mkfs" -d "$src/hello.txt" "$dir/x.db" >/dev/null 2>"$dir/err"; rc=$?
check "a DIR that is a file is refused" \
	'[ $rc -ne 0 ] && [ ! -e "$dir/x.db" ] && grep -q "not a directory" "$dir/err"'
cksum "$dir/fs.db" >"$dir/sum"
"$mkfs" -d "$src" "$dir/fs.db" >/dev/null 2>"$dir/err"; rc=$?
check "an existing database is not overwritten without -f" \
	'[ $rc -ne 0 ] && grep -q "already exists" "$dir/err" && cksum "$dir/fs.db" | cmp -s - "$dir/sum"'
# a path longer than PATH_MAX makes the load fail midway
deep=$dir/deep
mkdir "$deep"
python3 -c '
import os, sys
os.chdir(sys.argv[1])
for i in range(18):
    os.mkdir("d" * 250)
    os.chdir("d" * 250)
open("file", "w").write("x")' "$deep"
"$mkfs" -f -d "$deep" "$dir/fs.db" >/dev/null 2>"$dir/err"; rc=$?
check "a load that fails midway leaves the old database and no temporary file" \
	'[ $rc -ne 0 ] && grep -q "too long" "$dir/err" && cksum "$dir/fs.db" | cmp -s - "$dir/sum" && [ -z "$(ls "$dir" | grep mkfs)" ]'
rm -rf "$deep"
"$daemon" -f "$dir/fs.db" "$dir/mnt" 2>"$dir/daemon.log" &
pid=$!
i=0
while [ "$(stat -c %d "$dir/mnt")" = "$dev0" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$mkfs" -f -d "$src" "$dir/fs.db" >/dev/null 2>"$dir/err"; rc=$?
check "a database in use by the daemon is not replaced, even with -f" \
	'[ $rc -ne 0 ] && grep -q "in use" "$dir/err" && [ "$(q "$dir/fs.db" "PRAGMA integrity_check")" = ok ]'
fusermount3 -u "$dir/mnt"
wait $pid
pid=""
# the database may be inside the tree it loads: it does not load itself
"$mkfs" -d "$src" "$src/self.db" >/dev/null 2>"$dir/err"; rc=$?
check "a database inside DIR does not load itself" \
	'[ $rc -eq 0 ] && [ -z "$(q "$src/self.db" "SELECT path FROM paths WHERE name LIKE '"'self.db%'"'")" ]'
rm -f "$src/self.db"
"$mkfs" -v -d "$src" "$dir/v.db" >"$dir/out" 2>"$dir/err"; rc=$?
check "-v reports what was loaded" \
	'[ $rc -eq 0 ] && grep -q "loaded $src: 1[0-9] files" "$dir/out"'
exit $fail
