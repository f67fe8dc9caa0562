#!/bin/sh
# sample-tree.sh - make the small tree the sqlite3 examples of docs/sql.md show
#   scripts/sample-tree.sh DIR    (DIR must not exist; owners need root)
# Everything in it is fixed: contents, modes, owners, times, xattrs, so
# that mkfs.sqlitefs -d DIR gives the same database every time.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ ! -e "$1" ] || { echo "$0: $1: already exists" >&2; exit 1; }
export TZ=UTC
mkdir -p "$1"
cd "$1"
mkdir -p docs/old photos/2024 src
yes 'sqlitefs keeps a whole filesystem in one SQLite file.' | head -c 1200 >docs/README.md
yes 'PDF' | head -c 307200 >docs/guide.pdf
yes 'old notes' | head -c 4000 >docs/old/notes.txt
yes 'JPEG' | head -c 2621440 >photos/2024/beach.jpg
ln photos/2024/beach.jpg photos/2024/beach-copy.jpg
ln -s 2024/beach.jpg photos/latest.jpg
printf 'int main(void)\n{\n\treturn 0;\n}\n' >src/main.c
printf 'all: main\n' >src/Makefile
printf 'disk image' >vm.img
truncate -s 1G vm.img
chmod 0644 docs/README.md docs/guide.pdf docs/old/notes.txt src/main.c \
	src/Makefile photos/2024/beach.jpg
chmod 0600 vm.img
chmod 0755 docs docs/old photos photos/2024 src .
setfattr -n user.tag -v draft docs/README.md
setfattr -n user.comment -v 'sunset, June' photos/2024/beach.jpg
setfattr -n user.comment -v 'printed copy in the office' docs/guide.pdf
touch -d '2023-11-05 09:30:00' docs/old/notes.txt
touch -d '2024-02-10 14:00:00' docs/guide.pdf
touch -d '2024-06-21 19:45:10' photos/2024/beach.jpg
touch -h -d '2024-06-22 08:00:00' photos/latest.jpg
touch -d '2024-07-01 12:00:00' docs/README.md
touch -d '2024-07-02 16:20:00' src/main.c src/Makefile
touch -d '2024-07-03 09:00:00' vm.img
touch -d '2023-11-05 09:30:00' docs/old
touch -d '2024-07-01 12:00:00' docs
touch -d '2024-06-21 19:45:10' photos/2024
touch -d '2024-06-22 08:00:00' photos
touch -d '2024-07-02 16:20:00' src
if [ "$(id -u)" -eq 0 ]; then
	chown -R 1000:1000 .
	chown -R 1001:1001 photos
	chown -h 1001:1001 photos/latest.jpg
fi
touch -d '2024-07-03 09:00:00' .
