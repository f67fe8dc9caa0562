#!/bin/sh
# demo.sh - build sqlitefs, make demo.db if there is none, mount it on
# /mnt/sqlitefs-demo and say how to unmount
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
[ -e demo.db ] || scripts/mkfs.sh demo.db
mnt=/mnt/sqlitefs-demo
mkdir -p "$mnt"
if grep -q " $mnt " /proc/mounts; then
	echo "demo.db is already mounted on $mnt"
else
	build/src/sqlitefs demo.db "$mnt"
	echo "mounted $(pwd)/demo.db on $mnt"
fi
echo "unmount with: fusermount3 -u $mnt"
