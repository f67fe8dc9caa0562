#!/bin/sh
# journal_fsck_test.sh - fsck.sqlitefs and the change journal; the format
# upgrade from format 1, and a format newer than this build
#
# A base image gets real events from a real mount (a directory made, a
# file written, renamed, given an xattr, removed); each case copies it,
# breaks one invariant of the journal, its settings or the search indexes
# by hand with the sqlite3 shell, and requires:
#   fsck -n finds it (exit 4, the line given) and changes nothing,
#   fsck -y repairs it (exit 1), a second fsck -n is clean (exit 0),
#   integrity_check is ok, and the image mounts, records the event of one
#   more change with ids without a gap, and unmounts (daemon exit 0).
# Format 1 (tests/format1.sql, with files put in by SQL): fsck -n notes it
# (exit 0); a read-only mount serves it unchanged; a read-write mount and
# fsck -y upgrade it to the schema of a new mkfs, data intact, events
# recorded from then on.  Format 3: the daemon and fsck refuse it with one
# line and leave it as it was.
# Prints TAP.  Needs root (mounts), $SQLITEFS, $MKFS_C, $FSCK.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
fsck=${FSCK:?}
format1=$(dirname "$0")/format1.sql
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/journal_fsck_test.XXXXXX")
trap cleanup_mount EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/mount_util.sh"
mkdir "$dir/mnt"

# setting DB KEY
setting() { query "$1" "SELECT value FROM settings WHERE key = '$2'"; }

# gapless DB: the journal's rows are exactly journal_start..journal_next-1
gapless() {
	[ "$(query "$1" "SELECT count(id) = n - s AND coalesce(min(id), s) = s
		AND coalesce(max(id), n - 1) = n - 1 FROM
		(SELECT (SELECT value FROM settings WHERE key = 'journal_next')
			AS n, (SELECT value FROM settings
			WHERE key = 'journal_start') AS s)
		LEFT JOIN journal")" = 1 ]
}

# schema DB: the format's objects, views left out (not part of it)
schema() {
	query "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema
		WHERE type != 'view' ORDER BY name"
}

# mount_ro DB: as mount_db, read-only
mount_ro() {
	"$daemon" -f -o ro "$1" "$dir/mnt" >>"$dir/daemon.log" 2>&1 &
	pid=$!
	i=0
	while ! mountpoint -q "$dir/mnt"; do
		i=$((i + 1))
		if [ $i -gt 1000 ] || ! kill -0 "$pid" 2>/dev/null; then
			sed 's/^/# /' "$dir/daemon.log"
			kill -9 "$pid" 2>/dev/null
			wait "$pid"
			pid=
			return 1
		fi
		sleep 0.02
	done
}

# changes_recorded DB: mounts DB, makes one change, unmounts; 0 if the
# daemon exits 0 and the change has its event with ids still gapless
changes_recorded() {
	next=$(setting "$1" journal_next)
	mount_db "$1" || return 1
	touch "$dir/mnt/after-repair" || { umount_db; return 1; }
	umount_db || return 1
	[ "$(query "$1" "SELECT count(*) FROM journal WHERE id >= $next
		AND path = '/after-repair' AND reasons & 1")" = 1 ] &&
		gapless "$1"
}

"$mkfs" -b 4096 -p 4096 "$dir/new.db" >/dev/null
base=$dir/base.db
"$mkfs" -b 4096 -p 4096 "$base" >/dev/null
if ! mount_db "$base"; then
	echo "Bail out! cannot mount"
	exit 1
fi
(
	set -e
	cd "$dir/mnt"
	mkdir d
	printf 'hello\n' >d/f
	sync d/f
	mv d/f d/g
	setfattr -n user.tag -v blue d/g
	sync d/g
	printf 'x' >d/gone
	sync d/gone
	rm d/gone
	mkdir e
) || echo "Bail out! cannot fill the base image"
check "base image made, the daemon exits 0" umount_db
events=$(query "$base" "SELECT count(*) FROM journal")
check "the base image has events ($events)" '[ "$events" -ge 4 ]'
check "the base image's journal is gapless" 'gapless "$base"'
NEWEST=$(query "$base" "SELECT max(id) FROM journal")
expect_exit 0 "the base image is clean" "$fsck" -n "$base"

# jdamage CLASS PATTERN SQL: PATTERN is what fsck -n must print
jdamage() {
	class=$1
	pattern=$2
	img=$dir/$class.db
	cp "$base" "$img"
	query "$img" "PRAGMA ignore_check_constraints = ON; $3" ||
		not_ok "$class: damage the image"
	sum=$(cksum <"$img")
	expect_exit 4 "$class: fsck -n finds it" "$fsck" -n "$img"
	if grep -q -- "$pattern" "$dir/out"; then
		ok "$class: fsck -n says: $(grep -- "$pattern" "$dir/out" | head -1)"
	else
		not_ok "$class: fsck -n says \"$pattern\""
		sed 's/^/# /' "$dir/out"
	fi
	check "$class: fsck -n changed nothing" '[ "$(cksum <"$img")" = "$sum" ]'
	expect_exit 1 "$class: fsck -y repairs it" "$fsck" -y "$img"
	expect_exit 0 "$class: a second fsck -n is clean" "$fsck" -n "$img"
	check "$class: integrity_check ok" \
		'[ "$(query "$img" "PRAGMA integrity_check")" = ok ]'
	check "$class: the journal is gapless" 'gapless "$img"'
	check "$class: mounts, records a change, unmounts" 'changes_recorded "$img"'
}

# --- settings ---
jdamage uuid_missing "settings: uuid missing" \
	"DELETE FROM settings WHERE key = 'uuid'"
check "uuid_missing: a new valid uuid" \
	'setting "$img" uuid | grep -Eqx "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"'
jdamage uuid_bad 'settings: uuid "NOT-A-UUID" not a valid UUID' \
	"UPDATE settings SET value = 'NOT-A-UUID' WHERE key = 'uuid'"
jdamage uuid_integer 'settings: uuid "12" not a valid UUID' \
	"UPDATE settings SET value = 12 WHERE key = 'uuid'"
jdamage enabled_bad 'settings: journal "7" not an integer from 0' \
	"UPDATE settings SET value = 7 WHERE key = 'journal'"
check "enabled_bad: journal set to 1" '[ "$(setting "$img" journal)" = 1 ]'
jdamage enabled_missing "settings: journal missing" \
	"DELETE FROM settings WHERE key = 'journal'"
jdamage max_events_negative 'settings: journal_max_events "-5" not an integer' \
	"UPDATE settings SET value = -5 WHERE key = 'journal_max_events'"
check "max_events_negative: the default restored" \
	'[ "$(setting "$img" journal_max_events)" = 1000000 ]'
jdamage max_age_text 'settings: journal_max_age "abc" not an integer' \
	"UPDATE settings SET value = 'abc' WHERE key = 'journal_max_age'"
jdamage max_age_missing "settings: journal_max_age missing" \
	"DELETE FROM settings WHERE key = 'journal_max_age'"
jdamage next_behind "settings: journal_next 2, but event $NEWEST exists" \
	"UPDATE settings SET value = 2 WHERE key = 'journal_next'"
check "next_behind: journal_next past the newest event" \
	'[ "$(setting "$img" journal_next)" -gt "$NEWEST" ]'
jdamage next_missing "settings: journal_next missing" \
	"DELETE FROM settings WHERE key = 'journal_next'"
jdamage next_real 'settings: journal_next "4.5" not an integer' \
	"UPDATE settings SET value = 4.5 WHERE key = 'journal_next'"
jdamage start_zero 'settings: journal_start "0" not an integer from 1' \
	"UPDATE settings SET value = 0 WHERE key = 'journal_start'"
check "start_zero: every event kept" \
	'[ "$(query "$img" "SELECT min(id) FROM journal")" = 1 ]'
jdamage start_missing "settings: journal_start missing" \
	"DELETE FROM settings WHERE key = 'journal_start'"
jdamage start_past_next "journal_start 1000 past journal_next" \
	"UPDATE settings SET value = 1000 WHERE key = 'journal_start'"

# --- ids: a gap, missing ends, rows older than journal_start ---
jdamage gap "journal: event 2 missing or damaged, journal_start is 1" \
	"DELETE FROM journal WHERE id = 2"
check "gap: journal_start moved past it, the older events dropped" \
	'[ "$(setting "$img" journal_start)" = 3 ] &&
	[ "$(query "$img" "SELECT count(*) FROM journal WHERE id < 3")" = 0 ]'
check "gap: the newer events kept" \
	'[ "$(query "$img" "SELECT count(*) FROM journal WHERE id >= 3 AND id <= $NEWEST")" = $((NEWEST - 2)) ]'
jdamage oldest_missing "journal: event 1 missing or damaged" \
	"DELETE FROM journal WHERE id = 1"
jdamage newest_missing "journal: event $((NEWEST + 2)) missing or damaged" \
	"UPDATE settings SET value = $((NEWEST + 3)) WHERE key = 'journal_next'"
check "newest_missing: no id reused, no event kept" \
	'[ "$(setting "$img" journal_start)" = $((NEWEST + 3)) ] &&
	[ "$(query "$img" "SELECT min(id) FROM journal")" = $((NEWEST + 3)) ]'
jdamage older_than_start "journal: 2 rows older than journal_start 3" \
	"UPDATE settings SET value = 3 WHERE key = 'journal_start'"
jdamage stray_old_row "journal: event -7: an id below 1" \
	"INSERT INTO journal (id, time, ino, type, reasons)
		VALUES (-7, 1, 2, 16384, 1)"

# --- rows: each column out of its range; the bad row goes with the older
# ones (here the newest: every event goes) ---
jdamage reasons_unknown "journal: event $NEWEST: unknown reasons" \
	"UPDATE journal SET reasons = 128 WHERE id = $NEWEST"
check "reasons_unknown: journal_start past it" \
	'[ "$(setting "$img" journal_start)" = $((NEWEST + 1)) ]'
jdamage reasons_zero "journal: event 2: unknown reasons" \
	"UPDATE journal SET reasons = 0 WHERE id = 2"
jdamage type_bad "journal: event 2: not a file type" \
	"UPDATE journal SET type = 123 WHERE id = 2"
jdamage time_zero "journal: event 2: no time" \
	"UPDATE journal SET time = 0 WHERE id = 2"
jdamage ino_zero "journal: event 2: no inode" \
	"UPDATE journal SET ino = 0 WHERE id = 2"
jdamage ino_text "journal: event 2: a column that is not an integer" \
	"UPDATE journal SET ino = 'x' WHERE id = 2"
jdamage range_reversed "journal: event 2: a bad data range" \
	"UPDATE journal SET data_start = 5, data_end = 2 WHERE id = 2"
jdamage range_half "journal: event 2: a bad data range" \
	"UPDATE journal SET data_start = NULL, data_end = 3 WHERE id = 2"
jdamage range_negative "journal: event 2: a bad data range" \
	"UPDATE journal SET data_start = -1, data_end = 3 WHERE id = 2"
jdamage path_relative "journal: event 2: a bad path or directory" \
	"UPDATE journal SET path = 'd/f' WHERE id = 2"
jdamage path_no_parent "journal: event 2: a bad path or directory" \
	"UPDATE journal SET parent = NULL WHERE id = 2"
jdamage parent_no_path "journal: event 2: a bad path or directory" \
	"UPDATE journal SET path = NULL WHERE id = 2"
jdamage old_path_no_parent "journal: event 2: a bad old path or directory" \
	"UPDATE journal SET old_parent = NULL, old_path = '/d/x' WHERE id = 2"
jdamage old_path_relative "journal: event 2: a bad old path or directory" \
	"UPDATE journal SET old_parent = 2, old_path = 'x' WHERE id = 2"

# --- search indexes ---
jdamage search_foreign 'schema: index "search_uid": not a search index' \
	"CREATE INDEX search_uid ON inode (uid)"
check "search_foreign: dropped" \
	'[ -z "$(query "$img" "SELECT 1 FROM sqlite_schema WHERE name = '\''search_uid'\''")" ]'
check "search_foreign: the search indexes of mkfs kept" \
	'[ "$(schema "$img")" = "$(schema "$base")" ]'
jdamage search_redefined 'schema: index "search_name": not a search index' \
	"DROP INDEX search_name; CREATE INDEX search_name ON dentry (parent)"
jdamage search_table 'schema: table "search_t": not a search index' \
	"CREATE TABLE search_t (x); CREATE INDEX search_t_x ON search_t (x)"
jdamage search_view 'schema: view "search_v": not a search index' \
	"CREATE VIEW search_v AS SELECT 1"
jdamage search_xattr_bad_name 'schema: index "search_xattr:bogus": not a search index' \
	"CREATE INDEX \"search_xattr:bogus\" ON xattr (value) WHERE name = 'bogus'"
jdamage search_xattr_other 'schema: index "search_xattr:user.a": not a search index' \
	"CREATE INDEX \"search_xattr:user.a\" ON xattr (value) WHERE name = 'user.b'"

# the indexes db_set() makes, as it spells them, are no damage
img=$dir/search_ok.db
cp "$base" "$img"
query "$img" "CREATE INDEX \"search_size\" ON inode (size);
	CREATE INDEX \"search_xattr:user.tag\" ON xattr (value) WHERE name = 'user.tag';
	CREATE INDEX \"search_xattr:user.it's\" ON xattr (value) WHERE name = 'user.it''s'"
expect_exit 0 "search indexes as db_set() makes them: clean" "$fsck" -n "$img"
expect_exit 0 "search indexes as db_set() makes them: -y changes nothing" \
	"$fsck" -y "$img"

# the table gone: made again as the upgrade makes it, with a new uuid
uuid=$(setting "$base" uuid)
jdamage table_missing "journal: the table is missing" "DROP TABLE journal"
check "table_missing: the schema of a new mkfs" \
	'[ "$(schema "$img")" = "$(schema "$dir/new.db")" ]'
check "table_missing: a new uuid" '[ "$(setting "$img" uuid)" != "$uuid" ]'

# several at once
jdamage many "journal: event 3: no time" \
	"DELETE FROM settings WHERE key IN ('uuid', 'journal_max_age');
	UPDATE journal SET time = 0 WHERE id = 3;
	UPDATE settings SET value = 1 WHERE key = 'journal_next';
	CREATE INDEX search_x ON inode (gid)"

# --- format 1 ---
f1=$dir/format1.db
query "$f1" ".read $format1" >/dev/null
query "$f1" "INSERT INTO inode (ino, mode, nlink, uid, gid, size, stored,
		atime, mtime, ctime, crtime)
	VALUES (2, 16877, 2, 0, 0, 0, 0, 1, 1, 1, 1),
		(3, 33188, 1, 0, 0, 6, 6, 1, 1, 1, 1);
	UPDATE inode SET nlink = 3 WHERE ino = 1;
	INSERT INTO dentry (parent, name, ino) VALUES (1, 'd', 2), (2, 'f', 3);
	INSERT INTO data VALUES (3, 0, CAST('hello' || char(10) AS BLOB));
	INSERT INTO xattr VALUES (3, 'user.tag', CAST('blue' AS BLOB))"
check "format 1: made, user_version 1" '[ "$(query "$f1" "PRAGMA user_version")" = 1 ]'
sum1=$(cksum <"$f1")
expect_exit 0 "format 1: fsck -n exits 0 (not damage)" "$fsck" -n "$f1"
check "format 1: fsck -n notes it" \
	'grep -qx "format 1: no change journal; fsck.sqlitefs -y or a read-write mount adds it" "$dir/out"'
check "format 1: fsck -n changed nothing" '[ "$(cksum <"$f1")" = "$sum1" ]'

# intact DB: the files put in by SQL are there, with their xattr
intact() {
	[ "$(query "$1" "SELECT count(*) FROM inode")" -ge 3 ] &&
		[ "$(query "$1" "SELECT CAST(bytes AS TEXT) FROM data WHERE ino = 3")" = hello ] &&
		[ "$(query "$1" "SELECT CAST(value AS TEXT) FROM xattr
			WHERE ino = 3 AND name = 'user.tag'")" = blue ] &&
		[ "$(query "$1" "SELECT count(*) FROM dentry
			WHERE (parent, name, ino) IN (VALUES (1, 'd', 2), (2, 'f', 3))")" = 2 ]
}

# (a) read-only: served as it is, without a journal
img=$dir/f1_ro.db
cp "$f1" "$img"
served=1
if mount_ro "$img"; then
	[ "$(cat "$dir/mnt/d/f" 2>/dev/null)" = hello ] &&
		[ "$(getfattr --only-values -n user.tag "$dir/mnt/d/f" 2>/dev/null)" = blue ] &&
		! touch "$dir/mnt/new" 2>/dev/null && served=0
	umount_db || served=1
fi
check "format 1, -o ro: served read-only, the daemon exits 0" '[ $served = 0 ]'
check "format 1, -o ro: still format 1, unchanged" \
	'[ "$(query "$img" "PRAGMA user_version")" = 1 ] && [ "$(cksum <"$img")" = "$sum1" ]'

# upgraded DB HOW: format 2 with the schema of a new mkfs, sound, intact
upgraded() {
	u=$1
	check "format 1, $2: user_version 2" '[ "$(query "$u" "PRAGMA user_version")" = 2 ]'
	check "format 1, $2: the schema of a new mkfs" '[ "$(schema "$u")" = "$(schema "$dir/new.db")" ]'
	check "format 1, $2: the settings keys of a new mkfs" \
		'[ "$(query "$u" "SELECT group_concat(key) FROM settings WHERE key NOT IN ('\''views'\'', '\''next_ino'\'')")" = \
		"$(query "$dir/new.db" "SELECT group_concat(key) FROM settings WHERE key NOT IN ('\''views'\'', '\''next_ino'\'')")" ]'
	check "format 1, $2: integrity_check ok" '[ "$(query "$u" "PRAGMA integrity_check")" = ok ]'
	check "format 1, $2: the data intact" 'intact "$u"'
	expect_exit 0 "format 1, $2: then fsck -n is clean" "$fsck" -n "$u"
}

# (b) a read-write mount upgrades it, and records events from then on
img=$dir/f1_rw.db
cp "$f1" "$img"
: >"$dir/daemon.log"
if mount_db "$img"; then
	printf 'more\n' >"$dir/mnt/d/new"
	check "format 1, mount: the daemon exits 0" umount_db
else
	not_ok "format 1, mount: mounts read-write"
fi
check "format 1, mount: the daemon logs the upgrade" \
	'grep -q "upgraded to format 2" "$dir/daemon.log"'
check "format 1, mount: the new file has its event" \
	'[ "$(query "$img" "SELECT count(*) FROM journal WHERE path = '\''/d/new'\'' AND reasons & 1")" = 1 ]'
upgraded "$img" "mount"

# (c) fsck -y upgrades it, in its repair transaction
img=$dir/f1_fsck.db
cp "$f1" "$img"
expect_exit 1 "format 1, fsck -y: upgrades it (exit 1)" "$fsck" -y "$img"
check "format 1, fsck -y: says so" \
	'grep -qx "format 1: no change journal; upgraded to format 2" "$dir/out"'
upgraded "$img" "fsck -y"
check "format 1, fsck -y: then mounts and records events" 'changes_recorded "$img"'

# a format-1 database has no search index: one is dropped before the
# upgrade makes its own
img=$dir/f1_search.db
cp "$f1" "$img"
query "$img" "CREATE INDEX search_name ON dentry (parent)"
expect_exit 4 "format 1 with a search_ index: fsck -n finds it" "$fsck" -n "$img"
expect_exit 1 "format 1 with a search_ index: fsck -y drops it and upgrades" \
	"$fsck" -y "$img"
check "format 1 with a search_ index: the schema of a new mkfs" \
	'[ "$(schema "$img")" = "$(schema "$dir/new.db")" ]'

# damage in a format-1 database: found beside the note, repaired in the
# transaction of the upgrade; journal settings left by a hand replaced
img=$dir/f1_damaged.db
cp "$f1" "$img"
query "$img" "UPDATE inode SET nlink = 7 WHERE ino = 3;
	INSERT INTO settings VALUES ('uuid', 'x'), ('journal_next', 99)"
expect_exit 4 "format 1 with damage: fsck -n finds it" "$fsck" -n "$img"
check "format 1 with damage: and notes the format" \
	'grep -q "^format 1: no change journal" "$dir/out"'
expect_exit 1 "format 1 with damage: fsck -y repairs and upgrades" \
	"$fsck" -y "$img"
check "format 1 with damage: the link count repaired" \
	'[ "$(query "$img" "SELECT nlink FROM inode WHERE ino = 3")" = 1 ]'
check "format 1 with damage: the settings the upgrade makes" \
	'[ "$(setting "$img" journal_next)" = 1 ] && [ "$(setting "$img" uuid)" != x ]'
expect_exit 0 "format 1 with damage: then clean" "$fsck" -n "$img"

# --- format 3: refused with one line, left as it was ---
f3=$dir/format3.db
cp "$base" "$f3"
query "$f3" "PRAGMA user_version = 3"
sum3=$(cksum <"$f3")
msg="format version 3 is newer than this sqlitefs supports (2)"
expect_exit 8 "format 3: fsck -n refuses it" "$fsck" -n "$f3"
check "format 3: fsck -n says so in one line" \
	'[ "$(wc -l <"$dir/out")" = 1 ] && grep -q "$msg" "$dir/out"'
expect_exit 8 "format 3: fsck -y refuses it" "$fsck" -y "$f3"
check "format 3: fsck -y says so in one line" \
	'[ "$(wc -l <"$dir/out")" = 1 ] && grep -q "$msg" "$dir/out"'
timeout 60 "$daemon" -f "$f3" "$dir/mnt" >"$dir/out" 2>&1
st=$?
check "format 3: the daemon refuses it (exit $st)" '[ $st != 0 ] && [ $st != 124 ]'
check "format 3: the daemon says so in one line" \
	'[ "$(wc -l <"$dir/out")" = 1 ] && grep -q "$msg" "$dir/out"'
check "format 3: nothing mounted" '! mountpoint -q "$dir/mnt"'
check "format 3: the file unchanged" '[ "$(cksum <"$f3")" = "$sum3" ]'

echo "1..$n"
exit $fail
