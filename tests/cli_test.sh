#!/bin/sh
# cli_test.sh - sqlitefs's command line: --help on one screen, with the
# defaults that the manual page and the README state, versions, unknown
# options refused before the database is touched, fstab-only options
# ignored, the views of an older database replaced by a read-write mount
# only.  Prints TAP.  Needs root (mounts), $SQLITEFS, $MKFS_C, sqlite3,
# flock.
set -u
daemon=${SQLITEFS:?}
mkfs=${MKFS_C:?}
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/cli_test.XXXXXX")
cleanup() {
	grep -q " $dir/mnt " /proc/mounts && umount -l "$dir/mnt"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/tap.sh"
query() { sqlite3 -batch "$dir/fs.db" "$1"; }
mounted() { grep -q " $dir/mnt fuse.sqlitefs " /proc/mounts; }
mapped() { grep -qs " $dir/fs.db\$" /proc/[0-9]*/maps; }
# Unmounts and waits until the daemon let go of the database (its flock).
unmount() {
	umount "$dir/mnt" || return 1
	flock -x -w 10 "$dir/fs.db" true
}

# The defaults that document $1 states for -o $2=: in the item that opens
# with "-o $2=" (a man page's .TP paragraph, a table row, a list item or a
# line of a help-like listing), the number after "default", or N where it
# opens with "-o $2=N".  Mentions elsewhere (examples, prose) are not
# statements of the default.  Prints nothing when it states none.
stated_defaults() {
	awk -v opt="-o $2=" '
		{ line = $0; gsub(/\\-/, "-", line) }
		/^\.(TP|PP|SH|SS)/ || /^[ \t]*$/ || /^[ \t]*[|*]/ ||
		    /^[ \t]*- / || line ~ /^[ \t]*-o / { item = 0 }
		line ~ ("^(\\.B[IR]? \"?|[ \t]*|[ \t]*([-*]|\\|) *`?)" opt) {
			item = 1
			rest = substr(line, index(line, opt) + length(opt))
			if (match(rest, /^[0-9]+/)) {
				print substr(rest, 1, RLENGTH)
				item = 0
			}
		}
		item && match(line, /default[^0-9a-z]*[0-9]+/) {
			s = substr(line, RSTART, RLENGTH)
			gsub(/[^0-9]/, "", s)
			print s
			item = 0
		}' "$1"
}

# Whether the files $2... state the defaults of --help (in $dir/help): each
# of them when $1 is "all" (the manual page, which documents every option),
# or the ones they state at all when $1 is "stated" (the README, docs/).
defaults_agree() {
	need=$1
	shift
	for o in commit timeout cache spin mmap; do
		want=$(grep -o -e "-o $o=[0-9]*" "$dir/help" | cut -d= -f2)
		[ -n "$want" ] || { echo "# --help: no default for $o"; return 1; }
		for f in "$@"; do
			[ -f "$f" ] || continue
			got=$(stated_defaults "$f" $o | sort -u | tr '\n' ' ')
			if [ -z "$got" ] && [ "$need" = all ]; then
				echo "# $f: no default for $o"; return 1
			fi
			if [ -n "$got" ] && [ "$got" != "$want " ]; then
				echo "# $f: $o defaults to ${got% }, --help says $want"
				return 1
			fi
		done
	done
}

mkdir "$dir/mnt"
"$mkfs" "$dir/fs.db" >/dev/null

echo "1..21"
"$daemon" --help >"$dir/out" 2>&1; rc=$?
cp "$dir/out" "$dir/help"
check "--help exits 0 and fits on one screen ($(wc -l <"$dir/out") lines)" \
	'[ $rc -eq 0 ] && [ "$(wc -l <"$dir/out")" -le 24 ] && [ "$(awk "length > 80" "$dir/out")" = "" ]'
check "--help lists our options with their defaults" \
	'(for o in "commit=[0-9]" "timeout=[0-9]" "cache=[0-9]" "spin=[0-9]" "mmap=[0-9]" "bdi_max_ratio=N" nowriteback noacl relatime noatime strictatime "-o rw" "-o ro" allow_other "-f " "-d "; do grep -q -e "$o" "$dir/out" || exit 1; done)'
check "sqlitefs(8) states the defaults of --help" \
	'defaults_agree all "$top/man/sqlitefs.8"'
check "README.md and docs/ state those defaults where they state one" \
	'defaults_agree stated "$top/README.md" "$top"/docs/*.md'
"$daemon" -h >"$dir/out2" 2>&1
check "-h is --help" 'cmp -s "$dir/out" "$dir/out2"'
"$daemon" -V >"$dir/out" 2>&1; rc=$?
check "-V names sqlitefs, libfuse and SQLite versions" \
	'[ $rc -eq 0 ] && grep -q "^sqlitefs [0-9].*libfuse .*SQLite " "$dir/out"'

cksum "$dir/fs.db" >"$dir/sum"
"$daemon" -o commit=3,bogus "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "an unknown -o option: named on one line, exit 1, nothing mounted or changed" \
	'[ $rc -eq 1 ] && [ "$(wc -l <"$dir/out")" -eq 1 ] && grep -q "^sqlitefs: unknown option.*bogus" "$dir/out" && ! mounted && cksum "$dir/fs.db" | cmp -s - "$dir/sum" && [ ! -e "$dir/fs.db-wal" ]'
"$daemon" --bogus "$dir/missing.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "an unknown option is reported before a missing database" \
	'[ $rc -eq 1 ] && grep -q "unknown option.*--bogus" "$dir/out" && [ ! -e "$dir/missing.db" ]'
"$daemon" -o commit=soon "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a bad value is refused" \
	'[ $rc -eq 1 ] && grep -q "bad options" "$dir/out" && ! mounted'
"$daemon" -o cache=9999999 "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a page cache larger than 1 TiB is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: cache=9999999: at most" "$dir/out" && ! mounted'
"$daemon" -o spin=1000001 "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "polling for longer than a second is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: spin=1000001: at most" "$dir/out" && ! mounted'
"$daemon" -o bdi_max_ratio=101 "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a dirty page share above 100 % is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: bdi_max_ratio=101: at most 100 percent" "$dir/out" && ! mounted'
"$daemon" -o timeout=nan "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "a timeout that is not a number is refused" \
	'[ $rc -eq 1 ] && grep -q "^sqlitefs: timeout=nan: not a number" "$dir/out" && ! mounted'

"$daemon" -o defaults,auto,nofail,_netdev,comment=x,x-systemd.automount \
	"$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "fstab-only options are ignored" '[ $rc -eq 0 ] && mounted'
unmount
"$daemon" -o noatime -- "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1; rc=$?
check "names after -- mount" '[ $rc -eq 0 ] && mounted'
unmount

# -o bdi_max_ratio sets the mount's share in sysfs; -o mmap maps the file.
"$daemon" -o bdi_max_ratio=37,mmap=64 "$dir/fs.db" "$dir/mnt" >"$dir/out" 2>&1
rc=$?
bdi=/sys/class/bdi/$(mountpoint -d "$dir/mnt" 2>/dev/null)/max_ratio
check "-o bdi_max_ratio=37 sets the mount's max_ratio" \
	'[ $rc -eq 0 ] && [ "$(cat "$bdi")" = 37 ]'
head -c 3000000 /dev/urandom >"$dir/data"
cp "$dir/data" "$dir/mnt/data" && sync "$dir/mnt/data" && unmount
"$daemon" -o mmap=64 "$dir/fs.db" "$dir/mnt" &&
	echo 3 >/proc/sys/vm/drop_caches && cmp -s "$dir/data" "$dir/mnt/data"
rc=$?
check "-o mmap=64 maps the database and reads from it" '[ $rc -eq 0 ] && mapped'
unmount
"$daemon" "$dir/fs.db" "$dir/mnt" && echo 3 >/proc/sys/vm/drop_caches &&
	cmp -s "$dir/data" "$dir/mnt/data"
rc=$?
check "by default the database is not mapped" '[ $rc -eq 0 ] && ! mapped'
unmount

# A database whose views are older than this build's.
query "DROP VIEW largest; DROP VIEW du; DELETE FROM settings WHERE key = 'views'"
cksum "$dir/fs.db" >"$dir/sum"
"$daemon" -o ro "$dir/fs.db" "$dir/mnt" && unmount
check "a read-only mount leaves older views alone" \
	'cksum "$dir/fs.db" | cmp -s - "$dir/sum"'
"$daemon" "$dir/fs.db" "$dir/mnt" && unmount
check "a read-write mount installs the current views" \
	'[ "$(query "SELECT count(*) FROM sqlite_schema WHERE type = '"'view'"' AND name IN ('"'largest', 'du'"')")" = 2 ] && [ -n "$(query "SELECT value FROM settings WHERE key = '"'views'"'")" ]'
version=$(query "PRAGMA schema_version")
"$daemon" "$dir/fs.db" "$dir/mnt" && unmount
check "current views are left as they are (schema_version $version)" \
	'[ "$(query "PRAGMA schema_version")" = "$version" ] && [ "$(query "PRAGMA integrity_check")" = ok ]'
exit $fail
