#!/bin/sh
# fstab_test.sh - mount the way admins do: mount -t fuse.sqlitefs through
# mount.fuse3, and fstab lines with options, with mount(8) itself.
#
# mount(8) runs its helpers with no PATH, so mount.fuse3's "sh -c sqlitefs"
# finds the daemon only in the shell's default PATH.  The test runs in a
# private mount namespace (unshare -m) where a temporary directory holding
# a sqlitefs symlink is bind-mounted over /usr/local/sbin: the host sees
# neither that nor the test's mounts, and /etc/fstab is never touched (the
# fstab lines are in a temporary file given to mount -T).
# Prints TAP.  Needs root, unshare, mount.fuse3, $SQLITEFS, $MKFS_C.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
if [ -z "${FSTAB_TEST_NS:-}" ]; then
	FSTAB_TEST_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
daemon=$(realpath "${SQLITEFS:?}")
mkfs=${MKFS_C:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/fstab_test.XXXXXX")
chmod 755 "$dir" # other users go through it to the allow_other mount
cleanup() {
	for m in "$dir"/mnt*; do
		grep -q " $m " /proc/mounts && umount -l "$m"
	done
	for p in $(daemons); do kill "$p"; done
	grep -q " /usr/local/sbin " /proc/mounts && umount /usr/local/sbin
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
detach_outside_fuse_mounts
q() { sqlite3 -batch "$1" "$2"; }
mounted() { grep -q " $1 fuse.sqlitefs " /proc/mounts; }
opts() { awk -v m="$1" '$2 == m { print $4 }' /proc/mounts; }

# The command lines of our daemons (they run from the symlink).
daemons() {
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null |
			grep -q "^sqlitefs $dir/" && echo "${p#/proc/}"
	done
}
cmdline_of() {
	for p in $(daemons); do
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null |
			grep " $1 " && return
	done
}

# Unmounts m and waits (10 s at most) for its daemon to exit.
unmount() {
	umount "$1" || return 1
	i=0
	while [ -n "$(cmdline_of "$1")" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -z "$(cmdline_of "$1")" ]
}

mkdir "$dir/bin" "$dir/mnt1" "$dir/mnt2" "$dir/mnt3"
ln -s "$daemon" "$dir/bin/sqlitefs"
mount --bind "$dir/bin" /usr/local/sbin
for i in 1 2 3; do
	"$mkfs" "$dir/fs$i.db" >/dev/null
done

echo "1..14"
mount -t fuse.sqlitefs "$dir/fs1.db" "$dir/mnt1" 2>"$dir/err"; rc=$?
check "mount -t fuse.sqlitefs DATABASE MOUNTPOINT mounts" \
	'[ $rc -eq 0 ] && mounted "$dir/mnt1"'
check "/proc/mounts names the database as the source" \
	'[ "$(awk -v m="$dir/mnt1" '"'"'$2 == m { print $1 }'"'"' /proc/mounts)" = "$dir/fs1.db" ]'
echo written >"$dir/mnt1/file" && sync "$dir/mnt1/file"
check "it is writable and the daemon runs in the background" \
	'[ "$(cat "$dir/mnt1/file")" = written ] && [ -n "$(cmdline_of "$dir/mnt1")" ]'
unmount "$dir/mnt1"; rc=$?
check "umount stops the daemon, the file is stored" \
	'[ $rc -eq 0 ] && [ "$(q "$dir/fs1.db" "SELECT size FROM listing WHERE path = '"'/file'"'")" = 8 ]'

mount -t fuse.sqlitefs -o ro,commit=7 "$dir/fs1.db" "$dir/mnt1" 2>"$dir/err"; rc=$?
check "mount -t with -o ro,commit=7: read-only, options reach the daemon" \
	'[ $rc -eq 0 ] && opts "$dir/mnt1" | grep -q "^ro," && ! touch "$dir/mnt1/x" 2>/dev/null && cmdline_of "$dir/mnt1" | grep -q "commit=7"'
unmount "$dir/mnt1"

cat >"$dir/fstab" <<EOF
# a temporary fstab for mount -T
$dir/fs1.db $dir/mnt1 fuse.sqlitefs noauto,allow_other,commit=7,noatime 0 0
$dir/fs2.db $dir/mnt2 fuse.sqlitefs ro,nofail,_netdev,x-systemd.device-timeout=10s 0 0
$dir/fs3.db $dir/mnt3 fuse.sqlitefs defaults,noauto,bogus_option 0 0
EOF
mount -a -T "$dir/fstab" 2>"$dir/err"; rc=$?
check "mount -a mounts the fstab entry without noauto" \
	'[ $rc -eq 0 ] && mounted "$dir/mnt2" && ! mounted "$dir/mnt1" && ! mounted "$dir/mnt3"'
check "the ro entry is read-only; nofail, _netdev, x-systemd.* are accepted" \
	'opts "$dir/mnt2" | grep -q "^ro," && ! touch "$dir/mnt2/x" 2>/dev/null'
mount -T "$dir/fstab" "$dir/mnt1" 2>"$dir/err"; rc=$?
check "mount MOUNTPOINT mounts the noauto entry" \
	'[ $rc -eq 0 ] && mounted "$dir/mnt1"'
check "allow_other and commit=7 reach the kernel and the daemon" \
	'opts "$dir/mnt1" | grep -q "allow_other" && cmdline_of "$dir/mnt1" | grep -q "commit=7"'
echo shared >"$dir/mnt1/shared"
chmod 644 "$dir/mnt1/shared"
check "another user reads the allow_other mount" \
	'[ "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat "$dir/mnt1/shared")" = shared ]'
check "a user is refused a mount without allow_other" \
	'! setpriv --reuid=65534 --regid=65534 --clear-groups ls "$dir/mnt2" >/dev/null 2>&1'
cksum "$dir/fs3.db" >"$dir/sum"
mount -T "$dir/fstab" "$dir/mnt3" 2>"$dir/err"; rc=$?
check "an unknown option fails the mount with a clear message" \
	'[ $rc -ne 0 ] && ! mounted "$dir/mnt3" && grep -q "unknown option.*bogus_option" "$dir/err" && cksum "$dir/fs3.db" | cmp -s - "$dir/sum"'
unmount "$dir/mnt1" && unmount "$dir/mnt2"; rc=$?
check "umount stops both daemons" '[ $rc -eq 0 ] && [ -z "$(daemons)" ]'
check "both databases pass integrity_check" \
	'[ "$(q "$dir/fs1.db" "PRAGMA integrity_check")" = ok ] && [ "$(q "$dir/fs2.db" "PRAGMA integrity_check")" = ok ] && [ "$(q "$dir/fs1.db" "SELECT size FROM listing WHERE path = '"'/shared'"'")" = 7 ]'
exit $fail
