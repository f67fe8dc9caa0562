#!/bin/sh
# tools_test.sh - fsck.sqlitefs and mkfs.sqlitefs at the edges
#
#  - files that end in the last possible block, and on each side of the
#    block boundaries below 2^63 - 1 (the largest file size), written
#    through a real mount with 4096- and 512-byte blocks: fsck -n finds
#    them clean, fsck -y changes nothing, and every byte reads back;
#  - fsck -n leaves nothing beside a clean database (no -wal, no -shm) and
#    the file byte for byte as it was;
#  - mkfs.sqlitefs on a read-only filesystem, and in a directory the user
#    cannot write, says why.
# Prints TAP.  Needs root (mounts), $SQLITEFS, $MKFS_C, $FSCK, python3.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/tools_test.XXXXXX")
trap cleanup_mount EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/mount_util.sh"

# no -wal or -shm beside DB
alone() { [ ! -e "$1-wal" ] && [ ! -e "$1-shm" ]; }

# edge.py write|read MNT BS: writes the files, or checks them
cat >"$dir/edge.py" <<'PY'
import os, sys
what, mnt, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
top = 2**63 - 1                 # the largest file size
last = (top - 1) // bs * bs     # where the last possible block starts
files = {}                      # name: [(offset, bytes)]
for end in sorted({top, top - 1, last - 1, last, last + 1,
                   last - bs - 1, last - bs, last - bs + 1}):
    files["end%d" % end] = [(end - 1, bytes([end % 251 + 1]))]
files["straddle"] = [(last - 1, b"ab"), (last - bs - 1, b"cd")]
files["lastblock"] = [(last, bytes(range(1, 256)) * (bs // 255) +
                       b"z" * (top - last - bs // 255 * 255))]
files["tail3"] = [(top - 3, b"xyz"), (0, b"head")]
bad = 0
for name, writes in files.items():
    path = os.path.join(mnt, name)
    size = max(off + len(b) for off, b in writes)
    if what == "write":
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        for off, b in writes:
            if os.pwrite(fd, b, off) != len(b):
                bad += 1
        os.fsync(fd)
        os.close(fd)
        continue
    fd = os.open(path, os.O_RDONLY)
    if os.fstat(fd).st_size != size:
        print("# %s: size %d, want %d" % (name, os.fstat(fd).st_size, size))
        bad += 1
    for off, b in writes:
        got = os.pread(fd, len(b), off)
        if got != b:
            print("# %s: at %d read %r, want %r" % (name, off, got[:8], b[:8]))
            bad += 1
    os.close(fd)
sys.exit(1 if bad else 0)
PY

chmod 0755 "$dir" # for the user 65534 below
mkdir "$dir/mnt"
echo "1..23"
for bs in 4096 512; do
	img=$dir/edge$bs.db
	"$mkfs" -b $bs -p 4096 "$img" >/dev/null
	written=no
	if mount_db "$img"; then
		python3 "$dir/edge.py" write "$dir/mnt" $bs && written=yes
		umount_db || written=no
	fi
	check "$bs-byte blocks: files ending at and near 2^63 - 1 written" \
		'[ $written = yes ]'
	sum=$(md5sum <"$img")
	expect_exit 0 "$bs-byte blocks: fsck -n finds them clean" "$fsck" -n "$img"
	check "$bs-byte blocks: fsck -n changed nothing" \
		'[ "$(md5sum <"$img")" = "$sum" ]'
	expect_exit 0 "$bs-byte blocks: fsck -y repairs nothing" "$fsck" -y "$img"
	check "$bs-byte blocks: fsck -y changed nothing" \
		'[ "$(md5sum <"$img")" = "$sum" ]'
	read_back=no
	if mount_db "$img"; then
		python3 "$dir/edge.py" read "$dir/mnt" $bs && read_back=yes
		umount_db || read_back=no
	fi
	check "$bs-byte blocks: every byte reads back after fsck" \
		'[ $read_back = yes ]'
done

# fsck -n beside a clean, unmounted database: nothing left behind
img=$dir/clean.db
"$mkfs" "$img" >/dev/null
mount_db "$img" && echo hello >"$dir/mnt/f" && umount_db
check "a clean unmounted database stands alone" 'alone "$img"'
sum=$(md5sum <"$img")
expect_exit 0 "fsck -n on it is clean" "$fsck" -n "$img"
check "fsck -n left no -wal or -shm" 'alone "$img"'
check "fsck -n left the file byte for byte as it was" \
	'[ "$(md5sum <"$img")" = "$sum" ]'
expect_exit 0 "fsck -y on it is clean" "$fsck" -y "$img"
check "fsck -y left no -wal or -shm" 'alone "$img"'
chmod 0444 "$img"
expect_exit 0 "fsck -n on the file made read-only" setpriv --reuid=65534 \
	--regid=65534 --clear-groups "$fsck" -n "$img"
chmod 0644 "$img"

# mkfs.sqlitefs where nothing can be written: the reason, and no file
mkdir "$dir/ro"
expect_exit 1 "mkfs on a read-only filesystem fails" unshare -m sh -c \
	'mount -t tmpfs -o ro none "$1" && exec "$2" "$1/fs.db"' _ \
	"$dir/ro" "$mkfs"
check "mkfs on a read-only filesystem: the reason" \
	'grep -q "Read-only file system" "$dir/out"'
mkdir -m 0555 "$dir/locked"
expect_exit 1 "mkfs in a directory the user cannot write fails" \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$mkfs" "$dir/locked/fs.db"
check "mkfs in a directory the user cannot write: the reason" \
	'grep -q "Permission denied" "$dir/out" && [ -z "$(ls "$dir/locked")" ]'
exit $fail
