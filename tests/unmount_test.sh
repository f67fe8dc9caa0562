#!/bin/sh
# unmount_test.sh - "unmounted" means "stored": after each way of
# unmounting, the database file alone holds everything written.
#
# Each round writes files (a few MiB), unmounts, and at once copies the
# database file alone (no -wal), checks that the copy holds exactly the
# files written (byte for byte, read from its tables by python3's sqlite3)
# and that fsck.sqlitefs -n finds it clean.  The routes, $ROUNDS rounds
# each (50 by default):
#   umount MNT               umount(8), which runs umount.fuse.sqlitefs
#   umount.fuse.sqlitefs MNT the helper run by hand
#   fusermount3 -u MNT       then at once, in turn: fsck.sqlitefs -n, a new
#                            mount, flock(1) (the README's way to wait in
#                            a script), mkfs.sqlitefs -f: each waits for
#                            the finishing daemon instead of refusing
# and single cases: a served mount is still refused at once, the waiting
# message, the helper's refusals, a user's mount unmounted by the helper.
#
# umount(8) looks for its helper in /sbin: the test runs in a private
# mount namespace (unshare -m) where an overlay on /usr/sbin adds a
# symlink to the built helper, and a tmpfs on /run/mount holds libmount's
# utab; the host sees none of that, nor the mounts.
# Prints TAP.  Needs root, unshare, overlayfs, fusermount3, python3,
# $SQLITEFS, $MKFS_C, $FSCK, $UMOUNT_HELPER.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
if [ -z "${UNMOUNT_TEST_NS:-}" ]; then
	UNMOUNT_TEST_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
helper=$(realpath -m "${UMOUNT_HELPER:?}")
rounds=${ROUNDS:-50}
dir=$(mktemp -d "${TMPDIR:-/tmp}/unmount_test.XXXXXX")
chmod 755 "$dir"
mnt=$dir/mnt
db=$dir/fs.db
cleanup() {
	grep -q " $mnt " /proc/mounts && umount -l "$mnt"
	grep -q " /usr/sbin overlay " /proc/mounts && umount -l /usr/sbin
	grep -q " /run/mount tmpfs " /proc/mounts && umount -l /run/mount
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
detach_outside_fuse_mounts
mounted() { grep -q " $mnt fuse.sqlitefs " /proc/mounts; }

mkdir "$mnt" "$dir/mnt2" "$dir/user" "$dir/upper" "$dir/work" "$dir/want"
ln -s "$helper" "$dir/upper/umount.fuse.sqlitefs"
# the daemon's utab entry (src/utab.h) goes to a private /run/mount,
# where umount(8) looks for it
unset LIBMOUNT_UTAB
mount -t tmpfs -o mode=755 none /run/mount || exit 1
if ! mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$dir/upper,workdir=$dir/work" /usr/sbin; then
	echo "1..0 # SKIP no overlayfs to put the helper in /usr/sbin"
	exit 0
fi
head -c 4194304 /dev/urandom >"$dir/pattern"

# Writes round $1's files into $dir/want and the mount: "big" rewritten
# with a new size and header, a new small file, the one of 3 rounds
# before removed.
write_round() {
	{ echo "round $1"; head -c $((1048576 + $1 * 40000)) "$dir/pattern"; } >"$dir/want/big"
	echo "small $1" >"$dir/want/small$1"
	rm -f "$dir/want/small$(($1 - 3))"
	cp "$dir/want/big" "$dir/want/small$1" "$mnt/" &&
		rm -f "$mnt/small$(($1 - 3))"
}

# Whether database $1 holds exactly the files of $dir/want, byte for byte.
holds_want() {
	python3 - "$1" "$dir/want" <<'EOF'
import os, sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
bs = con.execute("SELECT value FROM settings WHERE key = 'block_size'").fetchone()[0]
got = {}
for name, ino, size in con.execute("SELECT d.name, i.ino, i.size FROM dentry d JOIN inode i ON i.ino = d.ino WHERE d.parent = 1"):
    buf = bytearray(size)
    for blk, data in con.execute("SELECT block, bytes FROM data WHERE ino = ?", (ino,)):
        buf[blk * bs:blk * bs + len(data)] = data
    got[name] = bytes(buf)
want = {}
for name in os.listdir(sys.argv[2]):
    with open(os.path.join(sys.argv[2], name), "rb") as f:
        want[name] = f.read()
if got != want:
    diff = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))
    print("# %s: differs in %s" % (sys.argv[1], ", ".join(diff)))
    sys.exit(1)
EOF
}

# Whether the database file alone is complete and free: no -wal (fsck -n
# leaves an empty one), no
# process has it open, and a copy made now holds everything, fsck-clean.
stored() {
	why=""
	[ -s "$db-wal" ] && why="$why, a -wal is left"
	fuser -s "$db" 2>/dev/null && why="$why, still open"
	cp "$db" "$dir/copy.db"
	holds_want "$dir/copy.db" || why="$why, the copy lacks data"
	"$fsck" -n "$dir/copy.db" >"$dir/fsck.out" 2>&1 ||
		why="$why, fsck -n of the copy: $?: $(tail -1 "$dir/fsck.out")"
	rm -f "$dir/copy.db" "$dir/copy.db-wal" "$dir/copy.db-shm"
	[ -z "$why" ] && return 0
	echo "# round $r: ${why#, }"
	return 1
}

fresh() {
	rm -f "$dir"/want/* "$db" "$db-wal" "$db-shm"
	"$mkfs" "$db" >/dev/null
}

# Runs $rounds rounds of: mount, write, unmount by "$@", stored.
route() {
	fresh
	r=1
	bad=0
	while [ $r -le "$rounds" ]; do
		if ! "$daemon" "$db" "$mnt" 2>"$dir/err"; then
			echo "# round $r: mount failed: $(cat "$dir/err")"
			bad=1
			break
		fi
		write_round $r || { bad=1; break; }
		if ! "$@" 2>"$dir/err"; then
			echo "# round $r: $*: $(cat "$dir/err")"
			bad=1
			break
		fi
		stored || { bad=1; break; }
		r=$((r + 1))
	done
	mounted && umount -l "$mnt"
	[ $bad -eq 0 ]
}

echo "1..12"
check "umount MNT (umount.fuse.sqlitefs through umount(8)): stored when it returns, $rounds rounds" \
	'route umount "$mnt"'
check "umount.fuse.sqlitefs MNT: stored when it returns, $rounds rounds" \
	'route "$helper" "$mnt"'

# fusermount3 -u, then a program at once: it waits for the daemon.
after_fusermount() {
	fresh
	r=1
	bad=0
	while [ $r -le "$rounds" ]; do
		"$daemon" "$db" "$mnt" 2>"$dir/err" || {
			echo "# round $r: mount failed: $(cat "$dir/err")"
			bad=1
			break
		}
		write_round $r || { bad=1; break; }
		fusermount3 -u "$mnt" || { bad=1; break; }
		case $((r % 4)) in
		0)	# fsck -n waits, finds it clean; then the file alone is whole
			"$fsck" -n "$db" >"$dir/out" 2>&1 ||
				{ echo "# round $r: fsck -n: $?: $(cat "$dir/out")"; bad=1; break; }
			stored || { bad=1; break; } ;;
		1)	# a new mount at once serves the data written
			"$daemon" "$db" "$mnt" 2>"$dir/err" ||
				{ echo "# round $r: remount: $(cat "$dir/err")"; bad=1; break; }
			for f in "$dir"/want/*; do
				cmp -s "$f" "$mnt/${f##*/}" ||
					{ echo "# round $r: remounted: ${f##*/} differs"; bad=1; }
			done
			"$helper" "$mnt" || { bad=1; break; }
			[ $bad -eq 0 ] && stored || { bad=1; break; } ;;
		2)	# the README's wait in a script
			flock -w 60 "$db" true || { bad=1; break; }
			stored || { bad=1; break; } ;;
		3)	# mkfs -f waits, then replaces it
			"$mkfs" -f "$db" >"$dir/out" 2>&1 ||
				{ echo "# round $r: mkfs -f: $(cat "$dir/out")"; bad=1; break; }
			rm -f "$dir"/want/*
			stored || { bad=1; break; } ;;
		esac
		r=$((r + 1))
	done
	mounted && umount -l "$mnt"
	[ $bad -eq 0 ]
}
check "fusermount3 -u, then at once fsck -n, a new mount, flock(1), mkfs -f: each waits, then all is stored, $rounds rounds" \
	'after_fusermount'

# A reader holding the database open (a follower of the change journal,
# a sqlite3 shell), idle between its reads: SQLite's close then cannot
# checkpoint and remove the WAL, so the daemon checkpoints it first.
fresh
python3 -c '
import sqlite3, sys, time
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
con.execute("SELECT count(*) FROM inode").fetchone()
print("open", flush=True)
time.sleep(3600)
' "$db" >"$dir/reader" &
reader=$!
r=1
bad=0
while [ $r -le 5 ] && [ $bad -eq 0 ]; do
	"$daemon" "$db" "$mnt" 2>"$dir/err" || { echo "# mount: $(cat "$dir/err")"; bad=1; break; }
	write_round $r || bad=1
	fusermount3 -u "$mnt" && flock "$db" true || bad=1
	if [ -s "$db-wal" ]; then
		echo "# round $r: the -wal holds $(stat -c %s "$db-wal") bytes"
		bad=1
	fi
	cp "$db" "$dir/copy.db"
	holds_want "$dir/copy.db" || bad=1
	rm -f "$dir/copy.db"
	r=$((r + 1))
done
kill $reader
wait $reader 2>/dev/null
check "a reader holds the database open: the file alone holds everything, the -wal is empty" \
	'[ $bad -eq 0 ] && grep -q open "$dir/reader"'

# A served mount is refused at once, as before.
fresh
"$daemon" "$db" "$mnt"
start=$(date +%s%N)
"$fsck" -n "$db" >"$dir/out" 2>&1; frc=$?
"$daemon" "$db" "$dir/mnt2" 2>"$dir/err"; drc=$?
"$mkfs" -f "$db" >"$dir/out2" 2>&1; mrc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "a served mount: fsck, a second mount, mkfs -f refused at once (${ms} ms)" \
	'[ $frc -eq 8 ] && grep -q "in use" "$dir/out" && [ $drc -ne 0 ] && grep -q "already in use" "$dir/err" && [ $mrc -ne 0 ] && grep -q "in use" "$dir/out2" && [ $ms -lt 2500 ]'
"$helper" "$mnt" || { fusermount3 -u "$mnt"; flock -w 60 "$db" true; }

# A process holding the flock alone looks like a daemon finishing: the
# tools wait for it, and say so.
flock -x -w 10 "$db" sleep 2 &
i=0
while flock -n -s "$db" true && [ $i -lt 100000 ]; do
	i=$((i + 1)) # until the background flock(1) holds it
done
"$fsck" -n "$db" >"$dir/out" 2>"$dir/err"; frc=$?
wait
check "a daemon finishing: fsck waits, says so, then checks" \
	'[ $frc -eq 0 ] && grep -q "waiting for the sqlitefs daemon finishing with $db" "$dir/err"'

"$helper" "$mnt" 2>"$dir/err"; rc=$?
check "the helper: nothing mounted: exit 1, said" \
	'[ $rc -eq 1 ] && grep -q "not mounted" "$dir/err"'
mount -t tmpfs none "$mnt"
"$helper" "$mnt" 2>"$dir/err"; rc=$?
check "the helper: another filesystem is not unmounted" \
	'[ $rc -eq 1 ] && grep -q "not a sqlitefs mount (type tmpfs)" "$dir/err" && grep -q " $mnt tmpfs " /proc/mounts'
umount "$mnt"

# The helper with a trailing slash and a relative path; -l does not wait.
"$daemon" "$db" "$mnt"
(cd "$dir" && "$helper" mnt/) 2>"$dir/err"; rc=$?
check "the helper: a relative MOUNTPOINT/ works" \
	'[ $rc -eq 0 ] && ! mounted && [ ! -e "$db-wal" ]'
"$daemon" "$db" "$mnt"
"$helper" -l "$mnt" 2>"$dir/err"; rc=$?
flock -w 60 "$db" true
check "the helper: -l detaches" '[ $rc -eq 0 ] && ! mounted'

# A user's mount: the helper unmounts it through fusermount3 -u, and so
# does umount(8) run by that user.
db=$dir/user/fs.db
fresh
chown 65534:65534 "$dir/user" "$db" "$mnt"
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! as_user test -r /dev/fuse -a -w /dev/fuse; then
	ok "a user's mount: umount.fuse.sqlitefs as that user # SKIP /dev/fuse is not open to users"
	ok "a user's mount: umount MNT as that user # SKIP /dev/fuse is not open to users"
	exit $fail
fi
as_user "$daemon" "$db" "$mnt" 2>"$dir/err"; rc=$?
if [ $rc -eq 0 ]; then
	echo "user" >"$dir/want/u"
	as_user sh -c "echo user >$mnt/u"
	as_user "$helper" "$mnt" 2>"$dir/err"; rc=$?
fi
check "a user's mount: umount.fuse.sqlitefs as that user stores all" \
	'[ $rc -eq 0 ] && ! mounted && r=user && stored'
as_user "$daemon" "$db" "$mnt" 2>"$dir/err"; rc=$?
if [ $rc -eq 0 ]; then
	echo "user2" >"$dir/want/u2"
	as_user sh -c "echo user2 >$mnt/u2"
	as_user umount "$mnt" 2>"$dir/err"; rc=$?
fi
check "a user's mount: umount MNT as that user stores all" \
	'[ $rc -eq 0 ] && ! mounted && r=user2 && stored'
[ -s "$dir/err" ] && sed 's/^/# /' "$dir/err"
exit $fail
