#!/bin/sh
# changes_test.sh - sqlitefs-changes, on hand-made journals and on the
# events of real mounts (-o commit=1):
#  - the listing, --json (parsed by python3, names of any bytes), --path,
#    --since @SECONDS, --info, --help against the man page;
#  - the answers to cursors it cannot honour, each with its exit status
#    and nothing on stdout: history trimmed (3), another filesystem (4),
#    ahead of the journal, a restored older copy (5), no journal (6),
#    garbage (2);
#  - every reason flag for the operation that sets it, with the paths and
#    byte ranges; coalescing (create, write and chmod in one commit: one
#    event; 64 MiB in 4 KiB writes: a handful); resuming from a cursor
#    gives exactly the new events;
#  - --follow: an event within commit + 1 s, through an unmount and a
#    mount, exit 0 with the cursor on SIGTERM, exit 3 when it fell behind
#    the retention; the WAL stays bounded while a follower runs during
#    heavy writes;
#  - --set, mounted (the control ioctl) and not (db_set()).
# Prints TAP.  Needs root (mounts), $SQLITEFS, $MKFS_C, $CHANGES, python3,
# sqlite3, setfattr.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
changes=${CHANGES:?}
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/changes_test.XXXXXX")
fpid=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	cleanup_mount
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/mount_util.sh"
mnt=$dir/mnt
mkdir "$mnt"

# mount1 DB: mount_db with -o commit=1 (a commit every second)
mount1() {
	before=$(stat -c %d "$mnt")
	"$daemon" -f -o commit=1 "$1" "$mnt" >>"$dir/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ "$(stat -c %d "$mnt")" = "$before" ]; do
		i=$((i + 1))
		if [ $i -gt 1000 ] || ! kill -0 "$pid" 2>/dev/null; then
			sed 's/^/# /' "$dir/daemon.log"
			kill -9 "$pid" 2>/dev/null
			fusermount3 -u -z "$mnt" 2>/dev/null
			pid=
			return 1
		fi
		sleep 0.02
	done
}

# ev.py FILE WHAT [COND...]: reads a --json listing; WHAT is count (of
# the events meeting every COND), ids (theirs, one a line), cursor (of the
# last line), consecutive (exit 0 if the ids are AFTER+1, AFTER+2...
# with AFTER the first COND), covered (exit 0 if the data ranges of the
# matching events cover [0, N), N after the conditions as "size=N").
# COND: key=value (value as JSON: null, 12, or a string), key<=N,
# key>=N, reason=NAME.
cat >"$dir/ev.py" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8",
                                     errors="surrogateescape")]
what, conds = sys.argv[2], sys.argv[3:]
events = [e for e in lines if "id" in e]
def meets(e):
    for c in conds:
        for op in ("<=", ">="):
            if op in c:
                k, v = c.split(op, 1)
                x = e.get(k)
                if x is None or (x > int(v) if op == "<=" else x < int(v)):
                    return False
                break
        else:
            op = None
        if op:
            continue
        k, v = c.split("=", 1)
        if k == "size":
            continue
        if k == "reason":
            if v not in e["reason_names"]:
                return False
        elif json.dumps(e.get(k)) != v and str(e.get(k)) != v:
            return False
    return True
if what == "count":
    print(sum(1 for e in events if meets(e)))
elif what == "ids":
    for e in events:
        if meets(e):
            print(e["id"])
elif what == "cursor":
    print(lines[-1]["cursor"])
elif what == "consecutive":
    after = int(conds[0])
    ids = [e["id"] for e in events]
    sys.exit(0 if ids == list(range(after + 1, after + 1 + len(ids)))
             else 1)
elif what == "covered":
    size = int([c for c in conds if c.startswith("size=")][0][5:])
    spans = sorted((e["data_start"], e["data_end"]) for e in events
                   if meets(e) and e["data_start"] is not None)
    end = 0
    for s, t in spans:
        if s > end:
            break
        end = max(end, t)
    sys.exit(0 if end >= size else 1)
PY
ev() { python3 "$dir/ev.py" "$@"; }
# cursor_id CURSOR: its id
cursor_id() { echo "$1" | cut -d: -f2; }

# listed CURSOR COND...: waits (15 s at most) until the events after
# CURSOR ("-": the whole retained history), in $dir/ev.json, hold one
# meeting every COND
listed() {
	since=--since=$1
	[ "$1" = - ] && since=--json
	shift
	i=0
	while [ $i -lt 150 ]; do
		"$changes" --json "$since" "$mnt" >"$dir/ev.json" 2>"$dir/ev.err" &&
			[ "$(ev "$dir/ev.json" count "$@")" -ge 1 ] && return 0
		i=$((i + 1))
		sleep 0.1
	done
	echo "# no event $* ($since):"
	sed 's/^/#   /' "$dir/ev.json" "$dir/ev.err"
	return 1
}
# has COND...: $dir/ev.json holds an event meeting every COND
has() {
	[ "$(ev "$dir/ev.json" count "$@")" -ge 1 ] && return 0
	echo "# no event $*"
	return 1
}
# now_cursor: the cursor of the newest event of the mount
now_cursor() { "$changes" --json "$mnt" | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["cursor"])'; }

# --- a hand-made journal ------------------------------------------------
db=$dir/hand.db
"$mkfs" "$db" >/dev/null
uuid=$(sqlite3 "$db" "SELECT value FROM settings WHERE key = 'uuid'")
t0=1700000000000000000
sqlite3 "$db" "
INSERT INTO journal VALUES (1, $t0, 2, 16384, 1, 1, '/src', NULL, NULL, NULL, NULL);
INSERT INTO journal VALUES (2, $t0 + 1000000000, 3, 32768, 9, 2, '/src/a.c', NULL, NULL, 0, 4096);
INSERT INTO journal VALUES (3, $t0 + 2000000000, 4, 32768, 4, 2, '/src/b' || char(10) || 'c', 1, '/b', NULL, NULL);
INSERT INTO journal VALUES (4, $t0 + 3000000000, 5, 32768, 2, NULL, NULL, 1, CAST(x'2f6cff' AS TEXT), NULL, NULL);
INSERT INTO journal VALUES (5, $t0 + 4000000000, 6, 40960, 16, 1, '/srcx', NULL, NULL, NULL, NULL);
UPDATE settings SET value = 6 WHERE key = 'journal_next';"

"$changes" "$db" >"$dir/out" 2>&1; rc=$?
check "a listing: one line per event, then the cursor of the newest" \
	'[ $rc -eq 0 ] && [ $(wc -l <"$dir/out") -eq 6 ] && tail -n 1 "$dir/out" | grep -q "^cursor $uuid:5:[0-9a-f]*$"'
check "a line: id, ISO 8601 time, reasons, type, path, range" \
	'grep -Eq "^2 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} created,data f /src/a.c \[0,4096\)$" "$dir/out"'
check "a rename shows old path, a removal - and the name lost, as \\xHH" \
	'grep -q " renamed f /src/b\\\\x0ac <- /b$" "$dir/out" && grep -q " removed f - <- /l\\\\xff$" "$dir/out"'
"$changes" --json "$db" >"$dir/ev.json"; rc=$?
check "--json parses, every column, reasons as bits and names" \
	'[ $rc -eq 0 ] && [ "$(ev "$dir/ev.json" count)" -eq 5 ] && has id=2 reasons=9 reason=created reason=data data_start=0 data_end=4096 parent=2 ino=3 type=f mode_type=32768 time=$((t0 + 1000000000)) && has id=1 data_start=null old_path=null'
check "--json: control characters escaped, other bytes as \\udcXX" \
	'grep -q "\"/src/b\\\\u000ac\"" "$dir/ev.json" && grep -q "\"/l\\\\udcff\"" "$dir/ev.json" && python3 -c "
import json
for l in open(\"$dir/ev.json\"):
    e = json.loads(l)
    if e.get(\"id\") == 4:
        assert e[\"old_path\"].encode(\"utf-8\", \"surrogateescape\") == b\"/l\xff\"
"'
"$changes" --path /src "$db" >"$dir/out"; rc=$?
check "--path /src: /src and below, old or new path, not /srcx" \
	'[ $rc -eq 0 ] && [ "$(cut -d" " -f1 "$dir/out" | tr "\n" " ")" = "1 2 3 cursor " ]'
"$changes" --path / "$db" | grep -c "^[0-9]" >"$dir/out"
check "--path / is everything" '[ "$(cat "$dir/out")" = 5 ]'
"$changes" --path src "$db" >"$dir/out" 2>&1; rc=$?
check "--path relative, without a mount: exit 2" '[ $rc -eq 2 ] && [ $(wc -l <"$dir/out") -eq 1 ]'
"$changes" --since @$((t0 / 1000000000 + 2)) "$db" >"$dir/out"; rc=$?
check "--since @SECONDS: the events of that time and later" \
	'[ $rc -eq 0 ] && [ "$(cut -d" " -f1 "$dir/out" | tr "\n" " ")" = "3 4 5 cursor " ]'
cur3=$("$changes" --json "$db" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e.get("id") == 3:
        print("%s:3:%x" % ("'"$uuid"'", e["time"]))')
"$changes" --since "$cur3" "$db" >"$dir/out"; rc=$?
check "--since CURSOR: the events after it" \
	'[ $rc -eq 0 ] && [ "$(cut -d" " -f1 "$dir/out" | tr "\n" " ")" = "4 5 cursor " ]'

# refusals: one line on stderr, nothing on stdout
refused() { # WANT DESCRIPTION ARGS...
	want=$1
	what=$2
	shift 2
	"$changes" "$@" >"$dir/out" 2>"$dir/err"
	got=$?
	if [ $got -eq "$want" ] && [ ! -s "$dir/out" ] &&
		[ "$(wc -l <"$dir/err")" -eq 1 ]; then
		ok "$what"
	else
		not_ok "$what (exit $got, want $want)"
		sed 's/^/# /' "$dir/out" "$dir/err"
	fi
}
refused 4 "a cursor of another filesystem: exit 4" \
	--since 01234567-89ab-4def-8123-456789abcdef:3:1 "$db"
refused 5 "a cursor past the newest event: exit 5" --since "$uuid:9:1" "$db"
refused 5 "a cursor whose event has another time (restored copy): exit 5" \
	--since "$uuid:3:1" "$db"
for bad in garbage "$uuid" "$uuid:x:1" "$uuid:3:" "$uuid:0:5" "@x" "@-1"; do
	refused 2 "--since '$bad': exit 2" --since "$bad" "$db"
done
refused 2 "an unknown option: exit 2" --bogus "$db"
refused 1 "a missing database: exit 1" "$dir/none.db"
sqlite3 "$db" "DELETE FROM journal WHERE id < 3; UPDATE settings SET value = 3 WHERE key = 'journal_start'"
refused 3 "a cursor older than the oldest kept: exit 3" \
	--since "$uuid:1:$(printf %x $t0)" "$db"
check "... saying which id is the oldest kept" 'grep -q "oldest event kept is 3" "$dir/err"'
refused 3 "--since @SECONDS of trimmed events: exit 3" \
	--since @$((t0 / 1000000000)) "$db"
"$changes" --since "$uuid:2:0" "$db" >"$dir/out"; rc=$?
check "a cursor right before the oldest kept lists it" \
	'[ $rc -eq 0 ] && [ "$(cut -d" " -f1 "$dir/out" | tr "\n" " ")" = "3 4 5 cursor " ]'
cp "$db" "$dir/off.db"
sqlite3 "$dir/off.db" "UPDATE settings SET value = 0 WHERE key = 'journal'"
refused 6 "the journal off: exit 6" "$dir/off.db"
cp "$db" "$dir/v1.db"
sqlite3 "$dir/v1.db" "DROP TABLE journal; PRAGMA user_version = 1"
refused 6 "a format 1 database: exit 6" "$dir/v1.db"
check "... saying how to add the journal" 'grep -q "fsck.sqlitefs -y" "$dir/err"'
"$changes" --info "$db" >"$dir/out"; rc=$?
check "--info: uuid, ids, events, retention" \
	'[ $rc -eq 0 ] && grep -q "^uuid *$uuid$" "$dir/out" && grep -q "^oldest *3 " "$dir/out" && grep -q "^newest *5 " "$dir/out" && grep -q "^events *3$" "$dir/out" && grep -q "^max_events *1000000$" "$dir/out"'

# --help and the man page name the same options and exit statuses
"$changes" --help >"$dir/help"; rc=$?
man=$top/man/sqlitefs-changes.8
opts_help=$(grep -o -- "--[a-z]*" "$dir/help" | sort -u | tr '\n' ' ')
opts_man=$(sed -n '/^\.SH OPTIONS/,/^\.SH OUTPUT/p' "$man" | grep '^\.B' | grep -o -- '\\-\\-[a-z]*' | sed 's/\\-\\-/--/' | sort -u | tr '\n' ' ')
check "--help and sqlitefs-changes(8) list the same options ($opts_help)" \
	'[ $rc -eq 0 ] && [ "$opts_help" = "$opts_man" ]'
st_help=$(grep -o "[0-9] [a-z]" "$dir/help" | cut -c1 | tr -d '\n')
st_man=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH EXAMPLES/p' "$man" | grep -A1 '^\.TP' | grep '^\.B [0-9]' | cut -c4 | tr -d '\n')
check "--help and the man page give the same exit statuses ($st_help)" \
	'[ "$st_help" = "0123456" ] && [ "$st_man" = "$st_help" ]'

# --- a real mount: every reason flag --------------------------------------
fs=$dir/fs.db
"$mkfs" "$fs" >/dev/null
uuid=$(sqlite3 "$fs" "SELECT value FROM settings WHERE key = 'uuid'")
if ! mount1 "$fs"; then
	not_ok "mount"
	echo "1..$n"
	exit 1
fi
c0=$(now_cursor)
check "a new filesystem: cursor $c0" '[ "$c0" = "$uuid:0:0" ]'
mkdir "$mnt/d" "$mnt/d2" "$mnt/rd"
echo hello >"$mnt/f"
ln -s f "$mnt/l"
mkfifo "$mnt/p"
for x in w t fa ph cfr src a c b2 x h1 at ow gr tm xa lk; do
	echo data >"$mnt/$x"
done
echo x >"$mnt/d/x"
head -c 8192 /dev/zero >"$mnt/ph"
head -c 10000 /dev/urandom >"$mnt/src"
ln "$mnt/h1" "$mnt/h2"
check "created: mkdir, create, symlink, mknod" \
	'listed "$c0" path=\"/p\" && has path=\"/d\" reason=created type=d && has path=\"/f\" reason=created type=f && has path=\"/l\" reason=created type=l && has path=\"/p\" reason=created type=p'
c1=$(now_cursor)
printf abc | dd of="$mnt/w" bs=1 seek=100 conv=notrunc status=none
truncate -s 5000 "$mnt/t"
fallocate -o 4096 -l 8192 "$mnt/fa"
fallocate -p -o 0 -l 4096 "$mnt/ph"
python3 -c "
import os
s = os.open('$mnt/src', os.O_RDONLY)
d = os.open('$mnt/cfr', os.O_WRONLY)
n = os.copy_file_range(s, d, 3000, 0, 1000)
assert n == 3000, n
"
chmod 600 "$mnt/at"
chown 1234 "$mnt/ow"
chgrp 4321 "$mnt/gr"
touch -d '2020-01-01' "$mnt/tm"
setfattr -n user.tag -v x "$mnt/xa"
ln "$mnt/lk" "$mnt/lk2"
listed "$c1" path=\"/lk2\" || listed "$c1" path=\"/lk\" reason=link
# the kernel writes back whole pages: the range covers the bytes written
check "data: a write, with a range over it" \
	'has path=\"/w\" reason=data "data_start<=100" "data_end>=103"'
check "data: truncate" 'has path=\"/t\" reason=data'
check "data: fallocate" 'has path=\"/fa\" reason=data'
check "data: punching a hole" 'has path=\"/ph\" reason=data data_start=0'
check "data: the target of copy_file_range, with its range" \
	'has path=\"/cfr\" reason=data data_start=1000 data_end=4000'
check "attrib: chmod, chown, chgrp, touch" \
	'has path=\"/at\" reason=attrib && has path=\"/ow\" reason=attrib && has path=\"/gr\" reason=attrib && has path=\"/tm\" reason=attrib'
check "xattr: setfattr" 'has path=\"/xa\" reason=xattr'
check "link: ln" 'has reason=link type=f && [ "$(ev "$dir/ev.json" count reason=created)" -eq 0 ]'
c2=$(now_cursor)
rm "$mnt/f"
rmdir "$mnt/rd"
rm "$mnt/h2"
mv "$mnt/a" "$mnt/a2"
mv "$mnt/c" "$mnt/b2"
mv "$mnt/d/x" "$mnt/d2/x"
listed "$c2" path=\"/d2/x\"
check "removed: unlink, with the name lost and no path left" \
	'has old_path=\"/f\" path=null reason=removed type=f'
check "removed: rmdir" 'has old_path=\"/rd\" path=null reason=removed type=d'
check "removed: one name of a hard link, the other left" \
	'has old_path=\"/h2\" path=\"/h1\" reason=removed'
check "renamed: in a directory, old and new path" \
	'has old_path=\"/a\" path=\"/a2\" reason=renamed'
check "renamed: over an existing target, which is removed" \
	'has old_path=\"/c\" path=\"/b2\" reason=renamed && has old_path=\"/b2\" path=null reason=removed'
check "renamed: across directories, with both parents" \
	'has old_path=\"/d/x\" path=\"/d2/x\" reason=renamed && [ "$(ev "$dir/ev.json" count old_path=\"/d/x\" old_parent=null)" -eq 0 ]'
# With the writeback cache the kernel sends the ctime of a renamed or
# unlinked inode later (sync(1) has it sent now): that is not chmod,
# chown or utimens.
sync
touch "$mnt/marker2"
listed "$c2" path=\"/marker2\"
check "a rename or unlink is not also attrib (the kernel's ctime)" \
	'[ "$(ev "$dir/ev.json" count reason=attrib path=\"/a2\")" -eq 0 ] && [ "$(ev "$dir/ev.json" count reason=attrib path=\"/h1\")" -eq 0 ] && [ "$(ev "$dir/ev.json" count reason=attrib path=\"/d2/x\")" -eq 0 ]'

# --- coalescing ---------------------------------------------------------
# create, write and chmod of one file within one commit: one event (two
# tries, in case a commit fell between them)
one=no
for try in 1 2; do
	c3=$(now_cursor)
	python3 -c "
import os
fd = os.open('$mnt/co$try', os.O_CREAT | os.O_WRONLY, 0o644)
os.write(fd, b'x' * 10000)
os.fchmod(fd, 0o600)
os.close(fd)
"
	listed "$c3" path=\"/co$try\" reason=attrib || break
	sleep 1.5 # a later event of it would be in the next commit
	"$changes" --json --since "$c3" "$mnt" >"$dir/ev.json"
	if [ "$(ev "$dir/ev.json" count path=\"/co$try\")" -eq 1 ] &&
		has path=\"/co$try\" reason=created reason=data reason=attrib data_start=0 data_end=10000; then
		one=yes
		break
	fi
	sed 's/^/# /' "$dir/ev.json"
done
check "create + write + chmod in one commit: one event, all reasons" '[ $one = yes ]'
c4=$(now_cursor)
start=$(date +%s)
dd if=/dev/zero of="$mnt/big" bs=4k count=16384 status=none
secs=$(($(date +%s) - start + 2))
listed "$c4" path=\"/big\" data_end=67108864
sleep 1.5
"$changes" --json --since "$c4" "$mnt" >"$dir/ev.json"
nbig=$(ev "$dir/ev.json" count path=\"/big\")
check "64 MiB in 4 KiB writes: $nbig events over ~$secs commits, covering it all" \
	'[ "$nbig" -le $((secs + 2)) ] && [ "$nbig" -le 40 ] && ev "$dir/ev.json" covered path=\"/big\" size=67108864'

# --- resuming, --path on a mount --------------------------------------------
"$changes" --json "$mnt" >"$dir/all.json"
cr=$(ev "$dir/all.json" cursor)
idr=$(cursor_id "$cr")
touch "$mnt/new1"
mkdir "$mnt/d2/new2"
listed "$cr" path=\"/d2/new2\"
"$changes" --json --since "$cr" "$mnt" >"$dir/ev.json"
cn=$(ev "$dir/ev.json" cursor)
check "resume: exactly the new events, ids $((idr + 1)).. without gap" \
	'ev "$dir/ev.json" consecutive $idr && has path=\"/new1\" && [ "$(ev "$dir/ev.json" count path=\"/f\")" -eq 0 ] && [ "$(cursor_id "$cn")" -ge $((idr + 2)) ]'
"$changes" --json --since "$cn" "$mnt" >"$dir/ev.json"
check "resume from the last cursor: nothing new, the same cursor" \
	'[ "$(ev "$dir/ev.json" count)" -eq 0 ] && [ "$(ev "$dir/ev.json" cursor)" = "$cn" ]'
"$changes" --json --path /d2 "$mnt" >"$dir/a.json"
(cd "$mnt/d2" && "$changes" --json --path . "$mnt") >"$dir/b.json"
"$changes" --json --path "$mnt/d2" "$mnt/d" >"$dir/c.json"
check "--path /d2, ./ in the mount, the mountpoint's /d2: the same events" \
	'[ "$(ev "$dir/a.json" ids | tr "\n" " ")" = "$(ev "$dir/b.json" ids | tr "\n" " ")" ] && cmp -s "$dir/a.json" "$dir/c.json" && [ "$(ev "$dir/a.json" count)" -ge 3 ]'
cp "$dir/a.json" "$dir/ev.json"
check "--path /d2: a rename into it, not /d itself" \
	'has path=\"/d2/x\" old_path=\"/d/x\" && [ "$(ev "$dir/ev.json" count path=\"/d\")" -eq 0 ]'
refused 2 "--path outside the mount: exit 2" --path ../.. "$mnt"
"$changes" --json "$mnt" >"$dir/a.json"
"$changes" --json "$mnt/new1" >"$dir/b.json"
check "a file in the mount names the mount" 'cmp -s "$dir/a.json" "$dir/b.json"'

# --- --follow -----------------------------------------------------------------
"$changes" --follow --json "$mnt" >"$dir/follow.json" 2>"$dir/follow.err" &
fpid=$!
sleep 0.5
fstart=$(tail -n 1 "$dir/follow.json" 2>/dev/null)
t1=$(date +%s%N)
touch "$mnt/fol1"
i=0
while ! grep -q '"/fol1"' "$dir/follow.json" && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
lat=$((($(date +%s%N) - t1) / 1000000))
check "--follow: an event within commit + 1 s (${lat} ms)" \
	'grep -q "\"/fol1\"" "$dir/follow.json" && [ $lat -le 2000 ]'
umount_db
mount1 "$fs"
touch "$mnt/fol2"
i=0
while ! grep -q '"/fol2"' "$dir/follow.json" && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
check "--follow survives an unmount and a mount" 'grep -q "\"/fol2\"" "$dir/follow.json"'
kill -TERM $fpid
wait $fpid
rc=$?
fpid=
"$changes" --json "$mnt" >"$dir/all.json"
check "--follow: SIGTERM, exit 0, the cursor last, no gap or duplicate" \
	'[ $rc -eq 0 ] && ev "$dir/follow.json" cursor >/dev/null && [ "$(ev "$dir/follow.json" ids | tr "\n" " ")" = "$(ev "$dir/all.json" ids | tr "\n" " ")" ] && [ "$(ev "$dir/follow.json" cursor)" = "$(ev "$dir/all.json" cursor)" ]'

# --- --set, mounted; history trimmed; a follower left behind ------------
"$changes" --set journal_max_events=5 "$mnt" >"$dir/out" 2>&1; rc=$?
"$changes" --info "$mnt" >>"$dir/out" 2>&1
check "--set journal_max_events=5 on a mount (the control ioctl)" \
	'[ $rc -eq 0 ] && grep -q "^max_events *5$" "$dir/out"'
ct=$(now_cursor)
"$changes" --follow "$mnt" >"$dir/follow.out" 2>"$dir/follow.err" &
fpid=$!
sleep 0.5
kill -STOP $fpid
for i in 1 2 3 4 5 6 7 8 9 10; do
	touch "$mnt/trim$i"
done
listed - path=\"/trim10\"
refused 3 "history trimmed: the old cursor gets exit 3" --since "$ct" "$mnt"
check "... naming the oldest kept" 'grep -q "oldest event kept is" "$dir/err"'
kill -CONT $fpid
i=0
while kill -0 $fpid 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
if kill -0 $fpid 2>/dev/null; then
	kill $fpid
	wait $fpid
	rc="still running"
else
	wait $fpid
	rc=$?
fi
fpid=
check "a follower left behind by the retention: exit 3 ($rc)" \
	'[ "$rc" = 3 ] && grep -q "history incomplete" "$dir/follow.err"'
"$changes" --set journal_max_events=1000000 --set journal_max_age=30d "$fs" >"$dir/out" 2>&1; rc=$?
"$changes" --info "$mnt" >>"$dir/out"
check "--set journal_max_age=30d on the database of a mount: through the mount" \
	'[ $rc -eq 0 ] && grep -q "^max_age *2592000 s$" "$dir/out" && grep -q "^max_events *1000000$" "$dir/out"'
refused 2 "--set a bad value: exit 2" --set journal_max_events=lots "$mnt"

# --- the WAL while a follower runs during heavy writes --------------------
"$changes" --follow "$mnt" >/dev/null 2>"$dir/follow.err" &
fpid=$!
wal_max=0
written=0
end=$(($(date +%s) + ${CHANGES_TEST_WAL_SECONDS:-30}))
while [ "$(date +%s)" -lt $end ]; do
	dd if=/dev/urandom of="$mnt/heavy" bs=1M count=32 status=none
	written=$((written + 32))
	s=$(stat -c %s "$fs-wal" 2>/dev/null || echo 0)
	[ "$s" -gt "$wal_max" ] && wal_max=$s
done
kill -TERM $fpid
wait $fpid
rc=$?
fpid=
check "WAL bounded while following $written MiB of writes: at most $((wal_max / 1048576)) MiB" \
	'[ $rc -eq 0 ] && [ $wal_max -lt $((200 * 1048576)) ] && [ $written -gt 400 ]'

# --- restored from an older copy; another filesystem; --set unmounted -----
umount_db
cp "$fs" "$dir/copy.db"
mount1 "$fs"
touch "$mnt/after-copy1" "$mnt/after-copy2"
listed - path=\"/after-copy2\"
ca=$(now_cursor)
umount_db
cp "$dir/copy.db" "$fs"
refused 5 "restored older copy: a cursor past its newest, exit 5" --since "$ca" "$fs"
mount1 "$fs"
for i in 1 2 3 4; do
	touch "$mnt/again$i"
	sleep 0.3
done
listed - path=\"/again4\"
refused 5 "restored copy that reached the id again: exit 5" --since "$ca" "$mnt"
check "... by the time of the cursor's event" 'grep -q "is another" "$dir/err"'
"$mkfs" "$dir/other.db" >/dev/null
refused 4 "a cursor of this filesystem on another: exit 4" --since "$ca" "$dir/other.db"
umount_db
"$changes" --set journal=off "$fs" >"$dir/out" 2>&1; rc=$?
refused 6 "--set journal=off unmounted (db_set()), then: exit 6" "$fs"
"$changes" --set journal=on "$fs" >"$dir/out" 2>&1
refused 3 "journal on again: an old cursor, exit 3 (off dropped the events)" \
	--since "$ca" "$fs"

echo "1..$n"
exit $fail
