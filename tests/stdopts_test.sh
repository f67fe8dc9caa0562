#!/bin/sh
# stdopts_test.sh - standard mount options of other filesystems that mean
# nothing on sqlitefs (nodiratime, diratime, lazytime, nolazytime, nomand,
# iversion, noiversion) are accepted: on the command line, and in an
# fstab line copied from ext4 through mount(8) and mount.fuse3; the atime
# options beside them keep their meaning; a directory's atime is not
# moved by listing it.
#
# As in fstab_test.sh, mount(8) runs in a private mount namespace where a
# directory holding a sqlitefs symlink is bind-mounted over
# /usr/local/sbin (its helpers get no PATH), and the fstab is a temporary
# file given to mount -T.
# Prints TAP.  Needs root, unshare, mount.fuse3, $SQLITEFS, $MKFS_C.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
if [ -z "${STDOPTS_TEST_NS:-}" ]; then
	STDOPTS_TEST_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
daemon=$(realpath "${SQLITEFS:?}")
mkfs=${MKFS_C:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/stdopts_test.XXXXXX")
mnt=$dir/mnt
cleanup() {
	grep -q " $mnt " /proc/mounts && umount -l "$mnt"
	grep -q " /usr/local/sbin " /proc/mounts && umount /usr/local/sbin
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
detach_outside_fuse_mounts
mounted() { grep -q " $mnt fuse.sqlitefs " /proc/mounts; }
atime() { stat -c %X "$1"; }
# Unmounts and waits until the daemon let go of the database (its flock).
unmount() {
	umount "$mnt" || return 1
	flock -x -w 10 "$dir/fs.db" true
}

mkdir "$dir/bin" "$mnt"
ln -s "$daemon" "$dir/bin/sqlitefs"
mount --bind "$dir/bin" /usr/local/sbin
"$mkfs" "$dir/fs.db" >/dev/null

echo "1..12"
for o in nodiratime diratime lazytime nolazytime nomand iversion noiversion; do
	"$daemon" -o "$o" "$dir/fs.db" "$mnt" >"$dir/out" 2>&1; rc=$?
	check "-o $o mounts, and the mount works" \
		'[ $rc -eq 0 ] && mounted && echo "$o" >"$mnt/$o" && [ "$(cat "$mnt/$o")" = "$o" ]'
	[ "$(sed q "$dir/out")" ] && sed 's/^/# /' "$dir/out"
	mounted && unmount
done

# An atime of 2001 is more than a day old: relatime moves it at a read.
"$daemon" -o noatime,nodiratime "$dir/fs.db" "$mnt"; rc=$?
echo data >"$mnt/file" && touch -a -d @1000000000 "$mnt/file" && cat "$mnt/file" >/dev/null
check "-o noatime,nodiratime: mounted, and a read leaves atime" \
	'[ $rc -eq 0 ] && [ "$(atime "$mnt/file")" = 1000000000 ]'
unmount
"$daemon" -o relatime,nodiratime,lazytime,iversion "$dir/fs.db" "$mnt"; rc=$?
cat "$mnt/file" >/dev/null
check "-o relatime,nodiratime,lazytime,iversion: a read moves a day-old atime" \
	'[ $rc -eq 0 ] && [ "$(atime "$mnt/file")" -gt 1000000000 ]'
unmount
"$daemon" -o strictatime,diratime "$dir/fs.db" "$mnt"; rc=$?
mkdir "$mnt/d" && touch "$mnt/d/x" && touch -a -d @1000000000 "$mnt/d"
ls "$mnt/d" >/dev/null
check "-o strictatime,diratime: listing a directory leaves its atime (never updated)" \
	'[ $rc -eq 0 ] && [ "$(atime "$mnt/d")" = 1000000000 ]'
unmount

cat >"$dir/fstab" <<EOF
# an ext4 line's options, for mount -T
$dir/fs.db $mnt fuse.sqlitefs noatime,nodiratime,lazytime,nomand,noiversion,commit=7 0 0
EOF
mount -T "$dir/fstab" "$mnt" 2>"$dir/err"; rc=$?
check "an fstab line with noatime,nodiratime,lazytime,nomand,noiversion mounts through mount(8)" \
	'[ $rc -eq 0 ] && mounted && [ "$(cat "$mnt/file")" = data ]'
sed 's/^/# /' "$dir/err"
unmount; rc=$?
check "umount stops the daemon" '[ $rc -eq 0 ]'
exit $fail
