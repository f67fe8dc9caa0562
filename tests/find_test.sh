#!/bin/sh
# find_test.sh - sqlitefs-find on a real mount
#
#  - a generated tree of about 3000 entries (find_diff.py): 1000 random
#    expressions give the same sorted output as find(1) run on the mount,
#    from the mount's root and from directories below it, and 300 random
#    -xattr expressions the same as os.walk() and os.getxattr();
#  - a change is visible to the very next query after its commit;
#  - search indexes added and dropped, mounted (through the daemon) and
#    unmounted, and used by the query (--explain shows SQLite's plan);
#  - --since with the journal's cursors, and its refusals (3, 4, 5);
#  - --follow reports files that start and stop matching, renames too;
#  - --queries answers query after query, each current to the last commit;
#  - bad input: one line and exit 2.
# Prints TAP.  Needs root (mounts), $SQLITEFS, $MKFS_C, $SQLITEFS_FIND,
# python3 and find(1).  FIND_SEED=N reruns the random parts with seed N.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
tool=${SQLITEFS_FIND:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/find_test.XXXXXX")
follower=
stop_follower() {
	if [ -n "$follower" ]; then
		kill "$follower" 2>/dev/null
		wait "$follower" 2>/dev/null
		follower=
	fi
}
trap 'stop_follower; cleanup_mount' EXIT
trap 'exit 1' INT TERM
. "$here/tap.sh"
. "$here/mount_util.sh"
export LC_ALL=C
seed=${FIND_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
mnt=$dir/mnt
db=$dir/find.db

# waits up to 30 s for a command to succeed
wait_for() {
	i=0
	while ! eval "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.05
	done
}

# fsyncs a file of the mount: the daemon commits its batch before replying
commit() { python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)' "${1:-$mnt/.t0}"; }

# lines of output of the tool for an expression, from the mount
count() { "$tool" "$mnt" "$@" | wc -l; }

echo "1..31"
mkdir "$mnt"
"$mkfs" "$db" >/dev/null
if ! mount_db "$db"; then
	echo "Bail out! cannot mount"
	exit 1
fi
python3 "$here/find_diff.py" tree "$mnt" "$seed"
commit
check "the tool sees the generated tree after its commit" \
	'[ "$(count)" -eq "$(find "$mnt" | wc -l)" ]'

echo "# seed $seed (FIND_SEED=$seed reproduces it)"
check "1000 random expressions: the same output as find(1)" \
	'python3 "$here/find_diff.py" diff "$mnt" "$tool" "$seed" 1000'
check "300 random -xattr expressions: the same as os.getxattr()" \
	'python3 "$here/find_diff.py" xattr "$mnt" "$tool" "$seed" 300'

json_ok() {
	"$tool" --json "$mnt" -type f -size +1k >"$dir/json" &&
		python3 -c 'import json, os, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    st = os.lstat(o["path"])
    assert (o["ino"], o["size"], o["nlink"]) == \
        (st.st_ino, st.st_size, st.st_nlink), o
    assert o["type"] == "f" and o["mtime"] == st.st_mtime_ns, o
    n += 1
assert n > 10, n' "$dir/json"
}
check "--json: one object per match, as lstat sees the file" json_ok

# --- a change is visible to the very next query after its commit ---------
echo new >"$mnt/fresh.file"
commit "$mnt/fresh.file"
check "a new file, committed: the next query finds it" \
	'[ "$("$tool" "$mnt" -name fresh.file)" = "$mnt/fresh.file" ]'
mv "$mnt/fresh.file" "$mnt/renamed.file"
commit "$mnt/renamed.file"
check "renamed, committed: the next query has the new name only" \
	'[ "$("$tool" "$mnt" -name "*.file")" = "$mnt/renamed.file" ]'
rm "$mnt/renamed.file"
commit
check "removed, committed: the next query has nothing" \
	'[ -z "$("$tool" "$mnt" -name "*.file")" ]'

# --- indexes ---------------------------------------------------------------
plan() { "$tool" --explain "$mnt" "$@" 2>&1 >/dev/null; }
check "-xattr without its index: every entry is read" \
	'plan -xattr user.tag=red | grep -qE "scanning every entry|walking the tree"'
check "--list-indexes: name by default" \
	'[ "$("$tool" --list-indexes "$mnt" | tr "\n" " ")" = "name " ]'
check "--add-index xattr:user.tag on the mount" \
	'"$tool" --add-index xattr:user.tag "$mnt"'
commit
check "--list-indexes shows it once committed" \
	'"$tool" --list-indexes "$mnt" | grep -qx "xattr:user.tag"'
check "an -xattr query is answered from it (SQLite's plan)" \
	'plan -xattr user.tag=red -type f | grep -q "USING.*INDEX.*search_xattr:user.tag"'
check "and answers as os.getxattr() says, existing files included" \
	'python3 "$here/find_diff.py" xattr "$mnt" "$tool" "$seed" 50'
red() { "$tool" "$mnt" -xattr user.tag=red "$@"; }
check "other tests of the attribute of the hint: as os.getxattr() says" \
	'[ -n "$(red)" ] && [ "$(red -xattr user.tag)" = "$(red)" ] &&
	 [ -z "$(red ! -xattr user.tag=red)" ] &&
	 [ -z "$(red -xattr user.tag=blue)" ]'
expect_exit 1 "adding it again: exit 1" "$tool" --add-index xattr:user.tag "$mnt"
check "an exact -name is answered from search_name" \
	'plan -name x.c | grep -q "USING INDEX search_name"'
check "--drop-index name on the mount" '"$tool" --drop-index name "$mnt"'
commit
check "then -name reads every entry" 'plan -name x.c | grep -qE "scanning every entry|walking"'
uuid=$(query "$db" "SELECT value FROM settings WHERE key = 'uuid'")
cursor=$("$tool" --since "$uuid:0:0" "$mnt" -false 2>&1 | sed -n 's/^cursor //p')

# --- the journal: --since ------------------------------------------------
echo data >"$mnt/since.txt"
commit "$mnt/since.txt"
check "--since the cursor before: the new file (type f) only" \
	'[ "$("$tool" --since "$cursor" "$mnt" -type f 2>/dev/null)" = "$mnt/since.txt" ]'
expect_exit 4 "--since a cursor of another filesystem: exit 4" \
	"$tool" --since 00000000-0000-4000-8000-000000000000:1:0 "$mnt"
expect_exit 5 "--since a cursor ahead of the journal: exit 5" \
	"$tool" --since "$uuid:999999999:0" "$mnt"
expect_exit 2 "--since garbage: exit 2" "$tool" --since nonsense "$mnt"

# --- --follow ----------------------------------------------------------------
"$tool" --follow "$mnt" -name "*.log" >"$dir/follow" 2>&1 &
follower=$!
echo 1 >"$mnt/a.log"
commit "$mnt/a.log"
check "--follow: a new match is + PATH" \
	'wait_for "grep -qx \"+ $mnt/a.log\" \"$dir/follow\""'
mkdir "$mnt/fdir"
echo 2 >"$mnt/fdir/in.log"
mv "$mnt/a.log" "$mnt/a.txt"
commit "$mnt/fdir/in.log"
# seen before the directory moves: a follower polling once after both
# commits would see in.log only in gdir, and rightly print no "- fdir"
wait_for "grep -qx \"+ $mnt/fdir/in.log\" \"$dir/follow\""
mv "$mnt/fdir" "$mnt/gdir"
commit "$mnt/gdir/in.log"
check "--follow: renames show as - and + (directories too)" \
	'wait_for "grep -qx \"+ $mnt/gdir/in.log\" \"$dir/follow\"" &&
	grep -qx -- "- $mnt/a.log" "$dir/follow" &&
	grep -qx -- "- $mnt/fdir/in.log" "$dir/follow"'
stop_follower
sed 's/^/# /' "$dir/follow"

# --- --queries ---------------------------------------------------------------
check "--queries: each answer current to the last commit, and ended" \
	'python3 "$here/find_diff.py" queries "$mnt" "$tool"'

# --- bad input -------------------------------------------------------------
one_line() {
	"$@" >"$dir/out" 2>"$dir/err"
	st=$?
	[ $st -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && [ ! -s "$dir/out" ]
}
check "an unknown predicate: one line, exit 2" \
	'one_line "$tool" "$mnt" -name x -frobnicate'
check "a bad -size: one line, exit 2" 'one_line "$tool" "$mnt" -size 12q'
check "a path outside any sqlitefs mount: one line, exit 2" \
	'one_line "$tool" "$dir" -name x'

check "the daemon exits 0 after the unmount" umount_db

# every option and test of --help is in the man page
help_in_man() {
	man=$here/../man/sqlitefs-find.8
	words=$("$tool" --help | grep -o -- '--*[a-z][a-z0-9-]*' | sort -u)
	[ "$(echo "$words" | wc -l)" -gt 30 ] || return 1
	for w in $words; do
		sed 's/\\-/-/g' "$man" | grep -q -- "$w" ||
			{ echo "# $w: not in the man page"; return 1; }
	done
}
check "--help and the man page agree" help_in_man

# --- unmounted ---------------------------------------------------------------
check "--add-index and --drop-index on the unmounted database" \
	'"$tool" --add-index size "$db" 2>/dev/null; "$tool" --drop-index size "$db" &&
	! "$tool" --list-indexes "$db" | grep -qx size &&
	"$tool" --add-index xattr:user.color "$db" &&
	"$tool" --list-indexes "$db" | grep -qx xattr:user.color &&
	"$tool" --explain "$db" -xattr user.color=c1 2>&1 >/dev/null |
		grep -q "search_xattr:user.color"'
exit $fail
