#!/bin/sh
# remount_test.sh - mount -o remount,ro and remount,rw of a sqlitefs mount,
# through mount(8) and mount.fuse3 as a user runs them.
#
# Read-only after a remount: the pages the kernel still cached are in the
# database when mount(8) returns, every change fails with EROFS, reads
# work and change nothing in the database (no atime update); files open
# for writing make the remount fail, as on ext4.  Back to read-write,
# writes and atime updates work again and persist.  A daemon serving
# read-only (-o ro) cannot be remounted read-write; options the running
# daemon cannot change are refused; nosuid and nodev stay.
#
# mount.fuse3 runs "sqlitefs" from the PATH mount(8) sets: the test runs
# in a private mount namespace (unshare -m) where /usr/local/bin is a
# directory holding a link to the built daemon.  Prints TAP.  Needs root,
# unshare, mount.fuse3, python3, sqlite3, $SQLITEFS, $MKFS_C, $FSCK.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
if [ -z "${REMOUNT_TEST_NS:-}" ]; then
	REMOUNT_TEST_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
daemon=$(realpath "${SQLITEFS:?}")
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/remount_test.XXXXXX")
chmod 755 "$dir"
mnt="$dir/m nt" # mountinfo escapes the space: \040
cleanup() {
	mountpoint -q "$mnt" && umount -l "$mnt"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
detach_outside_fuse_mounts
mkdir "$dir/bin" "$mnt"
ln -s "$daemon" "$dir/bin/sqlitefs"
mount --bind "$dir/bin" /usr/local/bin || exit 1

query() { sqlite3 -batch "$dir/fs.db" "$1"; }
info() { awk -v m="$(printf '%s' "$mnt" | sed 's/ /\\\\040/g')" '$5 == m' /proc/self/mountinfo | tail -n 1; }
# The mount's and the superblock's ro/rw: "ro ro" after a remount,ro.
modes() { info | awk '{ split($6, a, ","); for (i = 7; $i != "-"; i++); split($(i + 3), b, ","); print a[1], b[1] }'; }
unmount() { umount "$mnt" && flock -x -w 10 "$dir/fs.db" true; }
# fsync of the root directory: the daemon commits its batch.
commit() { python3 -c 'import os, sys; os.fsync(os.open(sys.argv[1], os.O_RDONLY))' "$mnt"; }
# What a read must not change: every inode's times, and the journal.
state() { query "SELECT group_concat(ino || ':' || atime || ':' || ctime) FROM inode; SELECT value FROM settings WHERE key = 'journal_next'"; }
# Each change a user makes, in a mount of $1; prints what each gave.
changes() {
	python3 - "$1" <<'EOF'
import errno, os, sys
m = sys.argv[1]
def try_(name, fn):
    try:
        fn()
        print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
try_("create", lambda: os.close(os.open(m + "/new", os.O_WRONLY | os.O_CREAT, 0o644)))
try_("write", lambda: os.close(os.open(m + "/cached", os.O_WRONLY)))
try_("mkdir", lambda: os.mkdir(m + "/newdir"))
try_("setxattr", lambda: os.setxattr(m + "/cached", "user.k", b"v"))
try_("rename", lambda: os.rename(m + "/cached", m + "/moved"))
try_("chmod", lambda: os.chmod(m + "/old", 0o600))
try_("unlink", lambda: os.unlink(m + "/old"))
EOF
}

"$mkfs" "$dir/fs.db" >/dev/null
echo "1..15"
"$daemon" "$dir/fs.db" "$mnt" || exit 1
echo old >"$mnt/old"
touch -a -d 2001-01-01 "$mnt/old"
sync "$mnt/old"
echo "cached, not synced" >"$mnt/cached"

exec 3>>"$mnt/old"
mount -o remount,ro "$mnt" 2>"$dir/err"
rc=$?
exec 3>&-
check "a file open for writing: the remount fails, as on ext4" \
	'[ $rc -ne 0 ] && grep -q "open for writing" "$dir/err" && [ "$(modes)" = "rw rw" ]'

mount -o remount,ro "$mnt" 2>"$dir/err"
rc=$?
check "mount -o remount,ro: exit 0, read-only, nosuid and nodev kept" \
	'[ $rc -eq 0 ] && [ "$(modes)" = "ro ro" ] && info | grep -q " ro,nosuid,nodev," || { sed "s/^/# /" "$dir/err"; info | sed "s/^/# /"; false; }'
check "what the kernel cached is in the database when it returns" \
	'[ "$(query "SELECT size FROM listing WHERE path = '\''/cached'\''")" = 19 ]'
before=$(state)
changes "$mnt" >"$dir/out"
check "every change fails with EROFS" \
	'[ "$(grep -vc " EROFS$" "$dir/out")" = 0 ] && [ "$(wc -l <"$dir/out")" = 7 ] || sed "s/^/# /" "$dir/out"'
echo 3 >/proc/sys/vm/drop_caches
got=$(cat "$mnt/old" "$mnt/cached")
check "reads work" '[ "$got" = "old
cached, not synced" ]'
commit # whatever the reads changed
check "reads change nothing in the database, not even atime" \
	'[ "$(state)" = "$before" ] && [ "$(query "SELECT atime / 1000000000 FROM inode WHERE ino = (SELECT ino FROM listing WHERE path = '\''/old'\'')")" = "$(date -d 2001-01-01 +%s)" ]'

mount -o remount,rw "$mnt" 2>"$dir/err"
rc=$?
check "mount -o remount,rw: exit 0, read-write, nosuid and nodev kept" \
	'[ $rc -eq 0 ] && [ "$(modes)" = "rw rw" ] && info | grep -q " rw,nosuid,nodev," || { sed "s/^/# /" "$dir/err"; info | sed "s/^/# /"; false; }'
changes "$mnt" >"$dir/out"
check "every change works again" \
	'[ "$(grep -vc " ok$" "$dir/out")" = 0 ] || sed "s/^/# /" "$dir/out"'
echo 3 >/proc/sys/vm/drop_caches
echo new >"$mnt/new"
cat "$mnt/moved" >/dev/null
sync "$mnt/moved"
touch -a -d 2001-01-01 "$mnt/moved"
echo 3 >/proc/sys/vm/drop_caches
cat "$mnt/moved" >/dev/null
check "reads update atime again" \
	'[ "$(stat -c %X "$mnt/moved")" != "$(date -d 2001-01-01 +%s)" ]'

mount -o remount,commit=3,noexec "$mnt" 2>"$dir/err"
rc=$?
mount -o remount,ro "$mnt" 2>>"$dir/err" && mount -o remount,rw "$mnt" 2>>"$dir/err"
rc2=$?
check "remount,noexec adds noexec, later remounts keep it; commit= stays as it is" \
	'[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ "$(modes)" = "rw rw" ] && info | grep -q " rw,nosuid,nodev,noexec," || { sed "s/^/# /" "$dir/err"; info | sed "s/^/# /"; false; }'
"$daemon" "$dir/fs.db" "$mnt" -o remount,ro 2>"$dir/err" && ro_info=$(info) &&
	"$daemon" "$dir/fs.db" "$mnt" -o remount,rw 2>>"$dir/err"
rc=$?
check "run by hand, without the flags: the mount keeps nosuid, nodev, noexec" \
	'[ $rc -eq 0 ] && echo "$ro_info" | grep -q " ro,nosuid,nodev,noexec," && info | grep -q " rw,nosuid,nodev,noexec," || { sed "s/^/# /" "$dir/err"; echo "$ro_info" | sed "s/^/# /"; false; }'
mount -o remount,bdi_max_ratio=23 "$mnt" 2>"$dir/err"
rc=$?
check "remount,bdi_max_ratio=23 sets the mount's max_ratio" \
	'[ $rc -eq 0 ] && [ "$(cat "/sys/class/bdi/$(info | cut -d" " -f3)/max_ratio")" = 23 ]'

unmount
"$fsck" -n "$dir/fs.db" >"$dir/fsck" 2>&1
rc=$?
check "after the unmount: everything written is stored, fsck clean" \
	'[ $rc -eq 0 ] && [ "$(query "SELECT group_concat(path, '\'' '\'') FROM (SELECT path FROM listing ORDER BY path)")" = "/ /moved /new /newdir" ] || { sed "s/^/# /" "$dir/fsck"; false; }'

"$daemon" -o ro "$dir/fs.db" "$mnt" || exit 1
mount -o remount,rw "$mnt" 2>"$dir/err"
rc=$?
check "a daemon serving read-only: remount,rw refused, still read-only" \
	'[ $rc -ne 0 ] && grep -q "served read-only" "$dir/err" && [ "$(modes)" = "ro ro" ] && ! touch "$mnt/x" 2>/dev/null'
unmount
check "the database is sound" '[ "$(query "PRAGMA integrity_check")" = ok ]'
exit $fail
