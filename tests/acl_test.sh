#!/bin/sh
# acl_test.sh - POSIX ACLs with the tools of everyday use, against the
# local disk: setfacl and getfacl, inheritance under a umask, cp -a,
# tar --acls, rsync -A and mkfs.sqlitefs -d carry ACLs into and out of a
# mount, and getfacl -R shows the same on both sides; they persist across
# a remount and fsck finds the database clean; -o noacl refuses them.
# Prints TAP.  Needs root, $SQLITEFS, $MKFS_C, $FSCK, setfacl, getfacl,
# tar, rsync.
set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
for t in setfacl getfacl rsync; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP no $t (packages acl, rsync)"
		exit 0
	fi
done
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/acl_test.XXXXXX")
cleanup() {
	for m in "$dir/mnt" "$dir/mnt2"; do
		grep -q " $m " /proc/mounts &&
			{ fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"

# Every ACL of a tree (not of symbolic links), in the order of the names.
acls() {
	(cd "$1" && find . ! -type l -print0 | sort -z | xargs -0 getfacl -p 2>&1)
}
same() { # same NAME TREE1 TREE2
	acls "$2" >"$dir/a1"
	acls "$3" >"$dir/a2"
	if cmp -s "$dir/a1" "$dir/a2" && [ -s "$dir/a1" ]; then
		ok "$1"
	else
		not_ok "$1"
		diff "$dir/a1" "$dir/a2" | head -20 | sed 's/^/# /'
	fi
}
# The same commands in a directory of the disk and one of the mount.
build_tree() {
	mkdir "$1/proj" "$1/proj/private" &&
		setfacl -m u:65534:rwx,g:65534:rx "$1/proj" &&
		setfacl -d -m u:65534:rwx,g::rx,o::- "$1/proj" &&
		(umask 077 && echo a >"$1/proj/a" && mkdir "$1/proj/sub" &&
			echo b >"$1/proj/sub/b" && mkfifo "$1/proj/sub/fifo") &&
		setfacl -b "$1/proj/private" &&
		setfacl -m u:65534:r "$1/proj/a" &&
		chmod 640 "$1/proj/sub/b" &&
		setfacl -x u:65534 "$1/proj/sub" &&
		ln -s a "$1/proj/link"
}
mounted() { # mounted DB MOUNTPOINT [OPTIONS]
	mkdir -p "$2" && "$daemon" ${3:+-o "$3"} "$1" "$2"
}

echo "1..14"
mkdir "$dir/disk" "$dir/mnt"
"$mkfs" "$dir/fs.db" >/dev/null
mounted "$dir/fs.db" "$dir/mnt" || exit 1
mkdir "$dir/mnt/here"
check "setfacl, a default ACL and its inheritance on the disk" \
	'build_tree "$dir/disk"'
check "... the same commands on the mount" 'build_tree "$dir/mnt/here"'
same "getfacl -R: the same ACLs and modes" "$dir/disk" "$dir/mnt/here"
check "ls -l shows the ACL (+)" \
	'ls -ld "$dir/mnt/here/proj/a" | grep -q "^-rw-r-x---+ "'

cp -a "$dir/disk" "$dir/mnt/cp"
same "cp -a from the disk" "$dir/disk" "$dir/mnt/cp"
rsync -aA "$dir/disk/" "$dir/mnt/rsync/"
same "rsync -aA from the disk" "$dir/disk" "$dir/mnt/rsync"
(cd "$dir/mnt/here" && tar --acls -cf "$dir/t.tar" .) &&
	mkdir "$dir/untar" "$dir/mnt/untar" &&
	tar --acls -xf "$dir/t.tar" -C "$dir/untar" &&
	tar --acls -xf "$dir/t.tar" -C "$dir/mnt/untar"
same "tar --acls out of the mount, into the disk" "$dir/disk" "$dir/untar"
same "tar --acls into the mount" "$dir/disk" "$dir/mnt/untar"

fusermount3 -u "$dir/mnt"
"$fsck" -n "$dir/fs.db" >"$dir/fsck.out" 2>&1
check "fsck -n: clean" '[ $? -eq 0 ]'
mounted "$dir/fs.db" "$dir/mnt" || exit 1
same "after a remount" "$dir/disk" "$dir/mnt/here"

"$mkfs" -d "$dir/disk" "$dir/loaded.db" >/dev/null 2>"$dir/mkfs.err"
mounted "$dir/loaded.db" "$dir/mnt2" &&
	same "mkfs.sqlitefs -d loads them" "$dir/disk" "$dir/mnt2"
check "... with no warning" '! grep -q warning "$dir/mkfs.err"'
fusermount3 -u "$dir/mnt2"

fusermount3 -u "$dir/mnt"
mounted "$dir/fs.db" "$dir/mnt" noacl || exit 1
check "-o noacl: setfacl is refused" \
	'! setfacl -m u:65534:r "$dir/mnt/here/proj/link" 2>"$dir/err" &&
	grep -q "Operation not supported" "$dir/err"'
check "-o noacl: no ACL shown, the umask applies" \
	'! ls -ld "$dir/mnt/here/proj/a" | grep -q + &&
	(umask 077 && : >"$dir/mnt/here/proj/n") &&
	ls -l "$dir/mnt/here/proj/n" | grep -q "^-rw------- "'
exit $fail
