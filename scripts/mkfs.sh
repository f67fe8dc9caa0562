#!/bin/sh
# mkfs.sh - create an empty sqlitefs filesystem in a new database file
#
# The format comes from src/schema.sql, the views from src/views.sql beside
# it (or, installed, from the share directory).  mkfs.sqlitefs, built from
# src/mkfs.c, does the same and can also load a directory tree (-d).  The
# file is built under a temporary name and renamed into place, so a failure
# leaves nothing behind.
set -eu

prog=$(basename "$0")
usage() {
	echo "usage: $prog [-b BLOCK_SIZE] [-p PAGE_SIZE] [-f] DATABASE" >&2
	exit 2
}

block_size=65536
page_size=16384
force=0
while getopts "b:p:fh" opt; do
	case $opt in
	b) block_size=$OPTARG ;;
	p) page_size=$OPTARG ;;
	f) force=1 ;;
	h) echo "usage: $prog [-b BLOCK_SIZE] [-p PAGE_SIZE] [-f] DATABASE"
	   echo "  -b BLOCK_SIZE  bytes per data block, a power of two from 512 to 1048576 (default 65536)"
	   echo "  -p PAGE_SIZE   SQLite page size, a power of two from 512 to 65536 (default 16384)"
	   echo "  -f             overwrite an existing DATABASE"
	   exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
db=$1

power_of_two() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ] && [ $(($1 & ($1 - 1))) -eq 0 ]
}
power_of_two "$block_size" 512 1048576 ||
	{ echo "$prog: bad block size '$block_size': a power of two from 512 to 1048576" >&2; exit 2; }
power_of_two "$page_size" 512 65536 ||
	{ echo "$prog: bad page size '$page_size': a power of two from 512 to 65536" >&2; exit 2; }

here=$(dirname "$0")
for schema in "${SQLITEFS_SCHEMA:-}" "$here/../src/schema.sql" \
	"$here/../share/sqlitefs/schema.sql" /usr/share/sqlitefs/schema.sql; do
	[ -n "$schema" ] && [ -f "$schema" ] && break
done
[ -f "$schema" ] || { echo "$prog: cannot find schema.sql" >&2; exit 1; }
views=$(dirname "$schema")/views.sql
[ -f "$views" ] || { echo "$prog: cannot find views.sql beside $schema" >&2; exit 1; }
command -v sqlite3 >/dev/null ||
	{ echo "$prog: sqlite3 not found (apt-get install sqlite3)" >&2; exit 1; }

if [ -e "$db" ] && [ $force -eq 0 ]; then
	echo "$prog: $db: already exists (use -f to overwrite)" >&2
	exit 1
fi
dir=$(dirname "$db")
[ -d "$dir" ] || { echo "$prog: $dir: no such directory" >&2; exit 1; }

tmp="$db.mkfs.$$"
trap 'rm -f "$tmp" "$tmp-wal" "$tmp-shm" "$tmp-journal"' EXIT INT TERM
rm -f "$tmp"
{
	echo "PRAGMA page_size = $page_size;"
	cat "$schema" "$views"
	echo "UPDATE settings SET value = $block_size WHERE key = 'block_size';"
	echo "UPDATE inode SET uid = $(id -u), gid = $(id -g) WHERE ino = 1;"
	echo "PRAGMA wal_checkpoint(TRUNCATE);"
} | sqlite3 -batch -bail "$tmp" >/dev/null ||
	{ echo "$prog: $db: cannot create the database" >&2; exit 1; }
rm -f "$db-wal" "$db-shm"
mv -f "$tmp" "$db"
trap - EXIT INT TERM
echo "$prog: $db: sqlitefs filesystem created (block size $block_size, page size $page_size)"
