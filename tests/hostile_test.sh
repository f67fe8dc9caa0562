#!/bin/sh
# hostile_test.sh - a database file is code as well as data: the triggers
# and views stored in a hostile image never run in fsck.sqlitefs,
# mkfs.sqlitefs -f or the daemon.
#
# The image: a filesystem made and filled through a real mount, then given
# (with the sqlite3 shell) a wrong link count for fsck to repair, triggers
# on every table that delete every data row (and record that they ran),
# and views, one in place of a table, that would loop forever.  Each
# program gets a copy; afterwards every file's bytes must be intact and no
# trigger must have run.  Prints TAP.  Needs root (mounts), $SQLITEFS,
# $MKFS_C, $FSCK, sqlite3.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/hostile_test.XXXXXX")
trap cleanup_mount EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/mount_util.sh"

# the md5 of every file's data and size, read from the tables
sums() {
	query "$1" "SELECT path, size, stored FROM listing WHERE type = 'file'
		ORDER BY path; SELECT ino, block, hex(bytes) FROM data
		ORDER BY ino, block" | md5sum
}

mkdir "$dir/mnt" "$dir/tree"
echo "1..20"
"$mkfs" -b 4096 -p 4096 "$dir/base.db" >/dev/null
filled=no
if mount_db "$dir/base.db"; then
	(
		set -e
		cd "$dir/mnt"
		mkdir d
		head -c 100000 /dev/urandom >d/big
		printf 'hello\n' >f
		ln f d/f2
		setfattr -n user.x -v 1 f
	) && umount_db && filled=yes
fi
check "a filesystem made and filled through a mount" '[ $filled = yes ]'
F=$(query "$dir/base.db" "SELECT ino FROM paths WHERE path = '/f'")
BIG=$(query "$dir/base.db" "SELECT ino FROM paths WHERE path = '/d/big'")
intact=$(sums "$dir/base.db")

# hostile IMG [DAMAGE]: a copy of the base image, damaged by the SQL
# DAMAGE (before the triggers, which would fire on it), then given triggers
# that delete every data row and count their runs in a table of their own
hostile() {
	cp "$dir/base.db" "$1"
	query "$1" "PRAGMA ignore_check_constraints = ON; ${2:-}"
	query "$1" "CREATE TABLE ran (what TEXT);
	CREATE TRIGGER t1 AFTER UPDATE ON inode BEGIN
		DELETE FROM data; INSERT INTO ran VALUES ('inode'); END;
	CREATE TRIGGER t2 AFTER INSERT ON dentry BEGIN
		DELETE FROM data; INSERT INTO ran VALUES ('dentry+'); END;
	CREATE TRIGGER t3 AFTER DELETE ON dentry BEGIN
		DELETE FROM data; INSERT INTO ran VALUES ('dentry-'); END;
	CREATE TRIGGER t4 BEFORE INSERT ON data BEGIN
		DELETE FROM data; INSERT INTO ran VALUES ('data'); END;
	CREATE TRIGGER t5 AFTER UPDATE ON data BEGIN
		INSERT INTO ran VALUES ('data='); END;
	CREATE TRIGGER t6 AFTER INSERT ON xattr BEGIN
		DELETE FROM data; INSERT INTO ran VALUES ('xattr'); END;
	CREATE TRIGGER t7 AFTER UPDATE ON settings BEGIN
		DELETE FROM data; INSERT INTO ran VALUES ('settings'); END;
	CREATE VIEW hog AS WITH RECURSIVE r(x) AS
		(SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x FROM r;" ||
		not_ok "make the hostile image $1"
}
ran() { query "$1" "SELECT count(*) FROM ran"; }

# fsck: -n finds the link count, -y repairs it; no trigger runs
img=$dir/fsck.db
hostile "$img" "UPDATE inode SET nlink = 7 WHERE ino = $F"
expect_exit 4 "fsck -n finds the wrong link count" "$fsck" -n "$img"
check "fsck -n: the finding" "grep -q 'inode $F: link count 7, should be 2' '$dir/out'"
expect_exit 1 "fsck -y repairs it" "$fsck" -y "$img"
check "fsck -y ran no stored trigger ($(ran "$img") runs)" '[ "$(ran "$img")" = 0 ]'
check "fsck -y: every file's data intact" '[ "$(sums "$img")" = "$intact" ]'
check "fsck -y: the link count is repaired" \
	'[ "$(query "$img" "SELECT nlink FROM inode WHERE ino = $F")" = 2 ]'
expect_exit 0 "then fsck -n is clean" "$fsck" -n "$img"

# fsck with a view in place of a table: refused, at once, nothing changed
img=$dir/view.db
hostile "$img"
query "$img" "PRAGMA ignore_check_constraints = ON; DROP TABLE xattr;
	CREATE VIEW xattr (ino, name, value) AS WITH RECURSIVE
		r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)
		SELECT x, 'user.' || x, randomblob(1000) FROM r"
sum=$(md5sum <"$img")
expect_exit 8 "fsck -n: a view in place of a table is refused" "$fsck" -n "$img"
expect_exit 8 "fsck -y: refused too" "$fsck" -y "$img"
check "fsck: the image is unchanged" '[ "$(md5sum <"$img")" = "$sum" ]'
cp "$img" "$dir/view2.db"
before=$(stat -c %d "$dir/mnt")
expect_exit 1 "the daemon refuses it too, at once" "$daemon" -f "$dir/view2.db" "$dir/mnt"
check "and nothing is mounted" '[ "$(stat -c %d "$dir/mnt")" = "$before" ]'

# the daemon: changes of every kind; no trigger runs, the data stays
img=$dir/daemon.db
hostile "$img"
worked=no
if mount_db "$img"; then
	(
		set -e
		cd "$dir/mnt"
		chmod 600 f
		printf 'more\n' >>f
		head -c 5000 /dev/urandom >new
		mkdir e
		mv new e/new
		rm d/f2
		setfattr -n user.y -v 2 d/big
		sync
	) && worked=yes
	umount_db || worked=no
fi
check "mount, change, unmount" '[ $worked = yes ]'
check "the daemon ran no stored trigger" '[ "$(ran "$img")" = 0 ]'
check "the daemon: the big file's data intact" \
	'[ "$(query "$img" "SELECT count(*) FROM data WHERE ino = $BIG")" = 25 ]'
mount_db "$img" &&
	got=$(cat "$dir/mnt/f" "$dir/mnt/d/big" | md5sum) && umount_db
check "the daemon: the files read back" \
	'[ "$got" = "$( (printf "hello\nmore\n"; query "$dir/base.db" "SELECT hex(bytes) FROM data WHERE ino = $BIG ORDER BY block" | xxd -r -p) | md5sum)" ]'

# mkfs -f over the hostile image: a new filesystem, with none of it
img=$dir/mkfs.db
hostile "$img"
printf 'x\n' >"$dir/tree/x"
expect_exit 0 "mkfs -f -d over the hostile image" "$mkfs" -f -d "$dir/tree" "$img"
check "mkfs -f: no trigger, table or view of the old image is left" \
	'[ "$(query "$img" "SELECT count(*) FROM sqlite_schema WHERE name IN
		(\"ran\", \"hog\") OR type = \"trigger\"")" = 0 ]'
expect_exit 0 "mkfs -f: the new filesystem is fsck-clean" "$fsck" -n "$img"
exit $fail
