#!/bin/sh
# fsck_test.sh - fsck.sqlitefs on damaged images, one class of damage each
#
# A base image is made by mounting a fresh filesystem for real and filling
# it (directories, a hard link, a symlink, a file of several blocks, an
# xattr); each case copies it, damages rows by hand with the sqlite3 shell
# (CHECK constraints off, as a careless hand would), and requires:
#   fsck -n finds it (exit 4) and changes nothing,
#   fsck -y repairs it (exit 1),
#   a second fsck -n is clean (exit 0), and so are integrity_check and
#   foreign_key_check, and the image mounts and unmounts cleanly.
# Then: orphans, SQLite-level damage, refusals (mounted, missing, not a
# database, usage).  Prints TAP.  Environment: SQLITEFS, MKFS, FSCK.
set -u
FSCK=${FSCK:-build/src/fsck.sqlitefs}
SQLITEFS=${SQLITEFS:-build/src/sqlitefs}
MKFS=${MKFS:-scripts/mkfs.sh}
dir=$(mktemp -d "${TMPDIR:-/tmp}/fsck-test.XXXXXX")
pid=
n=0
fails=0

cleanup() {
	if [ -n "$pid" ]; then
		fusermount3 -u -z "$dir/mnt" 2>/dev/null
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n - $1"
}
check() { # check DESCRIPTION COMMAND...: ok if the command succeeds
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# mount DB: the daemon in the foreground, until the mountpoint changes
mount_db() {
	before=$(stat -c %d "$dir/mnt")
	"$SQLITEFS" -f "$1" "$dir/mnt" >>"$dir/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ "$(stat -c %d "$dir/mnt")" = "$before" ]; do
		i=$((i + 1))
		if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
			sed 's/^/# /' "$dir/daemon.log"
			kill -9 "$pid" 2>/dev/null
			wait "$pid"
			fusermount3 -u -z "$dir/mnt" 2>/dev/null
			pid=
			return 1
		fi
		sleep 0.02
	done
}
umount_db() {
	if ! fusermount3 -u "$dir/mnt"; then
		fusermount3 -u -z "$dir/mnt"
		kill "$pid"
		wait "$pid"
		pid=
		return 1
	fi
	wait "$pid"
	st=$?
	pid=
	return $st
}

mkdir "$dir/mnt"
base=$dir/base.db
if ! "$MKFS" -b 4096 -p 4096 "$base" >/dev/null; then
	echo "Bail out! mkfs failed"
	exit 1
fi
if ! mount_db "$base"; then
	echo "Bail out! cannot mount"
	exit 1
fi
(
	set -e
	cd "$dir/mnt"
	mkdir -p a/b/c d
	printf 'hello\n' >a/f
	head -c 20000 /dev/urandom >a/b/big
	ln a/f d/f2
	ln -s /etc/passwd a/sl
	setfattr -n user.x -v 1 a/f
) || echo "Bail out! cannot fill the base image"
if umount_db; then ok "base image made"; else not_ok "base image made"; fi

# inode numbers in the base image
ino() {
	sqlite3 "$base" "SELECT ino FROM paths WHERE path = '$1'"
}
A=$(ino /a)
B=$(ino /a/b)
C=$(ino /a/b/c)
D=$(ino /d)
F=$(ino /a/f)
BIG=$(ino /a/b/big)
SL=$(ino /a/sl)

# expect_exit CODE DESCRIPTION COMMAND...
expect_exit() {
	want=$1
	d=$2
	shift 2
	"$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$d"
	else
		not_ok "$d (exit $got, want $want)"
		sed 's/^/# /' "$dir/out"
	fi
}

# damage CLASS PATTERN SQL: PATTERN is what fsck -n must print
damage() {
	class=$1
	pattern=$2
	img=$dir/$class.db
	cp "$base" "$img"
	sqlite3 "$img" "PRAGMA ignore_check_constraints = ON; $3" ||
		not_ok "$class: damage the image"
	sum=$(md5sum <"$img")
	expect_exit 4 "$class: fsck -n finds it" "$FSCK" -n "$img"
	if grep -q -- "$pattern" "$dir/out"; then
		ok "$class: fsck -n says: $(grep -- "$pattern" "$dir/out" | head -1)"
	else
		not_ok "$class: fsck -n says \"$pattern\""
		sed 's/^/# /' "$dir/out"
	fi
	check "$class: fsck -n changed nothing" [ "$(md5sum <"$img")" = "$sum" ]
	expect_exit 1 "$class: fsck -y repairs it" "$FSCK" -y "$img"
	expect_exit 0 "$class: a second fsck -n is clean" "$FSCK" -n "$img"
	check "$class: integrity_check ok" \
		[ "$(sqlite3 "$img" 'PRAGMA integrity_check')" = ok ]
	check "$class: foreign_key_check empty" \
		[ -z "$(sqlite3 "$img" 'PRAGMA foreign_key_check')" ]
	walked=1
	if mount_db "$img"; then
		ls -laR "$dir/mnt" >/dev/null && walked=0
		umount_db || walked=1
	fi
	if [ $walked -eq 0 ]; then
		ok "$class: the repaired image mounts and unmounts"
	else
		not_ok "$class: the repaired image mounts and unmounts"
	fi
}

expect_exit 0 "the base image is clean" "$FSCK" -n "$base"

damage negative_size "inode $BIG: size -5, should be 20000" \
	"UPDATE inode SET size = -5 WHERE ino = $BIG"
damage missing_inode "names no such inode" \
	"UPDATE dentry SET ino = 999 WHERE name = 'f2'"
damage missing_parent "no such directory" \
	"UPDATE dentry SET parent = 999 WHERE ino = $B"
damage cycle "inode $A: directory not reachable" \
	"UPDATE dentry SET parent = $C WHERE ino = $A"
damage second_dir_name "a second name of directory $B" \
	"INSERT INTO dentry (parent, name, ino) VALUES ($D, 'again', $B)"
damage block_past_eof "data block 1000000000 lies past the end" \
	"INSERT INTO data VALUES ($F, 1000000000, x'0102')"
damage block_beyond_max "beyond any file size" \
	"INSERT INTO data VALUES ($F, 9000000000000000000, x'01')"
damage tail_past_eof "data block 0 reaches past the end" \
	"UPDATE data SET bytes = x'0011223344556677' WHERE ino = $F"
damage long_block "more than a block" \
	"UPDATE data SET bytes = zeroblob(5000) WHERE ino = $BIG AND block = 0"
damage unknown_type "inode $BIG: unknown file type" \
	"UPDATE inode SET mode = (mode & 4095) | 61440 WHERE ino = $BIG"
damage dir_typed_file "inode $B: a regular file holding entries" \
	"UPDATE inode SET mode = 33188 WHERE ino = $B"
damage data_in_dir "not a regular file" \
	"INSERT INTO data VALUES ($A, 0, x'01')"
damage wrong_nlink "inode $F: link count 7, should be 2" \
	"UPDATE inode SET nlink = 7 WHERE ino = $F"
damage negative_nlink "inode $BIG: link count -3, should be 1" \
	"UPDATE inode SET nlink = -3 WHERE ino = $BIG"
damage wrong_dir_nlink "inode $A: link count 9, should be 3" \
	"UPDATE inode SET nlink = 9 WHERE ino = $A"
damage unreachable "inode $D: directory not reachable" \
	"DELETE FROM dentry WHERE ino = $D"
damage unreachable_file "inode $BIG: file not reachable" \
	"DELETE FROM dentry WHERE ino = $BIG"
damage symlink_no_target "inode $SL: symlink without a target" \
	"UPDATE inode SET target = NULL WHERE ino = $SL"
damage symlink_size "inode $SL: size 3, should be 11" \
	"UPDATE inode SET size = 3 WHERE ino = $SL"
damage target_on_file "a symlink target on a non-symlink" \
	"UPDATE inode SET target = 'x' WHERE ino = $F"
damage unknown_flags "inode $F: flags 0x10011, unknown bits" \
	"UPDATE inode SET flags = 65553 WHERE ino = $F"
damage negative_flags "inode $F: flags 0xffffffffffffffff, unknown bits" \
	"UPDATE inode SET flags = -1 WHERE ino = $F"
check "negative_flags: cleared to none, not made immutable" \
	[ "$(sqlite3 "$dir/negative_flags.db" "SELECT flags FROM inode WHERE ino = $F")" = 0 ]
damage wrong_stored "inode $BIG: stored bytes 5, the data blocks hold 20000" \
	"UPDATE inode SET stored = 5 WHERE ino = $BIG"
damage bad_xattr_name "xattr \"system.bogus\": not a valid name" \
	"INSERT INTO xattr VALUES ($F, 'system.bogus', x'00')"
# ACLs: ends of entries u::rw-, g::r--, o::r--; u:65534:r--; m::rwx
U="01000600ffffffff"
G="04000400ffffffff"
O="20000400ffffffff"
damage bad_acl "system.posix_acl_access: not a valid ACL" \
	"INSERT INTO xattr VALUES ($F, 'system.posix_acl_access', x'02000000$U')"
damage acl_default_file "system.posix_acl_default of a non-directory" \
	"INSERT INTO xattr VALUES ($F, 'system.posix_acl_default', x'02000000$U$G$O')"
damage acl_mode "its access ACL says 0674" \
	"INSERT INTO xattr VALUES ($F, 'system.posix_acl_access', x'02000000${U}02000400feff0000${G}10000700ffffffff$O')"
damage xattr_no_inode "xattr \"user.y\" of no such inode" \
	"INSERT INTO xattr VALUES (999, 'user.y', x'00')"
damage data_no_inode "data block 0 of inode 999: no such inode" \
	"INSERT INTO data VALUES (999, 0, x'00')"
damage bad_name "(\"x/y\" in $D, inode $F): not a valid name" \
	"UPDATE dentry SET name = 'x/y' WHERE name = 'f2'"
damage root_named "names the root directory" \
	"INSERT INTO dentry (parent, name, ino) VALUES ($D, 'up', 1)"

damage root_typed_file "inode 1: a regular file holding entries" \
	"UPDATE inode SET mode = 33188 WHERE ino = 1"
damage root_untyped "inode 1: unknown file type" \
	"UPDATE inode SET mode = 493 WHERE ino = 1"
# a full block at the last block number: its end, 2^63, is past any size
damage last_block_overflow "data block 2251799813685247 reaches past the end" \
	"UPDATE inode SET size = 9223372036854775807 WHERE ino = $F;
	INSERT INTO data VALUES ($F, 2251799813685247, zeroblob(4096))"
# a row longer than SQLite may read (16 MiB) cannot be cut: deleted
damage huge_block "data block 0 holds 20000000 bytes, more than can be read" \
	"UPDATE data SET bytes = zeroblob(20000000) WHERE ino = $BIG AND block = 0"

# a missing root is not repaired
img=$dir/no_root.db
cp "$base" "$img"
sqlite3 "$img" "DELETE FROM inode WHERE ino = 1"
expect_exit 4 "no root: fsck -n" "$FSCK" -n "$img"
check "no root: the reason" grep -q "root directory is missing" "$dir/out"
expect_exit 4 "no root: fsck -y repairs nothing" "$FSCK" -y "$img"
check "no root: nothing changed" [ -z "$(sqlite3 "$img" "SELECT 1 FROM inode WHERE ino = 1")" ]

# a file moved to lost+found keeps its content
img=$dir/unreachable_file.db
check "unreachable_file: /lost+found/#$BIG holds the file's bytes" [ \
	"$(sqlite3 "$img" "SELECT ino FROM paths WHERE path = '/lost+found/#$BIG'")" = "$BIG" ]

# an orphan (nlink 0, no name) is not damage; -y deletes it
img=$dir/orphan.db
cp "$base" "$img"
sqlite3 "$img" "UPDATE inode SET nlink = 0 WHERE ino = $BIG;
	DELETE FROM dentry WHERE ino = $BIG"
expect_exit 0 "orphan: fsck -n exits 0" "$FSCK" -n "$img"
check "orphan: fsck -n notes it" grep -q "inode $BIG: orphan" "$dir/out"
expect_exit 1 "orphan: fsck -y deletes it" "$FSCK" -y "$img"
check "orphan: its blocks are gone" \
	[ "$(sqlite3 "$img" "SELECT count(*) FROM data WHERE ino = $BIG")" = 0 ]
expect_exit 0 "orphan: then clean" "$FSCK" -n "$img"

# several classes at once
img=$dir/many.db
cp "$base" "$img"
sqlite3 "$img" "PRAGMA ignore_check_constraints = ON;
	UPDATE inode SET size = -1, nlink = 5 WHERE ino = $BIG;
	UPDATE dentry SET parent = $C WHERE ino = $A;
	INSERT INTO xattr VALUES ($F, 'bogus', x'00');
	INSERT INTO data VALUES ($F, 77, x'01')"
expect_exit 4 "many: fsck -n" "$FSCK" -n "$img"
expect_exit 1 "many: fsck -y" "$FSCK" -y "$img"
expect_exit 0 "many: then clean" "$FSCK" -n "$img"

# damage SQLite's own structures: a page of the inode table overwritten
img=$dir/btree.db
cp "$base" "$img"
root=$(sqlite3 "$img" "SELECT rootpage FROM sqlite_schema WHERE name = 'dentry_ino'")
dd if=/dev/urandom of="$img" bs=4096 seek=$((root - 1)) count=1 \
	conv=notrunc 2>/dev/null
expect_exit 4 "btree damage: fsck -n reports it" "$FSCK" -n "$img"
check "btree damage: integrity_check quoted" grep -q "integrity_check" "$dir/out"
expect_exit 4 "btree damage: fsck -y repairs nothing" "$FSCK" -y "$img"

# rows out of order: the first two cells of the inode table's root page
# swapped, so that ORDER BY ino reads them as they lie
img=$dir/order.db
cp "$base" "$img"
root=$(sqlite3 "$img" "SELECT rootpage FROM sqlite_schema WHERE name = 'inode'")
python3 - "$img" "$root" <<'PY'
import sys
path, root = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    size = int.from_bytes(f.read(18)[16:18], "big")
    size = 65536 if size == 1 else size
    f.seek((root - 1) * size)
    page = bytearray(f.read(size))
    at = 8 if page[0] == 0x0D else 12
    a, b = page[at:at + 2], page[at + 2:at + 4]
    page[at:at + 2], page[at + 2:at + 4] = b, a
    f.seek((root - 1) * size)
    f.write(page)
PY
check "out of order: integrity_check says so" sh -c \
	'sqlite3 "$1" "PRAGMA integrity_check" | grep -q "out of order"' _ "$img"
expect_exit 4 "out of order: fsck -n reports it, without crashing" "$FSCK" -n "$img"
expect_exit 4 "out of order: fsck -y repairs nothing" "$FSCK" -y "$img"

# refusals
if mount_db "$base"; then
	expect_exit 8 "a mounted database: fsck -n refuses" "$FSCK" -n "$base"
	check "a mounted database: the reason" grep -q "in use" "$dir/out"
	expect_exit 8 "a mounted database: fsck -y refuses" "$FSCK" -y "$base"
	if umount_db; then ok "unmount after the refusals"; else not_ok "unmount after the refusals"; fi
else
	not_ok "mount the base image"
fi
expect_exit 8 "a missing file" "$FSCK" -n "$dir/missing.db"
printf 'hello\n' >"$dir/text"
expect_exit 8 "not a SQLite database" "$FSCK" -n "$dir/text"
check "not a SQLite database: the reason" grep -q "not a SQLite database" "$dir/out"
sqlite3 "$dir/other.db" "CREATE TABLE t (x)"
expect_exit 8 "another application's database" "$FSCK" -n "$dir/other.db"
expect_exit 16 "no argument" "$FSCK"
expect_exit 16 "-n and -y" "$FSCK" -n -y "$base"
expect_exit 0 "--help" "$FSCK" --help
chmod 0444 "$base"
expect_exit 0 "-n on a write-protected file" "$FSCK" -n "$base"

echo "1..$n"
[ $fails -eq 0 ]
