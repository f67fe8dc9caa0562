#!/bin/sh
# overlay_test.sh - sqlitefs as the upper layer of an overlay mount,
# beside a directory of the local disk as the reference upper layer.
#
# overlayfs needs RENAME_WHITEOUT of its upper filesystem: it mounts only
# if rename(2) can leave a whiteout behind.  Both overlays get the same
# lower tree and the same creates, deletes, renames and writes; their
# merged views and their upper layers (whiteouts included) must be the
# same.  Then both are unmounted, sqlitefs too, fsck.sqlitefs finds its
# database clean, and after mounting again the merged view is unchanged.
# Runs in a private mount namespace.  Prints TAP.  Needs root, unshare,
# overlayfs, $SQLITEFS, $MKFS_C, $FSCK, sqlite3.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
if [ -z "${OVERLAY_TEST_NS:-}" ]; then
	OVERLAY_TEST_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/overlay_test.XXXXXX")
cleanup() {
	for m in "$dir/ov" "$dir/ovref" "$dir/mnt"; do
		grep -q " $m " /proc/mounts && umount -l "$m"
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
detach_outside_fuse_mounts

# The merged view: type, mode, path, and each file's contents.
view() {
	(cd "$1" && find . -printf '%y %m %p\n' | sort &&
		find . -type f -exec sha256sum {} + | sort -k 2)
}
# An upper layer: type, mode, path, and the device of character devices
# (the whiteouts).
upper() {
	(cd "$1" && find . -printf '%y %m %p\n' | sort &&
		find . -type c -exec stat -c '%n %t:%T' {} + | sort)
}
overlay() { # overlay UPPERFS MOUNTPOINT
	mount -t overlay overlay -o "lowerdir=$dir/lower,upperdir=$1/upper,workdir=$1/work" "$2"
}
# The same changes in both merged views; stops at the first that fails.
change() {
	rm "$1/a" &&
		mv "$1/b" "$1/b2" &&
		rm -r "$1/ld" &&
		mv "$1/ld2" "$1/ld3" &&
		echo new >"$1/n" &&
		mkdir "$1/nd" &&
		echo more >>"$1/keep" &&
		mkdir "$1/ld" && echo again >"$1/ld/c2" &&
		mv "$1/n" "$1/nd/n" &&
		rm "$1/ld3/x"
}

mkdir -p "$dir/lower/ld/sub" "$dir/lower/ld2" "$dir/mnt" "$dir/ref" \
	"$dir/ov" "$dir/ovref"
echo a >"$dir/lower/a"
echo b >"$dir/lower/b"
echo keep >"$dir/lower/keep"
echo c >"$dir/lower/ld/sub/c"
echo x >"$dir/lower/ld2/x"
echo y >"$dir/lower/ld2/y"
"$mkfs" "$dir/fs.db" >/dev/null
"$daemon" "$dir/fs.db" "$dir/mnt" || exit 1
mkdir "$dir/mnt/upper" "$dir/mnt/work" "$dir/ref/upper" "$dir/ref/work"

echo "1..6"
overlay "$dir/ref" "$dir/ovref" && change "$dir/ovref"
rc=$?
[ $rc -eq 0 ] || echo "# the reference overlay failed ($rc)"
overlay "$dir/mnt" "$dir/ov" 2>"$dir/err"
rc=$?
check "an overlay mounts with sqlitefs as its upper layer" \
	'[ $rc -eq 0 ] || { sed "s/^/# /" "$dir/err"; dmesg | tail -3 | sed "s/^/# /"; false; }'
change "$dir/ov"
rc=$?
check "creates, deletes and renames of lower files and directories" \
	'[ $rc -eq 0 ]'
view "$dir/ovref" >"$dir/want"
view "$dir/ov" >"$dir/got"
check "the merged view is the reference's" \
	'diff "$dir/want" "$dir/got" | sed "s/^/# /"; cmp -s "$dir/want" "$dir/got"'
upper "$dir/ref/upper" >"$dir/want_upper"
upper "$dir/mnt/upper" >"$dir/got_upper"
check "the upper layer holds the reference's whiteouts and files" \
	'diff "$dir/want_upper" "$dir/got_upper" | sed "s/^/# /"; cmp -s "$dir/want_upper" "$dir/got_upper" && grep -q "^c 0 ./a$" "$dir/got_upper" && grep -q "^c 0 ./b$" "$dir/got_upper"'

umount "$dir/ov"
umount "$dir/mnt" && flock -x -w 10 "$dir/fs.db" true
"$fsck" -n "$dir/fs.db" >"$dir/fsck" 2>&1
rc=$?
check "fsck.sqlitefs -n finds the database clean, integrity_check ok" \
	'[ $rc -eq 0 ] && [ "$(sqlite3 "$dir/fs.db" "PRAGMA integrity_check")" = ok ] || { sed "s/^/# /" "$dir/fsck"; false; }'
"$daemon" "$dir/fs.db" "$dir/mnt" && overlay "$dir/mnt" "$dir/ov" &&
	view "$dir/ov" >"$dir/got"
rc=$?
check "mounted again, the merged view is unchanged" \
	'[ $rc -eq 0 ] && cmp -s "$dir/want" "$dir/got"'
umount "$dir/ov"
umount "$dir/ovref"
umount "$dir/mnt" && flock -x -w 10 "$dir/fs.db" true
exit $fail
