#!/bin/sh
# deb-test.sh - build the Debian package of this tree, check it with
# lintian, install it, mount an fstab entry with mount -a, unmount, purge
#
# Run as root on Debian 12.  Installs what building needs (debhelper,
# dpkg-dev, lintian and the build dependencies) with apt-get.  The package
# is built from a copy of the tracked files in a temporary directory, the
# fstab entry is in a temporary file (mount -a -T), and the package is
# purged at the end, also on failure: nothing is left installed.  Refuses
# to run if a sqlitefs package is already installed.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "deb-test.sh: needs root (apt-get, dpkg, mount)" >&2
	exit 1
fi
if dpkg-query -W -f='${Status}' sqlitefs 2>/dev/null | grep -q installed; then
	echo "deb-test.sh: a sqlitefs package is installed already; not touching it" >&2
	exit 1
fi
need="debhelper dpkg-dev lintian fakeroot build-essential meson ninja-build \
pkgconf python3 libfuse3-dev libsqlite3-dev libmount-dev fuse3 sqlite3 man-db"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deb-test.XXXXXX")
installed=0
cleanup() {
	grep -q " $tmp/mnt " /proc/mounts && umount -l "$tmp/mnt"
	if [ $installed -eq 1 ]; then
		dpkg --purge sqlitefs >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
step() { echo "deb-test.sh: $*"; }

step "building the package"
mkdir "$tmp/src"
git ls-files -z | tar -c --null -T - | tar -x -C "$tmp/src"
start=$(date +%s)
if ! (cd "$tmp/src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log"
	exit 1
fi
deb=$(ls "$tmp"/sqlitefs_*.deb)
step "built $(basename "$deb") in $(($(date +%s) - start)) s"
dpkg-deb -c "$deb" | awk '{ print "  " $6 }'

step "lintian"
lintian --info "$deb" || true

step "installing"
installed=1
apt-get install -y -qq "$deb" >/dev/null
for f in /usr/bin/sqlitefs /usr/sbin/mkfs.sqlitefs /usr/sbin/fsck.sqlitefs \
	/usr/sbin/umount.fuse.sqlitefs /usr/sbin/sqlitefs-changes /usr/sbin/sqlitefs-find; do
	[ -x "$f" ] || { step "FAIL: $f missing"; exit 1; }
done
man -w sqlitefs mkfs.sqlitefs fsck.sqlitefs umount.fuse.sqlitefs \
	sqlitefs-changes sqlitefs-find
MANWIDTH=80 man sqlitefs 2>/dev/null | head -8

step "mounting through fstab (mount -a -T $tmp/fstab)"
mkdir "$tmp/mnt"
mkfs.sqlitefs "$tmp/data.db"
echo "$tmp/data.db $tmp/mnt fuse.sqlitefs noatime,commit=10,nofail 0 0" >"$tmp/fstab"
mount -a -T "$tmp/fstab"
grep " $tmp/mnt " /proc/mounts
echo "written through the package's daemon" >"$tmp/mnt/hello"
# umount runs the installed umount.fuse.sqlitefs, which returns once the
# daemon has exited: the database file alone holds the file at once
umount "$tmp/mnt"
flock -n "$tmp/data.db" true || { step "FAIL: the daemon still runs after umount"; exit 1; }
[ ! -s "$tmp/data.db-wal" ] || { step "FAIL: a -wal is left after umount"; exit 1; }
cp "$tmp/data.db" "$tmp/copy.db"
got=$(sqlite3 "$tmp/copy.db" "SELECT path, size FROM listing WHERE path = '/hello'")
[ "$got" = "/hello|37" ] || { step "FAIL: stored: '$got'"; exit 1; }
step "mounted, wrote, unmounted through umount.fuse.sqlitefs: $got"

step "purging"
dpkg --purge sqlitefs >/dev/null
installed=0
for f in /usr/bin/sqlitefs /usr/sbin/mkfs.sqlitefs \
	/usr/sbin/umount.fuse.sqlitefs /usr/sbin/sqlitefs-changes /usr/sbin/sqlitefs-find \
	/usr/share/man/man8/sqlitefs.8.gz /usr/share/doc/sqlitefs; do
	[ ! -e "$f" ] || { step "FAIL: $f left after purge"; exit 1; }
done
if dpkg-query -W sqlitefs >/dev/null 2>&1; then
	step "FAIL: dpkg still knows sqlitefs"
	exit 1
fi
step "ok: built, installed, mounted through fstab, purged"
