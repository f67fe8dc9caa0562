#!/bin/sh
# space_test.sh - space comes back: statfs counts freed pages as free, a
# second write reuses them, and VACUUM on an unmounted database gives them
# back to the host.  Prints TAP.  Needs root (mounts), $SQLITEFS, $MKFS_C,
# sqlite3, df.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/space_test.XXXXXX")
cleanup() {
	grep -q " $dir/mnt " /proc/mounts && umount -l "$dir/mnt"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
q() { sqlite3 -batch "$dir/fs.db" "$1"; }
size() { stat -c %s "$dir/fs.db"; }
# free KiB of the mount as statfs reports them, less the host's free KiB
# (what other programs write to the disk meanwhile cancels out)
avail() {
	echo $(($(df -k --output=avail "$dir/mnt" | tail -1) - \
		$(df -k --output=avail "$dir" | tail -1)))
}
mount_fs() { "$daemon" "$dir/fs.db" "$dir/mnt"; }
unmount() {
	fusermount3 -u "$dir/mnt" || return 1
	flock -x -w 10 "$dir/fs.db" true # the daemon let go of it
}
# writes MiB of data into file and fsyncs it
put() { dd if=/dev/urandom of="$1" bs=1M count="$2" conv=fsync status=none; }

mkdir "$dir/mnt"
"$mkfs" "$dir/fs.db" >/dev/null
echo "1..7"
mount_fs
put "$dir/mnt/keep" 1
put "$dir/mnt/big" 32
full=$(avail)
rm "$dir/mnt/big"
sync -f "$dir/mnt/keep"
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$dir/mnt"
sleep 1
freed=$(avail)
check "statfs counts the deleted file's pages as free (+$((freed - full)) KiB)" \
	'[ $((freed - full)) -ge 30000 ]'
unmount
before=$(size)
mount_fs
put "$dir/mnt/big2" 32
unmount
after=$(size)
check "a second 32 MiB file reuses the free pages ($before -> $after bytes)" \
	'[ "$after" -le $((before + 2 * 1048576)) ]'
rm_ok=$(mount_fs && rm "$dir/mnt/big2" && unmount && echo yes)
check "delete it again" '[ "$rm_ok" = yes ]'
before=$(size)
q "VACUUM" >/dev/null
after=$(size)
check "VACUUM of the unmounted database gives the space back ($before -> $after bytes)" \
	'[ "$after" -le $((before - 30 * 1048576)) ]'
check "the vacuumed database is still a sqlitefs database" \
	'[ "$(q "PRAGMA integrity_check")" = ok ] && [ "$(q "PRAGMA application_id")" = 1397835347 ] && [ "$(q "PRAGMA journal_mode")" = wal ]'
mount_fs
check "it mounts, and the kept file is intact" \
	'[ "$(stat -c %s "$dir/mnt/keep")" = 1048576 ] && cat "$dir/mnt/keep" >/dev/null'
unmount
check "unmounted cleanly, integrity ok" '[ "$(q "PRAGMA integrity_check")" = ok ]'
exit $fail
